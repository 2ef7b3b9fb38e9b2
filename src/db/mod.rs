//! Database access: one connection enum over SQLite and PostgreSQL, a pool, embedded
//! per-backend migrations, and the write-transaction helper every handler uses.

pub mod schema;

use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Which backend a `DATABASE_URL` names. Chosen from the scheme, never by trial, so that a
/// wrong PostgreSQL password is reported as such instead of as an "invalid URL".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// `sqlite://path`, `sqlite:path` and a bare path all name a SQLite file.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Opens one connection of the backend the URL names, with SQLite's per-connection pragmas.
pub fn establish(url: &str) -> Result<DbConnection, diesel::ConnectionError> {
    match Backend::from_url(url) {
        Backend::Postgres => Ok(DbConnection::Postgres(diesel::PgConnection::establish(
            url,
        )?)),
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(sqlite_path(url))?;
            // WAL lets readers run beside the single writer; busy_timeout makes a writer wait
            // instead of failing with "database is locked".
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// r2d2 manager that builds connections with [`establish`].
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub fn build_pool(url: &str, max_size: u32) -> Result<Pool, r2d2::Error> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        // A broken connection surfaces as a query error (503) anyway; skipping the per-checkout
        // `SELECT 1` saves a round trip on every request (see docs/performance.md).
        .test_on_check_out(false)
        .build(ConnectionManager {
            url: url.to_string(),
        })
}

/// Applies the embedded migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("PostgreSQL migrations failed: {e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect(),
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("SQLite migrations failed: {e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect(),
    };
    Ok(applied)
}

pub fn backend_of(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Postgres(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// Runs `f` in one write transaction: `BEGIN IMMEDIATE` on SQLite (takes the write lock up
/// front, so two writers queue on busy_timeout instead of deadlocking on a lock upgrade),
/// a plain transaction on PostgreSQL. Commits on `Ok`, rolls back on `Err`.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    type Manager = <DbConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // A failed COMMIT leaves the transaction open on some backends; close it.
                let _ = Manager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            Manager::rollback_transaction(conn)?;
            Err(error)
        }
    }
}

/// Current UTC time truncated to microseconds, the precision both backends keep, so a value
/// read back equals the value written.
pub fn now() -> NaiveDateTime {
    truncate_micros(Utc::now().naive_utc())
}

pub fn truncate_micros(t: NaiveDateTime) -> NaiveDateTime {
    let nanos = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// A new time-ordered id (UUIDv7) in its canonical text form, the form stored on both backends.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Runs blocking database work off the async threads: one pooled connection per call.
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// Like [`run`], wrapped in one [`write_tx`]. A guardrail refusal rolls the change back, then
/// its audit record is written in a transaction of its own.
pub async fn run_tx<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| match write_tx(conn, f) {
        Err(AppError::Refused {
            conflict,
            detail,
            audit,
        }) => {
            write_tx(conn, |conn| {
                crate::store::audit::record_refusal(conn, &audit, &detail)
            })?;
            Err(AppError::Refused {
                conflict,
                detail,
                audit,
            })
        }
        other => other,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_url_scheme() {
        assert_eq!(Backend::from_url("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::from_url("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(Backend::from_url("liaison.db"), Backend::Sqlite);
        assert_eq!(Backend::from_url("sqlite://x.db"), Backend::Sqlite);
        assert_eq!(sqlite_path("sqlite://x.db"), "x.db");
        assert_eq!(sqlite_path("/tmp/a.db"), "/tmp/a.db");
    }

    #[test]
    fn timestamps_are_truncated_to_microseconds() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_nano_opt(3, 4, 5, 123_456_789));
        let t = t.map(truncate_micros).map(|t| t.nanosecond());
        assert_eq!(t, Some(123_456_000));
    }
}
