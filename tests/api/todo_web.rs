//! Issue #20: each role's home page lists the work waiting for it, with counts and links; an
//! advice request on a draft with no MSL goes to the admins, and the investigator is told so.

use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, complete_proposal, csrf_from, json, spawn_app_with};
use crate::msl::assign;
use crate::review::{committee, start_and_assign, submitted_proposal};

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let response = browser.get(app.url(path)).send().await.expect("page");
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.expect("body")
}

/// The to-do section of a dashboard (from its heading to the end of the section).
fn todo_section(html: &str) -> &str {
    let start = html.find("id=\"todo-heading\"").expect("the to-do list");
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The count shown for a kind of work, or `None` when the kind is not listed.
fn count_of(html: &str, kind: &str) -> Option<usize> {
    let todo = todo_section(html);
    let marker = format!("href=\"#todo-{kind}\"");
    let at = todo.find(&marker)?;
    let badge = todo[at..].find("class=\"count-badge\">")? + at + "class=\"count-badge\">".len();
    let end = todo[badge..].find('<')? + badge;
    todo[badge..end].trim().parse().ok()
}

async fn draft(app: &TestApp, investigator: &TestUser) -> String {
    let created = json(
        app.post_json(
            &investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await,
    )
    .await;
    created["id"].as_str().unwrap().to_string()
}

/// Posts the proposal page's 「MSLに助言を依頼する」 form and follows the redirect.
async fn request_advice(browser: &reqwest::Client, app: &TestApp, id: &str) -> String {
    let csrf = csrf_from(browser, &app.url(&format!("/proposals/{id}"))).await;
    let response = browser
        .post(app.url(&format!("/proposals/{id}/advice-request")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("request advice");
    assert_eq!(response.status(), 303);
    page(browser, app, &format!("/proposals/{id}")).await
}

fn outbox(app: &TestApp, event: &str) -> Vec<String> {
    let mut conn = app.conn();
    let mut to: Vec<String> = liaison::store::outbox::list(&mut conn, None, None, 500)
        .expect("outbox")
        .into_iter()
        .filter(|m| m.event == event)
        .map(|m| m.recipient)
        .collect();
    to.sort();
    to
}

#[actix_web::test]
async fn an_advice_request_with_no_msl_asks_the_admins_and_says_so() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let admin2 = app.user("admin2@example.jp", Role::Admin, Lang::En);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let id = draft(&app, &investigator).await;

    let pi = app.signed_in_browser(&investigator).await;
    let before = page(&pi, &app, &format!("/proposals/{id}")).await;
    assert!(
        before.contains("依頼は事務局（管理者）に届き"),
        "the button's note says where the request goes"
    );
    let after = request_advice(&pi, &app, &id).await;
    // The truth: nobody is assigned, so the admins were asked to assign an MSL.
    assert!(
        after.contains("事務局（管理者）にMSLの割り当てを依頼しました"),
        "flash: {after}"
    );
    assert!(
        !after.contains("担当MSLがこの下書きを閲覧できます"),
        "no claim that an MSL can see it"
    );
    assert_eq!(
        outbox(&app, "msl_needed"),
        vec![admin2.email.clone(), admin.email.clone()],
        "every admin is emailed"
    );
    let mail = {
        let mut conn = app.conn();
        liaison::store::outbox::list(&mut conn, None, None, 500)
            .unwrap()
            .into_iter()
            .find(|m| m.event == "msl_needed" && m.recipient == admin2.email)
            .unwrap()
    };
    let rendered = liaison::notify::email::render(
        &mail.event,
        &mail.lang,
        &mail.recipient_name,
        &mail.data,
        "https://liaison.example",
    )
    .unwrap();
    assert!(
        rendered.subject.contains("assign an MSL"),
        "{}",
        rendered.subject
    );
    assert!(rendered.text.contains(&format!("/proposals/{id}")));

    // Asking again sends nothing more.
    request_advice(&pi, &app, &id).await;
    assert_eq!(outbox(&app, "msl_needed").len(), 2);

    // The admins' to-do list shows it, linked to the MSL section.
    let admin_browser = app.signed_in_browser(&admin).await;
    let home = page(&admin_browser, &app, "/").await;
    assert_eq!(
        count_of(&home, "advice_without_msl"),
        Some(1),
        "{}",
        todo_section(&home)
    );
    assert!(todo_section(&home).contains(&format!("href=\"/proposals/{id}#msl-heading\"")));

    // Once an MSL is assigned, the request leaves the admins' list for the MSL's.
    assign(&app, &admin, &id, &msl).await;
    let home = page(&admin_browser, &app, "/").await;
    assert_eq!(count_of(&home, "advice_without_msl"), None);
    let msl_browser = app.signed_in_browser(&msl).await;
    let home = page(&msl_browser, &app, "/").await;
    assert_eq!(
        count_of(&home, "advice_request"),
        Some(1),
        "{}",
        todo_section(&home)
    );
    assert!(todo_section(&home).contains(&format!("href=\"/proposals/{id}#advice-heading\"")));
}

#[actix_web::test]
async fn an_advice_request_to_an_assigned_msl_emails_no_admin() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::En);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let id = draft(&app, &investigator).await;
    assign(&app, &admin, &id, &msl).await;
    let pi = app.signed_in_browser(&investigator).await;
    let after = request_advice(&pi, &app, &id).await;
    assert!(
        after.contains("Your request for advice has been recorded."),
        "{after}"
    );
    assert!(outbox(&app, "msl_needed").is_empty());
    let admin_browser = app.signed_in_browser(&admin).await;
    assert_eq!(
        count_of(&page(&admin_browser, &app, "/").await, "advice_without_msl"),
        None
    );
}

#[actix_web::test]
async fn reviewers_chairs_and_investigators_see_their_work_counted() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 1, &["reviewer"]).await;
    let id = submitted_proposal(&app, &investigator).await;
    let other_draft = draft(&app, &investigator).await;
    start_and_assign(&app, &committee, &id).await;
    let reviewer = &committee.reviewers[0];

    // Before declaring conflicts: the reviewer's to-do is the declaration, with the title only.
    let rb = app.signed_in_browser(reviewer).await;
    let home = page(&rb, &app, "/").await;
    assert_eq!(count_of(&home, "conflict_to_declare"), Some(1));
    assert_eq!(count_of(&home, "review_due"), None);
    let todo = todo_section(&home);
    assert!(todo.contains(&format!("href=\"/proposals/{id}/review\"")));
    assert!(!todo.contains("52週"), "no content before the declaration");

    // The admin sees nothing missing on the committee (quorum 1, one reviewer).
    let ab = app.signed_in_browser(&admin).await;
    assert_eq!(
        count_of(&page(&ab, &app, "/").await, "needs_reviewers"),
        None
    );
    assert_eq!(count_of(&page(&ab, &app, "/").await, "needs_msl"), Some(1));

    let coi = app
        .post_json(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await;
    assert_eq!(coi.status(), 200);
    let home = page(&rb, &app, "/").await;
    assert_eq!(count_of(&home, "conflict_to_declare"), None);
    assert_eq!(count_of(&home, "review_due"), Some(1));

    // The chair has nothing to decide until the quorum is reached.
    let cb = app.signed_in_browser(&committee.chair).await;
    assert_eq!(
        count_of(&page(&cb, &app, "/").await, "decision_awaiting"),
        None
    );
    let saved = app
        .put_my_review(&reviewer.token, &id, &json!({
            "scores": {"scientific_merit": 5, "feasibility": 4, "alignment": 4, "budget": 3, "publication_plan": 5},
            "recommendation": "approve", "complete": true,
            "comments_to_investigator": "", "confidential_comments": "",
        }))
        .await;
    assert_eq!(saved.status(), 200);
    assert_eq!(count_of(&page(&rb, &app, "/").await, "review_due"), None);
    let home = page(&cb, &app, "/").await;
    assert_eq!(
        count_of(&home, "decision_awaiting"),
        Some(1),
        "{}",
        todo_section(&home)
    );
    assert!(todo_section(&home).contains(&format!("href=\"/proposals/{id}/committee\"")));

    // The investigator: the draft to finish, and nothing for the submitted one.
    let pb = app.signed_in_browser(&investigator).await;
    let home = page(&pb, &app, "/").await;
    assert_eq!(count_of(&home, "draft_to_finish"), Some(1));
    assert!(todo_section(&home).contains(&format!("href=\"/proposals/{other_draft}\"")));
}

