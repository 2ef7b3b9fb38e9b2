//! Web sign-in and sign-out: sessions opened and ended in the same transaction as their audit
//! records.

use serde_json::json;

use crate::auth::secrets::SecretKey;
use crate::db::DbConnection;
use crate::domain::proposal::looks_like_email;
use crate::error::AppResult;
use crate::store::audit::{self, Actor, Entry};
use crate::store::credentials;
use crate::store::users::{self, UserRow};

pub use crate::store::users::normalize_email;

/// The account a password sign-in names, if any. Text that is no address (a NUL byte, say)
/// matches nobody and never reaches the database, which might refuse it.
pub fn account_for_sign_in(conn: &mut DbConnection, email: &str) -> AppResult<Option<UserRow>> {
    if !looks_like_email(email) {
        return Ok(None);
    }
    Ok(users::find_by_email(conn, email)?)
}

/// Opens a session for `user`; `method` (`password`, `link`) goes into the audit record.
pub fn open(
    conn: &mut DbConnection,
    key: &SecretKey,
    user: &UserRow,
    method: &str,
) -> AppResult<String> {
    let plain = credentials::create_session(conn, key, &user.id)?;
    audit::append(
        conn,
        Entry::new(
            &Actor::user(&user.id, &user.role),
            "user.signin",
            "user",
            &user.id,
        )
        .after(json!({ "method": method })),
    )?;
    Ok(plain)
}

/// Redeems a one-time sign-in link: the address is verified and a session opened. `None`
/// when the link is unknown, used or expired.
pub fn redeem_link(
    conn: &mut DbConnection,
    key: &SecretKey,
    token: &str,
) -> AppResult<Option<String>> {
    let Some(user) = credentials::redeem_login_link(conn, key, token)? else {
        return Ok(None);
    };
    users::mark_email_verified(conn, &user.id)?;
    open(conn, key, &user, "link").map(Some)
}

/// Ends the session `plain` names, if it is live, with its audit record.
pub fn end(conn: &mut DbConnection, key: &SecretKey, plain: &str) -> AppResult<()> {
    if let Some(user_id) = credentials::end_session(conn, key, plain)? {
        let user = users::find(conn, &user_id)?;
        audit::append(
            conn,
            Entry::new(
                &Actor::user(&user.id, &user.role),
                "user.signout",
                "user",
                &user.id,
            ),
        )?;
    }
    Ok(())
}

/// The keyed digest under which a bearer token is stored and cached.
pub fn token_mac(key: &SecretKey, plain: &str) -> String {
    credentials::token_mac(key, plain)
}

/// The live bearer token with digest `mac`, and its caller; `None` when it is unknown,
/// revoked, expired or its user inactive.
pub fn caller_of_token(
    conn: &mut DbConnection,
    mac: &str,
) -> AppResult<Option<(String, crate::auth::Principal)>> {
    Ok(credentials::authenticate_token_mac(conn, mac)?
        .map(|(token, user)| (token.id, crate::auth::Principal::from_user(&user))))
}

/// The caller of a live web session (idle and absolute lifetimes enforced).
pub fn caller_of_session(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
    idle: chrono::Duration,
    absolute: chrono::Duration,
) -> AppResult<Option<crate::auth::Principal>> {
    Ok(
        credentials::authenticate_session(conn, key, plain, idle, absolute)?
            .map(|(_, user)| crate::auth::Principal::from_user(&user)),
    )
}
