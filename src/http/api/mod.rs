//! The JSON API under `/api/v1`: request/response types and thin handlers.

pub mod cro;
pub mod insights;
pub mod me;
pub mod msl;
pub mod openapi;
pub mod outbox;
pub mod proposals;
pub mod reports;
pub mod review;
pub mod study;
pub mod users;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::workflows::idempotency;

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

/// A page of a keyset-paginated list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub fn page_limit(limit: Option<i64>) -> AppResult<i64> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(l) if (1..=MAX_PAGE).contains(&l) => Ok(l),
        Some(_) => Err(AppError::validation_one(
            "limit",
            "range",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
    }
}

pub fn encode_cursor(last_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(last_id.as_bytes())
}

pub fn decode_cursor(cursor: Option<&str>) -> AppResult<Option<String>> {
    cursor
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .filter(|id| uuid::Uuid::parse_str(id).is_ok())
                .ok_or_else(|| {
                    AppError::validation_one("cursor", "format", "is not a valid cursor")
                })
        })
        .transpose()
}

/// Fetches `limit + 1` rows to learn whether another page exists.
pub fn into_page<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    id_of: impl Fn(&R) -> &str,
    map: impl Fn(R) -> T,
) -> Page<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if has_more {
        rows.last().map(|r| encode_cursor(id_of(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}

pub fn etag(version: i64) -> String {
    format!("\"v{version}\"")
}

/// What `If-Match` asks for (RFC 9110 §13.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current representation. The resource must exist (and be visible to the
    /// caller, which the handler checks first); its version does not matter.
    Any,
    /// One of our ETags, `"v<version>"`.
    Version(i64),
}

impl IfMatch {
    /// The version the change is made against: the one named, or for `*` the current one.
    pub fn expected(self, current: i64) -> i64 {
        match self {
            IfMatch::Any => current,
            IfMatch::Version(version) => version,
        }
    }

    /// The version to check when the workflow does the comparison itself and takes `None`
    /// as "no precondition": `*` holds for whatever exists.
    pub fn version(self) -> Option<i64> {
        match self {
            IfMatch::Any => None,
            IfMatch::Version(version) => Some(version),
        }
    }
}

/// `If-Match`: 428 without the header, 412 when it is neither `*` nor one of our ETags.
/// Evaluate it only after the caller has been authorised for the resource, so that a hidden
/// resource answers 404 whatever the header says.
pub fn required_if_match(req: &HttpRequest) -> AppResult<IfMatch> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or(AppError::PreconditionRequired)?
        .to_str()
        .map_err(|_| AppError::PreconditionFailed)?;
    parse_if_match(value).ok_or(AppError::PreconditionFailed)
}

pub fn optional_if_match(req: &HttpRequest) -> AppResult<Option<IfMatch>> {
    match req.headers().get(header::IF_MATCH) {
        None => Ok(None),
        Some(_) => required_if_match(req).map(Some),
    }
}

fn parse_if_match(value: &str) -> Option<IfMatch> {
    if value.trim() == "*" {
        return Some(IfMatch::Any);
    }
    parse_etag(value).map(IfMatch::Version)
}

fn parse_etag(value: &str) -> Option<i64> {
    let value = value.trim().trim_start_matches("W/");
    value.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
}

/// Runs a creating request at most once per (caller, `Idempotency-Key`): a retry with the same
/// key and body gets the stored response; the same key with another body is refused.
pub async fn idempotent_create<F>(
    state: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    body: &[u8],
    create: F,
) -> AppResult<HttpResponse>
where
    F: FnOnce(&mut DbConnection) -> AppResult<(serde_json::Value, String)> + Send + 'static,
{
    let key = req
        .headers()
        .get("Idempotency-Key")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let Some(key) = key else {
        let (value, location) = db::run_tx(&state.pool, create).await?;
        return Ok(created(&value, &location));
    };
    if key.len() > 200 {
        return Err(AppError::validation_one(
            "Idempotency-Key",
            "too_long",
            "at most 200 characters",
        ));
    }
    let fingerprint = hex::encode(Sha256::digest(
        [
            req.method().as_str().as_bytes(),
            req.path().as_bytes(),
            body,
        ]
        .concat(),
    ));
    let user_id = principal.user_id.clone();
    let (k, u, f) = (key.clone(), user_id.clone(), fingerprint.clone());
    let outcome = db::run_tx(&state.pool, move |conn| {
        idempotency::create_once(conn, &u, &k, &f, create)
    })
    .await;
    let stored = match outcome {
        Ok(Ok((value, location))) => return Ok(created(&value, &location)),
        Ok(Err(stored)) => stored,
        // Another request with this key committed first: replay what it stored.
        Err(AppError::Conflict(_)) => {
            db::run(&state.pool, move |conn| {
                idempotency::stored(conn, &user_id, &key)?.ok_or(AppError::Conflict(
                    "a request with this Idempotency-Key is in progress".into(),
                ))
            })
            .await?
        }
        Err(other) => return Err(other),
    };
    if stored.request_fingerprint != fingerprint {
        return Err(AppError::validation_one(
            "Idempotency-Key",
            "reused",
            "this key was already used with a different request",
        ));
    }
    let replay: serde_json::Value = serde_json::from_str(&stored.response_body)?;
    let location = replay["location"].as_str().unwrap_or_default().to_string();
    let mut response = created(&replay["body"], &location);
    response.headers_mut().insert(
        header::HeaderName::from_static("idempotent-replayed"),
        header::HeaderValue::from_static("true"),
    );
    Ok(response)
}

fn created(value: &serde_json::Value, location: &str) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::CREATED);
    if !location.is_empty() {
        response.insert_header((header::LOCATION, location.to_string()));
    }
    if let Some(version) = value.get("version").and_then(|v| v.as_i64()) {
        response.insert_header((header::ETAG, etag(version)));
    }
    response.json(value)
}

/// Parses a JSON body with the service's rules (used where the raw bytes are also needed).
pub fn parse_json<T: serde::de::DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> AppResult<T> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime != "application/json" && mime != "application/merge-patch+json" {
        return Err(AppError::UnsupportedMediaType(
            "send application/json".into(),
        ));
    }
    serde_json::from_slice(body).map_err(json_error)
}

pub fn json_error(error: serde_json::Error) -> AppError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::BadRequest(format!("malformed JSON: {error}"))
        }
        Category::Data => AppError::validation_one("body", "invalid", error.to_string()),
    }
}

/// Reads a request body up to `limit` bytes; beyond it, 413 problem+json.
pub async fn read_body(mut payload: actix_web::web::Payload, limit: usize) -> AppResult<Vec<u8>> {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("unreadable body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_round_trip_and_weak_ones_are_accepted() {
        assert_eq!(parse_etag(&etag(7)), Some(7));
        assert_eq!(parse_etag("W/\"v7\""), Some(7));
        assert_eq!(parse_etag("\"x\""), None);
    }

    #[test]
    fn a_star_matches_any_current_version() {
        assert_eq!(parse_if_match(" * "), Some(IfMatch::Any));
        assert_eq!(parse_if_match(&etag(3)), Some(IfMatch::Version(3)));
        assert_eq!(parse_if_match("\"*\""), None);
        assert_eq!(IfMatch::Any.expected(9), 9);
        assert_eq!(IfMatch::Version(3).expected(9), 3);
        assert_eq!(IfMatch::Any.version(), None);
        assert_eq!(IfMatch::Version(3).version(), Some(3));
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(
            decode_cursor(Some(&encode_cursor(&id))).ok().flatten(),
            Some(id)
        );
        assert!(decode_cursor(Some("!!")).is_err());
    }
}
