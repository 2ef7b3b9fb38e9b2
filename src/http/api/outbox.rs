//! `/api/v1/outbox`: the delivery queue, for admins.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::auth::policy;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{Page, decode_cursor, into_page, page_limit};
use crate::state::AppState;
use crate::workflows::delivery::{self, OutboxRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessage {
    pub id: String,
    pub channel: String,
    pub event: String,
    pub recipient: String,
    pub lang: String,
    /// `pending`, `sending`, `sent` or `dead`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<OutboxRow> for OutboxMessage {
    fn from(row: OutboxRow) -> Self {
        OutboxMessage {
            id: row.id,
            channel: row.channel,
            event: row.event,
            recipient: row.recipient,
            lang: row.lang,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at.and_utc(),
            last_error: row.last_error,
            created_at: row.created_at.and_utc(),
            sent_at: row.sent_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `pending`, `failed` (pending after a failed attempt), `dead`, `sent`, `sending`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub const STATUSES: &[&str] = &["pending", "failed", "dead", "sent", "sending"];

/// Messages in the delivery queue (admins).
#[utoipa::path(get, path = "/api/v1/outbox", tag = "operations", params(OutboxQuery),
    security(("bearer" = [])),
    responses((status = 200, body = Page<OutboxMessage>), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_outbox(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<OutboxQuery>,
) -> AppResult<web::Json<Page<OutboxMessage>>> {
    policy::manage_users(&principal).require()?;
    let query = query.into_inner();
    if let Some(status) = &query.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(AppError::validation_one(
            "status",
            "invalid_choice",
            "unknown status",
        ));
    }
    let limit = page_limit(query.limit)?;
    let before = decode_cursor(query.cursor.as_deref())?;
    let rows = db::run(&state.pool, move |conn| {
        delivery::messages(
            conn,
            &principal,
            query.status.as_deref(),
            before.as_deref(),
            limit + 1,
        )
    })
    .await?;
    Ok(web::Json(into_page(
        rows,
        limit,
        |r| &r.id,
        OutboxMessage::from,
    )))
}

/// Re-queue a dead or failing message for an immediate attempt (admins).
#[utoipa::path(post, path = "/api/v1/outbox/{id}/requeue", tag = "operations",
    params(("id" = String, Path, description = "Message id")),
    security(("bearer" = [])),
    responses((status = 200, body = OutboxMessage), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn requeue_message(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<OutboxMessage>> {
    policy::manage_users(&principal).require()?;
    let id = path.into_inner();
    let row = db::run_tx(&state.pool, move |conn| {
        delivery::requeue(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(OutboxMessage::from(row)))
}
