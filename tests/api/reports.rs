use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app_with};

async fn pdf(app: &TestApp, user: &TestUser, path: &str) -> (Vec<u8>, String) {
    let response = app.get(&user.token, path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let bytes = response.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("extractable text");
    (bytes, text)
}

#[actix_web::test]
async fn the_summary_has_the_japanese_title_every_heading_and_stays_small() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (bytes, text) = pdf(
        &app,
        &yamada,
        &format!("/api/v1/proposals/{id}/summary.pdf"),
    )
    .await;
    assert!(
        bytes.len() < 200 * 1024,
        "a typical summary is under 200 KB, got {}",
        bytes.len()
    );
    assert!(
        text.contains("日本人2型糖尿病患者におけるLIA-101の腎保護効果"),
        "title in {text}"
    );
    for heading in [
        "研究デザイン",
        "支援の依頼",
        "予算",
        "共同研究者",
        "倫理審査・登録・公表",
        "研究提案書サマリー",
    ] {
        assert!(text.contains(heading), "heading {heading} missing");
    }
    assert!(
        text.contains("1 / ") && text.contains("ページ"),
        "page number"
    );
    let (_, english) = pdf(
        &app,
        &yamada,
        &format!("/api/v1/proposals/{id}/summary.pdf?lang=en"),
    )
    .await;
    for heading in [
        "Study design",
        "Requested support",
        "Proposal summary",
        "Page 1 of ",
    ] {
        assert!(english.contains(heading), "heading {heading} missing");
    }
    let other = app.user("other@example.jp", Role::Investigator, Lang::Ja);
    assert_eq!(
        app.get(&other.token, &format!("/api/v1/proposals/{id}/summary.pdf"))
            .await
            .status(),
        404
    );
}

#[actix_web::test]
async fn a_long_background_flows_onto_more_pages_with_page_numbers() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let mut body = complete_proposal();
    body["background"] = json!("糖尿病性腎臓病は日本における透析導入の主要な原因であり、その進行抑制は重要な臨床課題である。".repeat(60));
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &body)
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let (_, text) = pdf(
        &app,
        &yamada,
        &format!("/api/v1/proposals/{id}/summary.pdf"),
    )
    .await;
    let pages = (2..=9)
        .rev()
        .find(|n| text.contains(&format!("1 / {n} ページ")))
        .expect("more than one page");
    for page in 1..=pages {
        assert!(
            text.contains(&format!("{page} / {pages} ページ")),
            "page {page} of {pages} numbered"
        );
    }
    // The running header (reference or draft marker) repeats on every page.
    assert!(text.matches("研究提案書サマリー").count() >= pages);
}

#[actix_web::test]
async fn the_committee_version_has_confidential_comments_and_the_investigator_version_does_not() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let reviewer = app.user("alpha@example.jp", Role::Reviewer, Lang::Ja);
    let committee = json(
        app.post_json(
            &admin.token,
            "/api/v1/committees",
            &json!({"name": "委員会", "quorum": 1, "members": [
            {"user_id": reviewer.id, "role": "reviewer"}, {"user_id": chair.id, "role": "chair"}]}),
        )
        .await,
    )
    .await;
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    app.post_json(
        &yamada.token,
        &format!("/api/v1/proposals/{id}/transitions"),
        &json!({"action": "submit"}),
    )
    .await;
    app.post_json(
        &chair.token,
        &format!("/api/v1/proposals/{id}/transitions"),
        &json!({"action": "start_review", "committee_id": committee["id"]}),
    )
    .await;
    app.post_json(
        &chair.token,
        &format!("/api/v1/proposals/{id}/reviewers"),
        &json!({"reviewer_id": reviewer.id}),
    )
    .await;
    app.post_json(
        &reviewer.token,
        &format!("/api/v1/proposals/{id}/coi"),
        &json!({"conflict": "none"}),
    )
    .await;
    let saved = app
        .put_my_review(&reviewer.token, &id, &json!({
            "scores": {"scientific_merit": 4, "feasibility": 4, "alignment": 4, "budget": 4, "publication_plan": 4},
            "recommendation": "approve", "complete": true,
            "comments_to_investigator": "統計解析計画を明確にしてください", "confidential_comments": "MEMBERS-ONLY 予算は削減可能",
        }))
        .await;
    assert_eq!(saved.status(), 200);
    let decided = app
        .post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "approve", "rationale": "妥当"}),
        )
        .await;
    assert_eq!(decided.status(), 201);

    let (_, committee_text) =
        pdf(&app, &chair, &format!("/api/v1/proposals/{id}/summary.pdf")).await;
    assert!(
        committee_text.contains("MEMBERS-ONLY"),
        "committee version shows confidential comments"
    );
    assert!(committee_text.contains("審査の評点"));
    let (_, investigator_text) = pdf(
        &app,
        &yamada,
        &format!("/api/v1/proposals/{id}/summary.pdf"),
    )
    .await;
    assert!(
        !investigator_text.contains("MEMBERS-ONLY"),
        "investigator version has no confidential comments"
    );
    assert!(!investigator_text.contains("alpha"), "no reviewer names");
    assert!(investigator_text.contains("統計解析計画を明確にしてください"));
    assert!(investigator_text.contains("審査結果"));

    let (_, status) = pdf(
        &app,
        &chair,
        &format!("/api/v1/proposals/{id}/status-report.pdf"),
    )
    .await;
    for text in ["研究進捗報告書", "経過", "承認"] {
        assert!(status.contains(text), "{text} missing in the status report");
    }
}
