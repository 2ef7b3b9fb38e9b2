//! Proposals, their submission rounds, their transition events and the reference counter.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::db::schema::{
    cro_assignments, msl_assignments, proposal_events, proposal_rounds, proposals,
    review_assignments, users,
};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = proposals)]
pub struct ProposalRow {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub owner_id: String,
    pub title: String,
    pub product: String,
    pub therapeutic_area: String,
    pub content: String,
    pub round: i32,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub committee_id: Option<String>,
    pub advice_requested_at: Option<NaiveDateTime>,
    /// The role of the newest advice message's author (`store::msl::insert_advice`).
    pub advice_last_role: Option<String>,
}

/// A proposal as lists show it: no content document and nothing else a list does not show.
/// Reading the 4–5 KB document of every row was most of a list's cost (docs/performance.md).
#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = proposals)]
pub struct ProposalListRow {
    pub id: String,
    pub reference: Option<String>,
    pub status: String,
    pub title: String,
    pub product: String,
    pub therapeutic_area: String,
    pub round: i32,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

impl From<ProposalRow> for ProposalListRow {
    fn from(row: ProposalRow) -> Self {
        ProposalListRow {
            id: row.id,
            reference: row.reference,
            status: row.status,
            title: row.title,
            product: row.product,
            therapeutic_area: row.therapeutic_area,
            round: row.round,
            updated_at: row.updated_at,
            submitted_at: row.submitted_at,
        }
    }
}

pub struct SearchColumns<'a> {
    pub title: &'a str,
    pub product: &'a str,
    pub therapeutic_area: &'a str,
}

