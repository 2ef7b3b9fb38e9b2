//! Values the service keeps for itself, such as the generated secret key.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::app_settings;

pub fn get(conn: &mut DbConnection, key: &str) -> QueryResult<Option<String>> {
    app_settings::table
        .filter(app_settings::key.eq(key))
        .select(app_settings::value)
        .first(conn)
        .optional()
}

/// Returns the stored value, inserting `make()` first when there is none. A concurrent
/// insert by another process wins and its value is returned.
pub fn get_or_insert(
    conn: &mut DbConnection,
    key: &str,
    make: impl FnOnce() -> String,
) -> QueryResult<String> {
    if let Some(value) = get(conn, key)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(app_settings::table)
        .values((app_settings::key.eq(key), app_settings::value.eq(make())))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => {}
        Err(other) => return Err(other),
    }
    app_settings::table
        .filter(app_settings::key.eq(key))
        .select(app_settings::value)
        .first(conn)
}
