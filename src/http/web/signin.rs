//! Sign-in (one-time link or password), sign-out and the language switch.

use std::time::Instant;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use crate::auth::csrf::CsrfForm;
use crate::auth::{SESSION_COOKIE, password};
use crate::db;
use crate::domain::Lang;
use crate::error::{AppError, WebError};
use crate::http::web::AnyForm;
use crate::http::web::{LANG_COOKIE, page_lang, redirect, render_page, safe_next};
use crate::state::AppState;
use crate::templates::translate;
use crate::validation::{self, one_line};
use crate::workflows::sessions;
use crate::workflows::users::MailRequest;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

pub async fn show_signin(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, WebError> {
    render_page(
        &req,
        &state,
        None,
        StatusCode::OK,
        "web/signin.html",
        json!({"email": "", "next": safe_next(query.next.as_deref()), "error": null}),
    )
}

fn session_cookie(state: &AppState, value: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .secure(state.settings.cookies_secure())
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(
            state.settings.session_absolute.as_secs() as i64,
        ))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub email: String,
    pub password: String,
    pub next: Option<String>,
}

pub async fn signin_with_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, WebError> {
    let form = form.data;
    let lang = page_lang(&req, None);
    let email = sessions::normalize_email(&form.email);
    let client = client_address(&req);
    let keys = [format!("email:{email}"), format!("ip:{client}")];
    let now = Instant::now();
    let locked = state
        .signin_limiter
        .check(&keys[0], now)
        .max(state.ip_limiter.check(&keys[1], now));
    let rerender = |status: StatusCode, message_key: &str| {
        render_page(
            &req,
            &state,
            None,
            status,
            "web/signin.html",
            json!({
                "email": form.email,
                "next": safe_next(form.next.as_deref()),
                "error": translate(lang, message_key),
            }),
        )
    };
    if let Some(retry_after) = locked {
        let mut response = rerender(StatusCode::TOO_MANY_REQUESTS, "signin.rate_limited")?;
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(retry_after),
        );
        return Ok(response);
    }
    let pool = state.pool.clone();
    let lookup_email = email.clone();
    let user = db::run(&pool, move |conn| {
        sessions::account_for_sign_in(conn, &lookup_email)
    })
    .await?;
    let candidate = user.filter(|u| u.active);
    let supplied = form.password.clone();
    let hash = candidate.as_ref().and_then(|u| u.password_hash.clone());
    // Argon2 is slow by design: verify on the blocking pool, and verify a dummy hash when there
    // is no account so the answer takes as long either way.
    let verified = web::block(move || match hash {
        Some(hash) => password::verify_password(&supplied, &hash),
        None => {
            password::verify_against_dummy(&supplied);
            false
        }
    })
    .await
    .map_err(AppError::internal)?;
    let Some(user) = candidate.filter(|_| verified) else {
        state.signin_limiter.record_failure(&keys[0], now);
        state.ip_limiter.record_failure(&keys[1], now);
        return rerender(StatusCode::UNAUTHORIZED, "signin.invalid");
    };
    state.signin_limiter.reset(&keys[0]);
    let st = state.clone();
    let plain = db::run_tx(&state.pool, move |conn| {
        sessions::open(conn, &st.key, &user, "password")
    })
    .await?;
    let mut response = redirect(&safe_next(form.next.as_deref()));
    response
        .add_cookie(&session_cookie(&state, plain))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    pub token: Option<String>,
}

/// The link in the email (or from `liaison login-link`) opens this page; the sign-in itself is
/// a button press (POST), so mail scanners that fetch links do not use it up.
pub async fn show_link_confirmation(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> Result<HttpResponse, WebError> {
    render_page(
        &req,
        &state,
        None,
        StatusCode::OK,
        "web/signin_link.html",
        json!({"token": query.token.clone().unwrap_or_default()}),
    )
}

#[derive(Debug, Deserialize)]
pub struct LinkForm {
    pub token: String,
}

pub async fn redeem_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<LinkForm>,
) -> Result<HttpResponse, WebError> {
    let token = form.data.token;
    let st = state.clone();
    let plain = db::run_tx(&state.pool, move |conn| {
        sessions::redeem_link(conn, &st.key, &token)
    })
    .await?;
    let Some(plain) = plain else {
        let lang = page_lang(&req, None);
        return render_page(
            &req,
            &state,
            None,
            StatusCode::BAD_REQUEST,
            "web/signin.html",
            json!({"email": "", "next": "/", "error": translate(lang, "signin.link_invalid")}),
        );
    };
    let mut response = redirect("/");
    response
        .add_cookie(&session_cookie(&state, plain))
        .map_err(AppError::internal)?;
    Ok(response)
}