#[actix_web::test]
async fn milestones_due_this_week_and_overdue_ones_are_on_the_lists_by_the_programme_date() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = crate::study::approved_study(&app).await;
    let today = liaison::clock::programme_today();
    let add = async |kind: &str, due: chrono::NaiveDate| {
        let response = app
            .post_json(
                &study.yamada.token,
                &format!("/api/v1/proposals/{}/milestones", study.id),
                &json!({"kind": kind, "due_on": due.to_string(), "owner_role": "investigator"}),
            )
            .await;
        assert_eq!(response.status(), 201);
    };
    add("first_patient_in", today - chrono::Duration::days(3)).await;
    add("last_patient_out", today + chrono::Duration::days(7)).await;
    add("final_report", today + chrono::Duration::days(8)).await;

    let pb = app.signed_in_browser(&study.yamada).await;
    let home = page(&pb, &app, "/").await;
    assert_eq!(count_of(&home, "milestone_overdue"), Some(1));
    assert_eq!(
        count_of(&home, "milestone_due"),
        Some(1),
        "eight days ahead is not due yet"
    );
    let todo = todo_section(&home);
    assert!(todo.contains("期限超過 3日"), "{todo}");
    assert!(todo.contains(&format!(
        "href=\"/proposals/{}#milestones-heading\"",
        study.id
    )));

    // The admin: the overdue one, and the approved study's gates still to record.
    let ab = app.signed_in_browser(&study.admin).await;
    let home = page(&ab, &app, "/").await;
    assert_eq!(count_of(&home, "milestone_overdue"), Some(1));
    assert_eq!(count_of(&home, "milestone_due"), None);
    assert_eq!(count_of(&home, "gates_to_record"), Some(1));
}

