//! Review pages: the reviewer's COI-then-scoring page, the chair's committee page, the ranked
//! list and committee administration.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::csrf::CsrfForm;
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::Lang;
use crate::domain::lifecycle::Status;
use crate::domain::review::{ConflictKind, Criterion, Outcome};
use crate::error::{AppError, FieldError, WebError};
use crate::http::web::flash::redirect_with_flash;
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::review::{self as workflow, CommitteeInput, DecisionInput, ReviewInput};

fn localise(errors: &[FieldError], lang: Lang) -> BTreeMap<String, String> {
    errors
        .iter()
        .map(|e| (e.field.clone(), translate(lang, &format!("err.{}", e.code))))
        .collect()
}

fn criteria_context(rubric: &[Criterion], lang: Lang, scores: &BTreeMap<String, u8>) -> Vec<Value> {
    rubric
        .iter()
        .map(|c| {
            json!({
                "key": c.key,
                "label": translate(lang, &format!("criterion.{}", c.key)),
                "weight": c.weight,
                "score": scores.get(&c.key),
            })
        })
        .collect()
}

const OUTCOMES: [&str; 5] = [
    "approve",
    "approve_with_conditions",
    "revise_and_resubmit",
    "defer",
    "reject",
];

/// The reviewer page: only the COI form until no conflict is declared.
async fn render_review_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    errors: BTreeMap<String, String>,
    posted: Option<Value>,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let lang = page_lang(req, Some(principal));
    let context = db::run(&state.pool, move |conn| {
        let coi = workflow::coi_view(conn, &p, &id)?;
        let material = workflow::review_material(conn, &p, &id)?;
        let row = &material.row;
        let mut context = json!({
            "proposal": {
                "id": coi.proposal_id, "reference": coi.reference, "title": coi.title,
                "investigator": coi.investigator, "institution": coi.institution, "product": coi.product,
                "status": row.status, "round": row.round,
            },
            "assignment": {"coi_status": coi.coi_status, "coi_kind": coi.coi_kind, "coi_note": null},
            "coi_kinds": ConflictKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "content": null,
            "changes": [],
            "criteria": [],
            "review": {"recommendation": null, "comments_to_investigator": "", "confidential_comments": "", "completed": false},
            "recommendations": OUTCOMES,
            "version": 0,
            "decided": row.status != Status::UnderReview.as_str(),
        });
        if coi.coi_status == "none" {
            let (review, rubric) = workflow::my_review(conn, &p, &id)?;
            let content = material.content.clone().unwrap_or_default();
            let changes = &material.changes;
            context["content"] = serde_json::to_value(&content)?;
            context["budget_total"] = json!(content.budget_total());
            context["changes"] = serde_json::to_value(changes)?;
            context["criteria"] = json!(criteria_context(&rubric, lang, &review.scores));
            context["review"] = json!({
                "recommendation": review.recommendation.map(|o| o.as_str()),
                "comments_to_investigator": review.comments_to_investigator,
                "confidential_comments": review.confidential_comments,
                "completed": review.completed,
            });
            context["version"] = json!(review.version);
            // Downloads go through the access layer (GET /proposals/{id}/documents/{doc}).
            context["documents"] = json!(crate::workflows::msl::documents(conn, &p, &id)?
                .into_iter()
                .map(|d| json!({
                    "doc_type": d.doc_type, "version": d.version, "file_name": d.file_name,
                    "media_type": d.media_type,
                    "uploaded_at": crate::clock::display(d.uploaded_at),
                    "href": format!("/proposals/{}/documents/{}", d.proposal_id, d.id),
                }))
                .collect::<Vec<_>>());
        }
        Ok(context)
    })
    .await?;
    let mut context = context;
    // A refused save shows what the reviewer typed, never the stored copy (nothing is lost).
    if let Some(posted) = posted
        && context["content"] != Value::Null
    {
        let scores = &posted["scores"];
        if let Some(criteria) = context["criteria"].as_array_mut() {
            for criterion in criteria {
                let key = criterion["key"].as_str().unwrap_or_default().to_string();
                criterion["score"] = scores.get(&key).cloned().unwrap_or(Value::Null);
            }
        }
        for field in [
            "recommendation",
            "comments_to_investigator",
            "confidential_comments",
        ] {
            context["review"][field] = posted[field].clone();
        }
    }
    context["errors"] = json!(errors);
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/review.html",
        context,
    )
}

