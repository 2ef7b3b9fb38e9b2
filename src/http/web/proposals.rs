//! The physician's proposal pages: new / edit form, the proposal page, lifecycle buttons.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::auth::csrf::CsrfForm;
use crate::auth::policy::{self, ProposalAction};
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::lifecycle::{self, Action};
use crate::domain::proposal::{FieldIssue, PrincipalInvestigator, ProposalContent};
use crate::error::{AppError, WebError};
use crate::http::web::flash::redirect_with_flash;
use crate::http::web::proposal_form::{self, ParsedForm};
use crate::http::web::{AnyForm, page_lang, redirect, render_page};
use crate::state::AppState;
use crate::workflows::proposals::{self as workflow, Loaded};

struct FormView<'a> {
    proposal_id: Option<&'a str>,
    version: Option<i64>,
    content: &'a ProposalContent,
    raw_pairs: Option<&'a [(String, String)]>,
    issues: &'a [FieldIssue],
    extra_co: usize,
    extra_budget: usize,
    saved: bool,
}

fn render_form(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    status: StatusCode,
    view: FormView<'_>,
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(req, Some(principal));
    let mut context = proposal_form::context(
        view.content,
        view.raw_pairs,
        view.extra_co,
        view.extra_budget,
    );
    let errors = proposal_form::localise(view.issues, lang);
    context["errors"] = json!(errors);
    context["error_count"] = json!(errors.len());
    context["proposal_id"] = json!(view.proposal_id);
    context["version"] = json!(view.version);
    context["saved"] = json!(view.saved);
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/proposal_form.html",
        context,
    )
}

fn issues_from(errors: &[crate::error::FieldError]) -> Vec<FieldIssue> {
    errors
        .iter()
        .map(|e| FieldIssue {
            field: e.field.clone(),
            code: match e.code.as_str() {
                "required" => "required",
                "too_long" => "too_long",
                "format" => "format",
                "check_digit" => "check_digit",
                "range" => "range",
                "date_order" => "date_order",
                "must_be_true" => "must_be_true",
                "invalid_choice" => "invalid_choice",
                "email" => "email",
                "control_character" => "control_character",
                "bidi_control" => "bidi_control",
                "too_large" => "too_large",
                _ => "format",
            },
            max: e.detail.split_whitespace().find_map(|w| w.parse().ok()),
        })
        .collect()
}

pub async fn show_new_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::create_proposal(&principal).require()?;
    let content = ProposalContent {
        principal_investigator: PrincipalInvestigator {
            name: principal.display_name.clone(),
            email: principal.email.clone(),
            ..PrincipalInvestigator::default()
        },
        ..ProposalContent::default()
    };
    render_form(
        &req,
        &state,
        &principal,
        StatusCode::OK,
        FormView {
            proposal_id: None,
            version: None,
            content: &content,
            raw_pairs: None,
            issues: &[],
            extra_co: 0,
            extra_budget: 0,
            saved: false,
        },
    )
}

pub async fn create_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    handle_form(req, state, user.0, None, form.pairs).await
}

pub async fn update_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    handle_form(req, state, user.0, Some(path.into_inner()), form.pairs).await
}

/// Save (always, when the values can be read), then act on the button pressed.
async fn handle_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Principal,
    proposal_id: Option<String>,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, WebError> {
    let ParsedForm {
        content,
        parse_issues,
        intent,
        version,
    } = proposal_form::parse(&pairs);
    if !parse_issues.is_empty() {
        return render_form(
            &req,
            &state,
            &principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormView {
                proposal_id: proposal_id.as_deref(),
                version,
                content: &content,
                raw_pairs: Some(&pairs),
                issues: &parse_issues,
                extra_co: 0,
                extra_budget: 0,
                saved: false,
            },
        );
    }
    let p = principal.clone();
    let id = proposal_id.clone();
    let to_save = content.clone();
    let saved = db::run_tx(&state.pool, move |conn| match id {
        None => workflow::create(conn, &p, to_save),
        Some(id) => {
            // Authorise first, so a missing version never reveals a hidden proposal.
            workflow::load(conn, &p, &id, ProposalAction::EditFields)?;
            let expected = version.ok_or(AppError::PreconditionRequired)?;
            workflow::update(conn, &p, &id, expected, to_save)
        }
    })
    .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(AppError::Validation(errors)) => {
            return render_form(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                FormView {
                    proposal_id: proposal_id.as_deref(),
                    version,
                    content: &content,
                    raw_pairs: Some(&pairs),
                    issues: &issues_from(&errors),
                    extra_co: 0,
                    extra_budget: 0,
                    saved: false,
                },
            );
        }
        Err(other) => return Err(other.into()),
    };
    let id = saved.row.id.clone();
    match intent.as_str() {
        "add_co_investigator" | "add_budget_item" => render_form(
            &req,
            &state,
            &principal,
            StatusCode::OK,
            FormView {
                proposal_id: Some(&id),
                version: Some(saved.row.version),
                content: &saved.content,
                raw_pairs: None,
                issues: &[],
                extra_co: usize::from(intent == "add_co_investigator"),
                extra_budget: usize::from(intent == "add_budget_item"),
                saved: true,
            },
        ),
        "submit" => submit_or_show_errors(&req, &state, &principal, saved).await,
        _ => Ok(redirect_with_flash(
            &format!("/proposals/{id}/edit"),
            "draft_saved",
        )),
    }
}

