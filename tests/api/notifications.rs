use std::collections::BTreeSet;
use std::time::Duration;

use liaison::domain::{Lang, Role};
use liaison::notify::{self, Email, Recipient};
use serde_json::json;

use crate::helpers::{TestApp, complete_proposal, csrf_from, hidden_value, json, spawn_app_with};
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

async fn submit_new(app: &TestApp, token: &str) -> String {
    let created = app
        .post_json(token, "/api/v1/proposals", &complete_proposal())
        .await;
    let id = json(created).await["id"].as_str().unwrap().to_string();
    let submitted = app
        .post_json(
            token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    json(submitted).await["reference"]
        .as_str()
        .unwrap()
        .to_string()
}

#[actix_web::test]
async fn the_submission_receipt_arrives_by_smtp_in_japanese_with_the_reference() {
    let sink = SmtpSink::start(0).await;
    let app = app_with_smtp(&sink.url()).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    app.user("admin@example.jp", Role::Admin, Lang::En);
    let reference = submit_new(&app, &yamada.token).await;

    let messages = sink.wait_for(2, 20).await;
    assert_eq!(messages.len(), 2, "receipt and admin notice");
    let mails: Vec<_> = messages.iter().map(|m| parse(m)).collect();
    let receipt = mails
        .iter()
        .find(|m| m.to.contains("yamada@example.jp"))
        .expect("receipt to the investigator");
    assert!(receipt.subject.contains(&reference), "{}", receipt.subject);
    assert!(
        receipt.subject.contains("受け付けました"),
        "Japanese subject: {}",
        receipt.subject
    );
    assert!(receipt.text.contains(&reference));
    assert!(receipt.text.contains("研究課題名"));
    assert!(receipt.html.contains(&reference));
    assert!(receipt.message_id.starts_with('<') && receipt.message_id.contains("@127.0.0.1>"));
    // RFC 3834: every notification says a program sent it.
    for mail in &mails {
        assert_eq!(mail.auto_submitted, "auto-generated", "{}", mail.subject);
    }
    // The link in the HTML part is a plain URL, the same as in the text part.
    let link = receipt
        .text
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1"))
        .expect("a link in the text part")
        .to_string();
    assert!(link.contains("/proposals/"), "{link}");
    assert!(
        receipt.html.contains(&format!("href=\"{link}\"")),
        "{link} in {}",
        receipt.html
    );
    assert!(!receipt.html.contains("&#x2f;"), "{}", receipt.html);
    let notice = mails
        .iter()
        .find(|m| m.to.contains("admin@example.jp"))
        .expect("notice to the admin");
    assert!(
        notice.subject.contains("new proposal submitted"),
        "English for an English admin: {}",
        notice.subject
    );
}

#[actix_web::test]
async fn with_smtp_down_100_submissions_succeed_and_exactly_100_receipts_arrive_later() {
    let sink = SmtpSink::start(0).await;
    sink.stop();
    let app = app_with_smtp(&sink.url()).await;
    let user = app.user("many@example.jp", Role::Investigator, Lang::Ja);
    for _ in 0..100 {
        submit_new(&app, &user.token).await;
    }
    // Every receipt has been tried and has failed while the server is down.
    let mut failing = 0;
    for _ in 0..600 {
        let mut conn = app.conn();
        failing = liaison::store::outbox::list(&mut conn, None, None, 500)
            .unwrap()
            .iter()
            .filter(|m| m.event == "submission_receipt" && m.attempts >= 1 && m.sent_at.is_none())
            .count();
        if failing == 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        failing, 100,
        "all 100 receipts queued and failing while SMTP is down"
    );
    assert!(sink.messages().is_empty());

    let up = sink.restart().await;
    let received = up.wait_for(100, 60).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received_after = up.messages();
    assert_eq!(received.len(), 100);
    assert_eq!(received_after.len(), 100, "nothing sent twice");
    let ids: BTreeSet<String> = received_after.iter().map(|m| parse(m).message_id).collect();
    assert_eq!(ids.len(), 100, "100 distinct messages");
}

fn admin_token(app: &TestApp) -> String {
    let mut conn = app.conn();
    let admin =
        match liaison::store::users::find_by_email(&mut conn, "ops-admin@example.jp").unwrap() {
            Some(user) => user,
            None => {
                let created = app.user("ops-admin@example.jp", Role::Admin, Lang::En);
                liaison::store::users::find(&mut conn, &created.id).unwrap()
            }
        };
    let key = liaison::startup::secret_key(&mut conn, &app.settings).unwrap();
    liaison::store::credentials::create_user_token(
        &mut conn,
        &key,
        &admin.id,
        "t",
        chrono::Duration::hours(1),
    )
    .unwrap()
    .0
}

#[actix_web::test]
async fn a_dead_message_is_listed_for_admins_and_can_be_requeued() {
    let sink = SmtpSink::start(0).await;
    sink.stop();
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(url);
        s.outbox_poll = Duration::from_millis(50);
        s.outbox_retry_base = Duration::from_millis(50);
        s.outbox_max_attempts = 2;
    })
    .await;
    let user = app.user("dead@example.jp", Role::Investigator, Lang::Ja);
    submit_new(&app, &user.token).await;
    let token = admin_token(&app);
    let mut dead = json!([]);
    for _ in 0..100 {
        dead = json(app.get(&token, "/api/v1/outbox?status=dead").await).await["items"].clone();
        if !dead.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receipt = dead
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["recipient"] == "dead@example.jp")
        .expect("the receipt went dead after 2 attempts")
        .clone();
    assert_eq!(receipt["attempts"], 2);
    assert!(receipt["last_error"].as_str().is_some());

    let up = sink.restart().await;
    let id = receipt["id"].as_str().unwrap();
    let requeued = app
        .post_json(&token, &format!("/api/v1/outbox/{id}/requeue"), &json!({}))
        .await;
    assert_eq!(requeued.status(), 200);
    let received = up.wait_for(1, 20).await;
    assert!(
        received
            .iter()
            .any(|m| parse(m).to.contains("dead@example.jp"))
    );
}

