//! CSRF defence for the HTML forms: a random `liaison_csrf` cookie (set by middleware on the
//! first response) and a hidden form field holding the keyed MAC of that cookie. A cross-site
//! form can send the cookie but cannot compute the field.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::auth::secrets::{SecretKey, constant_time_eq, random_token};
use crate::error::{AppError, WebError};
use crate::state::AppState;

pub const CSRF_COOKIE: &str = "liaison_csrf";
pub const CSRF_FIELD: &str = "csrf_token";

/// The cookie value of this request: the one it brought, or the one the middleware is about
/// to set on its response.
#[derive(Debug, Clone)]
pub struct CsrfCookie(pub String);

pub fn cookie_value(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<CsrfCookie>()
        .map(|c| c.0.clone())
        .or_else(|| req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()))
}

/// The hidden-field value for forms on the page rendered for `req`.
pub fn form_token(req: &HttpRequest, key: &SecretKey) -> String {
    cookie_value(req)
        .map(|value| key.mac_hex("csrf", &value))
        .unwrap_or_default()
}

pub fn verify(req: &HttpRequest, key: &SecretKey, submitted: Option<&str>) -> Result<(), AppError> {
    let Some(cookie) = req.cookie(CSRF_COOKIE) else {
        return Err(AppError::Forbidden("missing CSRF cookie".into()));
    };
    let expected = key.mac_hex("csrf", cookie.value());
    match submitted {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden("invalid or missing CSRF token".into())),
    }
}

pub fn new_cookie(secure: bool) -> (String, Cookie<'static>) {
    let value = random_token();
    let cookie = Cookie::build(CSRF_COOKIE, value.clone())
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish();
    (value, cookie)
}

/// An urlencoded form body whose CSRF field was checked before `T` is seen. Every HTML form
/// post takes its data through this extractor.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub data: T,
    /// All fields in order, for forms with repeated or indexed names.
    pub pairs: Vec<(String, String)>,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal("application state is not configured"))?;
            let bytes = body
                .await
                .map_err(|e| AppError::BadRequest(format!("unreadable form body: {e}")))?;
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let submitted = pairs
                .iter()
                .find(|(k, _)| k == CSRF_FIELD)
                .map(|(_, v)| v.as_str());
            verify(&req, &state.key, submitted)?;
            let data = serde_urlencoded::from_bytes::<T>(&bytes)
                .map_err(|e| AppError::BadRequest(format!("invalid form: {e}")))?;
            Ok(CsrfForm { data, pairs })
        })
    }
}
