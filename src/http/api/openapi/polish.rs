//! Edits of the generated document that the annotations cannot express, or that would repeat
//! the same lines on every handler: `servers`, the closed sets as enum schemas (generated from
//! the Rust constants, so they cannot drift), the shared error responses with their headers and
//! descriptions, `Location` on 201, both PATCH media types, the multipart upload, examples
//! and the webhooks (OpenAPI 3.1 `webhooks`).

use serde_json::{Map, Value, json};

use crate::domain::identifiers::Registry;
use crate::domain::lifecycle::{Action, Status};
use crate::domain::review::{ConflictKind, Outcome};
use crate::domain::study::{
    MILESTONE_KINDS, OWNER_ROLES, PUBLICATION_KINDS, PUBLICATION_STATUSES, PaymentStatus,
};
use crate::domain::{Lang, Role};

const PROBLEM: &str = "application/problem+json";
const ID: &str = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
const TIME: &str = "2026-11-25T01:02:03.123456Z";

pub fn polish(doc: &mut Value) {
    doc["servers"] = json!([{"url": "/", "description": "This server (relative to the document)"}]);
    add_enum_components(doc);
    reference_page_items(doc);
    collapse_single_one_of(&mut doc["components"]);
    use_enums(doc);
    multipart_upload(doc);
    download_media_types(doc);
    let components = doc["components"]["schemas"].clone();
    operations(doc, &components);
    webhooks(doc);
}

/// Name, description and values of every closed set the API uses.
fn closed_sets() -> Vec<(&'static str, &'static str, Vec<String>)> {
    fn names<T: Copy>(all: &[T], f: impl Fn(T) -> &'static str) -> Vec<String> {
        all.iter().map(|v| f(*v).to_string()).collect()
    }
    fn strs(all: &[&str]) -> Vec<String> {
        all.iter().map(|v| v.to_string()).collect()
    }
    vec![
        (
            "ProposalStatus",
            "Proposal status.",
            names(Status::ALL, |s| s.as_str()),
        ),
        (
            "LifecycleAction",
            "A lifecycle action.",
            names(Action::ALL, |a| a.as_str()),
        ),
        (
            "ReviewOutcome",
            "A decision outcome or a reviewer's recommendation.",
            names(&Outcome::ALL, Outcome::as_str),
        ),
        (
            "ConflictKind",
            "Kind of a declared conflict of interest.",
            names(&ConflictKind::ALL, ConflictKind::as_str),
        ),
        (
            "CoiStatus",
            "A reviewer's declaration: not yet (`pending`), no conflict (`none`) or `conflict`.",
            strs(&["pending", "none", "conflict"]),
        ),
        (
            "Registry",
            "Trial registry.",
            names(Registry::ALL, |r| r.as_str()),
        ),
        (
            "MilestoneKind",
            "Milestone kind (`custom` needs a title).",
            strs(MILESTONE_KINDS),
        ),
        (
            "OwnerRole",
            "Who a milestone's reminders go to.",
            strs(OWNER_ROLES),
        ),
        (
            "PublicationKind",
            "Publication kind.",
            strs(PUBLICATION_KINDS),
        ),
        (
            "PublicationStatus",
            "Publication status (`published` for manuscripts, `presented` for abstracts).",
            strs(PUBLICATION_STATUSES),
        ),
        (
            "PaymentStatus",
            "Derived payment status: `scheduled` until its milestone is done, then `due`, then `paid`.",
            names(&PaymentStatus::ALL, PaymentStatus::as_str),
        ),
        (
            "Currency",
            "ISO 4217 currency code.",
            strs(crate::domain::proposal::CURRENCIES),
        ),
        (
            "DocumentType",
            "Type of an uploaded document.",
            strs(crate::workflows::msl::DOC_TYPES),
        ),
        (
            "ProposalSection",
            "A top-level field of the proposal content.",
            strs(crate::workflows::msl::SECTIONS),
        ),
        (
            "InteractionChannel",
            "How an MSL and the investigator were in contact.",
            strs(crate::workflows::msl::CHANNELS),
        ),
        (
            "OrganizationKind",
            "Organisation kind.",
            strs(&["cro", "institution"]),
        ),
        (
            "CroRole",
            "What a CRO does for a study.",
            strs(crate::workflows::cro::CRO_ROLES),
        ),
        (
            "WebhookEvent",
            "Webhook event type.",
            strs(crate::workflows::cro::WEBHOOK_EVENTS),
        ),
        (
            "EmailEvent",
            "Email event.",
            strs(crate::notify::email::EVENTS),
        ),
        (
            "DeliveryChannel",
            "Outbox channel.",
            strs(&["email", "webhook"]),
        ),
        (
            "DeliveryStatus",
            "Delivery status of a queued message.",
            strs(&["pending", "sending", "sent", "dead"]),
        ),
        (
            "ActivationGate",
            "A gate that must be recorded before `activate`.",
            strs(&["contract_signed", "ethics_approved", "registered"]),
        ),
        ("Role", "User role.", names(&Role::ALL, Role::as_str)),
        (
            "Lang",
            "Language.",
            names(&[Lang::Ja, Lang::En], Lang::as_str),
        ),
    ]
}

