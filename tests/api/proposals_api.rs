use std::collections::BTreeSet;

use liaison::domain::{Lang, Role};
use serde_json::json;

use crate::helpers::{TestApp, TestUser, complete_proposal, json, spawn_app};

async fn create(app: &TestApp, user: &TestUser, body: &serde_json::Value) -> serde_json::Value {
    let response = app.post_json(&user.token, "/api/v1/proposals", body).await;
    assert_eq!(response.status(), 201);
    json(response).await
}

async fn submit(app: &TestApp, user: &TestUser, id: &str) -> reqwest::Response {
    app.post_json(
        &user.token,
        &format!("/api/v1/proposals/{id}/transitions"),
        &json!({"action": "submit"}),
    )
    .await
}

#[actix_web::test]
async fn submitting_an_incomplete_proposal_returns_422_with_every_field_then_a_reference() {
    let app = spawn_app().await;
    let yamada = app.user("yamada@example.jp", Role::Investigator, Lang::Ja);
    let draft = create(
        &app,
        &yamada,
        &json!({"title": "腎保護効果の検討", "planned_sample_size": 0}),
    )
    .await;
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["reference"], serde_json::Value::Null);
    let id = draft["id"].as_str().unwrap();

    let refused = submit(&app, &yamada, id).await;
    assert_eq!(refused.status(), 422);
    let problem = json(refused).await;
    let fields: BTreeSet<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    for field in [
        "product",
        "study_type",
        "planned_sample_size",
        "principal_investigator.orcid",
        "budget_items[0].label",
        "independence.right_to_publish",
        "registry",
    ] {
        assert!(fields.contains(field), "{field} missing in {fields:?}");
    }
    assert!(!fields.contains("title"));

    let current = app
        .get(&yamada.token, &format!("/api/v1/proposals/{id}"))
        .await;
    let etag = current.headers()["etag"].to_str().unwrap().to_string();
    let patched = app
        .patch_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}"),
            Some(&etag),
            &complete_proposal(),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let patched = json(patched).await;
    assert_eq!(
        patched["content"]["principal_investigator"]["orcid"], "0000-0002-1825-0097",
        "ORCID URL prefix stripped"
    );

    let submitted = submit(&app, &yamada, id).await;
    assert_eq!(submitted.status(), 200);
    let submitted = json(submitted).await;
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["round"], 1);
    let reference = submitted["reference"].as_str().unwrap();
    assert!(
        reference.starts_with("IIS-20") && reference.ends_with("-0001"),
        "{reference}"
    );

    // Frozen after submission.
    let frozen_etag = format!("\"v{}\"", submitted["version"]);
    let frozen = app
        .patch_json(
            &yamada.token,
            &format!("/api/v1/proposals/{id}"),
            Some(&frozen_etag),
            &json!({"title": "変更"}),
        )
        .await;
    assert_eq!(frozen.status(), 409);

    let rounds = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/rounds"))
            .await,
    )
    .await;
    assert_eq!(rounds.as_array().unwrap().len(), 1);
    assert_eq!(
        rounds[0]["content"]["title"],
        "日本人2型糖尿病患者におけるLIA-101の腎保護効果"
    );
    let diff = json(
        app.get(
            &yamada.token,
            &format!("/api/v1/proposals/{id}/diff?from=1&to=1"),
        )
        .await,
    )
    .await;
    assert_eq!(diff["changes"], json!([]));
    // Any i32 is a round number the query accepts: one that does not exist is 422, never a
    // panic (`to - 1` overflowed in debug builds when `to` was i32::MIN).
    for query in [
        "from=1&to=-2147483648",
        "to=-2147483648",
        "from=-2147483648",
    ] {
        let answer = app
            .get(
                &yamada.token,
                &format!("/api/v1/proposals/{id}/diff?{query}"),
            )
            .await;
        assert_eq!(answer.status(), 422, "{query}");
    }

    // Every field change and the transition are audited.
    let audit = json(
        app.get(&yamada.token, &format!("/api/v1/proposals/{id}/audit"))
            .await,
    )
    .await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"proposal.create"));
    assert_eq!(actions.last(), Some(&"proposal.submit"));
    assert!(actions.iter().filter(|a| **a == "proposal.update").count() > 10);
    let title_change = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "proposal.update" && r["after"].get("title").is_some())
        .unwrap();
    assert_eq!(title_change["before"]["title"], "腎保護効果の検討");
}

