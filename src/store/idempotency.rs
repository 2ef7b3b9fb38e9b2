//! Stored responses of creating POSTs, keyed by (caller, Idempotency-Key), so a retried request
//! replays the first response instead of creating a second record.

use diesel::prelude::*;

use crate::db::schema::idempotency_keys;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredResponse {
    pub user_id: String,
    pub idempotency_key: String,
    pub request_fingerprint: String,
    pub response_status: i32,
    pub response_body: String,
    pub created_at: chrono::NaiveDateTime,
}

pub fn find(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> QueryResult<Option<StoredResponse>> {
    idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(user_id))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select(StoredResponse::as_select())
        .first(conn)
        .optional()
}

/// Inserted in the same transaction as the created record: if two requests with one key race,
/// the second insert violates the primary key and its whole transaction rolls back.
pub fn store(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    fingerprint: &str,
    status: u16,
    body: &str,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::request_fingerprint.eq(fingerprint),
            idempotency_keys::response_status.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::created_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}
