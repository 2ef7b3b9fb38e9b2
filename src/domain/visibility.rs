//! Who sees which field, as data: a table of audiences × field groups, and the audit trail
//! projected through it. The stored audit chain never changes; each audience reads a
//! projection of it. docs/COMPLIANCE.md prints the table.

use serde_json::Value;

/// The reader of an output, from their relation to the proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Admin,
    /// The chair of the proposal's committee, and reviewers cleared of conflicts.
    Committee,
    /// The proposal's owner.
    Investigator,
    /// An MSL assigned to the proposal.
    Msl,
    /// A partner CRO assigned to the study.
    Cro,
}

impl Audience {
    pub const ALL: [Audience; 5] = [
        Audience::Admin,
        Audience::Committee,
        Audience::Investigator,
        Audience::Msl,
        Audience::Cro,
    ];

    fn column(self) -> usize {
        match self {
            Audience::Admin => 0,
            Audience::Committee => 1,
            Audience::Investigator => 2,
            Audience::Msl => 3,
            Audience::Cro => 4,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Admin => "admin",
            Audience::Committee => "committee",
            Audience::Investigator => "investigator",
            Audience::Msl => "msl",
            Audience::Cro => "cro",
        }
    }
}

/// Fields that travel together in every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldGroup {
    /// The protocol: title, design, endpoints, investigators, dates.
    Protocol,
    /// Budget lines, funding amount, drug supply and other requested support.
    Budget,
    /// The investigator's notes to the company.
    InternalNotes,
    /// The investigator's conflict-of-interest text.
    CoiText,
    /// Status changes (submitted, under review, approved…) with their reasons.
    Status,
    /// Which MSLs are assigned.
    MslAssignment,
    /// The advice thread between MSLs and the investigator.
    Advice,
    /// The MSLs' interaction log.
    Interactions,
    /// Uploaded documents other than budget documents.
    Documents,
    /// The committee chosen, reviewer assignments and conflict-of-interest declarations.
    ReviewProcess,
    Scores,
    ConfidentialComments,
    CommentsToInvestigator,
    /// Who reviewed, and who acted for the committee (the chair who decided).
    ReviewerIdentities,
    /// Outcome, rationale and conditions of a decision.
    DecisionOutcome,
    /// The quorum override reason and who decided.
    DecisionInternals,
    /// Gates, milestones, enrollment and publications.
    StudyTracking,
    /// Which CRO works on the study, in which role.
    CroAssignment,
    /// Payments and their amounts.
    Payments,
    /// MSL field insights, listening priorities and the insight report: internal to medical
    /// affairs. The committee (chairs included) decides on scientific merit and never sees
    /// what the field said; investigators and CROs are outside the company.
    Insights,
}

use FieldGroup as G;

const Y: bool = true;
const N: bool = false;

/// The table: for each group, whether admin, committee, investigator, MSL and CRO see it.
pub const VISIBILITY: &[(FieldGroup, [bool; 5])] = &[
    //                          admin committee investigator msl cro
    (G::Protocol, [Y, Y, Y, Y, Y]),
    (G::Budget, [Y, Y, Y, Y, N]),
    (G::InternalNotes, [Y, Y, Y, Y, N]),
    (G::CoiText, [Y, Y, Y, Y, N]),
    (G::Status, [Y, Y, Y, Y, Y]),
    (G::MslAssignment, [Y, Y, Y, Y, N]),
    (G::Advice, [Y, N, Y, Y, N]),
    (G::Interactions, [Y, N, N, Y, N]),
    (G::Documents, [Y, Y, Y, Y, Y]),
    (G::ReviewProcess, [Y, Y, N, N, N]),
    (G::Scores, [Y, Y, N, N, N]),
    (G::ConfidentialComments, [Y, Y, N, N, N]),
    (G::CommentsToInvestigator, [Y, Y, Y, N, N]),
    (G::ReviewerIdentities, [Y, Y, N, N, N]),
    (G::DecisionOutcome, [Y, Y, Y, Y, Y]),
    (G::DecisionInternals, [Y, Y, N, N, N]),
    (G::StudyTracking, [Y, Y, Y, Y, Y]),
    (G::CroAssignment, [Y, N, Y, N, Y]),
    (G::Payments, [Y, N, N, N, N]),
    (G::Insights, [Y, N, N, Y, N]),
];

/// Whether `audience` sees `group`. A group missing from the table is seen by nobody.
pub fn sees(audience: Audience, group: FieldGroup) -> bool {
    VISIBILITY
        .iter()
        .find(|(g, _)| *g == group)
        .is_some_and(|(_, row)| row[audience.column()])
}