fn add_enum_components(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for (name, description, values) in closed_sets() {
        schemas[name] = json!({"type": "string", "description": description, "enum": values});
    }
}

/// (schema, property, enum component). A nullable property stays nullable.
const ENUM_PROPERTIES: &[(&str, &str, &str)] = &[
    ("ProposalResponse", "status", "ProposalStatus"),
    ("ProposalResponse", "allowed_actions", "LifecycleAction"),
    ("ProposalSummary", "status", "ProposalStatus"),
    ("TransitionRequest", "action", "LifecycleAction"),
    ("Problem", "allowed_actions", "LifecycleAction"),
    ("DecisionRequest", "outcome", "ReviewOutcome"),
    ("DecisionView", "outcome", "ReviewOutcome"),
    ("ReviewRequest", "recommendation", "ReviewOutcome"),
    ("ReviewView", "recommendation", "ReviewOutcome"),
    ("AssignmentResponse", "coi_kind", "ConflictKind"),
    ("AssignmentResponse", "coi_status", "CoiStatus"),
    ("CoiView", "coi_kind", "ConflictKind"),
    ("CoiView", "coi_status", "CoiStatus"),
    ("ReviewView", "coi_kind", "ConflictKind"),
    ("ReviewView", "coi_status", "CoiStatus"),
    ("ProposalContent", "registry", "Registry"),
    ("GatesBody", "registry", "Registry"),
    ("GatesResponse", "registry", "Registry"),
    ("GatesResponse", "missing", "ActivationGate"),
    ("CreateMilestoneRequest", "kind", "MilestoneKind"),
    ("CreateMilestoneRequest", "owner_role", "OwnerRole"),
    ("MilestoneResponse", "kind", "MilestoneKind"),
    ("MilestoneResponse", "owner_role", "OwnerRole"),
    ("PublicationBody", "kind", "PublicationKind"),
    ("PublicationBody", "status", "PublicationStatus"),
    ("PublicationResponse", "kind", "PublicationKind"),
    ("PublicationResponse", "status", "PublicationStatus"),
    ("PaymentResponse", "status", "PaymentStatus"),
    ("PaymentResponse", "currency", "Currency"),
    ("SchedulePaymentRequest", "currency", "Currency"),
    ("DocumentResponse", "doc_type", "DocumentType"),
    ("AdviceResponse", "section", "ProposalSection"),
    ("AdviceResponse", "author_role", "Role"),
    ("InteractionResponse", "channel", "InteractionChannel"),
    ("LogInteractionRequest", "channel", "InteractionChannel"),
    ("CreateOrganizationRequest", "kind", "OrganizationKind"),
    ("OrganizationResponse", "kind", "OrganizationKind"),
    ("AssignCroRequest", "role", "CroRole"),
    ("CroAssignmentResponse", "role", "CroRole"),
    ("DeliveryResponse", "event", "WebhookEvent"),
    ("DeliveryResponse", "status", "DeliveryStatus"),
    ("OutboxMessage", "channel", "DeliveryChannel"),
    ("OutboxMessage", "status", "DeliveryStatus"),
    ("OutboxMessage", "lang", "Lang"),
    ("MemberRef", "role", "Role"),
];

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn is_nullable(schema: &Value) -> bool {
    schema["type"]
        .as_array()
        .is_some_and(|types| types.iter().any(|t| t == "null"))
}

/// The schema of a property whose values are those of `component`.
fn enum_schema(old: &Value, component: &str) -> Value {
    let mut new = if old["type"] == "array"
        || old["type"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("array")))
    {
        let mut array = json!({"type": "array", "items": reference(component)});
        if is_nullable(old) {
            array["type"] = json!(["array", "null"]);
        }
        array
    } else if is_nullable(old) {
        json!({"oneOf": [{"type": "null"}, reference(component)]})
    } else {
        reference(component)
    };
    for key in ["description", "default", "example"] {
        if let Some(value) = old.get(key) {
            new[key] = value.clone();
        }
    }
    new
}

fn use_enums(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for (schema, property, component) in ENUM_PROPERTIES {
        let slot = &mut schemas[*schema]["properties"][*property];
        assert!(
            slot.is_object(),
            "openapi: {schema}.{property} does not exist"
        );
        *slot = enum_schema(slot, component);
    }
    // The outbox event is an email event or a webhook event.
    schemas["OutboxMessage"]["properties"]["event"] =
        json!({"anyOf": [reference("EmailEvent"), reference("WebhookEvent")]});
    // Query parameters with closed sets.
    let query_enums: &[(&str, &str, Value)] = &[
        ("/api/v1/proposals", "status", reference("ProposalStatus")),
        (
            "/api/v1/outbox",
            "status",
            json!({"type": "string", "enum": crate::http::api::outbox::STATUSES}),
        ),
        (
            "/api/v1/proposals/{id}/summary.pdf",
            "lang",
            reference("Lang"),
        ),
        (
            "/api/v1/proposals/{id}/status-report.pdf",
            "lang",
            reference("Lang"),
        ),
    ];
    for (path, name, schema) in query_enums {
        // A parameter that is gone leaves nothing to change (the document test names it).
        let parameters = doc["paths"][*path]["get"]["parameters"].as_array_mut();
        if let Some(parameter) = parameters
            .into_iter()
            .flatten()
            .find(|p| p["name"] == *name)
        {
            parameter["schema"] = schema.clone();
        }
    }
}

