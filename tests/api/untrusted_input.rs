//! Untrusted input cannot silence, redirect or abuse the service: hostile text in every text
//! field, a poisoned outbox row, mail bombing, CSRF across sessions and sites, the secret key
//! and the database file, `/readyz` and `/metrics` about delivery.

use std::time::Duration;

use liaison::domain::{Lang, Role};
use liaison::notify::{self, Email, Recipient};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::helpers::{TestApp, complete_proposal, csrf_from, json, spawn_app_with};
use crate::smtp_sink::{SmtpSink, parse};

async fn app_with_smtp(sink_url: &str) -> TestApp {
    let url = sink_url.to_string();
    spawn_app_with(move |s| {
        s.smtp_url = Some(url);
        s.outbox_poll = Duration::from_millis(50);
        s.outbox_retry_base = Duration::from_millis(100);
        s.outbox_retry_max = Duration::from_millis(400);
    })
    .await
}

/// Text an attacker would type: line breaks with header lines after them, other control
/// characters, bidi overrides, separators, and long Japanese.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = proptest::prop_oneof![
        proptest::strategy::Just("\r\nBcc: victim@example.test\r\n".to_string()),
        proptest::strategy::Just("\n".to_string()),
        proptest::strategy::Just("\r".to_string()),
        proptest::strategy::Just("\u{0}".to_string()),
        proptest::strategy::Just("\u{1b}[2J".to_string()),
        proptest::strategy::Just("\u{85}".to_string()),
        proptest::strategy::Just("\u{202E}".to_string()),
        proptest::strategy::Just("\u{2066}".to_string()),
        proptest::strategy::Just("\u{2028}".to_string()),
        proptest::strategy::Just("\u{2029}".to_string()),
        proptest::strategy::Just("あ".repeat(3000)),
        "[a-zA-Zぁ-ん漢字 ]{0,12}",
    ];
    proptest::collection::vec(piece, 1..5).prop_map(|pieces| pieces.concat())
}

