//! The leak crawler (docs/COMPLIANCE.md#who-sees-which-field). One proposal is taken through
//! MSL advice, review (three reviewers, one recused, plus one who never declared; a chair),
//! a decision before quorum, activation, a CRO assignment and a payment, with a distinct
//! marker planted in every restricted field. Then every principal (each relation to the
//! proposal, and an unrelated one of every role) fetches every GET route of the route table,
//! every web page, both PDFs (text extracted), the CSV exports and the iCalendar feed; the
//! emails each received and the webhook payloads to each CRO are read too. Each marker must
//! reach exactly the principals the visibility table lets see its field group.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use liaison::domain::visibility::{Audience, FieldGroup, sees};
use liaison::domain::{Lang, Role};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, complete_proposal, spawn_app_with};
use crate::smtp_sink::{SmtpSink, parse};

/// GET routes that carry no proposal data, with the reason; every other GET route is crawled.
const NOT_PROPOSAL_DATA: &[(&str, &str)] = &[
    ("/healthz", "liveness only"),
    ("/readyz", "readiness and outbox counts only"),
    ("/metrics", "counters only, behind its own token"),
    (
        "/openapi.json",
        "the API description, the same for everyone",
    ),
    ("/static/app.css", "the stylesheet"),
    ("/signin", "the sign-in form"),
    ("/signin/link", "the confirmation form of a sign-in link"),
    ("/register", "the registration form"),
    ("/proposals/new", "an empty proposal form"),
];

/// How a principal stands to the crawled proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Admin,
    Owner,
    AssignedMsl,
    ClearedReviewer,
    RecusedReviewer,
    UnclearedReviewer,
    Chair,
    AssignedCro,
    Unrelated,
}

impl Relation {
    /// The column of the visibility table this relation reads; `None` sees nothing of the
    /// proposal beyond what a conflict-of-interest form shows.
    fn audience(self) -> Option<Audience> {
        match self {
            Relation::Admin => Some(Audience::Admin),
            Relation::Owner => Some(Audience::Investigator),
            Relation::AssignedMsl => Some(Audience::Msl),
            Relation::ClearedReviewer | Relation::Chair => Some(Audience::Committee),
            Relation::AssignedCro => Some(Audience::Cro),
            Relation::RecusedReviewer | Relation::UnclearedReviewer | Relation::Unrelated => None,
        }
    }
}

pub(crate) struct Principal {
    pub(crate) name: &'static str,
    pub(crate) relation: Relation,
    /// Bearer token (a user's or an organisation key).
    pub(crate) token: String,
    /// The user a web session is opened for (none for organisation keys: they have no pages).
    pub(crate) web_user: Option<String>,
    /// Address emails reach this principal at.
    email: Option<String>,
    /// Markers that are the principal's own identity (their name, address and id).
    own: Vec<String>,
}

struct Marker {
    text: String,
    group: FieldGroup,
    /// Seen also by reviewers who have not declared or are recused: the conflict-of-interest
    /// form shows the title so that they can judge their conflict.
    coi_form: bool,
    /// Checked for leaks, not required to be found: another spelling of a marker (an amount
    /// grouped by thousands), or a field no output shows.
    spelling: bool,
}

fn marker(text: impl Into<String>, group: FieldGroup) -> Marker {
    Marker {
        text: text.into(),
        group,
        coi_form: false,
        spelling: false,
    }
}

