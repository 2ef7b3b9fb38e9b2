//! Fixed-window counters of emails caused per requester (see `workflows::mail_limits`).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use crate::db::DbConnection;
use crate::db::schema::mail_quotas;

#[derive(QueryableByName)]
struct Used {
    #[diesel(sql_type = Integer)]
    used: i32,
}

/// Counts one use of `key` in the window starting at `window_start` and returns the uses so
/// far, this one included. One statement, so two processes never both see the last unit.
pub fn take(conn: &mut DbConnection, key: &str, window_start: NaiveDateTime) -> QueryResult<i32> {
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "INSERT INTO mail_quotas (quota_key, window_start, used) VALUES ($1, $2, 1) \
             ON CONFLICT (quota_key, window_start) DO UPDATE SET used = mail_quotas.used + 1 \
             RETURNING used"
        }
        DbConnection::Sqlite(_) => {
            "INSERT INTO mail_quotas (quota_key, window_start, used) VALUES (?, ?, 1) \
             ON CONFLICT (quota_key, window_start) DO UPDATE SET used = mail_quotas.used + 1 \
             RETURNING used"
        }
    };
    let row: Used = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(window_start)
        .get_result(conn)?;
    Ok(row.used)
}

/// Drops the counters of windows that started before `before`.
pub fn purge_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(mail_quotas::table.filter(mail_quotas::window_start.lt(before))).execute(conn)
}
