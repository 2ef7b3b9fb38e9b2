//! Bearer tokens, one-time sign-in links and web sessions. Only keyed hashes of the secrets are
//! stored (see `auth::secrets`); every lookup also requires the user to be active, so
//! deactivating a user ends their sessions and tokens on their next request.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::secrets::{SecretKey, random_token};
use crate::db::schema::{api_tokens, login_links, sessions, users};
use crate::db::{self, DbConnection};
use crate::store::users::UserRow;

const TOKEN_PURPOSE: &str = "api-token";
const LINK_PURPOSE: &str = "login-link";
const SESSION_PURPOSE: &str = "session";
/// Plain bearer tokens start with this, so leaked ones are easy to recognise in scans.
pub const TOKEN_PREFIX: &str = "lia_";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiTokenRow {
    pub id: String,
    pub user_id: Option<String>,
    pub organization_id: Option<String>,
    pub name: String,
    pub token_prefix: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
}

/// Creates a personal token; returns the plain token (shown once) and its row.
pub fn create_user_token(
    conn: &mut DbConnection,
    key: &SecretKey,
    user_id: &str,
    name: &str,
    valid_for: Duration,
) -> QueryResult<(String, ApiTokenRow)> {
    let plain = format!("{TOKEN_PREFIX}{}", random_token());
    let now = db::now();
    let id = db::new_id();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(&id),
            api_tokens::user_id.eq(Some(user_id)),
            api_tokens::name.eq(name),
            api_tokens::token_prefix.eq(&plain[..12]),
            api_tokens::token_hash.eq(key.mac_hex(TOKEN_PURPOSE, &plain)),
            api_tokens::created_at.eq(now),
            api_tokens::expires_at.eq(now + valid_for),
        ))
        .execute(conn)?;
    let row = api_tokens::table
        .filter(api_tokens::id.eq(&id))
        .select(ApiTokenRow::as_select())
        .first(conn)?;
    Ok((plain, row))
}

/// The keyed hash a plain bearer token is stored and looked up by.
pub fn token_mac(key: &SecretKey, plain: &str) -> String {
    key.mac_hex(TOKEN_PURPOSE, plain)
}

/// The token's user when the token exists, is neither revoked nor expired, and the user is
/// active. Records the time of use (at most once a minute, to spare writes).
pub fn authenticate_token(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
) -> QueryResult<Option<(ApiTokenRow, UserRow)>> {
    authenticate_token_mac(conn, &token_mac(key, plain))
}

/// [`authenticate_token`] by the token's keyed hash ([`token_mac`]).
pub fn authenticate_token_mac(
    conn: &mut DbConnection,
    mac: &str,
) -> QueryResult<Option<(ApiTokenRow, UserRow)>> {
    let now = db::now();
    let found: Option<(ApiTokenRow, UserRow)> = db::on_backend!(conn, |c| api_tokens::table
        .inner_join(users::table.on(api_tokens::user_id.eq(users::id.nullable())))
        .filter(api_tokens::token_hash.eq(mac))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::active.eq(true))
        .select((ApiTokenRow::as_select(), UserRow::as_select()))
        .first(c)
        .optional())?;
    if let Some((token, _)) = &found {
        let stale = token
            .last_used_at
            .is_none_or(|t| now - t > Duration::seconds(60));
        if stale {
            diesel::update(api_tokens::table.filter(api_tokens::id.eq(&token.id)))
                .set(api_tokens::last_used_at.eq(Some(now)))
                .execute(conn)?;
        }
    }
    Ok(found)
}

pub fn revoke_token(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(db::now())))
    .execute(conn)
}

pub fn tokens_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<Vec<ApiTokenRow>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.asc())
        .select(ApiTokenRow::as_select())
        .load(conn)
}

