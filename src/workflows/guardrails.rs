//! Compliance guardrails that span features (docs/COMPLIANCE.md lists each rule). Refusals
//! are `AppError::Refused`, whose audit record is committed even though the change is not.

use serde_json::json;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
use crate::store::msl;

/// MSLs never see review content (scores, comments, the decision's internals): the refusal
/// is the same, and audited the same, on the API and the web.
pub fn refuse_msl_review_content(
    principal: &Principal,
    proposal_id: &str,
    action: &str,
) -> AppResult<()> {
    if principal.role == Role::Msl {
        return Err(AppError::refused(
            &principal.user_id,
            principal.role.as_str(),
            "msl_no_confidential_review",
            "proposal",
            proposal_id,
            false,
            "MSLs never see review content",
            json!({"action": action}),
        ));
    }
    Ok(())
}

/// An MSL who advised on (or was assigned to) a proposal can never review it.
pub fn refuse_advisor_as_reviewer(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    reviewer_id: &str,
) -> AppResult<()> {
    if msl::has_advised(conn, proposal_id, reviewer_id)? {
        return Err(AppError::refused(
            &principal.user_id,
            principal.role.as_str(),
            "advisor_cannot_review",
            "proposal",
            proposal_id,
            true,
            "this person advised on the proposal as an MSL and cannot review it",
            json!({"action": "assign_reviewer", "reviewer_id": reviewer_id}),
        ));
    }
    Ok(())
}
