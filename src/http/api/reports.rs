//! PDF reports: the proposal summary and the study status report.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Principal;
use crate::db;
use crate::domain::Lang;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::workflows::reports;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PdfQuery {
    /// `ja` or `en` (default: the caller's language).
    pub lang: Option<String>,
}

fn language(query: &PdfQuery, principal: &Principal) -> AppResult<Lang> {
    match query.lang.as_deref() {
        None => Ok(principal.lang),
        Some(text) => Lang::parse(text)
            .ok_or_else(|| AppError::validation_one("lang", "invalid_choice", "ja or en")),
    }
}

pub fn pdf_response(bytes: Vec<u8>, file_name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// The proposal summary as PDF: the committee version for the chair and admins (scores,
/// confidential comments), the investigator version for its owner (decision and comments to
/// the investigator only), and no review content for anyone else.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/summary.pdf", tag = "reports",
    params(("id" = String, Path, description = "Proposal id"), PdfQuery), security(("bearer" = [])),
    responses((status = 200, description = "A4 PDF", content_type = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn summary_pdf(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<PdfQuery>,
) -> AppResult<HttpResponse> {
    let lang = language(&query, &principal)?;
    let id = path.into_inner();
    let bytes = db::run(&state.pool, move |conn| {
        let document = reports::summary(conn, &principal, &id, lang)?;
        reports::render(&document)
    })
    .await?;
    Ok(pdf_response(bytes, "summary.pdf"))
}

/// The study status report as PDF.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/status-report.pdf", tag = "reports",
    params(("id" = String, Path, description = "Proposal id"), PdfQuery), security(("bearer" = [])),
    responses((status = 200, description = "A4 PDF", content_type = "application/pdf"), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn status_report_pdf(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<PdfQuery>,
) -> AppResult<HttpResponse> {
    let lang = language(&query, &principal)?;
    let id = path.into_inner();
    let bytes = db::run(&state.pool, move |conn| {
        let document = reports::status_report(conn, &principal, &id, lang)?;
        reports::render(&document)
    })
    .await?;
    Ok(pdf_response(bytes, "status-report.pdf"))
}
