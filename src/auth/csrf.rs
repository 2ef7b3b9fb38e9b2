//! CSRF defence for the HTML forms: a random `liaison_csrf` cookie (set by middleware on the
//! first response) and a hidden form field holding the keyed MAC of that cookie and of the
//! session cookie, so a token is worth nothing in another session. A cross-site form can send
//! the cookies but cannot compute the field. Independently, a state-changing form post whose
//! `Origin` (or, without one, `Referer`) names another site is refused.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::auth::SESSION_COOKIE;
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

/// The token for a CSRF cookie value and the request's session cookie (empty when signed
/// out): bound to both.
fn token_for(key: &SecretKey, csrf_cookie: &str, req: &HttpRequest) -> String {
    let session = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    key.mac_hex("csrf", &format!("{csrf_cookie}\u{0}{session}"))
}

/// The hidden-field value for forms on the page rendered for `req`.
pub fn form_token(req: &HttpRequest, key: &SecretKey) -> String {
    cookie_value(req)
        .map(|value| token_for(key, &value, req))
        .unwrap_or_default()
}

pub fn verify(req: &HttpRequest, key: &SecretKey, submitted: Option<&str>) -> Result<(), AppError> {
    if !same_origin(req) {
        return Err(AppError::Forbidden(
            "the form was sent from another site".into(),
        ));
    }
    let Some(cookie) = req.cookie(CSRF_COOKIE) else {
        return Err(AppError::Forbidden("missing CSRF cookie".into()));
    };
    let expected = token_for(key, cookie.value(), req);
    match submitted {
        Some(given) if constant_time_eq(given.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(AppError::Forbidden("invalid or missing CSRF token".into())),
    }
}

/// Whether the request's `Origin` (or, without one, its `Referer`) is this service: the origin
/// of `LIAISON_BASE_URL`, or the scheme and host the request was sent to. A request with
/// neither header (not a browser, or a browser that hides them) passes on the token alone.
pub fn same_origin(req: &HttpRequest) -> bool {
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let claimed = match header(header::ORIGIN) {
        // Browsers send "null" for privacy-sensitive contexts; the token still decides.
        Some(origin) if origin == "null" => return true,
        Some(origin) => origin,
        None => match header(header::REFERER) {
            Some(referer) => referer,
            None => return true,
        },
    };
    let Ok(claimed) = url::Url::parse(&claimed) else {
        return false;
    };
    let claimed = claimed.origin();
    let base = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| url::Url::parse(&state.settings.base_url).ok())
        .map(|u| u.origin());
    let info = req.connection_info();
    let requested = url::Url::parse(&format!("{}://{}/", info.scheme(), info.host()))
        .ok()
        .map(|u| u.origin());
    base.is_some_and(|o| o == claimed) || requested.is_some_and(|o| o == claimed)
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
