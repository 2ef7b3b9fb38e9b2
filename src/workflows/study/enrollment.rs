//! Enrollment: cumulative counts against the planned sample size.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::study::lowers_enrollment;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::study::EnrollmentRow;

/// The enrollment updates of a study and its planned sample size.
pub fn enrollment(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<(Vec<EnrollmentRow>, Option<i64>)> {
    let loaded = load_study(conn, principal, proposal_id, false)?;
    Ok((
        store::enrollment_of(conn, proposal_id)?,
        loaded.content.planned_sample_size,
    ))
}

pub fn add_enrollment(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    as_of: Option<NaiveDate>,
    enrolled: Option<i64>,
    correction_reason: Option<&str>,
) -> AppResult<store::EnrollmentRow> {
    load_study(conn, principal, proposal_id, true)?;
    let mut errors = Vec::new();
    match as_of {
        None => errors.push(FieldError::new("as_of", "required", "is required")),
        Some(d) if d > crate::clock::programme_today() => {
            errors.push(FieldError::new("as_of", "range", "cannot be in the future"))
        }
        Some(_) => {}
    }
    let count = match enrolled {
        None => {
            errors.push(FieldError::new("count", "required", "is required"));
            0
        }
        Some(n) if !(0..=10_000_000).contains(&n) => {
            errors.push(FieldError::new("count", "range", "must be 0 or more"));
            0
        }
        Some(n) => n as i32,
    };
    // A lower cumulative figure corrects an earlier one: only with its reason.
    let latest = store::enrollment_of(conn, proposal_id)?
        .last()
        .map(|r| i64::from(r.enrolled));
    let correction = lowers_enrollment(latest, i64::from(count));
    let reason = correction_reason.map(str::trim).filter(|r| !r.is_empty());
    if errors.is_empty() && correction {
        match reason {
            None => errors.push(FieldError::new(
                "correction_reason",
                "correction_required",
                "the count is lower than the latest recorded: give the reason for the correction",
            )),
            Some(r) if r.chars().count() > 2000 => errors.push(FieldError::new(
                "correction_reason",
                "too_long",
                "at most 2000 characters",
            )),
            Some(_) => {}
        }
    }
    let Some(as_of) = as_of.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let row = store::insert_enrollment(conn, proposal_id, as_of, count, &principal.user_id)?;
    let actor = principal.actor();
    let entry = if correction {
        Entry::new(&actor, "enrollment.correct", "proposal", proposal_id)
            .before(json!({"enrolled": latest}))
            .after(json!({"as_of": as_of, "enrolled": count}))
            .reason(reason)
    } else {
        Entry::new(&actor, "enrollment.update", "proposal", proposal_id)
            .after(json!({"as_of": as_of, "enrolled": count}))
    };
    audit::append(conn, entry)?;
    Ok(row)
}

/// (enrolled so far, planned, percent)
pub fn enrollment_progress(
    rows: &[store::EnrollmentRow],
    planned: Option<i64>,
) -> (i64, Option<i64>, Option<i64>) {
    let enrolled = rows.last().map(|r| i64::from(r.enrolled)).unwrap_or(0);
    let percent = planned.filter(|p| *p > 0).map(|p| (enrolled * 100) / p);
    (enrolled, planned, percent)
}
