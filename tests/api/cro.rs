use std::sync::{Arc, Mutex};

use liaison::domain::net::HostRule;
use liaison::domain::{Lang, Role};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app_with};

struct Setup {
    admin: TestUser,
    chair: TestUser,
    reviewer: TestUser,
    committee_id: String,
}

async fn setup(app: &TestApp) -> Setup {
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let chair = app.user("chair@example.jp", Role::Chair, Lang::Ja);
    let reviewer = app.user("alpha@example.jp", Role::Reviewer, Lang::Ja);
    let committee = json(
        app.post_json(
            &admin.token,
            "/api/v1/committees",
            &json!({"name": "委員会", "quorum": 1, "members": [
            {"user_id": reviewer.id, "role": "reviewer"}, {"user_id": chair.id, "role": "chair"}]}),
        )
        .await,
    )
    .await;
    Setup {
        admin,
        chair,
        reviewer,
        committee_id: committee["id"].as_str().unwrap().to_string(),
    }
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A 201 answer with the `Location` it must carry.
async fn created(response: reqwest::Response, location: &str) -> Value {
    let status = response.status();
    let header = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    assert_eq!(header.as_deref(), Some(location), "Location of {text}");
    serde_json::from_str(&text).unwrap()
}

/// A proposal taken to `approved` through the real workflow.
async fn approved(app: &TestApp, s: &Setup, investigator: &TestUser) -> String {
    let id = ok(app
        .post_json(
            &investigator.token,
            "/api/v1/proposals",
            &complete_proposal(),
        )
        .await)
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(app
        .post_json(
            &investigator.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "submit"}),
        )
        .await)
    .await;
    ok(app
        .post_json(
            &s.chair.token,
            &format!("/api/v1/proposals/{id}/transitions"),
            &json!({"action": "start_review", "committee_id": s.committee_id}),
        )
        .await)
    .await;
    created(
        app.post_json(
            &s.chair.token,
            &format!("/api/v1/proposals/{id}/reviewers"),
            &json!({"reviewer_id": s.reviewer.id}),
        )
        .await,
        &format!("/api/v1/proposals/{id}/reviewers"),
    )
    .await;
    ok(app
        .post_json(
            &s.reviewer.token,
            &format!("/api/v1/proposals/{id}/coi"),
            &json!({"conflict": "none"}),
        )
        .await)
    .await;
    let review = app
        .put_my_review(&s.reviewer.token, &id, &json!({"scores": {"scientific_merit": 4, "feasibility": 4, "alignment": 4, "budget": 4, "publication_plan": 4},
            "recommendation": "approve", "complete": true, "confidential_comments": "CONFIDENTIAL"}))
        .await;
    ok(review).await;
    created(
        app.post_json(
            &s.chair.token,
            &format!("/api/v1/proposals/{id}/decision"),
            &json!({"outcome": "approve", "rationale": "妥当"}),
        )
        .await,
        &format!("/api/v1/proposals/{id}/decision"),
    )
    .await;
    id
}

