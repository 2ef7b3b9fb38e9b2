//! The programme dashboard page (`/programme`, admins and chairs) and the insight report page
//! (`/reports/insights`, admins and MSLs) with its PDF and CSV downloads.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::WebUser;
use crate::db;
use crate::domain::Lang;
use crate::error::{AppError, WebError};
use crate::http::web::charts::{BarRow, bar_chart};
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::insight_report::{self as report_workflow, breakdowns, change_text, label};
use crate::workflows::{insights as insight_workflow, programme};

/// Today in the programme's time zone.
fn today_in_japan() -> NaiveDate {
    crate::clock::programme_today()
}

fn days_text(lang: Lang, days: Option<f64>) -> String {
    match days {
        None => "—".into(),
        Some(d) => translate(lang, "programme.days").replace("{n}", &format!("{d:.1}")),
    }
}

pub async fn show_programme(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let p = principal.clone();
    let today = today_in_japan();
    let d = db::run(&state.pool, move |conn| {
        programme::dashboard(conn, &p, today)
    })
    .await?;
    let t = |key: &str| translate(lang, key);
    let pipeline = bar_chart(
        "chart-pipeline",
        &t("programme.pipeline"),
        &t("programme.pipeline_desc"),
        &t("programme.status"),
        &[t("programme.proposals")],
        &[t("programme.proposals")],
        d.pipeline
            .iter()
            .map(|(status, n)| BarRow {
                label: t(&format!("status.{}", status.as_str())),
                values: vec![f64::from(*n)],
                value_texts: vec![n.to_string()],
                cells: vec![n.to_string()],
            })
            .collect(),
    );
    let approval = bar_chart(
        "chart-approval",
        &t("programme.approval"),
        &t("programme.approval_desc"),
        &t("insight.report.dimension.therapeutic_area"),
        &[t("programme.approval_rate")],
        &[
            t("programme.decided"),
            t("programme.approved"),
            t("programme.approval_rate"),
        ],
        d.approval_rates
            .iter()
            .map(|r| BarRow {
                label: r.therapeutic_area.clone(),
                values: vec![f64::from(r.percent)],
                value_texts: vec![format!("{}%", r.percent)],
                cells: vec![
                    r.decided.to_string(),
                    r.approved.to_string(),
                    format!("{}%", r.percent),
                ],
            })
            .collect(),
    );
    let enrollment = bar_chart(
        "chart-enrollment",
        &t("programme.enrollment"),
        &t("programme.enrollment_desc"),
        &t("programme.study"),
        &[t("programme.enrolled_percent")],
        &[
            t("programme.enrolled"),
            t("programme.planned"),
            t("programme.enrolled_percent"),
        ],
        d.enrollment
            .iter()
            .map(|s| {
                let percent = s
                    .percent
                    .map(|p| format!("{p}%"))
                    .unwrap_or_else(|| "—".into());
                BarRow {
                    label: match &s.reference {
                        Some(r) => format!("{r} {}", s.title),
                        None => s.title.clone(),
                    },
                    values: vec![s.percent.unwrap_or(0) as f64],
                    value_texts: vec![percent.clone()],
                    cells: vec![
                        s.enrolled.to_string(),
                        s.planned
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| "—".into()),
                        percent,
                    ],
                }
            })
            .collect(),
    );
    let outputs = bar_chart(
        "chart-outputs",
        &t("programme.outputs"),
        &t("programme.outputs_desc"),
        &t("programme.year"),
        &[t("programme.publications"), t("programme.presentations")],
        &[t("programme.publications"), t("programme.presentations")],
        d.outputs_per_year
            .iter()
            .map(|y| BarRow {
                label: y.year.to_string(),
                values: vec![f64::from(y.publications), f64::from(y.presentations)],
                value_texts: vec![y.publications.to_string(), y.presentations.to_string()],
                cells: vec![y.publications.to_string(), y.presentations.to_string()],
            })
            .collect(),
    );
    let overdue: Vec<Value> = d
        .overdue
        .iter()
        .map(|o| {
            json!({
                "proposal_id": o.proposal_id, "reference": o.reference, "title": o.title,
                "milestone": if o.milestone_title.is_empty() { t(&format!("milestone.{}", o.milestone_kind)) } else { o.milestone_title.clone() },
                "due_on": o.due_on.map(|d| d.to_string()), "days_overdue": o.days_overdue,
            })
        })
        .collect();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/programme.html",
        json!({
            "charts": [pipeline, approval, enrollment, outputs],
            "median_decision": days_text(lang, d.median_days_to_decision),
            "median_activation": days_text(lang, d.median_days_to_activation),
            "overdue": overdue,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The dates of the query (an unreadable date is a missing one); without both, the last 90
/// days.
fn dates(query: &ReportQuery, today: NaiveDate) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let parse = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
    };
    match (parse(&query.from), parse(&query.to)) {
        (None, None) => (Some(today - chrono::Duration::days(89)), Some(today)),
        (from, to) => (from.flatten(), to.flatten()),
    }
}

