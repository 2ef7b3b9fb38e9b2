//! Issue #19's path in headless Chromium (the shared harness): an admin activates an approved
//! study after confirming, downloads the disclosure CSV with the session, reads the audit
//! trail, creates a CRO with a key and a webhook, assigns it to the study and invites a person
//! of that CRO, who signs in by the emailed link, records enrollment and sets a password. Every new page is
//! checked with axe-core and for sideways scrolling; screenshots land in
//! `$CARGO_TARGET_DIR/tmp/browser/`.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;

use crate::browser_harness::{Browser, DESKTOP};
use crate::helpers::spawn_app_with;
use crate::smtp_sink::{SmtpSink, parse};
use crate::study::approved_study;

/// Screenshot, no sideways scrolling, and 0 axe-core violations on the current page.
async fn check_page(browser: &Browser, name: &str) {
    browser.screenshot(name).await;
    browser.assert_no_horizontal_scroll(name).await;
    browser.assert_axe_clean(name).await;
}

async fn wait_for(browser: &Browser, css: &str) -> fantoccini::elements::Element {
    match browser
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => element,
        Err(_) => {
            let shot = browser.screenshot("parity-wait-failed").await;
            panic!(
                "waited 30 s for {css} on {}; screenshot {}",
                browser.path().await,
                shot.display()
            )
        }
    }
}

async fn set_value(browser: &Browser, id: &str, value: &str) {
    browser
        .eval(&format!(
            "document.getElementById('{id}').value = '{value}'; return true;"
        ))
        .await;
}

