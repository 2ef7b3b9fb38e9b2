//! Error pages for people: in the reader's language (the switch, then the signed-in user's
//! preference, then Accept-Language), with the site navigation, a plain explanation instead of
//! the developer's detail, and the request id to quote to support (the same id as the
//! `x-request-id` header and the server log).
//!
//! `WebError::error_response` has no request to work from, so this runs as middleware: a
//! response that carries a `WebError` gets its body re-rendered here (status and headers kept).

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, web};
use serde_json::json;
use tracing_actix_web::RequestId;

use crate::auth::WebUser;
use crate::error::WebError;
use crate::http::web::{page_context, page_lang};
use crate::state::AppState;
use crate::templates::{self, translate};

/// The catalog suffix for a status: the ones with their own wording, or a general one.
pub fn wording_key(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "400",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        412 => "412",
        413 => "413",
        422 => "422",
        429 => "429",
        503 => "503",
        s if s >= 500 => "500",
        _ => "other",
    }
}

/// Re-renders the body of a web error response as a full, localised page.
pub async fn localise(response: ServiceResponse) -> Result<ServiceResponse, actix_web::Error> {
    let status = response.status();
    let is_web_error = response
        .response()
        .error()
        .is_some_and(|e| e.as_error::<WebError>().is_some());
    if !is_web_error || !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let req = response.request().clone();
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(response);
    };
    let user = WebUser::extract(&req).await.ok().map(|u| u.0);
    let lang = page_lang(&req, user.as_ref());
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .unwrap_or_default();
    let key = wording_key(status);
    let mut context = page_context(&req, &state, user.as_ref(), lang);
    context["status"] = json!(status.as_u16());
    context["title"] = json!(translate(lang, &format!("error.title.{key}")));
    context["explanation"] = json!(translate(lang, &format!("error.explain.{key}")));
    context["request_id"] = json!(request_id);
    match templates::render("web/error.html", context) {
        Ok(body) => Ok(response.map_body(|head, _| {
            head.headers_mut()
                .remove(actix_web::http::header::CONTENT_LENGTH);
            BoxBody::new(body)
        })),
        Err(error) => {
            tracing::error!(%error, "error page");
            Ok(response)
        }
    }
}
