//! User-entered amounts are bounded and their totals never wrap (issue 17).

use diesel::connection::SimpleConnection;
use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{complete_proposal, json, spawn_app_with};

fn with_budget(amounts: &[i64]) -> Value {
    let mut body = complete_proposal();
    body["budget_items"] = amounts
        .iter()
        .map(|a| json!({"label": "item", "amount": a}))
        .collect();
    body
}

fn fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["field"].as_str().unwrap_or_default().to_string(),
                e["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn two_budget_items_of_i64_max_are_refused_with_422_instead_of_a_negative_total() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let response = app
        .post_json(
            &yamada.token,
            "/api/v1/proposals",
            &with_budget(&[i64::MAX, i64::MAX]),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem = json(response).await;
    assert_eq!(
        fields(&problem),
        vec![
            ("budget_items[0].amount".into(), "too_large".into()),
            ("budget_items[1].amount".into(), "too_large".into()),
        ],
        "{problem}"
    );

    // Items within the bound (10^12) whose total is not.
    let response = app
        .post_json(
            &yamada.token,
            "/api/v1/proposals",
            &with_budget(&[600_000_000_000, 600_000_000_000]),
        )
        .await;
    assert_eq!(response.status(), 422);
    let problem = json(response).await;
    assert_eq!(
        fields(&problem),
        vec![("budget_total".into(), "too_large".into())],
        "{problem}"
    );
}

#[actix_web::test]
async fn a_stored_budget_beyond_the_bound_shows_a_dash_not_a_wrapped_total() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let created = json(
        app.post_json(&yamada.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    // A row saved before amounts were bounded.
    let mut content = complete_proposal();
    content["budget_items"] = json!([
        {"label": "A", "amount": i64::MAX},
        {"label": "B", "amount": i64::MAX},
    ]);
    app.conn()
        .batch_execute(&format!(
            "UPDATE proposals SET content = '{}' WHERE id = '{id}'",
            content.to_string().replace('\'', "''")
        ))
        .unwrap();

    let response = app
        .get(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/summary.pdf"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    // The items are shown as stored (wrapped across lines in their narrow column).
    let compact: String = text.split_whitespace().collect();
    assert!(compact.contains("9,223,372,036,854,775,807JPY"), "{text}");
    assert!(!compact.contains("-2JPY"), "a wrapped total: {text}");
    assert!(
        text.lines().any(|l| l.trim() == "合計 —"),
        "the total is a dash: {text}"
    );

    let browser = app.signed_in_browser(&yamada).await;
    let page = browser
        .get(app.url(&format!("/proposals/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html: String = page
        .text()
        .await
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        html.contains("<td class=\"num\">—</td>"),
        "the page's total is a dash"
    );
    assert!(!html.contains("18,446,744,073,709,551,614"));
}

#[actix_web::test]
async fn the_web_form_comes_back_with_the_amount_error_beside_the_field() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let browser = app.signed_in_browser(&yamada).await;
    let csrf = crate::helpers::csrf_from(&browser, &app.url("/proposals/new")).await;
    for (amount, error_id) in [
        ("9223372036854775807", "budget_items-0--amount-error"),
        ("600000000000", "budget_total-error"),
    ] {
        let response = browser
            .post(app.url("/proposals"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("intent", "save"),
                ("title", "上限の確認"),
                ("budget_items[0].label", "A"),
                ("budget_items[0].amount", amount),
                ("budget_items[1].label", "B"),
                ("budget_items[1].amount", amount),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{amount}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{error_id}\"")),
            "{amount}: {html}"
        );
        assert!(html.contains("金額が大きすぎます"), "{amount}");
    }
}

#[actix_web::test]
async fn payments_are_bounded_and_the_disclosure_total_of_stored_ones_never_wraps() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let study = crate::study::approved_study(&app).await;
    let admin = &study.admin;
    let path = format!("/api/v1/proposals/{}/payments", study.id);
    let refused = app
        .post_json(
            &admin.token,
            &path,
            &json!({"amount": 1_000_000_000_001i64}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        fields(&json(refused).await),
        vec![("amount".into(), "too_large".into())]
    );
    for _ in 0..2 {
        let payment = json(
            app.post_json(
                &admin.token,
                &path,
                &json!({"amount": 1_000_000_000_000i64}),
            )
            .await,
        )
        .await;
        let id = payment["id"].as_str().unwrap();
        let paid = app
            .post_json(
                &admin.token,
                &format!("{path}/{id}/paid"),
                &json!({"paid_on": "2026-05-01"}),
            )
            .await;
        assert_eq!(paid.status(), 200);
    }
    // Rows stored before amounts were bounded.
    app.conn()
        .batch_execute(&format!(
            "UPDATE payments SET amount = {} WHERE proposal_id = '{}'",
            i64::MAX,
            study.id
        ))
        .unwrap();
    let csv = app
        .get(
            &admin.token,
            "/api/v1/exports/disclosure.csv?fiscal_year=2026",
        )
        .await;
    assert_eq!(csv.status(), 200);
    let body = csv.text().await.unwrap();
    let row = body.lines().nth(1).unwrap_or_default().to_string();
    assert_eq!(
        row.split(',').nth(6),
        Some("18446744073709551614"),
        "the exact sum: {body}"
    );
}
