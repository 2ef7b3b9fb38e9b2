//! Typed settings, read once from environment variables (and an optional `KEY=VALUE` file named
//! by `LIAISON_CONFIG`), then passed by value. Every option is listed in docs/OPERATIONS.md.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::domain::net::{HostRule, WebhookPolicy};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub base_url: String,
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: String,
    /// When `None`, a key is generated once and kept in `secret_key_path()`.
    pub secret_key: Option<String>,
    /// Where a generated key is kept (`LIAISON_SECRET_KEY_FILE`).
    pub secret_key_file: Option<PathBuf>,
    pub body_limit_bytes: usize,
    /// Largest document upload (default 25 MiB); larger ones answer 413.
    pub upload_limit_bytes: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub login_link_ttl: Duration,
    pub token_default_days: i64,
    pub db_pool_size: u32,
    pub signin_max_failures: u32,
    pub signin_window: Duration,
    pub template_dir: Option<PathBuf>,
    pub log_json: bool,
    /// Run the outbox worker inside `serve` (set false when separate `liaison worker`s run).
    pub run_worker: bool,
    pub outbox_poll: Duration,
    pub outbox_retry_base: Duration,
    pub outbox_retry_max: Duration,
    pub outbox_max_attempts: i32,
    /// How often each worker runs the milestone reminder job.
    pub reminder_interval: Duration,
    /// Requests per minute allowed for one bearer token or API key (429 beyond).
    pub api_rate_per_minute: u32,
    /// Allow `http://` webhook URLs (default: https only).
    pub webhook_allow_http: bool,
    /// Host names and address ranges webhooks may reach although they are not public
    /// (on-premises receivers).
    pub webhook_allowed_hosts: Vec<HostRule>,
    /// `/readyz` answers 503 when a message has been due this long and no worker has made
    /// progress for as long.
    pub worker_stall: Duration,
    /// Sign-in, registration and verification mails per recipient address and hour.
    pub mail_per_address_per_hour: u32,
    /// Requests that could send such mails, per client address and hour.
    pub mail_per_client_per_hour: u32,
    /// When set, `/metrics` requires `Authorization: Bearer <this>`.
    pub metrics_token: Option<String>,
    /// The programme's time zone (`LIAISON_TIME_ZONE`, an IANA name): displayed times and
    /// "today" for overdue, reminders, fiscal years and reference years.
    pub time_zone: chrono_tz::Tz,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "liaison.db".into(),
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            smtp_url: None,
            mail_dir: PathBuf::from("mail"),
            mail_from: "Liaison <liaison@localhost>".into(),
            secret_key: None,
            secret_key_file: None,
            body_limit_bytes: 1024 * 1024,
            upload_limit_bytes: 25 * 1024 * 1024,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            login_link_ttl: Duration::from_secs(15 * 60),
            token_default_days: 90,
            db_pool_size: 8,
            signin_max_failures: 5,
            signin_window: Duration::from_secs(15 * 60),
            template_dir: None,
            log_json: false,
            run_worker: true,
            outbox_poll: Duration::from_millis(1000),
            outbox_retry_base: Duration::from_secs(5),
            outbox_retry_max: Duration::from_secs(3600),
            outbox_max_attempts: 12,
            reminder_interval: Duration::from_secs(3600),
            api_rate_per_minute: 600,
            webhook_allow_http: false,
            webhook_allowed_hosts: Vec::new(),
            worker_stall: Duration::from_secs(300),
            metrics_token: None,
            mail_per_address_per_hour: 5,
            // Generous: behind a reverse proxy every client shares the proxy's address.
            mail_per_client_per_hour: 200,
            time_zone: crate::domain::programme_time::DEFAULT_ZONE,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid setting {name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl Settings {
    /// Environment variables win over the `LIAISON_CONFIG` file, which wins over defaults.
    pub fn from_env() -> Result<Settings, ConfigError> {
        let mut values: HashMap<String, String> = HashMap::new();
        if let Ok(path) = std::env::var("LIAISON_CONFIG") {
            let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
                name: "LIAISON_CONFIG",
                message: format!("cannot read {path}: {e}"),
            })?;
            values.extend(parse_env_file(&text));
        }
        values.extend(std::env::vars());
        Settings::from_lookup(|key| values.get(key).cloned())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let defaults = Settings::default();
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let bind = get("LIAISON_BIND").unwrap_or(defaults.bind);
        let base_url = get("LIAISON_BASE_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        Ok(Settings {
            database_url: get("DATABASE_URL").unwrap_or(defaults.database_url),
            base_url,
            bind,
            smtp_url: get("LIAISON_SMTP_URL"),
            mail_dir: get("LIAISON_MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or(defaults.mail_dir),
            mail_from: get("LIAISON_MAIL_FROM").unwrap_or(defaults.mail_from),
            secret_key: match get("LIAISON_SECRET_KEY") {
                Some(key) if key.len() < crate::auth::key_file::MIN_KEY_BYTES => {
                    return Err(ConfigError {
                        name: "LIAISON_SECRET_KEY",
                        message: format!(
                            "must be at least {} bytes (e.g. `openssl rand -base64 32`)",
                            crate::auth::key_file::MIN_KEY_BYTES
                        ),
                    });
                }
                key => key,
            },
            secret_key_file: get("LIAISON_SECRET_KEY_FILE").map(PathBuf::from),
            body_limit_bytes: number(&get, "LIAISON_BODY_LIMIT_BYTES", defaults.body_limit_bytes)?,
            upload_limit_bytes: number(
                &get,
                "LIAISON_UPLOAD_LIMIT_BYTES",
                defaults.upload_limit_bytes,
            )?,
            session_idle: minutes(&get, "LIAISON_SESSION_IDLE_MINUTES", defaults.session_idle)?,
            session_absolute: minutes(
                &get,
                "LIAISON_SESSION_ABSOLUTE_MINUTES",
                defaults.session_absolute,
            )?,
            login_link_ttl: minutes(&get, "LIAISON_LOGIN_LINK_MINUTES", defaults.login_link_ttl)?,
            token_default_days: number(&get, "LIAISON_TOKEN_DAYS", defaults.token_default_days)?,
            db_pool_size: number(&get, "LIAISON_DB_POOL_SIZE", defaults.db_pool_size)?,
            signin_max_failures: number(
                &get,
                "LIAISON_SIGNIN_MAX_FAILURES",
                defaults.signin_max_failures,
            )?,
            signin_window: minutes(
                &get,
                "LIAISON_SIGNIN_WINDOW_MINUTES",
                defaults.signin_window,
            )?,
            template_dir: get("LIAISON_TEMPLATE_DIR").map(PathBuf::from),
            log_json: get("LIAISON_LOG_FORMAT").is_some_and(|v| v == "json"),
            run_worker: get("LIAISON_RUN_WORKER").is_none_or(|v| v != "false" && v != "0"),
            outbox_poll: millis(&get, "LIAISON_OUTBOX_POLL_MS", defaults.outbox_poll)?,
            outbox_retry_base: millis(
                &get,
                "LIAISON_OUTBOX_RETRY_BASE_MS",
                defaults.outbox_retry_base,
            )?,
            outbox_retry_max: millis(
                &get,
                "LIAISON_OUTBOX_RETRY_MAX_MS",
                defaults.outbox_retry_max,
            )?,
            outbox_max_attempts: number(
                &get,
                "LIAISON_OUTBOX_MAX_ATTEMPTS",
                defaults.outbox_max_attempts,
            )?,
            reminder_interval: minutes(
                &get,
                "LIAISON_REMINDER_INTERVAL_MINUTES",
                defaults.reminder_interval,
            )?,
            api_rate_per_minute: number(
                &get,
                "LIAISON_API_RATE_PER_MINUTE",
                defaults.api_rate_per_minute,
            )?,
            webhook_allow_http: get("LIAISON_WEBHOOK_ALLOW_HTTP")
                .is_some_and(|v| matches!(v.trim(), "true" | "1")),
            webhook_allowed_hosts: match get("LIAISON_WEBHOOK_ALLOWED_HOSTS") {
                None => Vec::new(),
                Some(list) => list
                    .split([',', ' ', '\n'])
                    .filter(|entry| !entry.trim().is_empty())
                    .map(HostRule::parse)
                    .collect::<Result<_, _>>()
                    .map_err(|message| ConfigError {
                        name: "LIAISON_WEBHOOK_ALLOWED_HOSTS",
                        message,
                    })?,
            },
            worker_stall: number(
                &get,
                "LIAISON_WORKER_STALL_SECONDS",
                defaults.worker_stall.as_secs(),
            )
            .map(Duration::from_secs)?,
            metrics_token: get("LIAISON_METRICS_TOKEN"),
            mail_per_address_per_hour: number(
                &get,
                "LIAISON_MAIL_PER_ADDRESS_PER_HOUR",
                defaults.mail_per_address_per_hour,
            )?,
            mail_per_client_per_hour: number(
                &get,
                "LIAISON_MAIL_PER_CLIENT_PER_HOUR",
                defaults.mail_per_client_per_hour,
            )?,
            time_zone: match get("LIAISON_TIME_ZONE") {
                None => defaults.time_zone,
                Some(name) => {
                    crate::domain::programme_time::parse_zone(&name).ok_or_else(|| ConfigError {
                        name: "LIAISON_TIME_ZONE",
                        message: format!("{name:?} is not an IANA time zone such as Asia/Tokyo"),
                    })?
                }
            },
        })
    }

    /// The webhook rules the registration check and the delivery worker apply.
    pub fn webhook_policy(&self) -> WebhookPolicy {
        WebhookPolicy {
            allow_http: self.webhook_allow_http,
            allowed: self.webhook_allowed_hosts.clone(),
        }
    }

    /// Where a generated secret key is kept: `LIAISON_SECRET_KEY_FILE`, else beside the SQLite
    /// file (`liaison.db.key`), else `liaison.key` in the working directory.
    pub fn secret_key_path(&self) -> PathBuf {
        if let Some(path) = &self.secret_key_file {
            return path.clone();
        }
        match crate::db::Backend::from_url(&self.database_url) {
            crate::db::Backend::Sqlite => PathBuf::from(format!(
                "{}.key",
                crate::db::sqlite_path(&self.database_url)
            )),
            crate::db::Backend::Postgres => PathBuf::from("liaison.key"),
        }
    }

    pub fn mail_limits(&self) -> crate::workflows::mail_limits::MailLimits {
        crate::workflows::mail_limits::MailLimits {
            per_address: self.mail_per_address_per_hour,
            per_client: self.mail_per_client_per_hour,
        }
    }

    /// Cookies get `Secure` when the service is reached over https.
    pub fn cookies_secure(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| ConfigError {
            name,
            message: format!("{text:?} is not a number"),
        }),
    }
}

