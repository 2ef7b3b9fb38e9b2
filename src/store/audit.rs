//! The append-only, hash-chained audit trail. Each record stores the previous record's hash;
//! appends are serialised (SQLite: the write lock; PostgreSQL: a transaction advisory lock) so
//! the chain has no forks. Call [`append`] inside the transaction of the change it records.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::audit_log;
use crate::db::{self, DbConnection};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
const AUDIT_LOCK_KEY: i64 = 0x4c_49_41_49_53_4f_4e;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, PartialEq)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Who did it: a user (with the role they acted in) or the system (CLI, worker).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub role: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            id: None,
            role: Some("system".into()),
        }
    }

    pub fn user(id: &str, role: &str) -> Actor {
        Actor {
            id: Some(id.to_string()),
            role: Some(role.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: &'a str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(
        actor: &'a Actor,
        action: &'a str,
        entity_type: &'a str,
        entity_id: &'a str,
    ) -> Self {
        Entry {
            actor,
            action,
            entity_type,
            entity_id,
            before: None,
            after: None,
            reason: None,
        }
    }

    pub fn before(mut self, value: serde_json::Value) -> Self {
        self.before = Some(value);
        self
    }

    pub fn after(mut self, value: serde_json::Value) -> Self {
        self.after = Some(value);
        self
    }

    pub fn reason(mut self, reason: Option<&'a str>) -> Self {
        self.reason = reason;
        self
    }
}

/// The hash of a record: SHA-256 over a canonical JSON array of every field but `hash`.
pub fn record_hash(row: &AuditRow) -> String {
    let canonical = serde_json::json!([
        row.seq,
        row.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        row.actor_id,
        row.actor_role,
        row.action,
        row.entity_type,
        row.entity_id,
        row.before_json,
        row.after_json,
        row.reason,
        row.prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

fn lock_chain(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(_) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({AUDIT_LOCK_KEY})"))
            .execute(conn)?;
    }
    Ok(())
}

pub fn append(conn: &mut DbConnection, entry: Entry<'_>) -> QueryResult<AuditRow> {
    lock_chain(conn)?;
    let last: Option<(i64, String)> = audit_log::table
        .select((audit_log::seq, audit_log::hash))
        .order(audit_log::seq.desc())
        .first(conn)
        .optional()?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    let mut row = AuditRow {
        seq: prev_seq + 1,
        at: db::now(),
        actor_id: entry.actor.id.clone(),
        actor_role: entry.actor.role.clone(),
        action: entry.action.to_string(),
        entity_type: entry.entity_type.to_string(),
        entity_id: entry.entity_id.to_string(),
        before_json: entry.before.map(|v| v.to_string()),
        after_json: entry.after.map(|v| v.to_string()),
        reason: entry.reason.map(str::to_string),
        prev_hash,
        hash: String::new(),
    };
    row.hash = record_hash(&row);
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::seq.eq(row.seq),
            audit_log::at.eq(row.at),
            audit_log::actor_id.eq(&row.actor_id),
            audit_log::actor_role.eq(&row.actor_role),
            audit_log::action.eq(&row.action),
            audit_log::entity_type.eq(&row.entity_type),
            audit_log::entity_id.eq(&row.entity_id),
            audit_log::before_json.eq(&row.before_json),
            audit_log::after_json.eq(&row.after_json),
            audit_log::reason.eq(&row.reason),
            audit_log::prev_hash.eq(&row.prev_hash),
            audit_log::hash.eq(&row.hash),
        ))
        .execute(conn)?;
    Ok(row)
}

/// The audit record of an action a compliance guardrail refused.
pub fn record_refusal(
    conn: &mut DbConnection,
    refusal: &crate::error::RefusalAudit,
    detail: &str,
) -> Result<(), crate::error::AppError> {
    let actor = Actor::user(&refusal.actor_id, &refusal.actor_role);
    append(
        conn,
        Entry::new(
            &actor,
            "guardrail.refused",
            refusal.entity_type,
            &refusal.entity_id,
        )
        .after(
            serde_json::json!({"rule": refusal.rule, "detail": detail, "attempt": refusal.data}),
        ),
    )?;
    Ok(())
}

pub fn for_entity(
    conn: &mut DbConnection,
    entity_type: &str,
    entity_id: &str,
) -> QueryResult<Vec<AuditRow>> {
    audit_log::table
        .filter(audit_log::entity_type.eq(entity_type))
        .filter(audit_log::entity_id.eq(entity_id))
        .order(audit_log::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChainCheck {
    Intact { records: u64 },
    Broken { seq: i64, problem: String },
}

/// Walks the whole chain in pages and reports the first broken link.
pub fn verify(conn: &mut DbConnection) -> QueryResult<ChainCheck> {
    const PAGE: i64 = 1000;
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1i64;
    let mut count = 0u64;
    loop {
        let rows: Vec<AuditRow> = audit_log::table
            .filter(audit_log::seq.ge(expected_seq))
            .order(audit_log::seq.asc())
            .limit(PAGE)
            .select(AuditRow::as_select())
            .load(conn)?;
        if rows.is_empty() {
            return Ok(ChainCheck::Intact { records: count });
        }
        for row in rows {
            if let Some(problem) = link_problem(&row, expected_seq, &expected_prev) {
                return Ok(ChainCheck::Broken {
                    seq: row.seq,
                    problem,
                });
            }
            expected_prev = row.hash.clone();
            expected_seq += 1;
            count += 1;
        }
    }
}

fn link_problem(row: &AuditRow, expected_seq: i64, expected_prev: &str) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!("record {expected_seq} is missing"));
    }
    if row.prev_hash != expected_prev {
        return Some("prev_hash does not match the previous record's hash".into());
    }
    if record_hash(row) != row.hash {
        return Some("contents do not match the stored hash (record altered)".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(seq: i64, prev: &str) -> AuditRow {
        let mut row = AuditRow {
            seq,
            at: chrono::DateTime::from_timestamp(1_700_000_000, 0)
                .map(|t| t.naive_utc())
                .unwrap_or_default(),
            actor_id: Some("u1".into()),
            actor_role: Some("admin".into()),
            action: "user.create".into(),
            entity_type: "user".into(),
            entity_id: "u2".into(),
            before_json: None,
            after_json: Some("{\"role\":\"msl\"}".into()),
            reason: None,
            prev_hash: prev.into(),
            hash: String::new(),
        };
        row.hash = record_hash(&row);
        row
    }

    #[test]
    fn a_well_formed_link_has_no_problem_and_an_altered_one_does() {
        let first = row(1, GENESIS_HASH);
        assert_eq!(link_problem(&first, 1, GENESIS_HASH), None);
        let second = row(2, &first.hash);
        assert_eq!(link_problem(&second, 2, &first.hash), None);
        let mut altered = second.clone();
        altered.after_json = Some("{\"role\":\"admin\"}".into());
        assert!(link_problem(&altered, 2, &first.hash).is_some());
        assert!(link_problem(&second, 2, GENESIS_HASH).is_some());
        assert!(link_problem(&second, 3, &first.hash).is_some());
    }
}
