use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app_with};
use crate::smtp_sink::{SmtpSink, parse};

pub(crate) struct Committee {
    pub chair: TestUser,
    pub reviewers: Vec<TestUser>,
    id: String,
}

pub(crate) async fn committee(
    app: &TestApp,
    admin: &TestUser,
    quorum: i32,
    reviewer_names: &[&str],
) -> Committee {
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let reviewers: Vec<TestUser> = reviewer_names
        .iter()
        .map(|name| app.user(&format!("{name}@example.jp"), Role::Reviewer, Lang::Ja))
        .collect();
    let mut members: Vec<Value> = reviewers
        .iter()
        .map(|r| json!({"user_id": r.id, "role": "reviewer"}))
        .collect();
    members.push(json!({"user_id": chair.id, "role": "chair"}));
    let created = app
        .post_json(
            &admin.token,
            "/api/v1/committees",
            &json!({"name": "臨床研究審査委員会", "quorum": quorum, "members": members}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let body = json(created).await;
    assert_eq!(body["rubric"].as_array().unwrap().len(), 5);
    Committee {
        chair,
        reviewers,
        id: body["id"].as_str().unwrap().to_string(),
    }
}

pub(crate) async fn submitted_proposal(app: &TestApp, investigator: &TestUser) -> String {
    let created = json(
        app.post_json(
            &investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let submitted = app
        .post_json(
            &investigator.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    id
}

pub(crate) async fn start_and_assign(app: &TestApp, committee: &Committee, id: &str) {
    let started = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "start_review", "committee_id": committee.id}),
        )
        .await;
    let status = started.status();
    let body = json(started).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "under_review");
    for reviewer in &committee.reviewers {
        let assigned = app
            .post_json(
                &committee.chair.token,
                &format!("/api/v1/proposals/{id}/reviewers"),
                &json!({"reviewer_id": reviewer.id}),
            )
            .await;
        assert_eq!(assigned.status(), 201);
    }
}

async fn complete_review(
    app: &TestApp,
    reviewer: &TestUser,
    id: &str,
    confidential: &str,
    to_investigator: &str,
    recommendation: &str,
) {
    let coi = app
        .post_json(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await;
    assert_eq!(coi.status(), 200);
    let scores = json!({"scientific_merit": 5, "feasibility": 4, "alignment": 4, "budget": 3, "publication_plan": 5});
    let saved = app
        .put_my_review(
            &reviewer.token,
            id,
            &json!({
                "scores": scores, "recommendation": recommendation, "complete": true,
                "comments_to_investigator": to_investigator, "confidential_comments": confidential,
            }),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let saved = json(saved).await;
    assert_eq!(saved["completed"], true);
    // (5·30 + 4·20 + 4·20 + 3·15 + 5·15) / 100 = 4.3
    assert!((saved["weighted_score"].as_f64().unwrap() - 4.3).abs() < 1e-9);
}

#[actix_web::test]
async fn coi_first_review_with_quorum_and_a_confidential_free_decision_letter() {
    let sink = SmtpSink::start(0).await;
    let url = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(url);
        s.outbox_poll = std::time::Duration::from_millis(50);
    })
    .await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 2, &["alpha", "bravo", "charlie"]).await;
    let id = submitted_proposal(&app, &yamada).await;
    start_and_assign(&app, &committee, &id).await;
    let [alpha, bravo, charlie] = [
        &committee.reviewers[0],
        &committee.reviewers[1],
        &committee.reviewers[2],
    ];

    // Before declaring, a reviewer sees only the COI view.
    assert_eq!(
        app.get(&charlie.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        403
    );
    let limited = json(
        app.get(&charlie.token, &format!("/api/v1/proposals/{id}/coi"))
            .await,
    )
    .await;
    assert_eq!(
        limited["title"],
        "日本人2型糖尿病患者におけるLIA-101の腎保護効果"
    );
    assert_eq!(limited["institution"], "東都大学病院");
    assert!(limited.get("content").is_none() && limited.get("background").is_none());
    // Declaring a conflict recuses for good.
    let no_note = app
        .post_json(
            &charlie.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "financial"}),
        )
        .await;
    assert_eq!(no_note.status(), 422);
    let recused = app
        .post_json(
            &charlie.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "financial", "note": "講演料の受領"}),
        )
        .await;
    assert_eq!(recused.status(), 200);
    assert_eq!(json(recused).await["coi_status"], "conflict");
    assert_eq!(
        app.get(&charlie.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        403
    );
    assert_eq!(
        app.get(
            &charlie.token,
            &format!("/api/v1/proposals/{id}/reviews/mine")
        )
        .await
        .status(),
        403
    );
    let again = app
        .post_json(
            &charlie.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await;
    assert_eq!(again.status(), 409, "a recusal cannot be undone");

    complete_review(
        &app,
        alpha,
        &id,
        "CONFIDENTIAL-XYZ 予算が過大",
        "症例数の根拠を補足してください",
        "approve_with_conditions",
    )
    .await;
    assert_eq!(
        app.get(&alpha.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        200
    );

    // One completed review, quorum 2: refused without an override.
    let decision = json!({"outcome": "approve_with_conditions", "rationale": "科学的に妥当", "conditions": ["jRCT に登録すること"]});
    let early = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &decision,
        )
        .await;
    assert_eq!(early.status(), 409);
    assert!(
        json(early).await["detail"]
            .as_str()
            .unwrap()
            .contains("quorum")
    );

    complete_review(
        &app,
        bravo,
        &id,
        "SECRET-ABC 利益相反の懸念",
        "公表計画は良好です",
        "approve",
    )
    .await;
    let reviews = json(
        app.get(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/reviews"),
        )
        .await,
    )
    .await;
    assert_eq!(reviews["completed"], 2);
    assert_eq!(reviews["quorum_met"], true);
    assert!((reviews["score"].as_f64().unwrap() - 4.3).abs() < 1e-9);
    assert!(
        reviews.to_string().contains("CONFIDENTIAL-XYZ"),
        "the committee sees confidential comments"
    );
    let ranking = json(app.get(&committee.chair.token, "/api/v1/ranking").await).await;
    assert_eq!(ranking[0]["id"], id.as_str());

    let decided = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &decision,
        )
        .await;
    assert_eq!(decided.status(), 201);
    let proposal = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}"))
            .await,
    )
    .await;
    assert_eq!(proposal["status"], "approved");

    // The investigator's view: comments to the investigator, no names, nothing confidential.
    let view = app
        .get(&yamada.token, &format!("/api/v1/proposals/{id}/decision"))
        .await;
    assert_eq!(view.status(), 200);
    let view_text = view.text().await.unwrap();
    assert!(view_text.contains("症例数の根拠を補足してください"));
    assert!(view_text.contains("jRCT に登録すること"));
    for secret in [
        "CONFIDENTIAL-XYZ",
        "SECRET-ABC",
        "alpha",
        "bravo",
        "charlie",
    ] {
        assert!(
            !view_text.contains(secret),
            "{secret} leaked into the investigator's view"
        );
    }
    assert_eq!(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/reviews"))
            .await
            .status(),
        403
    );
    // Reviews are frozen after the decision.
    let late = app
        .api
        .put(app.url(&format!("/api/v1/proposals/{id}/reviews/mine")))
        .bearer_auth(&alpha.token)
        .header("If-Match", "\"v99\"")
        .json(&json!({"scores": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 409);

    // The letter by email: the same rule.
    let mails = sink.wait_for(1, 20).await;
    let _ = mails;
    let mut letter = None;
    for _ in 0..100 {
        letter = sink
            .messages()
            .iter()
            .map(|m| parse(m))
            .find(|m| m.to.contains("yamada@example.jp") && m.subject.contains("審査結果"));
        if letter.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let letter = letter.expect("the decision letter arrives");
    // The investigator version of the summary is attached, and it is free of confidential text.
    assert_eq!(letter.attachments.len(), 1);
    assert!(letter.attachments[0].0.ends_with(".pdf"));
    let attached = pdf_extract::extract_text_from_mem(&letter.attachments[0].1).expect("PDF text");
    assert!(attached.contains("症例数の根拠を補足してください"));
    for secret in ["CONFIDENTIAL-XYZ", "SECRET-ABC", "alpha", "bravo"] {
        assert!(
            !attached.contains(secret),
            "{secret} leaked into the attached summary"
        );
    }
    assert!(letter.text.contains("症例数の根拠を補足してください"));
    assert!(letter.text.contains("jRCT に登録すること"));
    for secret in [
        "CONFIDENTIAL-XYZ",
        "SECRET-ABC",
        "alpha",
        "bravo",
        "charlie",
    ] {
        assert!(
            !letter.text.contains(secret) && !letter.html.contains(secret),
            "{secret} leaked into the letter"
        );
    }

    // The recusal and the decision are in the audit trail.
    let audit = json(
        app.get(&admin.token, &format!("/api/v1/proposals/{id}/audit"))
            .await,
    )
    .await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    for expected in [
        "review.assign",
        "review.coi_declared",
        "review.complete",
        "proposal.approve_with_conditions",
        "review.decision",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
}

#[actix_web::test]
async fn a_decision_before_quorum_needs_an_override_reason_which_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 3, &["alpha"]).await;
    let id = submitted_proposal(&app, &yamada).await;
    start_and_assign(&app, &committee, &id).await;
    let overridden = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "reject", "rationale": "自社製品の適応外", "quorum_override_reason": "委員の欠員のため委員長判断"}),
        )
        .await;
    assert_eq!(overridden.status(), 201);
    let audit = json(
        app.get(&admin.token, &format!("/api/v1/proposals/{id}/audit"))
            .await,
    )
    .await;
    let decision = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "review.decision")
        .unwrap();
    assert_eq!(decision["reason"], "委員の欠員のため委員長判断");
    let committee_view = json(
        app.get(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
        )
        .await,
    )
    .await;
    assert_eq!(
        committee_view["quorum_override_reason"],
        "委員の欠員のため委員長判断"
    );
    let investigator_view = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/decision"))
            .await,
    )
    .await;
    assert!(investigator_view["quorum_override_reason"].is_null());
}

