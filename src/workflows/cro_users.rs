//! People at a partner CRO (docs/PRODUCT.md#roles). An admin invites them into a CRO
//! organisation; they sign in on the web by emailed link or by a password they set, and act
//! with the `cro` role and their organisation's id: exactly what the organisation's API keys
//! act with, so the same rules (`auth::policy`, `ListScope::Cro`, `workflows::study`) decide
//! which studies they see and which records they keep.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::secrets::SecretKey;
use crate::db::DbConnection;
use crate::domain::{Lang, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::cro as org_store;
use crate::store::users::{self, NewUser, UserRow};
use crate::workflows::users::{CreateUser, queue_sign_in_link, validate_new_user};

fn require_admin(principal: &Principal) -> AppResult<()> {
    if principal.role == Role::Admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("admins only".into()))
    }
}

/// A CRO organisation (not an institution), or 404.
fn cro_organization(
    conn: &mut DbConnection,
    organization_id: &str,
) -> AppResult<org_store::OrganizationRow> {
    match org_store::find_organization(conn, organization_id) {
        Ok(org) if org.kind == "cro" => Ok(org),
        Ok(_) => Err(AppError::Conflict(
            "only CRO organisations have members".into(),
        )),
        Err(diesel::result::Error::NotFound) => Err(AppError::NotFound),
        Err(other) => Err(other.into()),
    }
}

/// Invites a person into a CRO organisation: a `cro` account of that organisation and an
/// emailed sign-in link (opening it verifies the address). Audited as `user.invite`.
#[allow(clippy::too_many_arguments)]
pub fn invite(
    conn: &mut DbConnection,
    key: &SecretKey,
    ttl: chrono::Duration,
    principal: &Principal,
    organization_id: &str,
    email: &str,
    display_name: &str,
    lang: Lang,
) -> AppResult<UserRow> {
    require_admin(principal)?;
    let org = cro_organization(conn, organization_id)?;
    let input = CreateUser {
        email,
        display_name,
        role: Role::Cro,
        lang,
    };
    let errors = validate_new_user(&input);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if users::find_by_email(conn, email)?.is_some() {
        return Err(AppError::Validation(vec![FieldError::new(
            "email",
            "duplicate",
            "an account with this email already exists",
        )]));
    }
    let user = users::insert(
        conn,
        &NewUser {
            email,
            display_name: display_name.trim(),
            role: Role::Cro,
            lang,
            organization_id: Some(&org.id),
            email_verified: false,
        },
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "user.invite", "user", &user.id).after(json!({
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "lang": user.lang,
            "organization_id": org.id,
        })),
    )?;
    queue_sign_in_link(conn, key, ttl, &user.email)?;
    Ok(user)
}

/// The people of a CRO organisation (admins), without the service account its API keys act as.
pub fn members(
    conn: &mut DbConnection,
    principal: &Principal,
    organization_id: &str,
) -> AppResult<Vec<UserRow>> {
    require_admin(principal)?;
    let org = cro_organization(conn, organization_id)?;
    Ok(users::of_organization(conn, &org.id)?
        .into_iter()
        .filter(|u| Some(&u.id) != org.service_user_id.as_ref())
        .collect())
}
