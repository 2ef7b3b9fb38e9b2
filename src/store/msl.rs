//! MSL protocol support: assignments, advice threads, the interaction log and documents.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{advice, documents, interactions, msl_assignments, proposals, users};
use crate::db::{self, DbConnection};

/// Is the MSL currently assigned to the proposal?
pub fn is_assigned(conn: &mut DbConnection, proposal_id: &str, msl_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        msl_assignments::table
            .filter(msl_assignments::proposal_id.eq(proposal_id))
            .filter(msl_assignments::msl_id.eq(msl_id))
            .filter(msl_assignments::unassigned_at.is_null()),
    ))
    .get_result(conn)
}

/// Was this person ever an MSL on the proposal (assigned, or wrote advice as an MSL)?
pub fn has_advised(conn: &mut DbConnection, proposal_id: &str, user_id: &str) -> QueryResult<bool> {
    let assigned: bool = diesel::select(diesel::dsl::exists(
        msl_assignments::table
            .filter(msl_assignments::proposal_id.eq(proposal_id))
            .filter(msl_assignments::msl_id.eq(user_id)),
    ))
    .get_result(conn)?;
    if assigned {
        return Ok(true);
    }
    diesel::select(diesel::dsl::exists(
        advice::table
            .filter(advice::proposal_id.eq(proposal_id))
            .filter(advice::author_id.eq(user_id))
            .filter(advice::author_role.eq("msl")),
    ))
    .get_result(conn)
}