async fn organization(app: &TestApp, admin: &TestUser, name: &str) -> (String, String, String) {
    let org = ok(app
        .post_json(
            &admin.token,
            "/api/v1/organizations",
            &json!({"name": name, "kind": "cro"}),
        )
        .await)
    .await;
    let org_id = org["id"].as_str().unwrap().to_string();
    let response = app
        .post_json(
            &admin.token,
            &format!("/api/v1/organizations/{org_id}/api-keys"),
            &json!({"name": "integration"}),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let key = ok(response).await;
    assert_eq!(
        location,
        format!(
            "/api/v1/organizations/{org_id}/api-keys/{}",
            key["id"].as_str().unwrap()
        )
    );
    let plain = key["key"].as_str().unwrap().to_string();
    assert!(plain.len() >= 47, "≥ 256 random bits");
    (org_id, plain, key["id"].as_str().unwrap().to_string())
}

#[actix_web::test]
async fn two_cros_each_see_exactly_their_studies_and_a_revoked_key_is_refused_at_once() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let s = setup(&app).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let first = approved(&app, &s, &yamada).await;
    let second = approved(&app, &s, &yamada).await;
    let (org_a, key_a, key_a_id) = organization(&app, &s.admin, "CRO A").await;
    let (org_b, key_b, _) = organization(&app, &s.admin, "CRO B").await;
    ok(app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{first}/cro"),
            &json!({"organization_id": org_a, "role": "monitoring"}),
        )
        .await)
    .await;
    ok(app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{second}/cro"),
            &json!({"organization_id": org_b, "role": "data_management"}),
        )
        .await)
    .await;

    for (key, mine, theirs) in [(&key_a, &first, &second), (&key_b, &second, &first)] {
        let list = json(app.get(key, "/api/v1/proposals").await).await;
        let ids: Vec<&str> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![mine.as_str()]);
        assert_eq!(
            app.get(key, &format!("/api/v1/proposals/{theirs}"))
                .await
                .status(),
            404
        );
        assert_eq!(
            app.get(key, &format!("/api/v1/proposals/{theirs}/milestones"))
                .await
                .status(),
            404
        );
        let view = json(app.get(key, &format!("/api/v1/proposals/{mine}")).await).await;
        assert_eq!(
            view["content"]["budget_items"],
            json!([]),
            "no internal budget in the CRO view"
        );
        assert_eq!(
            app.get(key, &format!("/api/v1/proposals/{mine}/reviews"))
                .await
                .status(),
            403
        );
        let summary = app
            .get(key, &format!("/api/v1/proposals/{mine}/summary.pdf"))
            .await;
        let text = pdf_extract::extract_text_from_mem(&summary.bytes().await.unwrap()).unwrap();
        assert!(!text.contains("CONFIDENTIAL"));
    }

    // Operational updates: milestones (idempotent) and enrollment, never publications.
    let create = || {
        app.api
            .post(app.url(&format!("/api/v1/proposals/{first}/milestones")))
            .bearer_auth(&key_a)
            .header("Idempotency-Key", "cro-a-fpi-1")
            .json(&json!({"kind": "first_patient_in", "due_on": "2027-05-01", "owner_role": "cro"}))
            .send()
    };
    assert_eq!(create().await.unwrap().status(), 201);
    let replay = create().await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    let milestones = json(
        app.get(&key_a, &format!("/api/v1/proposals/{first}/milestones"))
            .await,
    )
    .await;
    assert_eq!(milestones.as_array().unwrap().len(), 1);
    let enrolled = app
        .post_json(
            &key_a,
            &format!("/api/v1/proposals/{first}/enrollment"),
            &json!({"as_of": "2026-11-20", "count": 12}),
        )
        .await;
    assert_eq!(enrolled.status(), 201);
    let publication = app
        .post_json(
            &key_a,
            &format!("/api/v1/proposals/{first}/publications"),
            &json!({"kind": "manuscript", "title": "x", "status": "planned"}),
        )
        .await;
    assert_eq!(publication.status(), 403);
    assert_eq!(
        app.post_json(
            &key_b,
            &format!("/api/v1/proposals/{first}/enrollment"),
            &json!({"as_of": "2026-11-20", "count": 1})
        )
        .await
        .status(),
        404
    );

    let revoke = app
        .api
        .delete(app.url(&format!(
            "/api/v1/organizations/{org_a}/api-keys/{key_a_id}"
        )))
        .bearer_auth(&s.admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    let refused = app.get(&key_a, "/api/v1/proposals").await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(app.get(&key_b, "/api/v1/proposals").await.status(), 200);
}

/// A tiny HTTP receiver: answers 500 to the first `failures` requests, then 200.
async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hooks",
        listener.local_addr().unwrap().port()
    );
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::new(Mutex::new(Vec::new()));
    let store = seen.clone();
    actix_web::rt::spawn(async move {
        let mut count = 0;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 4096];
            // Read headers, then the body by Content-Length.
            loop {
                let n = stream.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buffer.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buffer).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length: usize = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if buffer.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&buffer).to_string();
            let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
            let signature = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("liaison-signature:")
                        .then(|| l.split_once(':').unwrap().1.trim().to_string())
                })
                .unwrap_or_default();
            store.lock().unwrap().push((signature, body.to_string()));
            count += 1;
            let status = if count <= failures {
                "500 Internal Server Error"
            } else {
                "200 OK"
            };
            let _ = stream
                .write_all(
                    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    (url, seen)
}

fn verify(secret: &str, signature: &str, body: &str) -> bool {
    use hmac::{Hmac, Mac};
    let mut parts = signature.split(',');
    let t = parts
        .next()
        .and_then(|p| p.strip_prefix("t="))
        .unwrap_or_default();
    let v1 = parts
        .next()
        .and_then(|p| p.strip_prefix("v1="))
        .unwrap_or_default();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes()) == v1
}