pub async fn signout(
    req: HttpRequest,
    state: web::Data<AppState>,
    _form: CsrfForm<AnyForm>,
) -> Result<HttpResponse, WebError> {
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        let key = state.key.clone();
        let plain = cookie.value().to_string();
        // Ending the session and its audit record go in one transaction.
        db::run_tx(&state.pool, move |conn| sessions::end(conn, &key, &plain)).await?;
    }
    let mut response = redirect("/signin");
    let mut removal = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    removal.make_removal();
    response.add_cookie(&removal).map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct LangForm {
    pub lang: String,
    pub next: Option<String>,
}

pub async fn switch_language(
    state: web::Data<AppState>,
    form: CsrfForm<LangForm>,
) -> Result<HttpResponse, WebError> {
    let lang = Lang::parse(&form.data.lang)
        .ok_or_else(|| AppError::BadRequest("unknown language".into()))?;
    let mut response = redirect(&safe_next(form.data.next.as_deref()));
    let cookie = Cookie::build(LANG_COOKIE, lang.as_str())
        .path("/")
        .same_site(SameSite::Lax)
        .secure(state.settings.cookies_secure())
        .max_age(time::Duration::days(365))
        .finish();
    response.add_cookie(&cookie).map_err(AppError::internal)?;
    Ok(response)
}

/// The socket peer, not X-Forwarded-For: a client could rotate that header at will.
fn client_address(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|addr| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[derive(Debug, Deserialize)]
pub struct EmailLinkForm {
    pub email: String,
}

/// Queues a sign-in link; the page says the same whether or not the address is registered.
pub async fn email_sign_in_link(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<EmailLinkForm>,
) -> Result<HttpResponse, WebError> {
    let email = form.data.email;
    let st = state.clone();
    let client = client_address(&req);
    let ttl =
        chrono::Duration::from_std(state.settings.login_link_ttl).map_err(AppError::internal)?;
    db::run_tx(&state.pool, move |conn| {
        let request = MailRequest {
            client: &client,
            limits: st.settings.mail_limits(),
        };
        crate::workflows::users::send_sign_in_link(conn, &st.key, ttl, &email, request)
    })
    .await?;
    render_page(
        &req,
        &state,
        None,
        StatusCode::OK,
        "web/check_email.html",
        json!({"message_key": "check_email.signin"}),
    )
}

pub async fn show_registration(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(&req, None);
    render_page(
        &req,
        &state,
        None,
        StatusCode::OK,
        "web/register.html",
        json!({"form": {"display_name": "", "email": "", "lang": lang.as_str()}, "errors": {}}),
    )
}

#[derive(Debug, Deserialize, Validate)]
pub struct RegistrationForm {
    #[validate(length(min = 1, max = 200), custom(function = "one_line"))]
    pub display_name: String,
    #[validate(email, length(max = 254))]
    pub email: String,
    pub lang: String,
}

pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: CsrfForm<RegistrationForm>,
) -> Result<HttpResponse, WebError> {
    let data = form.data;
    let lang = Lang::parse(&data.lang).unwrap_or_else(|| page_lang(&req, None));
    let ttl =
        chrono::Duration::from_std(state.settings.login_link_ttl).map_err(AppError::internal)?;
    let st = state.clone();
    let client = client_address(&req);
    let (name, email) = (data.display_name.clone(), data.email.clone());
    let outcome = match validation::check(&data) {
        Err(error) => Err(error),
        Ok(()) => {
            db::run_tx(&state.pool, move |conn| {
                let request = MailRequest {
                    client: &client,
                    limits: st.settings.mail_limits(),
                };
                crate::workflows::users::register_investigator(
                    conn, &st.key, ttl, &name, &email, lang, request,
                )
            })
            .await
        }
    };
    match outcome {
        Ok(()) => render_page(
            &req,
            &state,
            None,
            StatusCode::OK,
            "web/check_email.html",
            json!({"message_key": "check_email.register"}),
        ),
        Err(AppError::Validation(errors)) => {
            let page = page_lang(&req, None);
            let messages: serde_json::Map<String, serde_json::Value> = errors
                .iter()
                .map(|e| {
                    (
                        e.field.clone(),
                        json!(translate(page, &format!("err.{}", e.code))),
                    )
                })
                .collect();
            render_page(
                &req,
                &state,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                "web/register.html",
                json!({
                    "form": {"display_name": data.display_name, "email": data.email, "lang": lang.as_str()},
                    "errors": messages,
                }),
            )
        }
        Err(other) => Err(other.into()),
    }
}
