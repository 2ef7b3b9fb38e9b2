use diesel::connection::SimpleConnection;
use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, complete_proposal, csrf_from, json, spawn_app_with};

async fn submitted(app: &TestApp, owner: &TestUser) -> String {
    let created = json(
        app.post_json(&owner.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let submitted = app
        .post_json(
            &owner.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    id
}

pub(crate) async fn assign(app: &TestApp, admin: &TestUser, id: &str, msl: &TestUser) {
    let assigned = app
        .post_json(
            &admin.token,
            &format!("/api/v1/proposals/{id}/msls"),
            &json!({"msl_id": msl.id}),
        )
        .await;
    assert_eq!(assigned.status(), 204);
}

async fn refusals(app: &TestApp, admin: &TestUser, id: &str) -> Vec<Value> {
    let audit = json(
        app.get(&admin.token, &format!("/api/v1/proposals/{id}/audit"))
            .await,
    )
    .await;
    audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "guardrail.refused")
        .cloned()
        .collect()
}

fn setup_users(app: &TestApp) -> (TestUser, TestUser, TestUser) {
    (
        app.user("admin@example.jp", Role::Admin, Lang::Ja),
        app.user("yamada@example.jp", Role::Investigator, Lang::Ja),
        app.user("msl.tanaka@example.jp", Role::Msl, Lang::Ja),
    )
}

#[actix_web::test]
async fn an_investigator_and_an_msl_hold_a_two_message_thread_through_the_api() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    assert_eq!(
        app.get(&msl.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        404,
        "not yet assigned"
    );
    assign(&app, &admin, &id, &msl).await;
    assert_eq!(
        app.get(&msl.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        200
    );
    let listed = json(app.get(&msl.token, "/api/v1/proposals").await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    let advice = app
        .post_json(&msl.token, &format!("/api/v1/proposals/{id}/advice"), &json!({"section": "primary_endpoint", "body": "主要評価項目は52週時点のeGFR変化量が妥当と考えます。"}))
        .await;
    assert_eq!(advice.status(), 201);
    let advice = json(advice).await;
    let reply = app
        .post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/advice"),
            &json!({"body": "ご助言ありがとうございます。", "parent_id": advice["id"]}),
        )
        .await;
    assert_eq!(reply.status(), 201);
    let thread = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/advice"))
            .await,
    )
    .await;
    let thread = thread.as_array().unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!(thread[0]["section"], "primary_endpoint");
    assert_eq!(thread[0]["author_role"], "msl");
    assert_eq!(thread[1]["parent_id"], advice["id"]);
    // Each side is told by email (through the outbox).
    let mut conn = app.conn();
    let queued = liaison::store::outbox::list(&mut conn, None, None, 50).unwrap();
    let advice_mail: Vec<_> = queued
        .iter()
        .filter(|m| m.event == "advice_posted")
        .map(|m| m.recipient.as_str())
        .collect();
    assert!(
        advice_mail.contains(&"yamada@example.jp")
            && advice_mail.contains(&"msl.tanaka@example.jp"),
        "{advice_mail:?}"
    );

    let bad_section = app
        .post_json(
            &msl.token,
            &format!("/api/v1/proposals/{id}/advice"),
            &json!({"section": "budget_secret", "body": "x"}),
        )
        .await;
    assert_eq!(bad_section.status(), 422);
    let other = app.user("other@example.jp", Role::Investigator, Lang::Ja);
    assert_eq!(
        app.get(&other.token, &format!("/api/v1/proposals/{id}/advice"))
            .await
            .status(),
        404
    );
}

#[actix_web::test]
async fn an_investigator_and_an_msl_hold_a_two_message_thread_on_the_web_page() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    assign(&app, &admin, &id, &msl).await;
    let page = format!("/proposals/{id}");

    let msl_browser = app.signed_in_browser(&msl).await;
    let csrf = csrf_from(&msl_browser, &app.url(&page)).await;
    let empty = msl_browser
        .post(app.url(&format!("{page}/advice")))
        .form(&[("body", " "), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("id=\"advice-body-error\"")
    );
    let posted = msl_browser
        .post(app.url(&format!("{page}/advice")))
        .form(&[
            ("section", "design"),
            ("body", "対照群の設定について再検討をお勧めします。"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 303);

    let investigator = app.signed_in_browser(&yamada).await;
    let html = investigator
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("対照群の設定について再検討をお勧めします。"));
    let marker = "name=\"parent_id\" value=\"";
    let start = html.find(marker).expect("a reply form") + marker.len();
    let parent = html[start..start + 36].to_string();
    let csrf = crate::helpers::hidden_value(&html, "csrf_token").unwrap();
    let replied = investigator
        .post(app.url(&format!("{page}/advice")))
        .form(&[
            ("parent_id", parent.as_str()),
            ("body", "承知しました。実薬対照に変更します。"),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replied.status(), 303);
    let html = msl_browser
        .get(app.url(&page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("対照群の設定について再検討をお勧めします。")
            && html.contains("承知しました。実薬対照に変更します。")
    );
}

#[actix_web::test]
async fn an_msl_cannot_change_proposal_fields_and_the_refusal_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    assign(&app, &admin, &id, &msl).await;
    // A draft stays private until the investigator asks for advice.
    assert_eq!(
        app.get(&msl.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        404
    );
    let asked = app
        .post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/advice-request"),
            &json!({}),
        )
        .await;
    assert_eq!(asked.status(), 204);
    let current = app
        .get(&msl.token, &format!("/api/v1/proposals/{id}"))
        .await;
    assert_eq!(current.status(), 200);
    let etag = current.headers()["etag"].to_str().unwrap().to_string();

    let edit = app
        .patch_json(
            &msl.token,
            &format!("/api/v1/proposals/{id}"),
            Some(&etag),
            &json!({"primary_endpoint": "MSL の案"}),
        )
        .await;
    assert_eq!(edit.status(), 403);
    assert_eq!(json(edit).await["type"], "/problems/guardrail");
    let unchanged = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}"))
            .await,
    )
    .await;
    assert_eq!(
        unchanged["content"]["primary_endpoint"],
        "52週時点のeGFR変化量"
    );
    let refused = refusals(&app, &admin, &id).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["after"]["rule"], "msl_cannot_edit_protocol");
    assert_eq!(refused[0]["actor_id"], msl.id.as_str());

    // Uploading the protocol is editing it too.
    let form = reqwest::multipart::Form::new()
        .text("doc_type", "protocol")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7 msl".to_vec()).file_name("plan.pdf"),
        );
    let upload = app
        .api
        .post(app.url(&format!("/api/v1/proposals/{id}/documents")))
        .bearer_auth(&msl.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    assert_eq!(refusals(&app, &admin, &id).await.len(), 2);
}

#[actix_web::test]
async fn an_msl_who_advised_cannot_be_assigned_as_reviewer_and_the_refusal_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let id = submitted(&app, &yamada).await;
    assign(&app, &admin, &id, &msl).await;
    let advice = app
        .post_json(
            &msl.token,
            &format!("/api/v1/proposals/{id}/advice"),
            &json!({"body": "助言"}),
        )
        .await;
    assert_eq!(advice.status(), 201);

    // Later the same person moves to the review committee.
    let user_path = format!("/api/v1/users/{}", msl.id);
    let etag = app.get(&admin.token, &user_path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    let moved = app
        .patch_json(
            &admin.token,
            &user_path,
            Some(&etag),
            &json!({"role": "reviewer"}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let committee = json(
        app.post_json(
            &admin.token,
            "/api/v1/committees",
            &json!({"name": "委員会", "quorum": 1, "members": [
            {"user_id": msl.id, "role": "reviewer"}, {"user_id": chair.id, "role": "chair"}]}),
        )
        .await,
    )
    .await;
    let started = app
        .post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "start_review", "committee_id": committee["id"]}),
        )
        .await;
    assert_eq!(started.status(), 200);
    let assigned = app
        .post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/reviewers"),
            &json!({"reviewer_id": msl.id}),
        )
        .await;
    assert_eq!(assigned.status(), 409);
    assert_eq!(json(assigned).await["type"], "/problems/guardrail");
    let refused = refusals(&app, &admin, &id).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["after"]["rule"], "advisor_cannot_review");
    let reviewers = json(
        app.get(&chair.token, &format!("/api/v1/proposals/{id}/reviewers"))
            .await,
    )
    .await;
    assert_eq!(reviewers, json!([]));
}

