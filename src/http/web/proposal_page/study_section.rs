//! The study part of the proposal page: gates, milestones, enrollment, publications and,
//! for admins, payments.

use serde_json::{Value, json};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::domain::study::{
    MILESTONE_KINDS, OWNER_ROLES, PUBLICATION_KINDS, PUBLICATION_STATUSES, days_overdue,
};
use crate::error::AppResult;
use crate::workflows::proposals::Loaded;
use crate::workflows::study as workflow;

/// The `study` context of the proposal page, once the proposal is approved.
pub fn section(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: &Loaded,
) -> AppResult<Value> {
    if !matches!(
        loaded.status,
        Status::Approved | Status::Active | Status::Completed | Status::Closed | Status::Terminated
    ) {
        return Ok(Value::Null);
    }
    let id = &loaded.row.id;
    let today = crate::clock::programme_today();
    let is_owner = principal.user_id == loaded.row.owner_id;
    let is_admin = principal.role == Role::Admin;
    let open = matches!(
        loaded.status,
        Status::Approved | Status::Active | Status::Completed
    );
    let workflow::StudyRecords {
        gates,
        milestones,
        enrollment,
        publications,
    } = workflow::records(conn, loaded)?;
    let missing = workflow::missing_gates(gates.as_ref());
    let can_activate = super::cro_section::can_activate(principal, loaded, &missing);
    // An assigned CRO reaches this page only through the policy: it keeps milestones and
    // enrollment like the API's keys do.
    let is_cro = principal.role == Role::Cro;
    let cro = super::cro_section::cro_section(conn, principal, loaded)?;
    let (enrolled, planned, percent) =
        workflow::enrollment_progress(&enrollment, loaded.content.planned_sample_size);
    let payments = if is_admin {
        Some(workflow::payment_views(conn, id)?)
    } else {
        None
    };
    let g = gates.unwrap_or_default();
    Ok(json!({
        "gates": {
            "contract_signed_on": g.contract_signed_on.map(|d| d.to_string()),
            "ethics_committee": g.ethics_committee,
            "ethics_approved_on": g.ethics_approved_on.map(|d| d.to_string()),
            "ethics_approval_number": g.ethics_approval_number,
            "registry": g.registry,
            "registry_id": g.registry_id,
        },
        "missing_gates": missing,
        "can_activate": can_activate,
        "cro": cro,
        "can_edit_gates": is_admin && open,
        "milestones": milestones.iter().map(|m| {
            let overdue = days_overdue(m.due_on, m.completed_on, today);
            json!({
                "id": m.id, "kind": m.kind, "title": m.title,
                "due_on": m.due_on.map(|d| d.to_string()), "completed_on": m.completed_on.map(|d| d.to_string()),
                "owner_role": m.owner_role, "note": m.note,
                "overdue": overdue.is_some(), "days_overdue": overdue.unwrap_or(0),
            })
        }).collect::<Vec<_>>(),
        "can_manage": (is_owner || is_admin) && open,
        "can_complete": (is_owner || is_admin || is_cro) && open,
        "milestone_kinds": MILESTONE_KINDS,
        "owner_roles": OWNER_ROLES,
        "enrollment": {
            "planned": planned, "enrolled": enrolled, "percent": percent,
            "updates": enrollment.iter().map(|e| json!({"as_of": e.as_of.to_string(), "count": e.enrolled})).collect::<Vec<_>>(),
        },
        "can_update_enrollment": (is_owner || is_admin || is_cro) && open,
        "publications": publications.iter().map(|p| json!({
            "id": p.id, "kind": p.kind, "title": p.title, "venue": p.venue, "status": p.status,
            "doi": p.doi, "pmid": p.pmid, "congress_name": p.congress_name, "city": p.city,
            "presented_on": p.presented_on.map(|d| d.to_string()), "submitted_on": p.submitted_on.map(|d| d.to_string()),
            "accepted_on": p.accepted_on.map(|d| d.to_string()), "published_on": p.published_on.map(|d| d.to_string()),
        })).collect::<Vec<_>>(),
        "can_manage_publications": (is_owner || is_admin) && open,
        "publication_kinds": PUBLICATION_KINDS,
        "publication_statuses": PUBLICATION_STATUSES,
        "payments": payments.map(|list| list.into_iter().map(|p| json!({
            "id": p.row.id, "amount": p.row.amount, "currency": p.row.currency, "status": p.status,
            "milestone_kind": p.milestone.as_ref().map(|m| m.kind.clone()),
            "milestone_title": p.milestone.as_ref().map(|m| m.title.clone()),
            "paid_on": p.row.paid_on.map(|d| d.to_string()),
        })).collect::<Vec<_>>()),
    }))
}
