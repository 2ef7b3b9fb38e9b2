//! Field insights API: listening priorities, insights, restricted phrases and the insight
//! report (JSON, PDF, CSV). Admins and MSLs only (the visibility table's `Insights` row).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::db;
use crate::domain::Lang;
use crate::domain::insights::{Category, InsightStatus, Source};
use crate::domain::insights_compliance::{RestrictedKind, RestrictedPhrase};
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;
use crate::workflows::insight_report::{self as report_workflow, InsightReport};
use crate::workflows::insights::{
    self as workflow, ComplianceFlag, InsightInput, InsightView, LinkRef, Priority, PriorityInput,
};

// ---------------------------------------------------------------- listening priorities

#[derive(Debug, Serialize, ToSchema)]
pub struct PriorityResponse {
    pub id: String,
    pub therapeutic_area: String,
    pub product: String,
    pub question_ja: String,
    pub question_en: String,
    pub active_from: NaiveDate,
    /// Open-ended when absent.
    pub active_to: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Priority> for PriorityResponse {
    fn from(row: Priority) -> Self {
        PriorityResponse {
            id: row.id,
            therapeutic_area: row.therapeutic_area,
            product: row.product,
            question_ja: row.question_ja,
            question_en: row.question_en,
            active_from: row.active_from,
            active_to: row.active_to,
            created_at: row.created_at.and_utc(),
            updated_at: row.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityRequest {
    pub therapeutic_area: String,
    #[serde(default)]
    pub product: String,
    /// The question in Japanese.
    pub question_ja: String,
    /// The question in English.
    pub question_en: String,
    pub active_from: Option<NaiveDate>,
    pub active_to: Option<NaiveDate>,
}

impl PriorityRequest {
    fn input(&self) -> PriorityInput<'_> {
        PriorityInput {
            therapeutic_area: &self.therapeutic_area,
            product: &self.product,
            question_ja: &self.question_ja,
            question_en: &self.question_en,
            active_from: self.active_from,
            active_to: self.active_to,
        }
    }
}

/// Listening priorities: the questions the company wants the field to answer (admins, MSLs).
#[utoipa::path(get, path = "/api/v1/listening-priorities", tag = "insights", security(("bearer" = [])),
    responses((status = 200, body = Vec<PriorityResponse>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_priorities(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<PriorityResponse>>> {
    let rows = db::run(&state.pool, move |conn| {
        workflow::listening_priorities(conn, &principal)
    })
    .await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

/// Add a listening priority (admins).
#[utoipa::path(post, path = "/api/v1/listening-priorities", tag = "insights", request_body = PriorityRequest,
    security(("bearer" = [])),
    responses((status = 201, body = PriorityResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_priority(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<PriorityRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::create_priority(conn, &principal, &body.input())
    })
    .await?;
    let location = format!("/api/v1/listening-priorities/{}", row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(PriorityResponse::from(row)))
}

/// Change a listening priority (admins).
#[utoipa::path(put, path = "/api/v1/listening-priorities/{id}", tag = "insights", request_body = PriorityRequest,
    params(("id" = String, Path, description = "Listening priority id")), security(("bearer" = [])),
    responses((status = 200, body = PriorityResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_priority(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<PriorityRequest>,
) -> AppResult<web::Json<PriorityResponse>> {
    let id = path.into_inner();
    let body = body.into_inner();
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::update_priority(conn, &principal, &id, &body.input())
    })
    .await?;
    Ok(web::Json(row.into()))
}

// ---------------------------------------------------------------- insights

#[derive(Debug, Serialize, ToSchema)]
pub struct InsightResponse {
    pub id: String,
    pub status: InsightStatus,
    pub title: String,
    pub body: String,
    pub category: Category,
    pub source: Source,
    pub therapeutic_area: String,
    pub product: String,
    /// The interaction-log entry it was recorded from.
    pub interaction_id: Option<String>,
    pub author_id: String,
    pub author_name: String,
    pub proposals: Vec<LinkRef>,
    pub investigators: Vec<LinkRef>,
    pub listening_priorities: Vec<LinkRef>,
    /// The compliance matches of the current text; submitting with any needs a justification.
    pub compliance_matches: Vec<ComplianceFlag>,
    /// Given at submission when the text had matches.
    pub justification: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
}

impl From<InsightView> for InsightResponse {
    fn from(v: InsightView) -> Self {
        InsightResponse {
            id: v.row.id,
            status: v.status,
            title: v.row.title,
            body: v.row.body,
            category: v.category,
            source: v.source,
            therapeutic_area: v.row.therapeutic_area,
            product: v.row.product,
            interaction_id: v.row.interaction_id,
            author_id: v.row.author_id,
            author_name: v.author_name,
            proposals: v.proposals,
            investigators: v.investigators,
            listening_priorities: v.priorities,
            compliance_matches: v.flags,
            justification: v.row.justification,
            created_at: v.row.created_at.and_utc(),
            updated_at: v.row.updated_at.and_utc(),
            submitted_at: v.row.submitted_at.map(|t| t.and_utc()),
            acknowledged_at: v.row.acknowledged_at.map(|t| t.and_utc()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightRequest {
    pub title: String,
    pub body: String,
    /// `unmet_need`, `safety_perception`, `treatment_practice`, `protocol_feasibility` or
    /// `competitive_landscape`.
    pub category: String,
    /// `one_to_one`, `advisory_board`, `congress` or `literature`.
    pub source: String,
    pub therapeutic_area: String,
    #[serde(default)]
    pub product: String,
    /// An interaction-log entry of yours; its proposal is linked too.
    pub interaction_id: Option<String>,
    #[serde(default)]
    pub proposal_ids: Vec<String>,
    #[serde(default)]
    pub investigator_ids: Vec<String>,
    #[serde(default)]
    pub listening_priority_ids: Vec<String>,
}

impl From<InsightRequest> for InsightInput {
    fn from(r: InsightRequest) -> Self {
        InsightInput {
            title: r.title,
            body: r.body,
            category: r.category,
            source: r.source,
            therapeutic_area: r.therapeutic_area,
            product: r.product,
            interaction_id: r.interaction_id,
            proposal_ids: r.proposal_ids,
            investigator_ids: r.investigator_ids,
            priority_ids: r.listening_priority_ids,
        }
    }
}

/// Insights: an MSL's own, or (admins) every submitted and acknowledged one.
#[utoipa::path(get, path = "/api/v1/insights", tag = "insights", security(("bearer" = [])),
    responses((status = 200, body = Vec<InsightResponse>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_insights(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<InsightResponse>>> {
    let views = db::run(&state.pool, move |conn| {
        workflow::list_insights(conn, &principal)
    })
    .await?;
    Ok(web::Json(views.into_iter().map(Into::into).collect()))
}

/// Record an insight as a draft (MSLs). The answer lists its compliance matches.
#[utoipa::path(post, path = "/api/v1/insights", tag = "insights", request_body = InsightRequest,
    security(("bearer" = [])),
    responses((status = 201, body = InsightResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_insight(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<InsightRequest>,
) -> AppResult<HttpResponse> {
    let input = InsightInput::from(body.into_inner());
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::create_insight(conn, &principal, input)
    })
    .await?;
    let location = format!("/api/v1/insights/{}", view.row.id);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(InsightResponse::from(view)))
}

/// One insight (its author; admins once submitted).
#[utoipa::path(get, path = "/api/v1/insights/{id}", tag = "insights", params(("id" = String, Path, description = "Insight id")),
    security(("bearer" = [])),
    responses((status = 200, body = InsightResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_insight(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<InsightResponse>> {
    let id = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        workflow::get_insight(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(view.into()))
}

/// Replace a draft's content and links (its author).
#[utoipa::path(put, path = "/api/v1/insights/{id}", tag = "insights", request_body = InsightRequest,
    params(("id" = String, Path, description = "Insight id")), security(("bearer" = [])),
    responses((status = 200, body = InsightResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update_insight(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<InsightRequest>,
) -> AppResult<web::Json<InsightResponse>> {
    let id = path.into_inner();
    let input = InsightInput::from(body.into_inner());
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::update_insight(conn, &principal, &id, input)
    })
    .await?;
    Ok(web::Json(view.into()))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// Needed when the text has compliance matches (at least 10 characters); audited.
    pub justification: Option<String>,
}

/// Submit a draft (its author). With compliance matches and no justification: 422 listing
/// every match by field, and `justification`.
#[utoipa::path(post, path = "/api/v1/insights/{id}/submit", tag = "insights", request_body = SubmitRequest,
    params(("id" = String, Path, description = "Insight id")), security(("bearer" = [])),
    responses((status = 200, body = InsightResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_insight(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<SubmitRequest>,
) -> AppResult<web::Json<InsightResponse>> {
    let id = path.into_inner();
    let justification = body.into_inner().justification;
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::submit_insight(conn, &principal, &id, justification.as_deref())
    })
    .await?;
    Ok(web::Json(view.into()))
}

/// Acknowledge a submitted insight (admins).
#[utoipa::path(post, path = "/api/v1/insights/{id}/acknowledge", tag = "insights",
    params(("id" = String, Path, description = "Insight id")), security(("bearer" = [])),
    responses((status = 200, body = InsightResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn acknowledge_insight(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<InsightResponse>> {
    let id = path.into_inner();
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::acknowledge_insight(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(view.into()))
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum HistoryAction {
    #[serde(rename = "insight.create")]
    Create,
    #[serde(rename = "insight.update")]
    Update,
    #[serde(rename = "insight.submit")]
    Submit,
    #[serde(rename = "insight.acknowledge")]
    Acknowledge,
}

impl HistoryAction {
    fn parse(action: &str) -> HistoryAction {
        match action {
            "insight.create" => HistoryAction::Create,
            "insight.submit" => HistoryAction::Submit,
            "insight.acknowledge" => HistoryAction::Acknowledge,
            _ => HistoryAction::Update,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub action: HistoryAction,
    pub status: InsightStatus,
    /// The insight as it was after the action.
    pub snapshot: serde_json::Value,
    pub compliance_matches: Vec<serde_json::Value>,
    pub justification: Option<String>,
}

/// The append-only history of an insight.
#[utoipa::path(get, path = "/api/v1/insights/{id}/history", tag = "insights",
    params(("id" = String, Path, description = "Insight id")), security(("bearer" = [])),
    responses((status = 200, body = Vec<HistoryResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn insight_history(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<HistoryResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::history(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|r| HistoryResponse {
                at: r.at.and_utc(),
                actor_id: r.actor_id,
                action: HistoryAction::parse(&r.action),
                status: InsightStatus::parse(&r.status).unwrap_or(InsightStatus::Draft),
                snapshot: serde_json::from_str(&r.snapshot).unwrap_or_default(),
                compliance_matches: serde_json::from_str(&r.compliance_matches).unwrap_or_default(),
                justification: r.justification,
            })
            .collect(),
    ))
}

// ---------------------------------------------------------------- restricted phrases

/// The restricted words and phrases in force: the defaults and those admins added.
#[utoipa::path(get, path = "/api/v1/restricted-phrases", tag = "insights", security(("bearer" = [])),
    responses((status = 200, body = Vec<RestrictedPhrase>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_restricted_phrases(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<RestrictedPhrase>>> {
    let phrases = db::run(&state.pool, move |conn| {
        workflow::restricted_phrases(conn, &principal)
    })
    .await?;
    Ok(web::Json(phrases))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictedPhraseRequest {
    pub phrase: String,
    pub kind: RestrictedKind,
}

/// Add a restricted phrase (admins); the defaults cannot be removed.
#[utoipa::path(post, path = "/api/v1/restricted-phrases", tag = "insights", request_body = RestrictedPhraseRequest,
    security(("bearer" = [])),
    responses((status = 204, description = "Added"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_restricted_phrase(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<RestrictedPhraseRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::add_restricted_phrase(conn, &principal, &body.phrase, body.kind.as_str())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---------------------------------------------------------------- report

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// First day of the period (Japan time), YYYY-MM-DD.
    pub from: Option<NaiveDate>,
    /// Last day of the period, inclusive.
    pub to: Option<NaiveDate>,
    /// `ja` or `en` (default: the caller's language).
    pub lang: Option<String>,
}

fn language(query: &ReportQuery, principal: &Principal) -> AppResult<Lang> {
    match query.lang.as_deref() {
        None => Ok(principal.lang),
        Some(text) => Lang::parse(text)
            .ok_or_else(|| AppError::validation_one("lang", "invalid_choice", "ja or en")),
    }
}

async fn build_report(
    state: &AppState,
    principal: Principal,
    query: &ReportQuery,
) -> AppResult<(InsightReport, Lang)> {
    // Who may read it is decided before the query is: a CRO learns nothing from a 422.
    workflow::require_reader(&principal)?;
    let lang = language(query, &principal)?;
    let period = report_workflow::period(query.from, query.to)?;
    let report = db::run(&state.pool, move |conn| {
        report_workflow::report(conn, &principal, period, lang)
    })
    .await?;
    Ok((report, lang))
}

/// The insight report: counts and trend against the previous period of the same length by
/// therapeutic area, category and listening priority, with representative insights.
#[utoipa::path(get, path = "/api/v1/reports/insights", tag = "insights", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, body = InsightReport), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn insight_report(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ReportQuery>,
) -> AppResult<web::Json<InsightReport>> {
    let (report, _) = build_report(&state, principal, &query).await?;
    Ok(web::Json(report))
}

/// The insight report as an A4 PDF (Japanese or English).
#[utoipa::path(get, path = "/api/v1/reports/insights.pdf", tag = "insights", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, description = "A4 PDF", content_type = "application/pdf"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn insight_report_pdf(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let (report, lang) = build_report(&state, principal, &query).await?;
    let name = format!(
        "insights-{}-{}.pdf",
        report.comparison.period.from, report.comparison.period.to
    );
    let bytes = web::block(move || {
        crate::workflows::reports::render(&report_workflow::pdf_document(&report, lang))
    })
    .await
    .map_err(|e| AppError::internal(format!("pdf worker: {e}")))??;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            crate::http::api::reports::content_disposition("inline", &name),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

/// The insight report as CSV (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/reports/insights.csv", tag = "insights", params(ReportQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn insight_report_csv(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let (report, lang) = build_report(&state, principal, &query).await?;
    let name = format!(
        "insights-{}-{}.csv",
        report.comparison.period.from, report.comparison.period.to
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(report_workflow::csv(&report, lang)))
}
