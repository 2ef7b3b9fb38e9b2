//! After approval (docs/PRODUCT.md#study-tracking): activation gates, milestones, enrollment,
//! publications, payments, the disclosure and study exports, reminders and calendar feeds.

use chrono::NaiveDate;
use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::auth::secrets::SecretKey;
use crate::db::{self, DbConnection};
use crate::domain::Role;
use crate::domain::identifiers::{Doi, Pmid, Registry, parse_registry_id};
use crate::domain::lifecycle::Status;
use crate::domain::reminders::{ReminderStep, steps_through};
use crate::domain::study::{
    self, CSV_BOM, MILESTONE_KINDS, OWNER_ROLES, PUBLICATION_KINDS, csv_record, days_overdue,
    fiscal_year_range, payment_status, status_fits_kind,
};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Entry};
use crate::store::study::{self as store, MilestoneUpdate, NewMilestone, PaymentRow};

pub use crate::store::study::{EnrollmentRow, GatesRow, MilestoneRow, PublicationRow};
use crate::store::{msl as msl_store, proposals as proposal_store, users};
use crate::templates::translate;
pub use crate::workflows::lifecycle::missing_gates;
use crate::workflows::proposals::{self as proposals, Loaded};

const TRACKED: [Status; 3] = [Status::Approved, Status::Active, Status::Completed];

/// The caller may see the proposal; `manage` also requires its investigator or an admin and a
/// study being tracked (approved onwards).
fn load_study(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    manage: bool,
) -> AppResult<Loaded> {
    let loaded = proposals::load(conn, principal, proposal_id, ProposalAction::View)?;
    if manage {
        let is_owner = principal.user_id == loaded.row.owner_id;
        // An assigned CRO sees the study only through `load`, so reaching here means assigned.
        let is_cro = principal.role == Role::Cro;
        if !(is_owner || principal.role == Role::Admin || is_cro) {
            return Err(AppError::Forbidden(
                "study records are kept by the investigator and admins".into(),
            ));
        }
        if !TRACKED.contains(&loaded.status) {
            return Err(AppError::Conflict(format!(
                "study records start once the proposal is approved (it is '{}')",
                loaded.status.as_str()
            )));
        }
    }
    Ok(loaded)
}

