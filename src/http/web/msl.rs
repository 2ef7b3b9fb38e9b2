//! MSL sections of the proposal page and their forms: MSL assignment, advice requests, the
//! advice thread, the interaction log and documents (multipart upload works without JS).

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::{Principal, WebUser};
use crate::db::{self, DbConnection};
use crate::domain::Lang;
use crate::domain::lifecycle::Status;
use crate::error::{AppError, AppResult, FieldError, WebError};
use crate::http::api::msl::{file_response, read_upload};
use crate::http::web::redirect;
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::msl::{self as workflow, AdviceInput, CHANNELS, DOC_TYPES, SECTIONS};

/// The MSL-related parts of the proposal page's context, by what the caller may see.
pub fn sections(
    conn: &mut DbConnection,
    principal: &Principal,
    proposal_id: &str,
    max_upload: usize,
) -> AppResult<Value> {
    let support = workflow::page_support(conn, principal, proposal_id)?;
    let relation = &support.relation;
    let row = &relation.loaded.row;
    let assigned = &support.assigned;
    let mut context = serde_json::Map::new();
    if relation.in_conversation() {
        let candidates: Vec<Value> = support
            .msl_candidates
            .iter()
            .map(|u| json!({"id": u.id, "name": u.display_name}))
            .collect();
        context.insert(
            "msls".into(),
            json!({
                "assigned": assigned.iter().map(|(id, name, _)| json!({"id": id, "name": name})).collect::<Vec<_>>(),
                "candidates": candidates,
                "can_manage": relation.is_admin,
                "advice_requested": row.advice_requested_at.is_some(),
                "can_request_advice": relation.is_owner && row.status == Status::Draft.as_str() && row.advice_requested_at.is_none(),
            }),
        );
        let thread = &support.thread;
        let message = |row: &workflow::AdviceRow, name: &str| {
            json!({
                "id": row.id, "author_name": name, "author_role": row.author_role, "section": row.section,
                "body": row.body, "created_at": row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            })
        };
        let top: Vec<Value> = thread
            .iter()
            .filter(|(row, _)| row.parent_id.is_none())
            .map(|(row, name)| {
                let mut item = message(row, name);
                item["replies"] =
                    json!(thread
                    .iter()
                    .filter(|(reply, _)| reply.parent_id.as_deref() == Some(row.id.as_str()))
                    .map(|(reply, name)| message(reply, name))
                    .collect::<Vec<_>>());
                item
            })
            .collect();
        context.insert(
            "advice".into(),
            json!({"thread": top, "can_post": relation.is_owner || relation.is_assigned_msl, "sections": SECTIONS}),
        );
        let interactions = &support.interactions;
        context.insert(
            "interactions".into(),
            json!({
                "items": interactions.iter().map(|(i, name)| json!({
                    "occurred_on": i.occurred_on.to_string(), "channel": i.channel, "summary": i.summary, "msl_name": name,
                })).collect::<Vec<_>>(),
                "can_log": relation.is_assigned_msl,
                "channels": CHANNELS,
            }),
        );
    }
    let mut items = Vec::new();
    for (d, uploader) in &support.documents {
        items.push(json!({
            "id": d.id, "doc_type": d.doc_type, "version": d.version, "file_name": d.file_name,
            "media_type": d.media_type, "size_bytes": d.size_bytes, "sha256": d.sha256,
            "uploaded_at": d.uploaded_at.format("%Y-%m-%d %H:%M UTC").to_string(), "uploaded_by_name": uploader,
            "href": format!("/proposals/{proposal_id}/documents/{}", d.id),
        }));
    }
    context.insert(
        "documents".into(),
        json!({
            "items": items,
            "can_upload": relation.is_owner || relation.is_admin,
            "types": DOC_TYPES,
            "max_mb": max_upload / (1024 * 1024),
        }),
    );
    Ok(Value::Object(context))
}

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
    crate::http::web::proposals::render_show(
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
    Ok(redirect(&format!("/proposals/{id}")))
}

#[derive(Debug, Deserialize)]
pub struct EmptyForm {}

pub async fn unassign_msl(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, WebError> {
    let (id, msl_id) = path.into_inner();
    let (p, pid) = (user.0, id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::unassign_msl(conn, &p, &pid, &msl_id)
    })
    .await?;
    Ok(redirect(&format!("/proposals/{id}")))
}

pub async fn request_advice(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    _form: CsrfForm<EmptyForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (p, pid) = (user.0, id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::request_advice(conn, &p, &pid)
    })
    .await?;
    Ok(redirect(&format!("/proposals/{id}")))
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
        Ok(row) => Ok(redirect(&format!("/proposals/{id}#advice-{}", row.id))),
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
        Ok(_) => Ok(redirect(&format!("/proposals/{id}#interactions"))),
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
        Ok(_) => Ok(redirect(&format!("/proposals/{id}#documents"))),
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
