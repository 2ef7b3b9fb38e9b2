//! Authorisation in one place: "may this principal do this to this object?". Handlers ask here
//! and never decide on roles themselves. An object the caller may not see is `Hidden` (404), so
//! its existence is not revealed; a visible object the caller may not change is `Forbidden`.

use crate::auth::Principal;
use crate::domain::Role;
use crate::domain::lifecycle::{ActorRole, Status};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Forbidden,
    Hidden,
}

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

/// User administration (create staff, change roles, deactivate) is for admins.
pub fn manage_users(principal: &Principal) -> Decision {
    if principal.role == Role::Admin {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

/// What the policy needs to know about a proposal and the caller's relation to it.
#[derive(Debug, Clone)]
pub struct ProposalFacts<'a> {
    pub owner_id: &'a str,
    pub status: Status,
    /// The caller is an MSL assigned to this proposal.
    pub assigned_msl: bool,
    /// The caller is a reviewer assigned to this proposal who has declared no conflict.
    pub cleared_reviewer: bool,
    /// The caller is assigned to review but has not declared (or declared a conflict): they
    /// know the proposal exists, yet may not see it.
    pub uncleared_reviewer: bool,
    /// The caller's CRO organisation is assigned to this study.
    pub assigned_cro: bool,
    /// The caller declared a conflict of interest on this proposal (recused for good).
    pub recused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalAction {
    View,
    EditFields,
    ViewAudit,
}

pub fn proposal(principal: &Principal, action: ProposalAction, facts: &ProposalFacts) -> Decision {
    let is_owner = principal.user_id == facts.owner_id;
    let visible = is_owner
        || match principal.role {
            Role::Admin => true,
            // The committee sees proposals once submitted; drafts stay private.
            Role::Chair => facts.status != Status::Draft && !facts.recused,
            Role::Msl => facts.assigned_msl,
            Role::Reviewer => facts.cleared_reviewer,
            Role::Cro => facts.assigned_cro,
            Role::Investigator => false,
        };
    if !visible {
        return if facts.uncleared_reviewer {
            Decision::Forbidden
        } else {
            Decision::Hidden
        };
    }
    match action {
        ProposalAction::View => Decision::Allow,
        // Only the investigator writes the protocol (MSLs and staff never edit it).
        ProposalAction::EditFields if is_owner => Decision::Allow,
        ProposalAction::EditFields => Decision::Forbidden,
        ProposalAction::ViewAudit if principal.role == Role::Admin || is_owner => Decision::Allow,
        ProposalAction::ViewAudit => Decision::Forbidden,
    }
}

/// The lifecycle's notion of who is acting, from the caller's relation to the proposal.
pub fn lifecycle_actor(principal: &Principal, owner_id: &str) -> ActorRole {
    if principal.user_id == owner_id {
        ActorRole::Owner
    } else {
        match principal.role {
            Role::Chair => ActorRole::Chair,
            Role::Admin => ActorRole::Admin,
            _ => ActorRole::Other,
        }
    }
}

/// Only investigators create proposals.
pub fn create_proposal(principal: &Principal) -> Decision {
    if principal.role == Role::Investigator {
        Decision::Allow
    } else {
        Decision::Forbidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Lang;

    fn principal(id: &str, role: Role) -> Principal {
        Principal {
            user_id: id.into(),
            role,
            email: format!("{id}@example.org"),
            display_name: id.into(),
            lang: Lang::En,
            organization_id: None,
        }
    }

    fn facts(status: Status) -> ProposalFacts<'static> {
        ProposalFacts {
            owner_id: "owner",
            status,
            assigned_msl: false,
            cleared_reviewer: false,
            uncleared_reviewer: false,
            assigned_cro: false,
            recused: false,
        }
    }

    #[test]
    fn another_investigator_never_sees_a_proposal() {
        let other = principal("other", Role::Investigator);
        for status in [Status::Draft, Status::Submitted, Status::Approved] {
            assert_eq!(
                proposal(&other, ProposalAction::View, &facts(status)),
                Decision::Hidden
            );
        }
    }

    #[test]
    fn an_assigned_msl_sees_but_never_edits() {
        let msl = principal("msl", Role::Msl);
        let mut f = facts(Status::Draft);
        assert_eq!(proposal(&msl, ProposalAction::View, &f), Decision::Hidden);
        f.assigned_msl = true;
        assert_eq!(proposal(&msl, ProposalAction::View, &f), Decision::Allow);
        assert_eq!(
            proposal(&msl, ProposalAction::EditFields, &f),
            Decision::Forbidden
        );
    }

    #[test]
    fn the_chair_sees_submitted_proposals_but_not_drafts() {
        let chair = principal("chair", Role::Chair);
        assert_eq!(
            proposal(&chair, ProposalAction::View, &facts(Status::Draft)),
            Decision::Hidden
        );
        assert_eq!(
            proposal(&chair, ProposalAction::View, &facts(Status::Submitted)),
            Decision::Allow
        );
    }

    #[test]
    fn only_the_owner_edits_and_only_admins_manage_users() {
        let owner = principal("owner", Role::Investigator);
        let admin = principal("admin", Role::Admin);
        let f = facts(Status::Draft);
        assert_eq!(
            proposal(&owner, ProposalAction::EditFields, &f),
            Decision::Allow
        );
        assert_eq!(
            proposal(&admin, ProposalAction::EditFields, &f),
            Decision::Forbidden
        );
        assert_eq!(manage_users(&admin), Decision::Allow);
        assert_eq!(manage_users(&owner), Decision::Forbidden);
    }
}
