//! The programme dashboard (`/programme`) from real records: an approved, activated study with
//! enrollment, a publication, a presentation and an overdue milestone.

use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{json, spawn_app_with};
use crate::study::approved_study;

fn cell_after(html: &str, row_label: &str) -> String {
    let at = html
        .find(&format!("<th scope=\"row\">{row_label}</th>"))
        .unwrap_or_else(|| panic!("no table row {row_label}"));
    let rest = &html[at..];
    let start = rest.find("<td class=\"num\">").unwrap() + "<td class=\"num\">".len();
    rest[start..start + rest[start..].find("</td>").unwrap()].to_string()
}

#[actix_web::test]
async fn the_dashboard_shows_the_pipeline_rates_enrollment_outputs_and_overdue_milestones() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = approved_study(&app).await;
    let (admin, id) = (&study.admin, &study.id);
    let gates = app
        .api
        .put(app.url(&format!("/api/v1/proposals/{id}/gates")))
        .bearer_auth(&admin.token)
        .header("If-Match", "\"v0\"")
        .json(&json!({"contract_signed_on": "2026-11-01", "ethics_committee": "東都大学臨床研究審査委員会",
            "ethics_approved_on": "2026-11-10", "ethics_approval_number": "CRB-2026-015", "registry": "jrct", "registry_id": "jRCT2031210123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(gates.status(), 200);
    let activated = app
        .post_json(
            &admin.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "activate"}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    let enrolled = app
        .post_json(
            &admin.token,
            &format!("/api/v1/proposals/{id}/enrollment"),
            &json!({"as_of": "2026-11-20", "count": 30}),
        )
        .await;
    assert!(
        enrolled.status().is_success(),
        "{}",
        enrolled.text().await.unwrap()
    );
    for body in [
        json!({"kind": "manuscript", "title": "腎保護効果の中間解析", "venue": "日本腎臓学会誌", "status": "published", "published_on": "2026-06-01"}),
        json!({"kind": "abstract", "title": "LIA-101 の使用実態", "venue": "日本糖尿病学会", "status": "presented", "presented_on": "2026-05-20", "congress_name": "日本糖尿病学会年次学術集会", "city": "東京"}),
    ] {
        let created = app
            .post_json(
                &admin.token,
                &format!("/api/v1/proposals/{id}/publications"),
                &body,
            )
            .await;
        assert!(
            created.status().is_success(),
            "{}",
            created.text().await.unwrap()
        );
    }
    let late = (chrono::Utc::now().date_naive() - chrono::Duration::days(3)).to_string();
    let milestone = app
        .post_json(
            &admin.token,
            &format!("/api/v1/proposals/{id}/milestones"),
            &json!({"kind": "drug_shipped", "due_on": late, "owner_role": "admin"}),
        )
        .await;
    assert!(
        milestone.status().is_success(),
        "{}",
        milestone.text().await.unwrap()
    );
    // A second proposal still under review counts in the pipeline, not in the rates.
    let other = json(
        app.post_json(
            &study.yamada.token,
            "/api/v1/proposals",
            &crate::helpers::complete_proposal(),
        )
        .await,
    )
    .await;
    app.post_json(
        &study.yamada.token,
        &format!(
            "/api/v1/proposals/{}/transitions",
            other["id"].as_str().unwrap()
        ),
        &json!({"action": "submit"}),
    )
    .await;

    let chair = app.user("chair2@example.jp", Role::Chair, Lang::Ja);
    for user in [admin, &chair] {
        let browser = app.signed_in_browser(user).await;
        let response = browser.get(app.url("/programme")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        // Pipeline: one active, one submitted.
        assert_eq!(cell_after(&html, "実施中"), "1", "active");
        assert_eq!(cell_after(&html, "提出済み"), "1", "submitted");
        // Approval rate by area: the one decided proposal was approved.
        let area = crate::helpers::complete_proposal()["therapeutic_area"]
            .as_str()
            .unwrap()
            .to_string();
        let rate_table = &html[html.find("id=\"chart-approval\"").unwrap()..];
        assert_eq!(cell_after(rate_table, &area), "1", "decided");
        assert!(rate_table.contains("100%"));
        // Enrollment: 30 of 120 = 25%.
        let enrollment = &html[html.find("id=\"chart-enrollment\"").unwrap()..];
        assert!(
            enrollment.contains(
                "<td class=\"num\">30</td><td class=\"num\">120</td><td class=\"num\">25%</td>"
            ),
            "{enrollment}"
        );
        // Outputs per year: 2026 has one publication and one presentation.
        let outputs = &html[html.find("id=\"chart-outputs\"").unwrap()..];
        assert!(
            outputs.contains(
                "<th scope=\"row\">2026</th><td class=\"num\">1</td><td class=\"num\">1</td>"
            ),
            "{outputs}"
        );
        // Medians are measured (same-day steps here: 0.0 days), the overdue milestone listed.
        assert!(
            html.contains("id=\"median-decision\">0.0 日"),
            "median decision"
        );
        assert!(
            html.contains("id=\"median-activation\">0.0 日"),
            "median activation"
        );
        assert!(html.contains("期限超過のマイルストーン (1)"));
        // Every chart has a title, a description and a table.
        for chart in [
            "chart-pipeline",
            "chart-approval",
            "chart-enrollment",
            "chart-outputs",
        ] {
            let at = &html[html.find(&format!("id=\"{chart}\"")).unwrap()..];
            assert!(
                at.contains(&format!("<title id=\"{chart}-title\">")),
                "{chart}"
            );
            assert!(
                at.contains(&format!("<desc id=\"{chart}-desc\">")),
                "{chart}"
            );
            assert!(at.contains("<table"), "{chart}");
        }
    }
    // MSLs and investigators do not get it.
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let browser = app.signed_in_browser(&msl).await;
    assert_eq!(
        browser
            .get(app.url("/programme"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}
