use diesel::connection::SimpleConnection;
use liaison::domain::{Lang, Role};
use liaison::startup;
use liaison::store::credentials;

use crate::helpers::{csrf_from, hidden_value, json, spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_token_from_the_cli_is_accepted_by_get_me() {
    let app = spawn_app().await;
    let created = app.cli(
        &[
            "user",
            "create",
            "--email",
            "Admin@Example.org",
            "--role",
            "admin",
            "--name",
            "管理者",
            "--lang",
            "ja",
        ],
        None,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let user_id = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(uuid::Uuid::parse_str(&user_id).is_ok());

    let token = app.cli(&["token", "create", "--email", "admin@example.org"], None);
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout).unwrap();
    let token = token.trim();
    assert!(
        token.starts_with("lia_") && token.len() >= 47,
        "token alone on stdout: {token:?}"
    );

    let me = json(app.get(token, "/api/v1/me").await).await;
    assert_eq!(me["id"], user_id.as_str());
    assert_eq!(me["email"], "admin@example.org");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["display_name"], "管理者");
}

#[actix_web::test]
async fn wrong_expired_and_revoked_tokens_get_401_problem_json() {
    let app = spawn_app().await;
    let user = app.user("x@example.org", Role::Investigator, Lang::En);

    let wrong = app.get("lia_not-a-real-token", "/api/v1/me").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    assert_eq!(json(wrong).await["status"], 401);

    let missing = app.api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(missing.status(), 401);

    let mut conn = app.conn();
    let key = startup::secret_key(&mut conn, &app.settings).unwrap();
    let (expired, _) = credentials::create_user_token(
        &mut conn,
        &key,
        &user.id,
        "old",
        chrono::Duration::seconds(-1),
    )
    .unwrap();
    assert_eq!(app.get(&expired, "/api/v1/me").await.status(), 401);

    let (revocable, row) =
        credentials::create_user_token(&mut conn, &key, &user.id, "r", chrono::Duration::days(1))
            .unwrap();
    assert_eq!(app.get(&revocable, "/api/v1/me").await.status(), 200);
    credentials::revoke_token(&mut conn, &row.id).unwrap();
    assert_eq!(app.get(&revocable, "/api/v1/me").await.status(), 401);
    assert_eq!(app.get(&user.token, "/api/v1/me").await.status(), 200);
}

#[actix_web::test]
async fn a_login_link_from_the_cli_signs_in_once() {
    let app = spawn_app().await;
    let user = app.user("chair@example.org", Role::Chair, Lang::Ja);
    let output = app.cli(&["login-link", "--email", &user.email], None);
    assert!(output.status.success());
    let link = String::from_utf8(output.stdout).unwrap().trim().to_string();
    assert!(link.starts_with(&format!("{}/signin/link?token=", app.address)));
    let token = link.split("token=").nth(1).unwrap().to_string();

    let browser = app.browser();
    let page = browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&page, "csrf_token").unwrap();
    let signed_in = browser
        .post(app.url("/signin/link"))
        .form(&[("token", token.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("liaison_session="));
    let cookie = cookie.expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let home = browser.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("chair"));

    // The same link a second time, in another browser: refused.
    let other = app.browser();
    let csrf = csrf_from(&other, &link).await;
    let reused = other
        .post(app.url("/signin/link"))
        .form(&[("token", token.as_str()), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 400);
    assert_eq!(other.get(app.url("/")).send().await.unwrap().status(), 303);
}

#[actix_web::test]
async fn password_sign_in_works_and_a_wrong_password_is_refused() {
    let app = spawn_app().await;
    let user = app.user("msl@example.org", Role::Msl, Lang::En);
    let browser = app.signed_in_browser(&user).await;
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        200
    );

    let stranger = app.browser();
    let csrf = csrf_from(&stranger, &app.url("/signin")).await;
    let wrong = stranger
        .post(app.url("/signin"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", "not-the-password"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(
        stranger.get(app.url("/")).send().await.unwrap().status(),
        303
    );

    // Sign-out ends the session.
    let csrf = csrf_from(&browser, &app.url("/")).await;
    let out = browser
        .post(app.url("/signout"))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        303
    );
    // Signing in and out are both in the audit trail.
    let mut conn = app.conn();
    let actions: Vec<String> = liaison::store::audit::for_entity(&mut conn, "user", &user.id)
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert!(actions.iter().any(|a| a == "user.signin"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "user.signout"), "{actions:?}");
}

#[actix_web::test]
async fn a_form_post_without_its_csrf_token_is_refused() {
    let app = spawn_app().await;
    let user = app.user("inv@example.org", Role::Investigator, Lang::Ja);
    let browser = app.signed_in_browser(&user).await;
    let no_token = browser
        .post(app.url("/proposals"))
        .form(&[("title", "x"), ("intent", "save")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), 403);
    let forged = browser
        .post(app.url("/proposals"))
        .form(&[("title", "x"), ("intent", "save"), ("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let signin_without = app
        .browser()
        .post(app.url("/signin"))
        .form(&[("email", "a@b.c"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(signin_without.status(), 403);
}

#[actix_web::test]
async fn repeated_failed_sign_ins_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(|s| s.signin_max_failures = 3).await;
    let user = app.user("target@example.org", Role::Admin, Lang::En);
    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = browser
            .post(app.url("/signin"))
            .form(&[
                ("email", user.email.as_str()),
                ("password", "guess-guess"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers().get("retry-after").is_some());
        }
    }
    assert_eq!(statuses, vec![401, 401, 401, 429]);
}

#[actix_web::test]
async fn a_deactivated_user_loses_tokens_and_sessions_on_the_next_request() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.org", Role::Admin, Lang::En);
    let msl = app.user("msl@example.org", Role::Msl, Lang::Ja);
    let browser = app.signed_in_browser(&msl).await;
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        200
    );

    let current = app
        .get(&admin.token, &format!("/api/v1/users/{}", msl.id))
        .await;
    let etag = current.headers()["etag"].to_str().unwrap().to_string();
    let response = app
        .patch_json(
            &admin.token,
            &format!("/api/v1/users/{}", msl.id),
            Some(&etag),
            &serde_json::json!({"active": false}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.get(&msl.token, "/api/v1/me").await.status(), 401);
    assert_eq!(
        browser.get(app.url("/")).send().await.unwrap().status(),
        303
    );
}

#[actix_web::test]
async fn a_role_changed_outside_this_process_applies_from_the_next_request() {
    let app = spawn_app().await;
    let admin = app.user("admin@example.org", Role::Admin, Lang::En);
    // Admitted once, so this process now holds the credential in its cache.
    assert_eq!(app.get(&admin.token, "/api/v1/users").await.status(), 200);

    // Another process (or an operator with SQL) demotes the user.
    app.conn()
        .batch_execute(&format!(
            "UPDATE users SET role = 'investigator' WHERE id = '{}'",
            admin.id
        ))
        .unwrap();

    // The cached authority no longer holds: refused, and dropped from the cache.
    let stale = app.get(&admin.token, "/api/v1/users").await;
    assert_eq!(stale.status(), 401);
    // Looked up afresh, the request runs with the new role.
    assert_eq!(app.get(&admin.token, "/api/v1/users").await.status(), 403);
    let me = json(app.get(&admin.token, "/api/v1/me").await).await;
    assert_eq!(me["role"], "investigator");
}