#[actix_web::test]
async fn another_investigator_gets_404_and_never_sees_it_in_a_list() {
    let app = spawn_app().await;
    let owner = app.user("owner@example.jp", Role::Investigator, Lang::Ja);
    let other = app.user("other@example.jp", Role::Investigator, Lang::Ja);
    let admin = app.user("admin@example.jp", Role::Admin, Lang::Ja);
    let draft = create(&app, &owner, &json!({"title": "秘密の研究"})).await;
    let id = draft["id"].as_str().unwrap();
    assert_eq!(
        app.get(&other.token, &format!("/api/v1/proposals/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(submit(&app, &other, id).await.status(), 404);
    let list = json(app.get(&other.token, "/api/v1/proposals").await).await;
    assert_eq!(list["items"], json!([]));
    let searched = json(
        app.get(&other.token, "/api/v1/proposals?q=%E7%A7%98%E5%AF%86")
            .await,
    )
    .await;
    assert_eq!(searched["items"], json!([]));
    let mine = json(
        app.get(&owner.token, "/api/v1/proposals?q=%E7%A7%98%E5%AF%86")
            .await,
    )
    .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let all = json(
        app.get(&admin.token, "/api/v1/proposals?status=draft")
            .await,
    )
    .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    // Another reader sees the owner named, not themselves (the name is read with the row).
    let seen_by_admin = json(
        app.get(&admin.token, &format!("/api/v1/proposals/{id}"))
            .await,
    )
    .await;
    assert_eq!(
        seen_by_admin["owner"],
        json!({"id": owner.id, "display_name": "owner"})
    );
}

#[actix_web::test]
async fn patch_needs_if_match_and_refuses_a_stale_etag() {
    let app = spawn_app().await;
    let user = app.user("u@example.jp", Role::Investigator, Lang::Ja);
    let draft = create(&app, &user, &json!({"title": "A"})).await;
    let path = format!("/api/v1/proposals/{}", draft["id"].as_str().unwrap());
    let without = app
        .patch_json(&user.token, &path, None, &json!({"title": "B"}))
        .await;
    assert_eq!(without.status(), 428);
    let etag = app.get(&user.token, &path).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.patch_json(&user.token, &path, Some(&etag), &json!({"title": "B"}))
            .await
            .status(),
        200
    );
    let stale = app
        .patch_json(&user.token, &path, Some(&etag), &json!({"title": "C"}))
        .await;
    assert_eq!(stale.status(), 412);
    assert_eq!(
        json(app.get(&user.token, &path).await).await["content"]["title"],
        "B"
    );
}

#[actix_web::test]
async fn two_creates_with_one_idempotency_key_make_one_proposal() {
    let app = spawn_app().await;
    let user = app.user("u@example.jp", Role::Investigator, Lang::Ja);
    let send = || {
        app.api
            .post(app.url("/api/v1/proposals"))
            .bearer_auth(&user.token)
            .header("Idempotency-Key", "create-7f3a")
            .json(&json!({"title": "一度だけ"}))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(json(first).await["id"], json(second).await["id"]);
    let list = json(app.get(&user.token, "/api/v1/proposals").await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    let other_body = app
        .api
        .post(app.url("/api/v1/proposals"))
        .bearer_auth(&user.token)
        .header("Idempotency-Key", "create-7f3a")
        .json(&json!({"title": "別の内容"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other_body.status(), 422);
}

#[actix_web::test]
async fn a_refused_transition_is_409_naming_the_allowed_actions() {
    let app = spawn_app().await;
    let user = app.user("u@example.jp", Role::Investigator, Lang::Ja);
    let draft = create(&app, &user, &json!({"title": "A"})).await;
    let path = format!(
        "/api/v1/proposals/{}/transitions",
        draft["id"].as_str().unwrap()
    );
    let refused = app
        .post_json(&user.token, &path, &json!({"action": "activate"}))
        .await;
    assert_eq!(refused.status(), 409);
    let problem = json(refused).await;
    assert_eq!(problem["allowed_actions"], json!(["submit", "withdraw"]));

    let no_reason = app
        .post_json(&user.token, &path, &json!({"action": "withdraw"}))
        .await;
    assert_eq!(no_reason.status(), 422);
    let withdrawn = app
        .post_json(
            &user.token,
            &path,
            &json!({"action": "withdraw", "reason": "体制変更のため"}),
        )
        .await;
    assert_eq!(withdrawn.status(), 200);
    assert_eq!(json(withdrawn).await["status"], "withdrawn");
    let after = app
        .post_json(&user.token, &path, &json!({"action": "submit"}))
        .await;
    assert_eq!(after.status(), 409);
    assert_eq!(json(after).await["allowed_actions"], json!([]));
}

#[actix_web::test]
async fn concurrent_submissions_get_distinct_gap_free_reference_numbers() {
    let app = spawn_app().await;
    let mut drafts = Vec::new();
    for i in 0..20 {
        let user = app.user(&format!("inv{i}@example.jp"), Role::Investigator, Lang::Ja);
        let draft = create(&app, &user, &complete_proposal()).await;
        drafts.push((user, draft["id"].as_str().unwrap().to_string()));
    }
    let submissions = drafts.iter().map(|(user, id)| submit(&app, user, id));
    let responses = futures_util::future::join_all(submissions).await;
    let mut numbers = BTreeSet::new();
    let mut year = String::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body = json(response).await;
        let reference = body["reference"].as_str().unwrap().to_string();
        let parts: Vec<&str> = reference.split('-').collect();
        year = parts[1].to_string();
        numbers.insert(parts[2].parse::<u32>().unwrap());
    }
    assert_eq!(
        numbers,
        (1..=20).collect::<BTreeSet<u32>>(),
        "references of {year}"
    );
}
