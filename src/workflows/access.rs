//! The reader's audience for a proposal they may see: the column of the visibility table
//! (`domain::visibility`) every projected output renders from.

use crate::auth::Principal;
use crate::domain::Role;
use crate::domain::visibility::Audience;

/// The audience of `principal` for a proposal owned by `owner_id`, once the policy has let
/// them see it.
pub fn audience(principal: &Principal, owner_id: &str) -> Audience {
    match principal.role {
        Role::Admin => Audience::Admin,
        _ if principal.user_id == owner_id => Audience::Investigator,
        Role::Chair | Role::Reviewer => Audience::Committee,
        Role::Msl => Audience::Msl,
        Role::Cro => Audience::Cro,
        // Another investigator never passes the policy; if one did, they get the owner's
        // view of nothing more than the owner sees.
        Role::Investigator => Audience::Investigator,
    }
}