#[actix_web::test]
async fn a_signed_status_change_reaches_a_receiver_that_fails_twice_on_the_third_attempt() {
    let app = spawn_app_with(|s| {
        s.outbox_poll = std::time::Duration::from_millis(30);
        s.outbox_retry_base = std::time::Duration::from_millis(50);
        s.outbox_retry_max = std::time::Duration::from_millis(200);
        // The receiver is local: allow http and its address.
        s.webhook_allow_http = true;
        s.webhook_allowed_hosts = vec![HostRule::parse("127.0.0.1").unwrap()];
    })
    .await;
    let s = setup(&app).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let study = approved(&app, &s, &yamada).await;
    let (org, key, _) = organization(&app, &s.admin, "CRO A").await;
    ok(app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/cro"),
            &json!({"organization_id": org, "role": "monitoring"}),
        )
        .await)
    .await;
    let (url, seen) = receiver(2).await;
    let secret = "whsec_0123456789abcdef";
    let hook = ok(app
        .post_json(
            &key,
            &format!("/api/v1/organizations/{org}/webhooks"),
            &json!({"url": url, "secret": secret}),
        )
        .await)
    .await;

    ok(app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/transitions"),
            &json!({"action": "terminate", "reason": "症例集積困難のため"}),
        )
        .await)
    .await;
    for _ in 0..100 {
        if seen.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        3,
        "two failures, then delivered on the third attempt"
    );
    let (signature, body) = &seen[2];
    assert!(verify(secret, signature, body), "the signature verifies");
    assert!(!verify("wrong-secret-0000000", signature, body));
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["type"], "proposal.status_changed");
    assert_eq!(payload["data"]["to"], "terminated");
    assert_eq!(payload["data"]["proposal_id"], study.as_str());

    let hook_id = hook["id"].as_str().unwrap();
    let mut log = json!([]);
    for _ in 0..40 {
        log = json(
            app.get(
                &key,
                &format!("/api/v1/organizations/{org}/webhooks/{hook_id}/deliveries"),
            )
            .await,
        )
        .await;
        if log[0]["status"] == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(log[0]["status"], "sent");
    assert_eq!(log[0]["attempts"], 3);
    assert_eq!(
        app.post_json(
            &key,
            &format!("/api/v1/organizations/{org}/webhooks/{hook_id}/ping"),
            &json!({})
        )
        .await
        .status(),
        202
    );
}

#[actix_web::test]
async fn webhooks_to_loopback_private_or_link_local_addresses_are_refused_at_registration() {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.webhook_allow_http = true;
    })
    .await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let (org, key, _) = organization(&app, &admin, "CRO A").await;
    for url in [
        "http://127.0.0.1:8080/hooks",
        "http://[::1]/hooks",
        "http://0x7f000001/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hooks",
        "http://localhost:8080/hooks",
        "http://[::ffff:192.168.0.1]/hooks",
    ] {
        let response = app
            .post_json(
                &key,
                &format!("/api/v1/organizations/{org}/webhooks"),
                &json!({"url": url}),
            )
            .await;
        assert_eq!(response.status(), 422, "{url}");
        let problem = json(response).await;
        assert_eq!(problem["errors"][0]["field"], "url", "{url}: {problem}");
        assert_eq!(
            problem["errors"][0]["code"], "not_allowed",
            "{url}: {problem}"
        );
    }
    let listed = json(
        app.get(&key, &format!("/api/v1/organizations/{org}/webhooks"))
            .await,
    )
    .await;
    assert_eq!(listed, json!([]), "nothing was registered");
}

