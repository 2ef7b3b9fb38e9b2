//! The delivery worker: claims due outbox rows, renders and sends them, and records the
//! outcome. Failures retry with exponential backoff and jitter; after the configured number of
//! attempts a message is `dead` (visible to admins, who can re-queue it). A message that
//! cannot be built, or whose delivery panics, is `dead` at once with its error, and the worker
//! goes on; the loop itself is supervised, so a panic anywhere restarts it instead of silently
//! ending delivery for everyone. On shutdown the rows this worker claimed but did not send are
//! released at once.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rand::Rng;
use tokio::sync::watch;

use crate::config::Settings;
use crate::db::{self, Pool};
use crate::domain::text::DisplayName;
use crate::error::AppError;
use crate::notify::email::{self, Email};
use crate::notify::health::WorkerHealth;
use crate::store::outbox::{self, OutboxRow};

pub enum Mailer {
    Smtp(SmtpTransport),
    Files(AsyncFileTransport<Tokio1Executor>),
}

/// lettre's SMTP transport, dropped safely. Its connection pool spawns its own shutdown onto
/// the current Tokio runtime when dropped, and panics when there is none (a runtime that has
/// already stopped, as at the end of a test), which aborts the process. Without a runtime
/// there is nothing left to close politely (the sockets close with the process), so the
/// transport is forgotten instead.
pub struct SmtpTransport(Option<AsyncSmtpTransport<Tokio1Executor>>);

impl Drop for SmtpTransport {
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err()
            && let Some(transport) = self.0.take()
        {
            std::mem::forget(transport);
        }
    }
}

impl Mailer {
    /// SMTP from `LIAISON_SMTP_URL` (`smtp://host:port`, `smtp://…?tls=required` for STARTTLS,
    /// `smtps://` for implicit TLS; rustls, no system OpenSSL), else `.eml` files.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Mailer> {
        match &settings.smtp_url {
            Some(url) => Ok(Mailer::Smtp(SmtpTransport(Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("LIAISON_SMTP_URL is not usable: {e}"))?
                    .timeout(Some(Duration::from_secs(30)))
                    .build(),
            )))),
            None => {
                std::fs::create_dir_all(&settings.mail_dir).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot create mail folder {}: {e}",
                        settings.mail_dir.display()
                    )
                })?;
                Ok(Mailer::Files(AsyncFileTransport::<Tokio1Executor>::new(
                    &settings.mail_dir,
                )))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Mailer::Smtp(SmtpTransport(Some(transport))) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            // Only a transport being dropped is empty.
            Mailer::Smtp(SmtpTransport(None)) => Err("the SMTP transport is closed".into()),
            Mailer::Files(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub poll: Duration,
    pub batch: i64,
    pub lease: chrono::Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub max_attempts: i32,
    pub base_url: String,
    pub from: String,
    /// How often the reminder job runs inside the worker.
    pub reminder_interval: Duration,
    /// Which webhook targets may be connected to.
    pub webhook_policy: crate::domain::net::WebhookPolicy,
}

impl WorkerConfig {
    pub fn from_settings(settings: &Settings) -> WorkerConfig {
        WorkerConfig {
            poll: settings.outbox_poll,
            batch: 20,
            lease: chrono::Duration::minutes(5),
            retry_base: settings.outbox_retry_base,
            retry_max: settings.outbox_retry_max,
            max_attempts: settings.outbox_max_attempts,
            base_url: settings.base_url.clone(),
            from: settings.mail_from.clone(),
            reminder_interval: settings.reminder_interval,
            webhook_policy: settings.webhook_policy(),
        }
    }
}

/// Delay before attempt `attempts + 1`: base × 2^(attempts − 1), capped, plus up to 25 % jitter
/// so that many failed messages do not retry in lockstep.
pub fn backoff(attempts: i32, base: Duration, max: Duration) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let delay = base.saturating_mul(2u32.saturating_pow(exponent)).min(max);
    let jitter_ms = rand::thread_rng().gen_range(0..=(delay.as_millis() as u64 / 4));
    delay + Duration::from_millis(jitter_ms)
}

pub struct Worker {
    pool: Pool,
    mailer: Mailer,
    http: Result<reqwest::Client, String>,
    config: WorkerConfig,
    id: String,
    health: Arc<WorkerHealth>,
}

enum Outcome {
    Sent,
    Retry(String),
    Dead(String),
}

