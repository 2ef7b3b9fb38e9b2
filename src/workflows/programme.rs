//! The programme dashboard (docs/PRODUCT.md#programme-dashboard), for admins and chairs:
//! the pipeline by status, median days from submission to decision and from decision to
//! activation, approval rate by therapeutic area, enrollment of active studies against
//! plan, overdue milestones and publications and presentations per year. No insights and
//! no payments: the chair's column of the visibility table has neither.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::domain::programme::{
    AreaRate, ProposalFacts, PublicationFacts, YearCount, approval_rates, enrollment_percent,
    median_days_to_activation, median_days_to_decision, outputs_per_year, pipeline,
};
use crate::domain::study::days_overdue;
use crate::error::{AppError, AppResult};
use crate::store::{programme as store, study as study_store};

pub struct StudyProgress {
    pub proposal_id: String,
    pub reference: Option<String>,
    pub title: String,
    pub enrolled: i64,
    pub planned: Option<i64>,
    pub percent: Option<i64>,
}

pub struct OverdueLine {
    pub proposal_id: String,
    pub reference: Option<String>,
    pub title: String,
    pub milestone_kind: String,
    pub milestone_title: String,
    pub due_on: Option<NaiveDate>,
    pub days_overdue: i64,
}

pub struct Dashboard {
    pub pipeline: Vec<(Status, u32)>,
    pub median_days_to_decision: Option<f64>,
    pub median_days_to_activation: Option<f64>,
    pub approval_rates: Vec<AreaRate>,
    pub enrollment: Vec<StudyProgress>,
    pub overdue: Vec<OverdueLine>,
    pub outputs_per_year: Vec<YearCount>,
}

/// The first submission, decision and activation of one proposal.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Stages {
    submitted_at: Option<NaiveDateTime>,
    /// When, and whether it was an approval.
    decided: Option<(NaiveDateTime, bool)>,
    activated_at: Option<NaiveDateTime>,
}

/// Each proposal's first event of each stage, from `events` oldest first, in one pass (the
/// dashboard used to scan every event once per proposal: quadratic in the programme's size).
fn first_stage_events(events: Vec<(String, String, NaiveDateTime)>) -> HashMap<String, Stages> {
    let mut stages: HashMap<String, Stages> = HashMap::new();
    for (proposal_id, action, at) in events {
        let stage = stages.entry(proposal_id).or_default();
        match action.as_str() {
            "submit" => {
                stage.submitted_at.get_or_insert(at);
            }
            "approve" | "approve_with_conditions" | "reject" => {
                stage.decided.get_or_insert((at, action != "reject"));
            }
            "activate" => {
                stage.activated_at.get_or_insert(at);
            }
            _ => {}
        }
    }
    stages
}

pub fn require_viewer(principal: &Principal) -> AppResult<()> {
    if matches!(principal.role, Role::Admin | Role::Chair) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "the programme dashboard is for admins and chairs".into(),
        ))
    }
}

pub fn dashboard(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
) -> AppResult<Dashboard> {
    require_viewer(principal)?;
    let stages = first_stage_events(store::stage_events(conn)?);
    // Only proposals with a measured event feed the medians and rates; the pipeline is counted
    // by the database. Nothing here reads every proposal (docs/performance.md).
    let facts: Vec<ProposalFacts> = store::measured_proposals(conn)?
        .into_iter()
        .filter_map(|(id, status, area)| {
            let status = status.parse::<Status>().ok()?;
            let stage = stages.get(&id).copied().unwrap_or_default();
            Some(ProposalFacts {
                status,
                therapeutic_area: area,
                submitted_at: stage.submitted_at,
                decided: stage.decided,
                activated_at: stage.activated_at,
            })
        })
        .collect();
    let latest: HashMap<String, i64> = store::enrollment_updates(conn)?
        .into_iter()
        .map(|(id, _, enrolled)| (id, i64::from(enrolled)))
        .collect();
    let enrollment: Vec<StudyProgress> = store::active_studies(conn)?
        .into_iter()
        .map(|(id, title, reference, content)| {
            let planned = serde_json::from_str::<serde_json::Value>(&content)
                .ok()
                .and_then(|c| c["planned_sample_size"].as_i64());
            let enrolled = latest.get(&id).copied().unwrap_or(0);
            StudyProgress {
                proposal_id: id,
                reference,
                title,
                enrolled,
                planned,
                percent: enrollment_percent(enrolled, planned),
            }
        })
        .collect();
    let overdue = study_store::open_milestones(conn)?
        .into_iter()
        .filter_map(|(m, title, reference, _)| {
            let days = days_overdue(m.due_on, m.completed_on, today)?;
            Some(OverdueLine {
                proposal_id: m.proposal_id,
                reference,
                title,
                milestone_kind: m.kind,
                milestone_title: m.title,
                due_on: m.due_on,
                days_overdue: days,
            })
        })
        .collect();
    let publications: Vec<PublicationFacts> = store::publication_dates(conn)?
        .into_iter()
        .map(|(status, published_on, presented_on)| PublicationFacts {
            status,
            published_on,
            presented_on,
        })
        .collect();
    Ok(Dashboard {
        pipeline: pipeline(&store::status_counts(conn)?),
        median_days_to_decision: median_days_to_decision(&facts),
        median_days_to_activation: median_days_to_activation(&facts),
        approval_rates: approval_rates(&facts),
        enrollment,
        overdue,
        outputs_per_year: outputs_per_year(&publications),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 4, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap_or_default()
    }

    #[test]
    fn each_stage_keeps_its_first_event_per_proposal() {
        let events = vec![
            ("a".to_string(), "submit".to_string(), at(1)),
            ("b".to_string(), "submit".to_string(), at(2)),
            ("a".to_string(), "reject".to_string(), at(3)),
            ("a".to_string(), "submit".to_string(), at(4)),
            ("a".to_string(), "approve".to_string(), at(5)),
            ("a".to_string(), "activate".to_string(), at(6)),
        ];
        let stages = first_stage_events(events);
        assert_eq!(
            stages.get("a").copied(),
            Some(Stages {
                submitted_at: Some(at(1)),
                decided: Some((at(3), false)),
                activated_at: Some(at(6)),
            })
        );
        assert_eq!(
            stages.get("b").copied(),
            Some(Stages {
                submitted_at: Some(at(2)),
                ..Stages::default()
            })
        );
        assert!(!stages.contains_key("c"));
    }
}
