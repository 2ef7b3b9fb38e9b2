//! Partner CRO integration: organisations, API keys, study assignment and webhooks.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Principal;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::validation::{self, one_line};
use crate::workflows::cro as workflow;
use crate::workflows::cro::{ApiTokenRow, CroAssignmentRow, OrganizationRow, WebhookRow};
use crate::workflows::delivery::OutboxRow;

#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationResponse {
    pub id: String,
    pub name: String,
    /// `cro` or `institution`.
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

impl From<OrganizationRow> for OrganizationResponse {
    fn from(o: OrganizationRow) -> Self {
        OrganizationResponse {
            id: o.id,
            name: o.name,
            kind: o.kind,
            created_at: o.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganizationRequest {
    #[schema(example = "東京臨床研究サポート株式会社")]
    #[validate(length(min = 1, max = 200), custom(function = "one_line"))]
    pub name: String,
    #[schema(example = "cro")]
    pub kind: String,
}

/// Organisations (admins: all; a CRO: its own).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "cro", security(("bearer" = [])),
    responses((status = 200, body = Vec<OrganizationResponse>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_organizations(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<OrganizationResponse>>> {
    let rows = db::run(&state.pool, move |conn| {
        workflow::organizations(conn, &principal)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(OrganizationResponse::from).collect(),
    ))
}

/// Create an organisation (admins). A `cro` organisation gets a service account for its API keys.
#[utoipa::path(post, path = "/api/v1/organizations", tag = "cro", request_body = CreateOrganizationRequest, security(("bearer" = [])),
    responses((status = 201, body = OrganizationResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_organization(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateOrganizationRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    validation::check(&body)?;
    let org = db::run_tx(&state.pool, move |conn| {
        workflow::create_organization(conn, &principal, &body.name, &body.kind)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/organizations/{}", org.id),
        ))
        .json(OrganizationResponse::from(org)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Only in the response that creates the key: store it now, it is never shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

fn key_response(row: ApiTokenRow, plain: Option<String>) -> ApiKeyResponse {
    ApiKeyResponse {
        id: row.id,
        name: row.name,
        prefix: row.token_prefix,
        created_at: row.created_at.and_utc(),
        expires_at: row.expires_at.and_utc(),
        revoked_at: row.revoked_at.map(|t| t.and_utc()),
        last_used_at: row.last_used_at.map(|t| t.and_utc()),
        key: plain,
    }
}

/// API keys of an organisation (admins).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/api-keys", tag = "cro", params(("id" = String, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<ApiKeyResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Only CRO organisations have API keys", body = Problem)))]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<ApiKeyResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::api_keys(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(|r| key_response(r, None)).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    #[serde(default)]
    #[validate(length(max = 200), custom(function = "one_line"))]
    pub name: String,
    /// Days until expiry (1–730, default 365).
    #[validate(range(min = 1, max = 730))]
    pub expires_in_days: Option<i64>,
}

/// Create an API key (admins). The key (≥ 256 random bits) is in this response only.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/api-keys", tag = "cro", request_body = CreateApiKeyRequest,
    params(("id" = String, Path, description = "Organisation id")), security(("bearer" = [])),
    responses((status = 201, body = ApiKeyResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_api_key(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<CreateApiKeyRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    validation::check(&body)?;
    let key = state.key.clone();
    let organization_id = id.clone();
    let (plain, row) = db::run_tx(&state.pool, move |conn| {
        workflow::create_api_key(
            conn,
            &key,
            &principal,
            &id,
            &body.name,
            body.expires_in_days.unwrap_or(365),
        )
    })
    .await?;
    let location = format!(
        "/api/v1/organizations/{organization_id}/api-keys/{}",
        row.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(key_response(row, Some(plain))))
}

/// Revoke an API key (admins); it is refused from its next request on.
#[utoipa::path(delete, path = "/api/v1/organizations/{id}/api-keys/{key_id}", tag = "cro",
    params(("id" = String, Path, description = "Organisation id"), ("key_id" = String, Path, description = "Key id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Only CRO organisations have API keys", body = Problem)))]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, key_id) = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::revoke_api_key(conn, &principal, &id, &key_id)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CroAssignmentResponse {
    pub organization_id: String,
    /// `monitoring`, `data_management` or `site_management`.
    pub role: String,
    pub assigned_at: DateTime<Utc>,
}

impl From<CroAssignmentRow> for CroAssignmentResponse {
    fn from(a: CroAssignmentRow) -> Self {
        CroAssignmentResponse {
            organization_id: a.organization_id,
            role: a.cro_role,
            assigned_at: a.assigned_at.and_utc(),
        }
    }
}

/// CRO organisations assigned to a study.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/cro", tag = "cro", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<CroAssignmentResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_cro(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<CroAssignmentResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::assignments(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(CroAssignmentResponse::from).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCroRequest {
    pub organization_id: String,
    #[schema(example = "monitoring")]
    pub role: String,
}

/// Assign a CRO organisation to an approved study (admins); audited.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/cro", tag = "cro", request_body = AssignCroRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = CroAssignmentResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_cro(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<AssignCroRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let proposal_id = id.clone();
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::assign(conn, &principal, &id, &body.organization_id, &body.role)
    })
    .await?;
    let location = format!(
        "/api/v1/proposals/{proposal_id}/cro/{}",
        row.organization_id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(CroAssignmentResponse::from(row)))
}

/// Remove a CRO organisation from a study (admins).
#[utoipa::path(delete, path = "/api/v1/proposals/{id}/cro/{organization_id}", tag = "cro",
    params(("id" = String, Path, description = "Proposal id"), ("organization_id" = String, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn unassign_cro(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, org) = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::unassign(conn, &principal, &id, &org)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: String,
    pub url: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Only when the webhook is registered: the signing secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

fn webhook_response(row: WebhookRow, secret: Option<String>) -> WebhookResponse {
    WebhookResponse {
        id: row.id,
        url: row.url,
        active: row.active,
        created_at: row.created_at.and_utc(),
        secret,
    }
}

/// Webhook endpoints of an organisation (admins, or the CRO itself).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/webhooks", tag = "cro", params(("id" = String, Path, description = "Organisation id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<WebhookResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::webhooks(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| webhook_response(r, None))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterWebhookRequest {
    #[schema(example = "https://cro.example.com/hooks/liaison")]
    pub url: String,
    /// At least 16 characters; generated when absent.
    pub secret: Option<String>,
}

/// Register a webhook endpoint. Events `proposal.status_changed`, `milestone.created`,
/// `milestone.updated` and `ping` are POSTed as JSON with
/// `Liaison-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/webhooks", tag = "cro", request_body = RegisterWebhookRequest,
    params(("id" = String, Path, description = "Organisation id")), security(("bearer" = [])),
    responses((status = 201, body = WebhookResponse), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn register_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<RegisterWebhookRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    // May resolve the host name: outside the transaction, on the blocking pool.
    let (policy, raw) = (state.settings.webhook_policy(), body.url.clone());
    let url = web::block(move || workflow::vet_webhook_url(&policy, &raw))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("webhook URL check: {e}")))?;
    let location = format!("/api/v1/organizations/{id}/webhooks");
    let (row, secret) = db::run_tx(&state.pool, move |conn| {
        workflow::register_webhook(conn, &principal, &id, url, body.secret.as_deref())
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(webhook_response(row, Some(secret))))
}

/// Queue a `ping` event to test an endpoint.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/webhooks/{webhook_id}/ping", tag = "cro",
    params(("id" = String, Path, description = "Organisation id"), ("webhook_id" = String, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 202, description = "Queued"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn ping_webhook(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, hook) = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::ping(conn, &principal, &id, &hook)
    })
    .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub id: String,
    pub event: String,
    /// `pending`, `sending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for DeliveryResponse {
    fn from(r: OutboxRow) -> Self {
        DeliveryResponse {
            id: r.id,
            event: r.event,
            status: r.status,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at.and_utc(),
            sent_at: r.sent_at.map(|t| t.and_utc()),
        }
    }
}

/// The delivery log of a webhook endpoint, newest first.
#[utoipa::path(get, path = "/api/v1/organizations/{id}/webhooks/{webhook_id}/deliveries", tag = "cro",
    params(("id" = String, Path, description = "Organisation id"), ("webhook_id" = String, Path, description = "Webhook id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<DeliveryResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
) -> AppResult<web::Json<Vec<DeliveryResponse>>> {
    let (id, hook) = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::deliveries(conn, &principal, &id, &hook)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(DeliveryResponse::from).collect(),
    ))
}