async fn last_delivery(app: &TestApp, key: &str, org: &str, hook: &str) -> Value {
    let mut log = json!([]);
    for _ in 0..100 {
        log = json(
            app.get(
                key,
                &format!("/api/v1/organizations/{org}/webhooks/{hook}/deliveries"),
            )
            .await,
        )
        .await;
        if !log[0]["last_error"].is_null() || log[0]["status"] == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    log[0].clone()
}

#[actix_web::test]
async fn delivery_refuses_the_address_actually_resolved_and_stored_address_literals() {
    let app = spawn_app_with(|s| {
        s.outbox_poll = std::time::Duration::from_millis(30);
        s.webhook_allow_http = true;
        // The allowlist admits the name at registration; its address (loopback) is not.
        s.webhook_allowed_hosts = vec![HostRule::parse("localhost").unwrap()];
    })
    .await;
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let (org, key, _) = organization(&app, &admin, "CRO A").await;
    let (url, seen) = receiver(0).await;
    let by_name = url.replace("127.0.0.1", "localhost");
    let hook = ok(app
        .post_json(
            &key,
            &format!("/api/v1/organizations/{org}/webhooks"),
            &json!({"url": by_name}),
        )
        .await)
    .await;
    let by_name_id = hook["id"].as_str().unwrap().to_string();
    // A row stored before registration was checked, pointing at the receiver's literal address.
    let legacy =
        liaison::store::cro::insert_webhook(&mut app.conn(), &org, &url, "whsec_0123456789abcdef")
            .unwrap();
    for hook in [&by_name_id, &legacy.id] {
        assert_eq!(
            app.post_json(
                &key,
                &format!("/api/v1/organizations/{org}/webhooks/{hook}/ping"),
                &json!({})
            )
            .await
            .status(),
            202
        );
    }
    for hook in [&by_name_id, &legacy.id] {
        let delivery = last_delivery(&app, &key, &org, hook).await;
        assert_ne!(delivery["status"], "sent", "{delivery}");
        assert_eq!(delivery["last_error"], "address not allowed", "{delivery}");
    }
    assert!(
        seen.lock().unwrap().is_empty(),
        "the receiver was never reached"
    );
}

#[actix_web::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.api_rate_per_minute = 5;
    })
    .await;
    let user = app.user("u@example.jp", Role::Investigator, Lang::Ja);
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let response = app.get(&user.token, "/api/v1/me").await;
        if response.status() == 429 {
            assert!(response.headers().get("retry-after").is_some());
        }
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 200, 200, 200, 429]);
}

/// Every 201 names what it created in `Location`: its own URL, or the list it appears in when
/// it has none (advice, interactions, publications, payments, webhooks, reviewers).
#[actix_web::test]
async fn created_answers_carry_a_location() {
    // The receiver's name is allowlisted: this machine cannot resolve it.
    let app = spawn_app_with(|s| {
        s.run_worker = false;
        s.webhook_allowed_hosts = vec![HostRule::parse("edc.example.com").unwrap()];
    })
    .await;
    let s = setup(&app).await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let study = approved(&app, &s, &yamada).await;
    let (org, key, _) = organization(&app, &s.admin, "CRO A").await;
    created(
        app.post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/cro"),
            &json!({"organization_id": org, "role": "monitoring"}),
        )
        .await,
        &format!("/api/v1/proposals/{study}/cro/{org}"),
    )
    .await;
    created(
        app.post_json(
            &key,
            &format!("/api/v1/organizations/{org}/webhooks"),
            &json!({"url": "https://edc.example.com/hooks/liaison"}),
        )
        .await,
        &format!("/api/v1/organizations/{org}/webhooks"),
    )
    .await;
    created(
        app.post_json(
            &yamada.token,
            &format!("/api/v1/proposals/{study}/publications"),
            &json!({"kind": "manuscript", "title": "LIA-101の腎保護効果", "status": "planned"}),
        )
        .await,
        &format!("/api/v1/proposals/{study}/publications"),
    )
    .await;
    created(
        app.post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/payments"),
            &json!({"amount": 1000000}),
        )
        .await,
        &format!("/api/v1/proposals/{study}/payments"),
    )
    .await;
    let msl = app.user("msl@example.jp", Role::Msl, Lang::Ja);
    let assigned = app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/msls"),
            &json!({"msl_id": msl.id}),
        )
        .await;
    assert_eq!(assigned.status(), 204);
    created(
        app.post_json(
            &msl.token,
            &format!("/api/v1/proposals/{study}/advice"),
            &json!({"body": "症例登録の進捗を共有してください。"}),
        )
        .await,
        &format!("/api/v1/proposals/{study}/advice"),
    )
    .await;
    created(
        app.post_json(
            &msl.token,
            &format!("/api/v1/proposals/{study}/interactions"),
            &json!({"occurred_on": "2026-11-20", "channel": "meeting", "summary": "進捗確認"}),
        )
        .await,
        &format!("/api/v1/proposals/{study}/interactions"),
    )
    .await;
    let calendar = app
        .post_json(&yamada.token, "/api/v1/me/calendar", &json!({}))
        .await;
    let location = calendar.headers()["location"].to_str().unwrap().to_string();
    let url = created(calendar, &location).await["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(location.starts_with("/ical/") && location.ends_with(".ics"));
    assert!(url.ends_with(&location), "{url} {location}");
}

