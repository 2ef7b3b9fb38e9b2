use liaison::domain::{Lang, Role};
use liaison::store::audit;

use crate::helpers::{json, spawn_app};

#[actix_web::test]
async fn an_admin_creates_lists_and_changes_staff_accounts_with_audit() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.org", Role::Admin, Lang::En);
    let created = app
        .post_json(&admin.token, "/api/v1/users", &serde_json::json!({"email": "Tanaka@Example.COM", "display_name": "田中 美咲", "role": "msl", "lang": "ja"}))
        .await;
    assert_eq!(created.status(), 201);
    let etag = created.headers()["etag"].to_str().unwrap().to_string();
    let created = json(created).await;
    assert_eq!(created["email"], "tanaka@example.com");
    let id = created["id"].as_str().unwrap().to_string();

    let duplicate = app
        .post_json(&admin.token, "/api/v1/users", &serde_json::json!({"email": "TANAKA@example.com", "display_name": "x", "role": "reviewer"}))
        .await;
    assert_eq!(duplicate.status(), 422);
    assert_eq!(json(duplicate).await["errors"][0]["code"], "duplicate");

    let list = json(app.get(&admin.token, "/api/v1/users?limit=1").await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let next = list["next_cursor"].as_str().unwrap();
    let page2 = json(
        app.get(
            &admin.token,
            &format!("/api/v1/users?limit=1&cursor={next}"),
        )
        .await,
    )
    .await;
    assert_ne!(page2["items"][0]["id"], list["items"][0]["id"]);

    let path = format!("/api/v1/users/{id}");
    let no_if_match = app
        .patch_json(
            &admin.token,
            &path,
            None,
            &serde_json::json!({"role": "reviewer"}),
        )
        .await;
    assert_eq!(no_if_match.status(), 428);
    let changed = app
        .patch_json(
            &admin.token,
            &path,
            Some(&etag),
            &serde_json::json!({"role": "reviewer"}),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(json(changed).await["role"], "reviewer");
    let stale = app
        .patch_json(
            &admin.token,
            &path,
            Some(&etag),
            &serde_json::json!({"role": "chair"}),
        )
        .await;
    assert_eq!(stale.status(), 412);

    let mut conn = app.conn();
    let records = audit::for_entity(&mut conn, "user", &id).unwrap();
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, vec!["user.create", "user.change_role"]);
    assert_eq!(records[1].actor_id.as_deref(), Some(admin.id.as_str()));
    assert_eq!(
        records[1].before_json.as_deref(),
        Some("{\"role\":\"msl\"}")
    );
}

#[actix_web::test]
async fn non_admins_cannot_manage_users() {
    let app = spawn_app().await;
    let chair = app.user("chair@example.org", Role::Chair, Lang::En);
    let response = app
        .post_json(
            &chair.token,
            "/api/v1/users",
            &serde_json::json!({"email": "x@example.org", "display_name": "x", "role": "admin"}),
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(app.get(&chair.token, "/api/v1/users").await.status(), 403);
}