/// utoipa 5 inlines a generic argument; `Page_X` refers to `X` instead, so `X` is not a copy.
fn reference_page_items(doc: &mut Value) {
    let Some(schemas) = doc["components"]["schemas"].as_object_mut() else {
        return;
    };
    let pages: Vec<String> = schemas
        .keys()
        .filter(|name| name.starts_with("Page_"))
        .cloned()
        .collect();
    for page in pages {
        let item = page.trim_start_matches("Page_").to_string();
        if schemas.contains_key(&item) {
            schemas[&page]["properties"]["items"]["items"] = reference(&item);
        }
    }
}

/// `#[serde(default)]` makes utoipa wrap a field's `$ref` in a one-element `oneOf` (to hang the
/// default on it). OpenAPI 3.1 allows siblings of `$ref`, so the wrapper is dropped.
fn collapse_single_one_of(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(variants)) = map.get("oneOf")
                && variants.len() == 1
            {
                let only = variants[0].clone();
                map.remove("oneOf");
                if let Value::Object(inner) = only {
                    for (key, value) in inner {
                        map.entry(key).or_insert(value);
                    }
                }
            }
            map.values_mut().for_each(collapse_single_one_of);
        }
        Value::Array(items) => items.iter_mut().for_each(collapse_single_one_of),
        _ => {}
    }
}

fn multipart_upload(doc: &mut Value) {
    let body = &mut doc["paths"]["/api/v1/proposals/{id}/documents"]["post"]["requestBody"];
    body["description"] = json!(
        "`doc_type` and the file. The media type is sniffed from the content (PDF, DOCX, XLSX, \
         PNG or JPEG), never taken from the part's `Content-Type` or the file name."
    );
    body["content"] = json!({"multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["doc_type", "file"],
            "properties": {
                "doc_type": reference("DocumentType"),
                "file": {
                    "type": "string",
                    "format": "binary",
                    "contentMediaType": "application/octet-stream",
                    "description": "The file; its name (UTF-8 allowed) is kept for the download."
                }
            }
        },
        "encoding": {"file": {"contentType": "application/pdf, application/vnd.openxmlformats-officedocument.wordprocessingml.document, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, image/png, image/jpeg, application/octet-stream"}},
        "example": {"doc_type": "protocol", "file": "研究計画書_v2.pdf"}
    }});
}

/// A download is sent with the media type sniffed at upload: one of the accepted types.
fn download_media_types(doc: &mut Value) {
    let response = &mut doc["paths"]["/api/v1/proposals/{id}/documents/{document_id}"]["get"]["responses"]
        ["200"];
    let binary =
        json!({"schema": {"type": "string", "contentMediaType": "application/octet-stream"}});
    let mut content = Map::new();
    for media_type in [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "image/png",
        "image/jpeg",
    ] {
        content.insert(media_type.into(), binary.clone());
    }
    response["content"] = Value::Object(content);
    response["description"] = json!(
        "The file byte for byte, with the media type sniffed at upload, `ETag` = its SHA-256 and \
         `Content-Disposition: attachment`"
    );
}

fn problem_example(status: u16, slug: &str, title: &str, detail: &str) -> Value {
    let mut problem = json!({"type": format!("/problems/{slug}"), "title": title, "status": status, "detail": detail});
    if status == 422 {
        problem["errors"] = json!([{"field": "principal_investigator.orcid", "code": "check_digit", "detail": "has a wrong check digit"}]);
    }
    if slug == "invalid-transition" {
        problem["allowed_actions"] = json!(["start_review", "withdraw"]);
    }
    problem
}

