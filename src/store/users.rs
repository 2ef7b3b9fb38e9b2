//! Accounts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::domain::{Lang, Role};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, PartialEq)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub lang: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub email_verified_at: Option<NaiveDateTime>,
    pub organization_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn role(&self) -> Role {
        // The CHECK constraint keeps roles valid; investigator is the least privileged fallback.
        Role::parse(&self.role).unwrap_or(Role::Investigator)
    }

    pub fn lang(&self) -> Lang {
        Lang::parse(&self.lang).unwrap_or_default()
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub lang: Lang,
    pub organization_id: Option<&'a str>,
    pub email_verified: bool,
}

/// Emails are compared case-insensitively by storing them lower-cased.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<UserRow> {
    let now = db::now();
    let id = db::new_id();
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(normalize_email(new.email)),
            users::display_name.eq(new.display_name.trim()),
            users::role.eq(new.role.as_str()),
            users::lang.eq(new.lang.as_str()),
            users::active.eq(true),
            users::email_verified_at.eq(new.email_verified.then_some(now)),
            users::organization_id.eq(new.organization_id),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, &id)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<UserRow> {
    users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
}

/// A user's display name alone (what a proposal shows of its owner).
pub fn display_name(conn: &mut DbConnection, id: &str) -> QueryResult<String> {
    users::table
        .filter(users::id.eq(id))
        .select(users::display_name)
        .first(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::email.eq(normalize_email(email)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Keyset page ordered by id (UUIDv7, so by creation time).
pub fn list(
    conn: &mut DbConnection,
    after_id: Option<&str>,
    role: Option<Role>,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table
        .select(UserRow::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        query = query.filter(users::id.gt(after.to_string()));
    }
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    query.load(conn)
}

pub fn set_role(conn: &mut DbConnection, id: &str, role: Role) -> QueryResult<UserRow> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::role.eq(role.as_str()),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    find(conn, id)
}

pub fn set_active(conn: &mut DbConnection, id: &str, active: bool) -> QueryResult<UserRow> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((users::active.eq(active), users::updated_at.eq(db::now())))
        .execute(conn)?;
    find(conn, id)
}

pub fn set_display_name_and_lang(
    conn: &mut DbConnection,
    id: &str,
    display_name: &str,
    lang: Lang,
) -> QueryResult<UserRow> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::display_name.eq(display_name),
            users::lang.eq(lang.as_str()),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    find(conn, id)
}

pub fn set_password_hash(conn: &mut DbConnection, id: &str, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.filter(users::id.eq(id)))
        .set((
            users::password_hash.eq(Some(hash)),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_email_verified(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    let now = db::now();
    diesel::update(
        users::table
            .filter(users::id.eq(id))
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(Some(now)))
    .execute(conn)
    .map(|_| ())
}

/// Active users with a role (e.g. every admin, for programme notices).
pub fn active_with_role(conn: &mut DbConnection, role: Role) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::role.eq(role.as_str()))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)
}

/// The accounts of an organisation, in creation order.
pub fn of_organization(
    conn: &mut DbConnection,
    organization_id: &str,
) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::organization_id.eq(organization_id))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .load(conn)
}
