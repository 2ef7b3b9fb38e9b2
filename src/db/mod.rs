//! Database access: one connection enum over SQLite and PostgreSQL, a pool, embedded
//! per-backend migrations, and the write-transaction helper every handler uses.

pub mod schema;

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs `$body` with `$c` bound to the backend connection inside `$conn` (a
/// `&mut DbConnection`). `MultiConnection` wraps each query in a type that renders the query's
/// SQL text on every execution, even when the prepared statement is cached; the hot reads
/// (the credential confirmation, GET one, the list) run on the backend connection instead
/// (docs/performance.md). `$body` is compiled once per backend, so it builds its query
/// itself; instrumentation and the statement cache are the backend connection's in both ways.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_backend;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The connection pool, plus (SQLite only) the queue writers of this process wait in.
///
/// SQLite allows one writer at a time. Without the queue, writers wait in SQLite's busy
/// handler, which sleeps with back-off (1, 2, 5 … 100 ms) instead of queueing: a writer that
/// loses a few times sleeps while the lock is free, which gave create+submit a p99 ten times
/// its p50 (docs/performance.md). The semaphore is FIFO, so writers of this process take
/// turns in arrival order; `busy_timeout` still covers writers of other processes (the CLI,
/// a separate `liaison worker`).
#[derive(Clone)]
pub struct Pool {
    connections: r2d2::Pool<ConnectionManager>,
    writers: Option<Arc<tokio::sync::Semaphore>>,
    record_refusal: RefusalRecorder,
    statements: Arc<StatementCounts>,
}

/// Writes the audit record of a guardrail refusal. Handed in by the caller that builds the
/// pool (the audit trail lives above this layer), so that no refusal goes unrecorded.
pub type RefusalRecorder =
    fn(&mut DbConnection, &crate::error::RefusalAudit, &str) -> Result<(), AppError>;

impl Pool {
    /// A connection, waiting up to the pool's timeout for one to be free.
    pub fn get(&self) -> Result<PooledConn, r2d2::Error> {
        self.connections.get()
    }

    pub fn state(&self) -> r2d2::State {
        self.connections.state()
    }

    pub fn statements(&self) -> &StatementCounts {
        &self.statements
    }
}

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

/// Initialises OpenSSL (which libpq links) without its exit handler. Left to libpq, OpenSSL
/// registers an `atexit` cleanup that frees its global state while other threads may still be
/// closing TLS connections, and the process can crash on exit (seen as a SIGSEGV after a test
/// run had passed). The first initialisation decides, so call this before any PostgreSQL
/// connection is opened; it is idempotent and cheap.
pub fn init_tls() {
    openssl_sys::init();
}

/// Opens one connection of the backend the URL names, with SQLite's per-connection pragmas.
pub fn establish(url: &str) -> Result<DbConnection, diesel::ConnectionError> {
    match Backend::from_url(url) {
        Backend::Postgres => {
            init_tls();
            Ok(DbConnection::Postgres(diesel::PgConnection::establish(
                url,
            )?))
        }
        Backend::Sqlite => {
            create_private_file(sqlite_path(url));
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

/// Creates a new SQLite file readable by its owner only (SQLite gives its `-wal` and `-shm`
/// files the same mode). An existing file is left as it is; if this fails, SQLite's own
/// attempt reports the problem.
fn create_private_file(path: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    if path.is_empty() || path == ":memory:" || path.starts_with("file:") {
        return;
    }
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
}

/// The statements a pool's connections have run and prepared since the pool was built. A
/// request's cost in database round trips is the first one's growth; a statement prepared
/// once per connection and then reused from diesel's cache counts once in the second, however
/// often it runs (`/metrics`, docs/performance.md).
#[derive(Debug, Default)]
pub struct StatementCounts {
    run: AtomicU64,
    prepared_for_reuse: AtomicU64,
}

impl StatementCounts {
    /// Statements sent to the database (queries, updates, `BEGIN` and `COMMIT`).
    pub fn run(&self) -> u64 {
        self.run.load(Ordering::Relaxed)
    }

    /// Statements prepared and kept in a connection's cache for reuse.
    pub fn prepared_for_reuse(&self) -> u64 {
        self.prepared_for_reuse.load(Ordering::Relaxed)
    }
}

/// Counts each connection's statements into its pool's [`StatementCounts`].
struct CountStatements(Arc<StatementCounts>);

impl diesel::connection::Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::connection::InstrumentationEvent as Event;
        match event {
            Event::StartQuery { .. } => {
                self.0.run.fetch_add(1, Ordering::Relaxed);
            }
            Event::CacheQuery { .. } => {
                self.0.prepared_for_reuse.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// r2d2 manager that builds connections with [`establish`].
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    statements: Arc<StatementCounts>,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        let mut conn = establish(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        conn.set_instrumentation(CountStatements(self.statements.clone()));
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

pub fn build_pool(
    url: &str,
    max_size: u32,
    record_refusal: RefusalRecorder,
) -> Result<Pool, r2d2::Error> {
    let statements = Arc::<StatementCounts>::default();
    let connections = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(10))
        // A broken connection surfaces as a query error (503) anyway; skipping the per-checkout
        // `SELECT 1` saves a round trip on every request (see docs/performance.md).
        .test_on_check_out(false)
        .build(ConnectionManager {
            url: url.to_string(),
            statements: statements.clone(),
        })?;
    let writers = match Backend::from_url(url) {
        Backend::Sqlite => Some(Arc::new(tokio::sync::Semaphore::new(1))),
        Backend::Postgres => None,
    };
    Ok(Pool {
        connections,
        writers,
        record_refusal,
        statements,
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

/// A check that must pass before a request's first database work, run on the same
/// connection in the same trip to the blocking pool (see [`defer_to_first_use`]).
pub type DeferredCheck = Box<dyn FnOnce(&mut DbConnection) -> Result<(), AppError> + Send>;

tokio::task_local! {
    /// The deferred check of the request being served, until a [`run`] takes it.
    static DEFERRED_CHECK: RefCell<Option<DeferredCheck>>;
}

/// Serves one request with room for a deferred check. Every HTTP request runs inside this
/// (`startup::run`). A check still pending when the handler has answered runs then; the
/// second value is its outcome, and the caller replaces the answer when it failed.
pub async fn with_request_scope<Fut, R>(pool: Pool, serve: Fut) -> (R, Result<(), AppError>)
where
    Fut: std::future::Future<Output = R>,
{
    DEFERRED_CHECK
        .scope(RefCell::new(None), async move {
            let answer = serve.await;
            let outcome = match take_deferred_check() {
                Some(check) => run_unchecked(&pool, check).await,
                None => Ok(()),
            };
            (answer, outcome)
        })
        .await
}

/// Defers `check` to the first [`run`] or [`run_tx`] of the current request, so that it costs
/// no trip of its own. Returns the check back when there is no request scope (a caller outside
/// [`with_request_scope`] must run it itself).
pub fn defer_to_first_use(check: DeferredCheck) -> Result<(), DeferredCheck> {
    let mut check = Some(check);
    let _ = DEFERRED_CHECK.try_with(|slot| {
        let mut slot = slot.borrow_mut();
        // Never drop a check already waiting: run both.
        *slot = match (slot.take(), check.take()) {
            (Some(first), Some(second)) => Some(Box::new(move |conn: &mut DbConnection| {
                first(conn)?;
                second(conn)
            })),
            (first, second) => first.or(second),
        };
    });
    match check {
        None => Ok(()),
        Some(check) => Err(check),
    }
}

fn take_deferred_check() -> Option<DeferredCheck> {
    DEFERRED_CHECK
        .try_with(|slot| slot.borrow_mut().take())
        .ok()
        .flatten()
}

/// Runs blocking database work off the async threads: one pooled connection per call. The
/// first call of a request also runs the request's deferred check, before `f`. A guardrail
/// refusal of a read is audited like one of a change: its record is written in a transaction
/// of its own (taking its turn in the writer queue).
pub async fn run<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    match run_read(pool, f).await {
        Err(AppError::Refused {
            conflict,
            detail,
            audit,
        }) => {
            record_refusal(pool, audit.clone(), detail.clone()).await?;
            Err(AppError::Refused {
                conflict,
                detail,
                audit,
            })
        }
        other => other,
    }
}

/// Writes a refusal's audit record in a transaction of its own. Boxed: inlined into every
/// `run`, its future would nest too deep for the compiler's layout queries.
fn record_refusal(
    pool: &Pool,
    audit: Box<crate::error::RefusalAudit>,
    detail: String,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), AppError>> + '_>> {
    let recorder = pool.record_refusal;
    Box::pin(run_tx(pool, move |conn| recorder(conn, &audit, &detail)))
}

async fn run_read<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    match take_deferred_check() {
        Some(check) => {
            run_unchecked(pool, move |conn| {
                check(conn)?;
                f(conn)
            })
            .await
        }
        None => run_unchecked(pool, f).await,
    }
}

async fn run_unchecked<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    #[cfg(test)]
    tests::TRIPS.with(|trips| trips.set(trips.get() + 1));
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        f(&mut conn)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
}

/// Like [`run`], wrapped in one [`write_tx`]. A guardrail refusal rolls the change back, then
/// its audit record is written in a transaction of its own. Every write goes through here, so
/// that on SQLite it takes its turn in the pool's writer queue.
pub async fn run_tx<T, F>(pool: &Pool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let turn = match &pool.writers {
        Some(queue) => Some(
            queue
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("writer queue closed: {e}")))?,
        ),
        None => None,
    };
    let recorder = pool.record_refusal;
    // `run_in_tx` records a refusal itself: not `run`, which would record it again.
    run_read(pool, move |conn| {
        // Held until the transaction has ended, even when the request is dropped meanwhile.
        let _turn = turn;
        run_in_tx(conn, recorder, f)
    })
    .await
}

fn run_in_tx<T, F>(conn: &mut DbConnection, recorder: RefusalRecorder, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, AppError>,
{
    match write_tx(conn, f) {
        Err(AppError::Refused {
            conflict,
            detail,
            audit,
        }) => {
            write_tx(conn, |conn| recorder(conn, &audit, &detail))?;
            Err(AppError::Refused {
                conflict,
                detail,
                audit,
            })
        }
        other => other,
    }
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

    thread_local! {
        /// Trips to the blocking pool made from this (test runtime's) thread.
        pub(super) static TRIPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    fn no_refusal_record(
        _: &mut DbConnection,
        _: &crate::error::RefusalAudit,
        _: &str,
    ) -> Result<(), AppError> {
        Ok(())
    }

    fn memory_pool() -> Pool {
        match build_pool(":memory:", 2, no_refusal_record) {
            Ok(pool) => pool,
            Err(e) => panic!("in-memory pool: {e}"),
        }
    }

    /// Records the order of events and the thread each ran on.
    type Log = Arc<std::sync::Mutex<Vec<(&'static str, std::thread::ThreadId)>>>;

    fn note(log: &Log, what: &'static str) {
        if let Ok(mut log) = log.lock() {
            log.push((what, std::thread::current().id()));
        }
    }

    fn check_that_notes(log: &Log, result: Result<(), AppError>) -> DeferredCheck {
        let log = log.clone();
        Box::new(move |_conn: &mut DbConnection| {
            note(&log, "check");
            result
        })
    }

    #[actix_web::test]
    async fn a_deferred_check_runs_first_in_the_same_trip_as_the_first_database_work() {
        let pool = memory_pool();
        let log: Log = Arc::default();
        let (first, second) = (log.clone(), log.clone());
        let answer = with_request_scope(pool.clone(), async {
            assert!(defer_to_first_use(check_that_notes(&log, Ok(()))).is_ok());
            run(&pool, move |_| {
                note(&first, "work");
                Ok(())
            })
            .await?;
            run(&pool, move |_| {
                note(&second, "more work");
                Ok(())
            })
            .await
        })
        .await;
        assert!(matches!(answer, (Ok(()), Ok(()))));
        let log = log.lock().map(|l| l.clone()).unwrap_or_default();
        let order: Vec<&str> = log.iter().map(|(what, _)| *what).collect();
        assert_eq!(order, ["check", "work", "more work"]);
        assert_eq!(log[0].1, log[1].1, "check and work ran on one thread");
        assert_eq!(
            TRIPS.with(|t| t.get()),
            2,
            "the check rode along with the first work: two trips, not three"
        );
    }

    #[actix_web::test]
    async fn a_failing_deferred_check_stops_the_work() {
        let pool = memory_pool();
        let log: Log = Arc::default();
        let worker = log.clone();
        let answer = with_request_scope(pool.clone(), async {
            assert!(
                defer_to_first_use(check_that_notes(&log, Err(AppError::Unauthenticated))).is_ok()
            );
            run_tx(&pool, move |_| {
                note(&worker, "work");
                Ok(())
            })
            .await
        })
        .await;
        assert!(matches!(answer, (Err(AppError::Unauthenticated), Ok(()))));
        let order: Vec<&str> = log
            .lock()
            .map(|l| l.iter().map(|(w, _)| *w).collect())
            .unwrap_or_default();
        assert_eq!(order, ["check"]);
    }

    #[actix_web::test]
    async fn a_check_nothing_took_runs_when_the_request_ends_and_its_failure_wins() {
        let pool = memory_pool();
        let log: Log = Arc::default();
        let answer = with_request_scope(pool.clone(), async {
            assert!(
                defer_to_first_use(check_that_notes(&log, Err(AppError::Unauthenticated))).is_ok()
            );
            "answer without database work"
        })
        .await;
        assert!(matches!(
            answer,
            (
                "answer without database work",
                Err(AppError::Unauthenticated)
            )
        ));
        assert_eq!(log.lock().map(|l| l.len()).unwrap_or(0), 1);
    }

    #[actix_web::test]
    async fn two_deferred_checks_both_run() {
        let pool = memory_pool();
        let log: Log = Arc::default();
        let answer = with_request_scope(pool.clone(), async {
            assert!(defer_to_first_use(check_that_notes(&log, Ok(()))).is_ok());
            assert!(defer_to_first_use(check_that_notes(&log, Ok(()))).is_ok());
            run(&pool, |_| Ok(())).await
        })
        .await;
        assert!(matches!(answer, (Ok(()), Ok(()))));
        assert_eq!(log.lock().map(|l| l.len()).unwrap_or(0), 2);
    }

    #[test]
    fn outside_a_request_scope_the_check_is_handed_back() {
        let log: Log = Arc::default();
        assert!(defer_to_first_use(check_that_notes(&log, Ok(()))).is_err());
    }

    #[actix_web::test]
    async fn sqlite_writers_take_turns_in_arrival_order() {
        let dir = std::env::temp_dir().join(format!("liaison-writers-{}", new_id()));
        let path = dir.to_string_lossy().to_string();
        let pool = match build_pool(&path, 4, no_refusal_record) {
            Ok(pool) => pool,
            Err(e) => panic!("pool: {e}"),
        };
        let setup = run_tx(&pool, |conn| {
            conn.batch_execute("CREATE TABLE t (n INTEGER)")?;
            Ok(())
        });
        assert!(setup.await.is_ok());
        let writes = (0..16).map(|n| {
            run_tx(&pool, move |conn| {
                std::thread::sleep(Duration::from_millis(2));
                conn.batch_execute(&format!("INSERT INTO t VALUES ({n})"))?;
                Ok(())
            })
        });
        let results = futures_util::future::join_all(writes).await;
        assert!(
            results.iter().all(Result::is_ok),
            "no writer failed: {results:?}"
        );
        let order = run(&pool, |conn| {
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                n: i32,
            }
            Ok(diesel::sql_query("SELECT n FROM t ORDER BY rowid").load::<N>(conn)?)
        })
        .await
        .map(|rows| rows.into_iter().map(|r| r.n).collect::<Vec<_>>());
        assert_eq!(order.ok(), Some((0..16).collect::<Vec<_>>()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }

    /// `.cargo/config.toml` sets the bundled SQLite's build options (docs/performance.md); a
    /// build that lost them fails here.
    #[test]
    fn the_bundled_sqlite_has_the_build_options_the_benchmarks_chose() {
        #[derive(diesel::QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = match establish(":memory:") {
            Ok(conn) => conn,
            Err(e) => panic!("in-memory SQLite: {e}"),
        };
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .map(|rows| rows.into_iter().map(|r| r.compile_options).collect())
            .unwrap_or_default();
        for wanted in ["DEFAULT_MEMSTATUS=0", "ENABLE_QPSG"] {
            assert!(options.iter().any(|o| o == wanted), "{wanted}: {options:?}");
        }
    }

    #[test]
    fn timestamps_are_truncated_to_microseconds() {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .and_then(|d| d.and_hms_nano_opt(3, 4, 5, 123_456_789));
        let t = t.map(truncate_micros).map(|t| t.nanosecond());
        assert_eq!(t, Some(123_456_000));
    }
}