#[actix_web::test]
async fn registration_sends_a_verification_link_that_signs_the_investigator_in() {
    let sink = SmtpSink::start(0).await;
    let app = app_with_smtp(&sink.url()).await;
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/register")).await;
    let invalid = browser
        .post(app.url("/register"))
        .form(&[
            ("display_name", ""),
            ("email", "not-an-email"),
            ("lang", "ja"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let html = invalid.text().await.unwrap();
    assert!(html.contains("id=\"email-error\"") && html.contains("id=\"display_name-error\""));

    let registered = browser
        .post(app.url("/register"))
        .form(&[
            ("display_name", "鈴木 花子"),
            ("email", "suzuki@example.jp"),
            ("lang", "ja"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);
    let mail = parse(&sink.wait_for(1, 20).await[0]);
    assert!(
        mail.subject.contains("メールアドレスの確認"),
        "{}",
        mail.subject
    );
    let start = mail.text.find("http://").expect("link in the email");
    let link = mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let token = link.split("token=").nth(1).unwrap().to_string();

    let page = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&page, "csrf_token").unwrap();
    let confirmed = browser
        .post(app.url("/signin/link"))
        .form(&[("token", token.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 303);
    assert_eq!(
        browser
            .get(app.url("/proposals/new"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let mut conn = app.conn();
    let user = liaison::store::users::find_by_email(&mut conn, "suzuki@example.jp")
        .unwrap()
        .unwrap();
    assert!(user.email_verified_at.is_some());
    assert_eq!(user.role, "investigator");
}

#[actix_web::test]
async fn the_email_link_form_answers_the_same_for_known_and_unknown_addresses() {
    let sink = SmtpSink::start(0).await;
    let app = app_with_smtp(&sink.url()).await;
    app.user("known@example.jp", Role::Msl, Lang::En);
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    let mut pages = Vec::new();
    for email in ["known@example.jp", "unknown@example.jp"] {
        let response = browser
            .post(app.url("/signin/email"))
            .form(&[("email", email), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        pages.push(response.text().await.unwrap());
    }
    assert_eq!(
        pages[0], pages[1],
        "no difference reveals who is registered"
    );
    let messages = sink.wait_for(1, 20).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages().len(), 1);
    let mail = parse(&messages[0]);
    assert!(mail.to.contains("known@example.jp"));
    assert!(mail.subject.contains("sign-in link"));
    // Once delivered, the secret no longer sits in the outbox.
    let mut conn = app.conn();
    let rows = liaison::store::outbox::list(&mut conn, Some("sent"), None, 10).unwrap();
    assert!(rows.iter().all(|r| !r.data.contains("token=")));
}

#[actix_web::test]
async fn a_message_with_a_used_dedupe_key_is_queued_only_once() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let mut conn = app.conn();
    let to = Recipient {
        email: "pi@example.jp".into(),
        name: "PI".into(),
        lang: Lang::Ja,
    };
    let email = Email::SignInLink {
        path: "/x".into(),
        minutes: 15,
    };
    let first = notify::enqueue_once(&mut conn, &to, &email, "milestone-1:due").unwrap();
    let second = notify::enqueue_once(&mut conn, &to, &email, "milestone-1:due").unwrap();
    assert!(first);
    assert!(!second);
    assert_eq!(
        liaison::store::outbox::list(&mut conn, None, None, 10)
            .unwrap()
            .len(),
        1
    );
}

/// PostgreSQL only: two `liaison worker` processes share one database.
#[actix_web::test]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored (.ci/run does)"]
async fn two_worker_processes_on_postgres_deliver_200_messages_exactly_once() {
    assert!(
        crate::helpers::test_database_url().is_some(),
        "TEST_DATABASE_URL must be set"
    );
    let sink = SmtpSink::start(0).await;
    let app = spawn_app_with(|s| s.run_worker = false).await;
    assert!(app.is_postgres());
    let mut conn = app.conn();
    for i in 0..200 {
        let to = Recipient {
            email: format!("r{i}@example.jp"),
            name: format!("R{i}"),
            lang: Lang::Ja,
        };
        notify::enqueue(
            &mut conn,
            &to,
            &Email::SignInLink {
                path: format!("/x/{i}"),
                minutes: 15,
            },
        )
        .unwrap();
    }
    let spawn_worker = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_liaison"))
            .arg("worker")
            .env("DATABASE_URL", &app.settings.database_url)
            .env("LIAISON_SMTP_URL", sink.url())
            .env("LIAISON_OUTBOX_POLL_MS", "20")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut workers = [spawn_worker(), spawn_worker()];
    let received = sink.wait_for(200, 60).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let all = sink.messages();
    for worker in &mut workers {
        let _ = worker.kill();
        let _ = worker.wait();
    }
    assert_eq!(received.len(), 200);
    assert_eq!(all.len(), 200, "no message delivered twice");
    let recipients: BTreeSet<String> = all.iter().map(|m| parse(m).to).collect();
    assert_eq!(recipients.len(), 200);
    let pending = liaison::store::outbox::list(&mut conn, Some("pending"), None, 10).unwrap();
    assert!(pending.is_empty());
}