/// A number as the outputs may print it: plain, or grouped by thousands.
fn amount_markers(amount: i64, group: FieldGroup) -> Vec<Marker> {
    let plain = amount.to_string();
    let mut grouped = String::new();
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let mut grouped = marker(grouped, group);
    grouped.spelling = true;
    vec![marker(plain, group), grouped]
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(status.is_success(), "{status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

async fn call(app: &TestApp, method: &str, token: &str, path: &str, body: Value) -> Value {
    let mut request = app
        .api
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if method == "PUT" {
        request = request.header("If-Match", "*");
    }
    ok(request.json(&body).send().await.unwrap()).await
}

pub(crate) struct Scenario {
    pub(crate) principals: Vec<Principal>,
    markers: Vec<Marker>,
    pub(crate) proposal_id: String,
    pub(crate) documents: Vec<String>,
    committee_id: String,
    org_a: String,
    hook_a: String,
    hook_b: String,
    user_id_for_users_route: String,
    insight_id: String,
}

fn user(app: &TestApp, email: &str, role: Role) -> TestUser {
    app.user(email, role, Lang::Ja)
}

async fn organisation(app: &TestApp, admin: &TestUser, name: &str) -> (String, String, String) {
    let org = call(
        app,
        "POST",
        &admin.token,
        "/api/v1/organizations",
        json!({"name": name, "kind": "cro"}),
    )
    .await;
    let org_id = org["id"].as_str().unwrap().to_string();
    let key = call(
        app,
        "POST",
        &admin.token,
        &format!("/api/v1/organizations/{org_id}/api-keys"),
        json!({"name": "crawler"}),
    )
    .await;
    let hook = call(
        app,
        "POST",
        &admin.token,
        &format!("/api/v1/organizations/{org_id}/webhooks"),
        json!({"url": "https://93.184.216.34/hook"}),
    )
    .await;
    (
        org_id,
        key["key"].as_str().unwrap().to_string(),
        hook["id"].as_str().unwrap().to_string(),
    )
}

pub(crate) async fn scenario(app: &TestApp) -> Scenario {
    let admin = user(app, "lkadmin@example.jp", Role::Admin);
    let owner = user(app, "lkowner@example.jp", Role::Investigator);
    let other_investigator = user(app, "lkotherpi@example.jp", Role::Investigator);
    let msl = user(app, "lkmsl@example.jp", Role::Msl);
    let other_msl = user(app, "lkothermsl@example.jp", Role::Msl);
    let cleared = user(app, "lkrevone@example.jp", Role::Reviewer);
    let cleared_too = user(app, "lkrevtwo@example.jp", Role::Reviewer);
    let recused = user(app, "lkrevthree@example.jp", Role::Reviewer);
    let uncleared = user(app, "lkrevfour@example.jp", Role::Reviewer);
    let other_reviewer = user(app, "lkrevother@example.jp", Role::Reviewer);
    let chair = user(app, "lkchair@example.jp", Role::Chair);
    let (org_a, key_a, hook_a) = organisation(app, &admin, "LKCROORGA").await;
    let (org_b, key_b, hook_b) = organisation(app, &admin, "LKCROORGB").await;

    // A person of the assigned CRO, signed in on the web (invited by an admin).
    let cro_person = {
        let mut conn = app.conn();
        let key = liaison::startup::secret_key(&mut conn, &app.settings).unwrap();
        let admin_row = liaison::store::users::find(&mut conn, &admin.id).unwrap();
        let admin_principal = liaison::auth::Principal::from_user(&admin_row);
        let person = liaison::db::write_tx(&mut conn, |conn| {
            liaison::workflows::cro_users::invite(
                conn,
                &key,
                chrono::Duration::minutes(15),
                &admin_principal,
                &org_a,
                "lkcroperson@example.jp",
                "lkcroperson",
                Lang::Ja,
            )
        })
        .unwrap();
        let (token, _) = liaison::store::credentials::create_user_token(
            &mut conn,
            &key,
            &person.id,
            "crawler",
            chrono::Duration::days(1),
        )
        .unwrap();
        TestUser {
            id: person.id,
            email: "lkcroperson@example.jp".into(),
            token,
        }
    };

    let mut content = complete_proposal();
    content["title"] = json!("LKTITLE 腎保護効果の検討");
    content["budget_items"] = json!([
        {"label": "LKBUDGETLINEA", "amount": 7_310_001},
        {"label": "LKBUDGETLINEB", "amount": 7_310_002},
    ]);
    content["requested_support"] = json!({"funding_amount": 8_420_003, "currency": "JPY",
        "drug_supply": {"product": "LKDRUGSUPPLY", "quantity": 40, "unit": "箱"}, "other": "LKOTHERSUPPORT"});
    content["notes"] = json!("LKINTERNALNOTES");
    content["conflict_of_interest"] = json!({"has_coi": true, "text": "LKCOITEXT"});
    let proposal = call(app, "POST", &owner.token, "/api/v1/proposals", content).await;
    let id = proposal["id"].as_str().unwrap().to_string();
    let p = |rest: &str| format!("/api/v1/proposals/{id}{rest}");

    // MSL support before submission.
    app.post_json(&admin.token, &p("/msls"), &json!({"msl_id": msl.id}))
        .await;
    call(app, "POST", &owner.token, &p("/advice-request"), json!({})).await;
    call(
        app,
        "POST",
        &msl.token,
        &p("/advice"),
        json!({"body": "LKADVICE 主要評価項目について"}),
    )
    .await;
    let interaction = call(
        app,
        "POST",
        &msl.token,
        &p("/interactions"),
        json!({"occurred_on": "2026-11-20", "channel": "meeting", "summary": "LKINTERACTION 面談"}),
    )
    .await;
    // A field insight from that contact, answering a listening priority (#22).
    let priority = call(
        app,
        "POST",
        &admin.token,
        "/api/v1/listening-priorities",
        json!({"therapeutic_area": "糖尿病", "question_ja": "LKPRIORITY 使用実態は？",
               "question_en": "LKPRIORITY use?", "active_from": "2026-01-01"}),
    )
    .await;
    let insight = call(
        app,
        "POST",
        &msl.token,
        "/api/v1/insights",
        json!({"title": "LKINSIGHT 用量", "body": "LKINSIGHT 腎機能低下例での用量調整", "category": "unmet_need",
               "source": "one_to_one", "therapeutic_area": "糖尿病", "interaction_id": interaction["id"],
               "investigator_ids": [owner.id], "listening_priority_ids": [priority["id"]]}),
    )
    .await;
    let insight_id = insight["id"].as_str().unwrap_or_default().to_string();
    call(
        app,
        "POST",
        &msl.token,
        &format!("/api/v1/insights/{insight_id}/submit"),
        json!({}),
    )
    .await;
    let mut documents = Vec::new();
    for (doc_type, name, body) in [
        ("protocol", "protocol.pdf", "%PDF-1.7\nLKPROTOCOLDOC"),
        ("budget", "budget.pdf", "%PDF-1.7\nLKBUDGETDOC"),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("doc_type", doc_type)
            .part(
                "file",
                reqwest::multipart::Part::bytes(body.as_bytes().to_vec()).file_name(name),
            );
        let uploaded = app
            .api
            .post(app.url(&p("/documents")))
            .bearer_auth(&owner.token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        documents.push(ok(uploaded).await["id"].as_str().unwrap().to_string());
    }
    call(
        app,
        "POST",
        &owner.token,
        &p("/transitions"),
        json!({"action": "submit"}),
    )
    .await;

    // Review: quorum 3, two complete reviews, one recusal, one never declared.
    let reviewers = [&cleared, &cleared_too, &recused, &uncleared];
    let mut members: Vec<Value> = reviewers
        .iter()
        .map(|r| json!({"user_id": r.id, "role": "reviewer"}))
        .collect();
    members.push(json!({"user_id": chair.id, "role": "chair"}));
    let committee = call(
        app,
        "POST",
        &admin.token,
        "/api/v1/committees",
        json!({"name": "審査委員会", "quorum": 3, "members": members}),
    )
    .await;
    let committee_id = committee["id"].as_str().unwrap().to_string();
    // Another committee, so that the unrelated reviewer is a committee member too.
    call(app, "POST", &admin.token, "/api/v1/committees",
        json!({"name": "別の委員会", "quorum": 1, "members": [{"user_id": other_reviewer.id, "role": "reviewer"}]}))
        .await;
    call(
        app,
        "POST",
        &chair.token,
        &p("/transitions"),
        json!({"action": "start_review", "committee_id": committee_id}),
    )
    .await;
    for reviewer in reviewers {
        call(
            app,
            "POST",
            &chair.token,
            &p("/reviewers"),
            json!({"reviewer_id": reviewer.id}),
        )
        .await;
    }
    call(
        app,
        "POST",
        &recused.token,
        &p("/coi"),
        json!({"conflict": "financial", "note": "LKCOINOTE"}),
    )
    .await;
    for (reviewer, n) in [(&cleared, 1), (&cleared_too, 2)] {
        call(
            app,
            "POST",
            &reviewer.token,
            &p("/coi"),
            json!({"conflict": "none"}),
        )
        .await;
        call(app, "PUT", &reviewer.token, &p("/reviews/mine"), json!({
            "scores": {"scientific_merit": 5, "feasibility": 4, "alignment": 4, "budget": 3, "publication_plan": 5},
            "recommendation": "approve", "complete": true,
            "confidential_comments": format!("LKCONFIDENTIAL{n}"),
            "comments_to_investigator": format!("LKTOINVESTIGATOR{n}"),
        }))
        .await;
    }
    call(app, "POST", &chair.token, &p("/decision"), json!({
        "outcome": "approve", "rationale": "LKRATIONALE", "quorum_override_reason": "LKOVERRIDE",
    }))
    .await;

    // After approval: gates, activation, a CRO, a payment, enrollment.
    call(app, "PUT", &admin.token, &p("/gates"), json!({"contract_signed_on": "2026-11-01",
        "ethics_committee": "CRB", "ethics_approved_on": "2026-11-02", "ethics_approval_number": "CRB-1",
        "registry": "jrct", "registry_id": "jRCT2031210123"}))
        .await;
    call(
        app,
        "POST",
        &admin.token,
        &p("/transitions"),
        json!({"action": "activate"}),
    )
    .await;
    call(
        app,
        "POST",
        &admin.token,
        &p("/cro"),
        json!({"organization_id": org_a, "role": "monitoring"}),
    )
    .await;
    let payment = call(
        app,
        "POST",
        &admin.token,
        &p("/payments"),
        json!({"amount": 9_530_007}),
    )
    .await;
    let payment_id = payment["id"].as_str().unwrap();
    call(
        app,
        "POST",
        &admin.token,
        &p(&format!("/payments/{payment_id}/paid")),
        json!({"paid_on": "2026-11-01"}),
    )
    .await;
    call(
        app,
        "POST",
        &key_a,
        &p("/milestones"),
        json!({"kind": "first_patient_in", "due_on": "2027-05-01", "owner_role": "cro"}),
    )
    .await;
    call(
        app,
        "POST",
        &key_a,
        &p("/enrollment"),
        json!({"as_of": "2026-11-20", "count": 12}),
    )
    .await;
    // Overdue by the programme's date, so it is on the to-do lists of the owner, the CRO and
    // the admins as well as on the study's pages: each list must read it through its reader's
    // own scope (an unrelated investigator's home page must not show it).
    let overdue = liaison::clock::programme_today() - chrono::Duration::days(3);
    call(
        app,
        "POST",
        &owner.token,
        &p("/milestones"),
        json!({"kind": "custom", "title": "LKMILESTONE", "due_on": overdue.to_string(), "owner_role": "investigator"}),
    )
    .await;

    let mut markers = vec![
        Marker {
            coi_form: true,
            ..marker("LKTITLE", FieldGroup::Protocol)
        },
        marker("LKBUDGETLINEA", FieldGroup::Budget),
        marker("LKBUDGETLINEB", FieldGroup::Budget),
        marker("LKDRUGSUPPLY", FieldGroup::Budget),
        marker("LKOTHERSUPPORT", FieldGroup::Budget),
        marker("LKBUDGETDOC", FieldGroup::Budget),
        marker("LKPROTOCOLDOC", FieldGroup::Documents),
        marker("LKINTERNALNOTES", FieldGroup::InternalNotes),
        marker("LKCOITEXT", FieldGroup::CoiText),
        marker("LKADVICE", FieldGroup::Advice),
        marker("LKINTERACTION", FieldGroup::Interactions),
        marker("LKINSIGHT", FieldGroup::Insights),
        marker("LKPRIORITY", FieldGroup::Insights),
        // Kept with the declaration; no output shows it, so it is checked for leaks only.
        Marker {
            spelling: true,
            ..marker("LKCOINOTE", FieldGroup::ReviewProcess)
        },
        marker("LKCONFIDENTIAL1", FieldGroup::ConfidentialComments),
        marker("LKCONFIDENTIAL2", FieldGroup::ConfidentialComments),
        marker("LKTOINVESTIGATOR1", FieldGroup::CommentsToInvestigator),
        marker("LKTOINVESTIGATOR2", FieldGroup::CommentsToInvestigator),
        marker("LKOVERRIDE", FieldGroup::DecisionInternals),
        marker("LKRATIONALE", FieldGroup::DecisionOutcome),
        marker("LKCROORGA", FieldGroup::CroAssignment),
        marker("LKMILESTONE", FieldGroup::StudyTracking),
        marker(org_a.clone(), FieldGroup::CroAssignment),
    ];
    markers.extend(amount_markers(7_310_001, FieldGroup::Budget));
    markers.extend(amount_markers(7_310_002, FieldGroup::Budget));
    markers.extend(amount_markers(8_420_003, FieldGroup::Budget));
    markers.extend(amount_markers(9_530_007, FieldGroup::Payments));
    for reviewer in [&cleared, &cleared_too, &recused, &uncleared, &chair] {
        let name = reviewer.email.split('@').next().unwrap_or_default();
        markers.push(marker(name, FieldGroup::ReviewerIdentities));
        markers.push(marker(reviewer.id.clone(), FieldGroup::ReviewerIdentities));
    }

    let person = |name: &'static str, relation: Relation, u: &TestUser| Principal {
        name,
        relation,
        token: u.token.clone(),
        web_user: Some(u.id.clone()),
        email: Some(u.email.clone()),
        own: vec![
            u.email.split('@').next().unwrap_or_default().to_string(),
            u.id.clone(),
        ],
    };
    let key = |name: &'static str, relation: Relation, token: &str, org: &str| Principal {
        name,
        relation,
        token: token.to_string(),
        web_user: None,
        email: None,
        own: vec![org.to_string()],
    };
    let principals = vec![
        person("admin", Relation::Admin, &admin),
        person("owner", Relation::Owner, &owner),
        person(
            "other investigator",
            Relation::Unrelated,
            &other_investigator,
        ),
        person("assigned MSL", Relation::AssignedMsl, &msl),
        person("other MSL", Relation::Unrelated, &other_msl),
        person("cleared reviewer", Relation::ClearedReviewer, &cleared),
        person("recused reviewer", Relation::RecusedReviewer, &recused),
        person(
            "uncleared reviewer",
            Relation::UnclearedReviewer,
            &uncleared,
        ),
        person("other reviewer", Relation::Unrelated, &other_reviewer),
        person("chair", Relation::Chair, &chair),
        key("assigned CRO", Relation::AssignedCro, &key_a, &org_a),
        Principal {
            own: vec![org_a.clone(), "lkcroperson".into(), cro_person.id.clone()],
            ..person("assigned CRO person", Relation::AssignedCro, &cro_person)
        },
        key("other CRO", Relation::Unrelated, &key_b, &org_b),
    ];
    Scenario {
        principals,
        markers,
        proposal_id: id,
        documents,
        committee_id,
        org_a,
        hook_a,
        hook_b,
        user_id_for_users_route: cleared.id.clone(),
        insight_id,
    }
}

/// Whether `principal` may read `marker`.
fn allowed(principal: &Principal, marker: &Marker) -> bool {
    if principal.own.iter().any(|own| own == &marker.text) {
        return true;
    }
    // Insights are not about one proposal: their column is read by role (every MSL reads
    // the priorities and the insight report; an MSL's own insights are theirs).
    if marker.group == FieldGroup::Insights {
        return matches!(principal.name, "admin" | "assigned MSL" | "other MSL");
    }
    match principal.relation.audience() {
        Some(audience) => sees(audience, marker.group),
        None => {
            marker.coi_form
                && matches!(
                    principal.relation,
                    Relation::RecusedReviewer | Relation::UnclearedReviewer
                )
        }
    }
}

/// A web session for `user_id`.
pub(crate) async fn browser(app: &TestApp, user_id: &str) -> reqwest::Client {
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let mut conn = app.conn();
    let key = liaison::startup::secret_key(&mut conn, &app.settings).unwrap();
    let session = liaison::store::credentials::create_session(&mut conn, &key, user_id).unwrap();
    let url: reqwest::Url = app.address.parse().unwrap();
    jar.add_cookie_str(&format!("liaison_session={session}; Path=/"), &url);
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The readable text of a response: PDFs through text extraction, the rest as sent.
async fn body_text(response: reqwest::Response) -> String {
    let is_pdf = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/pdf"));
    let bytes = response.bytes().await.unwrap();
    if is_pdf && bytes.starts_with(b"%PDF-1.") && bytes.len() > 200 {
        pdf_extract::extract_text_from_mem(&bytes).unwrap_or_default()
            + &String::from_utf8_lossy(&bytes)
    } else {
        String::from_utf8_lossy(&bytes).to_string()
    }
}

/// The concrete paths a route template is crawled at.
fn concrete_paths(template: &str, s: &Scenario) -> Vec<String> {
    let id = if template.starts_with("/api/v1/users/") {
        &s.user_id_for_users_route
    } else if template.starts_with("/api/v1/organizations/") {
        &s.org_a
    } else if template.starts_with("/api/v1/committees/") {
        &s.committee_id
    } else if template.starts_with("/api/v1/insights/") || template.starts_with("/insights/") {
        &s.insight_id
    } else {
        &s.proposal_id
    };
    let base = template
        .replace("{id}", id)
        .replace("{webhook_id}", &s.hook_a);
    let with_query = match template {
        "/api/v1/exports/disclosure.csv" => format!("{base}?fiscal_year=2026"),
        "/api/v1/proposals/{id}/diff" => format!("{base}?from=1&to=1"),
        // The insight report over the days around now (the insight was submitted today).
        t if t.contains("/reports/insights") => {
            let today = chrono::Utc::now().date_naive();
            let from = today - chrono::Duration::days(30);
            format!(
                "{base}?from={from}&to={}",
                today + chrono::Duration::days(1)
            )
        }
        _ => base,
    };
    if template.contains("{document_id}") {
        s.documents
            .iter()
            .map(|d| with_query.replace("{document_id}", d))
            .collect()
    } else {
        vec![with_query]
    }
}

#[actix_web::test]
async fn every_marker_reaches_exactly_the_audiences_the_visibility_table_allows() {
    let sink = SmtpSink::start(0).await;
    let smtp = sink.url();
    let app = spawn_app_with(move |s| {
        s.smtp_url = Some(smtp);
        s.outbox_poll = Duration::from_millis(50);
    })
    .await;
    let s = scenario(&app).await;

    // Every GET route is crawled unless it is named as carrying no proposal data.
    let routes: Vec<&str> = liaison::http::route_table()
        .into_iter()
        .filter(|(method, _)| *method == "GET")
        .map(|(_, path)| path)
        .collect();
    let skipped: BTreeSet<&str> = NOT_PROPOSAL_DATA.iter().map(|(p, _)| *p).collect();
    for (path, _) in NOT_PROPOSAL_DATA {
        assert!(routes.contains(path), "{path} is no longer a GET route");
    }

    // outputs[principal] = (what, text)
    let mut outputs: Vec<Vec<(String, String)>> = Vec::new();
    for principal in &s.principals {
        let mut seen = Vec::new();
        let web = match &principal.web_user {
            Some(user_id) => Some(browser(&app, user_id).await),
            None => None,
        };
        for template in routes.iter().filter(|r| !skipped.contains(*r)) {
            if *template == "/ical/{token}" {
                let created = app
                    .post_json(&principal.token, "/api/v1/me/calendar", &json!({}))
                    .await;
                if created.status() == 201 {
                    let location = created.headers()["location"].to_str().unwrap().to_string();
                    let feed = app.api.get(app.url(&location)).send().await.unwrap();
                    seen.push(("iCalendar feed".to_string(), body_text(feed).await));
                }
                continue;
            }
            for path in concrete_paths(template, &s) {
                let response = if path.starts_with("/api/") {
                    app.get(&principal.token, &path).await
                } else if let Some(web) = &web {
                    web.get(app.url(&path)).send().await.unwrap()
                } else {
                    continue;
                };
                seen.push((format!("GET {path}"), body_text(response).await));
            }
        }
        outputs.push(seen);
    }

    // Emails: wait for the outbox to drain, then file each message under its recipient.
    let mut conn = app.conn();
    for _ in 0..200 {
        let pending = liaison::store::outbox::list(&mut conn, Some("pending"), None, 500)
            .map(|rows| rows.iter().filter(|r| r.channel == "email").count())
            .unwrap_or(0);
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut mails_per_principal = vec![0usize; s.principals.len()];
    for raw in sink.messages() {
        let mail = parse(&raw);
        let mut text = format!("{}\n{}\n{}", mail.subject, mail.text, mail.html);
        for (_, bytes) in &mail.attachments {
            text.push_str(&pdf_extract::extract_text_from_mem(bytes).unwrap_or_default());
        }
        for (i, principal) in s.principals.iter().enumerate() {
            if principal
                .email
                .as_deref()
                .is_some_and(|e| mail.to.contains(e))
            {
                mails_per_principal[i] += 1;
                outputs[i].push((format!("email {:?}", mail.subject), text.clone()));
            }
        }
    }
    assert!(
        mails_per_principal[1] > 0,
        "the owner received no email to crawl"
    );

    // Webhook payloads, as queued for each organisation's endpoint.
    for (hook, name) in [(&s.hook_a, "assigned CRO"), (&s.hook_b, "other CRO")] {
        let rows = liaison::store::outbox::for_recipient(&mut conn, "webhook", hook, 500).unwrap();
        if name == "assigned CRO" {
            assert!(
                !rows.is_empty(),
                "the assigned CRO received no webhook event"
            );
        }
        let i = s.principals.iter().position(|p| p.name == name).unwrap();
        for row in rows {
            outputs[i].push((format!("webhook {}", row.event), row.data));
        }
    }

    // Each marker: never where the table forbids it; the crawl sees it where it must.
    let mut leaks = Vec::new();
    let mut reached: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    for (principal, seen) in s.principals.iter().zip(&outputs) {
        for marker in &s.markers {
            for (what, text) in seen {
                if text.contains(&marker.text) {
                    reached.insert((principal.name, marker.text.as_str()), true);
                    if !allowed(principal, marker) {
                        leaks.push(format!(
                            "{} ({:?}) reached the {} through {what}",
                            marker.text, marker.group, principal.name
                        ));
                    }
                }
            }
        }
    }
    leaks.sort();
    leaks.dedup();
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
    // Not vacuous: the admin reads every marker somewhere, the owner their own restricted
    // fields, the chair the committee's.
    let must_reach: &[(&str, &[&str])] = &[
        (
            "owner",
            &[
                "LKBUDGETLINEA",
                "LKINTERNALNOTES",
                "LKCOITEXT",
                "LKTOINVESTIGATOR1",
                "LKBUDGETDOC",
                "LKRATIONALE",
                "LKMILESTONE",
            ],
        ),
        (
            "chair",
            &[
                "LKCONFIDENTIAL1",
                "LKCONFIDENTIAL2",
                "LKOVERRIDE",
                "lkrevone",
            ],
        ),
        (
            "assigned MSL",
            &["LKADVICE", "LKINTERACTION", "LKINSIGHT", "LKPRIORITY"],
        ),
        ("other MSL", &["LKPRIORITY"]),
        ("assigned CRO", &["LKTITLE", "LKPROTOCOLDOC"]),
        (
            "assigned CRO person",
            &["LKTITLE", "LKPROTOCOLDOC", "LKMILESTONE"],
        ),
    ];
    let mut unreached = Vec::new();
    for marker in s.markers.iter().filter(|m| !m.spelling) {
        if !reached.contains_key(&("admin", marker.text.as_str())) {
            unreached.push(format!("admin never read {}", marker.text));
        }
    }
    for (name, texts) in must_reach {
        for text in *texts {
            if !reached.contains_key(&(*name, *text)) {
                unreached.push(format!("{name} never read {text}"));
            }
        }
    }
    assert!(
        unreached.is_empty(),
        "the crawl missed:\n{}",
        unreached.join("\n")
    );
}
