//! The review records every review use case works with.

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::proposals as proposal_store;
use crate::store::review::{self as store};

pub use crate::store::review::{
    AssignmentRow, CommitteeRow, Member, ReviewerAssignment, rubric_of,
};
use crate::workflows::proposals::Loaded;

pub(super) fn committee_of(
    conn: &mut DbConnection,
    loaded: &Loaded,
) -> AppResult<Option<CommitteeRow>> {
    match &loaded.row.committee_id {
        Some(id) => Ok(Some(store::find_committee(conn, id)?)),
        None => Ok(None),
    }
}

pub(super) fn require_chair_or_admin(principal: &Principal) -> AppResult<()> {
    if matches!(principal.role, Role::Chair | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the chair or an admin may do this".into(),
        ))
    }
}

/// The caller's assignment for the current round; `NotFound` when there is none (so the
/// proposal's existence is not revealed to unassigned staff).
pub(super) fn my_assignment(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<(proposal_store::ProposalRow, AssignmentRow)> {
    let row = proposal_store::find(conn, proposal_id)?;
    let assignment = store::assignment_of(conn, proposal_id, row.round, &principal.user_id)?
        .ok_or(AppError::NotFound)?;
    Ok((row, assignment))
}
