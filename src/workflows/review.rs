//! Review use cases: committees, reviewer assignment, conflict-of-interest-first access,
//! reviews, decisions and the ranked list. Every change is audited in its transaction.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::auth::policy::{self, ProposalAction};
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::domain::review::{
    self, ConflictKind, Criterion, Outcome, default_rubric, missing_scores, proposal_score,
    quorum_met, weighted_score,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::proposals as proposal_store;
use crate::store::review::{self as store, DecisionRow, ReviewUpdate};

pub use crate::store::review::{AssignmentRow, CommitteeRow, Member, ReviewerAssignment};
use crate::store::users;
use crate::workflows::proposals::{self as proposals, Loaded, TransitionExtras};

pub fn rubric_of(committee: &CommitteeRow) -> Vec<Criterion> {
    serde_json::from_str(&committee.rubric).unwrap_or_else(|_| default_rubric())
}

// ---------------------------------------------------------------- committees

pub struct CommitteeInput<'a> {
    pub name: &'a str,
    pub quorum: i32,
    /// (user id, `reviewer` | `chair`)
    pub members: &'a [(String, String)],
}

fn validate_committee(conn: &mut DbConnection, input: &CommitteeInput<'_>) -> AppResult<()> {
    let mut errors = Vec::new();
    let name_chars = input.name.trim().chars().count();
    if name_chars == 0 {
        errors.push(FieldError::new("name", "required", "is required"));
    } else if name_chars > 200 {
        errors.push(FieldError::new(
            "name",
            "too_long",
            "must be at most 200 characters",
        ));
    }
    if !(1..=50).contains(&input.quorum) {
        errors.push(FieldError::new(
            "quorum",
            "range",
            "must be between 1 and 50",
        ));
    }
    for (i, (user_id, role)) in input.members.iter().enumerate() {
        let field = format!("members[{i}]");
        if role != "reviewer" && role != "chair" {
            errors.push(FieldError::new(
                &field,
                "invalid_choice",
                "role must be reviewer or chair",
            ));
            continue;
        }
        match users::find(conn, user_id) {
            // Only review-committee staff sit on a committee: never an MSL or an investigator.
            Ok(user) if user.active && matches!(user.role(), Role::Reviewer | Role::Chair) => {}
            Ok(_) => errors.push(FieldError::new(
                &field,
                "invalid_choice",
                "members must be active users with the reviewer or chair role",
            )),
            Err(diesel::result::Error::NotFound) => {
                errors.push(FieldError::new(&field, "invalid_choice", "no such user"))
            }
            Err(other) => return Err(other.into()),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

pub fn create_committee(
    conn: &mut DbConnection,
    principal: &Principal,
    input: &CommitteeInput<'_>,
) -> AppResult<CommitteeRow> {
    policy::manage_users(principal).require()?;
    validate_committee(conn, input)?;
    let rubric = serde_json::to_string(&default_rubric())?;
    let committee = store::insert_committee(conn, input.name.trim(), input.quorum, &rubric)?;
    store::set_members(conn, &committee.id, input.members)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "committee.create", "committee", &committee.id).after(json!({
            "name": committee.name, "quorum": committee.quorum, "members": input.members, "rubric": default_rubric(),
        })),
    )?;
    Ok(committee)
}

pub fn update_committee(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    expected_version: i64,
    input: &CommitteeInput<'_>,
) -> AppResult<CommitteeRow> {
    policy::manage_users(principal).require()?;
    let before = store::find_committee(conn, id)?;
    let before_members = store::members(conn, id)?;
    validate_committee(conn, input)?;
    if !store::update_committee(conn, id, expected_version, input.name.trim(), input.quorum)? {
        return Err(AppError::PreconditionFailed);
    }
    store::set_members(conn, id, input.members)?;
    let members_before: Vec<(String, String)> = before_members
        .iter()
        .map(|m| (m.user_id.clone(), m.member_role.clone()))
        .collect();
    audit::append(
        conn,
        Entry::new(&principal.actor(), "committee.update", "committee", id)
            .before(json!({"name": before.name, "quorum": before.quorum, "members": members_before}))
            .after(json!({"name": input.name.trim(), "quorum": input.quorum, "members": input.members})),
    )?;
    Ok(store::find_committee(conn, id)?)
}

/// Committees are visible to admins and chairs.
/// Every committee with its members (chairs and admins).
pub fn committees(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<(CommitteeRow, Vec<Member>)>> {
    require_committee_reader(principal)?;
    store::list_committees(conn)?
        .into_iter()
        .map(|c| {
            let members = store::members(conn, &c.id)?;
            Ok((c, members))
        })
        .collect()
}

/// One committee with its members (chairs and admins).
pub fn committee(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
) -> AppResult<(CommitteeRow, Vec<Member>)> {
    require_committee_reader(principal)?;
    let committee = store::find_committee(conn, id)?;
    let members = store::members(conn, id)?;
    Ok((committee, members))
}

/// The caller's assignments in each proposal's current round, newest first (their dashboard).
pub fn my_assignments(
    conn: &mut DbConnection,
    principal: &Principal,
) -> AppResult<Vec<ReviewerAssignment>> {
    Ok(store::assignments_of_reviewer(conn, &principal.user_id)?)
}

/// Whether the caller reviews the current round of `loaded`.
pub fn is_reviewing(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: &Loaded,
) -> AppResult<bool> {
    Ok(store::assignment_of(conn, &loaded.row.id, loaded.row.round, &principal.user_id)?.is_some())
}

/// The name of the reviewer of an assignment the caller could make or see.
pub fn reviewer_name(conn: &mut DbConnection, assignment: &AssignmentRow) -> AppResult<String> {
    Ok(users::find(conn, &assignment.reviewer_id)?.display_name)
}

/// What an assigned reviewer works on: the proposal as it is now, and (once cleared of
/// conflicts) the changes since the previous round.
pub struct ReviewMaterial {
    pub row: proposal_store::ProposalRow,
    pub content: Option<crate::domain::proposal::ProposalContent>,
    pub changes: Vec<crate::domain::proposal::FieldChange>,
}

pub fn review_material(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<ReviewMaterial> {
    let coi = coi_view(conn, principal, proposal_id)?;
    let row = proposal_store::find(conn, proposal_id)?;
    if coi.coi_status != "none" {
        return Ok(ReviewMaterial {
            row,
            content: None,
            changes: Vec::new(),
        });
    }
    let content: crate::domain::proposal::ProposalContent = serde_json::from_str(&row.content)?;
    let rounds = proposal_store::rounds(conn, proposal_id)?;
    let changes = match rounds.iter().find(|r| r.round == row.round - 1) {
        Some(previous) => {
            crate::domain::proposal::diff(&serde_json::from_str(&previous.content)?, &content)
        }
        None => Vec::new(),
    };
    Ok(ReviewMaterial {
        row,
        content: Some(content),
        changes,
    })
}

/// Committee members named by email (`members[i]` is the field of line `i`): their user ids
/// with their roles, or every unknown address as a field error.
pub fn members_by_email(
    conn: &mut DbConnection,
    lines: &[(String, String)],
) -> AppResult<Vec<(String, String)>> {
    let mut members = Vec::new();
    let mut unknown = Vec::new();
    for (i, (email, role)) in lines.iter().enumerate() {
        match users::find_by_email(conn, email)? {
            Some(user) => members.push((user.id, role.clone())),
            None => unknown.push(FieldError::new(
                format!("members[{i}]"),
                "invalid_choice",
                "no such user",
            )),
        }
    }
    if unknown.is_empty() {
        Ok(members)
    } else {
        Err(AppError::Validation(unknown))
    }
}

pub fn require_committee_reader(principal: &Principal) -> AppResult<()> {
    if matches!(principal.role, Role::Admin | Role::Chair) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "committees are visible to chairs and admins".into(),
        ))
    }
}

