//! Account administration.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::policy;
use crate::auth::secrets::SecretKey;
use crate::db::DbConnection;
use crate::domain::proposal::looks_like_email;
use crate::domain::text::DisplayName;
use crate::domain::{Lang, Role};
use crate::error::{AppError, AppResult, FieldError};
use crate::notify::{self, Email, Recipient};
use crate::store::audit::{self, Actor, Entry};
use crate::store::credentials;
use crate::store::users::{self, NewUser, UserRow};
use crate::workflows::mail_limits::{self, MailLimits};

pub use crate::store::users::UserRow as Account;

/// Accounts in id order, after `after_id` (admins).
pub fn list(
    conn: &mut DbConnection,
    principal: &Principal,
    after_id: Option<&str>,
    role: Option<Role>,
    limit: i64,
) -> AppResult<Vec<UserRow>> {
    policy::manage_users(principal).require()?;
    Ok(users::list(conn, after_id, role, limit)?)
}

/// One account: admins read any, everyone reads their own; any other is hidden (404).
pub fn find(conn: &mut DbConnection, principal: &Principal, id: &str) -> AppResult<UserRow> {
    if principal.user_id != id && policy::manage_users(principal) != policy::Decision::Allow {
        return Err(AppError::NotFound);
    }
    Ok(users::find(conn, id)?)
}

pub struct CreateUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub lang: Lang,
}

pub fn validate_new_user(input: &CreateUser<'_>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !looks_like_email(input.email) || input.email.chars().count() > 254 {
        errors.push(FieldError::new("email", "email", "is not an email address"));
    }
    if let Err(error) = DisplayName::parse_required(input.display_name) {
        errors.push(FieldError::new(
            "display_name",
            error.code(),
            error.english(),
        ));
    }
    errors
}

/// Creates an account and audits it. `actor` is the admin, or the system for the CLI.
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    input: &CreateUser<'_>,
) -> AppResult<UserRow> {
    let errors = validate_new_user(input);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if users::find_by_email(conn, input.email)?.is_some() {
        return Err(AppError::Validation(vec![FieldError::new(
            "email",
            "duplicate",
            "an account with this email already exists",
        )]));
    }
    let display_name = DisplayName::parse_required(input.display_name)
        .map_err(|e| AppError::validation_one("display_name", e.code(), e.english()))?;
    let user = users::insert(
        conn,
        &NewUser {
            email: input.email,
            display_name: display_name.as_str(),
            role: input.role,
            lang: input.lang,
            organization_id: None,
            email_verified: input.role.is_staff(),
        },
    )?;
    audit::append(
        conn,
        Entry::new(actor, "user.create", "user", &user.id).after(json!({
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "lang": user.lang,
        })),
    )?;
    Ok(user)
}

pub struct UserChange {
    pub role: Option<Role>,
    pub active: Option<bool>,
    pub display_name: Option<String>,
    pub lang: Option<Lang>,
}

/// Changes role / active flag; deactivation ends the user's sessions and tokens at once.
pub fn change(
    conn: &mut DbConnection,
    principal: &Principal,
    user_id: &str,
    change: &UserChange,
) -> AppResult<UserRow> {
    policy::manage_users(principal).require()?;
    let before = users::find(conn, user_id)?;
    if user_id == principal.user_id
        && (change.active == Some(false) || change.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(AppError::Conflict(
            "admins cannot demote or deactivate themselves".into(),
        ));
    }
    let actor = principal.actor();
    let mut after = before.clone();
    if let Some(role) = change.role.filter(|r| *r != before.role()) {
        after = users::set_role(conn, user_id, role)?;
        audit::append(
            conn,
            Entry::new(&actor, "user.change_role", "user", user_id)
                .before(json!({"role": before.role}))
                .after(json!({"role": after.role})),
        )?;
    }
    if change.display_name.is_some() || change.lang.is_some() {
        let name = match &change.display_name {
            Some(name) => DisplayName::parse_required(name)
                .map_err(|e| AppError::validation_one("display_name", e.code(), e.english()))?
                .into_string(),
            None => after.display_name.clone(),
        };
        let lang = change.lang.unwrap_or_else(|| after.lang());
        let updated = users::set_display_name_and_lang(conn, user_id, &name, lang)?;
        audit::append(
            conn,
            Entry::new(&actor, "user.update", "user", user_id)
                .before(json!({"display_name": after.display_name, "lang": after.lang}))
                .after(json!({"display_name": updated.display_name, "lang": updated.lang})),
        )?;
        after = updated;
    }
    if let Some(active) = change.active.filter(|a| *a != before.active) {
        after = users::set_active(conn, user_id, active)?;
        if !active {
            credentials::end_all_for_user(conn, user_id)?;
        }
        let action = if active {
            "user.reactivate"
        } else {
            "user.deactivate"
        };
        audit::append(
            conn,
            Entry::new(&actor, action, "user", user_id)
                .before(json!({"active": before.active}))
                .after(json!({"active": active})),
        )?;
    }
    Ok(after)
}

