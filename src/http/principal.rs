//! Who is calling, read off the request: the bearer token of an API call, the session cookie
//! of a web page. The types are `crate::auth`'s; admitting them needs the application state.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::{Principal, SESSION_COOKIE, WebUser};
use crate::db;
use crate::error::{AppError, WebError};
use crate::state::AppState;
use crate::workflows::sessions;

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state is not configured"))
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// JSON API callers authenticate with `Authorization: Bearer …` only; cookies are ignored there,
/// so the API needs no CSRF defence.
///
/// A token this process has seen recently is admitted from the [`CredentialCache`] without a
/// database trip, and confirmed by the request's first database work instead (same trip,
/// same connection): one `web::block` per request, and a revoked token is still refused on
/// its next request.
impl FromRequest for Principal {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state?;
            let token = token.ok_or(AppError::Unauthenticated)?;
            let mac = sessions::token_mac(&state.key, &token);
            let now = std::time::Instant::now();
            let (token_id, principal) = match state.credentials.get(&mac, now) {
                Some(cached) => {
                    let check = confirmation(state.clone(), mac, cached.principal.clone());
                    if let Err(check) = db::defer_to_first_use(check) {
                        // Outside a request scope: confirm now.
                        db::run(&state.pool, check).await?;
                    }
                    (cached.token_id, cached.principal)
                }
                None => {
                    let lookup = mac.clone();
                    let found = db::run(&state.pool, move |conn| {
                        sessions::caller_of_token(conn, &lookup)
                    })
                    .await?;
                    let (token_id, principal) = found.ok_or(AppError::Unauthenticated)?;
                    state
                        .credentials
                        .insert(mac, token_id.clone(), principal.clone(), now);
                    (token_id, principal)
                }
            };
            if let Some(retry_after_secs) = state.api_limiter.hit(&token_id, now) {
                return Err(AppError::TooManyRequests { retry_after_secs });
            }
            Ok(principal)
        })
    }
}

/// Confirms a credential admitted from the cache: the token is still live and its user active,
/// with the role and organisation the request was admitted with. Otherwise the entry is
/// dropped and the request answers 401 (the next one is looked up afresh).
fn confirmation(state: web::Data<AppState>, mac: String, admitted: Principal) -> db::DeferredCheck {
    Box::new(move |conn| {
        let current = sessions::caller_of_token(conn, &mac)?;
        match current {
            Some((_, now)) if now == admitted => Ok(()),
            Some((token_id, now)) if now.same_authority(&admitted) => {
                // A new name or language: right from the next request on.
                state
                    .credentials
                    .insert(mac, token_id, now, std::time::Instant::now());
                Ok(())
            }
            _ => {
                state.credentials.remove(&mac);
                Err(AppError::Unauthenticated)
            }
        }
    })
}

impl FromRequest for WebUser {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = app_state(req);
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
        Box::pin(async move {
            let state = state?;
            let plain = cookie.ok_or(AppError::Unauthenticated)?;
            let key = state.key.clone();
            let idle = chrono::Duration::from_std(state.settings.session_idle)
                .map_err(AppError::internal)?;
            let absolute = chrono::Duration::from_std(state.settings.session_absolute)
                .map_err(AppError::internal)?;
            let found = db::run(&state.pool, move |conn| {
                sessions::caller_of_session(conn, &key, &plain, idle, absolute)
            })
            .await?;
            Ok(WebUser(found.ok_or(AppError::Unauthenticated)?))
        })
    }
}
