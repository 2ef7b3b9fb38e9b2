//! The profile page: one's own name and language, password, personal API tokens and sessions.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::csrf::CsrfForm;
use crate::auth::{Principal, SESSION_COOKIE, WebUser};
use crate::db;
use crate::domain::Lang;
use crate::error::{AppError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::{page_lang, redirect, render_page};
use crate::state::AppState;
use crate::templates::translate;
use crate::workflows::profile as workflow;

fn when(t: chrono::NaiveDateTime) -> String {
    crate::clock::display(t)
}

pub async fn show_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let saved = req.query_string().contains("saved=1");
    render(
        &req,
        &state,
        &user.0,
        StatusCode::OK,
        json!({"saved": saved}),
    )
    .await
}

/// The profile page with `extra` merged into its context (a token shown once, a form's errors).
async fn render(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    status: StatusCode,
    extra: Value,
) -> Result<HttpResponse, WebError> {
    let p = principal.clone();
    let profile = db::run(&state.pool, move |conn| workflow::profile(conn, &p)).await?;
    let now = db::now();
    let account = &profile.account;
    let mut context = json!({
        "account": {
            "display_name": account.display_name, "email": account.email, "lang": account.lang,
            "has_password": account.password_hash.is_some(),
        },
        "tokens": profile.tokens.iter().map(|t| json!({
            "id": t.id, "name": t.name, "prefix": t.token_prefix,
            "created_at": when(t.created_at), "expires_at": when(t.expires_at),
            "last_used_at": t.last_used_at.map(when), "revoked_at": t.revoked_at.map(when),
            "live": t.revoked_at.is_none() && t.expires_at > now,
        })).collect::<Vec<_>>(),
        "sessions": profile.sessions.iter().map(|s| json!({
            "created_at": when(s.created_at), "last_seen_at": when(s.last_seen_at),
        })).collect::<Vec<_>>(),
        "errors": {},
        "form": {},
        "form_name": "",
    });
    if let (Some(base), Value::Object(extra)) = (context.as_object_mut(), extra) {
        base.extend(extra);
    }
    render_page(
        req,
        state,
        Some(principal),
        status,
        "web/profile.html",
        context,
    )
}

async fn rerender_on_errors(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    principal: &Principal,
    form_name: &str,
    form: Value,
    errors: &[crate::error::FieldError],
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(req, Some(principal));
    let messages: Map<String, Value> = errors
        .iter()
        .map(|e| {
            (
                e.field.clone(),
                json!(translate(lang, &format!("err.{}", e.code))),
            )
        })
        .collect();
    render(
        req,
        state,
        principal,
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"errors": messages, "form": form, "form_name": form_name}),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct DetailsForm {
    pub display_name: String,
    pub lang: String,
}

pub async fn save_details(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<DetailsForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let data = form.data;
    let lang =
        Lang::parse(&data.lang).ok_or_else(|| AppError::BadRequest("unknown language".into()))?;
    let (p, name) = (principal.clone(), data.display_name.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::update(conn, &p, &name, lang)
    })
    .await
    {
        Ok(_) => Ok(redirect("/profile?saved=1")),
        Err(AppError::Validation(errors)) => {
            let form = json!({"display_name": data.display_name, "lang": data.lang});
            rerender_on_errors(&req, &state, &principal, "details", form, &errors).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let session = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .ok_or(AppError::Unauthenticated)?;
    let data = form.data;
    let (p, key) = (principal.clone(), state.key.clone());
    let outcome = db::run_tx(&state.pool, move |conn| {
        workflow::change_password(
            conn,
            &key,
            &p,
            &session,
            &data.current_password,
            &data.new_password,
        )
    })
    .await;
    match outcome {
        Ok(()) => Ok(redirect("/profile?saved=1#password")),
        // Passwords are never put back into the page.
        Err(AppError::Validation(errors)) => {
            rerender_on_errors(&req, &state, &principal, "password", json!({}), &errors).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    pub expires_in_days: String,
}

/// A new personal token: shown once, in this response.
pub async fn create_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
    form: CsrfForm<TokenForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let data = form.data;
    let days = data.expires_in_days.trim().parse::<i64>().unwrap_or(0);
    let (p, key, name) = (principal.clone(), state.key.clone(), data.name.clone());
    match db::run_tx(&state.pool, move |conn| {
        workflow::create_token(conn, &key, &p, &name, days)
    })
    .await
    {
        Ok((plain, row)) => {
            render(
                &req,
                &state,
                &principal,
                StatusCode::OK,
                json!({"new_token": {"name": row.name, "token": plain}}),
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let form = json!({"name": data.name, "expires_in_days": data.expires_in_days});
            rerender_on_errors(&req, &state, &principal, "token", form, &errors).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn revoke_token(
    state: web::Data<AppState>,
    user: WebUser,
    path: web::Path<String>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let id = path.into_inner();
    db::run_tx(&state.pool, move |conn| {
        workflow::revoke_token(conn, &principal, &id)
    })
    .await?;
    Ok(redirect("/profile#tokens"))
}

/// Ends every session of the person, this one too, and goes to the sign-in page.
pub async fn sign_out_everywhere(
    state: web::Data<AppState>,
    user: WebUser,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    db::run_tx(&state.pool, move |conn| {
        workflow::sign_out_everywhere(conn, &principal)
    })
    .await?;
    let mut response = redirect("/signin");
    let mut removal = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    removal.make_removal();
    response.add_cookie(&removal).map_err(AppError::internal)?;
    Ok(response)
}
