//! Reviewer assignment and the conflict-of-interest declaration that comes before any review material.

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::DbConnection;
use crate::domain::lifecycle::Status;
use crate::domain::review::ConflictKind;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::review::{self as store};

use super::common::*;
use crate::store::review::AssignmentRow;
use crate::store::users;
use crate::workflows::proposals::{self as proposals};

/// The chair assigns a committee member as reviewer of the current round; the reviewer is
/// asked to declare conflicts of interest first.
pub fn assign_reviewer(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    reviewer_id: &str,
) -> AppResult<AssignmentRow> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    require_chair_or_admin(principal)?;
    if !matches!(loaded.status, Status::Submitted | Status::UnderReview) {
        return Err(AppError::Conflict(format!(
            "reviewers are assigned while a proposal is submitted or under review, not '{}'",
            loaded.status.as_str()
        )));
    }
    let Some(committee) = committee_of(conn, &loaded)? else {
        return Err(AppError::Conflict(
            "choose a committee first (start_review with committee_id)".into(),
        ));
    };
    let members = store::members(conn, &committee.id)?;
    let Some(member) = members.iter().find(|m| m.user_id == reviewer_id) else {
        return Err(AppError::validation_one(
            "reviewer_id",
            "invalid_choice",
            "not a member of the proposal's committee",
        ));
    };
    if reviewer_id == loaded.row.owner_id {
        return Err(AppError::validation_one(
            "reviewer_id",
            "invalid_choice",
            "the investigator cannot review their own proposal",
        ));
    }
    crate::workflows::guardrails::refuse_advisor_as_reviewer(
        conn,
        principal,
        proposal_id,
        reviewer_id,
    )?;
    if store::assignment_of(conn, proposal_id, loaded.row.round, reviewer_id)?.is_some() {
        return Err(AppError::Conflict(
            "this reviewer is already assigned for this round".into(),
        ));
    }
    let assignment = store::insert_assignment(
        conn,
        proposal_id,
        reviewer_id,
        loaded.row.round,
        &principal.user_id,
        "pending",
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "review.assign", "proposal", proposal_id)
            .after(json!({"reviewer_id": reviewer_id, "round": loaded.row.round, "member_role": member.member_role})),
    )?;
    let reviewer = users::find(conn, reviewer_id)?;
    notify::enqueue(
        conn,
        &Recipient::of(&reviewer),
        &Email::ReviewRequest {
            reference: loaded.row.reference.clone().unwrap_or_default(),
            title: loaded.row.title.clone(),
            path: format!("/proposals/{proposal_id}/review"),
        },
    )?;
    Ok(assignment)
}

/// What an assigned reviewer may see before declaring: title, investigator, institution,
/// product — and their own declaration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoiView {
    pub proposal_id: String,
    pub reference: Option<String>,
    pub title: String,
    pub investigator: String,
    pub institution: String,
    pub product: String,
    pub round: i32,
    /// `pending`, `none` or `conflict`.
    pub coi_status: String,
    pub coi_kind: Option<String>,
}

pub fn coi_view(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<CoiView> {
    let (row, assignment) = my_assignment(conn, principal, proposal_id)?;
    let content: crate::domain::proposal::ProposalContent = serde_json::from_str(&row.content)?;
    Ok(CoiView {
        proposal_id: row.id,
        reference: row.reference,
        title: row.title,
        investigator: content.principal_investigator.name,
        institution: content.principal_investigator.institution,
        product: row.product,
        round: row.round,
        coi_status: assignment.coi_status,
        coi_kind: assignment.coi_kind,
    })
}

/// `conflict = None` declares no conflict; a conflict needs a note and recuses for good.
pub fn declare_coi(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    conflict: Option<ConflictKind>,
    note: Option<&str>,
) -> AppResult<CoiView> {
    let (_, assignment) = my_assignment(conn, principal, proposal_id)?;
    if assignment.coi_status != "pending" {
        return Err(AppError::Conflict(
            "conflict of interest was already declared for this round".into(),
        ));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if conflict.is_some() && note.is_none() {
        return Err(AppError::validation_one(
            "note",
            "required",
            "describe the conflict",
        ));
    }
    let (status, kind) = match conflict {
        None => ("none", None),
        Some(kind) => ("conflict", Some(kind.as_str())),
    };
    if !store::declare_coi(conn, &assignment.id, status, kind, note)? {
        return Err(AppError::Conflict(
            "conflict of interest was already declared".into(),
        ));
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), "review.coi_declared", "proposal", proposal_id)
            .after(json!({"reviewer_id": principal.user_id, "round": assignment.round, "coi_status": status, "coi_kind": kind})),
    )?;
    coi_view(conn, principal, proposal_id)
}