impl Worker {
    pub fn new(pool: Pool, mailer: Mailer, config: WorkerConfig) -> Worker {
        Worker {
            pool,
            mailer,
            // Webhook receivers get 10 s; redirects are not followed (the URL is registered);
            // every address connected to is checked against the webhook policy.
            http: crate::notify::webhook::client(&config.webhook_policy),
            config,
            id: format!("worker-{}", uuid::Uuid::new_v4()),
            health: Arc::new(WorkerHealth::default()),
        }
    }

    /// Reports to `health` (shared with `/readyz` and `/metrics`).
    pub fn with_health(mut self, health: Arc<WorkerHealth>) -> Worker {
        self.health = health;
        self
    }

    /// Runs until `stop` turns true, then releases what it holds. A panic in the loop is
    /// caught, logged and counted, and the loop starts again.
    pub async fn run(self, stop: watch::Receiver<bool>) {
        tracing::info!(worker = %self.id, "outbox worker started");
        let worker = Arc::new(self);
        worker.health.started();
        supervise(
            || {
                let (worker, stop) = (worker.clone(), stop.clone());
                async move { worker.serve(stop).await }
            },
            &worker.health,
            &stop,
            Duration::from_secs(1),
        )
        .await;
        worker.health.stopped();
        let id = worker.id.clone();
        match db::run_tx(&worker.pool, move |conn| Ok(outbox::release(conn, &id)?)).await {
            Ok(released) => tracing::info!(worker = %worker.id, released, "outbox worker stopped"),
            Err(error) => tracing::warn!(%error, "outbox worker could not release its claims"),
        }
    }

    /// The delivery loop proper, until `stop` turns true.
    async fn serve(&self, mut stop: watch::Receiver<bool>) {
        let mut last_reminders: Option<std::time::Instant> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            if last_reminders.is_none_or(|t| t.elapsed() >= self.config.reminder_interval) {
                last_reminders = Some(std::time::Instant::now());
                // Unique outbox keys make this safe to run in every process.
                let result = db::run_tx(&self.pool, |conn| {
                    crate::workflows::study::queue_reminders(conn, crate::clock::programme_today())
                })
                .await;
                match result {
                    Ok(0) => {}
                    Ok(queued) => tracing::info!(queued, "milestone reminders queued"),
                    Err(error) => tracing::warn!(%error, "reminder job failed"),
                }
                if let Err(error) =
                    db::run_tx(&self.pool, crate::workflows::mail_limits::purge).await
                {
                    tracing::warn!(%error, "purging old mail limit windows failed");
                }
            }
            let processed = match self.run_once(&stop).await {
                Ok(n) => {
                    self.health.beat();
                    n
                }
                Err(error) => {
                    tracing::warn!(%error, "outbox worker round failed");
                    0
                }
            };
            if processed == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.config.poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// One round: claim a batch, deliver each message. Returns how many were processed.
    pub async fn run_once(&self, stop: &watch::Receiver<bool>) -> Result<usize, AppError> {
        let (id, lease, batch) = (self.id.clone(), self.config.lease, self.config.batch);
        let claimed = db::run_tx(&self.pool, move |conn| {
            Ok(outbox::claim(conn, &id, db::now(), lease, batch)?)
        })
        .await?;
        let count = claimed.len();
        for row in claimed {
            if *stop.borrow() {
                break; // the rest is released by `run`
            }
            // One bad message must not stop delivery for everyone else.
            let outcome = match AssertUnwindSafe(self.deliver(&row)).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(panic) => {
                    self.health.record_panic();
                    Outcome::Dead(format!("delivery panicked: {}", panic_message(&*panic)))
                }
            };
            self.record(&row, outcome).await?;
        }
        Ok(count)
    }

    /// Attachments generated at send time: the decision letter carries the investigator
    /// version of the summary PDF.
    async fn attachment(&self, row: &OutboxRow) -> Result<Option<(String, Vec<u8>)>, String> {
        if row.event != "decision" {
            return Ok(None);
        }
        let data: serde_json::Value = serde_json::from_str(&row.data).map_err(|e| e.to_string())?;
        let Some(proposal_id) = data["proposal_id"].as_str().map(str::to_string) else {
            return Ok(None);
        };
        let lang = crate::domain::Lang::parse(&row.lang).unwrap_or_default();
        let reference = data["reference"].as_str().unwrap_or("summary").to_string();
        let bytes = db::run(&self.pool, move |conn| {
            crate::workflows::reports::investigator_summary_pdf(conn, &proposal_id, lang)
        })
        .await
        .map_err(|e| format!("summary PDF: {e:#}"))?;
        Ok(Some((format!("{reference}.pdf"), bytes)))
    }

