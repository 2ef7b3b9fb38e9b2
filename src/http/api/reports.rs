//! PDF reports: the proposal summary and the study status report.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Principal;
use crate::db;
use crate::domain::Lang;
use crate::domain::reference::FileName;
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

/// The PDF, to be shown in the browser and saved under `file_name` (RFC 6266).
pub fn pdf_response(bytes: Vec<u8>, file_name: &FileName) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition("inline", file_name.as_str()),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// `inline; filename="IIS-2026-0042-summary.pdf"`. A name with characters outside
/// printable ASCII also gets `filename*=UTF-8''…` (RFC 6266 §4.3, RFC 8187) and an ASCII
/// `filename` fallback.
pub fn content_disposition(disposition: &str, name: &str) -> String {
    let plain = |c: char| c.is_ascii_graphic() && c != '"' && c != '\\' && c != '%';
    if name.chars().all(plain) {
        return format!("{disposition}; filename=\"{name}\"");
    }
    let fallback: String = name
        .chars()
        .map(|c| if plain(c) { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
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
    let (bytes, name) = db::run(&state.pool, move |conn| {
        let report = reports::summary(conn, &principal, &id, lang)?;
        Ok((reports::render(&report.document)?, report.file_name))
    })
    .await?;
    Ok(pdf_response(bytes, &name))
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
    let (bytes, name) = db::run(&state.pool, move |conn| {
        let report = reports::status_report(conn, &principal, &id, lang)?;
        Ok((reports::render(&report.document)?, report.file_name))
    })
    .await?;
    Ok(pdf_response(bytes, &name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_are_quoted_and_others_get_filename_star() {
        assert_eq!(
            content_disposition("inline", "IIS-2026-0001-summary.pdf"),
            "inline; filename=\"IIS-2026-0001-summary.pdf\""
        );
        assert_eq!(
            content_disposition("inline", "IIS-2026-0001-サマリー.pdf"),
            "inline; filename=\"IIS-2026-0001-____.pdf\"; \
             filename*=UTF-8''IIS-2026-0001-%E3%82%B5%E3%83%9E%E3%83%AA%E3%83%BC.pdf"
        );
    }
}
