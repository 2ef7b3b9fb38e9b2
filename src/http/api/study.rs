//! After-approval API: activation gates, milestones, enrollment, publications, payments,
//! exports, the overdue list and calendar feeds.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Principal;
use crate::db;
use crate::domain::glossary::Labels;
use crate::domain::study::days_overdue;
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{etag, idempotent_create, optional_if_match, parse_json, read_body};
use crate::state::AppState;
use crate::workflows::study::{
    self as workflow, GatesInput, GatesRow, MilestoneInput, MilestoneRow, PaymentView,
    PublicationInput, PublicationRow,
};

#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct GatesBody {
    pub contract_signed_on: Option<NaiveDate>,
    pub ethics_committee: Option<String>,
    pub ethics_approved_on: Option<NaiveDate>,
    pub ethics_approval_number: Option<String>,
    /// `jrct`, `nct`, `umin` or `other`.
    pub registry: Option<String>,
    /// Validated and normalised for the registry (e.g. `JPRN-jRCT2031210123` → `jRCT2031210123`).
    pub registry_id: Option<String>,
}

/// The fields are listed rather than `#[serde(flatten)]`ed from [`GatesBody`]: its
/// `deny_unknown_fields` becomes `additionalProperties: false`, which would forbid `missing`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GatesResponse {
    pub contract_signed_on: Option<NaiveDate>,
    pub ethics_committee: Option<String>,
    pub ethics_approved_on: Option<NaiveDate>,
    pub ethics_approval_number: Option<String>,
    pub registry: Option<String>,
    pub registry_id: Option<String>,
    /// Gates still missing before `activate`: `contract_signed`, `ethics_approved`, `registered`.
    pub missing: Vec<String>,
}

fn gates_response(gates: Option<&GatesRow>) -> GatesResponse {
    let g = gates.cloned().unwrap_or_default();
    GatesResponse {
        missing: workflow::missing_gates(gates)
            .into_iter()
            .map(str::to_string)
            .collect(),
        contract_signed_on: g.contract_signed_on,
        ethics_committee: g.ethics_committee,
        ethics_approved_on: g.ethics_approved_on,
        ethics_approval_number: g.ethics_approval_number,
        registry: g.registry,
        registry_id: g.registry_id,
    }
}

fn gates_version(gates: Option<&GatesRow>) -> i64 {
    gates
        .map(|g| g.updated_at.and_utc().timestamp_micros())
        .unwrap_or(0)
}

/// The activation gates and what is still missing.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/gates", tag = "study", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = GatesResponse, headers(("ETag" = String))), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_gates(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let gates = db::run(&state.pool, move |conn| {
        workflow::gates(conn, &principal, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(gates_version(gates.as_ref()))))
        .json(gates_response(gates.as_ref())))
}

