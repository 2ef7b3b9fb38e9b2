//! Field insights, listening priorities, the insights' append-only history and the restricted
//! phrases admins add.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    insight_history, insight_links, insight_restricted_phrases, insights, interactions,
    listening_priorities,
};
use crate::db::{self, DbConnection};

// ---------------------------------------------------------------- listening priorities

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = listening_priorities)]
pub struct PriorityRow {
    pub id: String,
    pub therapeutic_area: String,
    pub product: String,
    pub question_ja: String,
    pub question_en: String,
    pub active_from: NaiveDate,
    pub active_to: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct PriorityColumns<'a> {
    pub therapeutic_area: &'a str,
    pub product: &'a str,
    pub question_ja: &'a str,
    pub question_en: &'a str,
    pub active_from: NaiveDate,
    pub active_to: Option<NaiveDate>,
}

pub fn insert_priority(
    conn: &mut DbConnection,
    columns: &PriorityColumns<'_>,
    by: &str,
) -> QueryResult<PriorityRow> {
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(listening_priorities::table)
        .values((
            listening_priorities::id.eq(&id),
            listening_priorities::therapeutic_area.eq(columns.therapeutic_area),
            listening_priorities::product.eq(columns.product),
            listening_priorities::question_ja.eq(columns.question_ja),
            listening_priorities::question_en.eq(columns.question_en),
            listening_priorities::active_from.eq(columns.active_from),
            listening_priorities::active_to.eq(columns.active_to),
            listening_priorities::created_by.eq(by),
            listening_priorities::created_at.eq(now),
            listening_priorities::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_priority(conn, &id)
}

pub fn update_priority(
    conn: &mut DbConnection,
    id: &str,
    columns: &PriorityColumns<'_>,
) -> QueryResult<PriorityRow> {
    diesel::update(listening_priorities::table.filter(listening_priorities::id.eq(id)))
        .set((
            listening_priorities::therapeutic_area.eq(columns.therapeutic_area),
            listening_priorities::product.eq(columns.product),
            listening_priorities::question_ja.eq(columns.question_ja),
            listening_priorities::question_en.eq(columns.question_en),
            listening_priorities::active_from.eq(columns.active_from),
            listening_priorities::active_to.eq(columns.active_to),
            listening_priorities::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    find_priority(conn, id)
}

pub fn find_priority(conn: &mut DbConnection, id: &str) -> QueryResult<PriorityRow> {
    listening_priorities::table
        .filter(listening_priorities::id.eq(id))
        .select(PriorityRow::as_select())
        .first(conn)
}

pub fn priorities(conn: &mut DbConnection) -> QueryResult<Vec<PriorityRow>> {
    listening_priorities::table
        .order((
            listening_priorities::therapeutic_area.asc(),
            listening_priorities::active_from.desc(),
            listening_priorities::id.asc(),
        ))
        .select(PriorityRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- insights

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = insights)]
pub struct InsightRow {
    pub id: String,
    pub author_id: String,
    pub status: String,
    pub title: String,
    pub body: String,
    pub category: String,
    pub source: String,
    pub therapeutic_area: String,
    pub product: String,
    pub interaction_id: Option<String>,
    pub justification: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
}

/// The editable columns of a draft.
pub struct InsightColumns<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub category: &'a str,
    pub source: &'a str,
    pub therapeutic_area: &'a str,
    pub product: &'a str,
    pub interaction_id: Option<&'a str>,
}

pub fn insert_insight(
    conn: &mut DbConnection,
    author_id: &str,
    columns: &InsightColumns<'_>,
) -> QueryResult<InsightRow> {
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(insights::table)
        .values((
            insights::id.eq(&id),
            insights::author_id.eq(author_id),
            insights::status.eq("draft"),
            insights::title.eq(columns.title),
            insights::body.eq(columns.body),
            insights::category.eq(columns.category),
            insights::source.eq(columns.source),
            insights::therapeutic_area.eq(columns.therapeutic_area),
            insights::product.eq(columns.product),
            insights::interaction_id.eq(columns.interaction_id),
            insights::created_at.eq(now),
            insights::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_insight(conn, &id)
}

pub fn update_insight(
    conn: &mut DbConnection,
    id: &str,
    columns: &InsightColumns<'_>,
) -> QueryResult<InsightRow> {
    diesel::update(insights::table.filter(insights::id.eq(id)))
        .set((
            insights::title.eq(columns.title),
            insights::body.eq(columns.body),
            insights::category.eq(columns.category),
            insights::source.eq(columns.source),
            insights::therapeutic_area.eq(columns.therapeutic_area),
            insights::product.eq(columns.product),
            insights::interaction_id.eq(columns.interaction_id),
            insights::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    find_insight(conn, id)
}

/// Moves a draft to submitted; `false` when it was no longer a draft (a concurrent submit).
pub fn mark_submitted(
    conn: &mut DbConnection,
    id: &str,
    justification: Option<&str>,
) -> QueryResult<bool> {
    let now = db::now();
    let changed = diesel::update(
        insights::table
            .filter(insights::id.eq(id))
            .filter(insights::status.eq("draft")),
    )
    .set((
        insights::status.eq("submitted"),
        insights::justification.eq(justification),
        insights::submitted_at.eq(Some(now)),
        insights::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Moves a submitted insight to acknowledged; `false` when it was not submitted.
pub fn mark_acknowledged(conn: &mut DbConnection, id: &str, by: &str) -> QueryResult<bool> {
    let now = db::now();
    let changed = diesel::update(
        insights::table
            .filter(insights::id.eq(id))
            .filter(insights::status.eq("submitted")),
    )
    .set((
        insights::status.eq("acknowledged"),
        insights::acknowledged_at.eq(Some(now)),
        insights::acknowledged_by.eq(Some(by)),
        insights::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find_insight(conn: &mut DbConnection, id: &str) -> QueryResult<InsightRow> {
    insights::table
        .filter(insights::id.eq(id))
        .select(InsightRow::as_select())
        .first(conn)
}

/// Insights newest first; `author` limits them to one MSL's, `submitted_only` hides drafts.
pub fn list_insights(
    conn: &mut DbConnection,
    author: Option<&str>,
    submitted_only: bool,
) -> QueryResult<Vec<InsightRow>> {
    let mut query = insights::table.into_boxed();
    if let Some(author) = author {
        query = query.filter(insights::author_id.eq(author.to_string()));
    }
    if submitted_only {
        query = query.filter(insights::status.ne("draft"));
    }
    query
        .order((insights::updated_at.desc(), insights::id.desc()))
        .select(InsightRow::as_select())
        .load(conn)
}

/// Insights submitted in `[from, to)` (UTC times).
pub fn submitted_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<InsightRow>> {
    insights::table
        .filter(insights::submitted_at.ge(from))
        .filter(insights::submitted_at.lt(to))
        .order((insights::submitted_at.asc(), insights::id.asc()))
        .select(InsightRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- links

pub const LINK_KINDS: [&str; 3] = ["proposal", "investigator", "priority"];

/// Replaces the links of one kind.
pub fn set_links(
    conn: &mut DbConnection,
    insight_id: &str,
    kind: &str,
    targets: &[String],
) -> QueryResult<()> {
    diesel::delete(
        insight_links::table
            .filter(insight_links::insight_id.eq(insight_id))
            .filter(insight_links::kind.eq(kind)),
    )
    .execute(conn)?;
    for target in targets {
        diesel::insert_into(insight_links::table)
            .values((
                insight_links::insight_id.eq(insight_id),
                insight_links::kind.eq(kind),
                insight_links::target_id.eq(target),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (insight id, kind, target id) of the given insights.
pub fn links_of(
    conn: &mut DbConnection,
    insight_ids: &[String],
) -> QueryResult<Vec<(String, String, String)>> {
    if insight_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut all = Vec::new();
    // Bounded IN lists: SQLite limits bound parameters.
    for chunk in insight_ids.chunks(500) {
        let mut rows: Vec<(String, String, String)> = insight_links::table
            .filter(insight_links::insight_id.eq_any(chunk))
            .order((insight_links::insight_id.asc(), insight_links::kind.asc()))
            .select((
                insight_links::insight_id,
                insight_links::kind,
                insight_links::target_id,
            ))
            .load(conn)?;
        all.append(&mut rows);
    }
    Ok(all)
}

// ---------------------------------------------------------------- history

pub struct HistoryEntry<'a> {
    pub insight_id: &'a str,
    pub actor_id: &'a str,
    pub action: &'a str,
    pub status: &'a str,
    pub snapshot: &'a str,
    pub compliance_matches: &'a str,
    pub justification: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = insight_history)]
pub struct HistoryRow {
    pub id: String,
    pub insight_id: String,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub action: String,
    pub status: String,
    pub snapshot: String,
    pub compliance_matches: String,
    pub justification: Option<String>,
}

pub fn append_history(conn: &mut DbConnection, entry: &HistoryEntry<'_>) -> QueryResult<()> {
    diesel::insert_into(insight_history::table)
        .values((
            insight_history::id.eq(db::new_id()),
            insight_history::insight_id.eq(entry.insight_id),
            insight_history::at.eq(db::now()),
            insight_history::actor_id.eq(entry.actor_id),
            insight_history::action.eq(entry.action),
            insight_history::status.eq(entry.status),
            insight_history::snapshot.eq(entry.snapshot),
            insight_history::compliance_matches.eq(entry.compliance_matches),
            insight_history::justification.eq(entry.justification),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn history_of(conn: &mut DbConnection, insight_id: &str) -> QueryResult<Vec<HistoryRow>> {
    insight_history::table
        .filter(insight_history::insight_id.eq(insight_id))
        .order((insight_history::at.asc(), insight_history::id.asc()))
        .select(HistoryRow::as_select())
        .load(conn)
}

// ---------------------------------------------------------------- restricted phrases

/// (phrase, kind) added by admins, oldest first.
pub fn restricted_phrases(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    insight_restricted_phrases::table
        .order((
            insight_restricted_phrases::created_at.asc(),
            insight_restricted_phrases::id.asc(),
        ))
        .select((
            insight_restricted_phrases::phrase,
            insight_restricted_phrases::kind,
        ))
        .load(conn)
}

pub fn add_restricted_phrase(
    conn: &mut DbConnection,
    phrase: &str,
    kind: &str,
    by: &str,
) -> QueryResult<()> {
    diesel::insert_into(insight_restricted_phrases::table)
        .values((
            insight_restricted_phrases::id.eq(db::new_id()),
            insight_restricted_phrases::phrase.eq(phrase),
            insight_restricted_phrases::kind.eq(kind),
            insight_restricted_phrases::created_by.eq(by),
            insight_restricted_phrases::created_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn remove_restricted_phrase(conn: &mut DbConnection, phrase: &str) -> QueryResult<usize> {
    diesel::delete(
        insight_restricted_phrases::table.filter(insight_restricted_phrases::phrase.eq(phrase)),
    )
    .execute(conn)
}

// ---------------------------------------------------------------- interactions

/// (proposal id, MSL id, summary) of an interaction-log entry.
pub fn interaction(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<(String, String, String)>> {
    interactions::table
        .filter(interactions::id.eq(id))
        .select((
            interactions::proposal_id,
            interactions::msl_id,
            interactions::summary,
        ))
        .first(conn)
        .optional()
}