pub async fn show_insight_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    insight_workflow::require_reader(&principal)?;
    let lang = page_lang(&req, Some(&principal));
    let (from, to) = dates(&query, today_in_japan());
    let form = json!({"from": query.from.clone().or(from.map(|d| d.to_string())), "to": query.to.clone().or(to.map(|d| d.to_string()))});
    let period = match report_workflow::period(from, to) {
        Ok(period) => period,
        Err(AppError::Validation(errors)) => {
            let errors: serde_json::Map<String, Value> = errors
                .iter()
                .map(|e| {
                    (
                        e.field.clone(),
                        json!(translate(lang, &format!("err.{}", e.code))),
                    )
                })
                .collect();
            return render_page(
                &req,
                &state,
                Some(&principal),
                StatusCode::UNPROCESSABLE_ENTITY,
                "web/insight_report.html",
                json!({"form": form, "errors": errors}),
            );
        }
        Err(other) => return Err(other.into()),
    };
    let p = principal.clone();
    let report = db::run(&state.pool, move |conn| {
        report_workflow::report(conn, &p, period, lang)
    })
    .await?;
    let t = |key: &str| translate(lang, key);
    let c = &report.comparison;
    let current = t("insight.report.current");
    let previous = t("insight.report.previous");
    let charts: Vec<Value> = breakdowns(&report)
        .into_iter()
        .map(|(dimension, heading, rows)| {
            bar_chart(
                &format!("chart-{dimension}"),
                &t(heading),
                &t(&format!("insight.report.desc.{dimension}"))
                    .replace("{from}", &c.period.from.to_string())
                    .replace("{to}", &c.period.to.to_string()),
                &t(&format!("insight.report.dimension.{dimension}")),
                &[current.clone(), previous.clone()],
                &[
                    current.clone(),
                    previous.clone(),
                    t("insight.report.change"),
                ],
                rows.iter()
                    .map(|r| BarRow {
                        label: label(lang, dimension, r),
                        values: vec![f64::from(r.current), f64::from(r.previous)],
                        value_texts: vec![r.current.to_string(), r.previous.to_string()],
                        cells: vec![
                            r.current.to_string(),
                            r.previous.to_string(),
                            change_text(lang, r),
                        ],
                    })
                    .collect(),
            )
        })
        .collect();
    let examples: Vec<Value> = report
        .representatives
        .iter()
        .map(|r| {
            json!({
                "id": r.id, "title": r.title, "body": r.body, "category": r.category.as_str(),
                "status": r.status.as_str(), "submitted_on": r.submitted_on.map(|d| d.to_string()),
                "therapeutic_area": r.therapeutic_area, "author_name": r.author_name,
            })
        })
        .collect();
    let query_string = format!("from={}&to={}", c.period.from, c.period.to);
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/insight_report.html",
        json!({
            "form": {"from": c.period.from.to_string(), "to": c.period.to.to_string()},
            "errors": {},
            "period": {"from": c.period.from.to_string(), "to": c.period.to.to_string()},
            "previous_period": {"from": c.previous_period.from.to_string(), "to": c.previous_period.to.to_string()},
            "total": {"current": c.total.current, "previous": c.total.previous, "change": change_text(lang, &c.total)},
            "charts": charts,
            "examples": examples,
            "pdf_href": format!("/reports/insights.pdf?{query_string}"),
            "csv_href": format!("/reports/insights.csv?{query_string}"),
        }),
    )
}

async fn download(
    req: &HttpRequest,
    state: &AppState,
    user: WebUser,
    query: &ReportQuery,
    pdf: bool,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    insight_workflow::require_reader(&principal)?;
    let lang = page_lang(req, Some(&principal));
    let (from, to) = dates(query, today_in_japan());
    let period = report_workflow::period(from, to)?;
    let report = db::run(&state.pool, move |conn| {
        report_workflow::report(conn, &principal, period, lang)
    })
    .await?;
    let name = format!("insights-{}-{}", period.from, period.to);
    if pdf {
        let bytes = web::block(move || {
            crate::workflows::reports::render(&report_workflow::pdf_document(&report, lang))
        })
        .await
        .map_err(|e| AppError::internal(format!("pdf worker: {e}")))??;
        Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.pdf\""),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(bytes))
    } else {
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ))
            .insert_header((header::CACHE_CONTROL, "private, no-store"))
            .body(report_workflow::csv(&report, lang)))
    }
}

pub async fn insight_report_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    download(&req, &state, user, &query, true).await
}

pub async fn insight_report_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, WebError> {
    download(&req, &state, user, &query, false).await
}
