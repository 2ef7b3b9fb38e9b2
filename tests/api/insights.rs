//! MSL field insights: listening priorities, the compliance check on save, the justification
//! rule on submission, acknowledgement, the period report (JSON, CSV, Japanese PDF) and the
//! rule that no insight reaches an investigator, reviewer, chair or CRO.

use diesel::connection::SimpleConnection;
use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app_with};

struct People {
    admin: TestUser,
    msl: TestUser,
    investigator: TestUser,
}

fn people(app: &TestApp) -> People {
    People {
        admin: app.user("admin@example.jp", Role::Admin, Lang::Ja),
        msl: app.user("msl.sato@example.jp", Role::Msl, Lang::Ja),
        investigator: app.user("yamada@example.jp", Role::Investigator, Lang::Ja),
    }
}

/// A submitted proposal of the investigator with the MSL assigned.
async fn advised_proposal(app: &TestApp, p: &People) -> String {
    let created = json(
        app.post_json(
            &p.investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    let submitted = app
        .post_json(
            &p.investigator.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    let assigned = app
        .post_json(
            &p.admin.token,
            &format!("/api/v1/proposals/{id}/msls"),
            &json!({"msl_id": p.msl.id}),
        )
        .await;
    assert_eq!(assigned.status(), 204);
    id
}

async fn priority(app: &TestApp, admin: &TestUser, ja: &str, en: &str) -> String {
    let created = app
        .post_json(
            &admin.token,
            "/api/v1/listening-priorities",
            &json!({
                "therapeutic_area": "糖尿病", "product": "LIA-101",
                "question_ja": ja, "question_en": en, "active_from": "2026-01-01",
            }),
        )
        .await;
    assert_eq!(created.status(), 201);
    json(created).await["id"].as_str().unwrap().to_string()
}

fn insight_body(title: &str, body: &str, category: &str, priorities: &[&str]) -> Value {
    json!({
        "title": title, "body": body, "category": category, "source": "one_to_one",
        "therapeutic_area": "糖尿病", "product": "LIA-101",
        "listening_priority_ids": priorities,
    })
}

async fn create(app: &TestApp, msl: &TestUser, body: &Value) -> Value {
    let response = app.post_json(&msl.token, "/api/v1/insights", body).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

async fn put_json(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.api
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn admins_write_listening_priorities_and_msls_read_them() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let refused = app
        .post_json(
            &p.msl.token,
            "/api/v1/listening-priorities",
            &json!({"therapeutic_area": "糖尿病", "question_ja": "問", "question_en": "Q", "active_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(refused.status(), 403);
    let invalid = app
        .post_json(
            &p.admin.token,
            "/api/v1/listening-priorities",
            &json!({"therapeutic_area": "", "question_ja": "問", "question_en": "Q",
                    "active_from": "2026-06-01", "active_to": "2026-01-01"}),
        )
        .await;
    assert_eq!(invalid.status(), 422);
    let fields: Vec<String> = json(invalid).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["therapeutic_area", "active_to"]);
    let id = priority(
        &app,
        &p.admin,
        "腎機能低下例での使用実態は？",
        "How is it used in renal impairment?",
    )
    .await;
    let changed = put_json(
        &app,
        &p.admin.token,
        &format!("/api/v1/listening-priorities/{id}"),
        &json!({"therapeutic_area": "糖尿病", "product": "LIA-101", "question_ja": "腎機能低下例の使用実態",
                "question_en": "Use in renal impairment", "active_from": "2026-01-01", "active_to": "2026-12-31"}),
    )
    .await;
    assert_eq!(changed.status(), 200);
    let listed = json(app.get(&p.msl.token, "/api/v1/listening-priorities").await).await;
    assert_eq!(listed[0]["question_ja"], "腎機能低下例の使用実態");
    assert_eq!(listed[0]["active_to"], "2026-12-31");
    for outsider in [&p.investigator] {
        assert_eq!(
            app.get(&outsider.token, "/api/v1/listening-priorities")
                .await
                .status(),
            403
        );
    }
}

#[actix_web::test]
async fn a_restricted_word_blocks_submission_until_justified_and_the_justification_is_audited() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let proposal = advised_proposal(&app, &p).await;
    let mut body = insight_body(
        "処方増への期待",
        "先生は処方増につながると述べた。連絡先は090-1234-5678。",
        "treatment_practice",
        &[],
    );
    body["proposal_ids"] = json!([proposal]);
    body["investigator_ids"] = json!([p.investigator.id]);
    let created = create(&app, &p.msl, &body).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["proposals"][0]["id"], proposal.as_str());
    // Saved, with every match shown with its phrase and field.
    let matches: Vec<(String, String, String)> = created["compliance_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["field"].as_str().unwrap().into(),
                m["kind"].as_str().unwrap().into(),
                m["phrase"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        matches,
        [
            ("title".into(), "sales".into(), "処方増".into()),
            ("body".into(), "sales".into(), "処方増".into()),
            ("body".into(), "phone_number".into(), "090-1234-5678".into()),
        ]
    );
    let submit = |justification: Value| {
        let app = &app;
        let token = p.msl.token.clone();
        async move {
            app.post_json(
                &token,
                &format!("/api/v1/insights/{id}/submit"),
                &justification,
            )
            .await
        }
    };
    // Without a justification: refused, each match listed by field, and the justification asked.
    let refused = submit(json!({})).await;
    assert_eq!(refused.status(), 422);
    let problem = json(refused).await;
    let errors: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("title".into(), "restricted_phrase".into()),
            ("body".into(), "restricted_phrase".into()),
            ("body".into(), "patient_data".into()),
            ("justification".into(), "justification_required".into()),
        ]
    );
    assert!(problem.to_string().contains("090-1234-5678"));
    assert_eq!(
        submit(json!({"justification": "発言どおり"}))
            .await
            .status(),
        422
    );
    // With one: submitted, and the justification is in the history and the audit trail.
    let reason = "医師の発言をそのまま記録した。販促目的ではない。";
    let submitted = submit(json!({"justification": reason})).await;
    assert_eq!(submitted.status(), 200);
    let submitted = json(submitted).await;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["justification"], reason);
    let history = json(
        app.get(&p.msl.token, &format!("/api/v1/insights/{id}/history"))
            .await,
    )
    .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["insight.create", "insight.submit"]);
    assert_eq!(history[1]["justification"], reason);
    assert_eq!(
        history[1]["compliance_matches"].as_array().unwrap().len(),
        3
    );
    let mut conn = app.conn();
    let audited: Vec<liaison::store::audit::AuditRow> =
        liaison::store::audit::for_entity(&mut conn, "insight", id).unwrap();
    let submit_record = audited
        .iter()
        .find(|r| r.action == "insight.submit")
        .unwrap();
    assert_eq!(submit_record.reason.as_deref(), Some(reason));
    assert!(
        submit_record
            .after_json
            .as_deref()
            .unwrap()
            .contains("090-1234-5678")
    );
    // The history is append-only in the database itself.
    assert!(
        conn.batch_execute("UPDATE insight_history SET justification = 'x'")
            .is_err()
    );
    assert!(conn.batch_execute("DELETE FROM insight_history").is_err());
    // A submitted insight is no longer edited or submitted.
    assert_eq!(
        put_json(&app, &p.msl.token, &format!("/api/v1/insights/{id}"), &body)
            .await
            .status(),
        409
    );
    assert_eq!(submit(json!({"justification": reason})).await.status(), 409);
}

#[actix_web::test]
async fn changing_the_text_is_the_other_way_to_submit_and_an_admin_acknowledges() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let created = create(
        &app,
        &p.msl,
        &insight_body(
            "売上の話",
            "生年月日 1960年4月1日 の患者で効果",
            "unmet_need",
            &[],
        ),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let kinds: Vec<&str> = created["compliance_matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sales", "date_of_birth"]);
    // Admins do not see drafts; another MSL does not see someone else's insight.
    assert_eq!(
        app.get(&p.admin.token, &format!("/api/v1/insights/{id}"))
            .await
            .status(),
        404
    );
    let other_msl = app.user("msl.kato@example.jp", Role::Msl, Lang::Ja);
    assert_eq!(
        app.get(&other_msl.token, &format!("/api/v1/insights/{id}"))
            .await
            .status(),
        404
    );
    let fixed = put_json(
        &app,
        &p.msl.token,
        &format!("/api/v1/insights/{id}"),
        &insight_body(
            "治療上の課題",
            "高齢患者で効果の持続に課題があるとの意見",
            "unmet_need",
            &[],
        ),
    )
    .await;
    assert_eq!(fixed.status(), 200);
    assert_eq!(json(fixed).await["compliance_matches"], json!([]));
    // The admin cannot acknowledge a draft.
    assert_eq!(
        app.post_json(
            &p.admin.token,
            &format!("/api/v1/insights/{id}/acknowledge"),
            &json!({})
        )
        .await
        .status(),
        404
    );
    let submitted = app
        .post_json(
            &p.msl.token,
            &format!("/api/v1/insights/{id}/submit"),
            &json!({}),
        )
        .await;
    assert_eq!(submitted.status(), 200);
    assert_eq!(json(submitted).await["justification"], Value::Null);
    // The MSL cannot acknowledge; the admin can, once.
    assert_eq!(
        app.post_json(
            &p.msl.token,
            &format!("/api/v1/insights/{id}/acknowledge"),
            &json!({})
        )
        .await
        .status(),
        403
    );
    let acknowledged = app
        .post_json(
            &p.admin.token,
            &format!("/api/v1/insights/{id}/acknowledge"),
            &json!({}),
        )
        .await;
    assert_eq!(acknowledged.status(), 200);
    let acknowledged = json(acknowledged).await;
    assert_eq!(acknowledged["status"], "acknowledged");
    assert!(acknowledged["acknowledged_at"].is_string());
    assert_eq!(
        app.post_json(
            &p.admin.token,
            &format!("/api/v1/insights/{id}/acknowledge"),
            &json!({})
        )
        .await
        .status(),
        409
    );
    let listed = json(app.get(&p.admin.token, "/api/v1/insights").await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let history = json(
        app.get(&p.msl.token, &format!("/api/v1/insights/{id}/history"))
            .await,
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 4);
    assert_eq!(history[3]["action"], "insight.acknowledge");
}

#[actix_web::test]
async fn an_added_restricted_phrase_is_checked_on_save() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let add = |token: String| {
        let app = &app;
        async move {
            app.post_json(
                &token,
                "/api/v1/restricted-phrases",
                &json!({"phrase": "独占", "kind": "other"}),
            )
            .await
            .status()
        }
    };
    assert_eq!(add(p.msl.token.clone()).await, 403);
    assert_eq!(add(p.admin.token.clone()).await, 204);
    assert_eq!(add(p.admin.token.clone()).await, 409);
    let phrases = json(app.get(&p.msl.token, "/api/v1/restricted-phrases").await).await;
    assert!(
        phrases
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["phrase"] == "売上")
    );
    let created = create(
        &app,
        &p.msl,
        &insight_body("市場の独占", "本文", "competitive_landscape", &[]),
    )
    .await;
    assert_eq!(created["compliance_matches"][0]["phrase"], "独占");
}

