//! One table: every registered route × every kind of caller → the expected status.
//! A route registered without a row here fails `every_route_has_a_matrix_row`.

use std::sync::atomic::{AtomicUsize, Ordering};

use liaison::domain::{Lang, Role};
use liaison::startup;
use liaison::store::credentials;
use serde_json::{Value, json};

use crate::helpers::{TestApp, hidden_value, spawn_app_with};

/// Callers, in column order.
const CALLERS: [&str; 9] = [
    "anonymous",
    "owner",
    "other_investigator",
    "msl",
    "reviewer",
    "chair",
    "cro",
    "admin",
    "cro_b",
];

enum Body {
    None,
    Json(fn(usize) -> Value),
    Form(fn(usize) -> Vec<(String, String)>),
}

struct Row {
    method: &'static str,
    path: &'static str,
    body: Body,
    expect: [u16; 9],
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    use Body::*;
    vec![
        Row {
            method: "GET",
            path: "/healthz",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "GET",
            path: "/readyz",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "GET",
            path: "/metrics",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "GET",
            path: "/openapi.json",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "GET",
            path: "/api/v1/me",
            body: None,
            expect: [401, 200, 200, 200, 200, 200, 200, 200, 200],
        },
        Row {
            method: "GET",
            path: "/api/v1/users",
            body: None,
            expect: [401, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row {
            method: "POST",
            path: "/api/v1/users",
            body: Json(
                |_| json!({"email": format!("new{}@example.org", unique()), "display_name": "新任", "role": "reviewer"}),
            ),
            expect: [401, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        // {id} is the MSL's account: visible to itself and admins only.
        Row {
            method: "GET",
            path: "/api/v1/users/{id}",
            body: None,
            expect: [401, 404, 404, 200, 404, 404, 404, 200, 404],
        },
        Row {
            method: "PATCH",
            path: "/api/v1/users/{id}",
            body: Json(|_| json!({"lang": "en"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 428, 403],
        },
        Row {
            method: "GET",
            path: "/api/v1/proposals",
            body: None,
            expect: [401, 200, 200, 200, 200, 200, 200, 200, 200],
        },
        Row {
            method: "POST",
            path: "/api/v1/proposals",
            body: Json(|_| json!({"title": "試験"})),
            expect: [401, 201, 201, 403, 403, 403, 403, 403, 403],
        },
        // {id} is the owner's draft.
        Row {
            method: "GET",
            path: "/api/v1/proposals/{id}",
            body: None,
            expect: [401, 200, 404, 404, 404, 404, 404, 200, 404],
        },
        Row {
            method: "PATCH",
            path: "/api/v1/proposals/{id}",
            body: Json(|_| json!({"title": "変更"})),
            expect: [401, 428, 404, 404, 404, 404, 404, 403, 404],
        },
        Row {
            method: "POST",
            path: "/api/v1/proposals/{id}/transitions",
            body: Json(|_| json!({"action": "submit"})),
            expect: [401, 422, 404, 404, 404, 404, 404, 403, 404],
        },
        Row {
            method: "GET",
            path: "/api/v1/proposals/{id}/rounds",
            body: None,
            expect: [401, 200, 404, 404, 404, 404, 404, 200, 404],
        },
        Row {
            method: "GET",
            path: "/api/v1/proposals/{id}/diff",
            body: None,
            expect: [401, 422, 404, 404, 404, 404, 404, 422, 404],
        },
        Row {
            method: "GET",
            path: "/api/v1/proposals/{id}/audit",
            body: None,
            expect: [401, 200, 404, 404, 404, 404, 404, 200, 404],
        },
        Row {
            method: "GET",
            path: "/static/app.css",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "GET",
            path: "/",
            body: None,
            expect: [303, 200, 200, 200, 200, 200, 200, 200, 200],
        },
        Row {
            method: "GET",
            path: "/signin",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "POST",
            path: "/signin",
            body: Form(|caller| {
                let email = format!("nobody{caller}@example.org");
                form(&[("email", &email), ("password", "wrong-password")])
            }),
            expect: [401; 9],
        },
        Row {
            method: "GET",
            path: "/signin/link",
            body: None,
            expect: [200; 9],
        },
        Row {
            method: "POST",
            path: "/signin/link",
            body: Form(|_| form(&[("token", "bogus")])),
            expect: [400; 9],
        },
        Row {
            method: "POST",
            path: "/signout",
            body: Form(|_| form(&[])),
            expect: [303; 9],
        },
        Row {
            method: "POST",
            path: "/lang",
            body: Form(|_| form(&[("lang", "en"), ("next", "/")])),
            expect: [303; 9],
        },
        Row {
            method: "GET",
            path: "/proposals/new",
            body: None,
            expect: [303, 200, 200, 403, 403, 403, 403, 403, 403],
        },
        Row {
            method: "POST",
            path: "/proposals",
            body: Form(|_| form(&[("title", "下書き"), ("intent", "save")])),
            expect: [303, 303, 303, 403, 403, 403, 403, 403, 403],
        },
        Row {
            method: "GET",
            path: "/proposals/{id}",
            body: None,
            expect: [303, 200, 404, 404, 404, 404, 404, 200, 404],
        },
        Row {
            method: "GET",
            path: "/proposals/{id}/edit",
            body: None,
            expect: [303, 200, 404, 404, 404, 404, 404, 403, 404],
        },
        Row {
            method: "POST",
            path: "/proposals/{id}/edit",
            body: Form(|_| form(&[("title", "編集"), ("intent", "save")])),
            // The owner's form lacks the hidden version: 428, never a blind overwrite.
            expect: [303, 428, 404, 404, 404, 404, 404, 403, 404],
        },
        Row {
            method: "POST",
            path: "/proposals/{id}/transitions",
            body: Form(|_| form(&[("action", "activate")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "GET",
            path: "/admin/users",
            body: None,
            expect: [303, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row {
            method: "POST",
            path: "/admin/users",
            body: Form(|_| {
                let email = format!("staff{}@example.org", unique());
                form(&[
                    ("email", &email),
                    ("display_name", "新任"),
                    ("role", "reviewer"),
                    ("lang", "ja"),
                ])
            }),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        Row {
            method: "POST",
            path: "/admin/users/{id}",
            body: Form(|_| form(&[("role", "msl"), ("active", "true")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        // Added with notifications.
        Row { method: "GET", path: "/api/v1/outbox", body: None, expect: [401, 403, 403, 403, 403, 403, 403, 200, 403] },
        // {id} is a pending message.
        Row {
            method: "POST", path: "/api/v1/outbox/{id}/requeue", body: Json(|_| json!({})),
            expect: [401, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row {
            method: "POST", path: "/signin/email", body: Form(|_| form(&[("email", "nobody@example.org")])),
            expect: [200; 9],
        },
        Row { method: "GET", path: "/register", body: None, expect: [200; 9] },
        Row {
            method: "POST", path: "/register",
            body: Form(|_| {
                let email = format!("reg{}@example.org", unique());
                form(&[("display_name", "新規"), ("email", &email), ("lang", "ja")])
            }),
            expect: [200; 9],
        },
        Row { method: "GET", path: "/admin/outbox", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/admin/outbox/{id}/requeue", body: Form(|_| form(&[])),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        // Added with the review committee. {id} is the owner's draft (or the fixture committee).
        Row { method: "GET", path: "/api/v1/proposals/{id}/reviewers", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/reviewers", body: Json(|_| json!({"reviewer_id": "nobody"})),
            expect: [401, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/coi", body: None, expect: [401, 404, 404, 404, 404, 404, 404, 404, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/coi", body: Json(|_| json!({"conflict": "none"})),
            expect: [401, 404, 404, 404, 404, 404, 404, 404, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/reviews", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/reviews/mine", body: None, expect: [401, 404, 404, 404, 404, 404, 404, 404, 404] },
        Row {
            method: "PUT", path: "/api/v1/proposals/{id}/reviews/mine", body: Json(|_| json!({"scores": {}})),
            expect: [401, 404, 404, 404, 404, 404, 404, 404, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/decision", body: None, expect: [401, 404, 404, 404, 404, 404, 404, 404, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/decision", body: Json(|_| json!({"outcome": "reject", "rationale": "x"})),
            expect: [401, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/api/v1/committees", body: None, expect: [401, 403, 403, 403, 403, 200, 403, 200, 403] },
        Row {
            method: "POST", path: "/api/v1/committees",
            body: Json(|_| json!({"name": format!("委員会{}", unique()), "members": []})),
            expect: [401, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Row { method: "GET", path: "/api/v1/committees/{id}", body: None, expect: [401, 403, 403, 403, 403, 200, 403, 200, 403] },
        Row {
            method: "PATCH", path: "/api/v1/committees/{id}", body: Json(|_| json!({"quorum": 2})),
            expect: [401, 403, 403, 403, 403, 403, 403, 428, 403],
        },
        Row { method: "GET", path: "/api/v1/ranking", body: None, expect: [401, 403, 403, 403, 403, 200, 403, 200, 403] },
        Row { method: "GET", path: "/proposals/{id}/review", body: None, expect: [303, 404, 404, 404, 404, 404, 404, 404, 404] },
        Row {
            method: "POST", path: "/proposals/{id}/review", body: Form(|_| form(&[("intent", "save"), ("version", "1")])),
            expect: [303, 404, 404, 404, 404, 404, 404, 404, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/coi", body: Form(|_| form(&[("conflict", "none")])),
            expect: [303, 404, 404, 404, 404, 404, 404, 404, 404],
        },
        Row { method: "GET", path: "/proposals/{id}/committee", body: None, expect: [303, 403, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/proposals/{id}/reviewers", body: Form(|_| form(&[("reviewer_id", "nobody")])),
            expect: [303, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/decision", body: Form(|_| form(&[("outcome", "reject"), ("rationale", "x")])),
            expect: [303, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/ranking", body: None, expect: [303, 403, 403, 403, 403, 200, 403, 200, 403] },
        Row { method: "GET", path: "/admin/committees", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/admin/committees",
            body: Form(|_| {
                let name = format!("委員会W{}", unique());
                form(&[("name", &name), ("quorum", "3"), ("members", "")])
            }),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        // Added with MSL support. {id} is the owner's draft; the MSL is not assigned to it.
        Row { method: "GET", path: "/api/v1/proposals/{id}/msls", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/msls", body: Json(|_| json!({"msl_id": "{msl_id}"})),
            expect: [401, 403, 404, 404, 404, 404, 404, 204, 404],
        },
        Row { method: "DELETE", path: "/api/v1/proposals/{id}/msls/{msl_id}", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 204, 404] },
        Row { method: "POST", path: "/proposals/{id}/msls", body: Form(|_| form(&[("msl_id", "{msl_id}")])), expect: [303, 403, 404, 404, 404, 404, 404, 303, 404] },
        Row { method: "POST", path: "/proposals/{id}/msls/{msl_id}/remove", body: Form(|_| form(&[])), expect: [303, 403, 404, 404, 404, 404, 404, 303, 404] },
        Row { method: "POST", path: "/api/v1/proposals/{id}/advice-request", body: Json(|_| json!({})), expect: [401, 204, 404, 404, 404, 404, 404, 403, 404] },
        Row { method: "POST", path: "/proposals/{id}/advice-request", body: Form(|_| form(&[])), expect: [303, 303, 404, 404, 404, 404, 404, 403, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/advice", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/advice", body: Json(|_| json!({"body": "質問です"})),
            expect: [401, 201, 404, 404, 404, 404, 404, 403, 404],
        },
        Row { method: "POST", path: "/proposals/{id}/advice", body: Form(|_| form(&[("body", "質問です")])), expect: [303, 303, 404, 404, 404, 404, 404, 403, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/interactions", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/interactions",
            body: Json(|_| json!({"occurred_on": "2026-11-01", "channel": "call", "summary": "x"})),
            expect: [401, 403, 404, 404, 404, 404, 404, 403, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/interactions",
            body: Form(|_| form(&[("occurred_on", "2026-11-01"), ("channel", "call"), ("summary", "x")])),
            expect: [303, 403, 404, 404, 404, 404, 404, 403, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/documents", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        // Authorised first; the JSON body is then no multipart upload (400).
        Row { method: "POST", path: "/api/v1/proposals/{id}/documents", body: Json(|_| json!({})), expect: [401, 400, 404, 404, 404, 404, 404, 400, 404] },
        Row { method: "POST", path: "/proposals/{id}/documents", body: Form(|_| form(&[])), expect: [303, 400, 404, 404, 404, 404, 404, 400, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/documents/{document_id}", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "GET", path: "/proposals/{id}/documents/{document_id}", body: None, expect: [303, 200, 404, 404, 404, 404, 404, 200, 404] },
        // Added with PDF reports.
        Row { method: "GET", path: "/api/v1/proposals/{id}/summary.pdf", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/status-report.pdf", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "GET", path: "/proposals/{id}/summary.pdf", body: None, expect: [303, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "GET", path: "/proposals/{id}/status-report.pdf", body: None, expect: [303, 200, 404, 404, 404, 404, 404, 200, 404] },
        // Added with study tracking. {id} is the owner's draft: study records start once approved (409).
        Row { method: "GET", path: "/api/v1/proposals/{id}/gates", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "PUT", path: "/api/v1/proposals/{id}/gates", body: Json(|_| json!({})), expect: [401, 428, 404, 404, 404, 404, 404, 428, 404] },
        Row { method: "GET", path: "/api/v1/proposals/{id}/milestones", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/milestones",
            body: Json(|_| json!({"kind": "drug_shipped", "due_on": "2027-01-01", "owner_role": "admin"})),
            expect: [401, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "PATCH", path: "/api/v1/proposals/{id}/milestones/{milestone_id}", body: Json(|_| json!({"note": "x"})),
            expect: [401, 428, 404, 404, 404, 404, 404, 428, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/enrollment", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/enrollment", body: Json(|_| json!({"as_of": "2026-11-01", "count": 1})),
            expect: [401, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/publications", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/publications", body: Json(|_| json!({"kind": "manuscript", "title": "x", "status": "planned"})),
            expect: [401, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/payments", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 200, 404] },
        Row { method: "POST", path: "/api/v1/proposals/{id}/payments", body: Json(|_| json!({"amount": 1})), expect: [401, 409, 404, 404, 404, 404, 404, 409, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/payments/{payment_id}/paid", body: Json(|_| json!({"paid_on": "2026-11-01"})),
            expect: [401, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/api/v1/exports/disclosure.csv", body: None, expect: [401, 403, 403, 403, 403, 403, 403, 422, 403] },
        Row { method: "GET", path: "/api/v1/exports/studies.csv", body: None, expect: [401, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row { method: "POST", path: "/api/v1/me/calendar", body: Json(|_| json!({})), expect: [401, 201, 201, 201, 201, 201, 201, 201, 201] },
        Row { method: "GET", path: "/api/v1/overdue", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/ical/{token}", body: None, expect: [404; 9] },
        Row { method: "POST", path: "/proposals/{id}/gates", body: Form(|_| form(&[])), expect: [303, 409, 404, 404, 404, 404, 404, 409, 404] },
        Row {
            method: "POST", path: "/proposals/{id}/milestones",
            body: Form(|_| form(&[("kind", "drug_shipped"), ("due_on", "2027-01-01"), ("owner_role", "admin")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/milestones/{milestone_id}/complete", body: Form(|_| form(&[("completed_on", "2026-11-01")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/enrollment", body: Form(|_| form(&[("as_of", "2026-11-01"), ("count", "1")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row {
            method: "POST", path: "/proposals/{id}/publications", body: Form(|_| form(&[("kind", "manuscript"), ("title", "x"), ("status", "planned")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "POST", path: "/proposals/{id}/payments", body: Form(|_| form(&[("amount", "1")])), expect: [303, 409, 404, 404, 404, 404, 404, 409, 404] },
        Row {
            method: "POST", path: "/proposals/{id}/payments/{payment_id}/paid", body: Form(|_| form(&[("paid_on", "2026-11-01")])),
            expect: [303, 409, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "GET", path: "/overdue", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/calendar", body: None, expect: [303, 200, 200, 200, 200, 200, 200, 200, 200] },
        Row { method: "POST", path: "/calendar/reset", body: Form(|_| form(&[])), expect: [303, 200, 200, 200, 200, 200, 200, 200, 200] },
        // Added with the CRO API. cro = organisation A's API key; cro_b = organisation B's.
        Row { method: "GET", path: "/api/v1/organizations", body: None, expect: [401, 403, 403, 403, 403, 403, 200, 200, 200] },
        Row {
            method: "POST", path: "/api/v1/organizations", body: Json(|_| json!({"name": format!("CRO {}", unique()), "kind": "cro"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Row { method: "GET", path: "/api/v1/organizations/{id}/api-keys", body: None, expect: [401, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/api/v1/organizations/{id}/api-keys", body: Json(|_| json!({"name": "k"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Row { method: "DELETE", path: "/api/v1/organizations/{id}/api-keys/{key_id}", body: None, expect: [401, 403, 403, 403, 403, 403, 403, 204, 403] },
        Row { method: "GET", path: "/api/v1/organizations/{id}/webhooks", body: None, expect: [401, 404, 404, 404, 404, 404, 200, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/organizations/{id}/webhooks", body: Json(|_| json!({"url": "https://93.184.216.34/hook"})),
            expect: [401, 404, 404, 404, 404, 404, 201, 201, 404],
        },
        Row {
            method: "POST", path: "/api/v1/organizations/{id}/webhooks/{webhook_id}/ping", body: Json(|_| json!({})),
            expect: [401, 404, 404, 404, 404, 404, 202, 202, 404],
        },
        Row {
            method: "GET", path: "/api/v1/organizations/{id}/webhooks/{webhook_id}/deliveries", body: None,
            expect: [401, 404, 404, 404, 404, 404, 200, 200, 404],
        },
        Row { method: "GET", path: "/api/v1/proposals/{id}/cro", body: None, expect: [401, 200, 404, 404, 404, 404, 404, 200, 404] },
        Row {
            method: "POST", path: "/api/v1/proposals/{id}/cro", body: Json(|_| json!({"organization_id": "{organization_id}", "role": "monitoring"})),
            expect: [401, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "DELETE", path: "/api/v1/proposals/{id}/cro/{organization_id}", body: None, expect: [401, 403, 404, 404, 404, 404, 404, 404, 404] },
        // Added with the web pages for the API's work (#19). /admin/organizations/{id} is CRO A.
        Row { method: "GET", path: "/admin/organizations", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/admin/organizations",
            body: Form(|_| { let name = format!("組織W{}", unique()); form(&[("name", &name), ("kind", "cro")]) }),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        Row { method: "GET", path: "/admin/organizations/{id}", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/admin/organizations/{id}/keys", body: Form(|_| form(&[("name", "w"), ("expires_in_days", "30")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row { method: "POST", path: "/admin/organizations/{id}/keys/{key_id}/revoke", body: Form(|_| form(&[])), expect: [303, 403, 403, 403, 403, 403, 403, 303, 403] },
        Row {
            method: "POST", path: "/admin/organizations/{id}/webhooks", body: Form(|_| form(&[("url", "https://93.184.216.34/web"), ("secret", "")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row { method: "POST", path: "/admin/organizations/{id}/webhooks/{webhook_id}/ping", body: Form(|_| form(&[])), expect: [303, 403, 403, 403, 403, 403, 403, 303, 403] },
        Row {
            method: "POST", path: "/admin/organizations/{id}/members",
            body: Form(|_| { let email = format!("member{}@cro.example.org", unique()); form(&[("email", &email), ("display_name", "担当"), ("lang", "ja")]) }),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        // One's own profile: every signed-in caller, on their own account only.
        Row { method: "GET", path: "/profile", body: None, expect: [303, 200, 200, 200, 200, 200, 200, 200, 200] },
        Row { method: "POST", path: "/profile", body: Form(|_| form(&[("display_name", "名前"), ("lang", "ja")])), expect: [303, 303, 303, 303, 303, 303, 303, 303, 303] },
        // A fresh session may set a password; this one is too short.
        Row { method: "POST", path: "/profile/password", body: Form(|_| form(&[("new_password", "short")])), expect: [303, 422, 422, 422, 422, 422, 422, 422, 422] },
        Row {
            method: "POST", path: "/profile/tokens", body: Form(|_| form(&[("name", "w"), ("expires_in_days", "30")])),
            expect: [303, 200, 200, 200, 200, 200, 200, 200, 200],
        },
        // {token_id} is no token of the caller's.
        Row { method: "POST", path: "/profile/tokens/{token_id}/revoke", body: Form(|_| form(&[])), expect: [303, 404, 404, 404, 404, 404, 404, 404, 404] },
        Row { method: "POST", path: "/profile/sessions/end", body: Form(|_| form(&[])), expect: [303, 303, 303, 303, 303, 303, 303, 303, 303] },
        Row { method: "GET", path: "/exports", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        // Without ?fiscal_year the admin is asked for one.
        Row { method: "GET", path: "/exports/disclosure.csv", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 422, 403] },
        Row { method: "GET", path: "/exports/studies.csv", body: None, expect: [303, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/proposals/{id}/audit", body: None, expect: [303, 200, 404, 404, 404, 404, 404, 200, 404] },
        // {id} is a draft: only an approved study is activated.
        Row { method: "GET", path: "/proposals/{id}/activate", body: None, expect: [303, 403, 404, 404, 404, 404, 404, 409, 404] },
        Row { method: "POST", path: "/proposals/{id}/activate", body: Form(|_| form(&[("confirm", "yes")])), expect: [303, 409, 404, 404, 404, 404, 404, 409, 404] },
        Row {
            method: "POST", path: "/proposals/{id}/cro", body: Form(|_| form(&[("organization_id", "{organization_id}"), ("role", "monitoring")])),
            expect: [303, 403, 404, 404, 404, 404, 404, 409, 404],
        },
        Row { method: "POST", path: "/proposals/{id}/cro/{organization_id}/remove", body: Form(|_| form(&[])), expect: [303, 403, 404, 404, 404, 404, 404, 404, 404] },
        // Insights (#22): admins and MSLs only; drafts are their author's.
        Row { method: "GET", path: "/api/v1/listening-priorities", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/api/v1/listening-priorities",
            body: Json(|_| json!({"therapeutic_area": "糖尿病", "question_ja": "問い", "question_en": "Question", "active_from": "2026-01-01"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 201, 403],
        },
        Row {
            method: "PUT", path: "/api/v1/listening-priorities/{id}",
            body: Json(|_| json!({"therapeutic_area": "糖尿病", "question_ja": "問い", "question_en": "Question", "active_from": "2026-01-01"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 200, 403],
        },
        Row { method: "GET", path: "/api/v1/insights", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "POST", path: "/api/v1/insights", body: Json(|_| insight_json()), expect: [401, 403, 403, 201, 403, 403, 403, 403, 403] },
        Row { method: "GET", path: "/api/v1/insights/{id}", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 404, 403] },
        Row { method: "PUT", path: "/api/v1/insights/{id}", body: Json(|_| insight_json()), expect: [401, 403, 403, 200, 403, 403, 403, 404, 403] },
        Row { method: "POST", path: "/api/v1/insights/{id}/submit", body: Json(|_| json!({})), expect: [401, 403, 403, 200, 403, 403, 403, 403, 403] },
        Row { method: "POST", path: "/api/v1/insights/{id}/acknowledge", body: Json(|_| json!({})), expect: [401, 403, 403, 403, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/api/v1/insights/{id}/history", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/api/v1/restricted-phrases", body: None, expect: [401, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/api/v1/restricted-phrases", body: Json(|_| json!({"phrase": format!("制限語{}", unique()), "kind": "other"})),
            expect: [401, 403, 403, 403, 403, 403, 403, 204, 403],
        },
        Row { method: "GET", path: "/api/v1/reports/insights", body: None, expect: [401, 403, 403, 422, 403, 403, 403, 422, 403] },
        Row { method: "GET", path: "/api/v1/reports/insights.pdf", body: None, expect: [401, 403, 403, 422, 403, 403, 403, 422, 403] },
        Row { method: "GET", path: "/api/v1/reports/insights.csv", body: None, expect: [401, 403, 403, 422, 403, 403, 403, 422, 403] },
        Row { method: "GET", path: "/programme", body: None, expect: [303, 403, 403, 403, 403, 200, 403, 200, 403] },
        Row { method: "GET", path: "/reports/insights", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/reports/insights.pdf", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/reports/insights.csv", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "GET", path: "/insights", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "POST", path: "/insights", body: Form(|_| insight_form()), expect: [303, 403, 403, 303, 403, 403, 403, 403, 403] },
        Row { method: "GET", path: "/insights/new", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 403, 403] },
        // By now the fixture's insight is acknowledged: no longer edited or submitted.
        Row { method: "GET", path: "/insights/{id}", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row { method: "POST", path: "/insights/{id}", body: Form(|_| insight_form()), expect: [303, 403, 403, 409, 403, 403, 403, 403, 403] },
        Row { method: "POST", path: "/insights/{id}/submit", body: Form(|_| form(&[])), expect: [303, 403, 403, 409, 403, 403, 403, 403, 403] },
        Row { method: "POST", path: "/insights/{id}/acknowledge", body: Form(|_| form(&[])), expect: [303, 403, 403, 403, 403, 403, 403, 409, 403] },
        Row { method: "GET", path: "/admin/listening-priorities", body: None, expect: [303, 403, 403, 200, 403, 403, 403, 200, 403] },
        Row {
            method: "POST", path: "/admin/listening-priorities",
            body: Form(|_| form(&[("therapeutic_area", "糖尿病"), ("question_ja", "問い"), ("question_en", "Question"), ("active_from", "2026-01-01")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        Row {
            method: "POST", path: "/admin/listening-priorities/{id}",
            body: Form(|_| form(&[("therapeutic_area", "糖尿病"), ("question_ja", "問い"), ("question_en", "Question"), ("active_from", "2026-01-01")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
        Row {
            method: "POST", path: "/admin/restricted-phrases", body: Form(|_| form(&[("phrase", &format!("制限語W{}", unique())), ("kind", "other")])),
            expect: [303, 403, 403, 403, 403, 403, 403, 303, 403],
        },
    ]
}

fn insight_json() -> Value {
    json!({"title": "腎機能と用量", "body": "用量調整の実態について", "category": "unmet_need", "source": "one_to_one", "therapeutic_area": "糖尿病"})
}

fn insight_form() -> Vec<(String, String)> {
    form(&[
        ("title", "腎機能と用量"),
        ("body", "用量調整の実態について"),
        ("category", "unmet_need"),
        ("source", "one_to_one"),
        ("therapeutic_area", "糖尿病"),
    ])
}

#[test]
fn every_route_has_a_matrix_row() {
    let rows = rows();
    for (method, path) in liaison::http::route_table() {
        assert!(
            rows.iter().any(|r| r.method == method && r.path == path),
            "route {method} {path} has no row in the authorisation matrix"
        );
    }
}

struct Fixture {
    tokens: Vec<Option<String>>,
    user_ids: Vec<Option<String>>,
    proposal_id: String,
    msl_id: String,
    outbox_id: String,
    committee_id: String,
    document_id: String,
    milestone_id: String,
    payment_id: String,
    org_id: String,
    key_id: String,
    webhook_id: String,
    priority_id: String,
    insight_id: String,
}

fn fixture(app: &TestApp) -> Fixture {
    let roles = [
        None,
        Some(Role::Investigator),
        Some(Role::Investigator),
        Some(Role::Msl),
        Some(Role::Reviewer),
        Some(Role::Chair),
        Some(Role::Cro),
        Some(Role::Admin),
    ];
    let mut tokens = Vec::new();
    let mut user_ids = Vec::new();
    for (i, role) in roles.iter().enumerate() {
        match role {
            None => {
                tokens.push(None);
                user_ids.push(None);
            }
            Some(role) => {
                let user = app.user(&format!("{}@example.org", CALLERS[i]), *role, Lang::Ja);
                tokens.push(Some(user.token));
                user_ids.push(Some(user.id));
            }
        }
    }
    let mut conn = app.conn();
    let admin_user =
        liaison::store::users::find(&mut conn, user_ids[7].as_deref().unwrap_or_default()).unwrap();
    let admin_principal = liaison::auth::Principal::from_user(&admin_user);
    let key = liaison::startup::secret_key(&mut conn, &app.settings).unwrap();
    let mut orgs = Vec::new();
    for (slot, name) in [(6usize, "CRO A"), (8, "CRO B")] {
        let (org, plain, service) = liaison::db::write_tx(&mut conn, |conn| {
            let org =
                liaison::workflows::cro::create_organization(conn, &admin_principal, name, "cro")?;
            let (plain, _) = liaison::workflows::cro::create_api_key(
                conn,
                &key,
                &admin_principal,
                &org.id,
                "matrix",
                30,
            )?;
            Ok::<_, liaison::error::AppError>((
                org.id.clone(),
                plain,
                org.service_user_id.clone().unwrap_or_default(),
            ))
        })
        .unwrap();
        if slot == 8 {
            tokens.push(Some(plain));
            user_ids.push(Some(service));
        } else {
            tokens[slot] = Some(plain);
            user_ids[slot] = Some(service);
        }
        orgs.push(org);
    }
    let (spare_key, webhook) = liaison::db::write_tx(&mut conn, |conn| {
        let (_, spare) = liaison::workflows::cro::create_api_key(
            conn,
            &key,
            &admin_principal,
            &orgs[0],
            "spare",
            30,
        )?;
        let (hook, _) = liaison::workflows::cro::register_webhook(
            conn,
            &admin_principal,
            &orgs[0],
            liaison::workflows::cro::vet_webhook_url(
                &liaison::domain::net::WebhookPolicy::default(),
                "https://93.184.216.34/hook",
            ),
            None,
        )?;
        Ok::<_, liaison::error::AppError>((spare.id, hook.id))
    })
    .unwrap();
    let owner =
        liaison::store::users::find(&mut conn, user_ids[1].as_deref().unwrap_or_default()).unwrap();
    let principal = liaison::auth::Principal::from_user(&owner);
    let draft = liaison::db::write_tx(&mut conn, |conn| {
        liaison::workflows::proposals::create(conn, &principal, Default::default())
    })
    .unwrap();
    let to = liaison::notify::Recipient {
        email: "pi@example.org".into(),
        name: "PI".into(),
        lang: Lang::Ja,
    };
    let message = liaison::notify::Email::SignInLink {
        path: "/x".into(),
        minutes: 1,
    };
    liaison::notify::enqueue(&mut conn, &to, &message).unwrap();
    let outbox_id = liaison::store::outbox::list(&mut conn, None, None, 1).unwrap()[0]
        .id
        .clone();
    let admin =
        liaison::store::users::find(&mut conn, user_ids[7].as_deref().unwrap_or_default()).unwrap();
    let admin = liaison::auth::Principal::from_user(&admin);
    let committee = liaison::db::write_tx(&mut conn, |conn| {
        let input = liaison::workflows::review::CommitteeInput {
            name: "固定委員会",
            quorum: 3,
            members: &[],
        };
        liaison::workflows::review::create_committee(conn, &admin, &input)
    })
    .unwrap();
    let owner_principal = principal.clone();
    let document = liaison::db::write_tx(&mut conn, |conn| {
        liaison::workflows::msl::upload_document(
            conn,
            &owner_principal,
            &draft.row.id,
            "protocol",
            "計画書.pdf",
            b"%PDF-1.7 fixture",
        )
    })
    .unwrap();
    let milestone = liaison::store::study::insert_milestone(
        &mut conn,
        &liaison::store::study::NewMilestone {
            proposal_id: &draft.row.id,
            kind: "drug_shipped",
            title: "",
            due_on: None,
            owner_role: "admin",
            note: "",
        },
    )
    .unwrap();
    let payment =
        liaison::store::study::insert_payment(&mut conn, &draft.row.id, None, 1, "JPY").unwrap();
    let msl_user =
        liaison::store::users::find(&mut conn, user_ids[3].as_deref().unwrap_or_default()).unwrap();
    let msl_principal = liaison::auth::Principal::from_user(&msl_user);
    let (priority_id, insight_id) = liaison::db::write_tx(&mut conn, |conn| {
        let priority = liaison::workflows::insights::create_priority(
            conn,
            &admin,
            &liaison::workflows::insights::PriorityInput {
                therapeutic_area: "糖尿病",
                product: "",
                question_ja: "問い",
                question_en: "Question",
                active_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1),
                active_to: None,
            },
        )?;
        let insight = liaison::workflows::insights::create_insight(
            conn,
            &msl_principal,
            liaison::workflows::insights::InsightInput {
                title: "固定インサイト".into(),
                body: "本文".into(),
                category: "unmet_need".into(),
                source: "congress".into(),
                therapeutic_area: "糖尿病".into(),
                ..Default::default()
            },
        )?;
        Ok::<_, liaison::error::AppError>((priority.id, insight.row.id))
    })
    .unwrap();
    Fixture {
        priority_id,
        insight_id,
        org_id: orgs[0].clone(),
        key_id: spare_key,
        webhook_id: webhook,
        milestone_id: milestone.id,
        payment_id: payment.id,
        document_id: document.id,
        proposal_id: draft.row.id,
        msl_id: user_ids[3].clone().unwrap(),
        outbox_id,
        committee_id: committee.id,
        tokens,
        user_ids,
    }
}

/// A browser with a fresh session for `user_id` (none for anonymous) and its CSRF token.
async fn browser_for(app: &TestApp, user_id: Option<&str>) -> (reqwest::Client, String) {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    if let Some(user_id) = user_id {
        let mut conn = app.conn();
        let key = startup::secret_key(&mut conn, &app.settings).unwrap();
        let session = credentials::create_session(&mut conn, &key, user_id).unwrap();
        let url: reqwest::Url = app.address.parse().unwrap();
        jar.add_cookie_str(&format!("liaison_session={session}; Path=/"), &url);
    }
    let client = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_value(&page, "csrf_token").unwrap();
    (client, csrf)
}

#[actix_web::test]
async fn every_route_answers_each_caller_as_the_matrix_says() {
    let app = spawn_app_with(|s| s.run_worker = false).await;
    let fx = fixture(&app);
    let mut failures = Vec::new();
    for row in rows() {
        let id = if row.path.starts_with("/api/v1/insights/") || row.path.starts_with("/insights/")
        {
            &fx.insight_id
        } else if row.path.starts_with("/api/v1/listening-priorities/")
            || row.path.starts_with("/admin/listening-priorities/")
        {
            &fx.priority_id
        } else if row.path.contains("/users/") {
            &fx.msl_id
        } else if row.path.contains("/outbox/") {
            &fx.outbox_id
        } else if row.path.starts_with("/api/v1/organizations/")
            || row.path.starts_with("/admin/organizations/")
        {
            &fx.org_id
        } else if row.path.contains("/committees/") {
            &fx.committee_id
        } else {
            &fx.proposal_id
        };
        let path = row
            .path
            .replace("{id}", id)
            .replace("{msl_id}", &fx.msl_id)
            .replace("{document_id}", &fx.document_id)
            .replace("{milestone_id}", &fx.milestone_id)
            .replace("{payment_id}", &fx.payment_id)
            .replace("{organization_id}", &fx.org_id)
            .replace("{key_id}", &fx.key_id)
            .replace("{webhook_id}", &fx.webhook_id);
        for (caller, caller_name) in CALLERS.iter().enumerate() {
            let expected = row.expect[caller];
            let status = if path.starts_with("/api/") {
                let mut request = app.api.request(row.method.parse().unwrap(), app.url(&path));
                if let Some(token) = &fx.tokens[caller] {
                    request = request.bearer_auth(token);
                }
                if let Body::Json(make) = &row.body {
                    let body = make(caller)
                        .to_string()
                        .replace("{msl_id}", &fx.msl_id)
                        .replace("{organization_id}", &fx.org_id);
                    request = request
                        .header("content-type", "application/json")
                        .body(body);
                }
                request.send().await.unwrap().status().as_u16()
            } else {
                let (browser, csrf) = browser_for(&app, fx.user_ids[caller].as_deref()).await;
                let mut request = browser.request(row.method.parse().unwrap(), app.url(&path));
                if let Body::Form(make) = &row.body {
                    let mut fields: Vec<(String, String)> = make(caller)
                        .into_iter()
                        .map(|(k, v)| {
                            let v = v
                                .replace("{msl_id}", &fx.msl_id)
                                .replace("{organization_id}", &fx.org_id);
                            (k, v)
                        })
                        .collect();
                    fields.push(("csrf_token".into(), csrf));
                    request = request.form(&fields);
                }
                request.send().await.unwrap().status().as_u16()
            };
            if status != expected {
                failures.push(format!(
                    "{} {} as {}: expected {expected}, got {status}",
                    row.method, row.path, caller_name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorisation matrix mismatches:\n{}",
        failures.join("\n")
    );
}
