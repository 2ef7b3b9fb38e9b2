//! The signed-in home page: the caller's proposals, by role.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::auth::WebUser;
use crate::db;
use crate::domain::Role;
use crate::error::WebError;
use crate::http::web::render_page;
use crate::state::AppState;
use crate::store::proposals::{self, ListFilter};
use crate::workflows::proposals::list_scope;

pub async fn show_dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: WebUser,
) -> Result<HttpResponse, WebError> {
    let principal = user.0;
    let scope = list_scope(&principal);
    let rows = db::run(&state.pool, move |conn| {
        Ok(proposals::list(
            conn,
            &scope,
            &ListFilter {
                limit: 200,
                ..ListFilter::default()
            },
        )?)
    })
    .await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "reference": r.reference,
                "title": r.title,
                "status": r.status,
                "updated_at": r.updated_at.format("%Y-%m-%d %H:%M").to_string(),
            })
        })
        .collect();
    let is_investigator = principal.role == Role::Investigator;
    render_page(
        &req,
        &state,
        Some(&principal),
        StatusCode::OK,
        "web/dashboard.html",
        json!({
            "proposals": items,
            "can_create": is_investigator,
            "heading_key": if is_investigator { "dashboard.mine" } else { "dashboard.submitted" },
        }),
    )
}
