//! Decisions: recorded by the chair or an admin with their rationale, and what the investigator is shown of them.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::review::{self, Outcome};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::review::{self as store, DecisionRow};

use crate::store::users;
use crate::workflows::lifecycle::TransitionExtras;
use crate::workflows::proposals::{self as proposals};

use super::common::require_chair_or_admin;

pub struct DecisionInput {
    pub outcome: Outcome,
    pub rationale: String,
    pub conditions: Vec<String>,
    pub quorum_override_reason: Option<String>,
}

/// Records the chair's decision: the lifecycle transition (quorum or override), the decision
/// record, and the letter to the investigator — comments to the investigator only, never
/// reviewer names or confidential comments.
pub fn decide(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &DecisionInput,
) -> AppResult<DecisionRow> {
    let issues = review::decision_issues(input.outcome, &input.rationale, &input.conditions);
    if !issues.is_empty() {
        return Err(AppError::Validation(
            issues
                .into_iter()
                .map(|(field, code)| {
                    FieldError::new(
                        field,
                        code,
                        if code == "required" {
                            "is required"
                        } else {
                            "only for approve_with_conditions"
                        },
                    )
                })
                .collect(),
        ));
    }
    let conditions: Vec<String> = input
        .conditions
        .iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect();
    let override_reason = input
        .quorum_override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let before = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    // Who may decide is answered before whether a decision is possible now.
    require_chair_or_admin(principal)?;
    let round = before.row.round;
    let after = crate::workflows::lifecycle::transition_with(
        conn,
        principal,
        proposal_id,
        input.outcome.action(),
        &TransitionExtras {
            reason: Some(input.rationale.trim()),
            committee_id: None,
            quorum_override_reason: override_reason,
        },
        None,
    )?;
    let decision = store::insert_decision(
        conn,
        &store::NewDecision {
            proposal_id,
            round,
            outcome: input.outcome.as_str(),
            rationale: input.rationale.trim(),
            conditions_json: &serde_json::to_string(&conditions)?,
            quorum_override_reason: override_reason,
            decided_by: &principal.user_id,
        },
    )?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "review.decision",
            "proposal",
            proposal_id,
        )
        .after(json!({
            "decision_id": decision.id, "outcome": decision.outcome, "round": round,
            "rationale": decision.rationale, "conditions": conditions,
            "quorum_override_reason": override_reason,
        }))
        .reason(override_reason),
    )?;
    let owner = users::find(conn, &after.row.owner_id)?;
    let comments = comments_to_investigator(conn, proposal_id, round)?;
    notify::enqueue(
        conn,
        &Recipient::of(&owner),
        &Email::Decision {
            reference: after.row.reference.clone().unwrap_or_default(),
            title: after.row.title.clone(),
            outcome: decision.outcome.clone(),
            rationale: decision.rationale.clone(),
            conditions,
            comments,
            path: format!("/proposals/{proposal_id}"),
            proposal_id: proposal_id.to_string(),
        },
    )?;
    Ok(decision)
}

/// Completed reviews' comments to the investigator, without names.
pub fn comments_to_investigator(
    conn: &mut DbConnection,
    proposal_id: &str,
    round: i32,
) -> AppResult<Vec<String>> {
    Ok(store::assignments(conn, proposal_id, round)?
        .into_iter()
        .filter(|(a, _)| a.coi_status == "none" && a.completed_at.is_some())
        .map(|(a, _)| a.comments_to_investigator.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect())
}

/// The decision as the caller may see it: the investigator's version has no override reason
/// and no names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DecisionView {
    #[schema(value_type = String)]
    pub outcome: Outcome,
    pub rationale: String,
    pub conditions: Vec<String>,
    /// Reviewers' comments to the investigator, anonymous.
    pub comments: Vec<String>,
    pub round: i32,
    pub decided_at: chrono::DateTime<chrono::Utc>,
    /// Committee view only.
    pub quorum_override_reason: Option<String>,
    /// Committee view only.
    pub decided_by: Option<String>,
}

pub fn decision_view(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Option<DecisionView>> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    decision_view_of(conn, principal, &loaded)
}

/// [`decision_view`] of a proposal the caller has already loaded for viewing, so that a page
/// built from one load does not load it again.
pub fn decision_view_of(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: &proposals::Loaded,
) -> AppResult<Option<DecisionView>> {
    let proposal_id = loaded.row.id.as_str();
    let committee_view = matches!(principal.role, Role::Chair | Role::Admin);
    let is_owner = principal.user_id == loaded.row.owner_id;
    if !committee_view && !is_owner {
        return Err(AppError::Forbidden(
            "decisions are shown to the investigator and the committee".into(),
        ));
    }
    let Some(decision) = store::latest_decision(conn, proposal_id)? else {
        return Ok(None);
    };
    let decided_by = if committee_view {
        Some(users::find(conn, &decision.decided_by)?.display_name)
    } else {
        None
    };
    Ok(Some(DecisionView {
        outcome: Outcome::parse(&decision.outcome).unwrap_or(Outcome::Defer),
        rationale: decision.rationale.clone(),
        conditions: serde_json::from_str(&decision.conditions).unwrap_or_default(),
        comments: comments_to_investigator(conn, proposal_id, decision.round)?,
        round: decision.round,
        decided_at: decision.decided_at.and_utc(),
        quorum_override_reason: if committee_view {
            decision.quorum_override_reason
        } else {
            None
        },
        decided_by,
    }))
}