pub async fn show_review(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    render_review_page(&req, &state, &user.0, StatusCode::OK, BTreeMap::new(), None).await
}

#[derive(Debug, Deserialize)]
pub struct CoiForm {
    pub conflict: Option<String>,
    pub note: Option<String>,
}

pub async fn declare_coi_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<CoiForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let lang = page_lang(&req, Some(&principal));
    let conflict = match form.data.conflict.as_deref() {
        Some("none") => Ok(None),
        Some(kind) => ConflictKind::parse(kind).map(Some).ok_or("invalid_choice"),
        None => Err("required"),
    };
    let conflict = match conflict {
        Ok(conflict) => conflict,
        Err(code) => {
            let errors = BTreeMap::from([(
                "conflict".to_string(),
                translate(lang, &format!("err.{code}")),
            )]);
            return render_review_page(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await;
        }
    };
    let p = principal.clone();
    let note = form.data.note.clone();
    let pid = id.clone();
    let outcome = db::run_tx(&state.pool, move |conn| {
        workflow::declare_coi(conn, &p, &pid, conflict, note.as_deref())
    })
    .await;
    match outcome {
        Ok(_) => Ok(redirect_with_flash(
            &format!("/proposals/{id}/review"),
            "coi_declared",
        )),
        Err(AppError::Validation(errors)) => {
            let mut messages = localise(&errors, lang);
            if messages.contains_key("note") {
                messages.insert("note".into(), translate(lang, "err.coi_note_required"));
            }
            render_review_page(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                messages,
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn save_review_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<crate::http::web::AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let lang = page_lang(&req, Some(&principal));
    let field = |name: &str| {
        form.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let scores: BTreeMap<String, u8> = form
        .pairs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("score.")?.to_string(), v.parse().ok()?)))
        .collect();
    let intent = field("intent").unwrap_or_default();
    let input = ReviewInput {
        scores,
        recommendation: field("recommendation").as_deref().and_then(Outcome::parse),
        comments_to_investigator: field("comments_to_investigator").unwrap_or_default(),
        confidential_comments: field("confidential_comments").unwrap_or_default(),
        complete: intent == "complete",
    };
    let posted = json!({
        "scores": input.scores,
        "recommendation": input.recommendation.map(|o| o.as_str()),
        "comments_to_investigator": input.comments_to_investigator,
        "confidential_comments": input.confidential_comments,
    });
    let version = field("version")
        .and_then(|v| v.parse().ok())
        .ok_or(AppError::PreconditionRequired)?;
    let p = principal.clone();
    let pid = id.clone();
    let reopen = intent == "reopen";
    let outcome = db::run_tx(&state.pool, move |conn| {
        if reopen {
            workflow::reopen_review(conn, &p, &pid, version)
        } else {
            workflow::save_review(conn, &p, &pid, version, &input)
        }
    })
    .await;
    match outcome {
        Ok(review) => {
            let flash = if reopen {
                "review_reopened"
            } else if review.completed {
                "review_submitted"
            } else {
                "review_saved"
            };
            Ok(redirect_with_flash(
                &format!("/proposals/{id}/review"),
                flash,
            ))
        }
        Err(AppError::Validation(errors)) => {
            let messages: BTreeMap<String, String> = errors
                .iter()
                .map(|e| {
                    let key = e.field.replacen("scores.", "score.", 1);
                    let code = if e.field.starts_with("scores.") && e.code == "required" {
                        "score_required"
                    } else {
                        e.code.as_str()
                    };
                    (key, translate(lang, &format!("err.{code}")))
                })
                .collect();
            render_review_page(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                messages,
                Some(posted),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn render_committee_page(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    errors: BTreeMap<String, String>,
    form: Value,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let id = req.match_info().get("id").unwrap_or_default().to_string();
    let lang = page_lang(req, Some(principal));
    let mut context = db::run(&state.pool, move |conn| {
        let view = workflow::committee_view(conn, &p, &id)?;
        let committees = workflow::committees(conn, &p)?;
        let decision = workflow::decision_view(conn, &p, &id)?;
        let assigned: Vec<&str> = view.reviews.iter().map(|r| r.reviewer_id.as_str()).collect();
        let candidates: Vec<Value> = view
            .members
            .iter()
            .filter(|m| !assigned.contains(&m.user_id.as_str()) && m.user_id != view.loaded.row.owner_id)
            .map(|m| json!({"id": m.user_id, "name": m.display_name}))
            .collect();
        let status = view.loaded.status;
        let is_chair = p.role == crate::domain::Role::Chair;
        Ok(json!({
            "proposal": {
                "id": view.loaded.row.id, "reference": view.loaded.row.reference, "title": view.loaded.row.title,
                "investigator": view.loaded.content.principal_investigator.name,
                "institution": view.loaded.content.principal_investigator.institution,
                "status": status.as_str(), "round": view.loaded.row.round,
            },
            "committee": view.committee.as_ref().map(|c| json!({"id": c.id, "name": c.name, "quorum": c.quorum})),
            "committees": committees.iter().map(|(c, _)| json!({"id": c.id, "name": c.name})).collect::<Vec<_>>(),
            "criteria": criteria_context(&view.rubric, lang, &BTreeMap::new()),
            "reviewers": view.reviews.iter().map(|r| json!({
                "assignment_id": r.assignment_id, "name": r.reviewer_name, "coi_status": r.coi_status,
                "coi_kind": r.coi_kind, "completed": r.completed, "weighted_score": r.weighted_score,
                "scores": r.scores, "recommendation": r.recommendation.map(|o| o.as_str()),
                "comments_to_investigator": r.comments_to_investigator,
                "confidential_comments": r.confidential_comments,
            })).collect::<Vec<_>>(),
            "candidates": candidates,
            "score": view.score,
            "completed_count": view.completed,
            "quorum_met": view.quorum_met,
            "outcomes": OUTCOMES,
            "can_start_review": status == Status::Submitted,
            "can_assign": matches!(status, Status::Submitted | Status::UnderReview) && view.committee.is_some(),
            "can_decide": is_chair && status == Status::UnderReview,
            "decision": decision.map(|d| json!({
                "outcome": d.outcome.as_str(), "rationale": d.rationale, "conditions": d.conditions,
                "decided_at": crate::clock::display(d.decided_at.naive_utc()),
                "quorum_override_reason": d.quorum_override_reason, "decided_by": d.decided_by,
            })),
        }))
    })
    .await?;
    context["errors"] = json!(errors);
    context["form"] = form;
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/committee.html",
        context,
    )
}

fn empty_decision_form() -> Value {
    json!({"outcome": "", "rationale": "", "conditions": "", "quorum_override_reason": ""})
}

pub async fn show_committee(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    render_committee_page(
        &req,
        &state,
        &user.0,
        StatusCode::OK,
        BTreeMap::new(),
        empty_decision_form(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    pub reviewer_id: String,
}

pub async fn assign_from_form(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<AssignForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let reviewer = form.data.reviewer_id;
    let pid = id.clone();
    db::run_tx(&state.pool, move |conn| {
        workflow::assign_reviewer(conn, &principal, &pid, &reviewer)
    })
    .await?;
    Ok(redirect_with_flash(
        &format!("/proposals/{id}/committee"),
        "reviewer_assigned",
    ))
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    pub outcome: String,
    pub rationale: String,
    pub conditions: Option<String>,
    pub quorum_override_reason: Option<String>,
}

pub async fn decide_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<DecisionForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    let lang = page_lang(&req, Some(&principal));
    let data = form.data;
    let form_echo = json!({
        "outcome": data.outcome, "rationale": data.rationale,
        "conditions": data.conditions.clone().unwrap_or_default(),
        "quorum_override_reason": data.quorum_override_reason.clone().unwrap_or_default(),
    });
    let Some(outcome) = Outcome::parse(&data.outcome) else {
        let errors = BTreeMap::from([("outcome".to_string(), translate(lang, "err.required"))]);
        return render_committee_page(
            &req,
            &state,
            &principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            form_echo,
        )
        .await;
    };
    let input = DecisionInput {
        outcome,
        rationale: data.rationale.clone(),
        conditions: data
            .conditions
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect(),
        quorum_override_reason: data.quorum_override_reason,
    };
    let p = principal.clone();
    let pid = id.clone();
    let result = db::run_tx(&state.pool, move |conn| {
        workflow::decide(conn, &p, &pid, &input)
    })
    .await;
    let errors = match result {
        Ok(_) => {
            return Ok(redirect_with_flash(
                &format!("/proposals/{id}/committee"),
                "decision_recorded",
            ));
        }
        Err(AppError::Validation(errors)) => localise(&errors, lang),
        // Quorum not met and no override: say so beside the override field.
        Err(AppError::Conflict(detail)) if detail.contains("quorum") => BTreeMap::from([(
            "quorum_override_reason".to_string(),
            translate(lang, "err.quorum"),
        )]),
        Err(other) => return Err(other.into()),
    };
    render_committee_page(
        &req,
        &state,
        &principal,
        StatusCode::UNPROCESSABLE_ENTITY,
        errors,
        form_echo,
    )
    .await
}

pub async fn show_ranking(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let p = principal.clone();
    let ranked = db::run(&state.pool, move |conn| workflow::ranking(conn, &p)).await?;
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/ranking.html",
        json!({ "items": ranked }),
    )
}

async fn render_committees(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    form: Value,
    errors: BTreeMap<String, String>,
    created: bool,
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(req, Some(principal));
    let p = principal.clone();
    let committees = db::run(&state.pool, move |conn| {
        workflow::committees(conn, &p)?
            .into_iter()
            .map(|(c, members)| {
                Ok(json!({
                    "id": c.id, "name": c.name, "quorum": c.quorum,
                    "members": members.iter().map(|m| json!({"name": m.display_name, "email": m.email, "role": m.member_role})).collect::<Vec<_>>(),
                    "criteria": criteria_context(&workflow::rubric_of(&c), lang, &BTreeMap::new()),
                }))
            })
            .collect::<Result<Vec<_>, AppError>>()
    })
    .await?;
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/admin_committees.html",
        json!({
            "committees": committees, "form": form, "errors": errors, "created": created,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreatedQuery {
    pub created: Option<String>,
}

pub async fn show_committees(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<CreatedQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    crate::auth::policy::manage_users(&principal).require()?;
    let form = json!({"name": "", "quorum": "3", "members": ""});
    render_committees(
        &req,
        &state,
        &principal,
        StatusCode::OK,
        form,
        BTreeMap::new(),
        query.created.is_some(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CommitteeForm {
    pub name: String,
    pub quorum: String,
    pub members: String,
}

pub async fn create_committee_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<CommitteeForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    crate::auth::policy::manage_users(&principal).require()?;
    let lang = page_lang(&req, Some(&principal));
    let data = form.data;
    let echo = json!({"name": data.name, "quorum": data.quorum, "members": data.members});
    let mut errors = BTreeMap::new();
    let quorum: i32 = data.quorum.trim().parse().unwrap_or_else(|_| {
        errors.insert("quorum".to_string(), translate(lang, "err.not_a_number"));
        0
    });
    // One member per line: "email role".
    let lines: Vec<(String, String)> = data
        .members
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap_or("").to_string(),
                parts.next().unwrap_or("reviewer").to_string(),
            )
        })
        .collect();
    if !errors.is_empty() {
        return render_committees(
            &req,
            &state,
            &principal,
            StatusCode::UNPROCESSABLE_ENTITY,
            echo,
            errors,
            false,
        )
        .await;
    }
    let p = principal.clone();
    let name = data.name.clone();
    let result = db::run_tx(&state.pool, move |conn| {
        let members = workflow::members_by_email(conn, &lines)?;
        workflow::create_committee(
            conn,
            &p,
            &CommitteeInput {
                name: &name,
                quorum,
                members: &members,
            },
        )
    })
    .await;
    match result {
        Ok(_) => Ok(redirect_with_flash(
            "/admin/committees",
            "committee_created",
        )),
        Err(AppError::Validation(errors)) => {
            let messages = localise(&errors, lang);
            render_committees(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                echo,
                messages,
                false,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
