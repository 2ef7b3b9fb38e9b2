//! Read-only queries across the whole programme, for the programme dashboard.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{enrollment_updates, proposal_events, proposals, publications};

/// (id, status, therapeutic area, title, reference) of every proposal but drafts. Without the
/// content document: at 10 000 proposals the documents alone were 23 MB per page view.
pub type ProposalLine = (String, String, String, String, Option<String>);

pub fn proposals_past_draft(conn: &mut DbConnection) -> QueryResult<Vec<ProposalLine>> {
    proposals::table
        .filter(proposals::status.ne("draft"))
        .order(proposals::id.asc())
        .select((
            proposals::id,
            proposals::status,
            proposals::therapeutic_area,
            proposals::title,
            proposals::reference,
        ))
        .load(conn)
}

/// (id, content JSON) of the active studies, whose planned sample size the dashboard shows.
pub fn active_study_contents(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    proposals::table
        .filter(proposals::status.eq("active"))
        .select((proposals::id, proposals::content))
        .load(conn)
}

/// (proposal id, action, at) of the lifecycle events the dashboard measures, oldest first.
pub fn stage_events(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    proposal_events::table
        .filter(proposal_events::action.eq_any([
            "submit",
            "approve",
            "approve_with_conditions",
            "reject",
            "activate",
        ]))
        .order((proposal_events::at.asc(), proposal_events::id.asc()))
        .select((
            proposal_events::proposal_id,
            proposal_events::action,
            proposal_events::at,
        ))
        .load(conn)
}

/// (proposal id, as of, enrolled) of every enrollment update, oldest first.
pub fn enrollment_updates(conn: &mut DbConnection) -> QueryResult<Vec<(String, NaiveDate, i32)>> {
    enrollment_updates::table
        .order((
            enrollment_updates::as_of.asc(),
            enrollment_updates::created_at.asc(),
        ))
        .select((
            enrollment_updates::proposal_id,
            enrollment_updates::as_of,
            enrollment_updates::enrolled,
        ))
        .load(conn)
}

/// (status, published on, presented on) of a publication record.
pub type PublicationDates = (String, Option<NaiveDate>, Option<NaiveDate>);

pub fn publication_dates(conn: &mut DbConnection) -> QueryResult<Vec<PublicationDates>> {
    publications::table
        .select((
            publications::status,
            publications::published_on,
            publications::presented_on,
        ))
        .load(conn)
}
