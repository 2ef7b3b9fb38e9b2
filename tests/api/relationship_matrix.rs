//! The authorisation matrix by relationship: the leak crawler's proposal (approved and active,
//! with an assigned MSL, two cleared reviewers, a recused one, one who never declared, a chair
//! and an assigned CRO) asked by each principal. Every proposal-scoped GET route has a row
//! (a new one without a row fails), and writes appear only where every caller is refused, so
//! no row changes what the next one sees.

use serde_json::{Value, json};

use crate::helpers::spawn_app_with;
use crate::leak_crawler::{browser, scenario};

/// Columns, in the crawler's principal order.
const CALLERS: [&str; 12] = [
    "admin",
    "owner",
    "other investigator",
    "assigned MSL",
    "other MSL",
    "cleared reviewer",
    "recused reviewer",
    "uncleared reviewer",
    "other reviewer",
    "chair",
    "assigned CRO",
    "other CRO",
];

/// `0`: not asked (organisation keys have no web session).
#[rustfmt::skip]
const READS: &[(&str, [u16; 12])] = &[
    //                                                  adm  own  oPI  MSL  oMSL rCl  rRec rUnc oRev chr  CRO  oCRO
    ("/api/v1/proposals/{id}",                         [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/rounds",                  [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/diff",                    [422, 422, 404, 422, 404, 422, 403, 403, 404, 422, 422, 404]),
    ("/api/v1/proposals/{id}/audit",                   [200, 200, 404, 403, 404, 403, 403, 403, 404, 403, 403, 404]),
    ("/api/v1/proposals/{id}/reviewers",               [200, 403, 404, 403, 404, 403, 403, 403, 404, 200, 403, 404]),
    ("/api/v1/proposals/{id}/coi",                     [404, 404, 404, 404, 404, 200, 200, 200, 404, 404, 404, 404]),
    ("/api/v1/proposals/{id}/reviews",                 [200, 403, 404, 403, 404, 403, 403, 403, 404, 200, 403, 404]),
    ("/api/v1/proposals/{id}/reviews/mine",            [404, 404, 404, 404, 404, 200, 403, 403, 404, 404, 404, 404]),
    ("/api/v1/proposals/{id}/decision",                [200, 200, 404, 403, 404, 403, 403, 403, 404, 200, 403, 404]),
    ("/api/v1/proposals/{id}/msls",                    [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/advice",                  [200, 200, 404, 200, 404, 403, 403, 403, 404, 403, 403, 404]),
    ("/api/v1/proposals/{id}/interactions",            [200, 403, 404, 200, 404, 403, 403, 403, 404, 403, 403, 404]),
    ("/api/v1/proposals/{id}/documents",               [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/documents/{protocol}",    [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/documents/{budget}",      [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 404, 404]),
    ("/api/v1/proposals/{id}/summary.pdf",             [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/status-report.pdf",       [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/gates",                   [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/milestones",              [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/enrollment",              [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/publications",            [200, 200, 404, 200, 404, 200, 403, 403, 404, 200, 200, 404]),
    ("/api/v1/proposals/{id}/payments",                [200, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 404]),
    ("/api/v1/proposals/{id}/cro",                     [200, 200, 404, 403, 404, 403, 403, 403, 404, 403, 200, 404]),
    ("/proposals/{id}",                                [200, 200, 404, 200, 404, 200, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/edit",                           [403, 303, 404, 403, 404, 403, 403, 403, 404, 403,   0,   0]),
    ("/proposals/{id}/review",                         [404, 404, 404, 404, 404, 200, 200, 200, 404, 404,   0,   0]),
    ("/proposals/{id}/committee",                      [200, 403, 404, 403, 404, 403, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/documents/{protocol}",           [200, 200, 404, 200, 404, 200, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/documents/{budget}",             [200, 200, 404, 200, 404, 200, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/summary.pdf",                    [200, 200, 404, 200, 404, 200, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/status-report.pdf",              [200, 200, 404, 200, 404, 200, 403, 403, 404, 200,   0,   0]),
    ("/proposals/{id}/audit",                          [200, 200, 404, 403, 404, 403, 403, 403, 404, 403,   0,   0]),
    // The study is already active: nothing to activate, and only admins ever may.
    ("/proposals/{id}/activate",                       [409, 403, 404, 403, 404, 403, 403, 403, 404, 403,   0,   0]),
];

/// Writes every caller is refused on this proposal (so none of them changes it).
#[rustfmt::skip]
fn refused_writes() -> Vec<(&'static str, &'static str, Value, [u16; 12])> {
    vec![
        // A decision is recorded once; only the chair and admins may, and it is done.
        ("POST", "/api/v1/proposals/{id}/decision", json!({"outcome": "reject", "rationale": "x"}),
            [409, 403, 404, 403, 404, 403, 403, 403, 404, 409, 403, 404]),
        // Nobody edits the protocol of an approved proposal; an MSL never does (guardrail).
        ("PATCH", "/api/v1/proposals/{id}", json!({"title": "x"}),
            [403, 409, 404, 403, 404, 403, 403, 403, 404, 403, 403, 404]),
        // Reviews close with the decision; a recused reviewer never had one.
        ("PUT", "/api/v1/proposals/{id}/reviews/mine", json!({"complete": false}),
            [404, 404, 404, 404, 404, 409, 403, 403, 404, 404, 404, 404]),
        // Only assigned MSLs log interactions, and MSLs never score.
        ("POST", "/api/v1/proposals/{id}/interactions", json!({"occurred_on": "2026-11-01", "channel": "call", "summary": ""}),
            [403, 403, 404, 422, 404, 403, 403, 403, 404, 403, 403, 404]),
        // Payments are the admins' alone (a negative amount is refused for them too).
        ("POST", "/api/v1/proposals/{id}/payments", json!({"amount": -1}),
            [422, 403, 404, 403, 404, 403, 403, 403, 404, 403, 403, 404]),
    ]
}

#[actix_web::test]
async fn each_relationship_is_answered_as_the_matrix_says() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let s = scenario(&app).await;
    // The CRO's person reads what its keys read (tests/api/web_parity.rs); its column here is
    // the organisation key's.
    let principals: Vec<_> = s
        .principals
        .iter()
        .filter(|p| p.name != "assigned CRO person")
        .collect();
    let names: Vec<&str> = principals.iter().map(|p| p.name).collect();
    assert_eq!(names, CALLERS, "the crawler's principals changed order");

    // Every proposal-scoped GET route has a row.
    let uncovered: Vec<&str> = liaison::http::route_table()
        .into_iter()
        .filter(|(method, path)| *method == "GET" && path.contains("/proposals/{id}"))
        .map(|(_, path)| path)
        .filter(|path| {
            !READS
                .iter()
                .any(|(row, _)| row.replace("{protocol}", "{document_id}") == *path)
        })
        .collect();
    assert!(
        uncovered.is_empty(),
        "GET routes without a row in the relationship matrix: {uncovered:?}"
    );

    let concrete = |template: &str| {
        template
            .replace("{id}", &s.proposal_id)
            .replace("{protocol}", &s.documents[0])
            .replace("{budget}", &s.documents[1])
    };
    let mut failures = Vec::new();
    let mut browsers = Vec::new();
    for principal in &principals {
        browsers.push(match &principal.web_user {
            Some(user) => Some(browser(&app, user).await),
            None => None,
        });
    }
    for (template, expected) in READS {
        let path = concrete(template);
        for (i, principal) in principals.iter().enumerate() {
            let status = if path.starts_with("/api/") {
                app.get(&principal.token, &path).await.status().as_u16()
            } else if let Some(web) = &browsers[i] {
                web.get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            } else {
                0
            };
            if status != expected[i] {
                failures.push(format!(
                    "GET {template} as {}: expected {}, got {status}",
                    principal.name, expected[i]
                ));
            }
        }
    }
    for (method, template, body, expected) in refused_writes() {
        assert!(
            expected.iter().all(|s| *s >= 400),
            "{method} {template}: a row of writes must refuse everyone"
        );
        let path = concrete(template);
        for (i, principal) in principals.iter().enumerate() {
            let status = app
                .api
                .request(method.parse().unwrap(), app.url(&path))
                .bearer_auth(&principal.token)
                .header("If-Match", "*")
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            if status != expected[i] {
                failures.push(format!(
                    "{method} {template} as {}: expected {}, got {status}",
                    principal.name, expected[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "relationship matrix mismatches:\n{}",
        failures.join("\n")
    );
}
