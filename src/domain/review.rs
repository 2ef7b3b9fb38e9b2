//! Review rules (docs/PRODUCT.md#review): the weighted rubric, quorum, conflict-of-interest kinds
//! and the decision outcomes. Plain Rust, unit-tested.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::lifecycle::Action;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Criterion {
    /// Stable key, e.g. `scientific_merit`; its label comes from the `criterion.<key>` message.
    pub key: String,
    /// Relative weight (the default rubric's weights sum to 100).
    pub weight: u32,
}

/// The default rubric (docs/PRODUCT.md#review): scientific merit 30, feasibility 20, alignment with
/// areas of interest 20, budget appropriateness 15, publication plan 15.
pub fn default_rubric() -> Vec<Criterion> {
    [
        ("scientific_merit", 30),
        ("feasibility", 20),
        ("alignment", 20),
        ("budget", 15),
        ("publication_plan", 15),
    ]
    .into_iter()
    .map(|(key, weight)| Criterion {
        key: key.into(),
        weight,
    })
    .collect()
}

pub const DEFAULT_QUORUM: i32 = 3;
pub const MIN_SCORE: u8 = 1;
pub const MAX_SCORE: u8 = 5;

/// Criteria without a valid score (1–5). Empty when the scores are complete.
pub fn missing_scores(rubric: &[Criterion], scores: &BTreeMap<String, u8>) -> Vec<String> {
    rubric
        .iter()
        .filter(|c| {
            !scores
                .get(&c.key)
                .is_some_and(|s| (MIN_SCORE..=MAX_SCORE).contains(s))
        })
        .map(|c| c.key.clone())
        .collect()
}

/// The weighted mean of one review's scores, on the 1–5 scale; `None` when incomplete.
pub fn weighted_score(rubric: &[Criterion], scores: &BTreeMap<String, u8>) -> Option<f64> {
    if !missing_scores(rubric, scores).is_empty() {
        return None;
    }
    let total_weight: u32 = rubric.iter().map(|c| c.weight).sum();
    if total_weight == 0 {
        return None;
    }
    let sum: f64 = rubric
        .iter()
        .map(|c| f64::from(c.weight) * f64::from(scores.get(&c.key).copied().unwrap_or(0)))
        .sum();
    Some(sum / f64::from(total_weight))
}

/// The proposal's score: the mean of the completed reviews' weighted scores.
pub fn proposal_score(review_scores: &[f64]) -> Option<f64> {
    if review_scores.is_empty() {
        None
    } else {
        Some(review_scores.iter().sum::<f64>() / review_scores.len() as f64)
    }
}

