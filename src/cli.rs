//! The `liaison` command line (docs/PRODUCT.md#interfaces, docs/OPERATIONS.md).

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Parser, Subcommand};
use serde_json::json;

use crate::auth::password::{self, MIN_PASSWORD_CHARS};
use crate::config::Settings;
use crate::db::{self, DbConnection};
use crate::domain::{Lang, Role};
use crate::startup::{self, Application};
use crate::store::audit::{self, Actor, ChainCheck, Entry};
use crate::store::{credentials, users};
use crate::workflows::users::{self as user_workflows, CreateUser};

#[derive(Debug, Parser)]
#[command(
    name = "liaison",
    version,
    about = "Investigator-initiated study programme service"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP (default 127.0.0.1:8080).
    Serve {
        /// Address to listen on (overrides LIAISON_BIND).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Deliver the outbox alone (no HTTP); several may run against one PostgreSQL database.
    Worker,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print a one-time sign-in URL for a user (bootstraps the first admin without mail).
    LoginLink {
        #[arg(long)]
        email: String,
    },
    /// Manage bearer tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Load a realistic bilingual demo data set.
    Demo,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user (no password) and print its id.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "ja")]
        lang: String,
    },
    /// Read a password from standard input and set it.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a bearer token and print it alone on stdout.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until expiry (default LIAISON_TOKEN_DAYS, 90).
        #[arg(long)]
        days: Option<i64>,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the hash chain; exit 1 and name the first broken record if there is one.
    Verify,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    crate::clock::configure(settings.time_zone);
    match run(cli, settings) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, mut settings: Settings) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.bind = bind;
            }
            crate::telemetry::init(settings.log_json);
            serve(settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Worker => {
            crate::telemetry::init(settings.log_json);
            run_worker(settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let mut conn = db::establish(&settings.database_url).with_context(|| {
                format!(
                    "cannot connect to {}",
                    startup::redact(&settings.database_url)
                )
            })?;
            let applied = db::run_migrations(&mut conn)?;
            println!("{} migration(s) applied", applied.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::User { command } => {
            let mut conn = startup::open_database(&settings)?;
            match command {
                UserCommand::Create {
                    email,
                    role,
                    name,
                    lang,
                } => {
                    let role =
                        Role::parse(&role).ok_or_else(|| anyhow!("unknown role {role:?}"))?;
                    let lang =
                        Lang::parse(&lang).ok_or_else(|| anyhow!("--lang must be ja or en"))?;
                    let name =
                        name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
                    let user = db::write_tx(&mut conn, |conn| {
                        user_workflows::create(
                            conn,
                            &Actor::system(),
                            &CreateUser {
                                email: &email,
                                display_name: &name,
                                role,
                                lang,
                            },
                        )
                    })
                    .map_err(|e| anyhow!(describe(&e)))?;
                    println!("{}", user.id);
                }
                UserCommand::SetPassword { email } => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    let secret = line.trim_end_matches(['\r', '\n']);
                    if secret.chars().count() < MIN_PASSWORD_CHARS {
                        return Err(anyhow!(
                            "the password must have at least {MIN_PASSWORD_CHARS} characters"
                        ));
                    }
                    let hash = password::hash_password(secret)?;
                    db::write_tx(&mut conn, |conn| -> anyhow::Result<()> {
                        let user = find_user(conn, &email)?;
                        users::set_password_hash(conn, &user.id, &hash)?;
                        audit::append(
                            conn,
                            Entry::new(&Actor::system(), "user.set_password", "user", &user.id),
                        )?;
                        Ok(())
                    })?;
                    eprintln!("password set for {email}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::LoginLink { email } => {
            let mut conn = startup::open_database(&settings)?;
            let key = startup::secret_key(&mut conn, &settings)?;
            let ttl = chrono::Duration::from_std(settings.login_link_ttl)?;
            let token = db::write_tx(&mut conn, |conn| -> anyhow::Result<String> {
                let user = find_user(conn, &email)?;
                let token = credentials::create_login_link(conn, &key, &user.id, ttl)?;
                audit::append(
                    conn,
                    Entry::new(&Actor::system(), "login_link.create", "user", &user.id),
                )?;
                Ok(token)
            })?;
            println!("{}/signin/link?token={token}", settings.base_url);
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Create { email, name, days },
        } => {
            let mut conn = startup::open_database(&settings)?;
            let key = startup::secret_key(&mut conn, &settings)?;
            let days = days.unwrap_or(settings.token_default_days);
            if !(1..=3650).contains(&days) {
                return Err(anyhow!("--days must be between 1 and 3650"));
            }
            let plain = db::write_tx(&mut conn, |conn| -> anyhow::Result<String> {
                let user = find_user(conn, &email)?;
                let (plain, row) = credentials::create_user_token(
                    conn,
                    &key,
                    &user.id,
                    &name,
                    chrono::Duration::days(days),
                )?;
                audit::append(
                    conn,
                    Entry::new(&Actor::system(), "token.create", "api_token", &row.id)
                        .after(json!({"user_id": user.id, "name": name, "prefix": row.token_prefix, "expires_at": row.expires_at})),
                )?;
                Ok(plain)
            })?;
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "{plain}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let mut conn = startup::open_database(&settings)?;
            match audit::verify(&mut conn)? {
                ChainCheck::Intact { records } => {
                    println!("audit chain intact: {records} record(s)");
                    Ok(ExitCode::SUCCESS)
                }
                ChainCheck::Broken { seq, problem } => {
                    println!("audit chain BROKEN at record {seq}: {problem}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Demo => {
            let mut conn = startup::open_database(&settings)?;
            crate::demo::load(&mut conn, &settings)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe(error: &crate::error::AppError) -> String {
    match error {
        crate::error::AppError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect::<Vec<_>>()
            .join("; "),
        other => format!("{other:#}"),
    }
}

fn find_user(conn: &mut DbConnection, email: &str) -> anyhow::Result<users::UserRow> {
    users::find_by_email(conn, email)?.ok_or_else(|| anyhow!("no user with email {email}"))
}

fn run_worker(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let (pool, _key) = startup::prepare(&settings)?;
        let mailer = crate::notify::worker::Mailer::from_settings(&settings)?;
        let worker = crate::notify::worker::Worker::new(
            pool,
            mailer,
            crate::notify::worker::WorkerConfig::from_settings(&settings),
        );
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let handle = actix_web::rt::spawn(worker.run(stopped));
        wait_for_shutdown_signal().await;
        let _ = stop.send(true);
        let _ = handle.await;
        Ok(())
    })
}

async fn wait_for_shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        tracing::info!(%bind, port = app.port(), "liaison listening");
        app.run_until_stopped().await?;
        tracing::info!("liaison stopped");
        Ok(())
    })
}
