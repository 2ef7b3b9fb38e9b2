//! `/api/v1/proposals`: intake and lifecycle.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::auth::policy::ProposalAction;
use crate::db::{self, DbConnection};
use crate::domain::lifecycle::{Action, Status};
use crate::domain::proposal::{FieldChange, ProposalContent};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{
    IfMatch, Page, decode_cursor, etag, idempotent_create, into_page, json_error,
    optional_if_match, page_limit, parse_json, read_body,
};
use crate::state::AppState;
use crate::workflows::proposals::{self as workflow, Loaded};
use crate::workflows::proposals::{ListFilter, ProposalListRow};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PersonRef {
    pub id: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalResponse {
    pub id: String,
    /// `IIS-<year>-<sequence>`, issued at first submission.
    #[schema(example = "IIS-2026-0042")]
    pub reference: Option<String>,
    #[schema(value_type = String, example = "draft")]
    pub status: Status,
    /// Number of submissions so far (0 for a draft never submitted).
    pub round: i32,
    /// Also sent as the `ETag` header, `"v<version>"`.
    pub version: i64,
    pub owner: PersonRef,
    pub content: ProposalContent,
    /// Actions the caller could take now (guards are checked when taken).
    #[schema(value_type = Vec<String>)]
    pub allowed_actions: Vec<Action>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposalSummary {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub title: String,
    pub product: String,
    pub therapeutic_area: String,
    pub round: i32,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl From<ProposalListRow> for ProposalSummary {
    fn from(row: ProposalListRow) -> Self {
        ProposalSummary {
            id: row.id,
            reference: row.reference,
            status: row.status,
            title: row.title,
            product: row.product,
            therapeutic_area: row.therapeutic_area,
            round: row.round,
            updated_at: row.updated_at.and_utc(),
            submitted_at: row.submitted_at.map(|t| t.and_utc()),
        }
    }
}

fn respond(
    conn: &mut DbConnection,
    principal: &Principal,
    loaded: Loaded,
) -> AppResult<ProposalResponse> {
    let owner_name = workflow::owner_name(conn, &loaded)?;
    Ok(respond_named(principal, loaded, owner_name))
}

fn respond_named(_principal: &Principal, loaded: Loaded, owner_name: String) -> ProposalResponse {
    let allowed_actions = workflow::actions_for(&loaded);
    let mut loaded = loaded;
    let audience = loaded.access.audience();
    crate::domain::visibility::project_content(audience, &mut loaded.content);
    ProposalResponse {
        id: loaded.row.id,
        reference: loaded.row.reference,
        status: loaded.status,
        round: loaded.row.round,
        version: loaded.row.version,
        owner: PersonRef {
            id: loaded.row.owner_id,
            display_name: owner_name,
        },
        content: loaded.content,
        allowed_actions,
        created_at: loaded.row.created_at.and_utc(),
        updated_at: loaded.row.updated_at.and_utc(),
        submitted_at: loaded.row.submitted_at.map(|t| t.and_utc()),
    }
}

fn with_etag(response: &ProposalResponse) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(response.version)))
        .json(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProposalListQuery {
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    pub status: Option<String>,
    /// RFC 3339 time; only proposals changed at or after it.
    pub updated_since: Option<String>,
    /// Text search in title and reference number.
    pub q: Option<String>,
}

/// List the proposals the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/proposals", tag = "proposals", params(ProposalListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of proposals", body = Page<ProposalSummary>),
        (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn list_proposals(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ProposalListQuery>,
) -> AppResult<web::Json<Page<ProposalSummary>>> {
    let query = query.into_inner();
    let limit = page_limit(query.limit)?;
    if let Some(status) = &query.status
        && status.parse::<Status>().is_err()
    {
        return Err(AppError::validation_one(
            "status",
            "invalid_choice",
            "is not a proposal status",
        ));
    }
    let updated_since = query
        .updated_since
        .as_deref()
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| t.naive_utc())
                .map_err(|_| {
                    AppError::validation_one("updated_since", "format", "must be an RFC 3339 time")
                })
        })
        .transpose()?;
    let filter = ListFilter {
        status: query.status,
        updated_since,
        q: query.q,
        before_id: decode_cursor(query.cursor.as_deref())?,
        limit: limit + 1,
    };
    let rows = db::run(&state.pool, move |conn| {
        workflow::list(conn, &principal, &filter)
    })
    .await?;
    Ok(web::Json(into_page(
        rows,
        limit,
        |r| &r.id,
        ProposalSummary::from,
    )))
}

/// Create a draft (investigators). Any subset of the content may be sent. Send an
/// `Idempotency-Key` to make retries safe: the same key replays the first response.
#[utoipa::path(post, path = "/api/v1/proposals", tag = "proposals", request_body = ProposalContent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Draft created", body = ProposalResponse),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "A request with this `Idempotency-Key` is still in progress", body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let body = read_body(payload, state.settings.body_limit_bytes).await?;
    let content: ProposalContent = parse_json(&req, &body)?;
    let p = principal.clone();
    idempotent_create(&state, &req, &principal, &body, move |conn| {
        let loaded = workflow::create(conn, &p, content)?;
        let location = format!("/api/v1/proposals/{}", loaded.row.id);
        let response = respond(conn, &p, loaded)?;
        Ok((serde_json::to_value(&response)?, location))
    })
    .await
}

/// One proposal, with its `ETag`.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "proposals",
    params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalResponse, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let (loaded, owner_name) =
            workflow::load_with_owner_name(conn, &principal, &id, ProposalAction::View)?;
        Ok(respond_named(&principal, loaded, owner_name))
    })
    .await?;
    Ok(with_etag(&response))
}

