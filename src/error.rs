//! The one error type of the service and its one mapping to HTTP (RFC 9457 problem+json).
//!
//! | variant | status |
//! |---|---|
//! | `BadRequest` | 400 |
//! | `Unauthenticated` | 401 |
//! | `Forbidden` | 403 |
//! | `NotFound` | 404 (also for objects the caller may not see) |
//! | `MethodNotAllowed` | 405 with `Allow` |
//! | `Conflict`, `InvalidTransition` | 409 |
//! | `PreconditionFailed` | 412 |
//! | `PayloadTooLarge` | 413 |
//! | `UnsupportedMediaType` | 415 |
//! | `Validation` | 422, every field listed |
//! | `PreconditionRequired` | 428 |
//! | `TooManyRequests` | 429 with `Retry-After` |
//! | `Unavailable` | 503 |
//! | `Internal` | 500, cause logged, never shown |

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field: a path such as `co_investigators[1].orcid`, a stable code and a message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub detail: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            detail: detail.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed: this resource allows {}", allowed.join(", "))]
    MethodNotAllowed { allowed: &'static [&'static str] },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{detail}")]
    InvalidTransition {
        detail: String,
        allowed_actions: Vec<String>,
    },
    #[error("precondition failed: the resource has changed")]
    PreconditionFailed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("precondition required: send If-Match with the current ETag")]
    PreconditionRequired,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A compliance guardrail refused the action (403 or 409). The refusal itself is audited
    /// in a transaction of its own (see `db::run_tx`), so it survives the rollback.
    #[error("{detail}")]
    Refused {
        conflict: bool,
        detail: String,
        audit: Box<RefusalAudit>,
    },
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

/// What the audit record of a refused action says.
#[derive(Debug, Clone)]
pub struct RefusalAudit {
    pub actor_id: String,
    pub actor_role: String,
    pub rule: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub data: serde_json::Value,
}

impl From<crate::templates::RenderError> for WebError {
    fn from(e: crate::templates::RenderError) -> Self {
        WebError(AppError::from(e))
    }
}

impl From<crate::templates::RenderError> for AppError {
    fn from(e: crate::templates::RenderError) -> Self {
        AppError::internal(e)
    }
}

impl AppError {
    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("{message}"))
    }

    #[allow(clippy::too_many_arguments)]
    pub fn refused(
        principal_id: &str,
        principal_role: &str,
        rule: &'static str,
        entity_type: &'static str,
        entity_id: &str,
        conflict: bool,
        detail: impl Into<String>,
        data: serde_json::Value,
    ) -> Self {
        AppError::Refused {
            conflict,
            detail: detail.into(),
            audit: Box::new(RefusalAudit {
                actor_id: principal_id.to_string(),
                actor_role: principal_role.to_string(),
                rule,
                entity_type,
                entity_id: entity_id.to_string(),
                data,
            }),
        }
    }

    pub fn validation_one(field: &str, code: &str, detail: impl Into<String>) -> Self {
        AppError::Validation(vec![FieldError::new(field, code, detail)])
    }

    /// Short stable slug, used in the problem `type` and in logs.
    pub fn slug(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad-request",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound => "not-found",
            AppError::MethodNotAllowed { .. } => "method-not-allowed",
            AppError::Conflict(_) => "conflict",
            AppError::InvalidTransition { .. } => "invalid-transition",
            AppError::PreconditionFailed => "precondition-failed",
            AppError::PayloadTooLarge => "payload-too-large",
            AppError::UnsupportedMediaType(_) => "unsupported-media-type",
            AppError::Validation(_) => "validation-error",
            AppError::PreconditionRequired => "precondition-required",
            AppError::TooManyRequests { .. } => "too-many-requests",
            AppError::Unavailable(_) => "unavailable",
            AppError::Refused { .. } => "guardrail",
            AppError::Internal(_) => "internal-error",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "Bad request",
            AppError::Unauthenticated => "Authentication required",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound => "Not found",
            AppError::MethodNotAllowed { .. } => "Method not allowed",
            AppError::Conflict(_) => "Conflict",
            AppError::InvalidTransition { .. } => "Action not allowed now",
            AppError::PreconditionFailed => "Precondition failed",
            AppError::PayloadTooLarge => "Payload too large",
            AppError::UnsupportedMediaType(_) => "Unsupported media type",
            AppError::Validation(_) => "Validation failed",
            AppError::PreconditionRequired => "Precondition required",
            AppError::TooManyRequests { .. } => "Too many requests",
            AppError::Unavailable(_) => "Service unavailable",
            AppError::Refused { .. } => "Refused by a compliance rule",
            AppError::Internal(_) => "Internal error",
        }
    }

    /// Human-readable detail safe to show a client (never the cause of a 500).
    pub fn public_detail(&self) -> String {
        match self {
            AppError::Internal(_) => "An internal error occurred; it has been logged.".into(),
            AppError::Unavailable(_) => "The service is temporarily unavailable.".into(),
            AppError::Validation(errors) => {
                format!("{} field(s) are missing or invalid.", errors.len())
            }
            other => other.to_string(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (errors, allowed_actions) = match self {
            AppError::Validation(errors) => (Some(errors.clone()), None),
            AppError::InvalidTransition {
                allowed_actions, ..
            } => (None, Some(allowed_actions.clone())),
            _ => (None, None),
        };
        Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: self.title().to_string(),
            status: self.status_code().as_u16(),
            detail: self.public_detail(),
            errors,
            allowed_actions,
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<String>>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::InvalidTransition { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Refused { conflict: true, .. } => StatusCode::CONFLICT,
            AppError::Refused { .. } => StatusCode::FORBIDDEN,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        log_if_server_error(self);
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if let AppError::TooManyRequests { retry_after_secs } = self {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::Unauthenticated = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"liaison\""));
        }
        if let AppError::MethodNotAllowed { allowed } = self {
            response.insert_header((header::ALLOW, allowed.join(", ")));
        }
        response.json(self.problem())
    }
}

