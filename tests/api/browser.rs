//! End to end in headless Chromium (Debian's chromium + chromium-driver, installed by
//! `.ci/run`): register, verify the emailed link, fill the Japanese form, see an error, fix
//! it, submit, see the reference number. The screenshot lands in the test output folder.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser_harness::{Browser, DESKTOP, PHONE};
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
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(smtp);
        s.outbox_poll = Duration::from_millis(50);
    })
    .await;
    let browser = Browser::start(&app, "ja", DESKTOP).await;

    // Register.
    browser.goto("/register").await;
    browser.fill("display_name", "山田 花子").await;
    browser.fill("email", "hanako@example.jp").await;
    browser
        .click("form[action='/register'] button[type='submit']")
        .await;
    let mail = parse(&sink.wait_for(1, 30).await[0]);
    let start = mail.text.find("http://").expect("a link in the email");
    let link = mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // Verify the address through the emailed link (a confirm button, then signed in).
    browser.client.goto(&link).await.unwrap();
    browser
        .click("form[action='/signin/link'] button[type='submit']")
        .await;
    // The click only starts the sign-in POST; navigating away before its answer has set the
    // session cookie would cancel it (seen once under CI load), so wait to leave /signin.
    browser
        .wait_for_path("the emailed link to sign the user in", |p| {
            !p.starts_with("/signin")
        })
        .await;
    browser.goto("/proposals/new").await;

    // Fill the form in Japanese, with a number written in kanji: the server points at it.
    for (name, value) in FIELDS {
        browser.fill(&field_id(name), value).await;
    }
    for (name, value) in [("study_type", "interventional"), ("registry", "jrct")] {
        browser
            .client
            .find(Locator::Id(name))
            .await
            .unwrap()
            .select_by_value(value)
            .await
            .unwrap();
    }
    for (name, value) in [
        ("planned_start", "2027-04-01"),
        ("planned_end", "2029-03-31"),
    ] {
        browser
            .eval(&format!(
                "document.getElementById('{name}').value = '{value}'; return null;"
            ))
            .await;
    }
    for name in [
        "independence.investigator_holds_data",
        "independence.right_to_publish",
    ] {
        browser.click(&format!("#{}", field_id(name))).await;
    }
    browser.click("button[name='intent'][value='submit']").await;
    // The click only starts the form's POST: under load its answer can take a while.
    let error = browser
        .client
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
    browser.fill("planned_sample_size", "120").await;
    browser.click("button[name='intent'][value='submit']").await;
    browser
        .wait_for_path("the proposal page after submitting", |p| {
            !p.ends_with("/edit") && !p.ends_with("/proposals")
        })
        .await;
    let reference = browser
        .client
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
    browser.screenshot("submitted-proposal").await;
    browser.close().await;
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn the_sign_in_page_and_the_dashboard_fit_a_phone_and_pass_axe() {
    let app = spawn_app_with(|_| {}).await;
    let user = app.user(
        "phone@example.jp",
        liaison::domain::Role::Investigator,
        liaison::domain::Lang::En,
    );
    let browser = Browser::start(&app, "en", PHONE).await;
    browser.goto("/signin").await;
    browser.assert_no_horizontal_scroll("signin-phone").await;
    browser.assert_axe_clean("signin-phone").await;
    browser.sign_in(&app, &user).await;
    browser.goto("/").await;
    browser.screenshot("dashboard-phone").await;
    browser.assert_no_horizontal_scroll("dashboard-phone").await;
    browser.assert_axe_clean("dashboard-phone").await;
    browser.close().await;
}
