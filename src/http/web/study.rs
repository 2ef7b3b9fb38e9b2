//! Study tracking on the proposal page (gates, milestones, enrollment, publications,
//! payments), the overdue view and the calendar page.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::auth::csrf::CsrfForm;
use crate::auth::{Principal, WebUser};
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult, WebError};
use crate::http::web::flash::redirect_with_flash;
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::study::{self as workflow, GatesInput, MilestoneInput, PublicationInput};

fn date(text: Option<&str>) -> Option<NaiveDate> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
}

fn text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

/// Runs a study form: on success back to the page, on validation errors the page again
/// with the errors beside that form's fields.
async fn handle<F, T>(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    id: String,
    form_name: &'static str,
    pairs: Vec<(String, String)>,
    action: F,
) -> Result<HttpResponse, WebError>
where
    F: FnOnce(&mut DbConnection, &Principal, &str) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let (p, pid) = (principal.clone(), id.clone());
    match db::run_tx(&state.pool, move |conn| action(conn, &p, &pid)).await {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/proposals/{id}#study"),
            "study_saved",
        )),
        Err(AppError::Validation(errors)) => {
            let lang = page_lang(&req, Some(&principal));
            let messages: BTreeMap<String, String> = errors
                .iter()
                .map(|e| {
                    // `err.too_large` is the upload message; amounts have their own.
                    let key = match e.code.as_str() {
                        "too_large" => "err.amount_too_large".to_string(),
                        code => format!("err.{code}"),
                    };
                    (e.field.clone(), translate(lang, &key))
                })
                .collect();
            let values: BTreeMap<String, String> = pairs
                .into_iter()
                .filter(|(k, _)| k != "csrf_token")
                .collect();
            crate::http::web::proposal_page::render_show(
                &req,
                &state,
                &principal,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"study_errors": messages, "study_form": values, "study_form_name": form_name}),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

type AnyForm = CsrfForm<crate::http::web::AnyForm>;

pub async fn save_gates(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let pairs = form.pairs;
    let input = GatesInput {
        contract_signed_on: date(field(&pairs, "contract_signed_on")),
        ethics_committee: text(field(&pairs, "ethics_committee")),
        ethics_approved_on: date(field(&pairs, "ethics_approved_on")),
        ethics_approval_number: text(field(&pairs, "ethics_approval_number")),
        registry: text(field(&pairs, "registry")),
        registry_id: text(field(&pairs, "registry_id")),
    };
    handle(
        req,
        state,
        user.0,
        path.into_inner(),
        "gates",
        pairs,
        move |conn, p, id| workflow::save_gates(conn, p, id, &input),
    )
    .await
}

pub async fn add_milestone(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let pairs = form.pairs;
    let input = MilestoneInput {
        kind: field(&pairs, "kind").unwrap_or_default().to_string(),
        title: field(&pairs, "title").unwrap_or_default().to_string(),
        due_on: date(field(&pairs, "due_on")),
        owner_role: field(&pairs, "owner_role").unwrap_or_default().to_string(),
        note: field(&pairs, "note").unwrap_or_default().to_string(),
    };
    handle(
        req,
        state,
        user.0,
        path.into_inner(),
        "milestone",
        pairs,
        move |conn, p, id| workflow::add_milestone(conn, p, id, &input),
    )
    .await
}

pub async fn complete_milestone(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let (id, milestone_id) = path.into_inner();
    let mut pairs = form.pairs;
    pairs.push(("milestone_id".into(), milestone_id.clone()));
    let completed = date(field(&pairs, "completed_on"));
    handle(
        req,
        state,
        user.0,
        id,
        "complete",
        pairs,
        move |conn, p, id| {
            let Some(done) = completed else {
                return Err(AppError::validation_one(
                    "completed_on",
                    "required",
                    "is required",
                ));
            };
            let version = workflow::milestone_version(conn, p, id, &milestone_id)?;
            workflow::update_milestone(
                conn,
                p,
                id,
                &milestone_id,
                version,
                workflow::MilestoneChange {
                    completed_on: Some(Some(done)),
                    ..Default::default()
                },
            )
        },
    )
    .await
}

