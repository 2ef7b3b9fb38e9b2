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

pub fn remove(conn: &mut DbConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(app_settings::table.filter(app_settings::key.eq(key))).execute(conn)
}
