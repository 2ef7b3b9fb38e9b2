//! `Idempotency-Key` for creates: the first request's answer is kept in the same transaction
//! as the creation, and a retry with the same key gets it back.

use crate::db::DbConnection;
use crate::error::AppResult;
use crate::store::idempotency;

pub use crate::store::idempotency::StoredResponse;

/// A creation answer: its JSON body and its `Location`.
pub type Created = (serde_json::Value, String);

/// Runs `create` unless `key` was used before by `user_id`, in which case the stored answer
/// comes back instead (`Err`). The new answer is stored with `fingerprint`.
pub fn create_once(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    fingerprint: &str,
    create: impl FnOnce(&mut DbConnection) -> AppResult<Created>,
) -> AppResult<Result<Created, StoredResponse>> {
    if let Some(stored) = idempotency::find(conn, user_id, key)? {
        return Ok(Err(stored));
    }
    let (value, location) = create(conn)?;
    let body = serde_json::json!({"location": location, "body": value}).to_string();
    idempotency::store(conn, user_id, key, fingerprint, 201, &body)?;
    Ok(Ok((value, location)))
}

/// The answer stored for `key`, if any.
pub fn stored(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
) -> AppResult<Option<StoredResponse>> {
    Ok(idempotency::find(conn, user_id, key)?)
}
