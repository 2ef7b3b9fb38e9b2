//! Who is calling: bearer tokens for the JSON API, session cookies for the web pages.

pub mod credential_cache;
pub mod csrf;
pub mod key_file;
pub mod password;
pub mod policy;
pub mod rate_limit;
pub mod secrets;

use crate::domain::{Lang, Role};
use crate::store::audit::Actor;
use crate::store::users::UserRow;
pub use credential_cache::CredentialCache;

pub const SESSION_COOKIE: &str = "liaison_session";

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub email: String,
    pub display_name: String,
    pub lang: Lang,
    pub organization_id: Option<String>,
}

impl Principal {
    pub fn from_user(user: &UserRow) -> Principal {
        Principal {
            user_id: user.id.clone(),
            role: user.role(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            lang: user.lang(),
            organization_id: user.organization_id.clone(),
        }
    }

    /// Same user acting with the same authority (role and organisation).
    pub fn same_authority(&self, other: &Principal) -> bool {
        self.user_id == other.user_id
            && self.role == other.role
            && self.organization_id == other.organization_id
    }

    pub fn actor(&self) -> Actor {
        Actor::user(&self.user_id, self.role.as_str())
    }
}

/// A signed-in web user (session cookie). Unauthenticated requests are redirected to sign-in.
#[derive(Debug, Clone)]
pub struct WebUser(pub Principal);
