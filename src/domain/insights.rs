//! MSL field insights (docs/PRODUCT.md#field-insights): categories, sources, the
//! draft → submitted → acknowledged states, and the rule that a text with compliance matches
//! is submitted only with a justification. The checks themselves are in
//! `insights_compliance`, the period report in `insights_report`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::insights_compliance::ComplianceMatch;

/// What an insight is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    UnmetNeed,
    SafetyPerception,
    TreatmentPractice,
    ProtocolFeasibility,
    CompetitiveLandscape,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::UnmetNeed,
        Category::SafetyPerception,
        Category::TreatmentPractice,
        Category::ProtocolFeasibility,
        Category::CompetitiveLandscape,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::UnmetNeed => "unmet_need",
            Category::SafetyPerception => "safety_perception",
            Category::TreatmentPractice => "treatment_practice",
            Category::ProtocolFeasibility => "protocol_feasibility",
            Category::CompetitiveLandscape => "competitive_landscape",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// Where the MSL heard it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    OneToOne,
    AdvisoryBoard,
    Congress,
    Literature,
}

impl Source {
    pub const ALL: [Source; 4] = [
        Source::OneToOne,
        Source::AdvisoryBoard,
        Source::Congress,
        Source::Literature,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::OneToOne => "one_to_one",
            Source::AdvisoryBoard => "advisory_board",
            Source::Congress => "congress",
            Source::Literature => "literature",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsightStatus {
    Draft,
    Submitted,
    Acknowledged,
}

impl InsightStatus {
    pub const ALL: [InsightStatus; 3] = [
        InsightStatus::Draft,
        InsightStatus::Submitted,
        InsightStatus::Acknowledged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InsightStatus::Draft => "draft",
            InsightStatus::Submitted => "submitted",
            InsightStatus::Acknowledged => "acknowledged",
        }
    }

    pub fn parse(text: &str) -> Option<InsightStatus> {
        InsightStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Why a step of the insight lifecycle is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRefused {
    /// Only drafts are edited or submitted, only submitted insights acknowledged.
    WrongState {
        from: InsightStatus,
        step: &'static str,
    },
    /// The text has compliance matches and no justification was given.
    NeedsJustification(Vec<ComplianceMatch>),
}

/// The shortest justification accepted: a word or two is not a reason.
pub const MIN_JUSTIFICATION_CHARS: usize = 10;

/// Whether a draft may be edited.
pub fn can_edit(status: InsightStatus) -> Result<(), StepRefused> {
    match status {
        InsightStatus::Draft => Ok(()),
        from => Err(StepRefused::WrongState { from, step: "edit" }),
    }
}

/// Submitting: a draft whose text has no compliance match, or whose matches are justified.
/// Returns the justification to audit (trimmed), if one was needed.
pub fn submit(
    status: InsightStatus,
    matches: &[ComplianceMatch],
    justification: Option<&str>,
) -> Result<Option<String>, StepRefused> {
    if status != InsightStatus::Draft {
        return Err(StepRefused::WrongState {
            from: status,
            step: "submit",
        });
    }
    if matches.is_empty() {
        return Ok(None);
    }
    match justification.map(str::trim) {
        Some(reason) if reason.chars().count() >= MIN_JUSTIFICATION_CHARS => {
            Ok(Some(reason.to_string()))
        }
        _ => Err(StepRefused::NeedsJustification(matches.to_vec())),
    }
}

/// Acknowledging (admins): only a submitted insight.
pub fn acknowledge(status: InsightStatus) -> Result<InsightStatus, StepRefused> {
    match status {
        InsightStatus::Submitted => Ok(InsightStatus::Acknowledged),
        from => Err(StepRefused::WrongState {
            from,
            step: "acknowledge",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::insights_compliance::{ComplianceRules, check};

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()), Some(s));
        }
        for s in InsightStatus::ALL {
            assert_eq!(InsightStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Category::parse("sales"), None);
    }

    #[test]
    fn clean_text_is_submitted_without_a_justification() {
        let matches = check(
            &ComplianceRules::default(),
            "腎機能低下例での用量調整に関心が高い",
        );
        assert!(matches.is_empty());
        assert_eq!(submit(InsightStatus::Draft, &matches, None), Ok(None));
    }

    #[test]
    fn a_restricted_word_needs_a_justification() {
        let matches = check(&ComplianceRules::default(), "処方増につながると医師が発言");
        assert_eq!(matches.len(), 1);
        assert!(matches!(
            submit(InsightStatus::Draft, &matches, None),
            Err(StepRefused::NeedsJustification(m)) if m[0].phrase == "処方増"
        ));
        // A token reason is not a justification.
        assert!(submit(InsightStatus::Draft, &matches, Some("  ok  ")).is_err());
        assert_eq!(
            submit(
                InsightStatus::Draft,
                &matches,
                Some(" 医師の発言をそのまま記録したもので、販促目的ではない ")
            ),
            Ok(Some(
                "医師の発言をそのまま記録したもので、販促目的ではない".to_string()
            ))
        );
    }

    #[test]
    fn the_lifecycle_runs_draft_submitted_acknowledged_only() {
        assert!(can_edit(InsightStatus::Draft).is_ok());
        assert!(can_edit(InsightStatus::Submitted).is_err());
        assert!(submit(InsightStatus::Submitted, &[], None).is_err());
        assert!(acknowledge(InsightStatus::Draft).is_err());
        assert_eq!(
            acknowledge(InsightStatus::Submitted),
            Ok(InsightStatus::Acknowledged)
        );
        assert!(acknowledge(InsightStatus::Acknowledged).is_err());
    }
}
