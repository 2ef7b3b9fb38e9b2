//! Study milestones: planned, updated, completed, each change audited and published to the assigned CROs.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::study::{MILESTONE_KINDS, OWNER_ROLES};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store, MilestoneUpdate, NewMilestone};

use super::common::*;
use crate::store::study::MilestoneRow;

pub struct MilestoneInput {
    pub kind: String,
    pub title: String,
    pub due_on: Option<NaiveDate>,
    pub owner_role: String,
    pub note: String,
}

pub fn add_milestone(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &MilestoneInput,
) -> AppResult<MilestoneRow> {
    load_study(conn, principal, proposal_id, true)?;
    let mut errors = Vec::new();
    if !MILESTONE_KINDS.contains(&input.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "unknown milestone kind",
        ));
    }
    if input.kind == "custom" && input.title.trim().is_empty() {
        errors.push(FieldError::new(
            "title",
            "required",
            "a custom milestone needs a title",
        ));
    }
    if !OWNER_ROLES.contains(&input.owner_role.as_str()) {
        errors.push(FieldError::new(
            "owner_role",
            "invalid_choice",
            "investigator, msl, admin or cro",
        ));
    }
    if input.due_on.is_none() {
        errors.push(FieldError::new("due_on", "required", "is required"));
    }
    if input.title.chars().count() > 200 {
        errors.push(FieldError::new(
            "title",
            "too_long",
            "must be at most 200 characters",
        ));
    }
    if input.note.chars().count() > 2000 {
        errors.push(FieldError::new(
            "note",
            "too_long",
            "must be at most 2000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_milestone(
        conn,
        &NewMilestone {
            proposal_id,
            kind: &input.kind,
            title: input.title.trim(),
            due_on: input.due_on,
            owner_role: &input.owner_role,
            note: input.note.trim(),
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "milestone.create", "proposal", proposal_id).after(json!({
            "milestone_id": row.id, "kind": row.kind, "title": row.title, "due_on": row.due_on, "owner_role": row.owner_role,
        })),
    )?;
    crate::workflows::webhook_events::publish(
        conn,
        proposal_id,
        "milestone.created",
        milestone_event(&row),
    )?;
    Ok(row)
}

/// What a milestone update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct MilestoneChange {
    pub due_on: Option<Option<NaiveDate>>,
    pub completed_on: Option<Option<NaiveDate>>,
    pub note: Option<String>,
}

pub fn update_milestone(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    milestone_id: &str,
    expected_version: i64,
    change: MilestoneChange,
) -> AppResult<MilestoneRow> {
    load_study(conn, principal, proposal_id, true)?;
    let MilestoneChange {
        due_on,
        completed_on,
        note,
    } = change;
    let current = store::find_milestone(conn, milestone_id)?;
    if current.proposal_id != proposal_id {
        return Err(AppError::NotFound);
    }
    if current.version != expected_version {
        return Err(AppError::PreconditionFailed);
    }
    if let Some(Some(done)) = completed_on
        && done > crate::clock::programme_today()
    {
        return Err(AppError::validation_one(
            "completed_on",
            "range",
            "cannot be in the future",
        ));
    }
    let update = MilestoneUpdate {
        due_on: due_on.unwrap_or(current.due_on),
        completed_on: completed_on.unwrap_or(current.completed_on),
        note: note.as_deref().unwrap_or(&current.note),
    };
    if !store::update_milestone(conn, milestone_id, expected_version, &update)? {
        return Err(AppError::PreconditionFailed);
    }
    let after = store::find_milestone(conn, milestone_id)?;
    crate::workflows::webhook_events::publish(
        conn,
        proposal_id,
        "milestone.updated",
        milestone_event(&after),
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "milestone.update", "proposal", proposal_id)
            .before(json!({"milestone_id": current.id, "due_on": current.due_on, "completed_on": current.completed_on, "note": current.note}))
            .after(json!({"milestone_id": after.id, "due_on": after.due_on, "completed_on": after.completed_on, "note": after.note})),
    )?;
    Ok(after)
}

/// The current version of a milestone of this study (for a web form that completes it).
pub fn milestone_version(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    milestone_id: &str,
) -> AppResult<i64> {
    load_study(conn, principal, proposal_id, false)?;
    let milestone = store::find_milestone(conn, milestone_id)?;
    if milestone.proposal_id != proposal_id {
        return Err(AppError::NotFound);
    }
    Ok(milestone.version)
}

pub fn milestones(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<MilestoneRow>> {
    load_study(conn, principal, proposal_id, false)?;
    Ok(store::milestones_of(conn, proposal_id)?)
}

fn milestone_event(m: &MilestoneRow) -> serde_json::Value {
    json!({
        "proposal_id": m.proposal_id, "milestone_id": m.id, "kind": m.kind, "title": m.title,
        "due_on": m.due_on, "completed_on": m.completed_on,
    })
}