pub async fn add_enrollment(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let pairs = form.pairs;
    let as_of = date(field(&pairs, "as_of"));
    let count = field(&pairs, "count").and_then(|c| c.trim().parse::<i64>().ok());
    // A lower figure is taken only with its reason and the confirmation ticked.
    let correction_reason = (field(&pairs, "confirm_correction") == Some("yes"))
        .then(|| field(&pairs, "correction_reason").map(str::to_string))
        .flatten();
    handle(
        req,
        state,
        user.0,
        path.into_inner(),
        "enrollment",
        pairs,
        move |conn, p, id| {
            workflow::add_enrollment(conn, p, id, as_of, count, correction_reason.as_deref())
        },
    )
    .await
}

pub async fn add_publication(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let pairs = form.pairs;
    let f = |name: &str| field(&pairs, name).unwrap_or_default().to_string();
    let input = PublicationInput {
        kind: f("kind"),
        title: f("title"),
        venue: f("venue"),
        status: f("status"),
        submitted_on: date(field(&pairs, "submitted_on")),
        accepted_on: date(field(&pairs, "accepted_on")),
        published_on: date(field(&pairs, "published_on")),
        doi: text(field(&pairs, "doi")),
        pmid: text(field(&pairs, "pmid")),
        congress_name: text(field(&pairs, "congress_name")),
        city: text(field(&pairs, "city")),
        presented_on: date(field(&pairs, "presented_on")),
    };
    handle(
        req,
        state,
        user.0,
        path.into_inner(),
        "publication",
        pairs,
        move |conn, p, id| workflow::add_publication(conn, p, id, &input),
    )
    .await
}

pub async fn add_payment(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let pairs = form.pairs;
    let amount =
        field(&pairs, "amount").and_then(|a| a.replace([',', ' '], "").parse::<i64>().ok());
    let currency = field(&pairs, "currency").unwrap_or("JPY").to_string();
    let milestone = text(field(&pairs, "milestone_id"));
    handle(
        req,
        state,
        user.0,
        path.into_inner(),
        "payment",
        pairs,
        move |conn, p, id| {
            workflow::schedule_payment(conn, p, id, amount, &currency, milestone.as_deref())
        },
    )
    .await
}

pub async fn mark_paid(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<(String, String)>,
    form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let (id, payment_id) = path.into_inner();
    let mut pairs = form.pairs;
    pairs.push(("payment_id".into(), payment_id.clone()));
    let paid_on = date(field(&pairs, "paid_on"));
    handle(req, state, user.0, id, "paid", pairs, move |conn, p, id| {
        workflow::mark_paid(conn, p, id, &payment_id, paid_on)
    })
    .await
}

pub async fn show_overdue(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let p = principal.clone();
    let today = crate::clock::programme_today();
    let rows = db::run(&state.pool, move |conn| workflow::overdue(conn, &p, today)).await?;
    let items: Vec<Value> = rows
        .into_iter()
        .map(|(m, title, reference, days)| {
            json!({
                "proposal_id": m.proposal_id, "reference": reference, "title": title,
                "milestone": if m.kind == "custom" && !m.title.is_empty() { m.title.clone() } else { translate(lang, &format!("milestone.{}", m.kind)) },
                "due_on": m.due_on.map(|d| d.to_string()), "days_overdue": days, "owner_role": m.owner_role,
            })
        })
        .collect();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/overdue.html",
        json!({"items": items}),
    )
}

pub async fn show_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    render_page(
        &req,
        &state,
        Some(&user.0),
        StatusCode::OK,
        "web/calendar.html",
        json!({"url": null, "reset": false}),
    )
}

pub async fn reset_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    _form: AnyForm,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let key = state.key.clone();
    let p = principal.clone();
    let token = db::run_tx(&state.pool, move |conn| {
        workflow::reset_calendar(conn, &key, &p)
    })
    .await?;
    let url = format!("{}/ical/{token}.ics", state.settings.base_url);
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/calendar.html",
        json!({"url": url, "reset": true}),
    )
}