/// Description and example of each error status.
fn error_response(status: &str) -> (&'static str, Value) {
    match status {
        "400" => (
            "Malformed JSON or an unreadable body (`/problems/bad-request`)",
            problem_example(
                400,
                "bad-request",
                "Bad request",
                "malformed JSON: EOF while parsing an object at line 1 column 1",
            ),
        ),
        "401" => (
            "No valid bearer token: missing, unknown, expired or revoked, or the user is inactive (`/problems/unauthenticated`); sent with `WWW-Authenticate: Bearer realm=\"liaison\"`",
            problem_example(
                401,
                "unauthenticated",
                "Authentication required",
                "authentication required",
            ),
        ),
        "403" => (
            "The caller may see the object but not do this (`/problems/forbidden`), or a compliance rule refused it (`/problems/guardrail`, audited)",
            problem_example(403, "forbidden", "Forbidden", "forbidden: admins only"),
        ),
        "404" => (
            "No such object, or one the caller may not see (the two are not distinguished)",
            problem_example(404, "not-found", "Not found", "not found"),
        ),
        "409" => (
            "The current state does not allow it (`/problems/conflict`, `/problems/invalid-transition` with `allowed_actions`, or `/problems/guardrail`)",
            problem_example(
                409,
                "invalid-transition",
                "Invalid transition",
                "approve is not possible from submitted",
            ),
        ),
        "412" => (
            "`If-Match` is stale or not one of our ETags (`/problems/precondition-failed`)",
            problem_example(
                412,
                "precondition-failed",
                "Precondition failed",
                "precondition failed: the resource has changed",
            ),
        ),
        "413" => (
            "The body is over the size limit (`/problems/payload-too-large`)",
            problem_example(
                413,
                "payload-too-large",
                "Payload too large",
                "payload too large",
            ),
        ),
        "415" => (
            "Wrong or missing `Content-Type`, or an uploaded file of a type that is not accepted (`/problems/unsupported-media-type`)",
            problem_example(
                415,
                "unsupported-media-type",
                "Unsupported media type",
                "unsupported media type: send application/json",
            ),
        ),
        "422" => (
            "Invalid fields or query parameters; `errors` lists every one (`/problems/validation-error`)",
            problem_example(
                422,
                "validation-error",
                "Validation failed",
                "1 field(s) are missing or invalid.",
            ),
        ),
        "428" => (
            "`If-Match` is missing (`/problems/precondition-required`)",
            problem_example(
                428,
                "precondition-required",
                "Precondition required",
                "precondition required: send If-Match with the current ETag",
            ),
        ),
        "429" => (
            "The token's or API key's request rate is exceeded (`/problems/too-many-requests`); retry after `Retry-After` seconds",
            problem_example(
                429,
                "too-many-requests",
                "Too many requests",
                "too many requests",
            ),
        ),
        "503" => (
            "The database is unreachable or the pool is exhausted (`/problems/unavailable`)",
            problem_example(
                503,
                "unavailable",
                "Service unavailable",
                "service unavailable: database pool timed out",
            ),
        ),
        _ => ("Error (RFC 9457 problem details)", Value::Null),
    }
}

fn header(description: &str, example: &str) -> Value {
    json!({"description": description, "schema": {"type": "string"}, "example": example})
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

fn operations(doc: &mut Value, components: &Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            operation_(path, method, operation, components);
        }
    }
}

fn operation_(path: &str, method: &str, op: &mut Map<String, Value>, components: &Value) {
    split_summary(op);
    let secured = op
        .get("security")
        .is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty()));
    if !secured {
        op.insert("security".into(), json!([]));
    }
    let if_match = op
        .get("parameters")
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter()
                .find(|p| p["name"] == "If-Match" && p["in"] == "header")
        })
        .map(|p| p["required"] == true);
    let summary = op
        .get("summary")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let Some(responses) = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut()
    else {
        return;
    };
    if secured {
        responses.entry("401").or_insert_with(|| json!({}));
        responses.entry("429").or_insert_with(|| json!({}));
    }
    match if_match {
        Some(true) => {
            responses.entry("412").or_insert_with(|| json!({}));
            responses.entry("428").or_insert_with(|| json!({}));
        }
        Some(false) => {
            responses.entry("412").or_insert_with(|| json!({}));
        }
        None => {}
    }
    for (status, response) in responses.iter_mut() {
        if status.starts_with('4') || status.starts_with('5') {
            let (description, example) = error_response(status);
            if response["description"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
            {
                response["description"] = json!(description);
            }
            let mut media = json!({"schema": reference("Problem")});
            if !example.is_null() {
                media["example"] = example;
            }
            response["content"] = json!({ PROBLEM: media });
            if status == "429" {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before the next request",
                    "schema": {"type": "integer", "minimum": 0}, "example": 12}});
            }
            if status == "401" {
                response["headers"] = json!({"WWW-Authenticate": header("The authentication scheme", "Bearer realm=\"liaison\"")});
            }
        } else {
            if response["description"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
            {
                response["description"] = json!(success_description(status, &summary));
            }
            if status == "201" {
                let (description, example) = location(path);
                if !response["headers"].is_object() {
                    response["headers"] = json!({});
                }
                response["headers"]["Location"] = header(description, &example);
            }
            if let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) {
                for (media_type, media) in content.iter_mut() {
                    if let Some(example) = response_example(path, media_type, media, components) {
                        media["example"] = example;
                    }
                }
            }
        }
    }
    let mut sorted: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    responses.extend(sorted);

    if let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
    {
        if method == "patch"
            && let Some(media) = content
                .get("application/merge-patch+json")
                .or_else(|| content.get("application/json"))
                .cloned()
        {
            content.insert("application/json".into(), media.clone());
            content.insert("application/merge-patch+json".into(), media);
        }
        for (media_type, media) in content.iter_mut() {
            if media_type.contains("json") && media.get("example").is_none() {
                media["example"] = request_example(path, method)
                    .unwrap_or_else(|| example(&media["schema"], components, "", 0));
            }
        }
    }
}