fn require_admin(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

// ---------------------------------------------------------------- gates

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

// ---------------------------------------------------------------- milestones

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
        && done > db::now().date()
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

/// The activation gates of a study, for anyone who may see it.
pub fn gates(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Option<GatesRow>> {
    load_study(conn, principal, proposal_id, false)?;
    Ok(store::gates(conn, proposal_id)?)
}

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

/// The study records the proposal page shows; `loaded` was authorised by the page's load.
pub struct StudyRecords {
    pub gates: Option<GatesRow>,
    pub milestones: Vec<MilestoneRow>,
    pub enrollment: Vec<EnrollmentRow>,
    pub publications: Vec<PublicationRow>,
}

pub fn records(conn: &mut DbConnection, loaded: &Loaded) -> AppResult<StudyRecords> {
    let id = &loaded.row.id;
    Ok(StudyRecords {
        gates: store::gates(conn, id)?,
        milestones: store::milestones_of(conn, id)?,
        enrollment: store::enrollment_of(conn, id)?,
        publications: store::publications_of(conn, id)?,
    })
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

// ---------------------------------------------------------------- enrollment

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
        Some(d) if d > db::now().date() => {
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
    let latest = store::enrollment_of(conn, proposal_id)?
        .last()
        .map(|r| i64::from(r.enrolled));
    let correction = study::lowers_enrollment(latest, i64::from(count));
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

// ---------------------------------------------------------------- publications

#[derive(Debug, Clone, Default)]
pub struct PublicationInput {
    pub kind: String,
    pub title: String,
    pub venue: String,
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub congress_name: Option<String>,
    pub city: Option<String>,
    pub presented_on: Option<NaiveDate>,
}

pub fn add_publication(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    input: &PublicationInput,
) -> AppResult<PublicationRow> {
    load_study(conn, principal, proposal_id, true)?;
    if principal.role == Role::Cro {
        return Err(AppError::Forbidden(
            "publications are kept by the investigator".into(),
        ));
    }
    let mut errors = Vec::new();
    if !PUBLICATION_KINDS.contains(&input.kind.as_str()) {
        errors.push(FieldError::new(
            "kind",
            "invalid_choice",
            "manuscript or abstract",
        ));
    } else if !status_fits_kind(&input.kind, &input.status) {
        errors.push(FieldError::new(
            "status",
            "invalid_choice",
            "not a status of this kind",
        ));
    }
    if input.title.trim().is_empty() {
        errors.push(FieldError::new("title", "required", "is required"));
    }
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let doi = match text(&input.doi) {
        None => None,
        Some(raw) => match Doi::parse(&raw) {
            Ok(doi) => Some(doi.to_string()),
            Err(_) => {
                errors.push(FieldError::new(
                    "doi",
                    "doi",
                    "not a DOI (10.<registrant>/<suffix>)",
                ));
                None
            }
        },
    };
    let pmid = match text(&input.pmid) {
        None => None,
        Some(raw) => match Pmid::parse(&raw) {
            Ok(pmid) => Some(pmid.to_string()),
            Err(_) => {
                errors.push(FieldError::new(
                    "pmid",
                    "pmid",
                    "not a PubMed id (1–9 digits)",
                ));
                None
            }
        },
    };
    if input.kind == "abstract" && text(&input.congress_name).is_none() {
        errors.push(FieldError::new(
            "congress_name",
            "required",
            "an abstract names its congress",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = store::insert_publication(
        conn,
        &PublicationRow {
            id: db::new_id(),
            proposal_id: proposal_id.to_string(),
            kind: input.kind.clone(),
            title: input.title.trim().to_string(),
            venue: input.venue.trim().to_string(),
            status: input.status.clone(),
            submitted_on: input.submitted_on,
            accepted_on: input.accepted_on,
            published_on: input.published_on,
            doi,
            pmid,
            congress_name: text(&input.congress_name),
            city: text(&input.city),
            presented_on: input.presented_on,
            created_at: db::now(),
            updated_at: db::now(),
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "publication.create", "proposal", proposal_id).after(json!({
            "publication_id": row.id, "kind": row.kind, "title": row.title, "status": row.status, "doi": row.doi, "pmid": row.pmid,
        })),
    )?;
    Ok(row)
}

pub fn publications(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
) -> AppResult<Vec<PublicationRow>> {
    load_study(conn, principal, proposal_id, false)?;
    Ok(store::publications_of(conn, proposal_id)?)
}

// ---------------------------------------------------------------- payments

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

// ---------------------------------------------------------------- exports

/// Transparency disclosure (JPMA guideline, 臨床研究法 Article 33): per registry id, the
/// institution, investigator, number of contracts and total paid in the fiscal year.
pub fn disclosure_csv(
    conn: &mut DbConnection,
    principal: &Principal,
    fiscal_year: i32,
) -> AppResult<String> {
    require_admin(principal)?;
    let (from, to) = fiscal_year_range(fiscal_year)
        .ok_or_else(|| AppError::validation_one("fiscal_year", "range", "not a year"))?;
    let mut by_study: std::collections::BTreeMap<
        String,
        // The total is summed exactly (i128): rows stored before amounts were bounded must not
        // wrap into a negative total.
        (String, String, String, String, i128, String),
    > = Default::default();
    for payment in store::paid_between(conn, from, to)? {
        let row = proposal_store::find(conn, &payment.proposal_id)?;
        let content: crate::domain::proposal::ProposalContent = serde_json::from_str(&row.content)?;
        let gates = store::gates(conn, &row.id)?.unwrap_or_default();
        // One row per study and currency; studies without a registry id stay apart.
        let key = format!(
            "{}|{}|{}",
            gates.registry_id.clone().unwrap_or_default(),
            row.id,
            payment.currency
        );
        let entry = by_study.entry(key).or_insert_with(|| {
            (
                gates.registry_id.clone().unwrap_or_default(),
                row.reference.clone().unwrap_or_default(),
                content.principal_investigator.institution.clone(),
                content.principal_investigator.name.clone(),
                0,
                payment.currency.clone(),
            )
        });
        entry.4 += i128::from(payment.amount);
    }
    let mut out = String::from(CSV_BOM);
    out.push_str(&csv_record(&[
        "fiscal_year".into(),
        "registry_id".into(),
        "reference".into(),
        "institution".into(),
        "investigator".into(),
        "contracts".into(),
        "total_paid".into(),
        "currency".into(),
    ]));
    for (registry_id, reference, institution, investigator, total, currency) in
        by_study.into_values()
    {
        // One contract per study: the study agreement recorded by the contract gate.
        out.push_str(&csv_record(&[
            fiscal_year.to_string(),
            registry_id,
            reference,
            institution,
            investigator,
            "1".into(),
            total.to_string(),
            currency,
        ]));
    }
    Ok(out)
}

/// Every tracked study with its milestones (one row per milestone).
pub fn studies_csv(conn: &mut DbConnection, principal: &Principal) -> AppResult<String> {
    require_admin(principal)?;
    let today = db::now().date();
    let mut out = String::from(CSV_BOM);
    out.push_str(&csv_record(&[
        "reference".into(),
        "title".into(),
        "status".into(),
        "registry_id".into(),
        "milestone".into(),
        "due_on".into(),
        "completed_on".into(),
        "overdue_days".into(),
    ]));
    let rows = proposal_store::list(
        conn,
        &proposal_store::ListScope::All,
        &proposal_store::ListFilter {
            limit: 100_000,
            ..Default::default()
        },
    )?;
    for row in rows.into_iter().filter(|r| {
        ["approved", "active", "completed", "closed", "terminated"].contains(&r.status.as_str())
    }) {
        let gates = store::gates(conn, &row.id)?.unwrap_or_default();
        let milestones = store::milestones_of(conn, &row.id)?;
        let base = [
            row.reference.clone().unwrap_or_default(),
            row.title.clone(),
            row.status.clone(),
            gates.registry_id.clone().unwrap_or_default(),
        ];
        if milestones.is_empty() {
            let mut fields = base.to_vec();
            fields.extend([String::new(), String::new(), String::new(), String::new()]);
            out.push_str(&csv_record(&fields));
        }
        for m in milestones {
            let mut fields = base.to_vec();
            fields.extend([
                if m.kind == "custom" {
                    m.title.clone()
                } else {
                    m.kind.clone()
                },
                m.due_on.map(|d| d.to_string()).unwrap_or_default(),
                m.completed_on.map(|d| d.to_string()).unwrap_or_default(),
                days_overdue(m.due_on, m.completed_on, today)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]);
            out.push_str(&csv_record(&fields));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- reminders

fn milestone_label(m: &MilestoneRow, lang: crate::domain::Lang) -> String {
    if m.kind == "custom" && !m.title.is_empty() {
        m.title.clone()
    } else {
        translate(lang, &format!("milestone.{}", m.kind))
    }
}

/// Queues every reminder due by `today` (the schedule in docs/PRODUCT.md#reminders). Each
/// (milestone, step, recipient) has a unique outbox key, so running this often, or in several
/// processes at once, sends each reminder once. Returns how many were queued now.
pub fn queue_reminders(conn: &mut DbConnection, today: NaiveDate) -> AppResult<usize> {
    let mut queued = 0;
    for (milestone, title, reference, owner_id) in store::open_milestones(conn)? {
        let Some(due) = milestone.due_on else {
            continue;
        };
        let steps = steps_through(due, today);
        if steps.is_empty() {
            continue;
        }
        let admins = users::active_with_role(conn, Role::Admin)?;
        let mut msls = Vec::new();
        for (id, _, _) in msl_store::assigned_msls(conn, &milestone.proposal_id)? {
            msls.push(users::find(conn, &id)?);
        }
        let owner = users::find(conn, &owner_id)?;
        for step in steps {
            let recipients = if step.is_escalation() {
                msls.iter()
                    .chain(admins.iter())
                    .cloned()
                    .collect::<Vec<_>>()
            } else {
                match milestone.owner_role.as_str() {
                    "investigator" => vec![owner.clone()],
                    "msl" if !msls.is_empty() => msls.clone(),
                    _ => admins.clone(),
                }
            };
            for recipient in recipients.iter().filter(|u| u.active) {
                let lang = recipient.lang();
                let email = match &step {
                    ReminderStep::Escalation => Email::MilestoneEscalation {
                        reference: reference.clone().unwrap_or_default(),
                        title: title.clone(),
                        milestone: milestone_label(&milestone, lang),
                        due_on: due.to_string(),
                        days_overdue: (today - due).num_days(),
                        investigator: owner.display_name.clone(),
                        path: format!("/proposals/{}", milestone.proposal_id),
                    },
                    other => Email::MilestoneReminder {
                        reference: reference.clone().unwrap_or_default(),
                        title: title.clone(),
                        milestone: milestone_label(&milestone, lang),
                        due_on: due.to_string(),
                        step: match other {
                            ReminderStep::Upcoming => "upcoming",
                            ReminderStep::DueToday => "due",
                            ReminderStep::Overdue => "overdue",
                            _ => "weekly",
                        }
                        .into(),
                        days: (today - due).num_days().abs(),
                        path: format!("/proposals/{}", milestone.proposal_id),
                    },
                };
                let key = format!("milestone:{}:{}:{}", milestone.id, step.key(), recipient.id);
                if notify::enqueue_once(conn, &Recipient::of(recipient), &email, &key)? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}

/// (milestone, proposal title, reference, days overdue)
pub type OverdueMilestone = (MilestoneRow, String, Option<String>, i64);

/// Overdue milestones for the admin and MSL view (MSLs: their assigned studies only).
pub fn overdue(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
) -> AppResult<Vec<OverdueMilestone>> {
    let visible: Option<Vec<String>> = match principal.role {
        Role::Admin => None,
        Role::Msl => Some(msl_store::proposals_of_msl(conn, &principal.user_id)?),
        _ => {
            return Err(AppError::Forbidden(
                "the overdue view is for admins and MSLs".into(),
            ));
        }
    };
    Ok(store::open_milestones(conn)?
        .into_iter()
        .filter(|(m, ..)| {
            visible
                .as_ref()
                .is_none_or(|ids| ids.contains(&m.proposal_id))
        })
        .filter_map(|(m, title, reference, _)| {
            days_overdue(m.due_on, m.completed_on, today).map(|d| (m, title, reference, d))
        })
        .collect())
}

// ---------------------------------------------------------------- calendar

const CALENDAR_PURPOSE: &str = "calendar";

/// A new secret calendar URL for the caller; the old one stops working.
pub fn reset_calendar(
    conn: &mut DbConnection,
    key: &SecretKey,
    principal: &Principal,
) -> AppResult<String> {
    let token = crate::auth::secrets::random_token();
    store::set_calendar_token(
        conn,
        &principal.user_id,
        &key.mac_hex(CALENDAR_PURPOSE, &token),
    )?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "calendar.reset",
            "user",
            &principal.user_id,
        ),
    )?;
    Ok(token)
}

/// The due dates a user owns or oversees, as iCalendar text; `None` for an unknown token.
pub fn calendar_feed(
    conn: &mut DbConnection,
    key: &SecretKey,
    token: &str,
    base_url: &str,
) -> AppResult<Option<String>> {
    let Some(user_id) = store::calendar_owner(conn, &key.mac_hex(CALENDAR_PURPOSE, token))? else {
        return Ok(None);
    };
    let user = users::find(conn, &user_id)?;
    if !user.active {
        return Ok(None);
    }
    let role = user.role();
    let msl_ids = if role == Role::Msl {
        msl_store::proposals_of_msl(conn, &user.id)?
    } else {
        Vec::new()
    };
    let mut events = Vec::new();
    for (m, title, reference, owner_id) in store::open_milestones(conn)? {
        let mine = match role {
            Role::Admin => true,
            Role::Investigator => owner_id == user.id,
            Role::Msl => msl_ids.contains(&m.proposal_id),
            _ => false,
        };
        let Some(due) = m.due_on.filter(|_| mine) else {
            continue;
        };
        events.push(study::CalendarEvent {
            uid: format!("{}@liaison", m.id),
            date: due,
            summary: format!(
                "{} {}",
                reference.clone().unwrap_or_default(),
                milestone_label(&m, user.lang())
            )
            .trim()
            .to_string(),
            description: title,
            url: format!("{base_url}/proposals/{}", m.proposal_id),
        });
    }
    Ok(Some(study::icalendar("Liaison", &events, db::now())))
}
