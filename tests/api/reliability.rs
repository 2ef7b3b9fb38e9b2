//! Crash safety, contention and scale-out.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{
    complete_proposal, drop_database, json, settings_for_new_database, spawn_app, test_database_url,
};
use crate::smtp_sink::{SmtpSink, parse};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(database_url: &str, port: u16, extra: &[(&str, String)]) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_liaison"));
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("LIAISON_API_RATE_PER_MINUTE", "1000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in extra {
        command.env(key, value);
    }
    command.spawn().expect("start liaison serve")
}

async fn wait_ready(port: u16) {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && response.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on {port} did not become ready");
}

fn cli(database_url: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_liaison"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .expect("cli");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

async fn create_and_submit(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<Value, String> {
    let created = client
        .post(format!("{base}/api/v1/proposals"))
        .bearer_auth(token)
        .json(&complete_proposal())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if created.status() != 201 {
        return Err(format!("create {}", created.status()));
    }
    let id = created.json::<Value>().await.map_err(|e| e.to_string())?["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let submitted = client
        .post(format!("{base}/api/v1/proposals/{id}/transitions"))
        .bearer_auth(token)
        .json(&json!({"action": "submit"}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if submitted.status() != 200 {
        return Err(format!("submit {}", submitted.status()));
    }
    submitted.json().await.map_err(|e| e.to_string())
}

#[actix_web::test]
async fn a_sigkill_during_a_burst_of_writes_leaves_no_half_written_record() {
    let dir = tempfile::tempdir().unwrap();
    let (settings, pg) = settings_for_new_database(&dir);
    let url = settings.database_url.clone();
    cli(
        &url,
        &[
            "user",
            "create",
            "--email",
            "burst@example.jp",
            "--role",
            "investigator",
        ],
    );
    let token = cli(&url, &["token", "create", "--email", "burst@example.jp"]);
    let port = free_port();
    let mut server = serve(&url, port, &[("LIAISON_RUN_WORKER", "false".into())]);
    wait_ready(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        tasks.push(actix_web::rt::spawn(async move {
            let mut done = 0;
            for _ in 0..200 {
                if create_and_submit(&client, &base, &token).await.is_err() {
                    break;
                }
                done += 1;
            }
            done
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    let mut acknowledged = 0;
    for task in tasks {
        acknowledged += task.await.unwrap_or(0);
    }
    assert!(acknowledged > 0, "the burst made progress before the kill");

    // Restart on the same database: it must come up and be consistent.
    let port = free_port();
    let mut server = serve(&url, port, &[("LIAISON_RUN_WORKER", "false".into())]);
    wait_ready(port).await;
    let mut conn = liaison::db::establish(&url).unwrap();
    use diesel::prelude::*;
    use liaison::db::schema::{audit_log, outbox, proposal_events, proposal_rounds, proposals};
    let submitted: Vec<(String, Option<String>)> = proposals::table
        .filter(proposals::status.eq("submitted"))
        .select((proposals::id, proposals::reference))
        .load(&mut conn)
        .unwrap();
    assert!(
        submitted.len() >= acknowledged,
        "every acknowledged submission survived ({} < {acknowledged})",
        submitted.len()
    );
    for (id, reference) in &submitted {
        assert!(
            reference.is_some(),
            "a submitted proposal without its reference"
        );
        let rounds: i64 = proposal_rounds::table
            .filter(proposal_rounds::proposal_id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let events: i64 = proposal_events::table
            .filter(proposal_events::proposal_id.eq(id))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let audits: i64 = audit_log::table
            .filter(audit_log::entity_id.eq(id))
            .filter(audit_log::action.eq("proposal.submit"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(
            (rounds, events, audits),
            (1, 1, 1),
            "submission of {id} written whole"
        );
    }
    let receipts: i64 = outbox::table
        .filter(outbox::event.eq("submission_receipt"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        receipts as usize,
        submitted.len(),
        "every committed submission has its receipt in the outbox"
    );
    let drafts: i64 = proposals::table
        .filter(proposals::status.eq("draft"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let creates: i64 = audit_log::table
        .filter(audit_log::action.eq("proposal.create"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        creates as usize,
        submitted.len() + drafts as usize,
        "every proposal row has its create audit"
    );
    let verify = Command::new(env!("CARGO_BIN_EXE_liaison"))
        .args(["audit", "verify"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let _ = server.kill();
    let _ = server.wait();
    drop(conn);
    drop_database(&pg);
}

#[actix_web::test]
async fn eight_concurrent_writers_never_see_database_is_locked() {
    let app = spawn_app().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let user = app.user(&format!("w{i}@example.jp"), Role::Investigator, Lang::Ja);
        let base = app.address.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let client = reqwest::Client::new();
            let mut failures = Vec::new();
            for _ in 0..15 {
                if let Err(error) = create_and_submit(&client, &base, &user.token).await {
                    failures.push(error);
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.unwrap());
    }
    assert!(failures.is_empty(), "writers failed: {failures:?}");
}

#[actix_web::test]
async fn concurrent_edits_of_one_proposal_lose_no_update() {
    let app = spawn_app().await;
    let user = app.user("owner@example.jp", Role::Investigator, Lang::Ja);
    let created = json(
        app.post_json(
            &user.token,
            "/api/v1/proposals",
            &json!({"title": "共同編集"}),
        )
        .await,
    )
    .await;
    let path = format!("/api/v1/proposals/{}", created["id"].as_str().unwrap());
    let fields = [
        "acronym",
        "phase",
        "background",
        "objectives",
        "hypothesis",
        "design",
        "publication_plan",
        "notes",
    ];
    // Every writer reads the same version before any of them writes: exactly one first
    // write can win, so the version check must turn the others away (without it, all eight
    // would "succeed" on a stale version).
    let all_have_read = std::sync::Arc::new(tokio::sync::Barrier::new(fields.len()));
    let mut tasks = Vec::new();
    for field in fields {
        let (base, token, path) = (app.address.clone(), user.token.clone(), path.clone());
        let all_have_read = all_have_read.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let client = reqwest::Client::new();
            let mut conflicts = 0;
            // Read, patch with If-Match, and on 412 read again: the optimistic-locking loop.
            for attempt in 0..50 {
                let current = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let etag = current.headers()["etag"].to_str().unwrap().to_string();
                if attempt == 0 {
                    all_have_read.wait().await;
                }
                let response = client
                    .patch(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .header("If-Match", etag)
                    .json(&json!({ field: format!("{field} の値") }))
                    .send()
                    .await
                    .unwrap();
                match response.status().as_u16() {
                    200 => return conflicts,
                    412 => conflicts += 1,
                    other => panic!("unexpected {other}"),
                }
            }
            panic!("{field} never got through");
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.unwrap();
    }
    let final_state = json(app.get(&user.token, &path).await).await;
    for field in fields {
        assert_eq!(
            final_state["content"][field],
            format!("{field} の値"),
            "{field} was lost"
        );
    }
    assert!(
        conflicts >= fields.len() - 1,
        "all but one of the first writes were stale and must have been refused: {conflicts}"
    );
}

/// PostgreSQL only: two `liaison serve` processes share one database.
#[actix_web::test]
#[ignore = "needs PostgreSQL: set TEST_DATABASE_URL and pass --include-ignored (.ci/run does)"]
async fn two_servers_on_one_postgres_database_run_the_whole_lifecycle() {
    assert!(
        test_database_url().is_some(),
        "TEST_DATABASE_URL must be set"
    );
    let dir = tempfile::tempdir().unwrap();
    let (settings, pg) = settings_for_new_database(&dir);
    let url = settings.database_url.clone();
    let sink = SmtpSink::start(0).await;
    let ids: Vec<String> = [
        ("admin@example.jp", "admin"),
        ("chair@example.jp", "chair"),
        ("alpha@example.jp", "reviewer"),
        ("yamada@example.jp", "investigator"),
    ]
    .iter()
    .map(|(email, role)| cli(&url, &["user", "create", "--email", email, "--role", role]))
    .collect();
    let token = |email: &str| cli(&url, &["token", "create", "--email", email]);
    let (admin, chair, alpha, yamada) = (
        token("admin@example.jp"),
        token("chair@example.jp"),
        token("alpha@example.jp"),
        token("yamada@example.jp"),
    );
    let env = vec![
        ("LIAISON_SMTP_URL", sink.url()),
        ("LIAISON_OUTBOX_POLL_MS", "30".to_string()),
        ("LIAISON_REMINDER_INTERVAL_MINUTES", "0".to_string()),
    ];
    let ports = [free_port(), free_port()];
    let mut servers: Vec<Child> = ports.iter().map(|p| serve(&url, *p, &env)).collect();
    for port in ports {
        wait_ready(port).await;
    }
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let client = reqwest::Client::new();
    let mut turn = 0usize;
    let mut next = || {
        turn += 1;
        bases[turn % 2].clone()
    };
    let mut call =
        |method: &str, path: String, token: &str, body: Value, if_match: Option<String>| {
            let base = next();
            let mut request = client
                .request(method.parse().unwrap(), format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body);
            if let Some(etag) = if_match {
                request = request.header("If-Match", etag);
            }
            async move {
                let response = request.send().await.unwrap();
                let status = response.status();
                let etag = response
                    .headers()
                    .get("etag")
                    .map(|v| v.to_str().unwrap().to_string());
                let text = response.text().await.unwrap();
                assert!(status.is_success(), "{path}: {status} {text}");
                (
                    serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
                    etag,
                )
            }
        };
    // Twenty submissions alternated between the two servers: unique reference numbers.
    let mut references = std::collections::BTreeSet::new();
    let mut first = String::new();
    for _ in 0..20 {
        let (created, _) = call(
            "POST",
            "/api/v1/proposals".into(),
            &yamada,
            complete_proposal(),
            None,
        )
        .await;
        let id = created["id"].as_str().unwrap().to_string();
        let (submitted, _) = call(
            "POST",
            format!("/api/v1/proposals/{id}/transitions"),
            &yamada,
            json!({"action": "submit"}),
            None,
        )
        .await;
        references.insert(submitted["reference"].as_str().unwrap().to_string());
        if first.is_empty() {
            first = id;
        }
    }
    assert_eq!(references.len(), 20);
    // The whole lifecycle on one of them, every step on the other server than the last.
    let (committee, _) = call("POST", "/api/v1/committees".into(), &admin, json!({"name": "委員会", "quorum": 1,
        "members": [{"user_id": ids[2], "role": "reviewer"}, {"user_id": ids[1], "role": "chair"}]}), None).await;
    let id = first;
    call(
        "POST",
        format!("/api/v1/proposals/{id}/transitions"),
        &chair,
        json!({"action": "start_review", "committee_id": committee["id"]}),
        None,
    )
    .await;
    call(
        "POST",
        format!("/api/v1/proposals/{id}/reviewers"),
        &chair,
        json!({"reviewer_id": ids[2]}),
        None,
    )
    .await;
    call(
        "POST",
        format!("/api/v1/proposals/{id}/coi"),
        &alpha,
        json!({"conflict": "none"}),
        None,
    )
    .await;
    let (_, etag) = call(
        "GET",
        format!("/api/v1/proposals/{id}/reviews/mine"),
        &alpha,
        Value::Null,
        None,
    )
    .await;
    call("PUT", format!("/api/v1/proposals/{id}/reviews/mine"), &alpha, json!({"scores": {"scientific_merit": 5, "feasibility": 5,
        "alignment": 5, "budget": 5, "publication_plan": 5}, "recommendation": "approve", "complete": true}), etag).await;
    call(
        "POST",
        format!("/api/v1/proposals/{id}/decision"),
        &chair,
        json!({"outcome": "approve", "rationale": "妥当"}),
        None,
    )
    .await;
    call("PUT", format!("/api/v1/proposals/{id}/gates"), &admin, json!({"contract_signed_on": "2026-11-01", "ethics_committee": "CRB",
        "ethics_approved_on": "2026-11-02", "ethics_approval_number": "CRB-1", "registry": "jrct", "registry_id": "jRCT2031210123"}), Some("\"v0\"".into())).await;
    call(
        "POST",
        format!("/api/v1/proposals/{id}/transitions"),
        &admin,
        json!({"action": "activate"}),
        None,
    )
    .await;
    let overdue_due = (liaison::clock::programme_today() - chrono::Duration::days(3)).to_string();
    call(
        "POST",
        format!("/api/v1/proposals/{id}/milestones"),
        &yamada,
        json!({"kind": "first_patient_in", "due_on": overdue_due, "owner_role": "investigator"}),
        None,
    )
    .await;
    let (activated, _) = call(
        "GET",
        format!("/api/v1/proposals/{id}"),
        &yamada,
        Value::Null,
        None,
    )
    .await;
    assert_eq!(activated["status"], "active");

    // Both servers deliver the outbox and run the reminder job: every email exactly once.
    // 20 receipts + 20 admin notices + review request + decision + activation + 1 overdue reminder.
    let expected = 20 + 20 + 1 + 1 + 1 + 1;
    let mail = sink.wait_for(expected, 60).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = sink.messages();
    for server in &mut servers {
        let _ = server.kill();
        let _ = server.wait();
    }
    assert_eq!(mail.len(), expected);
    assert_eq!(all.len(), expected, "nothing delivered twice");
    let ids: std::collections::BTreeSet<String> = all.iter().map(|m| parse(m).message_id).collect();
    assert_eq!(ids.len(), expected);
    let reminders = all
        .iter()
        .map(|m| parse(m))
        .filter(|m| m.subject.contains("超過") || m.subject.to_lowercase().contains("overdue"))
        .count();
    assert_eq!(reminders, 1, "the overdue reminder was sent once");
    drop_database(&pg);
}