/// The group an audit action's record belongs to; an unknown action is treated as the most
/// restricted kind (seen by admins only).
pub fn audit_action_group(action: &str) -> FieldGroup {
    match action {
        "proposal.create" | "proposal.update" => G::Protocol,
        "msl.assign" | "msl.unassign" => G::MslAssignment,
        "advice.post" => G::Advice,
        "interaction.log" => G::Interactions,
        "document.upload" => G::Documents,
        "review.committee_chosen" | "review.assign" | "review.coi_declared" => G::ReviewProcess,
        "review.save" | "review.complete" => G::Scores,
        "review.decision" => G::DecisionOutcome,
        "study.gates" | "milestone.create" | "milestone.update" | "publication.create"
        | "enrollment.update" | "enrollment.correct" => G::StudyTracking,
        "cro.assign" | "cro.unassign" => G::CroAssignment,
        "payment.schedule" | "payment.paid" => G::Payments,
        insight
            if insight.starts_with("insight.") || insight.starts_with("listening_priority.") =>
        {
            G::Insights
        }
        transition if transition.starts_with("proposal.") => G::Status,
        _ => G::Payments,
    }
}

/// The group of one key inside an audit record's before/after (proposal field paths such as
/// `budget_items[0].amount`, or the keys of review and decision records).
fn key_group(action: &str, key: &str) -> Option<FieldGroup> {
    let head = key.split(['.', '[']).next().unwrap_or(key);
    match head {
        "budget_items" | "requested_support" => Some(G::Budget),
        "notes" => Some(G::InternalNotes),
        "conflict_of_interest" => Some(G::CoiText),
        "scores" | "recommendation" => Some(G::Scores),
        "confidential_comments" => Some(G::ConfidentialComments),
        "comments_to_investigator" => Some(G::CommentsToInvestigator),
        "reviewer_id" | "decided_by" => Some(G::ReviewerIdentities),
        "quorum_override_reason" => Some(G::DecisionInternals),
        "amount" if action.starts_with("payment.") => Some(G::Payments),
        _ => None,
    }
}

/// Clears the parts of a proposal's content `audience` may not see (the CRO view: no budget,
/// requested support, notes or conflict-of-interest text).
pub fn project_content(audience: Audience, content: &mut crate::domain::proposal::ProposalContent) {
    if !sees(audience, G::Budget) {
        content.budget_items.clear();
        content.requested_support = Default::default();
    }
    if !sees(audience, G::InternalNotes) {
        content.notes.clear();
    }
    if !sees(audience, G::CoiText) {
        content.conflict_of_interest = Default::default();
    }
}

/// Whether `audience` may see an uploaded document of `doc_type` (a budget document is budget).
pub fn sees_document(audience: Audience, doc_type: &str) -> bool {
    if doc_type == "budget" {
        sees(audience, G::Budget)
    } else {
        sees(audience, G::Documents)
    }
}

/// Whether the person who took a lifecycle `action` may be named to `audience`: starting the
/// review and recording a decision are the committee's acts, and who did them is the
/// committee's business.
pub fn event_actor_shown(audience: Audience, action: &str) -> bool {
    let committee_act = matches!(
        action,
        "start_review"
            | "approve"
            | "approve_with_conditions"
            | "revise_and_resubmit"
            | "defer"
            | "reject"
    );
    !committee_act || sees(audience, G::ReviewerIdentities)
}

/// An audit record as one audience may read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedRecord {
    /// Whether the actor may be named (committee actors are anonymous to the investigator).
    pub actor_shown: bool,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// Projects one stored audit record for `audience`: `None` when the whole record is hidden,
/// else the record with every key of a group the audience may not see removed.
pub fn project_audit_record(
    audience: Audience,
    action: &str,
    actor_role: Option<&str>,
    before: Option<Value>,
    after: Option<Value>,
    reason: Option<String>,
) -> Option<ProjectedRecord> {
    if !sees(audience, audit_action_group(action)) {
        return None;
    }
    // A budget document is budget, whatever group uploads are in.
    let budget_document = after
        .as_ref()
        .and_then(|a| a.get("doc_type"))
        .and_then(Value::as_str)
        == Some("budget");
    if budget_document && !sees(audience, G::Budget) {
        return None;
    }
    let committee_actor = matches!(actor_role, Some("chair" | "reviewer"));
    let actor_shown = !committee_actor || sees(audience, G::ReviewerIdentities);
    let redact = |value: Option<Value>| value.map(|v| redact_keys(audience, action, v));
    // The reason of a decision record is its quorum override reason.
    let reason_group = if action == "review.decision" {
        G::DecisionInternals
    } else {
        audit_action_group(action)
    };
    Some(ProjectedRecord {
        actor_shown,
        before: redact(before),
        after: redact(after),
        reason: reason.filter(|_| sees(audience, reason_group)),
    })
}