/// A one-time sign-in link secret for the user; returns the plain secret.
pub fn create_login_link(
    conn: &mut DbConnection,
    key: &SecretKey,
    user_id: &str,
    valid_for: Duration,
) -> QueryResult<String> {
    let plain = random_token();
    let now = db::now();
    diesel::insert_into(login_links::table)
        .values((
            login_links::id.eq(db::new_id()),
            login_links::user_id.eq(user_id),
            login_links::token_hash.eq(key.mac_hex(LINK_PURPOSE, &plain)),
            login_links::created_at.eq(now),
            login_links::expires_at.eq(now + valid_for),
        ))
        .execute(conn)?;
    Ok(plain)
}

/// Consumes a link: the conditional update succeeds for exactly one caller, so a link works
/// once even when two requests race. Returns the user, or `None` for unknown, used, expired
/// links and inactive users.
pub fn redeem_login_link(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
) -> QueryResult<Option<UserRow>> {
    let now = db::now();
    let hash = key.mac_hex(LINK_PURPOSE, plain);
    let consumed = diesel::update(
        login_links::table
            .filter(login_links::token_hash.eq(&hash))
            .filter(login_links::used_at.is_null())
            .filter(login_links::expires_at.gt(now)),
    )
    .set(login_links::used_at.eq(Some(now)))
    .execute(conn)?;
    if consumed != 1 {
        return Ok(None);
    }
    login_links::table
        .inner_join(users::table)
        .filter(login_links::token_hash.eq(&hash))
        .filter(users::active.eq(true))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: String,
    pub token_hash: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

pub fn create_session(
    conn: &mut DbConnection,
    key: &SecretKey,
    user_id: &str,
) -> QueryResult<String> {
    let plain = random_token();
    let now = db::now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(db::new_id()),
            sessions::user_id.eq(user_id),
            sessions::token_hash.eq(key.mac_hex(SESSION_PURPOSE, &plain)),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(plain)
}

/// The session's user while the session is open, neither idle nor older than its absolute
/// limit, and the user active; refreshes the idle clock at most once a minute.
pub fn authenticate_session(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
    idle: Duration,
    absolute: Duration,
) -> QueryResult<Option<(SessionRow, UserRow)>> {
    let now = db::now();
    let found: Option<(SessionRow, UserRow)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(key.mac_hex(SESSION_PURPOSE, plain)))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::last_seen_at.gt(now - idle))
        .filter(sessions::created_at.gt(now - absolute))
        .filter(users::active.eq(true))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?;
    if let Some((session, _)) = &found
        && now - session.last_seen_at > Duration::seconds(60)
    {
        diesel::update(sessions::table.filter(sessions::id.eq(&session.id)))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
    }
    Ok(found)
}

/// Ends an open session; returns its user, for the audit record.
pub fn end_session(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
) -> QueryResult<Option<String>> {
    let hash = key.mac_hex(SESSION_PURPOSE, plain);
    let user_id: Option<String> = sessions::table
        .filter(sessions::token_hash.eq(&hash))
        .filter(sessions::ended_at.is_null())
        .select(sessions::user_id)
        .first(conn)
        .optional()?;
    diesel::update(
        sessions::table
            .filter(sessions::token_hash.eq(&hash))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(db::now())))
    .execute(conn)?;
    Ok(user_id)
}

/// Ends every open session and revokes every token of a user (on deactivation).
pub fn end_all_for_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<()> {
    let now = db::now();
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(now)))
    .execute(conn)?;
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// The open session a plain session secret names, if any.
pub fn open_session(
    conn: &mut DbConnection,
    key: &SecretKey,
    plain: &str,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .filter(sessions::token_hash.eq(key.mac_hex(SESSION_PURPOSE, plain)))
        .filter(sessions::ended_at.is_null())
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

/// Open sessions of a user, newest first.
pub fn open_sessions_of_user(
    conn: &mut DbConnection,
    user_id: &str,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::ended_at.is_null())
        .order(sessions::created_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Ends every open session of a user ("sign out everywhere"); tokens stay.
pub fn end_sessions_of_user(conn: &mut DbConnection, user_id: &str) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(db::now())))
    .execute(conn)
}
