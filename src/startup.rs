//! Building and running the HTTP server: database preparation, shared state, middleware.

use std::net::TcpListener;
use std::time::Instant;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, ResponseError, web};
use anyhow::Context;
use tokio::sync::watch;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::auth::csrf::{self, CsrfCookie};
use crate::auth::key_file;
use crate::auth::rate_limit::FailureLimiter;
use crate::auth::secrets::{SecretKey, random_token};
use crate::config::Settings;
use crate::db::{self, DbConnection, Pool};
use crate::error::{AppError, WebError};
use crate::http;
use crate::http::api::json_error;
use crate::metrics::Metrics;
use crate::notify::health::WorkerHealth;
use crate::notify::worker::{Mailer, Worker, WorkerConfig};
use crate::state::AppState;
use crate::store;

/// Opens one connection (CLI commands) with migrations applied.
pub fn open_database(settings: &Settings) -> anyhow::Result<DbConnection> {
    let mut conn = db::establish(&settings.database_url).with_context(|| {
        format!(
            "cannot connect to the database ({})",
            redact(&settings.database_url)
        )
    })?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

/// Hides a password in a database URL for messages.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("****"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// The secret key: `LIAISON_SECRET_KEY`, or one generated once and kept in a file only its
/// owner may read (`Settings::secret_key_path`). Earlier versions kept the generated key in
/// the database; it is moved to the file and removed from the database, so that a copy of the
/// database cannot forge tokens and signed-in users stay signed in.
pub fn secret_key(conn: &mut DbConnection, settings: &Settings) -> anyhow::Result<SecretKey> {
    if let Some(key) = &settings.secret_key {
        return Ok(SecretKey::new(key.as_bytes().to_vec()));
    }
    let path = settings.secret_key_path();
    let stored_in_database = store::settings::get(conn, LEGACY_KEY_SETTING)?;
    let key = match key_file::read(&path)? {
        Some(key) => key,
        None => key_file::create(
            &path,
            &stored_in_database.clone().unwrap_or_else(random_token),
        )?,
    };
    if stored_in_database.is_some() {
        store::settings::remove(conn, LEGACY_KEY_SETTING)?;
        tracing::info!(file = %path.display(), "moved the secret key out of the database");
    }
    Ok(SecretKey::new(key.into_bytes()))
}

/// Where versions before the key file kept the generated key.
const LEGACY_KEY_SETTING: &str = "secret_key";

pub fn prepare(settings: &Settings) -> anyhow::Result<(Pool, SecretKey)> {
    let key = {
        let mut conn = open_database(settings)?;
        secret_key(&mut conn, settings)?
    };
    let pool = db::build_pool(
        &settings.database_url,
        settings.db_pool_size,
        crate::store::audit::record_refusal,
    )
    .with_context(|| {
        format!(
            "cannot open a connection pool to {}",
            redact(&settings.database_url)
        )
    })?;
    Ok((pool, key))
}

pub struct Application {
    port: u16,
    server: Server,
    worker: Option<Worker>,
}

impl Application {
    pub fn build(settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        Application::build_with_listener(settings, listener)
    }

    pub fn build_with_listener(
        settings: Settings,
        listener: TcpListener,
    ) -> anyhow::Result<Application> {
        crate::templates::init(settings.template_dir.clone());
        crate::clock::configure(settings.time_zone);
        let (pool, key) = prepare(&settings)?;
        let port = listener.local_addr()?.port();
        let worker_health = std::sync::Arc::new(WorkerHealth::default());
        let state = web::Data::new(AppState {
            pool,
            key,
            signin_limiter: FailureLimiter::new(
                settings.signin_max_failures,
                settings.signin_window,
            ),
            ip_limiter: FailureLimiter::new(
                settings.signin_max_failures.saturating_mul(10),
                settings.signin_window,
            ),
            api_limiter: crate::auth::rate_limit::RequestLimiter::new(settings.api_rate_per_minute),
            credentials: crate::auth::CredentialCache::default(),
            metrics: Metrics::default(),
            worker_health: worker_health.clone(),
            settings,
        });
        let worker = if state.settings.run_worker {
            let mailer = Mailer::from_settings(&state.settings)?;
            Some(
                Worker::new(
                    state.pool.clone(),
                    mailer,
                    WorkerConfig::from_settings(&state.settings),
                )
                .with_health(worker_health),
            )
        } else {
            None
        };
        let server = run(listener, state)?;
        Ok(Application {
            port,
            server,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves (and delivers the outbox) until SIGINT/SIGTERM; in-flight requests get 30 s to
    /// finish, then the worker stops and releases the messages it had claimed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (stop, stopped) = watch::channel(false);
        let worker = self
            .worker
            .map(|worker| actix_web::rt::spawn(worker.run(stopped)));
        let result = self.server.await;
        let _ = stop.send(true);
        if let Some(handle) = worker {
            let _ = handle.await;
        }
        result
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let body_limit = state.settings.body_limit_bytes;
    let secure = state.settings.cookies_secure();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let blocking_threads = blocking_threads_per_worker(state.settings.db_pool_size, workers);
    let server = HttpServer::new(move || {
        let json_config =
            web::JsonConfig::default()
                .limit(body_limit)
                .error_handler(|error, _req| {
                    use actix_web::error::JsonPayloadError;
                    let app_error = match error {
                        JsonPayloadError::ContentType => {
                            AppError::UnsupportedMediaType("send application/json".into())
                        }
                        JsonPayloadError::Overflow { .. }
                        | JsonPayloadError::OverflowKnownLength { .. } => AppError::PayloadTooLarge,
                        JsonPayloadError::Deserialize(e) => json_error(e),
                        other => AppError::BadRequest(other.to_string()),
                    };
                    app_error.into()
                });
        let query_config = web::QueryConfig::default().error_handler(|error, _req| {
            AppError::validation_one("query", "invalid", error.to_string()).into()
        });
        let path_config =
            web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into());
        let state_for_metrics = state.clone();
        let pool = state.pool.clone();
        App::new()
            .app_data(state.clone())
            .app_data(json_config)
            .app_data(query_config)
            .app_data(path_config)
            .app_data(web::PayloadConfig::default().limit(body_limit))
            .configure(http::configure)
            .default_service(web::to(not_found))
            .wrap_fn(move |req, srv| {
                // Room for the check a cached credential defers to the request's first
                // database work (`auth::Principal`); it runs at the end if nothing took it.
                let future = srv.call(req);
                let pool = pool.clone();
                async move {
                    match db::with_request_scope(pool, future).await {
                        (answer, Ok(())) => answer,
                        // The check failed: its error replaces the handler's answer.
                        (Ok(answer), Err(error)) => {
                            Ok(answer.into_response(error.error_response()))
                        }
                        (Err(_), Err(error)) => Err(error.into()),
                    }
                }
            })
            .wrap_fn(move |req, srv| {
                // Every page response carries the CSRF cookie its forms are checked against.
                let mut new_cookie = None;
                if !crate::http::is_api(req.path()) && req.cookie(csrf::CSRF_COOKIE).is_none() {
                    let (value, cookie) = csrf::new_cookie(secure);
                    req.extensions_mut().insert(CsrfCookie(value));
                    new_cookie = Some(cookie);
                }
                let future = srv.call(req);
                async move {
                    let mut response = future.await?;
                    if let Some(cookie) = new_cookie {
                        let _ = response.response_mut().add_cookie(&cookie);
                    }
                    Ok(response)
                }
            })
            .wrap_fn(|req, srv| {
                // Web error pages in the reader's language, with navigation and request id.
                let api = http::is_api(req.path());
                let future = srv.call(req);
                async move {
                    let response = future.await?;
                    if api {
                        return Ok(response);
                    }
                    http::web::error_page::localise(response).await
                }
            })
            .wrap_fn(move |req, srv| {
                let started = Instant::now();
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let metrics = state_for_metrics.clone();
                let future = srv.call(req);
                async move {
                    let mut response = future.await?;
                    metrics
                        .metrics
                        .observe(response.status().as_u16(), started.elapsed());
                    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(response)
                }
            })
            .wrap(security_headers(secure))
            .wrap(TracingLogger::default())
    })
    .workers(workers)
    // Database work runs on the blocking pool and each task holds a pooled connection; more
    // threads than connections only wait on the pool (docs/performance.md).
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}

/// Headers on every response. Over https (the base URL's scheme), browsers are also told to
/// keep to https for a year; a plain-http development server is not pinned.
fn security_headers(https: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        // Sign-in links carry a secret in the URL: never leak it in Referer.
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
        ));
    if https {
        headers.add((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// Blocking threads per worker so that all workers together have about one per pooled
/// connection (at least two each, so a slow task such as a PDF does not stall a worker).
fn blocking_threads_per_worker(pool_size: u32, workers: usize) -> usize {
    (pool_size as usize).div_ceil(workers.max(1)).max(2)
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, actix_web::Error> {
    if crate::http::is_api(req.path()) {
        Err(AppError::NotFound.into())
    } else {
        Err(WebError(AppError::NotFound).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_threads_match_the_connection_pool() {
        assert_eq!(blocking_threads_per_worker(8, 2), 4);
        assert_eq!(blocking_threads_per_worker(8, 3), 3);
        assert_eq!(blocking_threads_per_worker(2, 4), 2);
        assert_eq!(blocking_threads_per_worker(8, 0), 8);
    }
}
