//! The state of outbox delivery, for `/readyz` and `/metrics`.

use std::time::Duration;

use crate::db::{self, DbConnection};
use crate::error::AppResult;
use crate::store::outbox;

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