/// Quorum: at least `quorum` completed reviews by reviewers who were not recused.
pub fn quorum_met(completed_non_recused: usize, quorum: i32) -> bool {
    quorum >= 1 && completed_non_recused >= quorum as usize
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    Collaborator,
    Institutional,
    Financial,
    Personal,
    Other,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 5] = [
        ConflictKind::Collaborator,
        ConflictKind::Institutional,
        ConflictKind::Financial,
        ConflictKind::Personal,
        ConflictKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Collaborator => "collaborator",
            ConflictKind::Institutional => "institutional",
            ConflictKind::Financial => "financial",
            ConflictKind::Personal => "personal",
            ConflictKind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ConflictKind> {
        ConflictKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// A decision outcome (also a reviewer's recommendation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Approve,
    ApproveWithConditions,
    ReviseAndResubmit,
    Defer,
    Reject,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Approve,
        Outcome::ApproveWithConditions,
        Outcome::ReviseAndResubmit,
        Outcome::Defer,
        Outcome::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::ApproveWithConditions => "approve_with_conditions",
            Outcome::ReviseAndResubmit => "revise_and_resubmit",
            Outcome::Defer => "defer",
            Outcome::Reject => "reject",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// The lifecycle action that records this outcome.
    pub fn action(self) -> Action {
        match self {
            Outcome::Approve => Action::Approve,
            Outcome::ApproveWithConditions => Action::ApproveWithConditions,
            Outcome::ReviseAndResubmit => Action::ReviseAndResubmit,
            Outcome::Defer => Action::Defer,
            Outcome::Reject => Action::Reject,
        }
    }
}

/// Problems with a decision before it reaches the lifecycle: conditions belong to (and are
/// required by) approval with conditions; a rationale is always required.
pub fn decision_issues(
    outcome: Outcome,
    rationale: &str,
    conditions: &[String],
) -> Vec<(&'static str, &'static str)> {
    let mut issues = Vec::new();
    if rationale.trim().is_empty() {
        issues.push(("rationale", "required"));
    }
    let has_conditions = conditions.iter().any(|c| !c.trim().is_empty());
    match outcome {
        Outcome::ApproveWithConditions if !has_conditions => {
            issues.push(("conditions", "required"))
        }
        Outcome::ApproveWithConditions => {}
        _ if has_conditions => issues.push(("conditions", "invalid_choice")),
        _ => {}
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: &[(&str, u8)]) -> BTreeMap<String, u8> {
        values.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn the_default_rubric_weights_sum_to_100() {
        assert_eq!(default_rubric().iter().map(|c| c.weight).sum::<u32>(), 100);
    }

    #[test]
    fn the_weighted_score_uses_the_rubric_weights() {
        let rubric = default_rubric();
        let all_five = scores(&[
            ("scientific_merit", 5),
            ("feasibility", 5),
            ("alignment", 5),
            ("budget", 5),
            ("publication_plan", 5),
        ]);
        assert_eq!(weighted_score(&rubric, &all_five), Some(5.0));
        let mixed = scores(&[
            ("scientific_merit", 5),
            ("feasibility", 3),
            ("alignment", 4),
            ("budget", 2),
            ("publication_plan", 1),
        ]);
        // (5·30 + 3·20 + 4·20 + 2·15 + 1·15) / 100 = 3.35
        let score = weighted_score(&rubric, &mixed).unwrap_or_default();
        assert!((score - 3.35).abs() < 1e-9);
    }

    #[test]
    fn an_incomplete_or_out_of_range_review_has_no_score() {
        let rubric = default_rubric();
        let partial = scores(&[("scientific_merit", 5)]);
        assert_eq!(weighted_score(&rubric, &partial), None);
        assert_eq!(missing_scores(&rubric, &partial).len(), 4);
        let mut bad = scores(&[
            ("scientific_merit", 6),
            ("feasibility", 3),
            ("alignment", 4),
            ("budget", 0),
            ("publication_plan", 1),
        ]);
        assert_eq!(
            missing_scores(&rubric, &bad),
            vec!["scientific_merit", "budget"]
        );
        bad.insert("scientific_merit".into(), 5);
        bad.insert("budget".into(), 5);
        assert!(weighted_score(&rubric, &bad).is_some());
    }

    #[test]
    fn the_proposal_score_is_the_mean_of_completed_reviews() {
        assert_eq!(proposal_score(&[]), None);
        assert_eq!(proposal_score(&[3.0, 4.0, 5.0]), Some(4.0));
    }

    #[test]
    fn quorum_counts_completed_non_recused_reviews() {
        assert!(!quorum_met(1, 2));
        assert!(quorum_met(2, 2));
        assert!(quorum_met(3, 2));
        assert!(!quorum_met(0, 0), "a quorum below one is never met");
    }

    #[test]
    fn conditions_belong_to_approval_with_conditions() {
        assert_eq!(
            decision_issues(Outcome::ApproveWithConditions, "良好", &[]),
            vec![("conditions", "required")]
        );
        assert_eq!(
            decision_issues(Outcome::Approve, "良好", &["x".into()]),
            vec![("conditions", "invalid_choice")]
        );
        assert_eq!(
            decision_issues(Outcome::Reject, " ", &[]),
            vec![("rationale", "required")]
        );
        assert!(
            decision_issues(Outcome::ApproveWithConditions, "良好", &["jRCT登録".into()])
                .is_empty()
        );
    }
}
