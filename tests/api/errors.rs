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

#[actix_web::test]
async fn a_method_without_a_route_is_405_problem_json_with_allow() {
    let app = spawn_app().await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/proposals", "GET, POST"),
        (reqwest::Method::PUT, "/api/v1/me", "GET"),
        (
            reqwest::Method::POST,
            "/api/v1/proposals/0193a000-0000-7000-8000-000000000000/summary.pdf",
            "GET",
        ),
    ] {
        let response = app
            .api
            .request(method.clone(), app.url(path))
            .bearer_auth(&user.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = json(response).await;
        assert_eq!(body["status"], 405);
        assert_eq!(body["type"], "/problems/method-not-allowed");
    }
    // A page says the same in HTML.
    let response = app.api.delete(app.url("/signin")).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[actix_web::test]
async fn unknown_paths_under_a_known_prefix_are_404_problem_json() {
    let app = spawn_app().await;
    let user = app.user("i@example.org", Role::Investigator, Lang::Ja);
    let response = app
        .get(&user.token, "/api/v1/proposals/x/not-a-thing/at-all")
        .await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(json(response).await["type"], "/problems/not-found");
}

#[actix_web::test]
async fn if_match_star_matches_any_current_version_but_not_a_hidden_proposal() {
    let app = spawn_app().await;
    let owner = app.user("owner@example.org", Role::Investigator, Lang::Ja);
    let other = app.user("other@example.org", Role::Investigator, Lang::Ja);
    let created = app
        .post_json(
            &owner.token,
            "/api/v1/proposals",
            &serde_json::json!({"title": "first"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let first_etag = created.headers()["etag"].to_str().unwrap().to_string();
    let id = json(created).await["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/proposals/{id}");

    // `*` holds for whatever version is current, twice in a row.
    for title in ["second", "third"] {
        let response = app
            .patch_json(
                &owner.token,
                &path,
                Some("*"),
                &serde_json::json!({ "title": title }),
            )
            .await;
        assert_eq!(response.status(), 200, "If-Match: * for {title}");
        assert_eq!(json(response).await["content"]["title"], title);
    }
    // A named version still has to be the current one.
    let stale = app
        .patch_json(
            &owner.token,
            &path,
            Some(&first_etag),
            &serde_json::json!({"title": "stale"}),
        )
        .await;
    assert_eq!(stale.status(), 412);
    // Visibility comes first: `*` does not reveal someone else's proposal.
    let hidden = app
        .patch_json(
            &other.token,
            &path,
            Some("*"),
            &serde_json::json!({"title": "mine now"}),
        )
        .await;
    assert_eq!(hidden.status(), 404);
    assert_eq!(hidden.headers()["content-type"], "application/problem+json");
    // Without the header the precondition is still required.
    let missing = app
        .patch_json(
            &owner.token,
            &path,
            None,
            &serde_json::json!({"title": "x"}),
        )
        .await;
    assert_eq!(missing.status(), 428);

    // The same on an admin resource that checks the version itself.
    let admin = app.user("admin@example.org", Role::Admin, Lang::En);
    let response = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", owner.id),
            Some("*"),
            &serde_json::json!({"display_name": "Owner"}),
        )
        .await;
    assert_eq!(response.status(), 200);
}