/// The investigator's list is read as counts and the first items of each kind (issue #21: it
/// used to read every proposal they own): the count is the whole number, ten are linked, and
/// only the reader's own studies' milestones are on it.
#[actix_web::test]
async fn more_drafts_than_shown_are_all_counted_and_milestones_are_the_readers_own() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = crate::study::approved_study(&app).await;
    let today = liaison::clock::programme_today();
    let response = app
        .post_json(
            &study.yamada.token,
            &format!("/api/v1/proposals/{}/milestones", study.id),
            &json!({"kind": "first_patient_in", "due_on": (today - chrono::Duration::days(2)).to_string(), "owner_role": "investigator"}),
        )
        .await;
    assert_eq!(response.status(), 201);

    let suzuki = app.user("suzuki@example.jp", Role::Investigator, Lang::Ja);
    let mut drafts = Vec::new();
    for _ in 0..12 {
        drafts.push(draft(&app, &suzuki).await);
    }
    let sb = app.signed_in_browser(&suzuki).await;
    let home = page(&sb, &app, "/").await;
    assert_eq!(count_of(&home, "draft_to_finish"), Some(12));
    let todo = todo_section(&home);
    let linked: Vec<&String> = drafts
        .iter()
        .filter(|id| todo.contains(&format!("href=\"/proposals/{id}\"")))
        .collect();
    assert_eq!(linked.len(), 10, "ten listed, newest first");
    assert!(linked.contains(&&drafts[11]) && !linked.contains(&&drafts[0]));
    assert_eq!(
        count_of(&home, "milestone_overdue"),
        None,
        "another investigator's study"
    );

    let yb = app.signed_in_browser(&study.yamada).await;
    let home = page(&yb, &app, "/").await;
    assert_eq!(count_of(&home, "milestone_overdue"), Some(1));
    assert_eq!(count_of(&home, "draft_to_finish"), None);
}

/// The advice thread's turn: after the MSL writes, the investigator's list has the reply to
/// write (linked to the thread) and the MSL's has nothing; after the investigator answers,
/// it is the other way round. Another investigator's list never shows it.
#[actix_web::test]
async fn the_side_that_wrote_last_in_an_advice_thread_waits_for_the_other() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let other = app.user("other@example.jp", Role::Investigator, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let id = draft(&app, &investigator).await;
    let _ = draft(&app, &other).await;
    assign(&app, &admin, &id, &msl).await;
    let pi = app.signed_in_browser(&investigator).await;
    request_advice(&pi, &app, &id).await;
    let mb = app.signed_in_browser(&msl).await;
    assert_eq!(
        count_of(&page(&mb, &app, "/").await, "advice_request"),
        Some(1)
    );
    assert_eq!(count_of(&page(&pi, &app, "/").await, "advice_reply"), None);

    let post = async |token: &str, body: &str| {
        let response = app
            .post_json(
                token,
                &format!("/api/v1/proposals/{id}/advice"),
                &json!({"section": "primary_endpoint", "body": body}),
            )
            .await;
        assert_eq!(response.status(), 201);
    };
    post(&msl.token, "主要評価項目の定義を確認してください。").await;
    let home = page(&pi, &app, "/").await;
    assert_eq!(count_of(&home, "advice_reply"), Some(1));
    assert!(todo_section(&home).contains(&format!("href=\"/proposals/{id}#advice-heading\"")));
    assert_eq!(
        count_of(&page(&mb, &app, "/").await, "advice_request"),
        None
    );
    let ob = app.signed_in_browser(&other).await;
    assert_eq!(count_of(&page(&ob, &app, "/").await, "advice_reply"), None);

    post(&investigator.token, "52週時点のeGFR変化量とします。").await;
    assert_eq!(count_of(&page(&pi, &app, "/").await, "advice_reply"), None);
    assert_eq!(
        count_of(&page(&mb, &app, "/").await, "advice_request"),
        Some(1)
    );
}