/// Edit a draft (or a proposal sent back for revision) with a JSON merge patch (RFC 7396)
/// of its content. Requires `If-Match`: 428 without it, 412 when stale.
#[utoipa::path(patch, path = "/api/v1/proposals/{id}", tag = "proposals",
    request_body(content = Object, description = "JSON merge patch of `content`", content_type = "application/merge-patch+json"),
    params(("id" = String, Path, description = "Proposal id"),
           ("If-Match" = String, Header, description = "ETag from GET")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalResponse),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn patch_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let body = read_body(payload, state.settings.body_limit_bytes).await?;
    let patch: serde_json::Value = parse_json(&req, &body)?;
    if !patch.is_object() {
        return Err(AppError::validation_one(
            "body",
            "format",
            "must be a JSON object",
        ));
    }
    let expected = optional_if_match(&req)?;
    let id = path.into_inner();
    let response = db::run_tx(&state.pool, move |conn| {
        // Authorise before preconditions, so a 428 never reveals a hidden proposal.
        let current = workflow::load(conn, &principal, &id, ProposalAction::EditFields)?;
        let expected = expected
            .ok_or(AppError::PreconditionRequired)?
            .expected(current.row.version);
        let mut merged = serde_json::to_value(&current.content)?;
        merge_patch(&mut merged, &patch);
        let content: ProposalContent = serde_json::from_value(merged).map_err(json_error)?;
        let loaded = workflow::update(conn, &principal, &id, expected, content)?;
        respond(conn, &principal, loaded)
    })
    .await?;
    Ok(with_etag(&response))
}

/// RFC 7396: objects merge recursively, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(target), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(
                        target.entry(key.clone()).or_insert(serde_json::Value::Null),
                        value,
                    );
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    #[schema(value_type = String, example = "submit")]
    pub action: Action,
    /// Required for withdraw and terminate.
    pub reason: Option<String>,
    /// For `start_review`: the committee that will review (once chosen it stays).
    pub committee_id: Option<String>,
}

/// Take a lifecycle action (`submit`, `withdraw`, `start_review`, …). A refused action answers
/// 409 naming the actions allowed now; submitting an incomplete proposal answers 422 listing
/// every missing or invalid field.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/transitions", tag = "proposals",
    request_body = TransitionRequest,
    params(("id" = String, Path, description = "Proposal id"),
           ("If-Match" = Option<String>, Header, description = "Optional ETag guard")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalResponse),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem)))]
pub async fn transition_proposal(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<TransitionRequest>,
) -> AppResult<HttpResponse> {
    let expected = optional_if_match(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let response = db::run_tx(&state.pool, move |conn| {
        if crate::workflows::lifecycle::is_decision(body.action) {
            return Err(AppError::Conflict(format!(
                "record decisions with POST /api/v1/proposals/{id}/decision"
            )));
        }
        let loaded = crate::workflows::lifecycle::transition_with(
            conn,
            &principal,
            &id,
            body.action,
            &crate::workflows::lifecycle::TransitionExtras {
                reason: body.reason.as_deref(),
                committee_id: body.committee_id.as_deref(),
                quorum_override_reason: None,
            },
            expected.and_then(IfMatch::version),
        )?;
        respond(conn, &principal, loaded)
    })
    .await?;
    Ok(with_etag(&response))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundResponse {
    pub round: i32,
    pub submitted_at: DateTime<Utc>,
    pub content: ProposalContent,
}

/// The snapshot of each submission.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/rounds", tag = "proposals",
    params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<RoundResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_rounds(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<RoundResponse>>> {
    let id = path.into_inner();
    let rounds = db::run(&state.pool, move |conn| {
        crate::workflows::rounds::rounds(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rounds
            .into_iter()
            .map(|r| RoundResponse {
                round: r.round,
                submitted_at: r.submitted_at.and_utc(),
                content: r.content,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// Earlier round (default: the one before `to`).
    pub from: Option<i32>,
    /// Later round (default: the latest).
    pub to: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiffResponse {
    pub from: i32,
    pub to: i32,
    pub changes: Vec<FieldChange>,
}

/// Field-by-field differences between two submission rounds.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/diff", tag = "proposals", params(
        ("id" = String, Path, description = "Proposal id"), DiffQuery),
    security(("bearer" = [])),
    responses((status = 200, body = DiffResponse), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn diff_rounds(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DiffQuery>,
) -> AppResult<web::Json<DiffResponse>> {
    let id = path.into_inner();
    let query = query.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let (from, to, changes) =
            crate::workflows::rounds::changes(conn, &principal, &id, query.from, query.to)?;
        Ok(DiffResponse { from, to, changes })
    })
    .await?;
    Ok(web::Json(response))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordResponse {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    /// The record's chain hash (admins only).
    pub hash: Option<String>,
}

/// The proposal's audit trail (its owner and admins), as the reader may see it: the owner
/// reads it without review records, reviewer identities, scores, comments, conflict
/// declarations, override reasons or payment amounts (docs/COMPLIANCE.md).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/audit", tag = "proposals",
    params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])),
    responses((status = 200, body = Vec<AuditRecordResponse>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn proposal_audit(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<AuditRecordResponse>>> {
    let id = path.into_inner();
    let records = db::run(&state.pool, move |conn| {
        crate::workflows::audit_trail::for_proposal(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        records
            .into_iter()
            .map(|r| AuditRecordResponse {
                seq: r.seq,
                at: r.at.and_utc(),
                actor_id: r.actor_id,
                actor_role: r.actor_role,
                action: r.action,
                before: r.before,
                after: r.after,
                reason: r.reason,
                hash: r.hash,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(
            &mut target,
            &serde_json::json!({"a": "z", "c": {"f": null}}),
        );
        assert_eq!(target, serde_json::json!({"a": "z", "c": {"d": "e"}}));
    }
}
