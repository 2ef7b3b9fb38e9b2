//! Admin pages: user accounts.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use crate::auth::csrf::CsrfForm;
use crate::auth::policy;
use crate::auth::{Principal, WebUser};
use crate::db;
use crate::domain::glossary;
use crate::domain::{Lang, Role};
use crate::error::{AppError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::flash::redirect_with_flash;
use crate::http::web::{page_lang, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::validation::{self, one_line};
use crate::workflows::delivery;
use crate::workflows::users::{self as workflow, CreateUser, UserChange};

async fn render_users(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    form: serde_json::Value,
    errors: serde_json::Value,
    created: bool,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let rows = db::run(&state.pool, move |conn| {
        workflow::list(conn, &p, None, None, 500)
    })
    .await?;
    let list: Vec<_> = rows
        .iter()
        .map(|u| {
            json!({
                "id": u.id, "email": u.email, "display_name": u.display_name,
                "role": u.role, "lang": u.lang, "active": u.active,
            })
        })
        .collect();
    let roles: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| **r != Role::Cro)
        .map(|r| r.as_str())
        .collect();
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/admin_users.html",
        json!({
            "users": list,
            "roles": roles,
            "form": form,
            "errors": errors,
            "created": created,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct CreatedQuery {
    pub created: Option<String>,
}

pub async fn show_users(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<CreatedQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::manage_users(&principal).require()?;
    let form = json!({"email": "", "display_name": "", "role": "msl", "lang": "ja"});
    render_users(
        &req,
        &state,
        &principal,
        StatusCode::OK,
        form,
        json!({}),
        query.created.is_some(),
    )
    .await
}

#[derive(Debug, Deserialize, Validate)]
pub struct CreateUserForm {
    #[validate(email, length(max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 200), custom(function = "one_line"))]
    pub display_name: String,
    pub role: String,
    pub lang: String,
}

pub async fn create_user_from_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<CreateUserForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::manage_users(&principal).require()?;
    let data = form.data;
    let role = Role::parse(&data.role)
        .filter(|r| *r != Role::Cro)
        .ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    let lang = Lang::parse(&data.lang).unwrap_or_default();
    let actor = principal.actor();
    let (email, name) = (data.email.clone(), data.display_name.clone());
    let outcome = match validation::check(&data) {
        Err(error) => Err(error),
        Ok(()) => {
            db::run_tx(&state.pool, move |conn| {
                workflow::create(
                    conn,
                    &actor,
                    &CreateUser {
                        email: &email,
                        display_name: &name,
                        role,
                        lang,
                    },
                )
            })
            .await
        }
    };
    match outcome {
        Ok(_) => Ok(redirect_with_flash("/admin/users", "user_created")),
        Err(AppError::Validation(errors)) => {
            let page_lang = page_lang(&req, Some(&principal));
            let messages: serde_json::Map<String, serde_json::Value> = errors
                .iter()
                .map(|e| {
                    (
                        e.field.clone(),
                        json!(translate(page_lang, &format!("err.{}", e.code))),
                    )
                })
                .collect();
            let form = json!({
                "email": data.email, "display_name": data.display_name,
                "role": data.role, "lang": data.lang,
            });
            render_users(
                &req,
                &state,
                &principal,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                json!(messages),
                false,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct UpdateUserForm {
    pub role: String,
    pub active: Option<String>,
}

pub async fn update_user_from_form(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    form: CsrfForm<UpdateUserForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::manage_users(&principal).require()?;
    let role = Role::parse(&form.data.role)
        .filter(|r| *r != Role::Cro)
        .ok_or_else(|| AppError::BadRequest("unknown role".into()))?;
    let active = form.data.active.as_deref() == Some("true");
    let id = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::change(
            conn,
            &principal,
            &id,
            &UserChange {
                role: Some(role),
                active: Some(active),
                display_name: None,
                lang: None,
            },
        )
    })
    .await?;
    Ok(redirect_with_flash("/admin/users", "user_updated"))
}

#[derive(Debug, Deserialize)]
pub struct OutboxQuery {
    pub status: Option<String>,
}

pub async fn show_outbox(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::manage_users(&principal).require()?;
    let status = query
        .status
        .clone()
        .filter(|s| crate::http::api::outbox::STATUSES.contains(&s.as_str()))
        .unwrap_or_else(|| "pending".into());
    let filter = status.clone();
    let p = principal.clone();
    let (rows, counts) = db::run(&state.pool, move |conn| {
        Ok((
            delivery::messages(conn, &p, Some(&filter), None, 200)?,
            delivery::counts(conn, &p)?,
        ))
    })
    .await?;
    let lang = page_lang(&req, Some(&principal));
    let messages: Vec<_> = rows
        .into_iter()
        .map(|m| {
            // Event names come from the glossary; an event it does not know shows its code.
            let event_name = glossary::lookup(lang, &format!("event.{}", m.event))
                .map_or_else(|| m.event.clone(), str::to_string);
            json!({
                "id": m.id, "event_name": event_name, "channel": m.channel,
                "subject": delivery::subject_of(&m),
                "recipient": m.recipient, "recipient_name": m.recipient_name,
                "status": m.status, "attempts": m.attempts, "last_error": m.last_error,
                "created_at": crate::clock::display(m.created_at),
            })
        })
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> =
        counts.into_iter().map(|(s, n)| (s, json!(n))).collect();
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/admin_outbox.html",
        json!({
            "status": status,
            "messages": messages,
            "counts": counts,
        }),
    )
}

pub async fn requeue_from_form(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    policy::manage_users(&principal).require()?;
    let id = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        delivery::requeue(conn, &principal, &id)
    })
    .await?;
    Ok(redirect_with_flash(
        "/admin/outbox?status=pending",
        "message_requeued",
    ))
}
