//! A reviewer takes back a submitted review to change it as a draft: only on request (never as
//! a side effect of saving), only before the committee's decision, and audited. A reopened
//! review no longer counts towards the quorum until it is submitted again.

use serde_json::json;

use super::{ReviewView, my_review};
use crate::auth::Principal;
use crate::domain::lifecycle::Status;
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Entry};
use crate::store::proposals as proposal_store;
use crate::store::review::{self as store, ReviewUpdate};

pub fn reopen_review(
    conn: &mut crate::db::DbConnection,
    principal: &Principal,
    proposal_id: &str,
    expected_version: i64,
) -> AppResult<ReviewView> {
    let (current, _) = my_review(conn, principal, proposal_id)?;
    let row = proposal_store::find(conn, proposal_id)?;
    if row.status != Status::UnderReview.as_str() {
        return Err(AppError::Conflict(
            "a review can be reopened only before the committee's decision".into(),
        ));
    }
    if current.version != expected_version {
        return Err(AppError::PreconditionFailed);
    }
    if !current.completed {
        return Ok(current);
    }
    let scores_json = serde_json::to_string(&current.scores)?;
    if !store::save_review(
        conn,
        &current.assignment_id,
        expected_version,
        &ReviewUpdate {
            scores_json: &scores_json,
            recommendation: current.recommendation.map(|o| o.as_str()),
            comments_to_investigator: &current.comments_to_investigator,
            confidential_comments: &current.confidential_comments,
            completed_at: None,
        },
    )? {
        return Err(AppError::PreconditionFailed);
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), "review.reopen", "proposal", proposal_id)
            .before(json!({"assignment_id": current.assignment_id, "completed": true}))
            .after(json!({"assignment_id": current.assignment_id, "completed": false})),
    )?;
    Ok(my_review(conn, principal, proposal_id)?.0)
}