#[actix_web::test]
async fn revise_and_resubmit_reaches_round_2_and_reviewers_see_what_changed() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 1, &["alpha"]).await;
    let alpha = &committee.reviewers[0];
    let id = submitted_proposal(&app, &yamada).await;
    start_and_assign(&app, &committee, &id).await;
    complete_review(
        &app,
        alpha,
        &id,
        "",
        "主要評価項目を再検討してください",
        "revise_and_resubmit",
    )
    .await;
    let decided = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "revise_and_resubmit", "rationale": "評価項目の再検討が必要"}),
        )
        .await;
    assert_eq!(decided.status(), 201);
    let current = app
        .get(&yamada.token, &format!("/api/v1/proposals/{id}"))
        .await;
    let etag = current.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(json(current).await["status"], "revision_requested");

    let revised = app
        .patch_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}"),
            Some(&etag),
            &json!({"primary_endpoint": "52週時点のUACR変化率"}),
        )
        .await;
    assert_eq!(revised.status(), 200);
    let resubmitted = app
        .post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    let resubmitted = json(resubmitted).await;
    assert_eq!(resubmitted["round"], 2);
    assert_eq!(resubmitted["status"], "submitted");
    let restarted = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "start_review"}),
        )
        .await;
    assert_eq!(restarted.status(), 200, "the committee stays chosen");

    // The reviewer carries over into round 2 (already cleared) and sees the changes.
    let diff = json(
        app.get(&alpha.token, &format!("/api/v1/proposals/{id}/diff"))
            .await,
    )
    .await;
    assert_eq!(diff["from"], 1);
    assert_eq!(diff["to"], 2);
    assert_eq!(
        diff["changes"],
        json!([{"field": "primary_endpoint", "before": "52週時点のeGFR変化量", "after": "52週時点のUACR変化率"}])
    );
    let mine = json(
        app.get(
            &alpha.token,
            &format!("/api/v1/proposals/{id}/reviews/mine"),
        )
        .await,
    )
    .await;
    assert_eq!(mine["review"]["round"], 2);
    assert_eq!(mine["review"]["completed"], false);

    let browser = app.signed_in_browser(alpha).await;
    let page = browser
        .get(app.url(&format!("/proposals/{id}/review")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("52週時点のUACR変化率") && html.contains("52週時点のeGFR変化量"),
        "before and after shown"
    );
}

