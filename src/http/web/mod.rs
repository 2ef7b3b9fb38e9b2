//! Server-rendered pages. Every page works without JavaScript; every form post goes through
//! `CsrfForm`; errors re-render the form (422) or show an error page.

pub mod admin;
pub mod assets;
pub mod audit;
pub mod charts;
pub mod dashboard;
pub mod error_page;
pub mod exports;
pub mod flash;
pub mod insights;
pub mod msl;
pub mod organizations;
pub mod profile;
pub mod programme;
pub mod proposal_form;
pub mod proposal_page;
pub mod proposals;
pub mod review;
pub mod signin;
pub mod study;
pub mod study_admin;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::auth::csrf;
use crate::domain::Lang;
use crate::error::WebError;
use crate::state::AppState;
use crate::templates;

pub const LANG_COOKIE: &str = "liaison_lang";

/// Accepts any fields; the handlers read `CsrfForm::pairs`.
#[derive(Debug, serde::Deserialize)]
pub struct AnyForm {}

/// The page language: the visible switch (cookie) first, then the user's preference, then
/// the browser's `Accept-Language`, then Japanese.
pub fn page_lang(req: &HttpRequest, user: Option<&Principal>) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or(user.map(|u| u.lang))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// Renders `template` with the context every page gets (lang, user, csrf_token, path) merged
/// with `extra`.
pub fn render_page(
    req: &HttpRequest,
    state: &AppState,
    user: Option<&Principal>,
    status: StatusCode,
    template: &str,
    extra: Value,
) -> Result<HttpResponse, WebError> {
    let lang = page_lang(req, user);
    let mut context = page_context(req, state, user, lang);
    if let (Some(base), Value::Object(extra)) = (context.as_object_mut(), extra) {
        base.extend(extra);
    }
    if let Some(message) = flash::pending_message(req, lang) {
        context["flash"] = json!(message);
    }
    let body = templates::render(template, context)?;
    let mut response = HttpResponse::build(status);
    response
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if req.cookie(flash::FLASH_COOKIE).is_some() {
        response.cookie(flash::clearing_cookie());
    }
    Ok(response.body(body))
}

/// What every page's layout needs: language, the signed-in user, the CSRF token, the path.
pub fn page_context(
    req: &HttpRequest,
    state: &AppState,
    user: Option<&Principal>,
    lang: Lang,
) -> Value {
    json!({
        "lang": lang.as_str(),
        "user": user.map(|u| json!({
            "id": u.user_id,
            "display_name": u.display_name,
            "role": u.role.as_str(),
            "email": u.email,
        })),
        "csrf_token": csrf::form_token(req, &state.key),
        "path": req.path(),
    })
}

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

/// Only local paths are followed after sign-in or a language switch (no open redirects): see
/// `domain::redirect::LocalPath`. Anything else goes to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    crate::domain::redirect::LocalPath::or_root(next).into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/proposals/1")), "/proposals/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/x")), "/");
    }
}
