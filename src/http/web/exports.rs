//! The exports page (admins): the disclosure CSV of a chosen fiscal year and the studies CSV,
//! downloaded with the session cookie (the API's exports need a bearer token).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::WebUser;
use crate::db;
use crate::domain::Role;
use crate::domain::study::fiscal_year;
use crate::error::{AppError, WebError};
use crate::http::api::study::{csv_labels, csv_response};
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::workflows::study as workflow;

/// Fiscal years offered: the current one and the ten before it.
const YEARS_BACK: i32 = 10;

pub async fn show_exports(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    if principal.role != Role::Admin {
        return Err(AppError::Forbidden("admins only".into()).into());
    }
    let current = fiscal_year(crate::clock::programme_today());
    let years: Vec<i32> = (0..=YEARS_BACK).map(|back| current - back).collect();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/exports.html",
        json!({"years": years, "current_year": current}),
    )
}

/// The form's fields: the year (disclosure only) and the "codes instead of words" checkbox.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub fiscal_year: Option<String>,
    pub codes: Option<String>,
}

pub async fn disclosure_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let year = query
        .fiscal_year
        .as_deref()
        .and_then(|y| y.trim().parse::<i32>().ok());
    // The page's language: the one the admin reads the exports page in.
    let labels = csv_labels(
        None,
        query.codes.as_deref(),
        page_lang(&req, Some(&principal)),
    )?;
    let body = db::run(&state.pool, move |conn| {
        // Authorise before reading the query, so non-admins learn nothing from it.
        if principal.role != Role::Admin {
            return Err(AppError::Forbidden("admins only".into()));
        }
        let year = year.ok_or_else(|| {
            AppError::validation_one("fiscal_year", "required", "choose a fiscal year")
        })?;
        workflow::disclosure_csv(conn, &principal, year, labels)
    })
    .await?;
    Ok(csv_response(
        body,
        &format!("disclosure-FY{}.csv", year.unwrap_or_default()),
    ))
}

pub async fn studies_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let labels = csv_labels(
        None,
        query.codes.as_deref(),
        page_lang(&req, Some(&principal)),
    )?;
    let body = db::run(&state.pool, move |conn| {
        workflow::studies_csv(conn, &principal, labels)
    })
    .await?;
    Ok(csv_response(body, "studies.csv"))
}
