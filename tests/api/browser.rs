//! End to end in headless Chromium (Debian's chromium + chromium-driver, installed by
//! `.ci/run`): register, verify the emailed link, fill the Japanese form, see an error, fix
//! it, submit, see the reference number. The screenshot lands in the test output folder.

use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::helpers::spawn_app_with;
use crate::smtp_sink::{SmtpSink, parse};

const FIELDS: &[(&str, &str)] = &[
    ("title", "日本人2型糖尿病患者におけるLIA-101の腎保護効果"),
    ("therapeutic_area", "糖尿病"),
    ("product", "LIA-101"),
    ("phase", "IV"),
    ("background", "背景"),
    ("objectives", "目的"),
    ("hypothesis", "仮説"),
    ("design", "多施設共同無作為化比較試験"),
    ("primary_endpoint", "eGFR変化量"),
    ("secondary_endpoints", "HbA1c"),
    ("planned_sample_size", "百二十"),
    ("planned_sites", "8"),
    ("principal_investigator.institution", "東都大学病院"),
    ("principal_investigator.department", "腎臓内科"),
    ("principal_investigator.orcid", "0000-0002-1825-0097"),
    ("requested_support.funding_amount", "15000000"),
    ("budget_items[0].label", "データ管理"),
    ("budget_items[0].amount", "5000000"),
    ("ethics_committee", "東都大学臨床研究審査委員会"),
    ("publication_plan", "論文化する"),
];

fn field_id(name: &str) -> String {
    name.replace(['.', '[', ']'], "-")
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn a_physician_registers_and_submits_a_japanese_proposal_in_a_real_browser() {
    assert!(
        std::path::Path::new("/usr/bin/chromedriver").exists(),
        "chromedriver is not installed"
    );
    // Two rustls crypto backends are linked into the test binary; pick one explicitly.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(smtp);
        s.outbox_poll = Duration::from_millis(50);
    })
    .await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Killed on drop, also when an assertion fails half way.
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
        serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,2400", "--lang=ja", format!("--user-data-dir={}", profile.path().display())],
            "prefs": {"intl.accept_languages": "ja"},
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

    // Register.
    browser.goto(&app.url("/register")).await.unwrap();
    browser
        .find(Locator::Id("display_name"))
        .await
        .unwrap()
        .send_keys("山田 花子")
        .await
        .unwrap();
    browser
        .find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("hanako@example.jp")
        .await
        .unwrap();
    browser
        .find(Locator::Css(
            "form[action='/register'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mail = parse(&sink.wait_for(1, 30).await[0]);
    let start = mail.text.find("http://").expect("a link in the email");
    let link = mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // Verify the address through the emailed link (a confirm button, then signed in).
    browser.goto(&link).await.unwrap();
    browser
        .find(Locator::Css(
            "form[action='/signin/link'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click only starts the sign-in POST; navigating away before its answer has set the
    // session cookie would cancel it (seen once under CI load), so wait to leave /signin.
    let mut signed_in = false;
    for _ in 0..300 {
        let url = browser.current_url().await.unwrap();
        if !url.path().starts_with("/signin") {
            signed_in = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(signed_in, "the emailed link signs the user in within 30 s");
    browser.goto(&app.url("/proposals/new")).await.unwrap();

    // Fill the form in Japanese, with a number written in kanji: the server points at it.
    for (name, value) in FIELDS {
        let element = browser
            .find(Locator::Id(&field_id(name)))
            .await
            .unwrap_or_else(|_| panic!("field {name}"));
        element.clear().await.unwrap();
        element.send_keys(value).await.unwrap();
    }
    for (name, value) in [("study_type", "interventional"), ("registry", "jrct")] {
        browser
            .find(Locator::Id(name))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    for name in ["planned_start", "planned_end"] {
        let value = if name == "planned_start" {
            "2027-04-01"
        } else {
            "2029-03-31"
        };
        browser
            .execute(
                &format!("document.getElementById('{name}').value = '{value}';"),
                vec![],
            )
            .await
            .unwrap();
    }
    for name in [
        "independence.investigator_holds_data",
        "independence.right_to_publish",
    ] {
        browser
            .find(Locator::Id(&field_id(name)))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    browser
        .find(Locator::Css("button[name='intent'][value='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The click only starts the form's POST: under load its answer can take a while.
    let error = browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Id("planned_sample_size-error"))
        .await
        .expect("the error beside the field");
    let message = error.text().await.unwrap();
    assert!(
        !message.trim().is_empty(),
        "an error message beside the field"
    );

    // Fix it and submit again.
    let size = browser
        .find(Locator::Id("planned_sample_size"))
        .await
        .unwrap();
    size.clear().await.unwrap();
    size.send_keys("120").await.unwrap();
    browser
        .find(Locator::Css("button[name='intent'][value='submit']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let mut url = String::new();
    for _ in 0..300 {
        url = browser.current_url().await.unwrap().to_string();
        if !url.ends_with("/edit") && !url.ends_with("/proposals") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        !url.ends_with("/edit") && !url.ends_with("/proposals"),
        "redirected to the proposal page, at {url}"
    );
    let reference = browser
        .find(Locator::Css(".eyebrow"))
        .await
        .expect("the reference line")
        .text()
        .await
        .unwrap();
    assert!(
        reference.starts_with("IIS-20"),
        "the reference number is shown: {reference}"
    );

    let screenshot = browser.screenshot().await.unwrap();
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("submitted-proposal.png"), screenshot).unwrap();
    println!(
        "screenshot: {}",
        out.join("submitted-proposal.png").display()
    );
    browser.close().await.unwrap();
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