/// Record the gates (admins). Requires `If-Match` (`"v0"` before the first record).
#[utoipa::path(put, path = "/api/v1/proposals/{id}/gates", tag = "study", request_body = GatesBody,
    params(("id" = String, Path, description = "Proposal id"), ("If-Match" = String, Header, description = "ETag from GET")),
    security(("bearer" = [])),
    responses((status = 200, body = GatesResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn put_gates(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<GatesBody>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let body = body.into_inner();
    let expected = optional_if_match(&req)?;
    let gates = db::run_tx(&state.pool, move |conn| {
        // Authorise before the precondition: a 428 never reveals a hidden study.
        let current = gates_version(workflow::gates(conn, &principal, &id)?.as_ref());
        if expected
            .ok_or(AppError::PreconditionRequired)?
            .expected(current)
            != current
        {
            return Err(AppError::PreconditionFailed);
        }
        workflow::save_gates(
            conn,
            &principal,
            &id,
            &GatesInput {
                contract_signed_on: body.contract_signed_on,
                ethics_committee: body.ethics_committee,
                ethics_approved_on: body.ethics_approved_on,
                ethics_approval_number: body.ethics_approval_number,
                registry: body.registry,
                registry_id: body.registry_id,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(gates_version(Some(&gates)))))
        .json(gates_response(Some(&gates))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MilestoneResponse {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub due_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub owner_role: String,
    pub note: String,
    /// Computed from today's date, never stored.
    pub overdue: bool,
    pub days_overdue: Option<i64>,
    pub version: i64,
}

pub fn milestone_response(m: MilestoneRow, today: NaiveDate) -> MilestoneResponse {
    let overdue = days_overdue(m.due_on, m.completed_on, today);
    MilestoneResponse {
        id: m.id,
        kind: m.kind,
        title: m.title,
        due_on: m.due_on,
        completed_on: m.completed_on,
        owner_role: m.owner_role,
        note: m.note,
        overdue: overdue.is_some(),
        days_overdue: overdue,
        version: m.version,
    }
}

/// Milestones of a study.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/milestones", tag = "study", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = Vec<MilestoneResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_milestones(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<MilestoneResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::milestones(conn, &principal, &id)
    })
    .await?;
    let today = crate::clock::programme_today();
    Ok(web::Json(
        rows.into_iter()
            .map(|m| milestone_response(m, today))
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMilestoneRequest {
    /// One of the milestone kinds (docs/PRODUCT.md#study-tracking), or `custom` with a `title`.
    pub kind: String,
    #[serde(default)]
    pub title: String,
    pub due_on: NaiveDate,
    /// `investigator`, `msl`, `admin` or `cro`.
    pub owner_role: String,
    #[serde(default)]
    pub note: String,
}

/// Add a milestone (the investigator or an admin, once approved).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/milestones", tag = "study", request_body = CreateMilestoneRequest,
    params(("id" = String, Path, description = "Proposal id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), security(("bearer" = [])),
    responses((status = 201, body = MilestoneResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_milestone(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let raw = read_body(payload, state.settings.body_limit_bytes).await?;
    let body: CreateMilestoneRequest = parse_json(&req, &raw)?;
    let p = principal.clone();
    // Retries with the same Idempotency-Key replay the first response (CRO integrations).
    idempotent_create(&state, &req, &principal, &raw, move |conn| {
        let row = workflow::add_milestone(
            conn,
            &p,
            &id,
            &MilestoneInput {
                kind: body.kind,
                title: body.title,
                due_on: Some(body.due_on),
                owner_role: body.owner_role,
                note: body.note,
            },
        )?;
        let location = format!("/api/v1/proposals/{id}/milestones/{}", row.id);
        Ok((
            serde_json::to_value(milestone_response(row, crate::clock::programme_today()))?,
            location,
        ))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMilestoneRequest {
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub due_on: Option<Option<NaiveDate>>,
    /// Set to mark the milestone done (`null` reopens it).
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub completed_on: Option<Option<NaiveDate>>,
    pub note: Option<String>,
}

/// Distinguishes an absent field (leave as is) from `null` (clear).
mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Change a milestone's dates or note; requires `If-Match` (the milestone's ETag).
#[utoipa::path(patch, path = "/api/v1/proposals/{id}/milestones/{milestone_id}", tag = "study", request_body = UpdateMilestoneRequest,
    params(("id" = String, Path, description = "Proposal id"), ("milestone_id" = String, Path, description = "Milestone id"),
        ("If-Match" = String, Header, description = "ETag of the milestone")),
    security(("bearer" = [])),
    responses((status = 200, body = MilestoneResponse), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem), (status = 428, body = Problem)))]
pub async fn update_milestone(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Json<UpdateMilestoneRequest>,
) -> AppResult<HttpResponse> {
    let (id, milestone_id) = path.into_inner();
    let body = body.into_inner();
    let expected = optional_if_match(&req)?;
    let row = db::run_tx(&state.pool, move |conn| {
        let milestones = workflow::milestones(conn, &principal, &id)?;
        let expected = expected.ok_or(AppError::PreconditionRequired)?;
        // `*` matches the milestone as it is now; an unknown one answers 404 below.
        let current = milestones
            .iter()
            .find(|m| m.id == milestone_id)
            .map_or(i64::MIN, |m| m.version);
        let expected = expected.expected(current);
        workflow::update_milestone(
            conn,
            &principal,
            &id,
            &milestone_id,
            expected,
            workflow::MilestoneChange {
                due_on: body.due_on,
                completed_on: body.completed_on,
                note: body.note,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(row.version)))
        .json(milestone_response(row, crate::clock::programme_today())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollmentResponse {
    pub planned: Option<i64>,
    pub enrolled: i64,
    pub percent: Option<i64>,
    pub updates: Vec<EnrollmentUpdate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollmentUpdate {
    pub as_of: NaiveDate,
    /// Patients enrolled so far (cumulative).
    pub count: i64,
    /// Required when `count` is lower than the latest recorded figure: why the earlier figure
    /// is corrected (audited as `enrollment.correct`). Never returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction_reason: Option<String>,
}

/// Enrollment progress against the planned sample size.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/enrollment", tag = "study", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = EnrollmentResponse), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_enrollment(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<EnrollmentResponse>> {
    let id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let (rows, planned_sample_size) = workflow::enrollment(conn, &principal, &id)?;
        let (enrolled, planned, percent) =
            workflow::enrollment_progress(&rows, planned_sample_size);
        Ok(EnrollmentResponse {
            planned,
            enrolled,
            percent,
            updates: rows
                .into_iter()
                .map(|r| EnrollmentUpdate {
                    as_of: r.as_of,
                    count: i64::from(r.enrolled),
                    correction_reason: None,
                })
                .collect(),
        })
    })
    .await?;
    Ok(web::Json(response))
}

/// Record the cumulative enrollment on a date.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/enrollment", tag = "study", request_body = EnrollmentUpdate,
    params(("id" = String, Path, description = "Proposal id"), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), security(("bearer" = [])),
    responses((status = 201, body = EnrollmentUpdate), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn post_enrollment(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let raw = read_body(payload, state.settings.body_limit_bytes).await?;
    let body: EnrollmentUpdate = parse_json(&req, &raw)?;
    let p = principal.clone();
    idempotent_create(&state, &req, &principal, &raw, move |conn| {
        let row = workflow::add_enrollment(
            conn,
            &p,
            &id,
            Some(body.as_of),
            Some(body.count),
            body.correction_reason.as_deref(),
        )?;
        let location = format!("/api/v1/proposals/{id}/enrollment");
        Ok((
            serde_json::to_value(EnrollmentUpdate {
                as_of: row.as_of,
                count: i64::from(row.enrolled),
                correction_reason: None,
            })?,
            location,
        ))
    })
    .await
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublicationBody {
    /// `manuscript` or `abstract`.
    pub kind: String,
    pub title: String,
    /// Journal (manuscripts) or congress (abstracts).
    #[serde(default)]
    pub venue: String,
    /// `planned`, `submitted`, `accepted`, `published` (manuscripts), `presented` (abstracts), `rejected`.
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    /// Normalised: `doi:` and `https://doi.org/` prefixes are removed.
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub congress_name: Option<String>,
    pub city: Option<String>,
    pub presented_on: Option<NaiveDate>,
}

/// The fields are listed rather than `#[serde(flatten)]`ed from [`PublicationBody`]: its
/// `deny_unknown_fields` becomes `additionalProperties: false`, which would forbid `id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicationResponse {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub venue: String,
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub congress_name: Option<String>,
    pub city: Option<String>,
    pub presented_on: Option<NaiveDate>,
}

fn publication_response(row: PublicationRow) -> PublicationResponse {
    PublicationResponse {
        id: row.id,
        kind: row.kind,
        title: row.title,
        venue: row.venue,
        status: row.status,
        submitted_on: row.submitted_on,
        accepted_on: row.accepted_on,
        published_on: row.published_on,
        doi: row.doi,
        pmid: row.pmid,
        congress_name: row.congress_name,
        city: row.city,
        presented_on: row.presented_on,
    }
}

/// Publications and congress presentations of a study.
#[utoipa::path(get, path = "/api/v1/proposals/{id}/publications", tag = "study", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = Vec<PublicationResponse>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn list_publications(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<PublicationResponse>>> {
    let id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        workflow::publications(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter().map(publication_response).collect(),
    ))
}

/// Add a manuscript or abstract; DOI and PMID are validated and normalised.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/publications", tag = "study", request_body = PublicationBody,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = PublicationResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_publication(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<PublicationBody>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let location = format!("/api/v1/proposals/{id}/publications");
    let row = db::run_tx(&state.pool, move |conn| {
        workflow::add_publication(
            conn,
            &principal,
            &id,
            &PublicationInput {
                kind: b.kind,
                title: b.title,
                venue: b.venue,
                status: b.status,
                submitted_on: b.submitted_on,
                accepted_on: b.accepted_on,
                published_on: b.published_on,
                doi: b.doi,
                pmid: b.pmid,
                congress_name: b.congress_name,
                city: b.city,
                presented_on: b.presented_on,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(publication_response(row)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentResponse {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub milestone_id: Option<String>,
    /// `scheduled` → `due` (its milestone is done) → `paid`.
    pub status: String,
    pub paid_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

fn payment_response(view: PaymentView) -> PaymentResponse {
    PaymentResponse {
        id: view.row.id,
        amount: view.row.amount,
        currency: view.row.currency,
        milestone_id: view.row.milestone_id,
        status: view.status.to_string(),
        paid_on: view.row.paid_on,
        created_at: view.row.created_at.and_utc(),
    }
}

/// The payment schedule (admins).
#[utoipa::path(get, path = "/api/v1/proposals/{id}/payments", tag = "study", params(("id" = String, Path, description = "Proposal id")),
    security(("bearer" = [])), responses((status = 200, body = Vec<PaymentResponse>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list_payments(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<web::Json<Vec<PaymentResponse>>> {
    let id = path.into_inner();
    let views = db::run(&state.pool, move |conn| {
        workflow::payments(conn, &principal, &id)
    })
    .await?;
    Ok(web::Json(views.into_iter().map(payment_response).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SchedulePaymentRequest {
    /// Whole currency units.
    pub amount: i64,
    #[serde(default = "default_currency")]
    pub currency: String,
    /// The milestone whose completion makes the payment due.
    pub milestone_id: Option<String>,
}

fn default_currency() -> String {
    "JPY".into()
}

/// Schedule a payment (admins).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/payments", tag = "study", request_body = SchedulePaymentRequest,
    params(("id" = String, Path, description = "Proposal id")), security(("bearer" = [])),
    responses((status = 201, body = PaymentResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_payment(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
    body: web::Json<SchedulePaymentRequest>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let b = body.into_inner();
    let location = format!("/api/v1/proposals/{id}/payments");
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::schedule_payment(
            conn,
            &principal,
            &id,
            Some(b.amount),
            &b.currency,
            b.milestone_id.as_deref(),
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(payment_response(view)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkPaidRequest {
    pub paid_on: NaiveDate,
}

/// Record that a due payment was paid (admins).
#[utoipa::path(post, path = "/api/v1/proposals/{id}/payments/{payment_id}/paid", tag = "study", request_body = MarkPaidRequest,
    params(("id" = String, Path, description = "Proposal id"), ("payment_id" = String, Path, description = "Payment id")),
    security(("bearer" = [])),
    responses((status = 200, body = PaymentResponse), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn mark_paid(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<(String, String)>,
    body: web::Json<MarkPaidRequest>,
) -> AppResult<web::Json<PaymentResponse>> {
    let (id, payment_id) = path.into_inner();
    let paid_on = body.into_inner().paid_on;
    let view = db::run_tx(&state.pool, move |conn| {
        workflow::mark_paid(conn, &principal, &id, &payment_id, Some(paid_on))
    })
    .await?;
    Ok(web::Json(payment_response(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DisclosureQuery {
    /// Japanese fiscal year (April to March), e.g. 2026 = 2026-04-01 … 2027-03-31.
    pub fiscal_year: Option<i32>,
    /// `ja` or `en`: the language of the column names and values (default: the caller's).
    pub lang: Option<String>,
    /// `1` (or `true`): column names and values as stable codes (`first_patient_in`) instead.
    pub codes: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CsvQuery {
    /// `ja` or `en`: the language of the column names and values (default: the caller's).
    pub lang: Option<String>,
    /// `1` (or `true`): column names and values as stable codes (`first_patient_in`) instead.
    pub codes: Option<String>,
}

/// Column names and coded values in the caller's language (or `lang`), or the codes.
pub(crate) fn csv_labels(
    lang: Option<&str>,
    codes: Option<&str>,
    default: crate::domain::Lang,
) -> AppResult<Labels> {
    let codes = match codes.map(str::trim) {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true" | "on") => true,
        Some(_) => {
            return Err(AppError::validation_one(
                "codes",
                "invalid_choice",
                "1 or 0",
            ));
        }
    };
    if codes {
        return Ok(Labels::Codes);
    }
    match lang {
        None => Ok(Labels::Words(default)),
        Some(text) => crate::domain::Lang::parse(text)
            .map(Labels::Words)
            .ok_or_else(|| AppError::validation_one("lang", "invalid_choice", "ja or en")),
    }
}

pub(crate) fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

/// Transparency disclosure per registry id for a fiscal year (admins): UTF-8 CSV with BOM.
/// Column names in the caller's language (`lang`), or codes with `codes=1`.
#[utoipa::path(get, path = "/api/v1/exports/disclosure.csv", tag = "study", params(DisclosureQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn disclosure_csv(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<DisclosureQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let year = query.fiscal_year;
    let body = db::run(&state.pool, move |conn| {
        // Authorise before validating the query, so non-admins learn nothing from it.
        if principal.role != crate::domain::Role::Admin {
            return Err(AppError::Forbidden("admins only".into()));
        }
        let year = year.ok_or_else(|| {
            AppError::validation_one("fiscal_year", "required", "e.g. ?fiscal_year=2026")
        })?;
        let labels = csv_labels(
            query.lang.as_deref(),
            query.codes.as_deref(),
            principal.lang,
        )?;
        workflow::disclosure_csv(conn, &principal, year, labels)
    })
    .await?;
    let year = year.unwrap_or_default();
    Ok(csv_response(body, &format!("disclosure-FY{year}.csv")))
}

/// Tracked studies with their milestones (admins): UTF-8 CSV with BOM. Column names, statuses
/// and milestone kinds in the caller's language (`lang`), or codes with `codes=1`.
#[utoipa::path(get, path = "/api/v1/exports/studies.csv", tag = "study", params(CsvQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV", content_type = "text/csv"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn studies_csv(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<CsvQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let body = db::run(&state.pool, move |conn| {
        if principal.role != crate::domain::Role::Admin {
            return Err(AppError::Forbidden("admins only".into()));
        }
        let labels = csv_labels(
            query.lang.as_deref(),
            query.codes.as_deref(),
            principal.lang,
        )?;
        workflow::studies_csv(conn, &principal, labels)
    })
    .await?;
    Ok(csv_response(body, "studies.csv"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarResponse {
    /// Secret iCalendar URL; shown once. Calling this again replaces it.
    pub url: String,
}

/// Create (or replace) the caller's secret iCalendar URL.
#[utoipa::path(post, path = "/api/v1/me/calendar", tag = "study", security(("bearer" = [])),
    responses((status = 201, body = CalendarResponse), (status = 401, body = Problem)))]
pub async fn reset_calendar(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<HttpResponse> {
    let key = state.key.clone();
    let token = db::run_tx(&state.pool, move |conn| {
        workflow::reset_calendar(conn, &key, &principal)
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/ical/{token}.ics")))
        .json(CalendarResponse {
            url: format!("{}/ical/{token}.ics", state.settings.base_url),
        }))
}

/// The iCalendar feed behind a secret URL (RFC 5545). Unknown or replaced secrets get 404.
pub async fn calendar_feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = path.into_inner();
    let token = token.strip_suffix(".ics").unwrap_or(&token).to_string();
    let key = state.key.clone();
    let base = state.settings.base_url.clone();
    let feed = db::run(&state.pool, move |conn| {
        workflow::calendar_feed(conn, &key, &token, &base)
    })
    .await?;
    let feed = feed.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(feed))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueItem {
    pub proposal_id: String,
    pub reference: Option<String>,
    pub title: String,
    pub milestone: MilestoneResponse,
}

/// Overdue milestones (admins: all studies; MSLs: their assigned studies).
#[utoipa::path(get, path = "/api/v1/overdue", tag = "study", security(("bearer" = [])),
    responses((status = 200, body = Vec<OverdueItem>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_overdue(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<Vec<OverdueItem>>> {
    let today = crate::clock::programme_today();
    let rows = db::run(&state.pool, move |conn| {
        workflow::overdue(conn, &principal, today)
    })
    .await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|(m, title, reference, _)| OverdueItem {
                proposal_id: m.proposal_id.clone(),
                reference,
                title,
                milestone: milestone_response(m, today),
            })
            .collect(),
    ))
}