fn redact_keys(audience: Audience, action: &str, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(key, _)| key_group(action, key).is_none_or(|g| sees(audience, g)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::Audience as A;
    use super::*;
    use serde_json::json;

    #[test]
    fn every_group_has_a_row_and_admins_see_everything() {
        for (group, row) in VISIBILITY {
            assert!(row[0], "{group:?}: admins see everything");
        }
        assert_eq!(VISIBILITY.len(), 20);
    }

    #[test]
    fn cros_never_see_budgets_and_investigators_never_see_review_content() {
        assert!(!sees(A::Cro, G::Budget));
        for group in [
            G::Scores,
            G::ConfidentialComments,
            G::ReviewerIdentities,
            G::DecisionInternals,
            G::ReviewProcess,
            G::Payments,
        ] {
            assert!(!sees(A::Investigator, group), "{group:?}");
            assert!(!sees(A::Msl, group), "{group:?}");
        }
        assert!(sees(A::Investigator, G::CommentsToInvestigator));
    }

    #[test]
    fn review_records_are_hidden_from_the_investigator() {
        for action in [
            "review.assign",
            "review.coi_declared",
            "review.save",
            "review.complete",
            "review.committee_chosen",
            "payment.schedule",
            "interaction.log",
        ] {
            let after = Some(json!({"reviewer_id": "r1", "confidential_comments": "secret"}));
            assert_eq!(
                project_audit_record(A::Investigator, action, Some("reviewer"), None, after, None),
                None,
                "{action}"
            );
        }
    }

    #[test]
    fn a_decision_reaches_the_investigator_without_its_internals_or_its_author() {
        let after = json!({
            "outcome": "approve", "rationale": "良い研究", "conditions": [],
            "quorum_override_reason": "欠員", "decided_by": "chair-1",
        });
        let projected = project_audit_record(
            A::Investigator,
            "review.decision",
            Some("chair"),
            None,
            Some(after.clone()),
            Some("欠員".into()),
        )
        .unwrap();
        assert!(!projected.actor_shown);
        assert_eq!(projected.reason, None);
        assert_eq!(
            projected.after,
            Some(json!({"outcome": "approve", "rationale": "良い研究", "conditions": []}))
        );
        let committee = project_audit_record(
            A::Committee,
            "review.decision",
            Some("chair"),
            None,
            Some(after.clone()),
            Some("欠員".into()),
        )
        .unwrap();
        assert!(committee.actor_shown);
        assert_eq!(committee.after, Some(after));
        assert_eq!(committee.reason.as_deref(), Some("欠員"));
    }

    #[test]
    fn budget_fields_of_a_protocol_change_are_removed_for_a_cro() {
        let after = Some(json!({"budget_items[0].amount": 5}));
        let projected = project_audit_record(
            A::Cro,
            "proposal.update",
            Some("investigator"),
            None,
            after,
            None,
        )
        .unwrap();
        assert_eq!(projected.after, Some(json!({})));
        let budget_doc = Some(json!({"doc_type": "budget", "file_name": "予算.xlsx"}));
        assert_eq!(
            project_audit_record(A::Cro, "document.upload", None, None, budget_doc, None),
            None
        );
    }

    #[test]
    fn the_cro_view_of_the_content_has_no_budget_notes_or_coi() {
        let mut content = crate::domain::proposal::ProposalContent {
            title: "題名".into(),
            notes: "社内メモ".into(),
            budget_items: vec![crate::domain::proposal::BudgetItem {
                label: "データ管理".into(),
                amount: Some(5),
            }],
            ..Default::default()
        };
        content.requested_support.funding_amount = Some(100);
        content.conflict_of_interest.text = "講演料".into();
        let mut for_cro = content.clone();
        project_content(A::Cro, &mut for_cro);
        assert_eq!(for_cro.title, "題名");
        assert!(for_cro.budget_items.is_empty() && for_cro.notes.is_empty());
        assert_eq!(for_cro.requested_support.funding_amount, None);
        assert!(for_cro.conflict_of_interest.text.is_empty());
        let mut for_committee = content.clone();
        project_content(A::Committee, &mut for_committee);
        assert_eq!(for_committee, content);
        assert!(!sees_document(A::Cro, "budget") && sees_document(A::Cro, "protocol"));
    }

    #[test]
    fn who_decided_is_named_to_the_committee_only() {
        assert!(!event_actor_shown(A::Investigator, "approve"));
        assert!(!event_actor_shown(A::Cro, "start_review"));
        assert!(event_actor_shown(A::Committee, "reject"));
        assert!(event_actor_shown(A::Investigator, "submit"));
    }

    #[test]
    fn insights_are_for_admins_and_msls_only() {
        for audience in [A::Committee, A::Investigator, A::Cro] {
            assert!(!sees(audience, G::Insights), "{audience:?}");
            for action in ["insight.submit", "listening_priority.create"] {
                let after = Some(json!({"body": "処方増"}));
                assert_eq!(
                    project_audit_record(audience, action, Some("msl"), None, after, None),
                    None
                );
            }
        }
        assert!(sees(A::Admin, G::Insights) && sees(A::Msl, G::Insights));
    }

    #[test]
    fn an_unknown_action_is_for_admins_only() {
        assert_eq!(audit_action_group("something.new"), G::Payments);
        assert!(project_audit_record(A::Admin, "something.new", None, None, None, None).is_some());
        assert!(
            project_audit_record(A::Investigator, "something.new", None, None, None, None)
                .is_none()
        );
    }
}