    /// POSTs a webhook event, signed with the endpoint's secret (see `notify::webhook::signature`).
    async fn deliver_webhook(&self, row: &OutboxRow) -> Outcome {
        let hook_id = row.recipient.clone();
        let hook = match db::run(&self.pool, move |conn| {
            Ok(crate::store::cro::find_webhook(conn, &hook_id)?)
        })
        .await
        {
            Ok(hook) if hook.active => hook,
            Ok(_) | Err(AppError::NotFound) => {
                return Outcome::Dead("the webhook was removed or deactivated".into());
            }
            Err(error) => return Outcome::Retry(format!("{error:#}")),
        };
        // Address literals do not pass the client's resolver: check them here. A refused URL
        // stays refused, so it is not retried.
        if let Err(refusal) =
            crate::notify::webhook::check_target(&self.config.webhook_policy, &hook.url)
        {
            return Outcome::Dead(refusal.to_string());
        }
        let http = match &self.http {
            Ok(http) => http,
            Err(error) => return Outcome::Retry(error.clone()),
        };
        let timestamp = chrono::Utc::now().timestamp();
        let signature = crate::notify::webhook::signature(&hook.secret, timestamp, &row.data);
        let sent = http
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("Liaison-Signature", signature)
            .header("Liaison-Event", &row.event)
            .header("Liaison-Delivery", &row.id)
            .body(row.data.clone())
            .send()
            .await;
        let error = match sent {
            Ok(response) if response.status().is_success() => return Outcome::Sent,
            Ok(response) => format!("HTTP {}", response.status()),
            // The status, or a generic phrase: never the OS error, which tells open ports from
            // closed ones.
            Err(error) => crate::notify::webhook::describe_error(&error),
        };
        if row.attempts >= self.config.max_attempts {
            Outcome::Dead(error)
        } else {
            Outcome::Retry(error)
        }
    }

    async fn deliver(&self, row: &OutboxRow) -> Outcome {
        if row.channel == "webhook" {
            return self.deliver_webhook(row).await;
        }
        let attachment = match self.attachment(row).await {
            Ok(attachment) => attachment,
            Err(error) if row.attempts >= self.config.max_attempts => return Outcome::Dead(error),
            Err(error) => return Outcome::Retry(error),
        };
        let message =
            match std::panic::catch_unwind(AssertUnwindSafe(|| self.build(row, attachment))) {
                Ok(Ok(message)) => message,
                // A message that cannot be built will never work: no retries.
                Ok(Err(error)) => return Outcome::Dead(error),
                Err(panic) => {
                    self.health.record_panic();
                    return Outcome::Dead(format!(
                        "building the message panicked: {}",
                        panic_message(&*panic)
                    ));
                }
            };
        match self.mailer.send(message).await {
            Ok(()) => Outcome::Sent,
            Err(error) if row.attempts >= self.config.max_attempts => Outcome::Dead(error),
            Err(error) => Outcome::Retry(error),
        }
    }

    fn build(
        &self,
        row: &OutboxRow,
        attachment: Option<(String, Vec<u8>)>,
    ) -> Result<Message, String> {
        // Names are checked when typed; one stored before that, or otherwise unfit for a
        // header, is used nowhere: the header carries the address alone and the greeting
        // names the address.
        let name = DisplayName::parse_required(&row.recipient_name)
            .ok()
            .map(DisplayName::into_string);
        let rendered = email::render(
            &row.event,
            &row.lang,
            name.as_deref().unwrap_or(&row.recipient),
            &row.data,
            &self.config.base_url,
        )
        .map_err(|e| format!("render: {e:#}"))?;
        let from: Mailbox = self
            .config
            .from
            .parse()
            .map_err(|e| format!("LIAISON_MAIL_FROM: {e}"))?;
        let to = Mailbox::new(
            name,
            row.recipient
                .parse()
                .map_err(|e| format!("recipient address: {e}"))?,
        );
        let subject = header_text(&rendered.subject);
        let host = url::Url::parse(&self.config.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "liaison.localhost".into());
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            // Stable per outbox row: a resend after a crash carries the same id.
            .message_id(Some(format!("<{}@{}>", row.id, host)))
            // RFC 3834: sent by a program, so auto-responders do not answer it.
            .header(AutoSubmitted)
            .multipart(match attachment {
                None => MultiPart::alternative_plain_html(rendered.text, rendered.html),
                Some((name, bytes)) => MultiPart::mixed()
                    .multipart(MultiPart::alternative_plain_html(
                        rendered.text,
                        rendered.html,
                    ))
                    .singlepart(Attachment::new(name).body(bytes, pdf_type()?)),
            })
            .map_err(|e| format!("build: {e}"))
    }