#[actix_web::test]
async fn the_investigator_reads_the_audit_trail_without_review_content() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 3, &["alpha", "beta"]).await;
    let id = submitted_proposal(&app, &yamada).await;
    start_and_assign(&app, &committee, &id).await;
    let alpha = &committee.reviewers[0];
    complete_review(
        &app,
        alpha,
        &id,
        "MARKER-CONFIDENTIAL",
        "MARKER-TO-PI",
        "approve",
    )
    .await;
    let decided = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "approve", "rationale": "MARKER-RATIONALE",
                    "quorum_override_reason": "MARKER-OVERRIDE"}),
        )
        .await;
    assert_eq!(decided.status(), 201);

    let trail = |token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            let response = app
                .get(&token, &format!("/api/v1/proposals/{id}/audit"))
                .await;
            assert_eq!(response.status(), 200);
            response.text().await.unwrap()
        }
    };
    let admin_view = trail(admin.token.clone()).await;
    let investigator_view = trail(yamada.token.clone()).await;
    let restricted = [
        "MARKER-CONFIDENTIAL",
        "MARKER-TO-PI",
        "MARKER-OVERRIDE",
        "review.coi_declared",
        "review.assign",
        "review.complete",
        "scientific_merit",
        "quorum_override_reason",
        alpha.id.as_str(),
        committee.chair.id.as_str(),
    ];
    for marker in restricted {
        assert!(admin_view.contains(marker), "admins see {marker}");
        assert!(
            !investigator_view.contains(marker),
            "the investigator must not see {marker}: {investigator_view}"
        );
    }
    // What the investigator may know is there: their own changes, the status changes and
    // the decision's outcome and rationale.
    let records: Value = serde_json::from_str(&investigator_view).unwrap();
    let actions: Vec<&str> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"proposal.create"), "{actions:?}");
    assert!(actions.contains(&"proposal.submit"), "{actions:?}");
    assert!(actions.contains(&"review.decision"), "{actions:?}");
    assert!(investigator_view.contains("MARKER-RATIONALE"));
    assert!(
        records
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["hash"].is_null())
    );
}