#[actix_web::test]
async fn an_msl_never_sees_confidential_review_content_and_the_attempt_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    assign(&app, &admin, &id, &msl).await;
    let response = app
        .get(&msl.token, &format!("/api/v1/proposals/{id}/reviews"))
        .await;
    assert_eq!(response.status(), 403);
    let refused = refusals(&app, &admin, &id).await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["after"]["rule"], "msl_no_confidential_review");
    assert_eq!(
        app.get(&msl.token, &format!("/api/v1/proposals/{id}/decision"))
            .await
            .status(),
        403
    );
}

#[actix_web::test]
async fn an_msl_opening_the_committee_page_is_refused_and_the_refusal_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    assign(&app, &admin, &id, &msl).await;
    let browser = app.signed_in_browser(&msl).await;
    let page = browser
        .get(app.url(&format!("/proposals/{id}/committee")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let refused = refusals(&app, &admin, &id).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["after"]["rule"], "msl_no_confidential_review");
    // The API's list of reviewers refuses the same way, and is audited too.
    let reviewers = app
        .get(&msl.token, &format!("/api/v1/proposals/{id}/reviewers"))
        .await;
    assert_eq!(reviewers.status(), 403);
    assert_eq!(refusals(&app, &admin, &id).await.len(), 2);
}

