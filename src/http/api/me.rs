//! `GET /api/v1/me`.

use actix_web::web;

use crate::auth::Principal;
use crate::db;
use crate::error::AppResult;
use crate::http::api::users::UserResponse;
use crate::state::AppState;
use crate::workflows::users;

/// The caller's own account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The authenticated user", body = UserResponse),
        (status = 401, description = "Missing, wrong, expired or revoked credentials", body = crate::error::Problem)))]
pub async fn get_me(
    state: web::Data<AppState>,
    principal: Principal,
) -> AppResult<web::Json<UserResponse>> {
    let user = db::run(&state.pool, move |conn| {
        users::find(conn, &principal, &principal.user_id)
    })
    .await?;
    Ok(web::Json(UserResponse::from(&user)))
}