async fn select(browser: &Browser, id: &str, value: &str) {
    browser
        .client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("select #{id}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("select {value} in #{id}: {e}"));
}

#[actix_web::test]
#[ignore = "needs Chromium and chromedriver: .ci/run installs them and passes --include-ignored"]
async fn an_admin_runs_a_study_and_its_cro_in_the_browser_and_the_cro_records_enrollment() {
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(smtp);
        s.outbox_poll = Duration::from_millis(50);
    })
    .await;
    let study = approved_study(&app).await;
    let id = study.id.clone();
    let browser = Browser::start(&app, "ja", DESKTOP).await;
    browser.sign_in(&app, &study.admin).await;

    // 1. Gates on the study page, then activation through its confirmation page.
    browser.goto(&format!("/proposals/{id}")).await;
    assert!(
        browser
            .client
            .find(Locator::Css(&format!("a[href='/proposals/{id}/activate']")))
            .await
            .is_err(),
        "no activation before the gates are met"
    );
    for (field, value) in [
        ("gates-contract_signed_on", "2026-10-01"),
        ("gates-ethics_approved_on", "2026-10-15"),
    ] {
        set_value(&browser, field, value).await;
    }
    browser
        .fill("gates-ethics_committee", "東都大学臨床研究審査委員会")
        .await;
    browser
        .fill("gates-ethics_approval_number", "CRB-2026-001")
        .await;
    select(&browser, "gates-registry", "jrct").await;
    browser.fill("gates-registry_id", "jRCT2031210123").await;
    browser
        .click(&format!(
            "form[action='/proposals/{id}/gates'] button[type='submit']"
        ))
        .await;
    wait_for(&browser, &format!("a[href='/proposals/{id}/activate']"))
        .await
        .click()
        .await
        .expect("open the activation page");
    wait_for(&browser, "input#confirm").await;
    check_page(&browser, "parity-activate").await;
    browser.click("input#confirm").await;
    browser
        .click(&format!(
            "form[action='/proposals/{id}/activate'] button[type='submit']"
        ))
        .await;
    browser
        .wait_for_path("the study page after activation", |p| {
            p == format!("/proposals/{id}")
        })
        .await;
    wait_for(&browser, ".status-active").await;

    // 2. The disclosure CSV of the chosen fiscal year, fetched with the session cookie.
    browser.goto("/exports").await;
    check_page(&browser, "parity-exports").await;
    select(&browser, "fiscal_year", "2026").await;
    let download = browser
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const f = document.querySelector('form[action=\"/exports/disclosure.csv\"]'); \
             const url = f.action + '?' + new URLSearchParams(new FormData(f)); \
             fetch(url, {credentials: 'same-origin'}) \
               .then(r => r.text().then(t => done([r.status, r.headers.get('content-disposition'), t]))) \
               .catch(e => done([0, '', String(e)]));",
            vec![],
        )
        .await
        .expect("download");
    assert_eq!(download[0], Value::from(200), "{download}");
    assert!(
        download[1]
            .as_str()
            .unwrap_or_default()
            .contains("disclosure-FY2026.csv")
    );
    assert!(
        download[2]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches('\u{feff}')
            // The reader's language by default (codes with `codes=1`).
            .starts_with("年度,登録番号"),
        "{download}"
    );

    // 3. The audit trail, with the activation in it.
    browser.goto(&format!("/proposals/{id}/audit")).await;
    check_page(&browser, "parity-audit").await;
    let trail = wait_for(&browser, "table.audit-table")
        .await
        .text()
        .await
        .unwrap();
    assert!(trail.contains("proposal.activate"), "{trail}");

    // 4. A CRO with an API key (shown once) and a webhook.
    browser.goto("/admin/organizations").await;
    check_page(&browser, "parity-organizations").await;
    browser.fill("org-name", "東京臨床研究サポート").await;
    browser
        .click("form[action='/admin/organizations'] button[type='submit']")
        .await;
    let org_path = browser
        .wait_for_path("the new organisation's page", |p| {
            p.starts_with("/admin/organizations/")
        })
        .await;
    let org = org_path
        .trim_start_matches("/admin/organizations/")
        .to_string();
    check_page(&browser, "parity-organization").await;
    browser.fill("key-name", "EDC連携").await;
    browser
        .click(&format!(
            "form[action='{org_path}/keys'] button[type='submit']"
        ))
        .await;
    let key = wait_for(&browser, "#new-key")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(key.len() > 20, "a key is shown: {key}");
    check_page(&browser, "parity-organization-new-key").await;
    assert_eq!(app.get(&key, "/api/v1/proposals").await.status(), 200);
    browser
        .fill("webhook-url", "https://93.184.216.34/liaison")
        .await;
    browser
        .click(&format!(
            "form[action='{org_path}/webhooks'] button[type='submit']"
        ))
        .await;
    wait_for(&browser, "#new-secret").await;

    // 5. The CRO on the study, with its role.
    browser.goto(&format!("/proposals/{id}")).await;
    select(&browser, "cro-organization_id", &org).await;
    select(&browser, "cro-role", "monitoring").await;
    browser
        .click(&format!(
            "form[action='/proposals/{id}/cro'] button[type='submit']"
        ))
        .await;
    let panel = wait_for(&browser, "section.cro-panel ul.cro-list").await;
    assert!(panel.text().await.unwrap().contains("東京臨床研究サポート"));

    // 6. Invite a person of the CRO.
    browser.goto(&org_path).await;
    browser.fill("member-email", "sato@cro.example.jp").await;
    browser.fill("member-name", "佐藤 一郎").await;
    browser
        .click(&format!(
            "form[action='{org_path}/members'] button[type='submit']"
        ))
        .await;
    browser
        .wait_for_path("the organisation page after inviting", |p| {
            p.contains("invited=1")
        })
        .await;
    check_page(&browser, "parity-organization-invited").await;
    let mails = sink.wait_for(1, 30).await;
    let invitation = mails
        .iter()
        .map(|m| parse(m))
        .find(|m| m.to.contains("sato@cro.example.jp"))
        .expect("the invitation email");
    let start = invitation.text.find("http://").expect("a link");
    let link = invitation.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // 7. The CRO person signs in by the link and records enrollment.
    browser
        .click("form.signout-form button[type='submit']")
        .await;
    browser
        .wait_for_path("signing out", |p| p.starts_with("/signin") || p == "/")
        .await;
    browser.client.goto(&link).await.unwrap();
    browser
        .click("form[action='/signin/link'] button[type='submit']")
        .await;
    browser
        .wait_for_path("the emailed link to sign the CRO in", |p| {
            !p.starts_with("/signin")
        })
        .await;
    browser.goto(&format!("/proposals/{id}")).await;
    set_value(
        &browser,
        "enrollment-as_of",
        &chrono::Utc::now().date_naive().to_string(),
    )
    .await;
    browser.fill("enrollment-count", "12").await;
    browser
        .click(&format!(
            "form[action='/proposals/{id}/enrollment'] button[type='submit']"
        ))
        .await;
    let table = wait_for(&browser, "table.enrollment-table").await;
    assert!(table.text().await.unwrap().contains("12"));
    browser.screenshot("parity-cro-enrollment").await;
    let enrollment = crate::helpers::json(
        app.get(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
        )
        .await,
    )
    .await;
    assert!(enrollment.to_string().contains("12"), "{enrollment}");

    // 8. Just signed in by link, the CRO person sets a password on their profile page.
    browser.goto("/profile").await;
    check_page(&browser, "parity-profile").await;
    browser.fill("new_password", "a-long-cro-password").await;
    browser
        .click("form[action='/profile/password'] button[type='submit']")
        .await;
    browser
        .wait_for_path("the profile after setting a password", |p| {
            p.contains("saved=1")
        })
        .await;
    browser.close().await;
}