fn samples(count: usize) -> Vec<String> {
    let mut runner = TestRunner::deterministic();
    let strategy = hostile_text();
    let mut out = vec![
        "Mallory\r\nBcc: victim@example.test".to_string(),
        "invoice\u{202E}fdp.exe".to_string(),
        "x".repeat(100_000),
    ];
    while out.len() < count {
        out.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    out
}

fn set_path(document: &mut Value, path: &[&str], text: &str) {
    let mut node = document;
    for key in &path[..path.len() - 1] {
        node = match key.parse::<usize>() {
            Ok(index) => &mut node[index],
            Err(_) => &mut node[*key],
        };
    }
    node[path[path.len() - 1]] = json!(text);
}

/// Every answer to hostile text is a success or a 422 field error, never a 500.
fn assert_handled(status: reqwest::StatusCode, what: &str) {
    assert!(
        status.is_success() || status == 422,
        "{what}: answered {status}"
    );
}

#[actix_web::test]
async fn hostile_text_in_every_field_leaves_every_other_mail_delivered_and_the_worker_alive() {
    let sink = SmtpSink::start(0).await;
    let app = app_with_smtp(&sink.url()).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::En);
    let investigator = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let fields: &[&[&str]] = &[
        &["title"],
        &["product"],
        &["therapeutic_area"],
        &["background"],
        &["publication_plan"],
        &["principal_investigator", "name"],
        &["principal_investigator", "institution"],
        &["co_investigators", "0", "name"],
        &["budget_items", "0", "label"],
        &["conflict_of_interest", "text"],
    ];
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/register")).await;
    for (i, text) in samples(24).iter().enumerate() {
        for field in fields {
            let mut proposal = complete_proposal();
            set_path(&mut proposal, field, text);
            let created = app
                .post_json(&investigator.token, "/api/v1/proposals", &proposal)
                .await;
            assert_handled(created.status(), &format!("proposal {field:?}"));
        }
        let user = app
            .post_json(
                &admin.token,
                "/api/v1/users",
                &json!({"email": format!("u{i}@example.jp"), "display_name": text, "role": "msl"}),
            )
            .await;
        assert_handled(user.status(), "create user");
        let current = app
            .get(&admin.token, &format!("/api/v1/users/{}", investigator.id))
            .await;
        let etag = current.headers()["etag"].to_str().unwrap().to_string();
        let renamed = app
            .patch_json(
                &admin.token,
                &format!("/api/v1/users/{}", investigator.id),
                Some(&etag),
                &json!({"display_name": text}),
            )
            .await;
        assert_handled(renamed.status(), "rename user");
        let org = app
            .post_json(
                &admin.token,
                "/api/v1/organizations",
                &json!({"name": text, "kind": "cro"}),
            )
            .await;
        assert_handled(org.status(), "organisation");
        let registered = browser
            .post(app.url("/register"))
            .form(&[
                ("display_name", text.as_str()),
                ("email", &format!("r{i}@example.jp")),
                ("lang", "ja"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_handled(registered.status(), "register");
        let link = browser
            .post(app.url("/signin/email"))
            .form(&[("email", text.as_str()), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_handled(link.status(), "sign-in link");
        let password = browser
            .post(app.url("/signin"))
            .form(&[
                ("email", text.as_str()),
                ("password", "whatever-it-is"),
                ("csrf_token", &csrf),
                ("next", text.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let status = password.status();
        assert!(
            status == 200 || status == 401 || status == 422 || status == 429,
            "password sign-in: answered {status}"
        );
    }

    // The mail that matters still goes out: a submission (receipt and admin notice) and a
    // registration.
    let created = app
        .post_json(
            &investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await;
    let id = json(created).await["id"].as_str().unwrap().to_string();
    let submitted = app
        .post_json(
            &investigator.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(submitted.status(), 200);

    // Everything queued is delivered: nothing pending, nothing dead.
    let mut conn = app.conn();
    let mut settled = false;
    for _ in 0..200 {
        let counts = liaison::store::outbox::count_by_status(&mut conn).unwrap();
        if counts.iter().all(|(status, _)| status == "sent") {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let counts = liaison::store::outbox::count_by_status(&mut conn).unwrap();
    assert!(settled, "every message delivered: {counts:?}");
    let messages = sink.messages();
    let sent: i64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(messages.len() as i64, sent);
    assert!(
        messages
            .iter()
            .any(|m| parse(m).to.contains("yamada@example.jp")),
        "the investigator's receipt arrived"
    );
    for raw in &messages {
        let text = String::from_utf8_lossy(raw);
        assert!(
            !text.to_ascii_lowercase().contains("bcc:") && !text.contains("victim@"),
            "no header was injected: {text}"
        );
    }
    let ready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.status(),
        200,
        "the worker is alive and the service ready"
    );
    let metrics = app
        .api
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("liaison_worker_panics 0"), "{metrics}");
    assert!(metrics.contains("liaison_outbox_dead 0"), "{metrics}");
}

#[actix_web::test]
async fn a_poisoned_name_in_the_outbox_neither_stops_delivery_nor_injects_a_header() {
    let sink = SmtpSink::start(0).await;
    let app = app_with_smtp(&sink.url()).await;
    // As if stored before names were checked: straight into the outbox.
    let mut conn = app.conn();
    liaison::db::write_tx(&mut conn, |conn| {
        let mut recipients = vec![Recipient {
            email: "mallory@example.jp".into(),
            name: "Mallory\r\nBcc: victim@example.test".into(),
            lang: Lang::En,
        }];
        for i in 0..3 {
            recipients.push(Recipient {
                email: format!("person{i}@example.jp"),
                name: format!("Person {i}"),
                lang: Lang::Ja,
            });
        }
        for to in &recipients {
            notify::enqueue(
                conn,
                to,
                &Email::SignInLink {
                    path: "/signin/link?token=x".into(),
                    minutes: 15,
                },
            )?;
        }
        Ok::<(), liaison::error::AppError>(())
    })
    .unwrap();
    let messages = sink.wait_for(4, 30).await;
    assert_eq!(
        messages.len(),
        4,
        "every message delivered, the poisoned one too"
    );
    for raw in &messages {
        let text = String::from_utf8_lossy(raw);
        assert!(!text.contains("victim@example.test"), "{text}");
    }
    let poisoned = messages
        .iter()
        .map(|m| parse(m))
        .find(|m| m.to.contains("mallory@example.jp"))
        .expect("the poisoned row was delivered");
    assert!(!poisoned.to.contains("Bcc"), "{}", poisoned.to);
    // And the worker is still there for the next one.
    let mut conn = app.conn();
    notify::enqueue(
        &mut conn,
        &Recipient {
            email: "later@example.jp".into(),
            name: "Later".into(),
            lang: Lang::En,
        },
        &Email::SignInLink {
            path: "/x".into(),
            minutes: 15,
        },
    )
    .unwrap();
    assert_eq!(sink.wait_for(5, 30).await.len(), 5);
}

#[actix_web::test]
async fn readyz_turns_unready_when_due_mail_waits_and_no_worker_makes_progress() {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.worker_stall = Duration::from_secs(1);
    })
    .await;
    let ready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "nothing is due");
    let mut conn = app.conn();
    notify::enqueue(
        &mut conn,
        &Recipient {
            email: "a@example.jp".into(),
            name: "A".into(),
            lang: Lang::En,
        },
        &Email::SignInLink {
            path: "/x".into(),
            minutes: 15,
        },
    )
    .unwrap();
    let ready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "due for less than the stall time");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let unready = app.api.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(unready.status(), 503);
    assert_eq!(
        unready.headers()["content-type"],
        "application/problem+json"
    );
    let metrics = app
        .api
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("liaison_outbox_pending 1"), "{metrics}");
    assert!(metrics.contains("liaison_outbox_in_flight 0"), "{metrics}");
    let age_line = metrics
        .lines()
        .find(|l| l.starts_with("liaison_outbox_oldest_pending_age_seconds "))
        .expect("age gauge");
    let age: f64 = age_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(age >= 1.0, "{age_line}");
}

#[actix_web::test]
async fn two_hundred_sign_in_requests_for_one_address_queue_no_more_than_the_limit() {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.mail_per_address_per_hour = 5;
        s.mail_per_client_per_hour = 1000;
    })
    .await;
    app.user("target@example.jp", Role::Investigator, Lang::Ja);
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    let mut pages = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let response = browser
            .post(app.url("/signin/email"))
            .form(&[("email", "target@example.jp"), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        pages.insert(response.text().await.unwrap());
    }
    assert_eq!(pages.len(), 1, "the answer never changes");
    let mut conn = app.conn();
    let queued =
        liaison::store::outbox::for_recipient(&mut conn, "email", "target@example.jp", 500)
            .unwrap();
    assert_eq!(queued.len(), 5, "no more than the limit per address");

    // Registration of a third party's address is limited the same way.
    for _ in 0..50 {
        let response = browser
            .post(app.url("/register"))
            .form(&[
                ("display_name", "Someone"),
                ("email", "victim@example.jp"),
                ("lang", "en"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let queued =
        liaison::store::outbox::for_recipient(&mut conn, "email", "victim@example.jp", 500)
            .unwrap();
    assert!(
        (1..=5).contains(&queued.len()),
        "{} mails to a third party",
        queued.len()
    );
}

#[actix_web::test]
async fn one_client_cannot_mail_many_addresses_beyond_its_limit() {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.mail_per_address_per_hour = 5;
        s.mail_per_client_per_hour = 10;
    })
    .await;
    for i in 0..15 {
        app.user(&format!("p{i}@example.jp"), Role::Msl, Lang::Ja);
    }
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    for i in 0..15 {
        let response = browser
            .post(app.url("/signin/email"))
            .form(&[
                ("email", format!("p{i}@example.jp").as_str()),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    let mut conn = app.conn();
    let counts = liaison::store::outbox::count_by_status(&mut conn).unwrap();
    let queued: i64 = counts.iter().map(|(_, n)| n).sum();
    assert_eq!(queued, 10, "no more than the limit per client");
}

/// Signs in with a password by hand and returns the cookies (`liaison_csrf`, `liaison_session`).
async fn manual_sign_in(app: &TestApp, email: &str) -> (String, String) {
    let user = app.user(email, Role::Investigator, Lang::En);
    let browser = app.signed_in_browser(&user).await;
    drop(browser);
    let client = &app.api;
    let page = client.get(app.url("/signin")).send().await.unwrap();
    let csrf_cookie = cookie(&page, "liaison_csrf").unwrap();
    let html = page.text().await.unwrap();
    let token = crate::helpers::hidden_value(&html, "csrf_token").unwrap();
    let signed_in = client
        .post(app.url("/signin"))
        .header("Cookie", format!("liaison_csrf={csrf_cookie}"))
        .form(&[
            ("email", email),
            ("password", "correct-horse-battery"),
            ("csrf_token", &token),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let session = cookie(&signed_in, "liaison_session").unwrap();
    (csrf_cookie, session)
}

fn cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

#[actix_web::test]
async fn a_csrf_token_from_another_session_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    let (csrf_a, session_a) = manual_sign_in(&app, "a@example.jp").await;
    let (_, session_b) = manual_sign_in(&app, "b@example.jp").await;
    // The token of a page rendered in session A, with A's CSRF cookie.
    let page = app
        .api
        .get(app.url("/"))
        .header(
            "Cookie",
            format!("liaison_csrf={csrf_a}; liaison_session={session_a}"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token_a = crate::helpers::hidden_value(&page, "csrf_token").unwrap();
    let sign_out_in = |session: String| {
        let request = app
            .api
            .post(app.url("/signout"))
            .header(
                "Cookie",
                format!("liaison_csrf={csrf_a}; liaison_session={session}"),
            )
            .form(&[("csrf_token", token_a.as_str())]);
        async move { request.send().await.unwrap().status() }
    };
    // Sent in session B (same CSRF cookie): refused. In its own session it works.
    assert_eq!(sign_out_in(session_b).await, 403);
    assert_eq!(sign_out_in(session_a.clone()).await, 303);
}

#[actix_web::test]
async fn a_form_post_from_another_site_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    let post = |origin: Option<String>, referer: Option<String>| {
        let mut request = browser
            .post(app.url("/signin/email"))
            .form(&[("email", "x@example.jp"), ("csrf_token", &csrf)]);
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        request.send()
    };
    assert_eq!(
        post(Some("https://evil.test".into()), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(None, Some("https://evil.test/page".into()))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(Some(app.address.clone()), None)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        post(None, Some(app.url("/signin"))).await.unwrap().status(),
        200
    );
    assert_eq!(post(None, None).await.unwrap().status(), 200);
}

#[actix_web::test]
async fn hsts_is_sent_only_when_the_base_url_is_https() {
    let plain = spawn_app_with(|_| {}).await;
    let response = plain.api.get(plain.url("/healthz")).send().await.unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
    let https = spawn_app_with(|s| s.base_url = "https://liaison.example.jp".into()).await;
    let response = https.api.get(https.url("/healthz")).send().await.unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

#[actix_web::test]
async fn metrics_can_require_a_bearer_token() {
    let app = spawn_app_with(|s| s.metrics_token = Some("m".repeat(40))).await;
    let status = |token: Option<String>| {
        let mut request = app.api.get(app.url("/metrics"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().status() }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("x".repeat(40))).await, 401);
    assert_eq!(status(Some("m".repeat(40))).await, 200);
}

#[actix_web::test]
async fn the_generated_key_is_kept_outside_the_database_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app_with(|_| {}).await;
    let path = app.settings.secret_key_path();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
    let mut conn = app.conn();
    assert_eq!(
        liaison::store::settings::get(&mut conn, "secret_key").unwrap(),
        None,
        "no key in the database"
    );
    if !app.is_postgres() {
        let db = std::fs::metadata(&app.settings.database_url).unwrap();
        assert_eq!(db.permissions().mode() & 0o777, 0o600, "the SQLite file");
    }
}

#[actix_web::test]
async fn a_key_an_earlier_version_kept_in_the_database_moves_to_the_key_file() {
    use diesel::RunQueryDsl;
    let dir = tempfile::tempdir().unwrap();
    let (mut settings, pg) = crate::helpers::settings_for_new_database(&dir);
    settings.secret_key_file = Some(dir.path().join("moved.key"));
    let mut conn = liaison::startup::open_database(&settings).unwrap();
    let legacy = "l".repeat(43);
    diesel::sql_query(format!(
        "INSERT INTO app_settings (key, value) VALUES ('secret_key', '{legacy}')"
    ))
    .execute(&mut conn)
    .unwrap();
    let key = liaison::startup::secret_key(&mut conn, &settings).unwrap();
    let expected = liaison::auth::secrets::SecretKey::new(legacy.clone().into_bytes());
    assert_eq!(
        key.mac_hex("t", "v"),
        expected.mac_hex("t", "v"),
        "same key"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("moved.key")).unwrap(),
        legacy
    );
    assert_eq!(
        liaison::store::settings::get(&mut conn, "secret_key").unwrap(),
        None
    );
    drop(conn);
    crate::helpers::drop_database(&pg);
}

#[actix_web::test]
async fn hostile_text_in_the_web_proposal_form_comes_back_beside_its_field_with_what_was_typed() {
    let app = spawn_app_with(|_| {}).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let browser = app.signed_in_browser(&yamada).await;
    let csrf = csrf_from(&browser, &app.url("/proposals/new")).await;
    let cases = [
        (
            "title",
            "題名\r\nBcc: victim@example.test",
            "control_character",
        ),
        (
            "principal_investigator.name",
            "山田\u{202E}太郎",
            "bidi_control",
        ),
        ("background", "背景\u{0}", "control_character"),
    ];
    for (field, text, _code) in cases {
        let response = browser
            .post(app.url("/proposals"))
            .form(&[
                (field, text),
                (
                    "background",
                    if field == "background" {
                        text
                    } else {
                        "背景\n二行目"
                    },
                ),
                ("csrf_token", &csrf),
                ("intent", "save"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{field}");
        let html = response.text().await.unwrap();
        let error_id = format!("id=\"{}-error\"", field.replace(['.', '[', ']'], "-"));
        assert!(
            html.contains("改行や制御文字") || html.contains("双方向テキスト"),
            "{field}: a Japanese message"
        );
        assert!(
            html.contains(&error_id),
            "{field}: the error sits beside its field"
        );
        let typed = text.trim_end_matches('\u{0}');
        assert!(
            html.contains(typed.split(['\r', '\n']).next_back().unwrap_or(typed)),
            "{field}: what was typed comes back"
        );
    }
    let mut conn = app.conn();
    let stored = liaison::store::outbox::count_by_status(&mut conn).unwrap();
    assert!(stored.is_empty(), "nothing saved, nothing queued");
}
