//! MSL protocol support API: MSL assignment, advice threads, interactions and documents.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Principal;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::validation::{self, multiline, one_line};
use crate::workflows::msl::{self as workflow, AdviceInput, DocumentMeta};

#[derive(Debug, Serialize, ToSchema)]
pub struct MslRef {
    pub id: String,
    pub display_name: String,
}

/// The proposal's MSLs (anyone who can see the proposal).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/msls", tag = "msl", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = Vec<MslRef>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_msls(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<MslRef>>> {
    let id = path.into_inner();
    let list = db::run(&state.pool, move |conn| {
        Ok(workflow::assigned_msls(conn, &principal, &id)?
            .into_iter()
            .map(|(id, display_name, _)| MslRef { id, display_name })
            .collect())
    })
    .await?;
    Ok(web::Json(list))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignMslRequest {
    pub msl_id: String,
}

/// Assign an MSL (admins). Someone who reviews the proposal cannot advise on it.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/msls", tag = "msl", request_body = AssignMslRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 204, description = "Assigned"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_msl(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<AssignMslRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let msl_id = body.into_inner().msl_id;
    db::run_tx(&state.pool, move |conn| {
        workflow::assign_msl(conn, &principal, &id, &msl_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unassign an MSL (admins).
#[utoipa::path(delete, path = "/api/v1/proposals/{id}/msls/{msl_id}", tag = "msl",
    params(("id" = String, Path, description = "Proposal id"), ("msl_id" = String, Path, description = "MSL user id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Unassigned"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unassign_msl(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, msl_id) = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::unassign_msl(conn, &principal, &id, &msl_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The investigator asks the assigned MSLs for advice on a draft (shows them the draft).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/advice-request", tag = "msl", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Requested"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn request_advice(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    // With no MSL assigned the admins are emailed to assign one; the answer is the same.
    db::run_tx(&state.pool, move |conn| {
        workflow::request_advice(conn, &principal, &id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdviceResponse {
    pub id: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_name: String,
    pub author_role: String,
    /// The proposal section the message is about, e.g. `primary_endpoint`.
    pub section: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The advice thread, oldest first (the investigator, the assigned MSLs and admins).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/advice", tag = "msl", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<AdviceResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_advice(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<AdviceResponse>>> {
    let id = path.into_inner();
    let thread = db::run(&state.pool, move |conn| {
        workflow::advice_thread(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        thread
            .into_iter()
            .map(|(row, author_name)| AdviceResponse {
                id: row.id,
                parent_id: row.parent_id,
                author_id: row.author_id,
                author_name,
                author_role: row.author_role,
                section: row.section,
                body: row.body,
                created_at: row.created_at.and_utc(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct PostAdviceRequest {
    #[validate(length(max = 10000), custom(function = "multiline"))]
    pub body: String,
    /// Optional proposal section, e.g. `primary_endpoint`.
    #[validate(length(max = 100), custom(function = "one_line"))]
    pub section: Option<String>,
    /// Reply to a top-level message.
    pub parent_id: Option<String>,
}

/// Post advice (assigned MSL) or a reply (investigator); the other side is emailed.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/advice", tag = "msl", request_body = PostAdviceRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = AdviceResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn post_advice(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<PostAdviceRequest>,
) -> AppResult<HttpResponse> {
    validation::check(&*body)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let name = principal.display_name.clone();
    let location = format!("/api/v1/proposals/{id}/advice");
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::post_advice(
            conn,
            &principal,
            &id,
            &AdviceInput {
                section: body.section.as_deref(),
                body: &body.body,
                parent_id: body.parent_id.as_deref(),
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(AdviceResponse {
            id: row.id,
            parent_id: row.parent_id,
            author_id: row.author_id,
            author_name: name,
            author_role: row.author_role,
            section: row.section,
            body: row.body,
            created_at: row.created_at.and_utc(),
        }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionResponse {
    pub id: String,
    pub msl_id: String,
    pub msl_name: String,
    pub occurred_on: NaiveDate,
    /// `meeting`, `call`, `email` or `web`.
    pub channel: String,
    pub summary: String,
    pub created_at: DateTime<Utc>,
}

/// The append-only log of MSL–investigator contacts.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/interactions", tag = "msl", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<InteractionResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_interactions(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<InteractionResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::interactions(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(row, msl_name)| InteractionResponse {
                id: row.id,
                msl_id: row.msl_id,
                msl_name,
                occurred_on: row.occurred_on,
                channel: row.channel,
                summary: row.summary,
                created_at: row.created_at.and_utc(),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct LogInteractionRequest {
    pub occurred_on: NaiveDate,
    #[validate(length(min = 1, max = 50), custom(function = "one_line"))]
    pub channel: String,
    #[validate(length(max = 5000), custom(function = "multiline"))]
    pub summary: String,
}

/// Log a contact (assigned MSLs). Entries can never be changed or deleted.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/interactions", tag = "msl", request_body = LogInteractionRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = InteractionResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn log_interaction(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<LogInteractionRequest>,
) -> AppResult<HttpResponse> {
    validation::check(&*body)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let name = principal.display_name.clone();
    let location = format!("/api/v1/proposals/{id}/interactions");
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::log_interaction(
            conn,
            &principal,
            &id,
            Some(body.occurred_on),
            &body.channel,
            &body.summary,
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(InteractionResponse {
            id: row.id,
            msl_id: row.msl_id,
            msl_name: name,
            occurred_on: row.occurred_on,
            channel: row.channel,
            summary: row.summary,
            created_at: row.created_at.and_utc(),
        }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentResponse {
    pub id: String,
    /// `protocol`, `synopsis`, `budget`, `cv`, `ethics_letter`, `contract` or `other`.
    pub doc_type: String,
    pub version: i32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
    pub download_url: String,
}

impl From<DocumentMeta> for DocumentResponse {
    fn from(meta: DocumentMeta) -> Self {
        DocumentResponse {
            download_url: format!(
                "/api/v1/proposals/{}/documents/{}",
                meta.proposal_id, meta.id
            ),
            id: meta.id,
            doc_type: meta.doc_type,
            version: meta.version,
            file_name: meta.file_name,
            media_type: meta.media_type,
            size_bytes: meta.size_bytes,
            sha256: meta.sha256,
            uploaded_by: meta.uploaded_by,
            uploaded_at: meta.uploaded_at.and_utc(),
        }
    }
}

/// Every version of every document (anyone who can see the proposal).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/documents", tag = "msl", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DocumentResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_documents(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<DocumentResponse>>> {
    let id = path.into_inner();
    let docs = db::run(&state.pool, move |conn| {
        workflow::documents(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        docs.into_iter().map(DocumentResponse::from).collect(),
    ))
}

/// A multipart upload: the `doc_type` field and the `file` part (plus any other text fields).
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file_name: Option<String>,
    pub content: Option<Vec<u8>>,
}

/// Reads a multipart body; more than `limit` bytes of file content answers 413.
pub async fn read_upload(mut multipart: Multipart, limit: usize) -> AppResult<Upload> {
    let mut upload = Upload {
        fields: Vec::new(),
        file_name: None,
        content: None,
    };
    while let Some(part) = multipart.next().await {
        let mut part =
            part.map_err(|e| AppError::BadRequest(format!("invalid multipart body: {e}")))?;
        let name = part.name().unwrap_or_default().to_string();
        let file_name = part
            .content_disposition()
            .and_then(|cd| cd.get_filename().map(str::to_string));
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk =
                chunk.map_err(|e| AppError::BadRequest(format!("invalid multipart body: {e}")))?;
            if bytes.len() + chunk.len() > limit {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            upload.file_name = file_name;
            upload.content = Some(bytes);
        } else if bytes.len() <= 10_000 {
            upload
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(upload)
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Upload a document (`multipart/form-data`: `doc_type` and `file`). Each upload of a type
/// adds a version; nothing is overwritten. The content decides the media type: PDF, DOCX,
/// XLSX, PNG or JPEG only (415 otherwise); 413 beyond the size limit.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/documents", tag = "msl",
    request_body(content = String, description = "multipart/form-data with doc_type and file", content_type = "multipart/form-data"),
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = DocumentResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn upload_document(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (p, pid) = (principal.clone(), id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::authorize_upload(conn, &p, &pid)
    })
    .await?;
    let multipart = Multipart::new(req.headers(), payload);
    let upload = read_upload(multipart, state.settings.upload_limit_bytes).await?;
    let doc_type = upload.field("doc_type").unwrap_or_default().to_string();
    let content = upload.content.ok_or_else(|| {
        AppError::validation_one("file", "required", "attach the file as the `file` part")
    })?;
    let file_name = upload.file_name.unwrap_or_else(|| "document".into());
    let meta = db::run_tx(&state.pool, move |conn| {
        workflow::upload_document(conn, &principal, &id, &doc_type, &file_name, &content)
    })
    .await?;
    let response = DocumentResponse::from(meta);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, response.download_url.clone()))
        .json(response))
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266 / 5987), so Japanese names survive.
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = url::form_urlencoded::byte_serialize(file_name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Download one document version, byte for byte.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/documents/{document_id}", tag = "msl",
    params(("id" = String, Path, description = "Proposal id"), ("document_id" = String, Path, description = "Document id")),
    security(("bearer" = [])),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn download_document(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, document_id) = path.into_inner();
    let (meta, content) = db::run(&state.pool, move |conn| {
        workflow::download(conn, &principal, &id, &document_id)
    })
    .await?;
    Ok(file_response(&meta, content))
}

pub fn file_response(meta: &DocumentMeta, content: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(meta.media_type.clone())
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&meta.file_name),
        ))
        .insert_header((header::ETAG, format!("\"{}\"", meta.sha256)))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_file_names_are_percent_encoded_in_filename_star() {
        let header = content_disposition("研究計画書_v2.pdf");
        assert!(header.starts_with("attachment; filename=\""));
        assert!(header.contains("filename*=UTF-8''%E7%A0%94%E7%A9%B6"));
        assert!(header.ends_with("_v2.pdf"));
        assert_eq!(
            content_disposition("a b.pdf"),
            "attachment; filename=\"a b.pdf\"; filename*=UTF-8''a%20b.pdf"
        );
    }
}
