//! Every route of the service, registered in one table. The same table lists the routes for
//! the authorisation-matrix test, so a new route without a matrix row fails that test.

pub mod api;
pub mod ops;
mod principal;
pub mod web;

use actix_web::http::Method;
use actix_web::web::{ServiceConfig, resource};
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{AppError, WebError};

/// Registers (when `cfg` is given) and lists every route.
macro_rules! routes {
    ($cfg:expr, $list:expr, $( $path:literal => { $( $method:ident : $handler:path ),+ $(,)? } ),* $(,)?) => {
        $(
            if let Some(cfg) = $cfg.as_deref_mut() {
                cfg.service(
                    resource($path)
                        $( .route(actix_web::web::method(Method::$method).to($handler)) )+
                        // A method without a route: 405 with `Allow`, problem+json under
                        // `/api/` (actix would answer an empty 405).
                        .default_service(actix_web::web::to(|req: actix_web::HttpRequest| {
                            method_not_allowed(req, &[$( stringify!($method) ),+])
                        }))
                );
            }
            $( $list.push((stringify!($method), $path)); )+
        )*
    };
}

fn register(mut cfg: Option<&mut ServiceConfig>) -> Vec<(&'static str, &'static str)> {
    let mut list: Vec<(&'static str, &'static str)> = Vec::new();
    routes!(cfg, list,
        "/healthz" => { GET: ops::healthz },
        "/readyz" => { GET: ops::readyz },
        "/metrics" => { GET: ops::metrics },
        "/openapi.json" => { GET: api::openapi::openapi_json },
        "/api/v1/me" => { GET: api::me::get_me },
        "/api/v1/users" => { GET: api::users::list_users, POST: api::users::create_user },
        "/api/v1/users/{id}" => { GET: api::users::get_user, PATCH: api::users::update_user },
        "/api/v1/proposals" => {
            GET: api::proposals::list_proposals,
            POST: api::proposals::create_proposal,
        },
        "/api/v1/proposals/{id}" => {
            GET: api::proposals::get_proposal,
            PATCH: api::proposals::patch_proposal,
        },
        "/api/v1/proposals/{id}/transitions" => { POST: api::proposals::transition_proposal },
        "/api/v1/proposals/{id}/rounds" => { GET: api::proposals::list_rounds },
        "/api/v1/proposals/{id}/diff" => { GET: api::proposals::diff_rounds },
        "/api/v1/proposals/{id}/audit" => { GET: api::proposals::proposal_audit },
        "/api/v1/proposals/{id}/reviewers" => {
            GET: api::review::list_reviewers,
            POST: api::review::assign_reviewer,
        },
        "/api/v1/proposals/{id}/coi" => { GET: api::review::get_coi, POST: api::review::declare_coi },
        "/api/v1/proposals/{id}/reviews" => { GET: api::review::list_reviews },
        "/api/v1/proposals/{id}/reviews/mine" => {
            GET: api::review::get_my_review,
            PUT: api::review::put_my_review,
        },
        "/api/v1/proposals/{id}/decision" => {
            GET: api::review::get_decision,
            POST: api::review::post_decision,
        },
        "/api/v1/proposals/{id}/msls" => { GET: api::msl::list_msls, POST: api::msl::assign_msl },
        "/api/v1/proposals/{id}/msls/{msl_id}" => { DELETE: api::msl::unassign_msl },
        "/api/v1/proposals/{id}/advice-request" => { POST: api::msl::request_advice },
        "/api/v1/proposals/{id}/advice" => { GET: api::msl::list_advice, POST: api::msl::post_advice },
        "/api/v1/proposals/{id}/interactions" => {
            GET: api::msl::list_interactions,
            POST: api::msl::log_interaction,
        },
        "/api/v1/proposals/{id}/documents" => {
            GET: api::msl::list_documents,
            POST: api::msl::upload_document,
        },
        "/api/v1/proposals/{id}/documents/{document_id}" => { GET: api::msl::download_document },
        "/api/v1/proposals/{id}/summary.pdf" => { GET: api::reports::summary_pdf },
        "/api/v1/proposals/{id}/status-report.pdf" => { GET: api::reports::status_report_pdf },
        "/api/v1/proposals/{id}/gates" => { GET: api::study::get_gates, PUT: api::study::put_gates },
        "/api/v1/proposals/{id}/milestones" => {
            GET: api::study::list_milestones,
            POST: api::study::create_milestone,
        },
        "/api/v1/proposals/{id}/milestones/{milestone_id}" => { PATCH: api::study::update_milestone },
        "/api/v1/proposals/{id}/enrollment" => {
            GET: api::study::get_enrollment,
            POST: api::study::post_enrollment,
        },
        "/api/v1/proposals/{id}/publications" => {
            GET: api::study::list_publications,
            POST: api::study::create_publication,
        },
        "/api/v1/proposals/{id}/payments" => {
            GET: api::study::list_payments,
            POST: api::study::create_payment,
        },
        "/api/v1/proposals/{id}/payments/{payment_id}/paid" => { POST: api::study::mark_paid },
        "/api/v1/exports/disclosure.csv" => { GET: api::study::disclosure_csv },
        "/api/v1/exports/studies.csv" => { GET: api::study::studies_csv },
        "/api/v1/me/calendar" => { POST: api::study::reset_calendar },
        "/api/v1/overdue" => { GET: api::study::list_overdue },
        "/ical/{token}" => { GET: api::study::calendar_feed },
        "/api/v1/organizations" => {
            GET: api::cro::list_organizations,
            POST: api::cro::create_organization,
        },
        "/api/v1/organizations/{id}/api-keys" => {
            GET: api::cro::list_api_keys,
            POST: api::cro::create_api_key,
        },
        "/api/v1/organizations/{id}/api-keys/{key_id}" => { DELETE: api::cro::revoke_api_key },
        "/api/v1/organizations/{id}/webhooks" => {
            GET: api::cro::list_webhooks,
            POST: api::cro::register_webhook,
        },
        "/api/v1/organizations/{id}/webhooks/{webhook_id}/ping" => { POST: api::cro::ping_webhook },
        "/api/v1/organizations/{id}/webhooks/{webhook_id}/deliveries" => { GET: api::cro::list_deliveries },
        "/api/v1/proposals/{id}/cro" => { GET: api::cro::list_cro, POST: api::cro::assign_cro },
        "/api/v1/proposals/{id}/cro/{organization_id}" => { DELETE: api::cro::unassign_cro },
        "/api/v1/committees" => {
            GET: api::review::list_committees,
            POST: api::review::create_committee,
        },
        "/api/v1/committees/{id}" => {
            GET: api::review::get_committee,
            PATCH: api::review::update_committee,
        },
        "/api/v1/ranking" => { GET: api::review::get_ranking },
        "/api/v1/listening-priorities" => {
            GET: api::insights::list_priorities,
            POST: api::insights::create_priority,
        },
        "/api/v1/listening-priorities/{id}" => { PUT: api::insights::update_priority },
        "/api/v1/insights" => { GET: api::insights::list_insights, POST: api::insights::create_insight },
        "/api/v1/insights/{id}" => {
            GET: api::insights::get_insight,
            PUT: api::insights::update_insight,
        },
        "/api/v1/insights/{id}/submit" => { POST: api::insights::submit_insight },
        "/api/v1/insights/{id}/acknowledge" => { POST: api::insights::acknowledge_insight },
        "/api/v1/insights/{id}/history" => { GET: api::insights::insight_history },
        "/api/v1/restricted-phrases" => {
            GET: api::insights::list_restricted_phrases,
            POST: api::insights::add_restricted_phrase,
        },
        "/api/v1/reports/insights" => { GET: api::insights::insight_report },
        "/api/v1/reports/insights.pdf" => { GET: api::insights::insight_report_pdf },
        "/api/v1/reports/insights.csv" => { GET: api::insights::insight_report_csv },
        "/api/v1/outbox" => { GET: api::outbox::list_outbox },
        "/api/v1/outbox/{id}/requeue" => { POST: api::outbox::requeue_message },
        "/static/app.css" => { GET: web::assets::stylesheet },
        "/" => { GET: web::dashboard::show_dashboard },
        "/signin" => { GET: web::signin::show_signin, POST: web::signin::signin_with_password },
        "/signin/link" => { GET: web::signin::show_link_confirmation, POST: web::signin::redeem_link },
        "/signin/email" => { POST: web::signin::email_sign_in_link },
        "/register" => { GET: web::signin::show_registration, POST: web::signin::register },
        "/signout" => { POST: web::signin::signout },
        "/lang" => { POST: web::signin::switch_language },
        "/proposals/new" => { GET: web::proposals::show_new_form },
        "/proposals" => { POST: web::proposals::create_from_form },
        "/proposals/{id}" => { GET: web::proposal_page::show_proposal },
        "/proposals/{id}/edit" => {
            GET: web::proposals::show_edit_form,
            POST: web::proposals::update_from_form,
        },
        "/proposals/{id}/transitions" => { POST: web::proposals::transition_from_form },
        "/proposals/{id}/msls" => { POST: web::msl::assign_msl },
        "/proposals/{id}/msls/{msl_id}/remove" => { POST: web::msl::unassign_msl },
        "/proposals/{id}/advice-request" => { POST: web::msl::request_advice },
        "/proposals/{id}/advice" => { POST: web::msl::post_advice },
        "/proposals/{id}/interactions" => { POST: web::msl::log_interaction },
        "/proposals/{id}/documents" => { POST: web::msl::upload_document },
        "/proposals/{id}/documents/{document_id}" => { GET: web::msl::download_document },
        "/proposals/{id}/summary.pdf" => { GET: web::proposals::summary_pdf },
        "/proposals/{id}/status-report.pdf" => { GET: web::proposals::status_report_pdf },
        "/proposals/{id}/gates" => { POST: web::study::save_gates },
        "/proposals/{id}/milestones" => { POST: web::study::add_milestone },
        "/proposals/{id}/milestones/{milestone_id}/complete" => { POST: web::study::complete_milestone },
        "/proposals/{id}/enrollment" => { POST: web::study::add_enrollment },
        "/proposals/{id}/publications" => { POST: web::study::add_publication },
        "/proposals/{id}/payments" => { POST: web::study::add_payment },
        "/proposals/{id}/payments/{payment_id}/paid" => { POST: web::study::mark_paid },
        "/overdue" => { GET: web::study::show_overdue },
        "/calendar" => { GET: web::study::show_calendar },
        "/calendar/reset" => { POST: web::study::reset_calendar },
        "/proposals/{id}/review" => {
            GET: web::review::show_review,
            POST: web::review::save_review_from_form,
        },
        "/proposals/{id}/coi" => { POST: web::review::declare_coi_from_form },
        "/proposals/{id}/committee" => { GET: web::review::show_committee },
        "/proposals/{id}/reviewers" => { POST: web::review::assign_from_form },
        "/proposals/{id}/decision" => { POST: web::review::decide_from_form },
        "/ranking" => { GET: web::review::show_ranking },
        "/admin/committees" => {
            GET: web::review::show_committees,
            POST: web::review::create_committee_from_form,
        },
        "/admin/users" => { GET: web::admin::show_users, POST: web::admin::create_user_from_form },
        "/admin/users/{id}" => { POST: web::admin::update_user_from_form },
        "/admin/outbox" => { GET: web::admin::show_outbox },
        "/programme" => { GET: web::programme::show_programme },
        "/reports/insights" => { GET: web::programme::show_insight_report },
        "/reports/insights.pdf" => { GET: web::programme::insight_report_pdf },
        "/reports/insights.csv" => { GET: web::programme::insight_report_csv },
        "/insights" => { GET: web::insights::show_list, POST: web::insights::create },
        "/insights/new" => { GET: web::insights::show_new },
        "/insights/{id}" => { GET: web::insights::show, POST: web::insights::update },
        "/insights/{id}/submit" => { POST: web::insights::submit },
        "/insights/{id}/acknowledge" => { POST: web::insights::acknowledge },
        "/admin/listening-priorities" => {
            GET: web::insights::show_priorities,
            POST: web::insights::create_priority,
        },
        "/admin/listening-priorities/{id}" => { POST: web::insights::update_priority },
        "/admin/restricted-phrases" => { POST: web::insights::add_restricted_phrase },
        "/admin/outbox/{id}/requeue" => { POST: web::admin::requeue_from_form },
        "/admin/organizations" => {
            GET: web::organizations::show_organizations,
            POST: web::organizations::create_organization,
        },
        "/admin/organizations/{id}" => { GET: web::organizations::show_organization },
        "/admin/organizations/{id}/keys" => { POST: web::organizations::create_key },
        "/admin/organizations/{id}/keys/{key_id}/revoke" => { POST: web::organizations::revoke_key },
        "/admin/organizations/{id}/webhooks" => { POST: web::organizations::register_webhook },
        "/admin/organizations/{id}/webhooks/{webhook_id}/ping" => { POST: web::organizations::ping_webhook },
        "/admin/organizations/{id}/members" => { POST: web::organizations::invite_member },
        "/profile" => { GET: web::profile::show_profile, POST: web::profile::save_details },
        "/profile/password" => { POST: web::profile::change_password },
        "/profile/tokens" => { POST: web::profile::create_token },
        "/profile/tokens/{token_id}/revoke" => { POST: web::profile::revoke_token },
        "/profile/sessions/end" => { POST: web::profile::sign_out_everywhere },
        "/exports" => { GET: web::exports::show_exports },
        "/exports/disclosure.csv" => { GET: web::exports::disclosure_csv },
        "/exports/studies.csv" => { GET: web::exports::studies_csv },
        "/proposals/{id}/audit" => { GET: web::audit::show_audit },
        "/proposals/{id}/activate" => {
            GET: web::study_admin::show_activation,
            POST: web::study_admin::activate,
        },
        "/proposals/{id}/cro" => { POST: web::study_admin::assign_cro },
        "/proposals/{id}/cro/{organization_id}/remove" => { POST: web::study_admin::unassign_cro },
    );
    list
}

async fn method_not_allowed(
    req: HttpRequest,
    allowed: &'static [&'static str],
) -> Result<HttpResponse, actix_web::Error> {
    let error = AppError::MethodNotAllowed { allowed };
    if is_api(req.path()) {
        Err(error.into())
    } else {
        Err(WebError(error).into())
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    register(Some(cfg));
}

/// (method, path pattern) of every registered route.
pub fn route_table() -> Vec<(&'static str, &'static str)> {
    register(None)
}

/// Paths answered as the JSON API (problem+json errors, no CSRF cookie).
pub(crate) fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/openapi.json"
}
