//! `/api/v1/users`: account administration for admins.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Principal;
use crate::auth::policy;
use crate::db;
use crate::domain::{Lang, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::api::{Page, decode_cursor, etag, into_page, page_limit, required_if_match};
use crate::state::AppState;
use crate::validation::{self, one_line};
use crate::workflows::users::{self as user_workflows, Account as UserRow, CreateUser, UserChange};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub lang: Lang,
    pub active: bool,
    pub organization_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&UserRow> for UserResponse {
    fn from(user: &UserRow) -> Self {
        UserResponse {
            id: user.id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role(),
            lang: user.lang(),
            active: user.active,
            organization_id: user.organization_id.clone(),
            created_at: user.created_at.and_utc(),
            updated_at: user.updated_at.and_utc(),
        }
    }
}

fn user_version(user: &UserRow) -> i64 {
    user.updated_at.and_utc().timestamp_micros()
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    #[schema(example = "msl.tanaka@example.com")]
    #[validate(email, length(max = 254))]
    pub email: String,
    #[schema(example = "田中 美咲")]
    #[validate(length(min = 1, max = 200), custom(function = "one_line"))]
    pub display_name: String,
    pub role: Role,
    #[serde(default)]
    pub lang: Lang,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    /// `false` deactivates the account and ends its sessions and tokens.
    pub active: Option<bool>,
    #[validate(length(min = 1, max = 200), custom(function = "one_line"))]
    pub display_name: Option<String>,
    pub lang: Option<Lang>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UserListQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
    pub role: Option<Role>,
}

/// List accounts (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(UserListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of users", body = Page<UserResponse>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_users(
    state: web::Data<AppState>,
    principal: Principal,
    query: web::Query<UserListQuery>,
) -> AppResult<web::Json<Page<UserResponse>>> {
    policy::manage_users(&principal).require()?;
    let query = query.into_inner();
    let limit = page_limit(query.limit)?;
    let after = decode_cursor(query.cursor.as_deref())?;
    let rows = db::run(&state.pool, move |conn| {
        user_workflows::list(conn, &principal, after.as_deref(), query.role, limit + 1)
    })
    .await?;
    Ok(web::Json(into_page(
        rows,
        limit,
        |u| &u.id,
        |u| UserResponse::from(&u),
    )))
}

/// Create an account (admins). Staff accounts are created verified; they sign in with a
/// one-time link or a password they set.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = CreateUserRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = UserResponse),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, description = "An account with this email was created concurrently", body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_user(
    state: web::Data<AppState>,
    principal: Principal,
    body: web::Json<CreateUserRequest>,
) -> AppResult<HttpResponse> {
    policy::manage_users(&principal).require()?;
    let body = body.into_inner();
    validation::check(&body)?;
    if body.role == Role::Cro {
        return Err(AppError::validation_one(
            "role",
            "invalid_choice",
            "CRO accounts belong to an organisation and are created with it",
        ));
    }
    let actor = principal.actor();
    let user = db::run_tx(&state.pool, move |conn| {
        user_workflows::create(
            conn,
            &actor,
            &CreateUser {
                email: &body.email,
                display_name: &body.display_name,
                role: body.role,
                lang: body.lang,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", user.id)))
        .insert_header((header::ETAG, etag(user_version(&user))))
        .json(UserResponse::from(&user)))
}

/// One account (admins, or the user themself).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "accounts",
    params(("id" = String, Path, description = "User id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserResponse, headers(("ETag" = String))),
        (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get_user(
    state: web::Data<AppState>,
    principal: Principal,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let user = db::run(&state.pool, move |conn| {
        user_workflows::find(conn, &principal, &id)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(user_version(&user))))
        .json(UserResponse::from(&user)))
}

/// Change role, name, language or active flag (admins). Requires `If-Match`.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "accounts", request_body = UpdateUserRequest,
    params(("id" = String, Path, description = "User id"),
           ("If-Match" = String, Header, description = "ETag from GET")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 412, body = Problem), (status = 422, body = Problem),
        (status = 428, body = Problem)))]
pub async fn update_user(
    state: web::Data<AppState>,
    principal: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UpdateUserRequest>,
) -> AppResult<HttpResponse> {
    policy::manage_users(&principal).require()?;
    let expected = required_if_match(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    validation::check(&body)?;
    if body.role == Some(Role::Cro) {
        return Err(AppError::validation_one(
            "role",
            "invalid_choice",
            "CRO accounts belong to an organisation",
        ));
    }
    let user = db::run_tx(&state.pool, move |conn| {
        let current = user_workflows::find(conn, &principal, &id)?;
        if user_version(&current) != expected.expected(user_version(&current)) {
            return Err(AppError::PreconditionFailed);
        }
        user_workflows::change(
            conn,
            &principal,
            &id,
            &UserChange {
                role: body.role,
                active: body.active,
                display_name: body.display_name,
                lang: body.lang,
            },
        )
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag(user_version(&user))))
        .json(UserResponse::from(&user)))
}