/// The `Location` of a 201 on `path` (the handlers set it; tests/api/cro.rs checks them).
fn location(path: &str) -> (&'static str, String) {
    let concrete = path.replace("{id}", ID);
    match path {
        "/api/v1/me/calendar" => (
            "The secret iCalendar feed (a path; `url` in the body is absolute)",
            "/ical/Zk3r9Qx2LmN8vB4tYw6Hc1Jd5Fs7Ga0P.ics".into(),
        ),
        "/api/v1/proposals/{id}/decision" => ("The proposal's decision", concrete),
        "/api/v1/proposals/{id}/documents" => (
            "Download URL of the stored version",
            format!("{concrete}/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"),
        ),
        "/api/v1/proposals"
        | "/api/v1/users"
        | "/api/v1/committees"
        | "/api/v1/organizations"
        | "/api/v1/organizations/{id}/api-keys"
        | "/api/v1/proposals/{id}/milestones"
        | "/api/v1/proposals/{id}/cro" => (
            "URL of the created resource",
            format!("{concrete}/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"),
        ),
        _ => (
            "The list the new item appears in (the item has no URL of its own)",
            concrete,
        ),
    }
}

/// Request examples where the one built from the schema would not be a sensible request.
fn request_example(path: &str, method: &str) -> Option<Value> {
    Some(match (method, path) {
        ("patch", "/api/v1/proposals/{id}") => json!({
            "principal_investigator": {"orcid": "https://orcid.org/0000-0002-1825-0097"},
            "notes": null
        }),
        ("post", "/api/v1/proposals/{id}/transitions") => {
            json!({"action": "withdraw", "reason": "共同研究施設の体制変更のため"})
        }
        ("put", "/api/v1/proposals/{id}/reviews/mine") => json!({
            "scores": {"scientific_merit": 4, "feasibility": 4, "alignment": 5, "budget": 3, "publication_plan": 4},
            "recommendation": "approve_with_conditions",
            "comments_to_investigator": "目標症例数の算出根拠を明記してください。",
            "confidential_comments": "",
            "complete": true
        }),
        ("post", "/api/v1/proposals/{id}/decision") => json!({
            "outcome": "approve_with_conditions",
            "rationale": "科学的に妥当",
            "conditions": ["jRCT に登録すること"]
        }),
        ("post", "/api/v1/proposals/{id}/milestones") => json!({
            "kind": "first_patient_in", "title": "", "due_on": "2027-05-01", "owner_role": "cro", "note": ""
        }),
        ("patch", "/api/v1/proposals/{id}/milestones/{milestone_id}") => {
            json!({"completed_on": "2027-04-15"})
        }
        ("post", "/api/v1/proposals/{id}/enrollment") => {
            json!({"as_of": "2027-06-01", "count": 18})
        }
        ("post", "/api/v1/organizations") => {
            json!({"name": "東京臨床研究サポート株式会社", "kind": "cro"})
        }
        ("post", "/api/v1/organizations/{id}/api-keys") => {
            json!({"name": "EDC integration", "expires_in_days": 365})
        }
        ("post", "/api/v1/proposals/{id}/cro") => {
            json!({"organization_id": ID, "role": "monitoring"})
        }
        ("post", "/api/v1/proposals/{id}/payments") => {
            json!({"amount": 5000000, "currency": "JPY", "milestone_id": ID})
        }
        ("post", "/api/v1/committees") => json!({
            "name": "臨床研究審査委員会",
            "quorum": 2,
            "members": [
                {"user_id": ID, "role": "chair"},
                {"user_id": "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c", "role": "reviewer"}
            ]
        }),
        ("patch", "/api/v1/committees/{id}") => json!({"quorum": 3}),
        ("patch", "/api/v1/users/{id}") => json!({"lang": "en"}),
        ("post", "/api/v1/proposals/{id}/advice") => json!({
            "body": "主要評価項目の設定根拠を追記してはいかがでしょうか。",
            "section": "primary_endpoint"
        }),
        ("post", "/api/v1/proposals/{id}/publications") => json!({
            "kind": "manuscript",
            "title": "日本人2型糖尿病患者におけるLIA-101の腎保護効果：多施設共同無作為化比較試験",
            "venue": "Diabetes Care",
            "status": "submitted",
            "submitted_on": "2029-09-01"
        }),
        ("post", "/api/v1/proposals/{id}/interactions") => json!({
            "occurred_on": "2026-11-20", "channel": "meeting", "summary": "研究デザインについて面談"
        }),
        _ => return None,
    })
}

/// utoipa puts a one-paragraph doc comment in `summary`; keep its first sentence there and the
/// whole text in `description`.
fn split_summary(op: &mut Map<String, Value>) {
    let Some(summary) = op
        .get("summary")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let text = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    let first = match text.find(". ") {
        Some(end) => text[..=end].trim().to_string(),
        None => text.clone(),
    };
    if first != text {
        op.entry("description").or_insert_with(|| json!(text));
    }
    op.insert("summary".into(), json!(first));
}

fn success_description(status: &str, summary: &str) -> String {
    let what = summary.trim_end_matches('.');
    match status {
        "201" => format!("Created. {what}"),
        "202" => format!("Accepted. {what}"),
        "204" => format!("Done. {what}"),
        _ => format!("OK. {what}"),
    }
}

