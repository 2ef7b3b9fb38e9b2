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

fn walk<'a>(value: &'a serde_json::Value, visit: &mut impl FnMut(&'a serde_json::Value)) {
    visit(value);
    match value {
        serde_json::Value::Object(map) => map.values().for_each(|v| walk(v, visit)),
        serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, visit)),
        _ => {}
    }
}

fn enum_values(doc: &serde_json::Value, component: &str) -> Vec<String> {
    doc["components"]["schemas"][component]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{component} is not an enum schema"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn strings<T: ToString>(values: impl IntoIterator<Item = T>) -> Vec<String> {
    values.into_iter().map(|v| v.to_string()).collect()
}

/// The document itself: every operation summarised, secured or explicitly public, with
/// examples, described responses, the shared problem responses that apply, `Location` on 201,
/// closed sets as enums taken from the Rust constants, and the webhooks.
#[actix_web::test]
async fn openapi_document_describes_every_operation_completely() {
    let doc = liaison::http::api::openapi::document();
    assert_eq!(doc["servers"][0]["url"], "/");
    let public = ["/healthz", "/readyz", "/metrics", "/openapi.json"];
    let binary = |m: &str| {
        ["application/pdf", "application/octet-stream"].contains(&m)
            || m.starts_with("image/")
            || m.starts_with("application/vnd.")
    };
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(
                !summary.is_empty() && !summary.contains('\n'),
                "{name}: summary"
            );
            let responses = op["responses"].as_object().unwrap();
            if public.contains(&path.as_str()) {
                assert_eq!(op["security"], serde_json::json!([]), "{name}: security");
            } else {
                assert_eq!(op["security"][0]["bearer"], serde_json::json!([]), "{name}");
                for status in ["401", "429"] {
                    assert!(responses.contains_key(status), "{name}: no {status}");
                }
                assert!(
                    responses["429"]["headers"]["Retry-After"].is_object(),
                    "{name}: 429 without Retry-After"
                );
            }
            assert!(
                responses.keys().any(|s| s.starts_with('4')),
                "{name}: no 4xx"
            );
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if let Some(if_match) = params.iter().find(|p| p["name"] == "If-Match") {
                assert!(
                    responses.contains_key("412"),
                    "{name}: If-Match without 412"
                );
                if if_match["required"] == true {
                    assert!(responses.contains_key("428"), "{name}: no 428");
                }
            }
            for (status, response) in responses {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.is_empty(), "{name} {status}: no description");
                let content = response["content"].as_object();
                if status.starts_with('4') || status.starts_with('5') {
                    let content = content.unwrap_or_else(|| panic!("{name} {status}"));
                    assert_eq!(
                        content.keys().collect::<Vec<_>>(),
                        ["application/problem+json"]
                    );
                    assert_eq!(
                        content["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{name} {status}"
                    );
                } else {
                    for (media_type, media) in content.into_iter().flatten() {
                        if !binary(media_type) && path != "/openapi.json" {
                            assert!(
                                media.get("example").is_some(),
                                "{name} {status} {media_type}: no example"
                            );
                        }
                    }
                }
                if status == "201" {
                    assert!(
                        response["headers"]["Location"].is_object(),
                        "{name}: 201 without Location"
                    );
                }
            }
            if let Some(content) = op["requestBody"]["content"].as_object() {
                for (media_type, media) in content {
                    assert!(
                        media.get("example").is_some(),
                        "{name} {media_type}: no example"
                    );
                }
                if method == "patch" {
                    for media_type in ["application/json", "application/merge-patch+json"] {
                        assert!(content.contains_key(media_type), "{name}: no {media_type}");
                    }
                }
            }
        }
    }
    assert!(operations > 70);

    // No one-element oneOf, no unused component.
    let mut referenced = std::collections::BTreeSet::new();
    walk(&doc, &mut |value| {
        if let Some(variants) = value.get("oneOf").and_then(|v| v.as_array()) {
            assert!(variants.len() > 1, "one-element oneOf: {value}");
        }
        if let Some(target) = value.get("$ref").and_then(|v| v.as_str()) {
            referenced.insert(
                target
                    .trim_start_matches("#/components/schemas/")
                    .to_string(),
            );
        }
    });
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(referenced.contains(name), "unused schema {name}");
    }

    // Closed sets are enums with the values the code uses.
    use liaison::domain::lifecycle::{Action, Status};
    use liaison::domain::review::{ConflictKind, Outcome};
    use liaison::domain::study::{MILESTONE_KINDS, OWNER_ROLES};
    let expected: Vec<(&str, Vec<String>)> = vec![
        ("ProposalStatus", strings(Status::ALL)),
        ("LifecycleAction", strings(Action::ALL)),
        ("ReviewOutcome", strings(Outcome::ALL.map(Outcome::as_str))),
        (
            "ConflictKind",
            strings(ConflictKind::ALL.map(ConflictKind::as_str)),
        ),
        ("MilestoneKind", strings(MILESTONE_KINDS)),
        ("OwnerRole", strings(OWNER_ROLES)),
        ("Currency", strings(liaison::domain::proposal::CURRENCIES)),
        (
            "Role",
            strings(liaison::domain::Role::ALL.map(liaison::domain::Role::as_str)),
        ),
        ("Lang", strings(["ja", "en"])),
        ("DocumentType", strings(liaison::workflows::msl::DOC_TYPES)),
        (
            "WebhookEvent",
            strings(liaison::workflows::cro::WEBHOOK_EVENTS),
        ),
        ("Registry", strings(["jrct", "nct", "umin", "other"])),
    ];
    for (component, values) in expected {
        assert_eq!(enum_values(&doc, component), values, "{component}");
    }
    // Every property named like a closed set refers to an enum (the open ones are listed).
    let closed = [
        "status",
        "action",
        "outcome",
        "kind",
        "owner_role",
        "registry",
        "currency",
        "role",
        "lang",
        "doc_type",
        "event",
        "channel",
        "recommendation",
        "coi_status",
        "coi_kind",
        "allowed_actions",
        "missing",
        "author_role",
    ];
    let open = [
        // Audit actions (`proposal.create`, …) and the actor's role at the time are open.
        ("AuditRecordResponse", "action"),
        ("AuditRecordResponse", "actor_role"),
        // The HTTP status of a problem.
        ("Problem", "status"),
        // A draft may hold any currency text; `submit` checks it (`invalid_choice`).
        ("RequestedSupport", "currency"),
    ];
    for (schema_name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            if !closed.contains(&property.as_str())
                || open.contains(&(schema_name.as_str(), property.as_str()))
                || schema_name.starts_with("Webhook")
            {
                continue;
            }
            let text = value.to_string();
            assert!(
                text.contains("#/components/schemas/") || text.contains("\"const\""),
                "{schema_name}.{property} is a free string: {text}"
            );
        }
    }
    for (path, name) in [
        ("/api/v1/proposals", "status"),
        ("/api/v1/outbox", "status"),
    ] {
        let parameter = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap();
        assert!(
            parameter["schema"].get("enum").is_some() || parameter["schema"].get("$ref").is_some(),
            "{path} {name}"
        );
    }

    // The upload is a multipart form with a binary file part.
    let upload = &doc["paths"]["/api/v1/proposals/{id}/documents"]["post"]["requestBody"]["content"]
        ["multipart/form-data"]["schema"];
    assert_eq!(upload["properties"]["file"]["format"], "binary");
    assert_eq!(upload["required"], serde_json::json!(["doc_type", "file"]));

    // The webhook events, their payloads and the signature header.
    let webhooks = doc["webhooks"].as_object().expect("webhooks");
    assert_eq!(
        webhooks
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        strings(liaison::workflows::cro::WEBHOOK_EVENTS)
            .into_iter()
            .collect()
    );
    for (event, item) in webhooks {
        let post = &item["post"];
        let headers: Vec<&str> = post["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            headers,
            ["Liaison-Event", "Liaison-Delivery", "Liaison-Signature"],
            "{event}"
        );
        let body = &post["requestBody"]["content"]["application/json"];
        assert_eq!(body["example"]["type"], event.as_str());
    }
}
