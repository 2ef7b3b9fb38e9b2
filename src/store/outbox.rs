//! The outbox table: enqueue in the caller's transaction; claim, complete and retry for the
//! delivery worker. Claims are safe across processes: `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! one `UPDATE … RETURNING` under SQLite's single-writer lock.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use crate::db::schema::outbox;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, PartialEq)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub channel: String,
    pub event: String,
    pub recipient: String,
    pub recipient_name: String,
    pub lang: String,
    pub data: String,
    pub dedupe_key: Option<String>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

pub struct NewMessage<'a> {
    pub channel: &'a str,
    pub event: &'a str,
    pub recipient: &'a str,
    pub recipient_name: &'a str,
    pub lang: &'a str,
    pub data: &'a str,
    pub dedupe_key: Option<&'a str>,
}

/// Queues a message. With a `dedupe_key` that was used before, nothing is queued and `false`
/// is returned (so a reminder is queued at most once, even by two processes at once).
pub fn enqueue(conn: &mut DbConnection, message: &NewMessage<'_>) -> QueryResult<bool> {
    let now = db::now();
    let values = (
        outbox::id.eq(db::new_id()),
        outbox::channel.eq(message.channel),
        outbox::event.eq(message.event),
        outbox::recipient.eq(message.recipient),
        outbox::recipient_name.eq(message.recipient_name),
        outbox::lang.eq(message.lang),
        outbox::data.eq(message.data),
        outbox::dedupe_key.eq(message.dedupe_key),
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
        outbox::created_at.eq(now),
    );
    // ON CONFLICT is not expressible through the multi-backend type; both backends speak it.
    let inserted = match conn {
        DbConnection::Postgres(c) => diesel::insert_into(outbox::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(outbox::table)
            .values(values)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    Ok(inserted == 1)
}

/// Claims up to `limit` due messages for `worker` until `now + lease`. Messages whose lease ran
/// out (a worker died mid-send) are due again.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let lock = match conn {
        DbConnection::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        DbConnection::Sqlite(_) => "",
    };
    let placeholders: Vec<String> = match conn {
        DbConnection::Postgres(_) => (1..=5).map(|i| format!("${i}")).collect(),
        DbConnection::Sqlite(_) => (1..=5).map(|_| "?".to_string()).collect(),
    };
    let sql = format!(
        "UPDATE outbox SET status = 'sending', claimed_by = {p1}, claimed_until = {p2}, \
         attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbox \
             WHERE (status = 'pending' AND next_attempt_at <= {p3}) \
                OR (status = 'sending' AND claimed_until < {p4}) \
             ORDER BY next_attempt_at LIMIT {p5} {lock}) \
         RETURNING *",
        p1 = placeholders[0],
        p2 = placeholders[1],
        p3 = placeholders[2],
        p4 = placeholders[3],
        p5 = placeholders[4],
    );
    diesel::sql_query(sql)
        .bind::<Text, _>(worker)
        .bind::<Timestamp, _>(now + lease)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)
}

/// Marks a claimed message sent; `redact` drops its data (sign-in secrets) once delivered.
pub fn mark_sent(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    redact: bool,
) -> QueryResult<bool> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::claimed_by.eq(worker))
        .filter(outbox::status.eq("sending"));
    let now = db::now();
    let changed = if redact {
        diesel::update(target)
            .set((
                outbox::status.eq("sent"),
                outbox::sent_at.eq(Some(now)),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::data.eq("{\"redacted\":true}"),
            ))
            .execute(conn)?
    } else {
        diesel::update(target)
            .set((
                outbox::status.eq("sent"),
                outbox::sent_at.eq(Some(now)),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?
    };
    Ok(changed == 1)
}

/// Records a failed attempt: back to `pending` at `retry_at`, or `dead` when `retry_at` is None.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let target = outbox::table
        .filter(outbox::id.eq(id))
        .filter(outbox::claimed_by.eq(worker))
        .filter(outbox::status.eq("sending"));
    let error: String = error.chars().take(1000).collect();
    let changed = match retry_at {
        Some(at) => diesel::update(target)
            .set((
                outbox::status.eq("pending"),
                outbox::next_attempt_at.eq(at),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                outbox::status.eq("dead"),
                outbox::claimed_until.eq(None::<NaiveDateTime>),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Gives back what a stopping worker claimed but did not send (the attempt is not counted).
pub fn release(conn: &mut DbConnection, worker: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::claimed_by.eq(worker))
            .filter(outbox::status.eq("sending")),
    )
    .set((
        outbox::status.eq("pending"),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
        outbox::attempts.eq(outbox::attempts - 1),
    ))
    .execute(conn)
}

/// Messages by status, newest first; `failed` means pending with at least one failed attempt.
pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    before_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = outbox::table
        .select(OutboxRow::as_select())
        .order(outbox::id.desc())
        .limit(limit)
        .into_boxed();
    match status {
        Some("failed") => {
            query = query
                .filter(outbox::status.eq("pending"))
                .filter(outbox::last_error.is_not_null())
        }
        Some(status) => query = query.filter(outbox::status.eq(status.to_string())),
        None => {}
    }
    if let Some(before) = before_id {
        query = query.filter(outbox::id.lt(before.to_string()));
    }
    query.load(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<OutboxRow> {
    outbox::table
        .filter(outbox::id.eq(id))
        .select(OutboxRow::as_select())
        .first(conn)
}

/// Puts a dead or failing message back in the queue for an immediate attempt.
pub fn requeue(conn: &mut DbConnection, id: &str) -> QueryResult<bool> {
    let changed = diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::status.eq_any(["dead", "pending"])),
    )
    .set((
        outbox::status.eq("pending"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(db::now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn count_by_status(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    outbox::table
        .group_by(outbox::status)
        .select((outbox::status, diesel::dsl::count_star()))
        .load(conn)
}

/// Messages to one recipient on one channel, newest first (a webhook's delivery log).
pub fn for_recipient(
    conn: &mut DbConnection,
    channel: &str,
    recipient: &str,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::channel.eq(channel))
        .filter(outbox::recipient.eq(recipient))
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}

/// When the longest-waiting due message became due: a pending message whose time has come,
/// or one whose claim ran out. `None` when nothing is due.
pub fn oldest_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    outbox::table
        .filter(
            outbox::status
                .eq("pending")
                .and(outbox::next_attempt_at.le(now))
                .or(outbox::status
                    .eq("sending")
                    .and(outbox::claimed_until.lt(now))),
        )
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(conn)
}

/// Creation time of the oldest pending message (for the `/metrics` age gauge).
pub fn oldest_pending(conn: &mut DbConnection) -> QueryResult<Option<NaiveDateTime>> {
    outbox::table
        .filter(outbox::status.eq("pending"))
        .select(diesel::dsl::min(outbox::created_at))
        .first(conn)
}
