use liaison::domain::{Lang, Role};

use crate::helpers::{json, spawn_app, spawn_app_with};

#[actix_web::test]
async fn malformed_json_is_400_problem_json() {
    let app = spawn_app().await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    let response = app
        .api
        .post(app.url("/api/v1/proposals"))
        .bearer_auth(&user.token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = json(response).await;
    assert_eq!(body["type"], "/problems/bad-request");
}

#[actix_web::test]
async fn a_wrong_content_type_is_415() {
    let app = spawn_app().await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    let response = app
        .api
        .post(app.url("/api/v1/proposals"))
        .bearer_auth(&user.token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let admin = app.user("a@example.org", Role::Admin, Lang::Ja);
    let response = app
        .api
        .post(app.url("/api/v1/users"))
        .bearer_auth(&admin.token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(|s| s.body_limit_bytes = 2048).await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    let big = serde_json::json!({ "background": "あ".repeat(4000) });
    let response = app.post_json(&user.token, "/api/v1/proposals", &big).await;
    assert_eq!(response.status(), 413);
    assert_eq!(json(response).await["status"], 413);
}

#[actix_web::test]
async fn unknown_json_fields_are_refused_with_422() {
    let app = spawn_app().await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    let response = app
        .post_json(
            &user.token,
            "/api/v1/proposals",
            &serde_json::json!({"title": "x", "colour": "red"}),
        )
        .await;
    assert_eq!(response.status(), 422);
    let body = json(response).await;
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("colour")
    );

    let admin = app.user("a@example.org", Role::Admin, Lang::Ja);
    let response = app
        .post_json(&admin.token, "/api/v1/users", &serde_json::json!({"email": "n@example.org", "display_name": "N", "role": "msl", "is_root": true}))
        .await;
    assert_eq!(response.status(), 422);
}

#[actix_web::test]
async fn unknown_api_paths_are_404_problem_json() {
    let app = spawn_app().await;
    let response = app
        .api
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}
