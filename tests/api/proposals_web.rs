use liaison::domain::{Lang, Role};

use crate::helpers::{csrf_from, hidden_value, spawn_app};

fn complete_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "日本人2型糖尿病患者におけるLIA-101の腎保護効果"),
        ("therapeutic_area", "糖尿病"),
        ("product", "LIA-101"),
        ("study_type", "interventional"),
        ("phase", "IV"),
        ("background", "背景"),
        ("objectives", "目的"),
        ("hypothesis", "仮説"),
        ("design", "多施設共同無作為化比較試験"),
        ("primary_endpoint", "eGFR変化量"),
        ("secondary_endpoints", "HbA1c\n尿中アルブミン"),
        ("planned_sample_size", "120"),
        ("planned_sites", "8"),
        ("planned_start", "2027-04-01"),
        ("planned_end", "2029-03-31"),
        ("principal_investigator.name", "山田 太郎"),
        ("principal_investigator.institution", "東都大学病院"),
        ("principal_investigator.department", "腎臓内科"),
        ("principal_investigator.email", "yamada@example.jp"),
        ("principal_investigator.orcid", "0000-0002-1825-0097"),
        ("co_investigators[0].name", "佐藤 花子"),
        ("co_investigators[0].institution", "東都大学病院"),
        ("co_investigators[0].orcid", ""),
        ("requested_support.funding_amount", "15,000,000"),
        ("requested_support.currency", "JPY"),
        ("budget_items[0].label", "データ管理"),
        ("budget_items[0].amount", "5000000"),
        ("ethics_committee", "東都大学臨床研究審査委員会"),
        ("registry", "jrct"),
        ("independence.investigator_holds_data", "true"),
        ("independence.right_to_publish", "true"),
        ("publication_plan", "論文化する"),
    ]
}

fn with(
    form: &[(&'static str, &'static str)],
    overrides: &[(&'static str, &'static str)],
) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| {
            let v = overrides
                .iter()
                .find(|(ok, _)| ok == k)
                .map(|(_, ov)| *ov)
                .unwrap_or(v);
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[actix_web::test]
async fn a_japanese_form_with_errors_comes_back_with_errors_beside_fields_then_submits() {
    let app = spawn_app().await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let browser = app.signed_in_browser(&yamada).await;
    let csrf = csrf_from(&browser, &app.url("/proposals/new")).await;

    // 1. An unreadable number: nothing is saved, the form comes back in Japanese with the
    //    error beside the field and every value kept.
    let mut fields = with(
        &complete_form(),
        &[("planned_sample_size", "百二十"), ("hypothesis", "")],
    );
    fields.push(("csrf_token".into(), csrf.clone()));
    fields.push(("intent".into(), "submit".into()));
    let response = browser
        .post(app.url("/proposals"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"ja\""), "Japanese page");
    assert!(
        html.contains("id=\"planned_sample_size-error\""),
        "error beside the field"
    );
    assert!(
        html.contains("半角数字で入力してください"),
        "Japanese message"
    );
    assert!(html.contains("aria-describedby=\"planned_sample_size-error\""));
    assert!(html.contains("value=\"百二十\""), "the typed value is kept");
    assert!(
        html.contains("日本人2型糖尿病患者におけるLIA-101の腎保護効果"),
        "other values kept"
    );

    // 2. Readable but incomplete: the draft is saved, submission is refused beside the field.
    let mut fields = with(&complete_form(), &[("hypothesis", "")]);
    fields.push(("csrf_token".into(), csrf.clone()));
    fields.push(("intent".into(), "submit".into()));
    let response = browser
        .post(app.url("/proposals"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"hypothesis-error\""));
    assert!(html.contains("この項目は必須です"));
    let marker = "action=\"/proposals/";
    let start = html.find(marker).expect("edit form action") + marker.len();
    let id = html[start..start + 36].to_string();
    let version = hidden_value(&html, "version").expect("version field");

    // 3. Fixed and submitted: the proposal page shows the reference number.
    let mut fields = with(&complete_form(), &[]);
    fields.push(("csrf_token".into(), csrf.clone()));
    fields.push(("version".into(), version));
    fields.push(("intent".into(), "submit".into()));
    let response = browser
        .post(app.url(&format!("/proposals/{id}/edit")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/proposals/{id}").as_str()
    );
    let page = browser
        .get(app.url(&format!("/proposals/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let reference_start = page.find("IIS-").expect("reference number on the page");
    assert!(page[reference_start..].starts_with("IIS-20"));
    // The status field of the page's header, not the word anywhere on the page.
    assert!(
        page.contains(
            "<dt>ステータス</dt><dd><span class=\"status status-submitted\">提出済み</span></dd>"
        ),
        "status shown in Japanese in the header: {}",
        page.lines()
            .filter(|l| l.contains("提出済"))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The dashboard lists it.
    let dashboard = browser
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dashboard.contains(&format!("/proposals/{id}")));
}

#[actix_web::test]
async fn the_language_switch_and_accept_language_choose_english() {
    let app = spawn_app().await;
    let browser = app.browser();
    let english = browser
        .get(app.url("/signin"))
        .header("Accept-Language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\""));
    let japanese = browser
        .get(app.url("/signin"))
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(japanese.contains("<html lang=\"ja\""));
    let csrf = hidden_value(&japanese, "csrf_token").unwrap();
    let switched = browser
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("next", "/signin"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(switched.status(), 303);
    let page = browser
        .get(app.url("/signin"))
        .header("Accept-Language", "ja")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<html lang=\"en\""),
        "the switch wins over Accept-Language"
    );
}

#[actix_web::test]
async fn another_investigator_gets_404_on_the_proposal_page() {
    let app = spawn_app().await;
    let owner = app.user("owner@example.jp", Role::Investigator, Lang::Ja);
    let other = app.user("other@example.jp", Role::Investigator, Lang::Ja);
    let created = app
        .post_json(
            &owner.token,
            "/api/v1/proposals",
            &serde_json::json!({"title": "非公開"}),
        )
        .await;
    let id = created.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let browser = app.signed_in_browser(&other).await;
    assert_eq!(
        browser
            .get(app.url(&format!("/proposals/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        browser
            .get(app.url(&format!("/proposals/{id}/edit")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