#[actix_web::test]
async fn a_chair_recused_from_one_proposal_still_ranks_the_others() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 1, &["alpha"]).await;
    let recused_from = submitted_proposal(&app, &yamada).await;
    let other = submitted_proposal(&app, &yamada).await;
    start_and_assign(&app, &committee, &recused_from).await;
    start_and_assign(&app, &committee, &other).await;
    // The chair sits as a reviewer on one proposal, then declares a conflict on it.
    let assigned = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{recused_from}/reviewers"),
            &json!({"reviewer_id": committee.chair.id}),
        )
        .await;
    assert_eq!(assigned.status(), 201);
    let declared = app
        .post_json(
            &committee.chair.token,
            &format!("/api/v1/proposals/{recused_from}/coi"),
            &json!({"conflict": "financial", "note": "共同研究者"}),
        )
        .await;
    let status = declared.status();
    assert_eq!(status, 200, "{}", declared.text().await.unwrap());

    let ranking = app.get(&committee.chair.token, "/api/v1/ranking").await;
    assert_eq!(ranking.status(), 200);
    let ids: Vec<String> = json(ranking)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec![other.clone()], "the recused proposal is left out");

    let browser = app.signed_in_browser(&committee.chair).await;
    let page = browser.get(app.url("/ranking")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("/proposals/{other}")), "{html}");
    assert!(!html.contains(&format!("/proposals/{recused_from}")));
}

#[actix_web::test]
async fn the_review_page_lists_the_documents_and_declarations_once_the_reviewer_is_cleared() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let committee = committee(&app, &admin, 1, &["alpha"]).await;
    let id = submitted_proposal(&app, &yamada).await;
    {
        let mut conn = app.conn();
        let owner = liaison::store::users::find(&mut conn, &yamada.id).unwrap();
        let owner = liaison::auth::Principal::from_user(&owner);
        liaison::db::write_tx(&mut conn, |conn| {
            liaison::workflows::msl::upload_document(
                conn,
                &owner,
                &id,
                "protocol",
                "研究計画書.pdf",
                b"%PDF-1.7 protocol",
            )
        })
        .unwrap();
    }
    start_and_assign(&app, &committee, &id).await;
    let reviewer = &committee.reviewers[0];
    let browser = app.signed_in_browser(reviewer).await;
    let review_url = app.url(&format!("/proposals/{id}/review"));
    let before = browser
        .get(&review_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !before.contains("研究計画書.pdf"),
        "nothing before the COI declaration"
    );

    let cleared = app
        .post_json(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await;
    assert!(cleared.status().is_success(), "{}", cleared.status());
    let page = browser
        .get(&review_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"declarations\""),
        "the declarations are on the page"
    );
    assert!(page.contains("研究計画書.pdf"), "the document is listed");
    let documents = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/documents"))
            .await,
    )
    .await;
    let document_id = documents
        .as_array()
        .and_then(|d| d.first())
        .and_then(|d| d["id"].as_str())
        .expect("the document")
        .to_string();
    assert!(page.contains(&document_id), "a download link to it");
    let href = format!("/proposals/{id}/documents/{document_id}");
    let download = browser.get(app.url(&href)).send().await.unwrap();
    assert_eq!(
        download.status(),
        200,
        "downloaded through the access layer"
    );
    assert_eq!(
        download.bytes().await.unwrap().as_ref(),
        b"%PDF-1.7 protocol"
    );
}
