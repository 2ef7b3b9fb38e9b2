//! Read-only queries across the whole programme, for the programme dashboard.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{enrollment_updates, proposal_events, proposals, publications};

/// How many proposals are in each status (drafts too; the dashboard leaves them out). Counted
/// by the database: reading every proposal on each view made the dashboard's cost and memory
/// grow with the programme (docs/performance.md).
pub fn status_counts(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    proposals::table
        .group_by(proposals::status)
        .select((proposals::status, diesel::dsl::count_star()))
        .load(conn)
}

/// (id, status, therapeutic area) of the proposals past draft that have a lifecycle event the
/// dashboard measures: the only ones its medians and approval rates read.
pub fn measured_proposals(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
    proposals::table
        .filter(proposals::status.ne("draft"))
        .filter(
            proposals::id.eq_any(
                proposal_events::table
                    .filter(proposal_events::action.eq_any(STAGE_ACTIONS))
                    .select(proposal_events::proposal_id),
            ),
        )
        .order(proposals::id.asc())
        .select((
            proposals::id,
            proposals::status,
            proposals::therapeutic_area,
        ))
        .load(conn)
}

/// (id, title, reference, content JSON) of the active studies, whose enrollment against the
/// planned sample size the dashboard shows.
pub type ActiveStudy = (String, String, Option<String>, String);

pub fn active_studies(conn: &mut DbConnection) -> QueryResult<Vec<ActiveStudy>> {
    proposals::table
        .filter(proposals::status.eq("active"))
        .order(proposals::id.asc())
        .select((
            proposals::id,
            proposals::title,
            proposals::reference,
            proposals::content,
        ))
        .load(conn)
}

/// The lifecycle actions that start a stage the dashboard measures.
const STAGE_ACTIONS: [&str; 5] = [
    "submit",
    "approve",
    "approve_with_conditions",
    "reject",
    "activate",
];

/// (proposal id, action, at) of the lifecycle events the dashboard measures, oldest first.
pub fn stage_events(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, NaiveDateTime)>> {
    proposal_events::table
        .filter(proposal_events::action.eq_any(STAGE_ACTIONS))
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
