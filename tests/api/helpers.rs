use std::net::TcpListener;
use std::process::{Command, Output, Stdio};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use liaison::config::Settings;
use liaison::db::DbConnection;
use liaison::domain::{Lang, Role};
use liaison::startup::{self, Application};
use liaison::store::audit::Actor;
use liaison::store::credentials;
use liaison::workflows::users::{CreateUser, create};
use serde_json::Value;

pub struct TestApp {
    pub address: String,
    pub settings: Settings,
    pub api: reqwest::Client,
    pg_database: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server URL for tests, when CI provides one.
pub fn test_database_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

fn replace_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

pub fn settings_for_new_database(dir: &tempfile::TempDir) -> (Settings, Option<(String, String)>) {
    let mut settings = Settings::default();
    let mut pg = None;
    settings.database_url = match test_database_url() {
        Some(admin_url) => {
            let name = format!("liaison_test_{}", uuid::Uuid::new_v4().simple());
            // Before this process's first PostgreSQL connection (see db::init_tls).
            liaison::db::init_tls();
            let mut admin =
                diesel::PgConnection::establish(&admin_url).expect("connect to PostgreSQL");
            admin
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            pg = Some((admin_url.clone(), name.clone()));
            replace_database(&admin_url, &name)
        }
        None => dir.path().join("liaison.db").to_string_lossy().to_string(),
    };
    settings.mail_dir = dir.path().join("mail");
    settings.db_pool_size = 4;
    (settings, pg)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut settings, pg_database) = settings_for_new_database(&dir);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("local addr").port();
    settings.bind = format!("127.0.0.1:{port}");
    settings.base_url = format!("http://127.0.0.1:{port}");
    adjust(&mut settings);
    let app = Application::build_with_listener(settings.clone(), listener).expect("build app");
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        settings,
        api: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        pg_database,
        _dir: dir,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg_database
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub struct TestUser {
    pub id: String,
    pub email: String,
    pub token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn conn(&self) -> DbConnection {
        startup::open_database(&self.settings).expect("open database")
    }

    pub fn is_postgres(&self) -> bool {
        self.pg_database.is_some()
    }

    /// Creates a user directly and gives them a bearer token.
    pub fn user(&self, email: &str, role: Role, lang: Lang) -> TestUser {
        let mut conn = self.conn();
        let key = startup::secret_key(&mut conn, &self.settings).expect("key");
        let user = liaison::db::write_tx(&mut conn, |conn| {
            create(
                conn,
                &Actor::system(),
                &CreateUser {
                    email,
                    display_name: email.split('@').next().unwrap_or("x"),
                    role,
                    lang,
                },
            )
        })
        .expect("create user");
        let (token, _) = credentials::create_user_token(
            &mut conn,
            &key,
            &user.id,
            "test",
            chrono::Duration::days(1),
        )
        .expect("token");
        TestUser {
            id: user.id,
            email: email.to_string(),
            token,
        }
    }

    /// Runs the real `liaison` binary against this app's database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_liaison"));
        command
            .args(args)
            .env("DATABASE_URL", &self.settings.database_url)
            .env("LIAISON_BASE_URL", &self.settings.base_url)
            .env_remove("LIAISON_SECRET_KEY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run liaison");
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("write stdin");
        } else {
            drop(child.stdin.take());
        }
        child.wait_with_output().expect("liaison output")
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.api
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.api
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn patch_json(
        &self,
        token: &str,
        path: &str,
        etag: Option<&str>,
        body: &Value,
    ) -> reqwest::Response {
        let mut request = self.api.patch(self.url(path)).bearer_auth(token).json(body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.expect("request")
    }

    /// Saves the caller's review of `id` through the API: reads its ETag, then PUTs `body`
    /// with `If-Match`, as a client must.
    pub async fn put_my_review(&self, token: &str, id: &str, body: &Value) -> reqwest::Response {
        let path = format!("/api/v1/proposals/{id}/reviews/mine");
        let mine = self.get(token, &path).await;
        assert_eq!(mine.status(), 200, "GET {path}");
        let etag = mine.headers()["etag"].to_str().expect("etag").to_string();
        self.api
            .put(self.url(&path))
            .bearer_auth(token)
            .header("If-Match", etag)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser")
    }

    /// Signs a browser in with a password set through the CLI.
    pub async fn signed_in_browser(&self, user: &TestUser) -> reqwest::Client {
        let output = self.cli(
            &["user", "set-password", "--email", &user.email],
            Some("correct-horse-battery\n"),
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let browser = self.browser();
        let csrf = csrf_from(&browser, &self.url("/signin")).await;
        let response = browser
            .post(self.url("/signin"))
            .form(&[
                ("email", user.email.as_str()),
                ("password", "correct-horse-battery"),
                ("csrf_token", &csrf),
                ("next", "/"),
            ])
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 303, "sign-in should redirect");
        browser
    }
}

/// Loads a page and returns the CSRF field value of its first form.
pub async fn csrf_from(browser: &reqwest::Client, url: &str) -> String {
    let html = browser
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body");
    hidden_value(&html, "csrf_token").expect("csrf_token field on the page")
}

pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

/// A complete proposal as the JSON API takes it.
pub fn complete_proposal() -> Value {
    serde_json::json!({
        "title": "日本人2型糖尿病患者におけるLIA-101の腎保護効果",
        "therapeutic_area": "糖尿病",
        "product": "LIA-101",
        "study_type": "interventional",
        "phase": "IV",
        "background": "背景", "objectives": "目的", "hypothesis": "仮説",
        "design": "多施設共同無作為化比較試験",
        "primary_endpoint": "52週時点のeGFR変化量",
        "secondary_endpoints": ["HbA1c"],
        "planned_sample_size": 120,
        "planned_sites": 8,
        "planned_start": "2027-04-01",
        "planned_end": "2029-03-31",
        "principal_investigator": {
            "name": "山田 太郎", "institution": "東都大学病院", "department": "腎臓内科",
            "email": "yamada@example.jp", "orcid": "https://orcid.org/0000-0002-1825-0097"
        },
        "co_investigators": [{"name": "佐藤 花子", "institution": "東都大学病院", "orcid": ""}],
        "requested_support": {"funding_amount": 15000000, "currency": "JPY", "drug_supply": null, "other": ""},
        "budget_items": [{"label": "データ管理", "amount": 5000000}],
        "ethics_committee": "東都大学臨床研究審査委員会",
        "registry": "jrct",
        "independence": {"investigator_holds_data": true, "right_to_publish": true},
        "conflict_of_interest": {"has_coi": false, "text": ""},
        "publication_plan": "論文化する"
    })
}

pub async fn json(response: reqwest::Response) -> Value {
    response.json().await.expect("JSON body")
}

/// Drops a PostgreSQL test database made by `settings_for_new_database`.
pub fn drop_database(pg: &Option<(String, String)>) {
    if let Some((admin_url, name)) = pg
        && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
    {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
