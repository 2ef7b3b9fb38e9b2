//! The ranked list of proposals under review, by weighted score.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::lifecycle::Status;
use crate::domain::review::{self};
use crate::error::{AppError, AppResult};
use crate::store::proposals as proposal_store;

use super::common::*;
use super::reviews::committee_view;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedProposal {
    pub id: String,
    pub reference: Option<String>,
    pub title: String,
    pub investigator: String,
    pub score: Option<f64>,
    pub completed: usize,
    pub assigned: usize,
    pub quorum: i32,
}

/// Proposals under review, best weighted score first (unscored last).
pub fn ranking(conn: &mut DbConnection, principal: &Principal) -> AppResult<Vec<RankedProposal>> {
    require_chair_or_admin(principal)?;
    let rows = proposal_store::list(
        conn,
        &proposal_store::ListScope::All,
        &proposal_store::ListFilter {
            status: Some(Status::UnderReview.as_str().into()),
            limit: 1000,
            ..Default::default()
        },
    )?;
    let mut ranked = Vec::new();
    for row in rows {
        // A proposal the caller is recused from (or otherwise may not see) is left out of
        // their ranking; it does not deny them the rest.
        let view = match committee_view(conn, principal, &row.id) {
            Ok(view) => view,
            Err(AppError::NotFound | AppError::Forbidden(_)) => continue,
            Err(other) => return Err(other),
        };
        ranked.push(RankedProposal {
            investigator: view.loaded.content.principal_investigator.name.clone(),
            id: row.id,
            reference: row.reference,
            title: row.title,
            score: view.score,
            completed: view.completed,
            assigned: view
                .reviews
                .iter()
                .filter(|r| r.coi_status != "conflict")
                .count(),
            quorum: view
                .committee
                .map(|c| c.quorum)
                .unwrap_or(review::DEFAULT_QUORUM),
        });
    }
    ranked.sort_by(|a, b| {
        b.score
            .unwrap_or(f64::MIN)
            .total_cmp(&a.score.unwrap_or(f64::MIN))
    });
    Ok(ranked)
}
