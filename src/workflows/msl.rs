//! MSL protocol support: assignment, advice threads, the interaction log and documents.

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::lifecycle::Status;
use crate::error::AppResult;
use crate::store::msl as store;
use crate::store::proposals::{self as proposal_store, ProposalRow};

/// The proposals an MSL may see: assigned, and either submitted or a draft whose investigator
/// asked for advice.
pub fn visible_proposals(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<ProposalRow>> {
    let mut rows = Vec::new();
    for id in store::proposals_of_msl(conn, &principal.user_id)? {
        let row = proposal_store::find(conn, &id)?;
        if row.status != Status::Draft.as_str() || row.advice_requested_at.is_some() {
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(rows)
}
