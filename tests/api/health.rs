use crate::helpers::spawn_app;

#[actix_web::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    let health = app.api.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().contains_key("x-request-id"));
    assert_eq!(
        app.api
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = app
        .api
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("liaison_http_requests_total{status=\"2xx\"}"));
    assert!(metrics.contains("liaison_db_pool_connections"));
}

/// The public endpoints refuse unknown query parameters like every other operation (the 422
/// their OpenAPI operations document).
#[actix_web::test]
async fn public_endpoints_refuse_unknown_query_parameters() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        let plain = app.api.get(app.url(path)).send().await.unwrap();
        assert_eq!(plain.status(), 200, "{path}");
        let refused = app
            .api
            .get(app.url(&format!("{path}?verbose=1")))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422, "{path}");
        assert_eq!(
            refused.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
}

#[actix_web::test]
async fn the_serve_command_creates_liaison_db_and_answers_health_checks() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_liaison"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("LIAISON_BIND")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = None;
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            ready = Some(response.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .map(|r| r.status());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ready.map(|s| s.as_u16()), Some(200));
    assert_eq!(health.map(|s| s.as_u16()).ok(), Some(200));
    assert!(
        dir.path().join("liaison.db").exists(),
        "liaison.db created in the working directory"
    );
}
