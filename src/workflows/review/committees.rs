//! Committees (members, quorum, rubric) and what a reviewer is working on.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy::{self};
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::review::default_rubric;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::proposals as proposal_store;
use crate::store::review::{self as store};

use super::assignment::coi_view;
use crate::store::review::{AssignmentRow, CommitteeRow, Member, ReviewerAssignment};
use crate::store::users;
use crate::workflows::proposals::Loaded;

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