fn response_example(
    path: &str,
    media_type: &str,
    media: &Value,
    components: &Value,
) -> Option<Value> {
    match media_type {
        "application/json" if media.get("schema").is_some() => {
            if path == "/openapi.json" {
                return None;
            }
            Some(example(&media["schema"], components, "", 0))
        }
        "application/json" if path == "/openapi.json" => Some(
            json!({"openapi": "3.1.0", "info": {"title": "Liaison API", "version": "1.0.0"}, "paths": {}}),
        ),
        "text/plain" => Some(json!(match path {
            "/healthz" => "ok",
            "/readyz" => "ready",
            _ =>
                "# HELP liaison_db_pool_connections Open database connections.\n# TYPE liaison_db_pool_connections gauge\nliaison_db_pool_connections 4\n",
        })),
        "text/csv" => Some(json!(if path.ends_with("disclosure.csv") {
            "\u{feff}registry_id,institution,investigator,contract_signed_on,total_paid_jpy\r\njRCT2031210123,東都大学病院,山田 太郎,2027-03-01,5000000\r\n"
        } else {
            "\u{feff}reference,title,status,milestone,due_on,completed_on,days_overdue\r\nIIS-2026-0042,日本人2型糖尿病患者におけるLIA-101の腎保護効果,active,first_patient_in,2027-05-01,,3\r\n"
        })),
        _ => None,
    }
}

/// The proposal content of docs/API.md.
fn proposal_content() -> Value {
    json!({
        "title": "日本人2型糖尿病患者におけるLIA-101の腎保護効果を検討する多施設共同無作為化比較試験",
        "acronym": "LIA-KIDNEY",
        "therapeutic_area": "糖尿病・腎臓",
        "product": "LIA-101",
        "study_type": "interventional",
        "phase": "IV",
        "background": "日本人2型糖尿病患者において、GLP-1受容体作動薬の腎保護効果に関するエビデンスは限られている。",
        "objectives": "LIA-101 投与による eGFR 低下の抑制効果を評価する。",
        "hypothesis": "LIA-101 は標準治療と比較して52週時点のeGFR低下を抑制する。",
        "design": "多施設共同、非盲検、無作為化並行群間比較試験。",
        "primary_endpoint": "投与開始から52週時点までのeGFR変化量",
        "secondary_endpoints": ["HbA1c 変化量", "尿中アルブミン/クレアチニン比"],
        "planned_sample_size": 120,
        "planned_sites": 8,
        "planned_start": "2027-04-01",
        "planned_end": "2029-03-31",
        "principal_investigator": {"name": "山田 太郎", "institution": "東都大学病院",
            "department": "腎臓・内分泌内科", "email": "yamada@example.jp", "orcid": "0000-0002-1825-0097"},
        "co_investigators": [{"name": "佐藤 花子", "institution": "東都大学病院", "orcid": ""}],
        "requested_support": {"funding_amount": 15000000, "currency": "JPY",
            "drug_supply": {"product": "LIA-101", "quantity": 500, "unit": "箱"}, "other": ""},
        "budget_items": [{"label": "データ管理", "amount": 5000000}, {"label": "モニタリング", "amount": 10000000}],
        "ethics_committee": "東都大学臨床研究審査委員会",
        "registry": "jrct",
        "independence": {"investigator_holds_data": true, "right_to_publish": true},
        "conflict_of_interest": {"has_coi": false, "text": ""},
        "publication_plan": "日本糖尿病学会年次学術集会で発表し、英文誌に投稿する。",
        "resubmission_of": "",
        "notes": ""
    })
}

/// Examples of schemas whose fields depend on each other: one built from the property names
/// alone would contradict itself (e.g. a completed milestone that is overdue).
fn component_example(component: &str) -> Option<Value> {
    Some(match component {
        "MilestoneResponse" => json!({
            "id": ID, "kind": "first_patient_in", "title": "", "due_on": "2027-05-01",
            "completed_on": null, "owner_role": "cro", "note": "", "overdue": true,
            "days_overdue": 3, "version": 1
        }),
        "GatesResponse" => json!({
            "contract_signed_on": "2027-03-01", "ethics_committee": "東都大学臨床研究審査委員会",
            "ethics_approved_on": "2027-03-15", "ethics_approval_number": "CRB-2027-015",
            "registry": null, "registry_id": null, "missing": ["registered"]
        }),
        "OutboxMessage" => json!({
            "id": ID, "channel": "email", "event": "decision", "recipient": "yamada@example.jp",
            "lang": "ja", "status": "dead", "attempts": 8, "next_attempt_at": TIME,
            "last_error": "SMTP 550 mailbox unavailable", "created_at": TIME, "sent_at": null
        }),
        "PaymentResponse" => json!({
            "id": ID, "amount": 5000000, "currency": "JPY", "milestone_id": ID,
            "status": "due", "paid_on": null, "created_at": TIME
        }),
        "DeliveryResponse" => json!({
            "id": ID, "event": "proposal.status_changed", "status": "sent", "attempts": 1,
            "last_error": null, "created_at": TIME, "sent_at": TIME
        }),
        _ => return None,
    })
}