fn minutes(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let default_minutes = default.as_secs() / 60;
    number(get, name, default_minutes).map(|m| Duration::from_secs(m * 60))
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    number(get, name, default.as_millis() as u64).map(Duration::from_millis)
}

/// `KEY=VALUE` lines; `#` starts a comment; surrounding quotes are removed.
pub fn parse_env_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let settings = Settings::from_lookup(|_| None).unwrap_or_default();
        assert_eq!(settings.database_url, "liaison.db");
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.base_url, "http://127.0.0.1:8080");
        assert_eq!(settings.mail_dir, PathBuf::from("mail"));
        assert!(settings.smtp_url.is_none());
    }

    #[test]
    fn a_bad_number_names_the_setting() {
        let error =
            Settings::from_lookup(|k| (k == "LIAISON_DB_POOL_SIZE").then(|| "many".to_string()))
                .err();
        assert_eq!(error.map(|e| e.name), Some("LIAISON_DB_POOL_SIZE"));
    }

    #[test]
    fn webhook_settings_are_parsed_and_a_bad_entry_names_the_setting() {
        let settings = Settings::from_lookup(|k| match k {
            "LIAISON_WEBHOOK_ALLOW_HTTP" => Some("true".into()),
            "LIAISON_WEBHOOK_ALLOWED_HOSTS" => Some("hooks.corp.example, 10.20.0.0/16".into()),
            _ => None,
        })
        .unwrap();
        assert!(settings.webhook_allow_http);
        assert_eq!(settings.webhook_allowed_hosts.len(), 2);
        assert!(!Settings::default().webhook_policy().allow_http);
        let error = Settings::from_lookup(|k| {
            (k == "LIAISON_WEBHOOK_ALLOWED_HOSTS").then(|| "10.0.0.0/99".to_string())
        })
        .err();
        assert_eq!(error.map(|e| e.name), Some("LIAISON_WEBHOOK_ALLOWED_HOSTS"));
    }

    #[test]
    fn a_short_secret_key_is_refused() {
        let short = Settings::from_lookup(|k| (k == "LIAISON_SECRET_KEY").then(|| "x".repeat(31)));
        assert_eq!(short.err().map(|e| e.name), Some("LIAISON_SECRET_KEY"));
        let long = Settings::from_lookup(|k| (k == "LIAISON_SECRET_KEY").then(|| "x".repeat(32)));
        assert!(long.is_ok());
    }

    #[test]
    fn a_generated_key_lives_beside_the_sqlite_file() {
        let settings =
            Settings::from_lookup(|k| (k == "DATABASE_URL").then(|| "/srv/l/liaison.db".into()))
                .unwrap();
        assert_eq!(
            settings.secret_key_path(),
            PathBuf::from("/srv/l/liaison.db.key")
        );
    }

    #[test]
    fn env_file_lines_are_parsed() {
        let parsed =
            parse_env_file("# c\nDATABASE_URL=\"postgres://x\"\n\nLIAISON_BIND = 0.0.0.0:1\n");
        assert_eq!(parsed[0], ("DATABASE_URL".into(), "postgres://x".into()));
        assert_eq!(parsed[1], ("LIAISON_BIND".into(), "0.0.0.0:1".into()));
    }
}
