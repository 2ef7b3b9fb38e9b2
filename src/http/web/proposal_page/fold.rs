//! Which sections of the proposal page are open on arrival (they fold without JavaScript):
//! what matters to this reader at this status, and always the section whose form failed, so
//! its error summary is shown and takes the focus.

use serde_json::{Map, Value};

use crate::domain::Role;
use crate::domain::lifecycle::Status;

/// The proposal's own content, in page order.
const CONTENT: [&str; 8] = [
    "overview",
    "design",
    "plan",
    "investigators",
    "support",
    "ethics",
    "independence",
    "other",
];

/// Every section that folds.
const ALL: [&str; 19] = [
    "gates",
    "cro",
    "milestones",
    "enrollment",
    "publications",
    "payments",
    "overview",
    "design",
    "plan",
    "investigators",
    "support",
    "ethics",
    "independence",
    "other",
    "documents",
    "msl",
    "advice",
    "interactions",
    "history",
];

/// The sections open for a reader of `role` at `status`, plus `failed` (the section of a
/// form that failed, if any).
pub fn open_sections(role: Role, status: Status, failed: Option<&str>) -> Vec<&'static str> {
    // Once the study is tracked, its records are the work and the protocol is reference.
    let study = matches!(
        status,
        Status::Approved | Status::Active | Status::Completed | Status::Closed | Status::Terminated
    );
    let mut open: Vec<&'static str> = Vec::new();
    if !study {
        open.extend(CONTENT);
    }
    open.extend([
        "milestones",
        "enrollment",
        "publications",
        "documents",
        "advice",
    ]);
    if status == Status::Approved {
        open.push("gates");
    }
    match role {
        Role::Admin => open.extend(["msl", "cro", "payments"]),
        Role::Investigator if status == Status::Draft => open.push("msl"),
        Role::Msl => open.push("interactions"),
        _ => {}
    }
    if let Some(section) = failed.and_then(|f| ALL.iter().find(|s| **s == f)) {
        open.push(section);
    }
    open.sort_unstable();
    open.dedup();
    open
}

/// The section holding the failed form named in the page's context, if any.
pub fn failed_section(context: &Map<String, Value>) -> Option<&'static str> {
    let present = |key: &str| context.get(key).is_some_and(|v| !v.is_null());
    if let Some(name) = context.get("study_form_name").and_then(Value::as_str) {
        return match name {
            "gates" => Some("gates"),
            "milestone" | "complete" => Some("milestones"),
            "enrollment" => Some("enrollment"),
            "publication" => Some("publications"),
            "payment" | "paid" => Some("payments"),
            _ => None,
        };
    }
    [
        ("cro_errors", "cro"),
        ("document_errors", "documents"),
        ("advice_errors", "advice"),
        ("interaction_errors", "interactions"),
    ]
    .into_iter()
    .find(|(key, _)| present(key))
    .map(|(_, section)| section)
}

/// The template's `fold` map: section → open.
pub fn fold_map(open: &[&str]) -> Value {
    Value::Object(
        ALL.iter()
            .map(|s| (s.to_string(), Value::Bool(open.contains(s))))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_protocol_is_open_before_approval_and_folded_once_the_study_runs() {
        let draft = open_sections(Role::Investigator, Status::Draft, None);
        assert!(CONTENT.iter().all(|s| draft.contains(s)));
        assert!(
            draft.contains(&"msl"),
            "the investigator asks for advice there"
        );
        let active = open_sections(Role::Investigator, Status::Active, None);
        assert!(!active.contains(&"overview"));
        assert!(active.contains(&"milestones"));
        assert!(!active.contains(&"gates"), "recorded before activation");
        assert!(open_sections(Role::Admin, Status::Approved, None).contains(&"gates"));
        assert!(!draft.contains(&"history"));
    }

    #[test]
    fn the_section_of_a_failed_form_is_always_open() {
        let map = |v: Value| v.as_object().cloned().unwrap_or_default();
        let failed = failed_section(&map(json!({"interaction_errors": {"summary": "x"}})));
        assert_eq!(failed, Some("interactions"));
        assert!(open_sections(Role::Admin, Status::Submitted, failed).contains(&"interactions"));
        let failed = failed_section(&map(json!({"study_form_name": "paid", "study_errors": {}})));
        assert_eq!(failed, Some("payments"));
        let failed = failed_section(&map(json!({"study_form_name": "gates"})));
        assert!(open_sections(Role::Admin, Status::Active, failed).contains(&"gates"));
        assert_eq!(failed_section(&map(json!({"document_errors": null}))), None);
        assert_eq!(
            open_sections(Role::Reviewer, Status::Active, Some("nonsense")),
            open_sections(Role::Reviewer, Status::Active, None)
        );
    }

    #[test]
    fn the_map_names_every_folding_section() {
        let m = fold_map(&["advice"]);
        assert_eq!(m["advice"], json!(true));
        assert_eq!(m["history"], json!(false));
        assert_eq!(m.as_object().map(|o| o.len()), Some(ALL.len()));
    }
}