pub fn assign(
    conn: &mut DbConnection,
    proposal_id: &str,
    msl_id: &str,
    by: &str,
) -> QueryResult<()> {
    diesel::insert_into(msl_assignments::table)
        .values((
            msl_assignments::id.eq(db::new_id()),
            msl_assignments::proposal_id.eq(proposal_id),
            msl_assignments::msl_id.eq(msl_id),
            msl_assignments::assigned_by.eq(by),
            msl_assignments::assigned_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn unassign(conn: &mut DbConnection, proposal_id: &str, msl_id: &str) -> QueryResult<usize> {
    diesel::update(
        msl_assignments::table
            .filter(msl_assignments::proposal_id.eq(proposal_id))
            .filter(msl_assignments::msl_id.eq(msl_id))
            .filter(msl_assignments::unassigned_at.is_null()),
    )
    .set(msl_assignments::unassigned_at.eq(Some(db::now())))
    .execute(conn)
}

/// Current MSLs of a proposal: (user id, display name, email).
pub fn assigned_msls(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<(String, String, String)>> {
    msl_assignments::table
        .inner_join(users::table.on(users::id.eq(msl_assignments::msl_id)))
        .filter(msl_assignments::proposal_id.eq(proposal_id))
        .filter(msl_assignments::unassigned_at.is_null())
        .order(msl_assignments::assigned_at.asc())
        .select((users::id, users::display_name, users::email))
        .load(conn)
}

/// Proposals an MSL is assigned to (ids).
pub fn proposals_of_msl(conn: &mut DbConnection, msl_id: &str) -> QueryResult<Vec<String>> {
    msl_assignments::table
        .filter(msl_assignments::msl_id.eq(msl_id))
        .filter(msl_assignments::unassigned_at.is_null())
        .select(msl_assignments::proposal_id)
        .load(conn)
}

/// Proposals (among `ids`) with at least one MSL assigned now.
pub fn with_msl(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<String>> {
    msl_assignments::table
        .filter(msl_assignments::proposal_id.eq_any(ids))
        .filter(msl_assignments::unassigned_at.is_null())
        .select(msl_assignments::proposal_id)
        .distinct()
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = advice)]
pub struct AdviceRow {
    pub id: String,
    pub proposal_id: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    pub author_role: String,
    pub section: Option<String>,
    pub body: String,
    pub created_at: NaiveDateTime,
}

pub struct NewAdvice<'a> {
    pub proposal_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub author_id: &'a str,
    pub author_role: &'a str,
    pub section: Option<&'a str>,
    pub body: &'a str,
}

pub fn insert_advice(conn: &mut DbConnection, new: &NewAdvice<'_>) -> QueryResult<AdviceRow> {
    let id = db::new_id();
    diesel::insert_into(advice::table)
        .values((
            advice::id.eq(&id),
            advice::proposal_id.eq(new.proposal_id),
            advice::parent_id.eq(new.parent_id),
            advice::author_id.eq(new.author_id),
            advice::author_role.eq(new.author_role),
            advice::section.eq(new.section),
            advice::body.eq(new.body),
            advice::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    // Whose turn the thread is, kept on the proposal for the to-do lists (migration 000011).
    diesel::update(proposals::table.filter(proposals::id.eq(new.proposal_id)))
        .set(proposals::advice_last_role.eq(new.author_role))
        .execute(conn)?;
    advice::table
        .filter(advice::id.eq(&id))
        .select(AdviceRow::as_select())
        .first(conn)
}

/// The whole thread with author names, oldest first.
pub fn advice_thread(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<(AdviceRow, String)>> {
    advice::table
        .inner_join(users::table.on(users::id.eq(advice::author_id)))
        .filter(advice::proposal_id.eq(proposal_id))
        .order((advice::created_at.asc(), advice::id.asc()))
        .select((AdviceRow::as_select(), users::display_name))
        .load(conn)
}

pub fn find_advice(conn: &mut DbConnection, id: &str) -> QueryResult<AdviceRow> {
    advice::table
        .filter(advice::id.eq(id))
        .select(AdviceRow::as_select())
        .first(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interactions)]
pub struct InteractionRow {
    pub id: String,
    pub proposal_id: String,
    pub msl_id: String,
    pub occurred_on: NaiveDate,
    pub channel: String,
    pub summary: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_interaction(
    conn: &mut DbConnection,
    proposal_id: &str,
    msl_id: &str,
    occurred_on: NaiveDate,
    channel: &str,
    summary: &str,
) -> QueryResult<InteractionRow> {
    let id = db::new_id();
    diesel::insert_into(interactions::table)
        .values((
            interactions::id.eq(&id),
            interactions::proposal_id.eq(proposal_id),
            interactions::msl_id.eq(msl_id),
            interactions::occurred_on.eq(occurred_on),
            interactions::channel.eq(channel),
            interactions::summary.eq(summary),
            interactions::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    interactions::table
        .filter(interactions::id.eq(&id))
        .select(InteractionRow::as_select())
        .first(conn)
}

pub fn interactions_of(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<(InteractionRow, String)>> {
    interactions::table
        .inner_join(users::table.on(users::id.eq(interactions::msl_id)))
        .filter(interactions::proposal_id.eq(proposal_id))
        .order((interactions::occurred_on.asc(), interactions::id.asc()))
        .select((InteractionRow::as_select(), users::display_name))
        .load(conn)
}

/// Document metadata (no content).
#[derive(Debug, Clone, Queryable)]
pub struct DocumentMeta {
    pub id: String,
    pub proposal_id: String,
    pub doc_type: String,
    pub version: i32,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

type MetaColumns = (
    documents::id,
    documents::proposal_id,
    documents::doc_type,
    documents::version,
    documents::file_name,
    documents::media_type,
    documents::size_bytes,
    documents::sha256,
    documents::uploaded_by,
    documents::uploaded_at,
);

const META: MetaColumns = (
    documents::id,
    documents::proposal_id,
    documents::doc_type,
    documents::version,
    documents::file_name,
    documents::media_type,
    documents::size_bytes,
    documents::sha256,
    documents::uploaded_by,
    documents::uploaded_at,
);

pub struct NewDocument<'a> {
    pub proposal_id: &'a str,
    pub doc_type: &'a str,
    pub file_name: &'a str,
    pub media_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub uploaded_by: &'a str,
}

/// Stores the next version of a document type; earlier versions are never touched.
pub fn insert_document(
    conn: &mut DbConnection,
    new: &NewDocument<'_>,
) -> QueryResult<DocumentMeta> {
    let latest: Option<i32> = documents::table
        .filter(documents::proposal_id.eq(new.proposal_id))
        .filter(documents::doc_type.eq(new.doc_type))
        .select(diesel::dsl::max(documents::version))
        .first(conn)?;
    let id = db::new_id();
    diesel::insert_into(documents::table)
        .values((
            documents::id.eq(&id),
            documents::proposal_id.eq(new.proposal_id),
            documents::doc_type.eq(new.doc_type),
            documents::version.eq(latest.unwrap_or(0) + 1),
            documents::file_name.eq(new.file_name),
            documents::media_type.eq(new.media_type),
            documents::size_bytes.eq(new.content.len() as i64),
            documents::sha256.eq(new.sha256),
            documents::content.eq(new.content),
            documents::uploaded_by.eq(new.uploaded_by),
            documents::uploaded_at.eq(db::now()),
        ))
        .execute(conn)?;
    documents::table
        .filter(documents::id.eq(&id))
        .select(META)
        .first(conn)
}

pub fn documents_of(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Vec<DocumentMeta>> {
    documents::table
        .filter(documents::proposal_id.eq(proposal_id))
        .order((documents::doc_type.asc(), documents::version.desc()))
        .select(META)
        .load(conn)
}

pub fn document_content(
    conn: &mut DbConnection,
    proposal_id: &str,
    id: &str,
) -> QueryResult<(DocumentMeta, Vec<u8>)> {
    let meta = documents::table
        .filter(documents::proposal_id.eq(proposal_id))
        .filter(documents::id.eq(id))
        .select(META)
        .first(conn)?;
    let content = documents::table
        .filter(documents::id.eq(id))
        .select(documents::content)
        .first(conn)?;
    Ok((meta, content))
}
