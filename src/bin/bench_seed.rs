//! Benchmark fixture: seeds N proposals owned by one investigator into the database named by
//! `DATABASE_URL` (a SQLite path or a `postgres://` URL), fast.
//!
//! ```sh
//! DATABASE_URL=/tmp/bench.db cargo run --release --bin bench_seed -- 1000000
//! ```
//!
//! Stdout: line 1 is a bearer token of the investigator, line 2 the id of a seeded proposal
//! (the middle one). Progress goes to stderr. Running it again on the same database reuses
//! the investigator, issues a new token and adds N more proposals.
//!
//! The rows are written with multi-row INSERTs of [`BATCH`] rows, [`BATCHES_PER_TX`] of them
//! per write transaction. Every row has the same content: `bench/proposal.json`, a complete
//! Japanese proposal, parsed into `ProposalContent` once (so it is known to be valid and
//! complete) and serialised once.

use std::io::Write;
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use liaison::config::Settings;
use liaison::db::schema::proposals;
use liaison::db::{self, DbConnection};
use liaison::domain::proposal::ProposalContent;
use liaison::domain::{Lang, Role};
use liaison::startup;
use liaison::store::audit::Actor;
use liaison::store::{credentials, users};
use liaison::workflows;

/// Rows per INSERT statement (15 bound values each, far below SQLite's 32 766 limit).
const BATCH: usize = 1000;
/// INSERT statements per write transaction.
const BATCHES_PER_TX: usize = 10;
const EMAIL: &str = "bench-investigator@example.jp";
const PROPOSAL_JSON: &str = include_str!("../../bench/proposal.json");

#[derive(Insertable)]
#[diesel(table_name = proposals)]
struct NewProposal<'a> {
    id: String,
    status: &'a str,
    owner_id: &'a str,
    title: &'a str,
    product: &'a str,
    therapeutic_area: &'a str,
    content: &'a str,
    round: i32,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

fn main() -> anyhow::Result<()> {
    let count: usize = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .with_context(|| format!("N must be a number, not {text:?}"))?,
        None => bail!("usage: bench_seed N   (DATABASE_URL names the database)"),
    };
    let settings = Settings::from_env()?;
    let mut conn = startup::open_database(&settings)?;
    let key = startup::secret_key(&mut conn, &settings)?;

    let content: ProposalContent =
        serde_json::from_str(PROPOSAL_JSON).context("bench/proposal.json is not a proposal")?;
    let issues = content.check_complete();
    if !issues.is_empty() {
        bail!("bench/proposal.json is incomplete: {issues:?}");
    }
    let content_json = serde_json::to_string(&content)?;

    let (owner_id, token) = db::write_tx(&mut conn, |conn| -> anyhow::Result<_> {
        let user = match users::find_by_email(conn, EMAIL)? {
            Some(user) => user,
            None => workflows::users::create(
                conn,
                &Actor::system(),
                &workflows::users::CreateUser {
                    email: EMAIL,
                    display_name: "山田 太郎（ベンチマーク）",
                    role: Role::Investigator,
                    lang: Lang::Ja,
                },
            )
            .map_err(|e| anyhow!("cannot create the investigator: {e}"))?,
        };
        let (token, _) = credentials::create_user_token(
            conn,
            &key,
            &user.id,
            "bench",
            chrono::Duration::days(7),
        )?;
        Ok((user.id, token))
    })?;

    let started = Instant::now();
    let mut written = 0usize;
    let mut sample_id = None;
    let mut last_report = Instant::now();
    while written < count {
        let in_tx = (count - written).min(BATCH * BATCHES_PER_TX);
        db::write_tx(&mut conn, |conn| -> anyhow::Result<()> {
            let mut done = 0;
            while done < in_tx {
                let n = (in_tx - done).min(BATCH);
                let now = db::now();
                let rows: Vec<NewProposal<'_>> = (0..n)
                    .map(|i| NewProposal {
                        id: db::new_id(),
                        // Half drafts, half submitted.
                        status: if (written + done + i).is_multiple_of(2) {
                            "draft"
                        } else {
                            "submitted"
                        },
                        owner_id: &owner_id,
                        title: &content.title,
                        product: &content.product,
                        therapeutic_area: &content.therapeutic_area,
                        content: &content_json,
                        round: 0,
                        version: 1,
                        created_at: now,
                        updated_at: now,
                    })
                    .collect();
                let middle = count / 2;
                let first = written + done;
                if sample_id.is_none() && (first..first + n).contains(&middle) {
                    sample_id = rows.get(middle - first).map(|r| r.id.clone());
                }
                insert_batch(conn, &rows)?;
                done += n;
            }
            Ok(())
        })?;
        written += in_tx;
        if last_report.elapsed().as_secs() >= 5 || written == count {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "seeded {written}/{count} proposals in {secs:.1} s ({:.0} rows/s)",
                written as f64 / secs.max(1e-9)
            );
        }
    }
    if count == 0 {
        eprintln!("nothing to seed (N = 0)");
    }
    if let DbConnection::Postgres(_) = conn {
        // Fresh statistics so the planner sees the new rows at once.
        diesel::sql_query("ANALYZE proposals").execute(&mut conn)?;
    }

    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{token}")?;
    writeln!(stdout, "{}", sample_id.unwrap_or_default())?;
    Ok(())
}

/// One multi-row INSERT, run on the concrete connection so each backend gets its own
/// batch-insert SQL.
fn insert_batch(conn: &mut DbConnection, rows: &[NewProposal<'_>]) -> QueryResult<usize> {
    let insert = diesel::insert_into(proposals::table).values(rows);
    match conn {
        DbConnection::Sqlite(c) => insert.execute(c),
        DbConnection::Postgres(c) => insert.execute(c),
    }
}