#[actix_web::test]
async fn a_cro_reads_no_budget_and_nobody_outside_the_committee_reads_who_decided() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let s = setup(&app).await;
    // A chair's name that only the committee and admins may read.
    let current = app
        .get(&s.admin.token, &format!("/api/v1/users/{}", s.chair.id))
        .await;
    let etag = current.headers()["etag"].to_str().unwrap().to_string();
    let renamed = app
        .patch_json(
            &s.admin.token,
            &format!("/api/v1/users/{}", s.chair.id),
            Some(&etag),
            &json!({"display_name": "委員長マーカー"}),
        )
        .await;
    assert_eq!(renamed.status(), 200);
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let study = approved(&app, &s, &yamada).await;
    let budget_doc = app
        .api
        .post(app.url(&format!("/api/v1/proposals/{study}/documents")))
        .bearer_auth(&yamada.token)
        .multipart(
            reqwest::multipart::Form::new()
                .text("doc_type", "budget")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(b"%PDF-1.7\nBUDGET-DOC".to_vec())
                        .file_name("予算書.pdf"),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(budget_doc.status(), 201);
    let budget_doc_id = json(budget_doc).await["id"].as_str().unwrap().to_string();
    let (org, key, _) = organization(&app, &s.admin, "CRO A").await;
    let assigned = app
        .post_json(
            &s.admin.token,
            &format!("/api/v1/proposals/{study}/cro"),
            &json!({"organization_id": org, "role": "monitoring"}),
        )
        .await;
    assert_eq!(assigned.status(), 201);

    // The budget (label データ管理, funding 15,000,000) is in the committee's outputs...
    let pdf_text = |token: String, path: String| {
        let app = &app;
        async move {
            let response = app.get(&token, &path).await;
            assert_eq!(response.status(), 200, "{path}");
            pdf_extract::extract_text_from_mem(&response.bytes().await.unwrap()).unwrap()
        }
    };
    let summary = format!("/api/v1/proposals/{study}/summary.pdf");
    let committee_summary = pdf_text(s.chair.token.clone(), summary.clone()).await;
    assert!(
        committee_summary.contains("データ管理"),
        "{committee_summary}"
    );
    // ...and in none of the CRO's.
    let cro_summary = pdf_text(key.clone(), summary).await;
    assert!(!cro_summary.contains("データ管理"), "{cro_summary}");
    assert!(!cro_summary.contains("15,000,000"), "{cro_summary}");
    let rounds = app
        .get(&key, &format!("/api/v1/proposals/{study}/rounds"))
        .await;
    assert_eq!(rounds.status(), 200);
    let rounds = rounds.text().await.unwrap();
    assert!(
        rounds.contains("日本人2型糖尿病患者"),
        "the protocol is there"
    );
    assert!(
        !rounds.contains("データ管理") && !rounds.contains("15000000"),
        "{rounds}"
    );
    let diff = app
        .get(&key, &format!("/api/v1/proposals/{study}/diff?from=1&to=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !diff.contains("データ管理") && !diff.contains("15000000"),
        "{diff}"
    );
    let documents = app
        .get(&key, &format!("/api/v1/proposals/{study}/documents"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!documents.contains(&budget_doc_id), "{documents}");
    let download = app
        .get(
            &key,
            &format!("/api/v1/proposals/{study}/documents/{budget_doc_id}"),
        )
        .await;
    assert_eq!(download.status(), 404);
    assert_eq!(
        app.get(
            &yamada.token,
            &format!("/api/v1/proposals/{study}/documents/{budget_doc_id}")
        )
        .await
        .status(),
        200,
        "the investigator still reads their own budget document"
    );

    // Who decided: named to the committee, not to the investigator or the CRO.
    let report = format!("/api/v1/proposals/{study}/status-report.pdf");
    let committee_report = pdf_text(s.admin.token.clone(), report.clone()).await;
    assert!(
        committee_report.contains("委員長マーカー"),
        "{committee_report}"
    );
    for token in [yamada.token.clone(), key.clone()] {
        let text = pdf_text(token, report.clone()).await;
        assert!(!text.contains("委員長マーカー"), "{text}");
    }
    let browser = app.signed_in_browser(&yamada).await;
    let page = browser
        .get(app.url(&format!("/proposals/{study}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("審査委員会"), "the committee acted");
    assert!(
        !page.contains("委員長マーカー"),
        "the web timeline names no chair"
    );
}