/// Who asked for a mail to be sent, and the limits that apply to them.
#[derive(Debug, Clone, Copy)]
pub struct MailRequest<'a> {
    /// The client's socket address.
    pub client: &'a str,
    pub limits: MailLimits,
}

/// "Email me a sign-in link": queues a link for an active account. Unknown or inactive
/// addresses get nothing, nor does a request over the mail limits, and the caller answers the
/// same either way.
pub fn send_sign_in_link(
    conn: &mut DbConnection,
    key: &SecretKey,
    ttl: chrono::Duration,
    email: &str,
    request: MailRequest<'_>,
) -> AppResult<()> {
    // Not an address (a NUL byte, say, which PostgreSQL would refuse): nobody to mail.
    if !looks_like_email(email) {
        return Ok(());
    }
    if !mail_limits::allow(conn, key, request.limits, request.client, email)? {
        return Ok(());
    }
    queue_sign_in_link(conn, key, ttl, email)
}

pub(crate) fn queue_sign_in_link(
    conn: &mut DbConnection,
    key: &SecretKey,
    ttl: chrono::Duration,
    email: &str,
) -> AppResult<()> {
    let Some(user) = users::find_by_email(conn, email)?.filter(|u| u.active) else {
        return Ok(());
    };
    let token = credentials::create_login_link(conn, key, &user.id, ttl)?;
    notify::enqueue(
        conn,
        &Recipient::of(&user),
        &Email::SignInLink {
            path: format!("/signin/link?token={token}"),
            minutes: ttl.num_minutes().max(1) as u64,
        },
    )?;
    audit::append(
        conn,
        Entry::new(&Actor::system(), "login_link.email", "user", &user.id),
    )?;
    Ok(())
}

/// Investigator self-registration: a new, unverified account and a verification link (which
/// is a one-time sign-in link: opening it verifies the address). An address that already has
/// an account gets a sign-in link instead, so the answer never reveals who is registered.
pub fn register_investigator(
    conn: &mut DbConnection,
    key: &SecretKey,
    ttl: chrono::Duration,
    display_name: &str,
    email: &str,
    lang: Lang,
    request: MailRequest<'_>,
) -> AppResult<()> {
    let input = CreateUser {
        email,
        display_name,
        role: Role::Investigator,
        lang,
    };
    let errors = validate_new_user(&input);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    if !mail_limits::allow(conn, key, request.limits, request.client, email)? {
        return Ok(());
    }
    if users::find_by_email(conn, email)?.is_some() {
        return queue_sign_in_link(conn, key, ttl, email);
    }
    let user = create(conn, &Actor::system(), &input)?;
    let token = credentials::create_login_link(conn, key, &user.id, ttl)?;
    notify::enqueue(
        conn,
        &Recipient::of(&user),
        &Email::VerifyEmail {
            path: format!("/signin/link?token={token}"),
            minutes: ttl.num_minutes().max(1) as u64,
        },
    )?;
    Ok(())
}