/// Example text by property name (Japanese where the data is Japanese).
fn text_for(name: &str) -> Value {
    let text = match name {
        "id" | "actor_id" | "assignment_id" | "author_id" | "committee_id" | "decided_by"
        | "milestone_id" | "msl_id" | "organization_id" | "parent_id" | "proposal_id"
        | "reviewer_id" | "uploaded_by" | "user_id" | "webhook_id" => ID,
        "title" => "日本人2型糖尿病患者におけるLIA-101の腎保護効果",
        "acronym" => "LIA-KIDNEY",
        "product" => "LIA-101",
        "therapeutic_area" => "糖尿病・腎臓",
        "reference" => "IIS-2026-0042",
        "display_name" | "author_name" | "msl_name" | "reviewer_name" | "investigator" => {
            "山田 太郎"
        }
        "name" => "東京臨床研究サポート株式会社",
        "email" | "recipient" => "yamada@example.jp",
        "institution" => "東都大学病院",
        "department" => "腎臓・内分泌内科",
        "orcid" => "0000-0002-1825-0097",
        "body" => "主要評価項目の設定根拠を追記してはいかがでしょうか。",
        "summary" => "プロトコル案について施設訪問で意見交換した。",
        "rationale" => "科学的に妥当であり、症例数の根拠が示されている。",
        "reason" => "共同研究施設の体制変更のため",
        "quorum_override_reason" => "審査委員1名が長期不在のため",
        "conditions" => "jRCT に登録すること",
        "comments" | "comments_to_investigator" => "目標症例数の算出根拠を明記してください。",
        "confidential_comments" => "予算規模は妥当。",
        "note" | "notes" => "契約締結後に更新",
        "label" => "データ管理",
        "unit" => "箱",
        "venue" => "Diabetes Care",
        "congress_name" => "日本糖尿病学会年次学術集会",
        "city" => "東京",
        "ethics_committee" => "東都大学臨床研究審査委員会",
        "ethics_approval_number" => "CRB-2027-015",
        "registry_id" => "jRCT2031210123",
        "doi" => "10.1000/xyz123",
        "pmid" => "31415926",
        "phase" => "IV",
        "file_name" => "研究計画書_v2.pdf",
        "media_type" => "application/pdf",
        "sha256" | "hash" => "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "download_url" => {
            "/api/v1/proposals/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/documents/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
        }
        "url" => "https://edc.example.com/hooks/liaison",
        "secret" => "whsec_3f9c2e1a7b8d4c6e",
        "key" => "lia_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f",
        "prefix" => "lia_9a8b",
        "next_cursor" | "cursor" => "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "action" => "proposal.submit",
        "actor_role" => "investigator",
        "field" => "principal_investigator.orcid",
        "code" => "check_digit",
        "detail" => "has a wrong check digit",
        "last_error" => "HTTP 503 Service Unavailable",
        "secondary_endpoints" => "HbA1c 変化量",
        "text" | "other" | "resubmission_of" => "",
        "conflict" => "financial",
        _ => "例",
    };
    json!(text)
}

fn number_for(name: &str, schema: &Value) -> Value {
    let n: i64 = match name {
        "amount" | "funding_amount" => 5_000_000,
        "planned_sample_size" | "planned" => 120,
        "count" | "enrolled" => 18,
        "percent" => 15,
        "planned_sites" => 8,
        "quantity" => 500,
        "size_bytes" => 482_113,
        "expires_in_days" => 365,
        "days_overdue" => 3,
        "quorum" | "assigned" | "completed" => 3,
        "weight" => 2,
        "scores" | "score" => 4,
        "fiscal_year" => 2026,
        "seq" => 42,
        "status" => 200,
        _ => 1,
    };
    let n = schema["minimum"].as_i64().map_or(n, |min| n.max(min));
    let n = schema["maximum"].as_i64().map_or(n, |max| n.min(max));
    if schema_type(schema) == Some("number") {
        json!(if name == "weighted_score" {
            4.2
        } else {
            n as f64
        })
    } else {
        json!(n)
    }
}

fn schema_type(schema: &Value) -> Option<&str> {
    match &schema["type"] {
        Value::String(t) => Some(t.as_str()),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ => None,
    }
}

/// An example value that satisfies `schema`, built from the property names.
pub fn example(schema: &Value, components: &Value, name: &str, depth: usize) -> Value {
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(target) = schema["$ref"].as_str() {
        let component = target.trim_start_matches("#/components/schemas/");
        if component == "ProposalContent" {
            return proposal_content();
        }
        if let Some(example) = component_example(component) {
            return example;
        }
        if depth > 6 {
            return Value::Null;
        }
        return example(&components[component], components, name, depth + 1);
    }
    if let Some(values) = schema["enum"].as_array() {
        return values.first().cloned().unwrap_or(Value::Null);
    }
    // All parts of an allOf hold at once (a flattened struct): merge their examples.
    if let Some(parts) = schema["allOf"].as_array().filter(|p| p.len() > 1) {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = example(part, components, name, depth) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(variants) = schema[key].as_array() {
            let chosen = variants.iter().find(|v| v["type"] != "null");
            return chosen.map_or(Value::Null, |v| example(v, components, name, depth));
        }
    }
    match schema_type(schema) {
        Some("object") => {
            let mut object = Map::new();
            if let Some(properties) = schema["properties"].as_object() {
                for (property, sub) in properties {
                    object.insert(property.clone(), example(sub, components, property, depth));
                }
            } else if let Some(values) =
                schema.get("additionalProperties").filter(|v| v.is_object())
            {
                for criterion in ["scientific_merit", "feasibility", "alignment"] {
                    object.insert(criterion.into(), example(values, components, name, depth));
                }
            }
            Value::Object(object)
        }
        Some("array") => json!([example(&schema["items"], components, name, depth)]),
        Some("string") => match schema["format"].as_str() {
            Some("date") => json!(match name {
                "planned_end" => "2029-03-31",
                "due_on" => "2027-05-01",
                "as_of" => "2027-06-01",
                _ => "2027-04-01",
            }),
            Some("date-time") => json!(TIME),
            _ => text_for(name),
        },
        Some("integer") | Some("number") => number_for(name, schema),
        Some("boolean") => json!(!matches!(name, "has_coi" | "overdue")),
        _ => Value::Null,
    }
}

