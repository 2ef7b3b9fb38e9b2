//! Post/redirect/get confirmations: an action's handler redirects with a flash (a message key
//! in a short-lived cookie); the next page shows it once in the page's status region
//! (`role="status"`, base.html) and clears the cookie.
//!
//! Only keys of the `flash.*` catalog entries are shown, so a forged cookie can choose among
//! our own messages at most.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::domain::Lang;
use crate::templates::translate;

pub const FLASH_COOKIE: &str = "liaison_flash";

/// A 303 to `location` that shows the `flash.<key>` message on arrival.
pub fn redirect_with_flash(location: &str, key: &str) -> HttpResponse {
    let cookie = Cookie::build(FLASH_COOKIE, key.to_string())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(Duration::seconds(120))
        .finish();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .cookie(cookie)
        .finish()
}

/// The message waiting for this request, in `lang`, if its key is one of ours.
pub fn pending_message(req: &HttpRequest, lang: Lang) -> Option<String> {
    let key = req.cookie(FLASH_COOKIE)?.value().to_string();
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    let catalog_key = format!("flash.{key}");
    let message = translate(lang, &catalog_key);
    (message != catalog_key).then_some(message)
}

/// The cookie that clears a shown flash.
pub fn clearing_cookie() -> Cookie<'static> {
    let mut cookie = Cookie::build(FLASH_COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}