async fn submit_or_show_errors(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    current: Loaded,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let id = current.row.id.clone();
    let version = current.row.version;
    let outcome = db::run_tx(&state.pool, move |conn| {
        crate::workflows::lifecycle::transition(conn, &p, &id, Action::Submit, None, Some(version))
    })
    .await;
    match outcome {
        Ok(submitted) => Ok(redirect_with_flash(
            &format!("/proposals/{}", submitted.row.id),
            "proposal_submitted",
        )),
        Err(AppError::Validation(errors)) => render_form(
            req,
            state,
            principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            FormView {
                proposal_id: Some(&current.row.id),
                version: Some(current.row.version),
                content: &current.content,
                raw_pairs: None,
                issues: &issues_from(&errors),
                extra_co: 0,
                extra_budget: 0,
                saved: true,
            },
        ),
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct EditQuery {
    pub saved: Option<String>,
}

pub async fn show_edit_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    query: web::Query<EditQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let p = principal.clone();
    let loaded = db::run(&state.pool, move |conn| {
        workflow::load(conn, &p, &id, ProposalAction::EditFields)
    })
    .await?;
    if !lifecycle::is_editable_by_owner(loaded.status) {
        return Ok(redirect(&format!("/proposals/{}", loaded.row.id)));
    }
    render_form(
        &req,
        &state,
        &principal,
        StatusCode::OK,
        FormView {
            proposal_id: Some(&loaded.row.id),
            version: Some(loaded.row.version),
            content: &loaded.content,
            raw_pairs: None,
            issues: &[],
            extra_co: 0,
            extra_budget: 0,
            saved: query.saved.is_some(),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct TransitionForm {
    pub action: String,
    pub reason: Option<String>,
    pub committee_id: Option<String>,
}

pub async fn transition_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<TransitionForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let action: Action = form
        .data
        .action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action".into()))?;
    if action == Action::Submit {
        let p = principal.clone();
        let pid = id.clone();
        let loaded = db::run(&state.pool, move |conn| {
            workflow::load(conn, &p, &pid, ProposalAction::View)
        })
        .await?;
        return submit_or_show_errors(&req, &state, &principal, loaded).await;
    }
    if crate::workflows::lifecycle::is_decision(action) {
        return Ok(redirect(&format!("/proposals/{id}/committee")));
    }
    let reason = form.data.reason.clone();
    let committee_id = form.data.committee_id.clone();
    let p = principal.clone();
    let pid = id.clone();
    let outcome = db::run_tx(&state.pool, move |conn| {
        crate::workflows::lifecycle::transition_with(
            conn,
            &p,
            &pid,
            action,
            &crate::workflows::lifecycle::TransitionExtras {
                reason: reason.as_deref(),
                committee_id: committee_id.as_deref(),
                quorum_override_reason: None,
            },
            None,
        )
    })
    .await;
    if let Err(AppError::Validation(errors)) = &outcome {
        // Back to the page with the message at that action's form and what was typed.
        let lang = page_lang(&req, Some(&principal));
        let message = errors
            .first()
            .map(|e| crate::templates::translate(lang, &format!("err.{}", e.code)))
            .unwrap_or_default();
        return crate::http::web::proposal_page::render_show(
            &req,
            &state,
            &principal,
            &id,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({
                "transition_errors": {action.as_str(): message},
                "transition_form": {"reason": form.data.reason.clone().unwrap_or_default()},
            }),
        )
        .await;
    }
    outcome?;
    if action == Action::StartReview {
        return Ok(redirect_with_flash(
            &format!("/proposals/{id}/committee"),
            "review_started",
        ));
    }
    Ok(redirect_with_flash(
        &format!("/proposals/{id}"),
        "status_changed",
    ))
}

/// The same PDFs as the API, for the signed-in page (in the page's language).
pub async fn summary_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = crate::http::web::page_lang(&req, Some(&principal));
    let id = path.into_inner();
    let (bytes, name) = db::run(&state.pool, move |conn| {
        let report = crate::workflows::reports::summary(conn, &principal, &id, lang)?;
        Ok((
            crate::workflows::reports::render(&report.document)?,
            report.file_name,
        ))
    })
    .await?;
    Ok(crate::http::api::reports::pdf_response(bytes, &name))
}

pub async fn status_report_pdf(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = crate::http::web::page_lang(&req, Some(&principal));
    let id = path.into_inner();
    let (bytes, name) = db::run(&state.pool, move |conn| {
        let report = crate::workflows::reports::status_report(conn, &principal, &id, lang)?;
        Ok((
            crate::workflows::reports::render(&report.document)?,
            report.file_name,
        ))
    })
    .await?;
    Ok(crate::http::api::reports::pdf_response(bytes, &name))
}