/// The events a CRO's webhook endpoint receives (`workflows::cro`, signed in `notify::worker`).
fn webhooks(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    let event = |name: &str, data: Value, example_data: Value| {
        json!({
            "type": "object",
            "description": format!("The `{name}` event."),
            "required": ["id", "type", "created_at", "data"],
            "properties": {
                "id": {"type": "string", "description": "Event id (a new one per event; the `Liaison-Delivery` header identifies the delivery)"},
                "type": {"type": "string", "const": name},
                "created_at": {"type": "string", "format": "date-time"},
                "data": data,
            },
            "example": {"id": ID, "type": name, "created_at": "2027-04-01T00:00:00Z", "data": example_data}
        })
    };
    let milestone = json!({
        "type": "object",
        "required": ["proposal_id", "milestone_id", "kind", "title", "due_on", "completed_on"],
        "properties": {
            "proposal_id": {"type": "string"},
            "milestone_id": {"type": "string"},
            "kind": reference("MilestoneKind"),
            "title": {"type": "string"},
            "due_on": {"type": ["string", "null"], "format": "date"},
            "completed_on": {"type": ["string", "null"], "format": "date"},
        }
    });
    let milestone_example = json!({"proposal_id": ID, "milestone_id": ID, "kind": "first_patient_in", "title": "", "due_on": "2027-05-01", "completed_on": null});
    let definitions = [
        (
            "proposal.status_changed",
            "WebhookProposalStatusChanged",
            "A study assigned to the organisation changed status",
            event(
                "proposal.status_changed",
                json!({
                    "type": "object",
                    "required": ["proposal_id", "reference", "from", "to", "action"],
                    "properties": {
                        "proposal_id": {"type": "string"},
                        "reference": {"type": ["string", "null"], "description": "`IIS-YYYY-NNNN`"},
                        "from": reference("ProposalStatus"),
                        "to": reference("ProposalStatus"),
                        "action": reference("LifecycleAction"),
                    }
                }),
                json!({"proposal_id": ID, "reference": "IIS-2026-0042", "from": "approved", "to": "active", "action": "activate"}),
            ),
        ),
        (
            "milestone.created",
            "WebhookMilestoneCreated",
            "A milestone was added to an assigned study",
            event(
                "milestone.created",
                milestone.clone(),
                milestone_example.clone(),
            ),
        ),
        (
            "milestone.updated",
            "WebhookMilestoneUpdated",
            "A milestone of an assigned study changed (dates, completion or note)",
            event("milestone.updated", milestone, {
                let mut example = milestone_example;
                example["completed_on"] = json!("2027-04-28");
                example
            }),
        ),
        (
            "ping",
            "WebhookPing",
            "A test event (`POST …/webhooks/{webhook_id}/ping`)",
            event(
                "ping",
                json!({"type": "object", "required": ["webhook_id"], "properties": {"webhook_id": {"type": "string"}}}),
                json!({"webhook_id": ID}),
            ),
        ),
    ];
    let mut hooks = Map::new();
    for (name, schema_name, summary, schema) in definitions {
        let example = schema["example"].clone();
        schemas[schema_name] = schema;
        hooks.insert(name.to_string(), json!({"post": {
            "tags": ["cro"],
            "summary": summary,
            "description": "Liaison POSTs the event as JSON to every active endpoint of the organisations assigned to the study. Verify `Liaison-Signature` over the raw body and refuse old timestamps. Delivery is at least once: drop a repeated `Liaison-Delivery`.",
            "operationId": format!("webhook_{}", name.replace('.', "_")),
            "security": [],
            "parameters": [
                {"name": "Liaison-Event", "in": "header", "required": true, "description": "The event type", "schema": reference("WebhookEvent"), "example": name},
                {"name": "Liaison-Delivery", "in": "header", "required": true, "description": "Stable per delivery across retries: use it to drop duplicates", "schema": {"type": "string"}, "example": ID},
                {"name": "Liaison-Signature", "in": "header", "required": true,
                 "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.<raw body>\")>` (the scheme Stripe uses)",
                 "schema": {"type": "string", "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$"},
                 "example": "t=1775001600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"},
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": reference(schema_name), "example": example}}},
            "responses": {
                "2XX": {"description": "Accepted: the delivery is marked sent"},
                "4XX": {"description": "Refused: any answer other than 2xx (or no answer within 10 s) is retried with exponential backoff up to `LIAISON_OUTBOX_MAX_ATTEMPTS`, then the delivery is dead"},
            }
        }}));
    }
    doc["webhooks"] = Value::Object(hooks);
}
