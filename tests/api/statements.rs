//! What a request costs the database, counted by the pool's own statement counters
//! (`/metrics`: `liaison_db_statements_total`, `liaison_db_statements_prepared_total`). These
//! hold the performance levers of docs/performance.md in place without timing anything: a
//! read's number of round trips, and that a repeated request prepares nothing again (each
//! statement is parsed once per connection and then reused).

use liaison::domain::{Lang, Role};

use crate::helpers::{TestApp, complete_proposal, json, spawn_app_with};

/// Without the delivery worker, whose polls would be counted with the request.
async fn quiet_app() -> TestApp {
    spawn_app_with(|s| s.run_worker = false).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    run: u64,
    prepared: u64,
}

fn counter(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
}

async fn counts(app: &TestApp) -> Counts {
    let text = app
        .api
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    Counts {
        run: counter(&text, "liaison_db_statements_total"),
        prepared: counter(&text, "liaison_db_statements_prepared_total"),
    }
}

/// The statements `request` costs, net of the `/metrics` reads around it (each reading
/// costs its own statements, measured by a reading with nothing in between).
async fn cost_of<F, Fut>(app: &TestApp, request: F) -> Counts
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let first = counts(app).await;
    let second = counts(app).await;
    request().await;
    let third = counts(app).await;
    let reading = Counts {
        run: second.run - first.run,
        prepared: second.prepared - first.prepared,
    };
    Counts {
        run: third.run - second.run - reading.run,
        prepared: (third.prepared - second.prepared).saturating_sub(reading.prepared),
    }
}

#[actix_web::test]
async fn reading_a_proposal_costs_two_statements_each_prepared_once() {
    let app = quiet_app().await;
    let owner = app.user("stmt-owner@example.jp", Role::Investigator, Lang::Ja);
    let created = json(
        app.post_json(&owner.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let path = format!("/api/v1/proposals/{}", created["id"].as_str().expect("id"));
    // The first read prepares its statements on this connection.
    assert_eq!(app.get(&owner.token, &path).await.status(), 200);

    let cost = cost_of(&app, || async {
        assert_eq!(app.get(&owner.token, &path).await.status(), 200);
    })
    .await;
    // The credential's confirmation and the proposal with its owner's name: nothing else,
    // and no `BEGIN`/`COMMIT` around a read.
    assert_eq!(cost.run, 2, "{cost:?}");
    assert_eq!(cost.prepared, 0, "a repeated read prepared again: {cost:?}");
}

#[actix_web::test]
async fn the_proposal_page_reads_each_thing_once() {
    let app = quiet_app().await;
    let owner = app.user("stmt-page@example.jp", Role::Investigator, Lang::En);
    let created = json(
        app.post_json(&owner.token, "/api/v1/proposals", &complete_proposal())
            .await,
    )
    .await;
    let path = format!("/proposals/{}", created["id"].as_str().expect("id"));
    let browser = app.signed_in_browser(&owner).await;
    let page = browser.get(app.url(&path)).send().await.expect("page");
    assert_eq!(page.status(), 200);

    let cost = cost_of(&app, || async {
        let page = browser.get(app.url(&path)).send().await.expect("page");
        assert_eq!(page.status(), 200);
    })
    .await;
    assert!(cost.run <= PROPOSAL_PAGE_STATEMENTS, "{cost:?}");
    assert_eq!(cost.prepared, 0, "a repeated page prepared again: {cost:?}");
}

/// The owner's proposal page in draft: session, the proposal and its access once, then each
/// section's own rows (docs/performance.md lists them).
const PROPOSAL_PAGE_STATEMENTS: u64 = 9;
