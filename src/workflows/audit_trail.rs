//! A proposal's audit trail as its reader may see it: the stored chain is never changed, each
//! record is projected for the reader's audience (`domain::visibility`).

use chrono::NaiveDateTime;
use serde_json::Value;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::visibility::{Audience, project_audit_record};
use crate::error::{AppError, AppResult};
use crate::store::audit;
use crate::workflows::proposals;

/// One record as the reader may see it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: NaiveDateTime,
    /// `None` for the system, and for committee members the reader may not know.
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
    /// The stored record's chain hash, for audiences that see the whole record: a hash of a
    /// record with fields removed would let a reader guess them (five scores of 1 to 5 are
    /// only 3,125 candidates).
    pub hash: Option<String>,
}

/// The trail of proposal `id` for `principal` (its owner or an admin).
pub fn for_proposal(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<Vec<AuditEntry>> {
    let loaded = proposals::load(conn, principal, id, ProposalAction::ViewAudit)?;
    // The policy lets only the owner and admins this far.
    let audience = loaded.access.audience();
    if !matches!(audience, Audience::Admin | Audience::Investigator) {
        return Err(AppError::Forbidden(
            "only the proposal's investigator and admins read its audit trail".into(),
        ));
    }
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    Ok(audit::for_entity(conn, "proposal", id)?
        .into_iter()
        .filter_map(|record| {
            let projected = project_audit_record(
                audience,
                &record.action,
                record.actor_role.as_deref(),
                parse(record.before_json),
                parse(record.after_json),
                record.reason,
            )?;
            Some(AuditEntry {
                seq: record.seq,
                at: record.at,
                actor_id: record.actor_id.filter(|_| projected.actor_shown),
                actor_role: record.actor_role,
                action: record.action,
                before: projected.before,
                after: projected.after,
                reason: projected.reason,
                hash: (audience == Audience::Admin).then_some(record.hash),
            })
        })
        .collect())
}
