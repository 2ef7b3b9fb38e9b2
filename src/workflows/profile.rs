//! A person's own account (the profile page): name and language, password, personal API
//! tokens and sessions. Every change is audited with the person as actor.

use serde_json::json;

use crate::auth::Principal;
use crate::auth::password::{self, MIN_PASSWORD_CHARS};
use crate::auth::secrets::SecretKey;
use crate::db::{self, DbConnection};
use crate::domain::Lang;
use crate::domain::account::password_change_allowed;
use crate::domain::text::{DisplayName, OneLine};
use crate::error::{AppError, AppResult, FieldError};
use crate::store::audit::{self, Entry};
use crate::store::credentials::{self, ApiTokenRow, SessionRow};
use crate::store::users::{self, UserRow};

/// What the profile page shows.
pub struct Profile {
    pub account: UserRow,
    pub tokens: Vec<ApiTokenRow>,
    pub sessions: Vec<SessionRow>,
}

pub fn profile(conn: &mut DbConnection, principal: &Principal) -> AppResult<Profile> {
    Ok(Profile {
        account: users::find(conn, &principal.user_id)?,
        tokens: credentials::tokens_of_user(conn, &principal.user_id)?,
        sessions: credentials::open_sessions_of_user(conn, &principal.user_id)?,
    })
}

/// Changes one's own display name and language.
pub fn update(
    conn: &mut DbConnection,
    principal: &Principal,
    display_name: &str,
    lang: Lang,
) -> AppResult<UserRow> {
    let name = DisplayName::parse_required(display_name)
        .map_err(|e| AppError::validation_one("display_name", e.code(), e.english()))?;
    let before = users::find(conn, &principal.user_id)?;
    let after = users::set_display_name_and_lang(conn, &principal.user_id, name.as_str(), lang)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "user.update",
            "user",
            &principal.user_id,
        )
        .before(json!({"display_name": before.display_name, "lang": before.lang}))
        .after(json!({"display_name": after.display_name, "lang": after.lang})),
    )?;
    Ok(after)
}

/// Sets or changes one's password: the current one must match, or the session (named by its
/// plain secret) must have been opened within the last minutes (`domain::account`).
pub fn change_password(
    conn: &mut DbConnection,
    key: &SecretKey,
    principal: &Principal,
    session_plain: &str,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let account = users::find(conn, &principal.user_id)?;
    let session = credentials::open_session(conn, key, session_plain)?
        .filter(|s| s.user_id == principal.user_id)
        .ok_or(AppError::Unauthenticated)?;
    let matched = !current.is_empty()
        && account
            .password_hash
            .as_deref()
            .is_some_and(|hash| password::verify_password(current, hash));
    let mut errors = Vec::new();
    let how = password_change_allowed(matched, session.created_at, db::now());
    if how.is_none() {
        let code = if current.is_empty() {
            "reauth_required"
        } else {
            "wrong_password"
        };
        errors.push(FieldError::new(
            "current_password",
            code,
            "type your current password, or sign in again",
        ));
    }
    if new.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            "new_password",
            "too_short",
            format!("at least {MIN_PASSWORD_CHARS} characters"),
        ));
    } else if new.chars().count() > 1000 {
        errors.push(FieldError::new(
            "new_password",
            "too_long",
            "at most 1000 characters",
        ));
    }
    let Some(how) = how.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let hash = password::hash_password(new).map_err(AppError::internal)?;
    users::set_password_hash(conn, &principal.user_id, &hash)?;
    let action = if account.password_hash.is_some() {
        "user.change_password"
    } else {
        "user.set_password"
    };
    audit::append(
        conn,
        Entry::new(&principal.actor(), action, "user", &principal.user_id)
            .after(json!({"reauthenticated_by": how.as_str()})),
    )?;
    Ok(())
}

/// A personal API token (acting as oneself, with one's role): returned once in plain text.
pub fn create_token(
    conn: &mut DbConnection,
    key: &SecretKey,
    principal: &Principal,
    name: &str,
    days: i64,
) -> AppResult<(String, ApiTokenRow)> {
    let mut errors = Vec::new();
    let name = match OneLine::<200>::parse(name) {
        Ok(name) if name.as_str().is_empty() => "personal token".to_string(),
        Ok(name) => name.as_str().to_string(),
        Err(e) => {
            errors.push(FieldError::new("name", e.code(), e.english()));
            String::new()
        }
    };
    if !(1..=365).contains(&days) {
        errors.push(FieldError::new("expires_in_days", "range", "1 to 365 days"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (plain, row) = credentials::create_user_token(
        conn,
        key,
        &principal.user_id,
        &name,
        chrono::Duration::days(days),
    )?;
    audit::append(
        conn,
        Entry::new(&principal.actor(), "token.create", "user", &principal.user_id).after(
            json!({"token_id": row.id, "prefix": row.token_prefix, "name": name, "expires_at": row.expires_at}),
        ),
    )?;
    Ok((plain, row))
}

/// Revokes one of one's own tokens; another's token is not found.
pub fn revoke_token(
    conn: &mut DbConnection,
    principal: &Principal,
    token_id: &str,
) -> AppResult<()> {
    let own = credentials::tokens_of_user(conn, &principal.user_id)?;
    if !own.iter().any(|t| t.id == token_id) {
        return Err(AppError::NotFound);
    }
    credentials::revoke_token(conn, token_id)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "token.revoke",
            "user",
            &principal.user_id,
        )
        .after(json!({"token_id": token_id})),
    )?;
    Ok(())
}

/// Ends every open session of the person, this one included ("sign out everywhere").
pub fn sign_out_everywhere(conn: &mut DbConnection, principal: &Principal) -> AppResult<usize> {
    let ended = credentials::end_sessions_of_user(conn, &principal.user_id)?;
    audit::append(
        conn,
        Entry::new(
            &principal.actor(),
            "user.signout_everywhere",
            "user",
            &principal.user_id,
        )
        .after(json!({"sessions_ended": ended})),
    )?;
    Ok(ended)
}
