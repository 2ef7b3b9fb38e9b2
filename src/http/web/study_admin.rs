//! Admin actions on the study page: activation once the gates are met (with a confirmation
//! page), and the CRO assignment of the study with its role.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::WebUser;
use crate::auth::csrf::CsrfForm;
use crate::auth::policy::ProposalAction;
use crate::db;
use crate::domain::Role;
use crate::domain::lifecycle::{Action, Status};
use crate::error::{AppError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::{page_lang, redirect, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::cro;
use crate::workflows::proposals;
use crate::workflows::study;

pub async fn show_activation(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let p = principal.clone();
    let (loaded, gates, missing) = db::run(&state.pool, move |conn| {
        let loaded = proposals::load(conn, &p, &id, ProposalAction::View)?;
        if p.role != Role::Admin {
            return Err(AppError::Forbidden("admins activate studies".into()));
        }
        let gates = study::gates(conn, &p, &id)?;
        let missing: Vec<String> = study::missing_gates(gates.as_ref())
            .into_iter()
            .map(str::to_string)
            .collect();
        Ok((loaded, gates, missing))
    })
    .await?;
    if loaded.status != Status::Approved {
        return Err(AppError::Conflict(format!(
            "only an approved study is activated (it is '{}')",
            loaded.status.as_str()
        ))
        .into());
    }
    let g = gates.unwrap_or_default();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/activate.html",
        json!({
            "proposal": {"id": loaded.row.id, "title": loaded.row.title, "reference": loaded.row.reference},
            "gates": {
                "contract_signed_on": g.contract_signed_on.map(|d| d.to_string()),
                "ethics_committee": g.ethics_committee,
                "ethics_approved_on": g.ethics_approved_on.map(|d| d.to_string()),
                "ethics_approval_number": g.ethics_approval_number,
                "registry": g.registry,
                "registry_id": g.registry_id,
            },
            "missing_gates": missing,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct ActivationForm {
    /// The confirmation checkbox of the activation page.
    pub confirm: Option<String>,
}

/// Activates the study: only from the confirmation page (its checkbox ticked).
pub async fn activate(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<ActivationForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    if form.data.confirm.as_deref() != Some("yes") {
        return Ok(redirect(&format!("/proposals/{id}/activate")));
    }
    let pid = id.clone();
    db::run_tx(&state.pool, move |conn| {
        crate::workflows::lifecycle::transition(
            conn,
            &principal,
            &pid,
            Action::Activate,
            None,
            None,
        )
    })
    .await?;
    Ok(redirect(&format!("/proposals/{id}#study")))
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    pub organization_id: String,
    #[serde(default)]
    pub role: String,
}

pub async fn assign_cro(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let data = form.data;
    let (p, pid) = (principal.clone(), id.clone());
    let (org, role) = (data.organization_id.clone(), data.role.clone());
    match db::run_tx(&state.pool, move |conn| {
        cro::assign(conn, &p, &pid, &org, &role)
    })
    .await
    {
        Ok(_) => Ok(redirect(&format!("/proposals/{id}#cro"))),
        Err(AppError::Validation(errors)) => {
            let lang = page_lang(&req, Some(&principal));
            let messages: BTreeMap<String, String> = errors
                .iter()
                .map(|e| (e.field.clone(), translate(lang, &format!("err.{}", e.code))))
                .collect();
            crate::http::web::proposal_page::render_show(
                &req,
                &state,
                &principal,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"cro_errors": messages, "cro_form": {"organization_id": data.organization_id, "role": data.role}}),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn unassign_cro(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let (id, org) = path.into_inner();
    let pid = id.clone();
    db::run_tx(&state.pool, move |conn| {
        cro::unassign(conn, &principal, &pid, &org)
    })
    .await?;
    Ok(redirect(&format!("/proposals/{id}#cro")))
}