    async fn record(&self, row: &OutboxRow, outcome: Outcome) -> Result<(), AppError> {
        let (id, worker) = (row.id.clone(), self.id.clone());
        let redact = Email::carries_secret(&row.event);
        match outcome {
            Outcome::Sent => {
                db::run_tx(&self.pool, move |conn| {
                    Ok(outbox::mark_sent(conn, &id, &worker, redact)?)
                })
                .await?;
            }
            Outcome::Retry(error) => {
                let delay = backoff(row.attempts, self.config.retry_base, self.config.retry_max);
                let retry_at = db::now()
                    + chrono::Duration::from_std(delay)
                        .unwrap_or_else(|_| chrono::Duration::hours(1));
                tracing::warn!(message = %row.id, attempts = row.attempts, %error, "delivery failed; will retry");
                db::run_tx(&self.pool, move |conn| {
                    Ok(outbox::mark_failed(
                        conn,
                        &id,
                        &worker,
                        &error,
                        Some(retry_at),
                    )?)
                })
                .await?;
            }
            Outcome::Dead(error) => {
                self.health.record_dead_letter();
                tracing::error!(message = %row.id, attempts = row.attempts, %error, "delivery gave up");
                db::run_tx(&self.pool, move |conn| {
                    Ok(outbox::mark_failed(conn, &id, &worker, &error, None)?)
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// Runs the future `make` builds until it returns. When it panics, the panic is logged and
/// counted and, unless `stop` is set, a new one starts after `pause`.
pub async fn supervise<F, Fut>(
    mut make: F,
    health: &WorkerHealth,
    stop: &watch::Receiver<bool>,
    pause: Duration,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    loop {
        match AssertUnwindSafe(make()).catch_unwind().await {
            Ok(()) => return,
            Err(panic) => {
                health.record_panic();
                tracing::error!(panic = %panic_message(&*panic), "outbox worker panicked; restarting");
                if *stop.borrow() {
                    return;
                }
                tokio::time::sleep(pause).await;
            }
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// A subject line: control characters (which a template could carry over from data) become
/// spaces.
fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if crate::domain::text::allowed_in_line(c) {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn pdf_type() -> Result<ContentType, String> {
    ContentType::parse("application/pdf").map_err(|e| e.to_string())
}

/// `Auto-Submitted: auto-generated` (RFC 3834 §5) on every notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("auto-generated") {
            Ok(AutoSubmitted)
        } else {
            Err(format!("not auto-generated: {s}").into())
        }
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_mailer_outlives_its_runtime_without_aborting() {
        let settings = Settings {
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            ..Settings::default()
        };
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => panic!("runtime: {e}"),
        };
        let mailer = runtime.block_on(async { Mailer::from_settings(&settings) });
        drop(runtime);
        // lettre's pool would panic here ("no reactor running") without SmtpTransport's Drop.
        drop(mailer);
    }

    #[test]
    fn a_panicking_loop_is_restarted_and_counted() {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => panic!("runtime: {e}"),
        };
        let health = WorkerHealth::default();
        let (_stop, stopped) = watch::channel(false);
        let mut starts = 0;
        runtime.block_on(supervise(
            || {
                starts += 1;
                let attempt = starts;
                async move {
                    if attempt < 3 {
                        panic!("round {attempt} failed");
                    }
                }
            },
            &health,
            &stopped,
            Duration::from_millis(1),
        ));
        assert_eq!(starts, 3, "restarted after each panic until a run returned");
        assert_eq!(health.panics(), 2);
    }

    #[test]
    fn subjects_lose_their_control_characters() {
        assert_eq!(
            header_text("件名\r\nBcc: x@example.test"),
            "件名  Bcc: x@example.test"
        );
        assert_eq!(header_text("a\u{202E}b"), "a b");
    }

    #[test]
    fn backoff_doubles_is_capped_and_adds_at_most_a_quarter_of_jitter() {
        let base = Duration::from_secs(5);
        let max = Duration::from_secs(60);
        for (attempts, floor) in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (12, 60)] {
            let delay = backoff(attempts, base, max);
            assert!(delay >= Duration::from_secs(floor), "{attempts}: {delay:?}");
            assert!(
                delay <= Duration::from_secs(floor) * 5 / 4,
                "{attempts}: {delay:?}"
            );
        }
    }
}
