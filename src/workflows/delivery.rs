//! The state of outbox delivery, for `/readyz` and `/metrics`, and the admins' view of the
//! outbox (list, counts, re-queue).

use std::time::Duration;

use crate::auth::Principal;
use crate::auth::policy;
use crate::db::{self, DbConnection};
use crate::error::{AppError, AppResult};
use crate::store::audit::{self, Entry};
use crate::store::outbox;

pub use crate::store::outbox::OutboxRow;

/// Messages by status, newest first, before the id `before` (admins).
pub fn messages(
    conn: &mut DbConnection,
    principal: &Principal,
    status: Option<&str>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<OutboxRow>> {
    policy::manage_users(principal).require()?;
    Ok(outbox::list(conn, status, before, limit)?)
}

/// The subject a message carries (emails; webhooks have none), in its recipient's language.
pub fn subject_of(row: &OutboxRow) -> Option<String> {
    if row.channel != "email" {
        return None;
    }
    crate::notify::email::subject(&row.event, &row.lang, &row.recipient_name, &row.data)
}

/// How many messages are in each status (admins).
pub fn counts(conn: &mut DbConnection, principal: &Principal) -> AppResult<Vec<(String, i64)>> {
    policy::manage_users(principal).require()?;
    Ok(outbox::count_by_status(conn)?)
}

/// Re-queues a dead or failing message for an immediate attempt (admins), audited.
pub fn requeue(conn: &mut DbConnection, principal: &Principal, id: &str) -> AppResult<OutboxRow> {
    policy::manage_users(principal).require()?;
    let before = outbox::find(conn, id)?;
    if !outbox::requeue(conn, id)? {
        return Err(AppError::Conflict(format!(
            "a message in status '{}' cannot be re-queued",
            before.status
        )));
    }
    audit::append(
        conn,
        Entry::new(&principal.actor(), "outbox.requeue", "outbox", id)
            .before(serde_json::json!({"status": before.status, "attempts": before.attempts})),
    )?;
    Ok(outbox::find(conn, id)?)
}

/// Outbox counts for the gauges in `/metrics`.
#[derive(Debug, Default, PartialEq)]
pub struct OutboxGauges {
    pub pending: i64,
    pub sending: i64,
    pub dead: i64,
    /// Age of the oldest pending message.
    pub oldest_pending_age: Duration,
}

pub fn outbox_gauges(conn: &mut DbConnection) -> AppResult<OutboxGauges> {
    let mut gauges = OutboxGauges::default();
    for (status, count) in outbox::count_by_status(conn)? {
        match status.as_str() {
            "pending" => gauges.pending = count,
            "sending" => gauges.sending = count,
            "dead" => gauges.dead = count,
            _ => {}
        }
    }
    if let Some(created) = outbox::oldest_pending(conn)? {
        gauges.oldest_pending_age = (db::now() - created).to_std().unwrap_or_default();
    }
    Ok(gauges)
}

/// How long the longest-waiting due message has waited (`None`: nothing is due).
pub fn oldest_due_waited(conn: &mut DbConnection) -> AppResult<Option<Duration>> {
    let now = db::now();
    Ok(outbox::oldest_due(conn, now)?.map(|due| (now - due).to_std().unwrap_or_default()))
}
