use std::collections::BTreeMap;

use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app_with};

pub(crate) struct Study {
    pub(crate) admin: TestUser,
    pub(crate) yamada: TestUser,
    pub(crate) id: String,
}

/// An approved study: submitted, reviewed by a committee of one, approved by the chair.
pub(crate) async fn approved_study(app: &TestApp) -> Study {
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
    let step = |r: reqwest::Response| async move {
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_success(), "{status} {body}");
    };
    step(
        app.post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await,
    )
    .await;
    step(
        app.post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "start_review", "committee_id": committee["id"]}),
        )
        .await,
    )
    .await;
    step(
        app.post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/reviewers"),
            &json!({"reviewer_id": reviewer.id}),
        )
        .await,
    )
    .await;
    step(
        app.post_json(
            &reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await,
    )
    .await;
    let review = app
        .put_my_review(&reviewer.token, &id, &json!({"scores": {"scientific_merit": 5, "feasibility": 5, "alignment": 5, "budget": 5, "publication_plan": 5},
            "recommendation": "approve", "complete": true}))
        .await;
    step(review).await;
    step(
        app.post_json(
            &chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "approve", "rationale": "妥当"}),
        )
        .await,
    )
    .await;
    Study { admin, yamada, id }
}

#[actix_web::test]
async fn activation_is_refused_until_every_gate_is_recorded_then_allowed() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let id = &study.id;
    let refused = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "activate"}),
        )
        .await;
    assert_eq!(refused.status(), 409);
    let detail = json(refused).await["detail"].as_str().unwrap().to_string();
    for gate in ["contract_signed", "ethics_approved", "registered"] {
        assert!(detail.contains(gate), "{gate} not named in {detail}");
    }

    let gates_path = format!("/api/v1/proposals/{id}/gates");
    let current = app.get(&study.admin.token, &gates_path).await;
    assert_eq!(current.headers()["etag"], "\"v0\"");
    let bad = app
        .api
        .put(app.url(&gates_path))
        .bearer_auth(&study.admin.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({"registry": "jrct", "registry_id": "NCT04368728"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422, "an NCT number is not a jRCT id");
    let partial = app
        .api
        .put(app.url(&gates_path))
        .bearer_auth(&study.admin.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({"contract_signed_on": "2026-11-01", "registry": "jrct", "registry_id": "JPRN-jRCT2031210123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), 200);
    let etag = partial.headers()["etag"].to_str().unwrap().to_string();
    let partial = json(partial).await;
    assert_eq!(
        partial["registry_id"], "jRCT2031210123",
        "JPRN- prefix stripped"
    );
    assert_eq!(partial["missing"], json!(["ethics_approved"]));
    let still = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "activate"}),
        )
        .await;
    assert_eq!(still.status(), 409);

    let complete = app
        .api
        .put(app.url(&gates_path))
        .bearer_auth(&study.admin.token)
        .header("If-Match", etag)
        .json(&json!({"contract_signed_on": "2026-11-01", "ethics_committee": "東都大学臨床研究審査委員会",
            "ethics_approved_on": "2026-11-10", "ethics_approval_number": "CRB-2026-015", "registry": "jrct", "registry_id": "jRCT2031210123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(complete.status(), 200);
    let activated = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "activate"}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    assert_eq!(json(activated).await["status"], "active");
    let mut conn = app.conn();
    let queued = liaison::store::outbox::list(&mut conn, None, None, 50).unwrap();
    assert!(
        queued
            .iter()
            .any(|m| m.event == "study_activated" && m.recipient == "yamada@example.jp")
    );

    // The status report shows the gates and the milestones with their overdue marks.
    let late = (liaison::clock::programme_today() - chrono::Duration::days(2)).to_string();
    add_milestone(&app, &study.admin, id, "drug_shipped", &late, "admin").await;
    let report = app
        .get(
            &study.admin.token,
            &format!("/api/v1/proposals/{id}/status-report.pdf"),
        )
        .await;
    let text = pdf_extract::extract_text_from_mem(&report.bytes().await.unwrap()).unwrap();
    for expected in [
        "jRCT2031210123",
        "CRB-2026-015",
        "薬剤出荷",
        "2日超過",
        "研究開始の要件",
    ] {
        assert!(
            text.contains(expected),
            "{expected} missing from the status report"
        );
    }
}

async fn add_milestone(
    app: &TestApp,
    user: &TestUser,
    id: &str,
    kind: &str,
    due: &str,
    owner: &str,
) -> Value {
    let response = app
        .post_json(
            &user.token,
            &format!("/api/v1/proposals/{id}/milestones"),
            &json!({"kind": kind, "due_on": due, "owner_role": owner}),
        )
        .await;
    assert_eq!(response.status(), 201);
    json(response).await
}

#[actix_web::test]
async fn overdue_is_computed_from_the_date_and_clears_when_done() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    // The programme's date (Asia/Tokyo), which is what "overdue" counts from.
    let today = liaison::clock::programme_today();
    let yesterday = (today - chrono::Duration::days(3)).to_string();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let late = add_milestone(
        &app,
        &study.yamada,
        &study.id,
        "drug_shipped",
        &yesterday,
        "admin",
    )
    .await;
    add_milestone(
        &app,
        &study.yamada,
        &study.id,
        "first_patient_in",
        &tomorrow,
        "investigator",
    )
    .await;
    let list = json(
        app.get(
            &study.yamada.token,
            &format!("/api/v1/proposals/{}/milestones", study.id),
        )
        .await,
    )
    .await;
    let by_kind: BTreeMap<String, Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap().to_string(), m.clone()))
        .collect();
    assert_eq!(by_kind["drug_shipped"]["overdue"], true);
    assert_eq!(by_kind["drug_shipped"]["days_overdue"], 3);
    assert_eq!(by_kind["first_patient_in"]["overdue"], false);
    let overdue = json(app.get(&study.admin.token, "/api/v1/overdue").await).await;
    assert_eq!(overdue.as_array().unwrap().len(), 1);

    let done = app
        .api
        .patch(app.url(&format!(
            "/api/v1/proposals/{}/milestones/{}",
            study.id,
            late["id"].as_str().unwrap()
        )))
        .bearer_auth(&study.yamada.token)
        .header("If-Match", format!("\"v{}\"", late["version"]))
        .json(&json!({"completed_on": today.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(json(done).await["overdue"], false);
    assert_eq!(
        json(app.get(&study.admin.token, "/api/v1/overdue").await).await,
        json!([])
    );
}

#[actix_web::test]
async fn the_reminder_sequence_queues_each_email_once_under_a_controlled_clock() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let msl = app.user("msl@example.jp", Role::Msl, Lang::En);
    let assigned = app
        .post_json(
            &study.admin.token,
            &format!("/api/v1/proposals/{}/msls", study.id),
            &json!({"msl_id": msl.id}),
        )
        .await;
    assert_eq!(assigned.status(), 204);
    let due = chrono::NaiveDate::from_ymd_opt(2031, 3, 31).unwrap();
    add_milestone(
        &app,
        &study.yamada,
        &study.id,
        "final_report",
        &due.to_string(),
        "investigator",
    )
    .await;

    let mut conn = app.conn();
    // Thirty-five days, the job three times a day (as several processes might).
    for offset in -10..25 {
        let today = due + chrono::Duration::days(offset);
        for _ in 0..3 {
            liaison::db::write_tx(&mut conn, |conn| {
                liaison::workflows::study::queue_reminders(conn, today)
            })
            .unwrap();
        }
    }
    let queued = liaison::store::outbox::list(&mut conn, None, None, 200).unwrap();
    let reminders: Vec<String> = queued
        .iter()
        .filter(|m| m.event == "milestone_reminder")
        .map(|m| {
            format!(
                "{}:{}",
                m.recipient,
                serde_json::from_str::<Value>(&m.data).unwrap()["step"]
                    .as_str()
                    .unwrap()
            )
        })
        .collect();
    let mut expected = vec![
        "yamada@example.jp:upcoming",
        "yamada@example.jp:due",
        "yamada@example.jp:overdue",
        "yamada@example.jp:weekly",
        "yamada@example.jp:weekly",
        "yamada@example.jp:weekly",
    ];
    let mut got: Vec<&str> = reminders.iter().map(String::as_str).collect();
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "each reminder once, to the milestone's owner"
    );
    let escalations: Vec<&str> = queued
        .iter()
        .filter(|m| m.event == "milestone_escalation")
        .map(|m| m.recipient.as_str())
        .collect();
    let mut escalations = escalations;
    escalations.sort();
    assert_eq!(
        escalations,
        vec!["admin@example.jp", "msl@example.jp"],
        "escalated once to the MSL and the admins"
    );
    let english = queued
        .iter()
        .find(|m| m.recipient == "msl@example.jp")
        .unwrap();
    assert_eq!(english.lang, "en", "in the recipient's language");
}

#[actix_web::test]
async fn doi_and_pmid_are_validated_and_normalised() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let path = format!("/api/v1/proposals/{}/publications", study.id);
    let invalid = app
        .post_json(&study.yamada.token, &path, &json!({"kind": "manuscript", "title": "結果論文", "status": "published", "doi": "10.12/abc", "pmid": "0123"}))
        .await;
    assert_eq!(invalid.status(), 422);
    let fields: Vec<String> = json(invalid).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, vec!["doi", "pmid"]);
    let stored = app
        .post_json(&study.yamada.token, &path, &json!({"kind": "manuscript", "title": "結果論文", "venue": "N Engl J Med", "status": "published",
            "published_on": "2027-06-01", "doi": "https://doi.org/10.1056/NEJMoa2034577", "pmid": "33301246"}))
        .await;
    assert_eq!(stored.status(), 201);
    let stored = json(stored).await;
    assert_eq!(stored["doi"], "10.1056/NEJMoa2034577");
    assert_eq!(stored["pmid"], "33301246");
    let abstract_without_congress = app
        .post_json(
            &study.yamada.token,
            &path,
            &json!({"kind": "abstract", "title": "中間解析", "status": "presented"}),
        )
        .await;
    assert_eq!(abstract_without_congress.status(), 422);
    let presented = app
        .post_json(&study.yamada.token, &path, &json!({"kind": "abstract", "title": "中間解析", "status": "presented",
            "congress_name": "日本糖尿病学会年次学術集会", "city": "京都", "presented_on": "2027-05-20"}))
        .await;
    assert_eq!(presented.status(), 201);
    // A labelled PMID is normalised like a `doi:` prefix.
    let labelled = app
        .post_json(&study.yamada.token, &path, &json!({"kind": "manuscript", "title": "Renal outcomes with LIA-101", "venue": "J Am Coll Cardiol",
            "status": "published", "published_on": "2027-07-01", "doi": "doi:10.1016/j.jacc.2020.11.012", "pmid": "PMID: 33301247"}))
        .await;
    assert_eq!(labelled.status(), 201);
    let labelled = json(labelled).await;
    assert_eq!(labelled["doi"], "10.1016/j.jacc.2020.11.012");
    assert_eq!(labelled["pmid"], "33301247");

    // The status report keeps each DOI and "PMID n" on one line, and says what it is.
    let report = app
        .get(
            &study.yamada.token,
            &format!("/api/v1/proposals/{}/status-report.pdf", study.id),
        )
        .await;
    assert_eq!(report.status(), 200);
    let disposition = report.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    let bytes = report.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    for expected in [
        "10.1016/j.jacc.2020.11.012",
        "10.1056/NEJMoa2034577",
        "PMID 33301246",
        "PMID 33301247",
    ] {
        assert!(
            text.contains(expected),
            "{expected} not on one line in {text}"
        );
    }
    let reference = json(
        app.get(
            &study.yamada.token,
            &format!("/api/v1/proposals/{}", study.id),
        )
        .await,
    )
    .await["reference"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        disposition,
        format!("inline; filename=\"{reference}-status-report.pdf\"")
    );
    let file = lopdf::Document::load_mem(&bytes).unwrap();
    let info_id = file.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = file.get_dictionary(info_id).unwrap();
    assert!(info.get(b"GTS_PDFXVersion").is_err(), "no PDF/X claim");
    let title = info.get(b"Title").unwrap().as_str().unwrap();
    let title: Vec<u16> = title
        .strip_prefix(b"\xfe\xff")
        .unwrap_or(title)
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    let title = String::from_utf16_lossy(&title);
    assert!(
        title.starts_with(&format!("{reference} 日本人2型糖尿病")),
        "{title}"
    );
    let lang = file
        .catalog()
        .unwrap()
        .get(b"Lang")
        .unwrap()
        .as_str()
        .unwrap();
    assert_eq!(lang, b"ja");
}

