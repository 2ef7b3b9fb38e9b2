//! Who is calling: bearer tokens for the JSON API, session cookies for the web pages.

pub mod credential_cache;
pub mod csrf;
pub mod key_file;
pub mod password;
pub mod policy;
pub mod rate_limit;
pub mod secrets;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::db;
use crate::domain::{Lang, Role};
use crate::error::{AppError, WebError};
use crate::state::AppState;
use crate::store::audit::Actor;
use crate::store::credentials;
use crate::store::users::UserRow;
pub use credential_cache::CredentialCache;

pub const SESSION_COOKIE: &str = "liaison_session";

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
    pub email: String,
    pub display_name: String,
    pub lang: Lang,
    pub organization_id: Option<String>,
}

impl Principal {
    pub fn from_user(user: &UserRow) -> Principal {
        Principal {
            user_id: user.id.clone(),
            role: user.role(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            lang: user.lang(),
            organization_id: user.organization_id.clone(),
        }
    }

    /// Same user acting with the same authority (role and organisation).
    pub fn same_authority(&self, other: &Principal) -> bool {
        self.user_id == other.user_id
            && self.role == other.role
            && self.organization_id == other.organization_id
    }

    pub fn actor(&self) -> Actor {
        Actor::user(&self.user_id, self.role.as_str())
    }
}

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
            let mac = credentials::token_mac(&state.key, &token);
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
                        Ok(credentials::authenticate_token_mac(conn, &lookup)?)
                    })
                    .await?;
                    let (token, user) = found.ok_or(AppError::Unauthenticated)?;
                    let principal = Principal::from_user(&user);
                    state
                        .credentials
                        .insert(mac, token.id.clone(), principal.clone(), now);
                    (token.id, principal)
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
        let current = credentials::authenticate_token_mac(conn, &mac)?
            .map(|(token, user)| (token.id, Principal::from_user(&user)));
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

/// A signed-in web user (session cookie). Unauthenticated requests are redirected to sign-in.
#[derive(Debug, Clone)]
pub struct WebUser(pub Principal);

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
                Ok(credentials::authenticate_session(
                    conn, &key, &plain, idle, absolute,
                )?)
            })
            .await?;
            let (_, user) = found.ok_or(AppError::Unauthenticated)?;
            Ok(WebUser(Principal::from_user(&user)))
        })
    }
}
