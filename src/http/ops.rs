//! Operational endpoints: liveness, readiness, metrics.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::db;
use crate::error::AppResult;
use crate::state::AppState;

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

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database is reachable", body = String),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem),
        (status = 503, description = "The database is not reachable", body = crate::error::Problem)))]
pub async fn readyz(
    state: web::Data<AppState>,
    _query: web::Query<NoQuery>,
) -> AppResult<HttpResponse> {
    db::run(&state.pool, |conn| {
        conn.batch_execute("SELECT 1")?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("text/plain").body("ready"))
}

/// Prometheus text metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem)))]
pub async fn metrics(state: web::Data<AppState>, _query: web::Query<NoQuery>) -> HttpResponse {
    let pool = state.pool.state();
    let body = state.metrics.render(&[
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
    ]);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
