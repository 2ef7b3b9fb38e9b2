//! Insight pages (admins and MSLs): the list, the MSL's form (alone or from an
//! interaction-log entry) with the compliance matches next to each field, submission with a
//! justification, acknowledgement, and the admin's listening-priorities page.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::csrf::CsrfForm;
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::Lang;
use crate::domain::insights::{Category, Source};
use crate::error::{AppError, FieldError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::{page_lang, redirect, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::insights::{
    self as workflow, ComplianceFlag, FormOptions, InsightInput, InsightView, PriorityInput,
};

fn today_in_japan() -> NaiveDate {
    crate::clock::programme_today()
}

/// Field errors as the page shows them: the translated message, and for compliance matches
/// the phrase with what it is.
fn localise(errors: &[FieldError], lang: Lang) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in errors {
        let field = e.field.split('[').next().unwrap_or(&e.field).to_string();
        let message = match e.code.as_str() {
            "restricted_phrase" | "patient_data" => e.detail.clone(),
            code => translate(lang, &format!("err.{code}")),
        };
        out.entry(field).or_default().push(message);
    }
    out
}

fn flag_json(lang: Lang, flags: &[ComplianceFlag]) -> Value {
    let mut by_field: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for f in flags {
        by_field.entry(f.field.as_str()).or_default().push(json!({
            "phrase": f.phrase,
            "kind": translate(lang, &format!("insight.match.{}", f.kind.as_str())),
        }));
    }
    json!(by_field)
}

fn options_json(lang: Lang, options: &FormOptions) -> Value {
    json!({
        "categories": Category::ALL.iter().map(|c| json!({"value": c.as_str(), "label": translate(lang, &format!("insight.category.{}", c.as_str()))})).collect::<Vec<_>>(),
        "sources": Source::ALL.iter().map(|s| json!({"value": s.as_str(), "label": translate(lang, &format!("insight.source.{}", s.as_str()))})).collect::<Vec<_>>(),
        "proposals": options.proposals.iter().map(|p| json!({"id": p.id, "label": p.label})).collect::<Vec<_>>(),
        "investigators": options.investigators.iter().map(|p| json!({"id": p.id, "label": p.label})).collect::<Vec<_>>(),
        "priorities": options.priorities.iter().map(|p| json!({
            "id": p.id, "label": format!("{} · {}", p.therapeutic_area, workflow::question(p, lang)),
        })).collect::<Vec<_>>(),
        "interaction": options.interaction.as_ref().map(|(id, proposal, summary)| json!({"id": id, "proposal": proposal, "summary": summary})),
    })
}

fn view_json(lang: Lang, v: &InsightView) -> Value {
    json!({
        "id": v.row.id, "title": v.row.title, "body": v.row.body, "status": v.status.as_str(),
        "category": v.category.as_str(), "source": v.source.as_str(),
        "therapeutic_area": v.row.therapeutic_area, "product": v.row.product,
        "interaction_id": v.row.interaction_id, "author_name": v.author_name,
        "author_id": v.row.author_id,
        "proposals": v.proposals.iter().map(|p| json!({"id": p.id, "label": p.label})).collect::<Vec<_>>(),
        "investigators": v.investigators.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
        "priorities": v.priorities.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
        "justification": v.row.justification,
        "updated_at": crate::clock::display(v.row.updated_at),
        "submitted_at": v.row.submitted_at.map(crate::clock::display),
        "flags": flag_json(lang, &v.flags),
        "flag_count": v.flags.len(),
    })
}

/// The form's values as entered, for re-rendering.
fn form_json(input: &InsightInput) -> Value {
    json!({
        "title": input.title, "body": input.body, "category": input.category, "source": input.source,
        "therapeutic_area": input.therapeutic_area, "product": input.product,
        "interaction_id": input.interaction_id,
        "proposal_ids": input.proposal_ids, "investigator_ids": input.investigator_ids,
        "priority_ids": input.priority_ids,
    })
}

fn input_from(pairs: &[(String, String)]) -> InsightInput {
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let many = |name: &str| {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    InsightInput {
        title: one("title"),
        body: one("body"),
        category: one("category"),
        source: one("source"),
        therapeutic_area: one("therapeutic_area"),
        product: one("product"),
        interaction_id: Some(one("interaction_id")).filter(|s| !s.trim().is_empty()),
        proposal_ids: many("proposal_ids"),
        investigator_ids: many("investigator_ids"),
        priority_ids: many("priority_ids"),
    }
}

pub async fn show_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let p = principal.clone();
    let views = db::run(&state.pool, move |conn| workflow::list_insights(conn, &p)).await?;
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/insights.html",
        json!({
            "insights": views.iter().map(|v| view_json(lang, v)).collect::<Vec<_>>(),
            "can_create": principal.role == crate::domain::Role::Msl,
            "is_admin": principal.role == crate::domain::Role::Admin,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    pub interaction_id: Option<String>,
}

/// What the insight page shows besides the stored insight.
struct FormPage {
    status: StatusCode,
    view: Option<InsightView>,
    /// The values in the form (entered or stored).
    form: Value,
    errors: BTreeMap<String, Vec<String>>,
    interaction_id: Option<String>,
}

async fn render_form(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    page: FormPage,
) -> Result<HttpResponse, WebError> {
    let FormPage {
        status,
        view,
        form,
        errors,
        interaction_id,
    } = page;
    let lang = page_lang(req, Some(principal));
    let p = principal.clone();
    let (options, history) = db::run(&state.pool, {
        let view_id = view.as_ref().map(|v| v.row.id.clone());
        move |conn| {
            let options =
                workflow::form_options(conn, &p, interaction_id.as_deref(), today_in_japan())?;
            let history = match view_id {
                Some(id) => workflow::history(conn, &p, &id)?,
                None => Vec::new(),
            };
            Ok((options, history))
        }
    })
    .await?;
    let editable = view.as_ref().is_none_or(|v| {
        v.row.author_id == principal.user_id
            && v.status == crate::domain::insights::InsightStatus::Draft
    });
    let can_acknowledge = view.as_ref().is_some_and(|v| {
        principal.role == crate::domain::Role::Admin
            && v.status == crate::domain::insights::InsightStatus::Submitted
    });
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/insight.html",
        json!({
            "insight": view.as_ref().map(|v| view_json(lang, v)),
            "form": form,
            "errors": errors,
            "options": options_json(lang, &options),
            "editable": editable,
            "can_acknowledge": can_acknowledge,
            "history": history.iter().map(|h| json!({
                "at": crate::clock::display(h.at), "action": h.action,
                "justification": h.justification,
            })).collect::<Vec<_>>(),
        }),
    )
}

pub async fn show_new(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    workflow::require_reader(&principal)?;
    if principal.role != crate::domain::Role::Msl {
        return Err(AppError::Forbidden("MSLs record insights".into()).into());
    }
    let interaction_id = query.into_inner().interaction_id;
    let form = json!({"interaction_id": interaction_id, "category": "", "source": "one_to_one"});
    render_form(
        &req,
        &state,
        &principal,
        FormPage {
            status: StatusCode::OK,
            view: None,
            form,
            errors: BTreeMap::new(),
            interaction_id,
        },
    )
    .await
}

pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let input = input_from(&form.pairs);
    let (p, i) = (principal.clone(), input.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::create_insight(conn, &p, i)
    })
    .await
    {
        Ok(view) => Ok(redirect(&format!("/insights/{}", view.row.id))),
        Err(AppError::Validation(errors)) => {
            let interaction = input.interaction_id.clone();
            render_form(
                &req,
                &state,
                &principal,
                FormPage {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    view: None,
                    form: form_json(&input),
                    errors: localise(&errors, lang),
                    interaction_id: interaction,
                },
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn load_view(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<InsightView, WebError> {
    let (p, id) = (principal.clone(), id.to_string());
    Ok(db::run(&state.pool, move |conn| {
        workflow::get_insight(conn, &p, &id)
    })
    .await?)
}

fn stored_form(v: &InsightView) -> Value {
    json!({
        "title": v.row.title, "body": v.row.body, "category": v.category.as_str(), "source": v.source.as_str(),
        "therapeutic_area": v.row.therapeutic_area, "product": v.row.product,
        "interaction_id": v.row.interaction_id,
        "proposal_ids": v.proposals.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        "investigator_ids": v.investigators.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        "priority_ids": v.priorities.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
    })
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let view = load_view(&state, &principal, &path).await?;
    let form = stored_form(&view);
    let interaction = view.row.interaction_id.clone();
    render_form(
        &req,
        &state,
        &principal,
        FormPage {
            status: StatusCode::OK,
            view: Some(view),
            form,
            errors: BTreeMap::new(),
            interaction_id: interaction,
        },
    )
    .await
}

pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let id = path.into_inner();
    let input = input_from(&form.pairs);
    let (p, i, pid) = (principal.clone(), input.clone(), id.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::update_insight(conn, &p, &pid, i)
    })
    .await
    {
        Ok(_) => Ok(redirect(&format!("/insights/{id}"))),
        Err(AppError::Validation(errors)) => {
            let view = load_view(&state, &principal, &id).await?;
            let interaction = input.interaction_id.clone();
            render_form(
                &req,
                &state,
                &principal,
                FormPage {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    view: Some(view),
                    form: form_json(&input),
                    errors: localise(&errors, lang),
                    interaction_id: interaction,
                },
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct SubmitForm {
    #[serde(default)]
    pub justification: String,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<SubmitForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let id = path.into_inner();
    let justification = form.data.justification;
    let (p, pid, j) = (principal.clone(), id.clone(), justification.clone());
    let result = db::run_tx(&state.pool, move |conn| {
        workflow::submit_insight(
            conn,
            &p,
            &pid,
            Some(j.as_str()).filter(|s| !s.trim().is_empty()),
        )
    })
    .await;
    match result {
        Ok(_) => Ok(redirect(&format!("/insights/{id}"))),
        Err(AppError::Validation(errors)) => {
            let view = load_view(&state, &principal, &id).await?;
            let mut form = stored_form(&view);
            form["justification"] = json!(justification);
            let interaction = view.row.interaction_id.clone();
            render_form(
                &req,
                &state,
                &principal,
                FormPage {
                    status: StatusCode::UNPROCESSABLE_ENTITY,
                    view: Some(view),
                    form,
                    errors: localise(&errors, lang),
                    interaction_id: interaction,
                },
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let id = path.into_inner();
    let (p, pid) = (user.0, id.clone());
    db::run_tx(&state.pool, move |conn| {
        workflow::acknowledge_insight(conn, &p, &pid)
    })
    .await?;
    Ok(redirect(&format!("/insights/{id}")))
}

// ---------------------------------------------------------------- listening priorities

async fn render_priorities(
    req: &HttpRequest,
    state: &AppState,
    principal: &Principal,
    status: StatusCode,
    form: Value,
    errors: BTreeMap<String, Vec<String>>,
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(req, Some(principal));
    let p = principal.clone();
    let (rows, phrases) = db::run(&state.pool, move |conn| {
        Ok((
            workflow::listening_priorities(conn, &p)?,
            workflow::restricted_phrases(conn, &p)?,
        ))
    })
    .await?;
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/admin_priorities.html",
        json!({
            "priorities": rows.iter().map(|r| json!({
                "id": r.id, "therapeutic_area": r.therapeutic_area, "product": r.product,
                "question_ja": r.question_ja, "question_en": r.question_en,
                "active_from": r.active_from.to_string(), "active_to": r.active_to.map(|d| d.to_string()),
            })).collect::<Vec<_>>(),
            "phrases": phrases.iter().map(|p| json!({
                "phrase": p.phrase,
                "kind": translate(lang, &format!("insight.match.{}", p.kind.as_str())),
            })).collect::<Vec<_>>(),
            "kinds": crate::domain::insights_compliance::RestrictedKind::ALL.iter().map(|k| json!({
                "value": k.as_str(),
                "label": translate(lang, &format!("insight.match.{}", k.as_str())),
            })).collect::<Vec<_>>(),
            "form": form,
            "errors": errors,
            "can_edit": principal.role == crate::domain::Role::Admin,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct PrioritiesQuery {
    /// A priority to edit (admins): the form is filled with it.
    pub edit: Option<String>,
}

pub async fn show_priorities(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<PrioritiesQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    workflow::require_reader(&principal)?;
    let mut form = json!({});
    if let Some(id) = query.into_inner().edit {
        let p = principal.clone();
        let rows = db::run(&state.pool, move |conn| {
            workflow::listening_priorities(conn, &p)
        })
        .await?;
        let row = rows
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound)?;
        form = json!({
            "id": row.id, "therapeutic_area": row.therapeutic_area, "product": row.product,
            "question_ja": row.question_ja, "question_en": row.question_en,
            "active_from": row.active_from.to_string(),
            "active_to": row.active_to.map(|d| d.to_string()).unwrap_or_default(),
        });
    }
    render_priorities(
        &req,
        &state,
        &principal,
        StatusCode::OK,
        form,
        BTreeMap::new(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PriorityForm {
    #[serde(default)]
    pub therapeutic_area: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub question_ja: String,
    #[serde(default)]
    pub question_en: String,
    #[serde(default)]
    pub active_from: String,
    #[serde(default)]
    pub active_to: String,
}

pub async fn create_priority(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<PriorityForm>,
) -> Result<HttpResponse, WebError> {
    save_priority(req, state, user, form.data, None).await
}

pub async fn update_priority(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<PriorityForm>,
) -> Result<HttpResponse, WebError> {
    save_priority(req, state, user, form.data, Some(path.into_inner())).await
}

/// Creates a priority, or replaces the one with `id`; errors re-render the form.
async fn save_priority(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    f: PriorityForm,
    id: Option<String>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let mut date_errors = Vec::new();
    if !f.active_to.trim().is_empty() && date(&f.active_to).is_none() {
        date_errors.push(FieldError::new("active_to", "not_a_date", "YYYY-MM-DD"));
    }
    let p = principal.clone();
    let values = json!({
        "id": id, "therapeutic_area": f.therapeutic_area, "product": f.product, "question_ja": f.question_ja,
        "question_en": f.question_en, "active_from": f.active_from, "active_to": f.active_to,
    });
    let result = if date_errors.is_empty() {
        db::run_tx(&state.pool, move |conn| {
            let input = PriorityInput {
                therapeutic_area: &f.therapeutic_area,
                product: &f.product,
                question_ja: &f.question_ja,
                question_en: &f.question_en,
                active_from: date(&f.active_from),
                active_to: date(&f.active_to),
            };
            match id {
                Some(id) => workflow::update_priority(conn, &p, &id, &input),
                None => workflow::create_priority(conn, &p, &input),
            }
        })
        .await
        .map(|_| ())
    } else {
        Err(AppError::Validation(date_errors))
    };
    match result {
        Ok(()) => Ok(redirect("/admin/listening-priorities")),
        Err(AppError::Validation(errors)) => {
            render_priorities(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                values,
                localise(&errors, lang),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PhraseForm {
    #[serde(default)]
    pub phrase: String,
    #[serde(default)]
    pub kind: String,
}

/// Adds a restricted phrase (admins); the defaults stay.
pub async fn add_restricted_phrase(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<PhraseForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let lang = page_lang(&req, Some(&principal));
    let PhraseForm { phrase, kind } = form.data;
    let (p, entered) = (principal.clone(), json!({"phrase": phrase, "kind": kind}));
    let result = db::run_tx(&state.pool, move |conn| {
        workflow::add_restricted_phrase(conn, &p, &phrase, &kind)
    })
    .await;
    match result {
        Ok(()) => Ok(redirect("/admin/listening-priorities#phrases-heading")),
        Err(AppError::Validation(errors)) => {
            render_priorities(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                entered,
                localise(&errors, lang),
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let errors = localise(
                &[FieldError::new("phrase", "duplicate", "already restricted")],
                lang,
            );
            render_priorities(
                &req,
                &state,
                &principal,
                StatusCode::CONFLICT,
                entered,
                errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
