//! Reviews: scores and comments saved and submitted by cleared reviewers, and the committee view of them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::Status;
use crate::domain::review::{
    self, Criterion, Outcome, default_rubric, missing_scores, proposal_score, quorum_met,
    weighted_score,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::proposals as proposal_store;
use crate::store::review::{self as store, ReviewUpdate};

use super::common::*;
use crate::store::review::{AssignmentRow, CommitteeRow, Member, rubric_of};
use crate::workflows::proposals::{self as proposals, Loaded};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub assignment_id: String,
    pub reviewer_id: String,
    /// Present only in the committee's view.
    pub reviewer_name: Option<String>,
    pub round: i32,
    pub coi_status: String,
    pub coi_kind: Option<String>,
    pub scores: BTreeMap<String, u8>,
    pub weighted_score: Option<f64>,
    #[schema(value_type = Option<String>)]
    pub recommendation: Option<Outcome>,
    pub comments_to_investigator: String,
    pub confidential_comments: String,
    pub completed: bool,
    pub version: i64,
}

fn review_view(
    assignment: &AssignmentRow,
    name: Option<String>,
    rubric: &[Criterion],
) -> ReviewView {
    let scores: BTreeMap<String, u8> = serde_json::from_str(&assignment.scores).unwrap_or_default();
    ReviewView {
        assignment_id: assignment.id.clone(),
        reviewer_id: assignment.reviewer_id.clone(),
        reviewer_name: name,
        round: assignment.round,
        coi_status: assignment.coi_status.clone(),
        coi_kind: assignment.coi_kind.clone(),
        weighted_score: weighted_score(rubric, &scores),
        scores,
        recommendation: assignment
            .recommendation
            .as_deref()
            .and_then(Outcome::parse),
        comments_to_investigator: assignment.comments_to_investigator.clone(),
        confidential_comments: assignment.confidential_comments.clone(),
        completed: assignment.completed_at.is_some(),
        version: assignment.version,
    }
}

/// A cleared reviewer's own review (and the rubric to fill it in).
pub fn my_review(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<(ReviewView, Vec<Criterion>)> {
    let (row, assignment) = my_assignment(conn, principal, proposal_id)?;
    if assignment.coi_status != "none" {
        return Err(AppError::Forbidden(
            "declare that you have no conflict of interest first".into(),
        ));
    }
    let rubric = match &row.committee_id {
        Some(id) => rubric_of(&store::find_committee(conn, id)?),
        None => default_rubric(),
    };
    Ok((review_view(&assignment, None, &rubric), rubric))
}

pub struct ReviewInput {
    pub scores: BTreeMap<String, u8>,
    pub recommendation: Option<Outcome>,
    pub comments_to_investigator: String,
    pub confidential_comments: String,
    /// Submit the review as complete (all scores and a recommendation required).
    pub complete: bool,
}

/// Saves (or completes) the caller's review; editable until the decision.
pub fn save_review(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    expected_version: i64,
    input: &ReviewInput,
) -> AppResult<ReviewView> {
    let (current, rubric) = my_review(conn, principal, proposal_id)?;
    let row = proposal_store::find(conn, proposal_id)?;
    if row.status != Status::UnderReview.as_str() {
        return Err(AppError::Conflict(
            "reviews can be changed only while the proposal is under review".into(),
        ));
    }
    if current.version != expected_version {
        return Err(AppError::PreconditionFailed);
    }
    // A submitted review stays submitted: saving it again updates it as submitted (so it must
    // stay complete); only `reopen::reopen_review` turns it back into a draft.
    let complete = input.complete || current.completed;
    let mut errors = Vec::new();
    for (key, score) in &input.scores {
        if !rubric.iter().any(|c| &c.key == key) {
            errors.push(FieldError::new(
                format!("scores.{key}"),
                "invalid_choice",
                "not a criterion of this committee's rubric",
            ));
        } else if !(review::MIN_SCORE..=review::MAX_SCORE).contains(score) {
            errors.push(FieldError::new(
                format!("scores.{key}"),
                "range",
                "scores are 1 to 5",
            ));
        }
    }
    if complete {
        for key in missing_scores(&rubric, &input.scores) {
            if !input.scores.contains_key(&key) {
                errors.push(FieldError::new(
                    format!("scores.{key}"),
                    "required",
                    "score every criterion",
                ));
            }
        }
        if input.recommendation.is_none() {
            errors.push(FieldError::new("recommendation", "required", "is required"));
        }
    }
    for (field, text) in [
        ("comments_to_investigator", &input.comments_to_investigator),
        ("confidential_comments", &input.confidential_comments),
    ] {
        if text.chars().count() > 20_000 {
            errors.push(FieldError::new(
                field,
                "too_long",
                "must be at most 20000 characters",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let scores_json = serde_json::to_string(&input.scores)?;
    let completed_at = complete.then(db::now);
    if !store::save_review(
        conn,
        &current.assignment_id,
        expected_version,
        &ReviewUpdate {
            scores_json: &scores_json,
            recommendation: input.recommendation.map(Outcome::as_str),
            comments_to_investigator: &input.comments_to_investigator,
            confidential_comments: &input.confidential_comments,
            completed_at,
        },
    )? {
        return Err(AppError::PreconditionFailed);
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), if complete { "review.complete" } else { "review.save" }, "proposal", proposal_id)
            .before(json!({"scores": current.scores, "recommendation": current.recommendation, "completed": current.completed}))
            .after(json!({
                "assignment_id": current.assignment_id,
                "scores": input.scores,
                "recommendation": input.recommendation,
                "comments_to_investigator": input.comments_to_investigator,
                "confidential_comments": input.confidential_comments,
                "completed": complete,
            })),
    )?;
    Ok(my_review(conn, principal, proposal_id)?.0)
}

/// The committee's view of every review of the current round (chair and admins only).
pub struct CommitteeView {
    pub loaded: Loaded,
    pub committee: Option<CommitteeRow>,
    pub rubric: Vec<Criterion>,
    pub reviews: Vec<ReviewView>,
    pub score: Option<f64>,
    pub completed: usize,
    pub quorum_met: bool,
    pub members: Vec<Member>,
}

pub fn committee_view(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<CommitteeView> {
    // The MSL must be able to see the proposal to learn anything at all.
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    crate::workflows::guardrails::refuse_msl_review_content(
        principal,
        proposal_id,
        "read_reviews",
    )?;
    require_chair_or_admin(principal)?;
    let committee = committee_of(conn, &loaded)?;
    let rubric = committee
        .as_ref()
        .map(rubric_of)
        .unwrap_or_else(default_rubric);
    let reviews: Vec<ReviewView> = store::assignments(conn, proposal_id, loaded.row.round)?
        .into_iter()
        .map(|(a, name)| review_view(&a, Some(name), &rubric))
        .collect();
    let scores: Vec<f64> = reviews
        .iter()
        .filter(|r| r.completed && r.coi_status == "none")
        .filter_map(|r| r.weighted_score)
        .collect();
    let completed = scores.len();
    let quorum = committee
        .as_ref()
        .map(|c| c.quorum)
        .unwrap_or(review::DEFAULT_QUORUM);
    let members = match &committee {
        Some(c) => store::members(conn, &c.id)?,
        None => Vec::new(),
    };
    Ok(CommitteeView {
        score: proposal_score(&scores),
        quorum_met: quorum_met(completed, quorum),
        loaded,
        committee,
        rubric,
        reviews,
        completed,
        members,
    })
}
