//! Activation gates: contract, ethics approval and registration, the conditions of activation.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::db::{self, DbConnection};
use crate::domain::identifiers::{Registry, parse_registry_id};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::study::GatesRow;

#[derive(Debug, Clone, Default)]
pub struct GatesInput {
    pub contract_signed_on: Option<NaiveDate>,
    pub ethics_committee: Option<String>,
    pub ethics_approved_on: Option<NaiveDate>,
    pub ethics_approval_number: Option<String>,
    pub registry: Option<String>,
    pub registry_id: Option<String>,
}

pub fn save_gates(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &GatesInput,
) -> AppResult<GatesRow> {
    load_study(conn, principal, proposal_id, true)?;
    require_admin(principal)?;
    let clean = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut errors = Vec::new();
    let registry = clean(&input.registry);
    let registry_id = clean(&input.registry_id);
    let normalised_id = match (&registry, &registry_id) {
        (Some(r), Some(id)) => match r.parse::<Registry>() {
            Ok(registry) => match parse_registry_id(registry, id) {
                Ok(normalised) => Some(normalised),
                Err(e) => {
                    errors.push(FieldError::new(
                        "registry_id",
                        "registry_id",
                        format!("not a valid {r} id ({})", e.code()),
                    ));
                    None
                }
            },
            Err(_) => {
                errors.push(FieldError::new(
                    "registry",
                    "invalid_choice",
                    "jrct, nct, umin or other",
                ));
                None
            }
        },
        (None, Some(_)) => {
            errors.push(FieldError::new(
                "registry",
                "required",
                "name the registry of this id",
            ));
            None
        }
        _ => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let before = store::gates(conn, proposal_id)?;
    let row = GatesRow {
        proposal_id: proposal_id.to_string(),
        contract_signed_on: input.contract_signed_on,
        ethics_committee: clean(&input.ethics_committee),
        ethics_approved_on: input.ethics_approved_on,
        ethics_approval_number: clean(&input.ethics_approval_number),
        registry: registry.filter(|_| normalised_id.is_some()),
        registry_id: normalised_id,
        updated_at: db::now(),
    };
    store::save_gates(conn, &row)?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "study.gates", "proposal", proposal_id)
            .before(json!(before.map(|g| gates_json(&g))))
            .after(gates_json(&row)),
    )?;
    Ok(row)
}

pub fn gates_json(g: &GatesRow) -> serde_json::Value {
    json!({
        "contract_signed_on": g.contract_signed_on, "ethics_committee": g.ethics_committee,
        "ethics_approved_on": g.ethics_approved_on, "ethics_approval_number": g.ethics_approval_number,
        "registry": g.registry, "registry_id": g.registry_id,
    })
}

/// The activation gates of a study, for anyone who may see it.
pub fn gates(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Option<GatesRow>> {
    load_study(conn, principal, proposal_id, false)?;
    Ok(store::gates(conn, proposal_id)?)
}
