//! The insight pages without JavaScript: an MSL records an insight from an interaction-log
//! entry, sees each compliance match next to its field, is refused without a justification,
//! submits with one; the admin acknowledges. No insight page or download answers an
//! investigator, reviewer, chair or CRO, and the pages they do see carry no insight.

use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{TestApp, complete_proposal, csrf_from, json, spawn_app_with};

async fn page(browser: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let response = browser.get(app.url(path)).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[actix_web::test]
async fn an_msl_records_from_an_interaction_justifies_a_match_and_an_admin_acknowledges() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let investigator = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let reviewer = app.user("reviewer@example.jp", Role::Reviewer, Lang::Ja);
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let cro = app.user("cro@example.jp", Role::Cro, Lang::Ja);
    let proposal = json(
        app.post_json(
            &investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.post_json(
        &investigator.token,
        &format!("/api/v1/proposals/{proposal}/transitions"),
        &json!({"action": "submit"}),
    )
    .await;
    app.post_json(
        &admin.token,
        &format!("/api/v1/proposals/{proposal}/msls"),
        &json!({"msl_id": msl.id}),
    )
    .await;
    let logged = app
        .post_json(
            &msl.token,
            &format!("/api/v1/proposals/{proposal}/interactions"),
            &json!({"occurred_on": "2026-11-20", "channel": "meeting", "summary": "施設で面談した"}),
        )
        .await;
    assert_eq!(logged.status(), 201);

    // From the interaction log on the proposal page to the form.
    let browser = app.signed_in_browser(&msl).await;
    let (_, proposal_page) = page(&browser, &app, &format!("/proposals/{proposal}")).await;
    let start = proposal_page
        .find("/insights/new?interaction_id=")
        .expect("a link to record an insight from the interaction");
    let href: String = proposal_page[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let (status, form_page) = page(&browser, &app, &href).await;
    assert_eq!(status, 200);
    assert!(form_page.contains("施設で面談した"));
    let interaction_id = href.rsplit('=').next().unwrap().to_string();
    let csrf = csrf_from(&browser, &app.url(&href)).await;
    let marker = "LEAKMARKER処方増の話";
    let created = browser
        .post(app.url("/insights"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("interaction_id", &interaction_id),
            ("title", marker),
            ("body", "外来で処方増につながると発言。携帯 090-1234-5678"),
            ("category", "treatment_practice"),
            ("source", "one_to_one"),
            ("therapeutic_area", "糖尿病"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let location = created.headers()["location"].to_str().unwrap().to_string();
    let id = location.trim_start_matches("/insights/").to_string();
    // Each match is shown next to its field, with the phrase.
    let (_, shown) = page(&browser, &app, &location).await;
    let body_flags = &shown[shown
        .find("id=\"body-flags\"")
        .expect("matches next to the text")..];
    assert!(body_flags.contains("「処方増」"), "{body_flags}");
    assert!(body_flags.contains("「090-1234-5678」"));
    assert!(shown.contains("id=\"title-flags\""));
    // The interaction's proposal is linked.
    let api_view = json(app.get(&msl.token, &format!("/api/v1/insights/{id}")).await).await;
    assert_eq!(api_view["proposals"][0]["id"], proposal.as_str());
    // Submitting without a justification re-renders the page with the reason next to it.
    let csrf = csrf_from(&browser, &app.url(&location)).await;
    let refused = browser
        .post(app.url(&format!("/insights/{id}/submit")))
        .form(&[("csrf_token", csrf.as_str()), ("justification", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("id=\"justification-error\""));
    assert!(refused.contains("「090-1234-5678」"));
    let submitted = browser
        .post(app.url(&format!("/insights/{id}/submit")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            (
                "justification",
                "医師の発言をそのまま記録した。番号は施設の代表番号。",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 303);
    let (_, shown) = page(&browser, &app, &location).await;
    assert!(shown.contains("提出済み"));

    // The admin acknowledges from the page.
    let admin_browser = app.signed_in_browser(&admin).await;
    let csrf = csrf_from(&admin_browser, &app.url(&location)).await;
    let acknowledged = admin_browser
        .post(app.url(&format!("/insights/{id}/acknowledge")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(acknowledged.status(), 303);
    let (_, shown) = page(&admin_browser, &app, &location).await;
    assert!(shown.contains("確認済み"));
    let (status, report) = page(&admin_browser, &app, "/reports/insights").await;
    assert_eq!(status, 200);
    assert!(report.contains(marker), "the admin's report shows it");

    // Nobody else sees it, on any page or download.
    for (who, user) in [
        ("investigator", &investigator),
        ("reviewer", &reviewer),
        ("chair", &chair),
        ("cro", &cro),
    ] {
        let browser = app.signed_in_browser(user).await;
        for path in [
            "/insights".to_string(),
            format!("/insights/{id}"),
            "/insights/new".to_string(),
            format!("/insights/new?interaction_id={interaction_id}"),
            "/reports/insights".to_string(),
            "/reports/insights.csv".to_string(),
            "/reports/insights.pdf".to_string(),
            "/admin/listening-priorities".to_string(),
        ] {
            let (status, text) = page(&browser, &app, &path).await;
            assert_eq!(status, 403, "{who} {path}");
            assert!(!text.contains("LEAKMARKER"), "{who} {path} leaked");
        }
        for path in [
            "/".to_string(),
            format!("/proposals/{proposal}"),
            "/programme".to_string(),
        ] {
            let (_, text) = page(&browser, &app, &path).await;
            assert!(!text.contains("LEAKMARKER"), "{who} {path} leaked");
            assert!(
                !text.contains("/insights"),
                "{who} {path} links to insights"
            );
        }
    }
}

#[actix_web::test]
async fn an_admin_adds_a_restricted_phrase_on_the_priorities_page_and_msls_see_the_list() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let browser = app.signed_in_browser(&admin).await;
    let csrf = csrf_from(&browser, &app.url("/admin/listening-priorities")).await;
    let add = |browser: &reqwest::Client, csrf: &str| {
        browser
            .post(app.url("/admin/restricted-phrases"))
            .form(&[
                ("csrf_token", csrf),
                ("phrase", "独占販売"),
                ("kind", "sales"),
            ])
            .send()
    };
    assert_eq!(add(&browser, &csrf).await.unwrap().status(), 303);
    let again = add(&browser, &csrf).await.unwrap();
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("id=\"phrase-error\""));
    let msl_browser = app.signed_in_browser(&msl).await;
    let (status, listed) = page(&msl_browser, &app, "/admin/listening-priorities").await;
    assert_eq!(status, 200);
    assert!(listed.contains("<strong>独占販売</strong>"));
    assert!(
        listed.contains("<strong>処方増</strong>"),
        "the defaults are listed"
    );
    assert!(
        !listed.contains("action=\"/admin/restricted-phrases\""),
        "no form for MSLs"
    );
    let msl_csrf = csrf_from(&msl_browser, &app.url("/admin/listening-priorities")).await;
    assert_eq!(add(&msl_browser, &msl_csrf).await.unwrap().status(), 403);
}

#[actix_web::test]
async fn an_admin_adds_and_edits_a_listening_priority_on_the_web() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let browser = app.signed_in_browser(&admin).await;
    let csrf = csrf_from(&browser, &app.url("/admin/listening-priorities")).await;
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("therapeutic_area", "糖尿病"),
        ("product", "LIA-101"),
        ("question_ja", "腎機能低下例での使用実態は？"),
        ("question_en", "Use in renal impairment?"),
        ("active_from", "2026-04-01"),
        ("active_to", "2026-03-01"),
    ];
    // An end before the start is shown next to the field, the values kept.
    let refused = browser
        .post(app.url("/admin/listening-priorities"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("id=\"active_to-error\""));
    assert!(refused.contains("value=\"腎機能低下例での使用実態は？\""));
    fields[6] = ("active_to", "");
    let created = browser
        .post(app.url("/admin/listening-priorities"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let id = json(app.get(&admin.token, "/api/v1/listening-priorities").await).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, editing) = page(
        &browser,
        &app,
        &format!("/admin/listening-priorities?edit={id}"),
    )
    .await;
    assert!(editing.contains(&format!("action=\"/admin/listening-priorities/{id}\"")));
    assert!(editing.contains("value=\"2026-04-01\""));
    fields[3] = ("question_ja", "腎機能低下例で用量はどう調整されているか？");
    fields[6] = ("active_to", "2027-03-31");
    let updated = browser
        .post(app.url(&format!("/admin/listening-priorities/{id}")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 303);
    let listed = json(app.get(&admin.token, "/api/v1/listening-priorities").await).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        listed[0]["question_ja"],
        "腎機能低下例で用量はどう調整されているか？"
    );
    assert_eq!(listed[0]["active_to"], "2027-03-31");
}
