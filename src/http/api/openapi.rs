//! The OpenAPI document, generated from the handlers' annotations.

use std::sync::OnceLock;

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{api, ops};

mod polish;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Liaison API",
        description = "Investigator-initiated study programme: proposals, review, study tracking. \
                       Errors are RFC 9457 problem+json.",
        version = "1.0.0"
    ),
    paths(
        ops::healthz,
        ops::readyz,
        ops::metrics,
        openapi_json,
        api::me::get_me,
        api::users::list_users,
        api::users::create_user,
        api::users::get_user,
        api::users::update_user,
        api::proposals::list_proposals,
        api::proposals::create_proposal,
        api::proposals::get_proposal,
        api::proposals::patch_proposal,
        api::proposals::transition_proposal,
        api::proposals::list_rounds,
        api::proposals::diff_rounds,
        api::proposals::proposal_audit,
        api::review::list_reviewers,
        api::review::assign_reviewer,
        api::review::get_coi,
        api::review::declare_coi,
        api::review::list_reviews,
        api::review::get_my_review,
        api::review::put_my_review,
        api::review::get_decision,
        api::review::post_decision,
        api::review::list_committees,
        api::review::create_committee,
        api::review::get_committee,
        api::review::update_committee,
        api::review::get_ranking,
        api::msl::list_msls,
        api::msl::assign_msl,
        api::msl::unassign_msl,
        api::msl::request_advice,
        api::msl::list_advice,
        api::msl::post_advice,
        api::msl::list_interactions,
        api::msl::log_interaction,
        api::msl::list_documents,
        api::msl::upload_document,
        api::msl::download_document,
        api::reports::summary_pdf,
        api::reports::status_report_pdf,
        api::study::get_gates,
        api::study::put_gates,
        api::study::list_milestones,
        api::study::create_milestone,
        api::study::update_milestone,
        api::study::get_enrollment,
        api::study::post_enrollment,
        api::study::list_publications,
        api::study::create_publication,
        api::study::list_payments,
        api::study::create_payment,
        api::study::mark_paid,
        api::study::disclosure_csv,
        api::study::studies_csv,
        api::study::reset_calendar,
        api::study::list_overdue,
        api::cro::list_organizations,
        api::cro::create_organization,
        api::cro::list_api_keys,
        api::cro::create_api_key,
        api::cro::revoke_api_key,
        api::cro::list_webhooks,
        api::cro::register_webhook,
        api::cro::ping_webhook,
        api::cro::list_deliveries,
        api::cro::list_cro,
        api::cro::assign_cro,
        api::cro::unassign_cro,
        api::insights::list_priorities,
        api::insights::create_priority,
        api::insights::update_priority,
        api::insights::list_insights,
        api::insights::create_insight,
        api::insights::get_insight,
        api::insights::update_insight,
        api::insights::submit_insight,
        api::insights::acknowledge_insight,
        api::insights::insight_history,
        api::insights::list_restricted_phrases,
        api::insights::add_restricted_phrase,
        api::insights::insight_report,
        api::insights::insight_report_pdf,
        api::insights::insight_report_csv,
        api::outbox::list_outbox,
        api::outbox::requeue_message,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "accounts", description = "Users and credentials"),
        (name = "proposals", description = "Study proposals and their lifecycle"),
        (name = "msl", description = "MSL protocol support: advice, interactions, documents"),
        (name = "reports", description = "PDF summaries and status reports"),
        (name = "study", description = "After approval: gates, milestones, enrollment, publications, payments, exports"),
        (name = "cro", description = "Partner CROs: organisations, API keys, study assignment, webhooks"),
        (name = "review", description = "Committees, conflict of interest, reviews and decisions"),
        (name = "insights", description = "MSL field insights, listening priorities, restricted phrases and the insight report (admins and MSLs only)"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Personal token (`liaison token create`) or organisation API key",
                    ))
                    .build(),
            ),
        );
    }
}

/// Errors are served as `application/problem+json` (see `AppError::error_response`), and every
/// operation that reads a body can also answer 400 (malformed JSON or multipart, from the
/// `JsonConfig` handler in startup.rs and `parse_json`), 413 (over the body limit) and 415
/// (wrong or missing Content-Type). Documenting that here keeps each handler's `responses(...)`
/// to the statuses specific to it.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = || {
            RefOr::T(
                ResponseBuilder::new()
                    .description("RFC 9457 problem details")
                    .content(
                        PROBLEM,
                        Content::new(Some(Ref::from_schema_name("Problem"))),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                for (status, response) in responses.iter_mut() {
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(response)) = (is_error, response)
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response.content.insert(PROBLEM.to_string(), content);
                    }
                }
                if operation.request_body.is_some() {
                    for status in ["400", "413", "415"] {
                        responses.entry(status.to_string()).or_insert_with(problem);
                    }
                }
            }
        }
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json"),
        (status = 422, description = "Unknown query parameter", body = crate::error::Problem)))]
pub async fn openapi_json(_query: web::Query<ops::NoQuery>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(served_document())
}

/// The document served at `/openapi.json`, built once.
fn served_document() -> &'static str {
    static SERVED: OnceLock<String> = OnceLock::new();
    SERVED.get_or_init(|| serde_json::to_string(&document()).unwrap_or_default())
}

/// The generated document after [`polish::polish`] (servers, enums, shared error responses,
/// examples, webhooks).
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    polish::polish(&mut document);
    document
}

/// The document as committed in docs/openapi.json (pretty, trailing newline).
pub fn pretty_document() -> String {
    let mut text = serde_json::to_string_pretty(&document()).unwrap_or_default();
    text.push('\n');
    text
}