// ---------------------------------------------------------------- assignment and COI

fn committee_of(conn: &mut DbConnection, loaded: &Loaded) -> AppResult<Option<CommitteeRow>> {
    match &loaded.row.committee_id {
        Some(id) => Ok(Some(store::find_committee(conn, id)?)),
        None => Ok(None),
    }
}

fn require_chair_or_admin(principal: &Principal) -> AppResult<()> {
    if matches!(principal.role, Role::Chair | Role::Admin) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "only the chair or an admin may do this".into(),
        ))
    }
}

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

/// The caller's assignment for the current round; `NotFound` when there is none (so the
/// proposal's existence is not revealed to unassigned staff).
fn my_assignment(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<(proposal_store::ProposalRow, AssignmentRow)> {
    let row = proposal_store::find(conn, proposal_id)?;
    let assignment = store::assignment_of(conn, proposal_id, row.round, &principal.user_id)?
        .ok_or(AppError::NotFound)?;
    Ok((row, assignment))
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

// ---------------------------------------------------------------- reviews

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
    // stay complete); only `review_reopen::reopen_review` turns it back into a draft.
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

/// Quorum of the current round, for the lifecycle guard.
pub fn quorum_facts(conn: &mut DbConnection, row: &proposal_store::ProposalRow) -> AppResult<bool> {
    let Some(committee_id) = &row.committee_id else {
        return Ok(false);
    };
    let committee = store::find_committee(conn, committee_id)?;
    let rubric = rubric_of(&committee);
    let completed = store::assignments(conn, &row.id, row.round)?
        .iter()
        .filter(|(a, _)| a.coi_status == "none" && a.completed_at.is_some())
        .filter(|(a, _)| {
            let scores: BTreeMap<String, u8> = serde_json::from_str(&a.scores).unwrap_or_default();
            weighted_score(&rubric, &scores).is_some()
        })
        .count();
    Ok(quorum_met(completed, committee.quorum))
}

/// After a revise-and-resubmit, the reviewers who were cleared stay on for the next round
/// (their declaration carries over; their review starts empty).
pub fn carry_over_assignments(
    conn: &mut DbConnection,
    proposal_id: &str,
    new_round: i32,
    actor_id: &str,
) -> AppResult<()> {
    if new_round <= 1 {
        return Ok(());
    }
    for (assignment, _) in store::assignments(conn, proposal_id, new_round - 1)? {
        if assignment.coi_status == "none"
            && store::assignment_of(conn, proposal_id, new_round, &assignment.reviewer_id)?
                .is_none()
        {
            store::insert_assignment(
                conn,
                proposal_id,
                &assignment.reviewer_id,
                new_round,
                actor_id,
                "none",
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- decisions

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
    let round = before.row.round;
    let after = proposals::transition_with(
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedProposal {
    pub id: String,
    pub reference: Option<String>,
    pub title: String,
    pub investigator: String,
    pub score: Option<f64>,
    pub completed: usize,
    pub assigned: usize,
    pub quorum: i32,
}

/// Proposals under review, best weighted score first (unscored last).
pub fn ranking(conn: &mut DbConnection, principal: &Principal) -> AppResult<Vec<RankedProposal>> {
    require_chair_or_admin(principal)?;
    let rows = proposal_store::list(
        conn,
        &proposal_store::ListScope::All,
        &proposal_store::ListFilter {
            status: Some(Status::UnderReview.as_str().into()),
            limit: 1000,
            ..Default::default()
        },
    )?;
    let mut ranked = Vec::new();
    for row in rows {
        // A proposal the caller is recused from (or otherwise may not see) is left out of
        // their ranking; it does not deny them the rest.
        let view = match committee_view(conn, principal, &row.id) {
            Ok(view) => view,
            Err(AppError::NotFound | AppError::Forbidden(_)) => continue,
            Err(other) => return Err(other),
        };
        ranked.push(RankedProposal {
            investigator: view.loaded.content.principal_investigator.name.clone(),
            id: row.id,
            reference: row.reference,
            title: row.title,
            score: view.score,
            completed: view.completed,
            assigned: view
                .reviews
                .iter()
                .filter(|r| r.coi_status != "conflict")
                .count(),
            quorum: view
                .committee
                .map(|c| c.quorum)
                .unwrap_or(review::DEFAULT_QUORUM),
        });
    }
    ranked.sort_by(|a, b| {
        b.score
            .unwrap_or(f64::MIN)
            .total_cmp(&a.score.unwrap_or(f64::MIN))
    });
    Ok(ranked)
}