fn csv_rows(body: &str) -> Vec<Vec<String>> {
    assert!(body.starts_with('\u{feff}'), "UTF-8 BOM for Excel");
    body.trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[actix_web::test]
async fn the_disclosure_export_sums_payments_by_fiscal_year_across_april() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let admin = &study.admin;
    let gates = app
        .api
        .put(app.url(&format!("/api/v1/proposals/{}/gates", study.id)))
        .bearer_auth(&admin.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({"registry": "jrct", "registry_id": "jRCT2031210123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(gates.status(), 200);
    let contract = add_milestone(
        &app,
        admin,
        &study.id,
        "contract_signed",
        "2026-04-01",
        "admin",
    )
    .await;
    let path = format!("/api/v1/proposals/{}/payments", study.id);
    let tied = json(
        app.post_json(
            &admin.token,
            &path,
            &json!({"amount": 3_000_000, "milestone_id": contract["id"]}),
        )
        .await,
    )
    .await;
    assert_eq!(tied["status"], "scheduled");
    let early = app
        .post_json(
            &admin.token,
            &format!("{path}/{}/paid", tied["id"].as_str().unwrap()),
            &json!({"paid_on": "2026-04-01"}),
        )
        .await;
    assert_eq!(early.status(), 409, "not due before its milestone is done");
    let done = app
        .api
        .patch(app.url(&format!(
            "/api/v1/proposals/{}/milestones/{}",
            study.id,
            contract["id"].as_str().unwrap()
        )))
        .bearer_auth(&admin.token)
        .header("If-Match", format!("\"v{}\"", contract["version"]))
        .json(&json!({"completed_on": "2026-04-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let mut expected_2026 = 0;
    for (amount, paid_on) in [
        (3_000_000, "2026-04-01"),
        (1_500_000, "2027-03-31"),
        (700_000, "2027-04-01"),
    ] {
        let id = if amount == 3_000_000 {
            tied["id"].as_str().unwrap().to_string()
        } else {
            json(
                app.post_json(&admin.token, &path, &json!({"amount": amount}))
                    .await,
            )
            .await["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let paid = app
            .post_json(
                &admin.token,
                &format!("{path}/{id}/paid"),
                &json!({"paid_on": paid_on}),
            )
            .await;
        assert_eq!(paid.status(), 200);
        if paid_on < "2027-04-01" {
            expected_2026 += amount;
        }
    }
    let fy2026 = app
        .get(
            &admin.token,
            "/api/v1/exports/disclosure.csv?fiscal_year=2026&codes=1",
        )
        .await;
    assert_eq!(fy2026.status(), 200);
    let rows = csv_rows(&fy2026.text().await.unwrap());
    assert_eq!(rows[0][0], "fiscal_year");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][1], "jRCT2031210123");
    assert_eq!(rows[1][3], "東都大学病院");
    assert_eq!(rows[1][6], expected_2026.to_string());
    let fy2027 = csv_rows(
        &app.get(
            &admin.token,
            "/api/v1/exports/disclosure.csv?fiscal_year=2027&codes=1",
        )
        .await
        .text()
        .await
        .unwrap(),
    );
    assert_eq!(fy2027[1][6], "700000");
    assert_eq!(
        app.get(
            &study.yamada.token,
            "/api/v1/exports/disclosure.csv?fiscal_year=2026"
        )
        .await
        .status(),
        403
    );
    let studies = app
        .get(&admin.token, "/api/v1/exports/studies.csv?codes=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(studies.contains("contract_signed"));
}

#[actix_web::test]
async fn the_calendar_feed_parses_back_into_the_expected_events() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    add_milestone(
        &app,
        &study.yamada,
        &study.id,
        "first_patient_in",
        "2027-04-15",
        "investigator",
    )
    .await;
    add_milestone(
        &app,
        &study.yamada,
        &study.id,
        "final_report",
        "2029-09-30",
        "investigator",
    )
    .await;
    let created = app
        .post_json(&study.yamada.token, "/api/v1/me/calendar", &json!({}))
        .await;
    assert_eq!(created.status(), 201);
    let url = json(created).await["url"].as_str().unwrap().to_string();
    let feed = app.api.get(&url).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = feed.text().await.unwrap();
    let calendar = ical::IcalParser::new(text.as_bytes())
        .next()
        .expect("one calendar")
        .expect("parses");
    let mut events: Vec<(String, String)> = calendar
        .events
        .iter()
        .map(|e| {
            let prop = |name: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            (prop("DTSTART"), prop("SUMMARY"))
        })
        .collect();
    events.sort();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].0, "20270415");
    assert!(
        events[0].1.contains("IIS-") && events[0].1.contains("最初の症例登録"),
        "{}",
        events[0].1
    );
    assert_eq!(events[1].0, "20290930");

    // A reset replaces the secret: the old URL stops working.
    let again = json(
        app.post_json(&study.yamada.token, "/api/v1/me/calendar", &json!({}))
            .await,
    )
    .await;
    assert_ne!(again["url"], url.as_str());
    assert_eq!(app.api.get(&url).send().await.unwrap().status(), 404);
}
