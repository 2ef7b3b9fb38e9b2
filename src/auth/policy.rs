//! Authorisation in one place: "may this principal do this to this object?". Handlers ask here
//! and never decide on roles themselves. An object the caller may not see is `Hidden` (404), so
//! its existence is not revealed; a visible object the caller may not change is `Forbidden`.

use crate::auth::Principal;
use crate::domain::Role;
use crate::error::AppError;

pub use crate::domain::access::{Decision, ProposalAction};

impl Decision {
    pub fn require(self) -> Result<(), AppError> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Forbidden => Err(AppError::Forbidden(
                "your role may not do this on this object".into(),
            )),
            Decision::Hidden => Err(AppError::NotFound),
        }
    }
}

pub fn manage_users(principal: &Principal) -> Decision {
    if principal.role == Role::Admin {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

pub fn create_proposal(principal: &Principal) -> Decision {
    if principal.role == Role::Investigator {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}