/// Sets an insight's submission time directly (the report counts by submission day).
fn submitted_on(app: &TestApp, id: &str, day: chrono::NaiveDate) {
    let mut conn = app.conn();
    conn.batch_execute(&format!(
        "UPDATE insights SET submitted_at = '{} 03:00:00' WHERE id = '{id}'",
        day.format("%Y-%m-%d")
    ))
    .unwrap();
}

#[actix_web::test]
async fn the_report_compares_two_periods_as_json_csv_and_a_japanese_pdf() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let renal = priority(
        &app,
        &p.admin,
        "腎機能低下例での使用実態は？",
        "How is it used in renal impairment?",
    )
    .await;
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    for (title, category, priorities, on) in [
        (
            "腎機能と用量",
            "unmet_need",
            vec![renal.as_str()],
            "2026-11-10",
        ),
        ("高齢者の安全性", "safety_perception", vec![], "2026-11-20"),
        (
            "腎機能の評価",
            "unmet_need",
            vec![renal.as_str()],
            "2026-10-15",
        ),
    ] {
        let created = create(
            &app,
            &p.msl,
            &insight_body(title, "外来での実態についての意見", category, &priorities),
        )
        .await;
        let id = created["id"].as_str().unwrap().to_string();
        let submitted = app
            .post_json(
                &p.msl.token,
                &format!("/api/v1/insights/{id}/submit"),
                &json!({}),
            )
            .await;
        assert_eq!(submitted.status(), 200);
        submitted_on(&app, &id, day(on));
    }
    // A draft never counts.
    create(
        &app,
        &p.msl,
        &insight_body("下書き", "本文", "unmet_need", &[]),
    )
    .await;
    let report = json(
        app.get(
            &p.admin.token,
            "/api/v1/reports/insights?from=2026-11-01&to=2026-11-30",
        )
        .await,
    )
    .await;
    assert_eq!(
        report["previous_period"],
        json!({"from": "2026-10-02", "to": "2026-10-31"})
    );
    assert_eq!(report["total"]["current"], 2);
    assert_eq!(report["total"]["previous"], 1);
    assert_eq!(report["total"]["change_percent"], 100);
    let unmet = report["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "unmet_need")
        .unwrap();
    assert_eq!(
        (
            unmet["current"].as_u64(),
            unmet["previous"].as_u64(),
            unmet["trend"].as_str()
        ),
        (Some(1), Some(1), Some("flat"))
    );
    let safety = report["by_category"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "safety_perception")
        .unwrap();
    assert_eq!(safety["trend"], "new");
    assert_eq!(
        report["by_listening_priority"][0]["label"],
        "腎機能低下例での使用実態は？"
    );
    assert_eq!(report["by_therapeutic_area"][0]["key"], "糖尿病");
    assert_eq!(report["representatives"].as_array().unwrap().len(), 2);
    // English questions in an English report.
    let english = json(
        app.get(
            &p.msl.token,
            "/api/v1/reports/insights?from=2026-11-01&to=2026-11-30&lang=en",
        )
        .await,
    )
    .await;
    assert_eq!(
        english["by_listening_priority"][0]["label"],
        "How is it used in renal impairment?"
    );
    // CSV.
    let csv = app
        .get(
            &p.admin.token,
            "/api/v1/reports/insights.csv?from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = csv.text().await.unwrap();
    assert!(csv.starts_with('\u{feff}'));
    assert!(
        csv.contains("category,unmet_need,アンメットニーズ,1,1,flat,0"),
        "{csv}"
    );
    assert!(csv.contains("listening_priority,"));
    // The PDF's text extracts in Japanese.
    let pdf = app
        .get(
            &p.admin.token,
            "/api/v1/reports/insights.pdf?from=2026-11-01&to=2026-11-30",
        )
        .await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&pdf.bytes().await.unwrap()).unwrap();
    for expected in [
        "インサイトレポート",
        "カテゴリ別",
        "アンメットニーズ",
        "安全性の認識",
        "腎機能低下例での使用実態は？",
        "腎機能と用量",
        "2026-10-02",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Bad periods are named.
    let reversed = app
        .get(
            &p.admin.token,
            "/api/v1/reports/insights?from=2026-11-30&to=2026-11-01",
        )
        .await;
    assert_eq!(reversed.status(), 422);
    assert_eq!(json(reversed).await["errors"][0]["field"], "to");
}

/// Every insight route and output, as each outside audience: none answers with an insight,
/// a listening priority or the report (the visibility table's `Insights` row).
#[actix_web::test]
async fn no_insight_reaches_an_investigator_reviewer_chair_or_cro() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let p = people(&app);
    let proposal = advised_proposal(&app, &p).await;
    let marker = "LEAKMARKER機密インサイト";
    let question = "LEAKMARKER優先質問";
    let priority_id = priority(&app, &p.admin, question, question).await;
    let mut body = insight_body(
        marker,
        &format!("{marker}の本文"),
        "unmet_need",
        &[&priority_id],
    );
    body["proposal_ids"] = json!([proposal]);
    body["investigator_ids"] = json!([p.investigator.id]);
    let created = create(&app, &p.msl, &body).await;
    let id = created["id"].as_str().unwrap().to_string();
    app.post_json(
        &p.msl.token,
        &format!("/api/v1/insights/{id}/submit"),
        &json!({}),
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let from = today - chrono::Duration::days(30);
    let to = today + chrono::Duration::days(1);
    let reviewer = app.user("reviewer@example.jp", Role::Reviewer, Lang::Ja);
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let cro = app.user("cro@example.jp", Role::Cro, Lang::Ja);
    let paths = [
        "/api/v1/insights".to_string(),
        format!("/api/v1/insights/{id}"),
        format!("/api/v1/insights/{id}/history"),
        "/api/v1/listening-priorities".to_string(),
        "/api/v1/restricted-phrases".to_string(),
        format!("/api/v1/reports/insights?from={from}&to={to}"),
        format!("/api/v1/reports/insights.csv?from={from}&to={to}"),
        format!("/api/v1/reports/insights.pdf?from={from}&to={to}"),
        format!("/api/v1/proposals/{proposal}"),
        format!("/api/v1/proposals/{proposal}/audit"),
        format!("/api/v1/proposals/{proposal}/interactions"),
    ];
    // The admin and the MSL do see it (so the probe would find a leak).
    let seen = app
        .get(
            &p.admin.token,
            &format!("/api/v1/reports/insights?from={from}&to={to}"),
        )
        .await;
    assert!(seen.text().await.unwrap().contains(marker));
    for (who, user) in [
        ("investigator", &p.investigator),
        ("reviewer", &reviewer),
        ("chair", &chair),
        ("cro", &cro),
    ] {
        for path in &paths {
            let response = app.get(&user.token, path).await;
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            if path.starts_with("/api/v1/insights")
                || path.contains("listening")
                || path.contains("reports/")
                || path.contains("restricted")
            {
                assert!(matches!(status, 403 | 404), "{who} {path}: {status}");
            }
            assert!(!text.contains("LEAKMARKER"), "{who} {path} leaked: {text}");
        }
        // Nor can they write.
        assert_eq!(
            app.post_json(
                &user.token,
                "/api/v1/insights",
                &insight_body("x", "y", "unmet_need", &[])
            )
            .await
            .status(),
            403,
            "{who}"
        );
    }
}
