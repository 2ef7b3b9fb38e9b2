//! In headless Chromium (`.ci/run` installs it): an admin opens the programme dashboard and the
//! insight report; both draw their charts as SVG with a title, a description and a table,
//! without JavaScript.

use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{json, spawn_app_with};

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn an_admin_opens_the_programme_dashboard_and_the_insight_report_in_a_real_browser() {
    assert!(
        std::path::Path::new("/usr/bin/chromedriver").exists(),
        "chromedriver is not installed"
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let created = json(
        app.post_json(
            &msl.token,
            "/api/v1/insights",
            &json!({"title": "腎機能と用量", "body": "用量調整の実態", "category": "unmet_need",
                    "source": "congress", "therapeutic_area": "糖尿病"}),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    app.post_json(
        &msl.token,
        &format!("/api/v1/insights/{id}/submit"),
        &json!({}),
    )
    .await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = KillOnDrop(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            // No JavaScript: the pages must work without it.
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,2400", "--lang=ja", format!("--user-data-dir={}", profile.path().display())],
            "prefs": {"intl.accept_languages": "ja", "profile.managed_default_content_settings.javascript": 2},
        }),
    );
    let mut client = None;
    for _ in 0..50 {
        if let Ok(c) = ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let browser = client.expect("connected to chromedriver");

    // Signed in as the admin with a password, through the sign-in form.
    {
        let mut conn = app.conn();
        let hash = liaison::auth::password::hash_password("correct horse battery").unwrap();
        liaison::store::users::set_password_hash(&mut conn, &admin.id, &hash).unwrap();
    }
    browser.goto(&app.url("/signin")).await.unwrap();
    browser
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("admin@example.jp")
        .await
        .unwrap();
    browser
        .find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("correct horse battery")
        .await
        .unwrap();
    browser
        .find(Locator::Css("form[action='/signin'] button[type='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut signed_in = false;
    for _ in 0..300 {
        if !browser
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/signin")
        {
            signed_in = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signed_in, "signed in within 30 s");

    // The dashboard, reached from the navigation.
    browser.goto(&app.url("/")).await.unwrap();
    browser
        .find(Locator::Css("nav a[href='/programme']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .for_element(Locator::Css("#chart-pipeline svg"))
        .await
        .unwrap();
    let title = browser
        .find(Locator::Css("#chart-pipeline svg title"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert_eq!(title, "状態別の研究提案（パイプライン）");
    for chart in [
        "chart-pipeline",
        "chart-approval",
        "chart-enrollment",
        "chart-outputs",
    ] {
        browser
            .find(Locator::Id(chart))
            .await
            .unwrap_or_else(|_| panic!("{chart} missing"));
    }
    let table = browser
        .find(Locator::Css("#chart-pipeline table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("提出済み"), "{table}");

    // The insight report, with the submitted insight counted and its charts drawn.
    browser.goto(&app.url("/reports/insights")).await.unwrap();
    let total = browser
        .find(Locator::Id("insight-total"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(total.starts_with('1'), "{total}");
    let bars = browser
        .find_all(Locator::Css("#chart-category svg rect"))
        .await
        .unwrap();
    assert!(bars.len() >= 10, "two bars per category: {}", bars.len());
    let desc = browser
        .find(Locator::Css("#chart-category svg desc"))
        .await
        .unwrap()
        .html(true)
        .await
        .unwrap();
    assert!(desc.contains("カテゴリ別件数"), "{desc}");
    let example = browser
        .find(Locator::Css(".insight-example h3"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(example, "腎機能と用量");
    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::write(
        out.join("insight-report.png"),
        browser.screenshot().await.unwrap(),
    )
    .unwrap();
    browser.close().await.unwrap();
}
