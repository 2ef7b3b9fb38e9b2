//! The programme dashboard's arithmetic (docs/PRODUCT.md#programme-dashboard): the pipeline
//! by status, median days between stages, approval rate by therapeutic area, enrollment
//! against plan and publications per year. Pure functions over facts the workflow gathers.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::domain::lifecycle::Status;

/// What the dashboard needs of one proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalFacts {
    pub status: Status,
    pub therapeutic_area: String,
    /// First submission.
    pub submitted_at: Option<NaiveDateTime>,
    /// First final decision (approve, approve with conditions, reject) and whether it approved.
    pub decided: Option<(NaiveDateTime, bool)>,
    /// Activation of the study.
    pub activated_at: Option<NaiveDateTime>,
}

/// Statuses in pipeline order, drafts left out (they are the investigator's own).
pub const PIPELINE: [Status; 10] = [
    Status::Submitted,
    Status::UnderReview,
    Status::RevisionRequested,
    Status::Approved,
    Status::Active,
    Status::Completed,
    Status::Closed,
    Status::Rejected,
    Status::Terminated,
    Status::Withdrawn,
];

/// How many proposals are in each status now, in pipeline order (zeros kept), from the
/// database's count per status code; drafts and codes outside the pipeline are left out.
pub fn pipeline(counts: &[(String, i64)]) -> Vec<(Status, u32)> {
    PIPELINE
        .iter()
        .map(|s| {
            let count: i64 = counts
                .iter()
                .filter(|(code, _)| code == s.as_str())
                .map(|(_, n)| *n)
                .sum();
            (*s, u32::try_from(count).unwrap_or(u32::MAX))
        })
        .collect()
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

fn days_between(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    (to - from).num_seconds() as f64 / 86_400.0
}

/// Median days from first submission to the first final decision.
pub fn median_days_to_decision(facts: &[ProposalFacts]) -> Option<f64> {
    median(
        facts
            .iter()
            .filter_map(|f| Some(days_between(f.submitted_at?, f.decided?.0)))
            .collect(),
    )
}

/// Median days from an approving decision to activation.
pub fn median_days_to_activation(facts: &[ProposalFacts]) -> Option<f64> {
    median(
        facts
            .iter()
            .filter_map(|f| {
                let (decided, approved) = f.decided?;
                approved.then_some(days_between(decided, f.activated_at?))
            })
            .collect(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AreaRate {
    pub therapeutic_area: String,
    pub decided: u32,
    pub approved: u32,
    /// Approved of decided, whole percent (rounded down).
    pub percent: u32,
}

/// Approval rate by therapeutic area among decided proposals, by area name.
pub fn approval_rates(facts: &[ProposalFacts]) -> Vec<AreaRate> {
    let mut by_area: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for f in facts {
        if let Some((_, approved)) = f.decided {
            let entry = by_area.entry(f.therapeutic_area.as_str()).or_default();
            entry.0 += 1;
            entry.1 += u32::from(approved);
        }
    }
    by_area
        .into_iter()
        .map(|(area, (decided, approved))| AreaRate {
            therapeutic_area: area.to_string(),
            decided,
            approved,
            percent: approved * 100 / decided.max(1),
        })
        .collect()
}

/// Enrolled of planned in whole percent (rounded down); none without a plan.
pub fn enrollment_percent(enrolled: i64, planned: Option<i64>) -> Option<i64> {
    planned
        .filter(|p| *p > 0)
        .map(|p| enrolled.max(0) * 100 / p)
}

/// One publication record as the dashboard counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicationFacts {
    pub status: String,
    pub published_on: Option<NaiveDate>,
    pub presented_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct YearCount {
    pub year: i32,
    pub publications: u32,
    pub presentations: u32,
}

/// Published manuscripts and presented abstracts per year, oldest first.
pub fn outputs_per_year(records: &[PublicationFacts]) -> Vec<YearCount> {
    let mut years: BTreeMap<i32, (u32, u32)> = BTreeMap::new();
    for r in records {
        match (r.status.as_str(), r.published_on, r.presented_on) {
            ("published", Some(day), _) => years.entry(day.year()).or_default().0 += 1,
            ("presented", _, Some(day)) => years.entry(day.year()).or_default().1 += 1,
            _ => {}
        }
    }
    years
        .into_iter()
        .map(|(year, (publications, presentations))| YearCount {
            year,
            publications,
            presentations,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{text} 00:00:00"), "%Y-%m-%d %H:%M:%S")
            .unwrap_or_default()
    }

    fn facts(
        status: Status,
        area: &str,
        submitted: &str,
        decided: Option<(&str, bool)>,
        active: Option<&str>,
    ) -> ProposalFacts {
        ProposalFacts {
            status,
            therapeutic_area: area.into(),
            submitted_at: Some(at(submitted)),
            decided: decided.map(|(d, ok)| (at(d), ok)),
            activated_at: active.map(at),
        }
    }

    fn sample() -> Vec<ProposalFacts> {
        vec![
            facts(
                Status::Active,
                "糖尿病",
                "2026-01-01",
                Some(("2026-01-11", true)),
                Some("2026-02-10"),
            ),
            facts(
                Status::Approved,
                "糖尿病",
                "2026-02-01",
                Some(("2026-02-21", true)),
                None,
            ),
            facts(
                Status::Rejected,
                "腎臓",
                "2026-03-01",
                Some(("2026-04-01", false)),
                None,
            ),
            facts(Status::UnderReview, "腎臓", "2026-05-01", None, None),
            facts(
                Status::Active,
                "腎臓",
                "2026-01-01",
                Some(("2026-01-05", true)),
                Some("2026-01-15"),
            ),
        ]
    }

    #[test]
    fn the_pipeline_counts_current_statuses_in_order() {
        let counts = [
            ("active".to_string(), 2),
            ("draft".to_string(), 7),
            ("under_review".to_string(), 1),
            ("no_such_status".to_string(), 3),
        ];
        let pipeline = pipeline(&counts);
        assert_eq!(pipeline.len(), PIPELINE.len());
        assert_eq!(pipeline[0], (Status::Submitted, 0));
        assert_eq!(pipeline[1], (Status::UnderReview, 1));
        assert_eq!(pipeline[4], (Status::Active, 2));
        let total: u32 = pipeline.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 3, "drafts and unknown codes are left out");
    }

    #[test]
    fn medians_of_days_between_stages() {
        // Decisions after 10, 20, 31 and 4 days: median (10 + 20) / 2.
        assert_eq!(median_days_to_decision(&sample()), Some(15.0));
        // Activations 30 and 10 days after approval; the rejection does not count.
        assert_eq!(median_days_to_activation(&sample()), Some(20.0));
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![]), None);
    }

    #[test]
    fn approval_rate_by_area_counts_decided_proposals_only() {
        let rates = approval_rates(&sample());
        assert_eq!(
            rates,
            vec![
                AreaRate {
                    therapeutic_area: "糖尿病".into(),
                    decided: 2,
                    approved: 2,
                    percent: 100
                },
                AreaRate {
                    therapeutic_area: "腎臓".into(),
                    decided: 2,
                    approved: 1,
                    percent: 50
                },
            ]
        );
    }

    #[test]
    fn enrollment_and_outputs_per_year() {
        assert_eq!(enrollment_percent(30, Some(120)), Some(25));
        assert_eq!(enrollment_percent(30, None), None);
        assert_eq!(enrollment_percent(30, Some(0)), None);
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
        let records = vec![
            PublicationFacts {
                status: "published".into(),
                published_on: day("2025-05-01"),
                presented_on: None,
            },
            PublicationFacts {
                status: "presented".into(),
                published_on: None,
                presented_on: day("2026-06-01"),
            },
            PublicationFacts {
                status: "published".into(),
                published_on: day("2026-01-01"),
                presented_on: None,
            },
            PublicationFacts {
                status: "planned".into(),
                published_on: None,
                presented_on: None,
            },
        ];
        assert_eq!(
            outputs_per_year(&records),
            vec![
                YearCount {
                    year: 2025,
                    publications: 1,
                    presentations: 0
                },
                YearCount {
                    year: 2026,
                    publications: 1,
                    presentations: 1
                },
            ]
        );
    }
}
