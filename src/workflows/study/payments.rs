//! Payments against milestones: scheduled and paid by admins, never shown beyond the committee and admins.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::study::payment_status;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store, PaymentRow};

use super::common::*;
use crate::store::study::MilestoneRow;

/// A payment with its derived status and milestone.
#[derive(Debug, Clone)]
pub struct PaymentView {
    pub row: PaymentRow,
    pub status: &'static str,
    pub milestone: Option<MilestoneRow>,
}

pub fn payment_views(conn: &mut DbConnection, proposal_id: &str) -> AppResult<Vec<PaymentView>> {
    let milestones = store::milestones_of(conn, proposal_id)?;
    Ok(store::payments_of(conn, proposal_id)?
        .into_iter()
        .map(|row| {
            let milestone = row
                .milestone_id
                .as_ref()
                .and_then(|id| milestones.iter().find(|m| &m.id == id).cloned());
            let status = payment_status(
                row.paid_on,
                row.milestone_id
                    .as_ref()
                    .map(|_| milestone.as_ref().and_then(|m| m.completed_on)),
            );
            PaymentView {
                row,
                status: status.as_str(),
                milestone,
            }
        })
        .collect())
}

pub fn payments(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<PaymentView>> {
    load_study(conn, principal, proposal_id, false)?;
    require_admin(principal)?;
    payment_views(conn, proposal_id)
}

pub fn schedule_payment(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    amount: Option<i64>,
    currency: &str,
    milestone_id: Option<&str>,
) -> AppResult<PaymentView> {
    load_study(conn, principal, proposal_id, true)?;
    require_admin(principal)?;
    let mut errors = Vec::new();
    let amount = match amount {
        Some(a) if a > crate::domain::money::AMOUNT_MAX => {
            errors.push(FieldError::new(
                "amount",
                "too_large",
                format!("must be at most {}", crate::domain::money::AMOUNT_MAX),
            ));
            0
        }
        Some(a) if a >= 0 => a,
        Some(_) => {
            errors.push(FieldError::new("amount", "range", "must not be negative"));
            0
        }
        None => {
            errors.push(FieldError::new("amount", "required", "is required"));
            0
        }
    };
    let currency = currency.trim().to_uppercase();
    if !crate::domain::proposal::CURRENCIES.contains(&currency.as_str()) {
        errors.push(FieldError::new(
            "currency",
            "invalid_choice",
            "ISO 4217 code",
        ));
    }
    let milestone_id = milestone_id.map(str::trim).filter(|m| !m.is_empty());
    if let Some(id) = milestone_id {
        match store::find_milestone(conn, id) {
            Ok(m) if m.proposal_id == proposal_id => {}
            Ok(_) | Err(diesel::result::Error::NotFound) => errors.push(FieldError::new(
                "milestone_id",
                "invalid_choice",
                "not a milestone of this study",
            )),
            Err(other) => return Err(other.into()),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_payment(conn, proposal_id, milestone_id, amount, &currency)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "payment.schedule", "proposal", proposal_id)
            .after(json!({"payment_id": row.id, "amount": amount, "currency": currency, "milestone_id": milestone_id})),
    )?;
    payment_views(conn, proposal_id)?
        .into_iter()
        .find(|p| p.row.id == row.id)
        .ok_or(AppError::NotFound)
}

pub fn mark_paid(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    payment_id: &str,
    paid_on: Option<NaiveDate>,
) -> AppResult<PaymentView> {
    load_study(conn, principal, proposal_id, true)?;
    require_admin(principal)?;
    let Some(paid_on) = paid_on else {
        return Err(AppError::validation_one(
            "paid_on",
            "required",
            "is required",
        ));
    };
    let view = payment_views(conn, proposal_id)?
        .into_iter()
        .find(|p| p.row.id == payment_id)
        .ok_or(AppError::NotFound)?;
    if view.status != "due" {
        return Err(AppError::Conflict(format!(
            "a '{}' payment cannot be marked paid",
            view.status
        )));
    }
    store::mark_paid(conn, payment_id, paid_on)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "payment.paid", "proposal", proposal_id)
            .after(json!({"payment_id": payment_id, "paid_on": paid_on})),
    )?;
    payment_views(conn, proposal_id)?
        .into_iter()
        .find(|p| p.row.id == payment_id)
        .ok_or(AppError::NotFound)
}
