//! The OpenAPI document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::http::{api, ops};

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
        api::outbox::list_outbox,
        api::outbox::requeue_message,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "accounts", description = "Users and credentials"),
        (name = "proposals", description = "Study proposals and their lifecycle"),
        (name = "msl", description = "MSL protocol support: advice, interactions, documents"),
        (name = "reports", description = "PDF summaries and status reports"),
        (name = "study", description = "After approval: gates, milestones, enrollment, publications, payments, exports"),
        (name = "cro", description = "Partner CROs: organisations, API keys, study assignment, webhooks"),
        (name = "review", description = "Committees, conflict of interest, reviews and decisions"),
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

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json")))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// The document as committed in docs/openapi.json (pretty, trailing newline).
pub fn pretty_document() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
