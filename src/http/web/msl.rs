//! MSL sections of the proposal page and their forms: MSL assignment, advice requests, the
//! advice thread, the interaction log and documents (multipart upload works without JS).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::{Principal, WebUser};
use crate::db::{self};
use crate::domain::Lang;
use crate::error::{AppError, FieldError, WebError};
use crate::http::api::msl::{file_response, read_upload};
use crate::http::web::AnyForm;
use crate::http::web::flash::redirect_with_flash;
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::msl::{self as workflow, AdviceInput};

fn localise(errors: &[FieldError], lang: Lang) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|e| (e.field.clone(), translate(lang, &format!("err.{}", e.code))))
        .collect()
}

/// Re-renders the proposal page with one section's errors and entered values.
async fn rerender(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    extra: Value,
) -> Result<HttpResponse, WebError> {
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    crate::http::web::proposal_page::render_show(
        req,
        state,
        principal,
        &id,
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        extra,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    pub msl_id: String,
}

pub async fn assign_msl(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (p, pid, msl) = (user.0, id.clone(), form.data.msl_id);
    db::run_tx(&state.pool, move |conn| {
        workflow::assign_msl(conn, &p, &pid, &msl)
    })
    .await?;
    Ok(redirect_with_flash(
        &format!("/proposals/{id}"),
        "msl_assigned",
    ))
}

pub async fn unassign_msl(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let (id, msl_id) = path.into_inner();
    let (p, pid) = (user.0, id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::unassign_msl(conn, &p, &pid, &msl_id)
    })
    .await?;
    Ok(redirect_with_flash(
        &format!("/proposals/{id}"),
        "msl_removed",
    ))
}

pub async fn request_advice(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (p, pid) = (user.0, id.clone());
    let routing = db::run_tx(&state.pool, move |conn| {
        workflow::request_advice(conn, &p, &pid)
    })
    .await?;
    // Say what really happened: with no MSL assigned, the admins were asked to assign one.
    let message = match routing {
        workflow::AdviceRouting::ToMsls => "advice_requested",
        workflow::AdviceRouting::ToAdmins => "advice_requested_no_msl",
    };
    Ok(redirect_with_flash(&format!("/proposals/{id}"), message))
}

#[derive(Debug, Deserialize)]
pub struct AdviceForm {
    pub body: String,
    pub section: Option<String>,
    pub parent_id: Option<String>,
}

pub async fn post_advice(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AdviceForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let data = form.data;
    let (p, pid) = (principal.clone(), id.clone());
    let (body, section, parent) = (
        data.body.clone(),
        data.section.clone(),
        data.parent_id.clone(),
    );
    let outcome = db::run_tx(&state.pool, move |conn| {
        workflow::post_advice(
            conn,
            &p,
            &pid,
            &AdviceInput {
                section: section.as_deref(),
                body: &body,
                parent_id: parent.as_deref(),
            },
        )
    })
    .await;
    match outcome {
        Ok(row) => Ok(redirect_with_flash(
            &format!("/proposals/{id}#advice-{}", row.id),
            "advice_posted",
        )),
        Err(AppError::Validation(errors)) => {
            let lang = crate::http::web::page_lang(&req, Some(&principal));
            rerender(
                &req,
                &state,
                &principal,
                json!({
                    "advice_errors": localise(&errors, lang),
                    "advice_form": {"section": data.section, "body": data.body},
                }),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct InteractionForm {
    pub occurred_on: String,
    pub channel: String,
    pub summary: String,
}

pub async fn log_interaction(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<InteractionForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let data = form.data;
    let date = chrono::NaiveDate::parse_from_str(data.occurred_on.trim(), "%Y-%m-%d").ok();
    let (p, pid, channel, summary) = (
        principal.clone(),
        id.clone(),
        data.channel.clone(),
        data.summary.clone(),
    );
    let outcome = db::run_tx(&state.pool, move |conn| {
        workflow::log_interaction(conn, &p, &pid, date, &channel, &summary)
    })
    .await;
    match outcome {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/proposals/{id}#interactions"),
            "interaction_logged",
        )),
        Err(AppError::Validation(errors)) => {
            let lang = crate::http::web::page_lang(&req, Some(&principal));
            rerender(&req, &state, &principal, json!({
                "interaction_errors": localise(&errors, lang),
                "interaction_form": {"occurred_on": data.occurred_on, "channel": data.channel, "summary": data.summary},
            }))
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// The upload form posts multipart data; its CSRF field is checked before the file is stored.
pub async fn upload_document(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let lang = crate::http::web::page_lang(&req, Some(&principal));
    let (p, pid) = (principal.clone(), id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::authorize_upload(conn, &p, &pid)
    })
    .await?;
    let multipart = Multipart::new(req.headers(), payload);
    let upload = match read_upload(multipart, state.settings.upload_limit_bytes).await {
        Ok(upload) => upload,
        Err(AppError::PayloadTooLarge) => {
            let errors = BTreeMap::from([("file".to_string(), translate(lang, "err.too_large"))]);
            let mut response =
                rerender(&req, &state, &principal, json!({"document_errors": errors})).await?;
            *response.status_mut() = actix_web::http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(response);
        }
        Err(other) => return Err(other.into()),
    };
    csrf::verify(&req, &state.key, upload.field(csrf::CSRF_FIELD))?;
    let doc_type = upload.field("doc_type").unwrap_or_default().to_string();
    let Some(content) = upload.content.filter(|c| !c.is_empty()) else {
        let errors = BTreeMap::from([("file".to_string(), translate(lang, "err.file_required"))]);
        return rerender(&req, &state, &principal, json!({"document_errors": errors})).await;
    };
    let file_name = upload.file_name.unwrap_or_else(|| "document".into());
    let (p, pid) = (principal.clone(), id.clone());
    let outcome = db::run_tx(&state.pool, move |conn| {
        workflow::upload_document(conn, &p, &pid, &doc_type, &file_name, &content)
    })
    .await;
    match outcome {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/proposals/{id}#documents"),
            "document_uploaded",
        )),
        Err(AppError::UnsupportedMediaType(_)) => {
            let errors = BTreeMap::from([("file".to_string(), translate(lang, "err.media_type"))]);
            let mut response =
                rerender(&req, &state, &principal, json!({"document_errors": errors})).await?;
            *response.status_mut() = actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE;
            Ok(response)
        }
        Err(AppError::Validation(errors)) => {
            let errors: BTreeMap<String, String> = localise(&errors, lang);
            rerender(&req, &state, &principal, json!({"document_errors": errors})).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn download_document(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let (id, document_id) = path.into_inner();
    let p = user.0;
    let (meta, content) = db::run(&state.pool, move |conn| {
        workflow::download(conn, &p, &id, &document_id)
    })
    .await?;
    Ok(file_response(&meta, content))
}