pub fn insert(
    conn: &mut DbConnection,
    owner_id: &str,
    status: &str,
    columns: &SearchColumns<'_>,
    content_json: &str,
) -> QueryResult<ProposalRow> {
    let now = db::now();
    let id = db::new_id();
    diesel::insert_into(proposals::table)
        .values((
            proposals::id.eq(&id),
            proposals::status.eq(status),
            proposals::owner_id.eq(owner_id),
            proposals::title.eq(columns.title),
            proposals::product.eq(columns.product),
            proposals::therapeutic_area.eq(columns.therapeutic_area),
            proposals::content.eq(content_json),
            proposals::round.eq(0),
            proposals::version.eq(1i64),
            proposals::created_at.eq(now),
            proposals::updated_at.eq(now),
        ))
        .returning(proposals::all_columns)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<ProposalRow> {
    proposals::table
        .filter(proposals::id.eq(id))
        .select(ProposalRow::as_select())
        .first(conn)
}

/// A proposal and its owner's display name in one statement: a single read answers GET one
/// (one round trip fewer on PostgreSQL than reading the owner separately).
pub fn find_with_owner_name(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<(ProposalRow, String)> {
    db::on_backend!(conn, |c| proposals::table
        .inner_join(users::table)
        .filter(proposals::id.eq(id))
        .select((ProposalRow::as_select(), users::display_name))
        .first(c))
}

/// Writes new content only if the row is still at `expected_version` (optimistic locking).
/// Returns the updated row, or `None` when someone else changed it first.
pub fn update_content(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    columns: &SearchColumns<'_>,
    content_json: &str,
) -> QueryResult<Option<ProposalRow>> {
    diesel::update(
        proposals::table
            .filter(proposals::id.eq(id))
            .filter(proposals::version.eq(expected_version)),
    )
    .set((
        proposals::title.eq(columns.title),
        proposals::product.eq(columns.product),
        proposals::therapeutic_area.eq(columns.therapeutic_area),
        proposals::content.eq(content_json),
        proposals::version.eq(expected_version + 1),
        proposals::updated_at.eq(db::now()),
    ))
    .returning(proposals::all_columns)
    .get_result(conn)
    .optional()
}

pub struct StatusChange<'a> {
    pub status: &'a str,
    pub round: i32,
    pub submitted_at: Option<NaiveDateTime>,
}

/// Moves the proposal to a new status in one UPDATE, guarded by the version read at the start.
/// Returns the updated row, or `None` when someone else changed it first.
pub fn change_status(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    change: &StatusChange<'_>,
) -> QueryResult<Option<ProposalRow>> {
    let target = proposals::table
        .filter(proposals::id.eq(id))
        .filter(proposals::version.eq(expected_version));
    diesel::update(target)
        .set((
            proposals::status.eq(change.status),
            proposals::round.eq(change.round),
            proposals::version.eq(expected_version + 1),
            proposals::updated_at.eq(db::now()),
            // `None` leaves the column as it is.
            change
                .submitted_at
                .map(|at| proposals::submitted_at.eq(Some(at))),
        ))
        .returning(proposals::all_columns)
        .get_result(conn)
        .optional()
}

/// Which proposals a caller's lists may contain (mirrors `auth::policy::proposal`).
#[derive(Debug, Clone)]
pub enum ListScope {
    Owner(String),
    All,
    Submitted,
    /// An MSL: assigned proposals, drafts only when advice was requested.
    Msl(String),
    /// A reviewer: proposals of the current round they were cleared (no conflict) to review.
    Reviewer(String),
    /// A partner CRO: studies assigned to its organisation.
    Cro(String),
    Nothing,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    pub q: Option<String>,
    /// Keyset cursor: the last id of the previous page (ids are UUIDv7, newest first).
    pub before_id: Option<String>,
    pub limit: i64,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &ListScope,
    filter: &ListFilter,
) -> QueryResult<Vec<ProposalListRow>> {
    // Built per backend (`db::on_backend`): the boxed query is typed by its backend.
    db::on_backend!(conn, |c| {
        let mut query = proposals::table
            .select(ProposalListRow::as_select())
            .order(proposals::id.desc())
            .limit(filter.limit)
            .into_boxed();
        query = match scope {
            ListScope::Owner(owner) => query.filter(proposals::owner_id.eq(owner.clone())),
            ListScope::All => query,
            ListScope::Submitted => query.filter(proposals::status.ne("draft")),
            ListScope::Msl(msl_id) => query
                .filter(
                    proposals::id.eq_any(
                        msl_assignments::table
                            .filter(msl_assignments::msl_id.eq(msl_id.clone()))
                            .filter(msl_assignments::unassigned_at.is_null())
                            .select(msl_assignments::proposal_id),
                    ),
                )
                .filter(
                    proposals::status
                        .ne("draft")
                        .or(proposals::advice_requested_at.is_not_null()),
                ),
            ListScope::Cro(org) => query.filter(
                proposals::id.eq_any(
                    cro_assignments::table
                        .filter(cro_assignments::organization_id.eq(org.clone()))
                        .filter(cro_assignments::unassigned_at.is_null())
                        .select(cro_assignments::proposal_id),
                ),
            ),
            ListScope::Reviewer(reviewer_id) => query.filter(
                proposals::id.eq_any(
                    review_assignments::table
                        .filter(review_assignments::reviewer_id.eq(reviewer_id.clone()))
                        .filter(review_assignments::coi_status.eq("none"))
                        .select(review_assignments::proposal_id),
                ),
            ),
            ListScope::Nothing => return Ok(Vec::new()),
        };
        if let Some(status) = &filter.status {
            query = query.filter(proposals::status.eq(status.clone()));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(proposals::updated_at.ge(since));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(&q.to_lowercase()));
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(LOWER(title) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR LOWER(COALESCE(reference, '')) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        if let Some(before) = &filter.before_id {
            query = query.filter(proposals::id.lt(before.clone()));
        }
        query.load(c)
    })
}

/// How many of `owner`'s proposals are in `status` (the to-do list's counts; an index on
/// owner and status answers it without reading the rows).
pub fn count_owned_in_status(
    conn: &mut DbConnection,
    owner: &str,
    status: &str,
) -> QueryResult<i64> {
    proposals::table
        .filter(proposals::owner_id.eq(owner))
        .filter(proposals::status.eq(status))
        .count()
        .get_result(conn)
}

/// `owner`'s open proposals whose newest advice message is by an author in `last_role`,
/// newest first, at most `limit` of them; and how many there are. Read through the index on
/// `(owner_id, advice_last_role, id)`: no thread is read.
pub fn owned_with_last_advice_by(
    conn: &mut DbConnection,
    owner: &str,
    last_role: &str,
    closed: &[&str],
    limit: i64,
) -> QueryResult<(Vec<ProposalListRow>, i64)> {
    let rows: Vec<ProposalListRow> = proposals::table
        .filter(proposals::owner_id.eq(owner))
        .filter(proposals::advice_last_role.eq(last_role))
        .filter(proposals::status.ne_all(closed))
        .order(proposals::id.desc())
        .limit(limit)
        .select(ProposalListRow::as_select())
        .load(conn)?;
    let count = if (rows.len() as i64) < limit {
        rows.len() as i64
    } else {
        proposals::table
            .filter(proposals::owner_id.eq(owner))
            .filter(proposals::advice_last_role.eq(last_role))
            .filter(proposals::status.ne_all(closed))
            .count()
            .get_result(conn)?
    };
    Ok((rows, count))
}

/// Drafts whose investigator asked for advice (the admins route those without an MSL).
pub fn drafts_awaiting_advice(conn: &mut DbConnection) -> QueryResult<Vec<ProposalListRow>> {
    proposals::table
        .filter(proposals::status.eq("draft"))
        .filter(proposals::advice_requested_at.is_not_null())
        .order(proposals::id.desc())
        .select(ProposalListRow::as_select())
        .load(conn)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[derive(QueryableByName)]
struct CounterValue {
    #[diesel(sql_type = Integer)]
    last_value: i32,
}

/// The next sequence number of `year`. The row lock (PostgreSQL) or the write lock (SQLite)
/// holds until the submitting transaction ends, and a rollback undoes the increment, so the
/// numbers are unique and gap-free.
pub fn next_reference_sequence(conn: &mut DbConnection, year: i32) -> QueryResult<i32> {
    let sql = match conn {
        DbConnection::Postgres(_) => {
            "INSERT INTO reference_counters (year, last_value) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last_value = reference_counters.last_value + 1 \
             RETURNING last_value"
        }
        DbConnection::Sqlite(_) => {
            "INSERT INTO reference_counters (year, last_value) VALUES (?, 1) \
             ON CONFLICT (year) DO UPDATE SET last_value = reference_counters.last_value + 1 \
             RETURNING last_value"
        }
    };
    diesel::sql_query(sql)
        .bind::<Integer, _>(year)
        .get_result::<CounterValue>(conn)
        .map(|row| row.last_value)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proposal_rounds)]
pub struct RoundRow {
    pub proposal_id: String,
    pub round: i32,
    pub content: String,
    pub submitted_at: NaiveDateTime,
    pub submitted_by: String,
}

pub fn insert_round(
    conn: &mut DbConnection,
    proposal_id: &str,
    round: i32,
    content_json: &str,
    submitted_by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(proposal_rounds::table)
        .values((
            proposal_rounds::proposal_id.eq(proposal_id),
            proposal_rounds::round.eq(round),
            proposal_rounds::content.eq(content_json),
            proposal_rounds::submitted_at.eq(at),
            proposal_rounds::submitted_by.eq(submitted_by),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn rounds(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Vec<RoundRow>> {
    proposal_rounds::table
        .filter(proposal_rounds::proposal_id.eq(proposal_id))
        .order(proposal_rounds::round.asc())
        .select(RoundRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = proposal_events)]
pub struct EventRow {
    pub id: String,
    pub proposal_id: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub actor_id: String,
    pub reason: Option<String>,
    pub at: NaiveDateTime,
}

pub struct NewEvent<'a> {
    pub proposal_id: &'a str,
    pub action: &'a str,
    pub from_status: &'a str,
    pub to_status: &'a str,
    pub actor_id: &'a str,
    pub reason: Option<&'a str>,
}

pub fn insert_event(conn: &mut DbConnection, event: &NewEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(proposal_events::table)
        .values((
            proposal_events::id.eq(db::new_id()),
            proposal_events::proposal_id.eq(event.proposal_id),
            proposal_events::action.eq(event.action),
            proposal_events::from_status.eq(event.from_status),
            proposal_events::to_status.eq(event.to_status),
            proposal_events::actor_id.eq(event.actor_id),
            proposal_events::reason.eq(event.reason),
            proposal_events::at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Events with the actor's display name, oldest first.
pub fn events_with_actor(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<(EventRow, String)>> {
    proposal_events::table
        .inner_join(users::table.on(users::id.eq(proposal_events::actor_id)))
        .filter(proposal_events::proposal_id.eq(proposal_id))
        .order((proposal_events::at.asc(), proposal_events::id.asc()))
        .select((EventRow::as_select(), users::display_name))
        .load(conn)
}

/// Records the reference number issued at first submission; returns the row.
pub fn set_reference(
    conn: &mut DbConnection,
    id: &str,
    reference: &str,
) -> QueryResult<ProposalRow> {
    diesel::update(proposals::table.filter(proposals::id.eq(id)))
        .set(proposals::reference.eq(Some(reference)))
        .returning(proposals::all_columns)
        .get_result(conn)
}

pub fn set_committee(conn: &mut DbConnection, id: &str, committee_id: &str) -> QueryResult<()> {
    diesel::update(proposals::table.filter(proposals::id.eq(id)))
        .set(proposals::committee_id.eq(Some(committee_id)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_advice_requested(
    conn: &mut DbConnection,
    id: &str,
    at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(proposals::table.filter(proposals::id.eq(id)))
        .set(proposals::advice_requested_at.eq(at))
        .execute(conn)
        .map(|_| ())
}