pub fn log_if_server_error(error: &AppError) {
    if error.status_code().is_server_error() {
        tracing::error!(error = %format!("{error:#}"), "request failed");
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => AppError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                AppError::Conflict(format!("already exists ({})", info.message()))
            }
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                AppError::Unavailable("concurrent update, retry".into())
            }
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(error: r2d2::Error) -> Self {
        tracing::error!(%error, "database pool exhausted or unreachable");
        AppError::Unavailable(error.to_string())
    }
}

impl From<serde_json::Error> for AppError {
    fn from(error: serde_json::Error) -> Self {
        AppError::Internal(anyhow::Error::new(error))
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_documented_status() {
        let cases: Vec<(AppError, u16)> = vec![
            (AppError::BadRequest("x".into()), 400),
            (AppError::Unauthenticated, 401),
            (AppError::Forbidden("x".into()), 403),
            (AppError::NotFound, 404),
            (AppError::MethodNotAllowed { allowed: &["GET"] }, 405),
            (AppError::Conflict("x".into()), 409),
            (
                AppError::InvalidTransition {
                    detail: "x".into(),
                    allowed_actions: vec![],
                },
                409,
            ),
            (AppError::PreconditionFailed, 412),
            (AppError::PayloadTooLarge, 413),
            (AppError::UnsupportedMediaType("x".into()), 415),
            (AppError::Validation(vec![]), 422),
            (AppError::PreconditionRequired, 428),
            (
                AppError::TooManyRequests {
                    retry_after_secs: 3,
                },
                429,
            ),
            (AppError::Unavailable("x".into()), 503),
            (AppError::internal("boom"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status_code().as_u16(), status, "{error:?}");
            assert_eq!(error.problem().status, status);
        }
    }

    #[test]
    fn diesel_errors_map_to_not_found_and_conflict() {
        assert!(matches!(
            AppError::from(diesel::result::Error::NotFound),
            AppError::NotFound
        ));
        let unique = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("duplicate".to_string()),
        );
        assert_eq!(AppError::from(unique).status_code().as_u16(), 409);
    }

    #[test]
    fn an_internal_error_reveals_nothing_of_its_cause() {
        let problem = AppError::internal("password=hunter2 at db.rs:42").problem();
        let body = serde_json::to_string(&problem).unwrap_or_default();
        assert!(!body.contains("hunter2"));
        assert!(body.contains("internal"));
    }

    #[test]
    fn validation_problems_list_every_field() {
        let problem = AppError::Validation(vec![
            FieldError::new("title", "required", "required"),
            FieldError::new("planned_sites", "range", "must be > 0"),
        ])
        .problem();
        assert_eq!(problem.errors.map(|e| e.len()), Some(2));
    }
}

/// The HTML face of [`AppError`]: the same status, rendered as a bilingual page; a missing
/// sign-in becomes a redirect to the sign-in page.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct WebError(#[from] pub AppError);

impl From<diesel::result::Error> for WebError {
    fn from(error: diesel::result::Error) -> Self {
        WebError(error.into())
    }
}

impl ResponseError for WebError {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            AppError::Unauthenticated => StatusCode::SEE_OTHER,
            ref other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        log_if_server_error(&self.0);
        if let AppError::Unauthenticated = self.0 {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/signin"))
                .finish();
        }
        let (title_ja, title_en) = crate::templates::error_titles(self.0.status_code().as_u16());
        let body = crate::templates::render(
            "web/error.html",
            serde_json::json!({
                "lang": "ja",
                "user": null,
                "csrf_token": "",
                "path": "/",
                "status": self.0.status_code().as_u16(),
                "title_ja": title_ja,
                "title_en": title_en,
                "detail": self.0.public_detail(),
            }),
        )
        .unwrap_or_else(|_| self.0.public_detail());
        let mut response = HttpResponse::build(self.status_code());
        if let AppError::TooManyRequests { retry_after_secs } = self.0 {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::MethodNotAllowed { allowed } = self.0 {
            response.insert_header((header::ALLOW, allowed.join(", ")));
        }
        response.content_type("text/html; charset=utf-8").body(body)
    }
}
