//! Words: one glossary for every output (web page, email, PDF, CSV), CSV exports with
//! localised labels, the outbox page's subjects and event names, and the proposal form's
//! required marks taken from the submit check.

use std::collections::BTreeSet;

use liaison::domain::Lang;
use liaison::domain::glossary::retired_words_in;
use liaison::domain::proposal::ProposalContent;

use crate::helpers::{TestApp, csrf_from, json};
use crate::study::approved_study;

fn assert_no_retired_words(lang: Lang, what: &str, text: &str) {
    assert_eq!(
        retired_words_in(lang, text),
        Vec::<&str>::new(),
        "{what} ({lang:?}) uses a retired word instead of the glossary's"
    );
}

/// A signed-in browser reading pages in `lang` (the language switch's cookie).
async fn browser_in(app: &TestApp, user: &crate::helpers::TestUser, lang: &str) -> reqwest::Client {
    let browser = app.signed_in_browser(user).await;
    let csrf = csrf_from(&browser, &app.url("/")).await;
    let switched = browser
        .post(app.url("/lang"))
        .form(&[("lang", lang), ("next", "/"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    browser
}

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

async fn pdf_text(app: &TestApp, token: &str, path: &str) -> String {
    let response = app.get(token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    let bytes = response.bytes().await.unwrap();
    pdf_extract::extract_text_from_mem(&bytes).expect("extractable text")
}

async fn csv(app: &TestApp, token: &str, path: &str) -> String {
    let response = app.get(token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[actix_web::test]
async fn web_email_pdf_and_csv_use_the_glossary_terms_in_both_languages() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let id = &study.id;
    // A milestone, so that the status report has its activation-requirements section.
    let milestone = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/milestones"),
            &serde_json::json!({"kind": "first_patient_in", "due_on": "2027-06-01", "owner_role": "investigator"}),
        )
        .await;
    assert_eq!(milestone.status(), 201);

    for (lang, code, reference, requirements, approve) in [
        (Lang::Ja, "ja", "整理番号", "研究開始の要件", "承認"),
        (
            Lang::En,
            "en",
            "Reference",
            "Activation requirements",
            "Approve",
        ),
    ] {
        // Web: the proposal page (reference, activation requirements, decision outcome).
        let browser = browser_in(&app, &study.yamada, code).await;
        let html = page(&browser, &app, &format!("/proposals/{id}")).await;
        for term in [reference, requirements, approve] {
            assert!(html.contains(term), "web {code}: {term} missing");
        }
        assert_no_retired_words(lang, "proposal page", &html);

        // PDF: the summary (reference, decision) and the status report (requirements).
        let summary = pdf_text(
            &app,
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/summary.pdf?lang={code}"),
        )
        .await;
        assert!(summary.contains(reference), "summary {code}: {reference}");
        assert!(summary.contains(approve), "summary {code}: {approve}");
        assert_no_retired_words(lang, "summary PDF", &summary);
        let status = pdf_text(
            &app,
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/status-report.pdf?lang={code}"),
        )
        .await;
        assert!(status.contains(reference), "status report {code}: {status}");
        assert!(status.contains(requirements), "status report {code}");
        assert_no_retired_words(lang, "status report PDF", &status);

        // CSV: column names and status values.
        let studies = csv(
            &app,
            &study.admin.token,
            &format!("/api/v1/exports/studies.csv?lang={code}"),
        )
        .await;
        let header = studies.lines().next().unwrap_or_default();
        assert!(header.contains(reference), "CSV {code} header: {header}");
        assert_no_retired_words(lang, "studies CSV", &studies);

        // Email: every queued message rendered in this language.
        let mut conn = app.conn();
        let queued = liaison::store::outbox::list(&mut conn, None, None, 100).unwrap();
        let mut with_reference = 0;
        for message in queued.iter().filter(|m| m.channel == "email") {
            let rendered = liaison::notify::email::render(
                &message.event,
                code,
                &message.recipient_name,
                &message.data,
                "https://liaison.example",
            )
            .unwrap();
            let all = format!("{}\n{}\n{}", rendered.subject, rendered.text, rendered.html);
            assert_no_retired_words(lang, &message.event, &all);
            if rendered.text.contains(&format!("{reference}："))
                || rendered.text.contains(&format!("{reference}:"))
            {
                with_reference += 1;
            }
            if message.event == "decision" {
                assert!(rendered.text.contains(approve), "decision letter {code}");
            }
        }
        assert!(
            with_reference >= 3,
            "emails {code} label the reference with the glossary's {reference}"
        );
    }
}

#[actix_web::test]
async fn csv_exports_are_in_the_readers_language_with_codes_on_request() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let token = &study.admin.token;
    let milestone = app
        .post_json(
            token,
            &format!("/api/v1/proposals/{}/milestones", study.id),
            &serde_json::json!({"kind": "first_patient_in", "due_on": "2027-06-01", "owner_role": "investigator"}),
        )
        .await;
    assert_eq!(
        milestone.status(),
        201,
        "{}",
        milestone.text().await.unwrap()
    );

    // The admin reads Japanese: words by default.
    let ja = csv(&app, token, "/api/v1/exports/studies.csv").await;
    assert!(ja.starts_with('\u{feff}'), "BOM kept");
    let header = ja.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert_eq!(
        header,
        "整理番号,研究課題名,状態,登録番号,マイルストーン,期限,完了日,超過日数"
    );
    assert!(ja.contains(",承認,"), "status in Japanese: {ja}");
    assert!(
        ja.contains("最初の症例登録 (FPI)"),
        "milestone in Japanese: {ja}"
    );
    assert!(!ja.contains("first_patient_in"));

    let en = csv(&app, token, "/api/v1/exports/studies.csv?lang=en").await;
    assert!(en.contains("Reference,Study title,Status"), "{en}");
    assert!(en.contains("First patient in (FPI)") && en.contains(",Approved,"));

    let codes = csv(&app, token, "/api/v1/exports/studies.csv?codes=1").await;
    assert!(
        codes.contains(
            "reference,title,status,registry_id,milestone,due_on,completed_on,overdue_days"
        )
    );
    assert!(codes.contains(",approved,") && codes.contains("first_patient_in"));

    let disclosure = csv(
        &app,
        token,
        "/api/v1/exports/disclosure.csv?fiscal_year=2026&lang=en",
    )
    .await;
    assert!(disclosure.contains("Fiscal year,Registry ID,Reference,Institution"));
    let disclosure = csv(
        &app,
        token,
        "/api/v1/exports/disclosure.csv?fiscal_year=2026&codes=1",
    )
    .await;
    assert!(disclosure.contains("fiscal_year,registry_id,reference,institution"));

    let bad = app
        .get(token, "/api/v1/exports/studies.csv?codes=maybe")
        .await;
    assert_eq!(bad.status(), 422);

    // The web page: the page's language, and the codes checkbox.
    let browser = browser_in(&app, &study.admin, "en").await;
    let exports = page(&browser, &app, "/exports").await;
    assert!(exports.contains(r#"name="codes" value="1""#));
    let web_en = page(&browser, &app, "/exports/studies.csv").await;
    assert!(web_en.contains("Reference,Study title"), "{web_en}");
    let web_codes = page(&browser, &app, "/exports/studies.csv?codes=1").await;
    assert!(web_codes.contains("reference,title,status"));
}

#[actix_web::test]
async fn localised_csv_values_are_still_protected_against_formulas() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let patched = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{}/milestones", study.id),
            &serde_json::json!({"kind": "custom", "title": "=HYPERLINK(\"http://x\")", "due_on": "2027-06-01", "owner_role": "investigator"}),
        )
        .await;
    assert_eq!(patched.status(), 201, "{}", patched.text().await.unwrap());
    for query in ["", "?codes=1", "?lang=en"] {
        let body = csv(
            &app,
            &study.admin.token,
            &format!("/api/v1/exports/studies.csv{query}"),
        )
        .await;
        assert!(body.contains("'=HYPERLINK"), "{query}: {body}");
        assert!(!body.contains(",=HYPERLINK"), "{query}");
    }
}

#[actix_web::test]
async fn the_outbox_page_shows_subjects_and_event_names_not_codes() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let ja = browser_in(&app, &study.admin, "ja").await;
    let html = page(&ja, &app, "/admin/outbox?status=pending").await;
    assert!(html.contains("提出の受付"), "event name in Japanese");
    assert!(html.contains("審査結果の通知"), "event name in Japanese");
    assert!(
        html.contains("class=\"table-wrap\""),
        "the table scrolls in its box"
    );
    for code in ["submission_receipt", "new_submission", "decision<"] {
        assert!(!html.contains(&format!(">{code}")), "raw code {code} shown");
    }
    // The subject, as the recipient (Japanese here) receives it.
    let mut conn = app.conn();
    let receipt = liaison::store::outbox::list(&mut conn, Some("pending"), None, 100)
        .unwrap()
        .into_iter()
        .find(|m| m.event == "submission_receipt")
        .unwrap();
    let subject =
        liaison::notify::email::subject(&receipt.event, &receipt.lang, "", &receipt.data).unwrap();
    assert!(html.contains(&subject), "subject {subject} missing");

    let en = browser_in(&app, &study.admin, "en").await;
    let html = page(&en, &app, "/admin/outbox?status=pending").await;
    assert!(html.contains("Submission receipt") && html.contains("Decision letter"));
}

/// `a.b[0].c` → `a-b-0--c`, as the form's `fid` macro makes ids.
fn fid(name: &str) -> String {
    name.replace(['.', '[', ']'], "-")
}

/// The ids of the inputs whose label carries the required mark.
fn marked(html: &str) -> BTreeSet<String> {
    html.split("<label for=\"")
        .skip(1)
        .filter_map(|rest| {
            let (id, rest) = rest.split_once('"')?;
            let label = rest.split("</label>").next()?;
            label.contains("required-mark").then(|| id.to_string())
        })
        .collect()
}

fn aria_required(html: &str) -> BTreeSet<String> {
    html.split(" id=\"")
        .skip(1)
        .filter_map(|rest| {
            let (id, rest) = rest.split_once('"')?;
            let tag = rest.split('>').next()?;
            tag.contains("aria-required=\"true\"")
                .then(|| id.to_string())
        })
        .collect()
}

#[actix_web::test]
async fn the_form_marks_exactly_the_fields_the_submit_check_requires() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user(
        "yamada@example.jp",
        liaison::domain::Role::Investigator,
        Lang::Ja,
    );
    let browser = app.signed_in_browser(&yamada).await;

    // An empty form: what an empty draft would be refused for.
    let html = page(&browser, &app, "/proposals/new").await;
    let expected: BTreeSet<String> = ProposalContent::default()
        .required_fields()
        .iter()
        .map(|f| fid(f))
        .collect();
    assert!(expected.contains("principal_investigator-department"));
    assert_eq!(marked(&html), expected, "必須 marks");
    assert_eq!(aria_required(&html), expected, "aria-required");

    // The submit check refuses an empty draft for exactly those fields as "required".
    let csrf = csrf_from(&browser, &app.url("/proposals/new")).await;
    let refused = browser
        .post(app.url("/proposals"))
        .form(&[("csrf_token", csrf.as_str()), ("intent", "submit")])
        .send()
        .await
        .unwrap();
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("principal_investigator-department-error"));

    // A draft of an interventional study with a conflict declared: phase and the conflict
    // text become required, and the marks follow.
    let mut content = crate::helpers::complete_proposal();
    content["conflict_of_interest"] = serde_json::json!({"has_coi": true, "text": ""});
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &content)
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let html = page(&browser, &app, &format!("/proposals/{id}/edit")).await;
    let marks = marked(&html);
    assert!(marks.contains("phase"), "{marks:?}");
    assert!(marks.contains("conflict_of_interest-text"), "{marks:?}");
    let content: ProposalContent = serde_json::from_value(created["content"].clone()).unwrap();
    let expected: BTreeSet<String> = content.required_fields().iter().map(|f| fid(f)).collect();
    assert_eq!(marks, expected);
}

#[actix_web::test]
async fn profile_and_audit_pages_show_times_in_the_programme_zone() {
    let app = crate::helpers::spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let browser = browser_in(&app, &study.admin, "ja").await;
    for path in [
        "/profile".to_string(),
        format!("/proposals/{}/audit", study.id),
    ] {
        let html = page(&browser, &app, &path).await;
        assert!(html.contains(" JST"), "{path}: no time in JST");
        assert!(!html.contains(" UTC"), "{path}: a time in UTC");
    }
}
