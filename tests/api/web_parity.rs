//! The admin's study and partner work on the web, without the API (issue #19's path): activate
//! an approved study after a confirmation, export the disclosure CSV with the session, read
//! the audit trail, create a CRO with a key and a webhook, assign it to the study and invite a
//! person of that CRO, who then records enrollment on the web.

use std::time::Duration;

use liaison::domain::{Lang, Role};
use serde_json::Value;

use crate::helpers::{TestApp, TestUser, csrf_from, json, spawn_app_with};
use crate::smtp_sink::{SmtpSink, parse};
use crate::study::approved_study;

async fn post_form(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = csrf_from(browser, &app.url(page)).await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &csrf));
    browser
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .expect("form post")
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    json(app.get(token, &format!("/api/v1/proposals/{id}")).await).await["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn page(browser: &reqwest::Client, url: &str) -> (u16, String) {
    let response = browser.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Records the three gates on the study page as the admin.
pub(crate) async fn record_gates(app: &TestApp, admin: &reqwest::Client, id: &str) {
    let page_path = format!("/proposals/{id}");
    let saved = post_form(
        app,
        admin,
        &page_path,
        &format!("/proposals/{id}/gates"),
        &[
            ("contract_signed_on", "2026-10-01"),
            ("ethics_committee", "東都大学臨床研究審査委員会"),
            ("ethics_approved_on", "2026-10-15"),
            ("ethics_approval_number", "CRB-2026-001"),
            ("registry", "jrct"),
            ("registry_id", "jRCT2031210123"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
}

#[actix_web::test]
async fn activation_needs_the_gates_and_a_confirmation() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let id = &study.id;
    let admin = app.signed_in_browser(&study.admin).await;
    let page_path = format!("/proposals/{id}");

    // Before the gates: no button, and the confirmation page has no form.
    let (_, html) = page(&admin, &app.url(&page_path)).await;
    assert!(!html.contains(&format!("href=\"/proposals/{id}/activate\"")));
    let (status, html) = page(&admin, &app.url(&format!("/proposals/{id}/activate"))).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("name=\"confirm\""),
        "no confirmation while gates are missing"
    );

    record_gates(&app, &admin, id).await;
    let (_, html) = page(&admin, &app.url(&page_path)).await;
    assert!(
        html.contains(&format!("href=\"/proposals/{id}/activate\"")),
        "the study page offers activation once the gates are met"
    );

    // Without ticking the confirmation nothing happens.
    let unconfirmed = post_form(
        &app,
        &admin,
        &format!("/proposals/{id}/activate"),
        &format!("/proposals/{id}/activate"),
        &[],
    )
    .await;
    assert_eq!(unconfirmed.status(), 303);
    assert_eq!(location(&unconfirmed), format!("/proposals/{id}/activate"));
    assert_eq!(status_of(&app, &study.admin.token, id).await, "approved");

    // The investigator may not activate, confirmed or not.
    let owner = app.signed_in_browser(&study.yamada).await;
    let (status, _) = page(&owner, &app.url(&format!("/proposals/{id}/activate"))).await;
    assert_eq!(status, 403);
    let refused = post_form(
        &app,
        &owner,
        &page_path,
        &format!("/proposals/{id}/activate"),
        &[("confirm", "yes")],
    )
    .await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    assert_eq!(status_of(&app, &study.admin.token, id).await, "approved");

    let confirmed = post_form(
        &app,
        &admin,
        &format!("/proposals/{id}/activate"),
        &format!("/proposals/{id}/activate"),
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(status_of(&app, &study.admin.token, id).await, "active");
    let (_, html) = page(&admin, &app.url(&page_path)).await;
    assert!(!html.contains(&format!("href=\"/proposals/{id}/activate\"")));
}

#[actix_web::test]
async fn exports_download_with_the_session_for_admins_only() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let admin = app.signed_in_browser(&study.admin).await;
    let (status, html) = page(&admin, &app.url("/exports")).await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"fiscal_year\""));
    let csv = admin
        .get(app.url("/exports/disclosure.csv?fiscal_year=2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("disclosure-FY2026.csv")
    );
    let body = csv.text().await.unwrap();
    assert!(
        body.trim_start_matches('\u{feff}')
            .starts_with("年度,登録番号"),
        "the admin reads Japanese: {body}"
    );
    let codes = admin
        .get(app.url("/exports/disclosure.csv?fiscal_year=2026&codes=1"))
        .send()
        .await
        .unwrap();
    assert!(
        codes
            .text()
            .await
            .unwrap()
            .trim_start_matches('\u{feff}')
            .starts_with("fiscal_year,registry_id")
    );
    let studies = admin
        .get(app.url("/exports/studies.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(studies.status(), 200);

    let owner = app.signed_in_browser(&study.yamada).await;
    for path in [
        "/exports",
        "/exports/disclosure.csv?fiscal_year=2026",
        "/exports/studies.csv",
    ] {
        let (status, _) = page(&owner, &app.url(path)).await;
        assert_eq!(status, 403, "{path} for an investigator");
    }
    // No session: to the sign-in page, never the file.
    let anonymous = app.browser();
    let response = anonymous
        .get(app.url("/exports/disclosure.csv?fiscal_year=2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
}

#[actix_web::test]
async fn the_audit_trail_page_shows_each_reader_their_projection() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let id = &study.id;
    let reviews = json(
        app.get(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/reviewers"),
        )
        .await,
    )
    .await;
    let reviewer_id = reviews
        .as_array()
        .and_then(|a| a.first())
        .and_then(|r| r["reviewer_id"].as_str().or(r["id"].as_str()))
        .expect("a reviewer")
        .to_string();

    let admin = app.signed_in_browser(&study.admin).await;
    let (status, html) = page(&admin, &app.url(&format!("/proposals/{id}/audit"))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("review.submit") || html.contains("review."),
        "admins see the review records"
    );
    assert!(html.contains("alpha"), "admins see who reviewed (by name)");
    assert!(html.contains("scientific_merit"), "admins see the scores");

    let owner = app.signed_in_browser(&study.yamada).await;
    let (status, html) = page(&owner, &app.url(&format!("/proposals/{id}/audit"))).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("proposal.create") || html.contains("proposal."),
        "the owner sees their own records"
    );
    assert!(
        !html.contains(&reviewer_id),
        "the investigator never learns a reviewer's id"
    );
    assert!(!html.contains("alpha"), "nor their name");
    assert!(!html.contains("scientific_merit"), "nor the scores");

    // Others may not read it at all.
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let msl = app.signed_in_browser(&msl).await;
    let (status, _) = page(&msl, &app.url(&format!("/proposals/{id}/audit"))).await;
    assert_eq!(status, 404);
}

/// The organisation page's id from the redirect after creating it.
async fn create_cro(app: &TestApp, admin: &reqwest::Client, name: &str) -> String {
    let created = post_form(
        app,
        admin,
        "/admin/organizations",
        "/admin/organizations",
        &[("name", name), ("kind", "cro")],
    )
    .await;
    assert_eq!(created.status(), 303);
    location(&created)
        .trim_start_matches("/admin/organizations/")
        .to_string()
}

#[actix_web::test]
async fn an_organisation_gets_a_key_shown_once_and_a_webhook_with_its_log() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin_user = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let admin = app.signed_in_browser(&admin_user).await;
    let org = create_cro(&app, &admin, "東京臨床研究サポート").await;
    let org_page = format!("/admin/organizations/{org}");

    let created = post_form(
        &app,
        &admin,
        &org_page,
        &format!("{org_page}/keys"),
        &[("name", "EDC連携"), ("expires_in_days", "90")],
    )
    .await;
    assert_eq!(created.status(), 200);
    let html = created.text().await.unwrap();
    let start = html.find("id=\"new-key\"").expect("the new key");
    let value = &html[start..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    let key = value[..value.find('"').unwrap()].to_string();
    assert!(key.len() > 20, "{key}");
    // It works as a bearer token, and is never shown again.
    assert_eq!(app.get(&key, "/api/v1/proposals").await.status(), 200);
    let (_, again) = page(&admin, &app.url(&org_page)).await;
    assert!(!again.contains(&key), "a key is shown once");
    assert!(again.contains("EDC連携"));
    assert!(
        !again.contains("未使用") || again.contains("UTC"),
        "last use shown"
    );

    // Revoke: the key stops working.
    let keys = json(
        app.get(
            &admin_user.token,
            &format!("/api/v1/organizations/{org}/api-keys"),
        )
        .await,
    )
    .await;
    let key_id = keys[0]["id"].as_str().unwrap().to_string();
    assert!(
        keys[0]["last_used_at"].is_string(),
        "the key's use was recorded"
    );
    let revoked = post_form(
        &app,
        &admin,
        &org_page,
        &format!("{org_page}/keys/{key_id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(app.get(&key, "/api/v1/proposals").await.status(), 401);

    // A webhook to an internal address is refused beside its field.
    let refused = post_form(
        &app,
        &admin,
        &org_page,
        &format!("{org_page}/webhooks"),
        &[("url", "https://127.0.0.1/hook"), ("secret", "")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("webhook-url-error"));
    let registered = post_form(
        &app,
        &admin,
        &org_page,
        &format!("{org_page}/webhooks"),
        &[("url", "https://93.184.216.34/hook"), ("secret", "")],
    )
    .await;
    assert_eq!(registered.status(), 200);
    assert!(
        registered
            .text()
            .await
            .unwrap()
            .contains("id=\"new-secret\"")
    );
    let hooks: Value = json(
        app.get(
            &admin_user.token,
            &format!("/api/v1/organizations/{org}/webhooks"),
        )
        .await,
    )
    .await;
    let hook = hooks[0]["id"].as_str().unwrap().to_string();
    let pinged = post_form(
        &app,
        &admin,
        &org_page,
        &format!("{org_page}/webhooks/{hook}/ping"),
        &[],
    )
    .await;
    assert_eq!(pinged.status(), 303);
    let (_, html) = page(&admin, &app.url(&org_page)).await;
    assert!(
        html.contains("<code>ping</code>"),
        "the ping is in the delivery log"
    );

    // Only admins reach these pages.
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let msl = app.signed_in_browser(&msl).await;
    assert_eq!(page(&msl, &app.url(&org_page)).await.0, 403);
}

#[actix_web::test]
async fn an_invited_cro_person_sees_only_their_studies_and_records_enrollment() {
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(smtp);
        s.outbox_poll = Duration::from_millis(50);
    })
    .await;
    let study = approved_study(&app).await;
    let id = &study.id;
    let admin = app.signed_in_browser(&study.admin).await;
    let org = create_cro(&app, &admin, "東京臨床研究サポート").await;
    let other_org = create_cro(&app, &admin, "大阪CRO").await;

    // Assign the CRO to the study with its role, on the study page.
    let assigned = post_form(
        &app,
        &admin,
        &format!("/proposals/{id}"),
        &format!("/proposals/{id}/cro"),
        &[("organization_id", &org), ("role", "monitoring")],
    )
    .await;
    assert_eq!(assigned.status(), 303);
    let (_, html) = page(&admin, &app.url(&format!("/proposals/{id}"))).await;
    assert!(
        html.contains("東京臨床研究サポート"),
        "the assignment is on the study page"
    );

    // A second study, not assigned to this CRO.
    let other = json(
        app.post_json(
            &study.yamada.token,
            "/api/v1/proposals",
            &crate::helpers::complete_proposal(),
        )
        .await,
    )
    .await;
    let other_id = other["id"].as_str().unwrap().to_string();

    let before = sink.messages().len();
    let invited = post_form(
        &app,
        &admin,
        &format!("/admin/organizations/{org}"),
        &format!("/admin/organizations/{org}/members"),
        &[
            ("email", "sato@cro.example.jp"),
            ("display_name", "佐藤 一郎"),
            ("lang", "ja"),
        ],
    )
    .await;
    assert_eq!(invited.status(), 303, "{}", invited.text().await.unwrap());
    let mails = sink.wait_for(before + 1, 30).await;
    let mail = mails
        .iter()
        .map(|m| parse(m))
        .find(|m| m.to.contains("sato@cro.example.jp"))
        .expect("an invitation email");
    let start = mail.text.find("http://").expect("a link");
    let link = mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();

    // Sign in by the link: the confirm page, then its button.
    let cro = app.browser();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let csrf = csrf_from(&cro, &link).await;
    let signed_in = cro
        .post(app.url("/signin/link"))
        .form(&[("token", token.as_str()), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);

    let (_, dashboard) = page(&cro, &app.url("/")).await;
    assert!(
        dashboard.contains(id.as_str()),
        "the assigned study is listed"
    );
    assert!(!dashboard.contains(&other_id), "another study is not");
    assert_eq!(
        page(&cro, &app.url(&format!("/proposals/{other_id}")))
            .await
            .0,
        404
    );
    let (status, html) = page(&cro, &app.url(&format!("/proposals/{id}"))).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("15,000,000") && !html.contains("15000000"),
        "a CRO never sees the budget"
    );
    assert!(!html.contains("大阪CRO"));

    let recorded = post_form(
        &app,
        &cro,
        &format!("/proposals/{id}"),
        &format!("/proposals/{id}/enrollment"),
        &[("as_of", "2026-11-01"), ("count", "12")],
    )
    .await;
    assert_eq!(recorded.status(), 303);
    let enrollment = json(
        app.get(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
        )
        .await,
    )
    .await;
    assert!(enrollment.to_string().contains("12"), "{enrollment}");

    // A person of another CRO sees nothing of this study.
    let intruder = post_form(
        &app,
        &admin,
        &format!("/admin/organizations/{other_org}"),
        &format!("/admin/organizations/{other_org}/members"),
        &[
            ("email", "ito@osaka-cro.example.jp"),
            ("display_name", "伊藤"),
            ("lang", "ja"),
        ],
    )
    .await;
    assert_eq!(intruder.status(), 303);
    let osaka = TestUser {
        id: String::new(),
        email: "ito@osaka-cro.example.jp".into(),
        token: String::new(),
    };
    let osaka = app.signed_in_browser(&osaka).await;
    assert_eq!(
        page(&osaka, &app.url(&format!("/proposals/{id}"))).await.0,
        404
    );
    let refused = post_form(
        &app,
        &osaka,
        "/",
        &format!("/proposals/{id}/enrollment"),
        &[("as_of", "2026-11-02"), ("count", "99")],
    )
    .await;
    assert_eq!(refused.status(), 404);
}

#[actix_web::test]
async fn a_lower_cumulative_enrollment_needs_a_reason_and_a_confirmation_and_is_a_correction() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let id = &study.id;
    let owner = app.signed_in_browser(&study.yamada).await;
    let page_path = format!("/proposals/{id}");
    let action = format!("/proposals/{id}/enrollment");
    let first = post_form(
        &app,
        &owner,
        &page_path,
        &action,
        &[("as_of", "2026-11-01"), ("count", "12")],
    )
    .await;
    assert_eq!(first.status(), 303);

    // 12 → 5 without a word: refused beside the form, asking for the reason.
    let silent = post_form(
        &app,
        &owner,
        &page_path,
        &action,
        &[("as_of", "2026-11-02"), ("count", "5")],
    )
    .await;
    assert_eq!(silent.status(), 422);
    assert!(
        silent
            .text()
            .await
            .unwrap()
            .contains("enrollment-correction_reason-error")
    );
    // A reason without the confirmation ticked: still refused.
    let unconfirmed = post_form(
        &app,
        &owner,
        &page_path,
        &action,
        &[
            ("as_of", "2026-11-02"),
            ("count", "5"),
            ("correction_reason", "二重計上を訂正"),
        ],
    )
    .await;
    assert_eq!(unconfirmed.status(), 422);
    let enrollment = json(
        app.get(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
        )
        .await,
    )
    .await;
    assert_eq!(enrollment["enrolled"], 12, "nothing recorded yet");

    let corrected = post_form(
        &app,
        &owner,
        &page_path,
        &action,
        &[
            ("as_of", "2026-11-02"),
            ("count", "5"),
            ("correction_reason", "二重計上を訂正"),
            ("confirm_correction", "yes"),
        ],
    )
    .await;
    assert_eq!(corrected.status(), 303);
    let trail = json(
        app.get(&study.admin.token, &format!("/api/v1/proposals/{id}/audit"))
            .await,
    )
    .await;
    let text = trail.to_string();
    assert!(text.contains("enrollment.correct"), "{text}");
    assert!(text.contains("二重計上を訂正"), "the reason is audited");

    // The API asks for the reason the same way.
    let api = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
            &serde_json::json!({"as_of": "2026-11-03", "count": 4}),
        )
        .await;
    assert_eq!(api.status(), 422);
    let api = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
            &serde_json::json!({"as_of": "2026-11-03", "count": 4, "correction_reason": "施設の報告誤り"}),
        )
        .await;
    assert_eq!(api.status(), 201);
}

/// The session's creation time, moved back so that it is no longer a recent sign-in.
fn age_sessions(app: &TestApp, user_id: &str) {
    use diesel::prelude::*;
    use liaison::db::schema::sessions;
    let mut conn = app.conn();
    let old = liaison::db::now() - chrono::Duration::minutes(30);
    diesel::update(sessions::table.filter(sessions::user_id.eq(user_id)))
        .set(sessions::created_at.eq(old))
        .execute(&mut conn)
        .expect("age sessions");
}

#[actix_web::test]
async fn the_profile_changes_name_password_tokens_and_sessions_and_audits_them() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let user = app.user("kato@example.jp", Role::Msl, Lang::Ja);
    // Signed in with a password set through the CLI (the helper's).
    let browser = app.signed_in_browser(&user).await;
    let (status, html) = page(&browser, &app.url("/profile")).await;
    assert_eq!(status, 200);
    assert!(html.contains("kato@example.jp"));

    let saved = post_form(
        &app,
        &browser,
        "/profile",
        "/profile",
        &[("display_name", "加藤 三郎"), ("lang", "en")],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let me = json(app.get(&user.token, "/api/v1/me").await).await;
    assert_eq!(me["display_name"], "加藤 三郎");
    assert_eq!(me["lang"], "en");

    // An old session must type the current password.
    age_sessions(&app, &user.id);
    let refused = post_form(
        &app,
        &browser,
        "/profile",
        "/profile/password",
        &[("new_password", "a-new-long-secret")],
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("current_password-error")
    );
    let wrong = post_form(
        &app,
        &browser,
        "/profile",
        "/profile/password",
        &[
            ("current_password", "not-the-password"),
            ("new_password", "a-new-long-secret"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 422);
    let changed = post_form(
        &app,
        &browser,
        "/profile",
        "/profile/password",
        &[
            ("current_password", "correct-horse-battery"),
            ("new_password", "a-new-long-secret"),
        ],
    )
    .await;
    assert_eq!(changed.status(), 303);
    let fresh = app.browser();
    let csrf = csrf_from(&fresh, &app.url("/signin")).await;
    let signin = fresh
        .post(app.url("/signin"))
        .form(&[
            ("email", "kato@example.jp"),
            ("password", "a-new-long-secret"),
            ("csrf_token", &csrf),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 303, "the new password signs in");

    // A personal token, shown once, works, and is revoked.
    let created = post_form(
        &app,
        &browser,
        "/profile",
        "/profile/tokens",
        &[("name", "スクリプト"), ("expires_in_days", "30")],
    )
    .await;
    assert_eq!(created.status(), 200);
    let html = created.text().await.unwrap();
    let start = html.find("id=\"new-token\"").expect("the token");
    let rest = &html[start..];
    let rest = &rest[rest.find("value=\"").unwrap() + 7..];
    let token = rest[..rest.find('"').unwrap()].to_string();
    assert_eq!(app.get(&token, "/api/v1/me").await.status(), 200);
    let (_, again) = page(&browser, &app.url("/profile")).await;
    assert!(!again.contains(&token), "shown once");
    let marker = "action=\"/profile/tokens/";
    let row = again.find("スクリプト").expect("the token's row");
    let at = row + again[row..].find(marker).expect("its revoke form") + marker.len();
    let token_id = again[at..].split('/').next().unwrap().to_string();
    let revoked = post_form(
        &app,
        &browser,
        "/profile",
        &format!("/profile/tokens/{token_id}/revoke"),
        &[],
    )
    .await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(app.get(&token, "/api/v1/proposals").await.status(), 401);

    // Sign out everywhere ends this session and the other one.
    let ended = post_form(&app, &browser, "/profile", "/profile/sessions/end", &[]).await;
    assert_eq!(ended.status(), 303);
    assert_eq!(page(&browser, &app.url("/profile")).await.0, 303);
    assert_eq!(page(&fresh, &app.url("/profile")).await.0, 303);

    let mut conn = app.conn();
    let actions: Vec<String> = liaison::store::audit::for_entity(&mut conn, "user", &user.id)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    for action in [
        "user.update",
        "user.change_password",
        "token.create",
        "token.revoke",
        "user.signout_everywhere",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }
}
