//! What every study use case shares: the statuses a study is tracked in, and loading a study with its access check.

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::error::{AppError, AppResult};

pub use crate::store::study::{EnrollmentRow, GatesRow, MilestoneRow, PublicationRow};
use crate::templates::translate;
pub use crate::workflows::lifecycle::missing_gates;
use crate::workflows::proposals::{self as proposals, Loaded};

pub(super) const TRACKED: [Status; 3] = [Status::Approved, Status::Active, Status::Completed];

/// The caller may see the proposal; `manage` also requires its investigator or an admin and a
/// study being tracked (approved onwards).
pub(super) fn load_study(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    manage: bool,
) -> AppResult<Loaded> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    if manage {
        let is_owner = principal.user_id == loaded.row.owner_id;
        // An assigned CRO sees the study only through `load`, so reaching here means assigned.
        let is_cro = principal.role == Role::Cro;
        if !(is_owner || principal.role == Role::Admin || is_cro) {
            return Err(AppError::Forbidden(
                "study records are kept by the investigator and admins".into(),
            ));
        }
        if !TRACKED.contains(&loaded.status) {
            return Err(AppError::Conflict(format!(
                "study records start once the proposal is approved (it is '{}')",
                loaded.status.as_str()
            )));
        }
    }
    Ok(loaded)
}

pub(super) fn require_admin(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

/// A milestone's name for the reader: a custom milestone's own title, else its kind translated.
pub(super) fn milestone_label(m: &MilestoneRow, lang: crate::domain::Lang) -> String {
    if m.kind == "custom" && !m.title.is_empty() {
        m.title.clone()
    } else {
        translate(lang, &format!("milestone.{}", m.kind))
    }
}
