//! The programme dashboard (docs/PRODUCT.md#programme-dashboard), for admins and chairs:
//! the pipeline by status, median days from submission to decision and from decision to
//! activation, approval rate by therapeutic area, enrollment of active studies against
//! plan, overdue milestones and publications and presentations per year. No insights and
//! no payments: the chair's column of the visibility table has neither.

use std::collections::HashMap;

use chrono::NaiveDate;

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
    let proposals = store::proposals_past_draft(conn)?;
    let events = store::stage_events(conn)?;
    let mut facts = Vec::new();
    let mut enrollment = Vec::new();
    let latest: HashMap<String, i64> = store::enrollment_updates(conn)?
        .into_iter()
        .map(|(id, _, enrolled)| (id, i64::from(enrolled)))
        .collect();
    for (id, status, area, title, reference, content) in &proposals {
        let Ok(status) = status.parse::<Status>() else {
            continue;
        };
        let of = |actions: &[&str]| {
            events
                .iter()
                .find(|(p, action, _)| p == id && actions.contains(&action.as_str()))
        };
        facts.push(ProposalFacts {
            status,
            therapeutic_area: area.clone(),
            submitted_at: of(&["submit"]).map(|e| e.2),
            decided: of(&["approve", "approve_with_conditions", "reject"])
                .map(|e| (e.2, e.1 != "reject")),
            activated_at: of(&["activate"]).map(|e| e.2),
        });
        if status == Status::Active {
            let planned = serde_json::from_str::<serde_json::Value>(content)
                .ok()
                .and_then(|c| c["planned_sample_size"].as_i64());
            let enrolled = latest.get(id).copied().unwrap_or(0);
            enrollment.push(StudyProgress {
                proposal_id: id.clone(),
                reference: reference.clone(),
                title: title.clone(),
                enrolled,
                planned,
                percent: enrollment_percent(enrolled, planned),
            });
        }
    }
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
        pipeline: pipeline(&facts),
        median_days_to_decision: median_days_to_decision(&facts),
        median_days_to_activation: median_days_to_activation(&facts),
        approval_rates: approval_rates(&facts),
        enrollment,
        overdue,
        outputs_per_year: outputs_per_year(&publications),
    })
}