fn upload_form(doc_type: &str, name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("doc_type", doc_type.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        )
}

#[actix_web::test]
async fn documents_are_versioned_byte_exact_and_checked_by_content_and_size() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (_admin, yamada, _msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    let url = app.url(&format!("/api/v1/proposals/{id}/documents"));
    let v1: Vec<u8> = [
        b"%PDF-1.7\n".as_slice(),
        "研究計画書 第1版".as_bytes(),
        &[0u8, 255, 10, 13],
    ]
    .concat();
    let first = app
        .api
        .post(&url)
        .bearer_auth(&yamada.token)
        .multipart(upload_form("protocol", "研究計画書_v1.pdf", v1.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["media_type"], "application/pdf");
    assert_eq!(first["size_bytes"], v1.len());

    let v2: Vec<u8> = [b"%PDF-1.7\n".as_slice(), "研究計画書 第2版".as_bytes()].concat();
    let second = app
        .api
        .post(&url)
        .bearer_auth(&yamada.token)
        .multipart(upload_form("protocol", "研究計画書_v2.pdf", v2.clone()))
        .send()
        .await
        .unwrap();
    let second = json(second).await;
    assert_eq!(second["version"], 2);

    let download = app
        .get(&yamada.token, second["download_url"].as_str().unwrap())
        .await;
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition
            .contains("filename*=UTF-8''%E7%A0%94%E7%A9%B6%E8%A8%88%E7%94%BB%E6%9B%B8_v2.pdf"),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), v2);
    let old = app
        .get(&yamada.token, first["download_url"].as_str().unwrap())
        .await;
    assert_eq!(
        old.bytes().await.unwrap().to_vec(),
        v1,
        "version 1 is kept and unchanged"
    );
    let list = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/documents"))
            .await,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);

    let exe: Vec<u8> = [b"MZ\x90\x00\x03\x00\x00\x00".as_slice(), &[0u8; 64]].concat();
    let renamed = app
        .api
        .post(&url)
        .bearer_auth(&yamada.token)
        .multipart(upload_form("protocol", "protocol.pdf", exe))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 415);

    let big = vec![b'%'; 30 * 1024 * 1024];
    let too_big = app
        .api
        .post(&url)
        .bearer_auth(&yamada.token)
        .multipart(upload_form("protocol", "big.pdf", big))
        .send()
        .await;
    match too_big {
        Ok(response) => assert_eq!(response.status(), 413),
        // The server may close the connection once it has answered 413 mid-upload.
        Err(error) => assert!(error.is_request() || error.is_body(), "{error}"),
    }
    let list = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/documents"))
            .await,
    )
    .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "nothing stored by refused uploads"
    );
}

#[actix_web::test]
async fn the_interaction_log_is_append_only() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let (admin, yamada, msl) = setup_users(&app);
    let id = submitted(&app, &yamada).await;
    assign(&app, &admin, &id, &msl).await;
    let logged = app
        .post_json(&msl.token, &format!("/api/v1/proposals/{id}/interactions"), &json!({"occurred_on": "2026-11-20", "channel": "meeting", "summary": "研究デザインについて面談"}))
        .await;
    assert_eq!(logged.status(), 201);
    let future = app
        .post_json(
            &msl.token,
            &format!("/api/v1/proposals/{id}/interactions"),
            &json!({"occurred_on": "2999-01-01", "channel": "fax", "summary": ""}),
        )
        .await;
    assert_eq!(future.status(), 422);
    assert_eq!(json(future).await["errors"].as_array().unwrap().len(), 3);
    let by_investigator = app
        .post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/interactions"),
            &json!({"occurred_on": "2026-11-20", "channel": "call", "summary": "x"}),
        )
        .await;
    assert_eq!(by_investigator.status(), 403);
    // The log is the company's record of its MSLs' contacts: not the investigator's to read.
    let read_by_investigator = app
        .get(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/interactions"),
        )
        .await;
    assert_eq!(read_by_investigator.status(), 403);
    let list = json(
        app.get(&msl.token, &format!("/api/v1/proposals/{id}/interactions"))
            .await,
    )
    .await;
    assert_eq!(list[0]["summary"], "研究デザインについて面談");
    let mut conn = app.conn();
    assert!(
        conn.batch_execute("UPDATE interactions SET summary = 'changed'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM interactions").is_err());
}
