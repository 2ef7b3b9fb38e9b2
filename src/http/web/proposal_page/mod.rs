//! The proposal page: one view of a proposal assembled from what the reader may see, with the
//! MSL and study sections built beside it. Forms elsewhere re-render it with their errors.

mod cro_section;
mod fold;
mod msl_sections;
mod study_section;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::policy::ProposalAction;
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::lifecycle;
use crate::error::{AppError, WebError};
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::workflows::proposals as workflow;

pub async fn show_proposal(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    render_show(&req, &state, &user.0, &id, StatusCode::OK, json!({})).await
}

/// The proposal page, with `extra` merged into its context (a section's errors and values).
pub async fn render_show(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    id: &str,
    status: StatusCode,
    extra: serde_json::Value,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let id = id.to_string();
    let max_upload = state.settings.upload_limit_bytes;
    let (loaded, owner_name, events, decision, reviewing, sections) =
        db::run(&state.pool, move |conn| {
            let mut loaded = workflow::load(conn, &p, &id, ProposalAction::View)?;
            // The page renders the content its reader may see (a CRO never the budget).
            let audience = loaded.access.audience();
            crate::domain::visibility::project_content(audience, &mut loaded.content);
            let owner_name = workflow::owner_name(conn, &loaded)?;
            let events = crate::workflows::timeline::events(conn, &loaded)?;
            // One load serves the whole page: the decision and the MSL sections read the
            // access it carries instead of loading the proposal again.
            let decision = match crate::workflows::review::decision_view_of(conn, &p, &loaded) {
                Ok(decision) => decision,
                Err(AppError::Forbidden(_)) => None,
                Err(other) => return Err(other),
            };
            let reviewing = crate::workflows::review::is_reviewing(conn, &p, &loaded)?;
            let mut sections = msl_sections::sections(conn, &p, loaded.clone(), max_upload)?;
            sections["study"] = study_section::section(conn, &p, &loaded)?;
            Ok((loaded, owner_name, events, decision, reviewing, sections))
        })
        .await?;
    let committee_member = matches!(
        principal.role,
        crate::domain::Role::Chair | crate::domain::Role::Admin
    );
    let allowed = workflow::actions_for(&loaded);
    let reason_required: Vec<&str> = allowed
        .iter()
        .filter(|a| lifecycle::needs_reason(loaded.status, **a))
        .map(|a| a.as_str())
        .collect();
    let actions: Vec<&str> = allowed.into_iter().map(|a| a.as_str()).collect();
    // Only the investigator edits, and only while the proposal is open for editing.
    let can_edit =
        principal.user_id == loaded.row.owner_id && lifecycle::is_editable_by_owner(loaded.status);
    let fmt = |t: chrono::NaiveDateTime| crate::clock::display(t);
    let lang = page_lang(req, Some(principal));
    let events: Vec<_> = events
        .into_iter()
        .map(|(e, actor_name)| {
            // Who acted for the committee is not named to this reader.
            let actor_name =
                actor_name.unwrap_or_else(|| crate::templates::translate(lang, "pdf.committee"));
            json!({
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor_name": actor_name,
                "reason": e.reason,
                "at": fmt(e.at),
            })
        })
        .collect();
    let mut context = json!({
        "proposal": {
            "id": loaded.row.id,
            "reference": loaded.row.reference,
            "title": loaded.row.title,
            "status": loaded.status.as_str(),
            "round": loaded.row.round,
            "owner_name": owner_name,
            "created_at": fmt(loaded.row.created_at),
            "updated_at": fmt(loaded.row.updated_at),
            "submitted_at": loaded.row.submitted_at.map(fmt),
            "content": loaded.content,
            "budget_total": loaded.content.budget_total(),
        },
        "events": events,
        "can_edit": can_edit,
        "actions": actions,
        "reason_required": reason_required,
        "saved": false,
        "decision": decision.map(|d| json!({
            "outcome": d.outcome.as_str(), "rationale": d.rationale, "conditions": d.conditions,
            "comments": d.comments, "decided_at": crate::clock::display(d.decided_at.naive_utc()),
        })),
        "review_href": reviewing.then(|| format!("/proposals/{}/review", loaded.row.id)),
        "committee_href": committee_member.then(|| format!("/proposals/{}/committee", loaded.row.id)),
        // The audit trail is read by the proposal's investigator and admins.
        "audit_href": (principal.user_id == loaded.row.owner_id || principal.role == crate::domain::Role::Admin)
            .then(|| format!("/proposals/{}/audit", loaded.row.id)),
    });
    if let Some(map) = context.as_object_mut() {
        for source in [sections, extra] {
            if let serde_json::Value::Object(more) = source {
                map.extend(more);
            }
        }
        let open = fold::open_sections(principal.role, loaded.status, fold::failed_section(map));
        map.insert("fold".into(), fold::fold_map(&open));
    }
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/proposal_show.html",
        context,
    )
}
