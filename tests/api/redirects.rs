//! Redirect targets after sign-in and a language switch stay on this site (issue 17).

use liaison::domain::{Lang, Role};

use crate::helpers::{csrf_from, hidden_value, spawn_app};

const UNSAFE_NEXT: &[&str] = &["/\t/evil.test", "/\n/x", "/\\evil.test", "/..//evil.test"];

#[actix_web::test]
async fn sign_in_with_a_hostile_next_lands_on_the_root_with_303_never_500() {
    let app = spawn_app().await;
    let user = app.user("pi@example.jp", Role::Investigator, Lang::Ja);
    let output = app.cli(
        &["user", "set-password", "--email", &user.email],
        Some("correct-horse-battery\n"),
    );
    assert!(output.status.success());

    // The page itself does not carry the target forward (`%09` decodes to a tab).
    let browser = app.browser();
    for query in ["next=/%09/evil.test", "next=/%0A/x"] {
        let page = browser
            .get(app.url(&format!("/signin?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{query}");
        let html = page.text().await.unwrap();
        // The sign-in form's field (the language switch's comes first); `/` autoescaped.
        let form = &html[html.rfind("name=\"next\"").unwrap()..];
        assert_eq!(
            hidden_value(form, "next").as_deref(),
            Some("&#x2f;"),
            "{query}"
        );
        assert!(!html.contains("evil.test"), "{query}");
    }

    for next in UNSAFE_NEXT {
        let browser = app.browser();
        let csrf = csrf_from(&browser, &app.url("/signin")).await;
        let response = browser
            .post(app.url("/signin"))
            .form(&[
                ("email", user.email.as_str()),
                ("password", "correct-horse-battery"),
                ("csrf_token", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{next:?}");
        assert_eq!(response.headers()["location"], "/", "{next:?}");
    }

    let browser = app.browser();
    let csrf = csrf_from(&browser, &app.url("/signin")).await;
    let response = browser
        .post(app.url("/signin"))
        .form(&[
            ("email", user.email.as_str()),
            ("password", "correct-horse-battery"),
            ("csrf_token", &csrf),
            ("next", "/proposals?tab=1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/proposals?tab=1");
}

#[actix_web::test]
async fn a_language_switch_with_a_hostile_next_goes_to_the_root() {
    let app = spawn_app().await;
    let browser = app.browser();
    for next in UNSAFE_NEXT {
        let csrf = csrf_from(&browser, &app.url("/signin")).await;
        let response = browser
            .post(app.url("/lang"))
            .form(&[("lang", "en"), ("next", next), ("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{next:?}");
        assert_eq!(response.headers()["location"], "/", "{next:?}");
    }
}
