//! Operational endpoints: liveness, readiness, metrics.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::auth::secrets::constant_time_eq;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::notify::health::delivery_stalled;
use crate::state::AppState;
use crate::workflows::delivery;

/// The public endpoints take no query parameters: like every other operation, they refuse
/// unknown ones with 422 (through the app's `QueryConfig`).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// The process is up (no dependencies checked).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is up", body = String),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem)))]
pub async fn healthz(_query: web::Query<NoQuery>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// The database answers and email and webhook delivery is not stalled.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database is reachable and delivery makes progress", body = String),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem),
        (status = 503, description = "The database is not reachable, or a message has waited longer than `LIAISON_WORKER_STALL_SECONDS` while no worker made progress", body = crate::error::Problem)))]
pub async fn readyz(
    state: web::Data<AppState>,
    _query: web::Query<NoQuery>,
) -> AppResult<HttpResponse> {
    let waited = db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1")?;
        delivery::oldest_due_waited(conn)
    })
    .await?;
    let stall = state.settings.worker_stall;
    if delivery_stalled(waited, state.worker_health.since_progress(), stall) {
        return Err(AppError::Unavailable(format!(
            "outbox delivery has made no progress for over {} s",
            stall.as_secs()
        )));
    }
    Ok(HttpResponse::Ok().content_type("text/plain").body("ready"))
}

/// Prometheus text metrics (behind a bearer token when `LIAISON_METRICS_TOKEN` is set).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String),
        (status = 401, description = "`LIAISON_METRICS_TOKEN` is set and the request does not carry it", body = crate::error::Problem),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem)))]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    _query: web::Query<NoQuery>,
) -> AppResult<HttpResponse> {
    if let Some(expected) = &state.settings.metrics_token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            return Err(AppError::Unauthenticated);
        }
    }
    let outbox = db::run(&state.pool, delivery::outbox_gauges).await?;
    let pool = state.pool.state();
    let health = &state.worker_health;
    let statements = state.pool.statements();
    let counters = [
        (
            "liaison_db_statements_total",
            "Statements this process sent to the database (queries, changes, BEGIN and COMMIT).",
            statements.run(),
        ),
        (
            "liaison_db_statements_prepared_total",
            "Statements prepared and kept for reuse by a connection (once per connection and statement).",
            statements.prepared_for_reuse(),
        ),
    ];
    let body = state.metrics.render(
        &counters,
        &[
            (
                "liaison_db_pool_connections",
                "Open database connections.",
                f64::from(pool.connections),
            ),
            (
                "liaison_db_pool_idle_connections",
                "Idle database connections.",
                f64::from(pool.idle_connections),
            ),
            (
                "liaison_outbox_pending",
                "Messages waiting to be delivered.",
                outbox.pending as f64,
            ),
            (
                "liaison_outbox_in_flight",
                "Messages claimed by a worker and being delivered.",
                outbox.sending as f64,
            ),
            (
                "liaison_outbox_dead",
                "Messages given up on (an admin can re-queue them).",
                outbox.dead as f64,
            ),
            (
                "liaison_outbox_oldest_pending_age_seconds",
                "Age of the oldest pending message.",
                outbox.oldest_pending_age.as_secs_f64(),
            ),
            (
                "liaison_worker_panics",
                "Panics the delivery worker of this process caught and survived since it started.",
                health.panics() as f64,
            ),
        ],
    );
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body))
}
