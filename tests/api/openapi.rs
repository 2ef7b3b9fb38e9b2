use crate::helpers::{json, spawn_app};

#[actix_web::test]
async fn openapi_lists_every_api_operation_and_matches_the_committed_file() {
    let app = spawn_app().await;
    let served = json(app.api.get(app.url("/openapi.json")).send().await.unwrap()).await;
    for (method, path) in liaison::http::route_table() {
        if !(path.starts_with("/api/")
            || ["/healthz", "/readyz", "/metrics", "/openapi.json"].contains(&path))
        {
            continue;
        }
        let operation = &served["paths"][path][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} missing from /openapi.json"
        );
        assert!(
            operation["responses"].is_object(),
            "{method} {path} has no responses"
        );
    }
    let generated = liaison::http::api::openapi::pretty_document();
    let committed_path = format!("{}/docs/openapi.json", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&committed_path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test openapi` and commit it"
    );
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(committed, served);
}
