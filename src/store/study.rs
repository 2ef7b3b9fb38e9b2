//! Study tracking records: gates, milestones, enrollment, publications, payments, calendars.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::{
    calendar_tokens, cro_assignments, enrollment_updates, milestones, payments, proposals,
    publications, study_gates,
};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Default, Queryable, Selectable, PartialEq)]
#[diesel(table_name = study_gates)]
pub struct GatesRow {
    pub proposal_id: String,
    pub contract_signed_on: Option<NaiveDate>,
    pub ethics_committee: Option<String>,
    pub ethics_approved_on: Option<NaiveDate>,
    pub ethics_approval_number: Option<String>,
    pub registry: Option<String>,
    pub registry_id: Option<String>,
    pub updated_at: NaiveDateTime,
}

pub fn gates(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Option<GatesRow>> {
    study_gates::table
        .filter(study_gates::proposal_id.eq(proposal_id))
        .select(GatesRow::as_select())
        .first(conn)
        .optional()
}

pub fn save_gates(conn: &mut DbConnection, gates: &GatesRow) -> QueryResult<()> {
    diesel::delete(study_gates::table.filter(study_gates::proposal_id.eq(&gates.proposal_id)))
        .execute(conn)?;
    diesel::insert_into(study_gates::table)
        .values((
            study_gates::proposal_id.eq(&gates.proposal_id),
            study_gates::contract_signed_on.eq(gates.contract_signed_on),
            study_gates::ethics_committee.eq(&gates.ethics_committee),
            study_gates::ethics_approved_on.eq(gates.ethics_approved_on),
            study_gates::ethics_approval_number.eq(&gates.ethics_approval_number),
            study_gates::registry.eq(&gates.registry),
            study_gates::registry_id.eq(&gates.registry_id),
            study_gates::updated_at.eq(gates.updated_at),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = milestones)]
pub struct MilestoneRow {
    pub id: String,
    pub proposal_id: String,
    pub kind: String,
    pub title: String,
    pub due_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub owner_role: String,
    pub note: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct NewMilestone<'a> {
    pub proposal_id: &'a str,
    pub kind: &'a str,
    pub title: &'a str,
    pub due_on: Option<NaiveDate>,
    pub owner_role: &'a str,
    pub note: &'a str,
}

pub fn insert_milestone(
    conn: &mut DbConnection,
    new: &NewMilestone<'_>,
) -> QueryResult<MilestoneRow> {
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(milestones::table)
        .values((
            milestones::id.eq(&id),
            milestones::proposal_id.eq(new.proposal_id),
            milestones::kind.eq(new.kind),
            milestones::title.eq(new.title),
            milestones::due_on.eq(new.due_on),
            milestones::owner_role.eq(new.owner_role),
            milestones::note.eq(new.note),
            milestones::version.eq(1i64),
            milestones::created_at.eq(now),
            milestones::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_milestone(conn, &id)
}

pub fn find_milestone(conn: &mut DbConnection, id: &str) -> QueryResult<MilestoneRow> {
    milestones::table
        .filter(milestones::id.eq(id))
        .select(MilestoneRow::as_select())
        .first(conn)
}

pub fn milestones_of(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Vec<MilestoneRow>> {
    milestones::table
        .filter(milestones::proposal_id.eq(proposal_id))
        .order((milestones::due_on.asc(), milestones::id.asc()))
        .select(MilestoneRow::as_select())
        .load(conn)
}

pub struct MilestoneUpdate<'a> {
    pub due_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub note: &'a str,
}

pub fn update_milestone(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    update: &MilestoneUpdate<'_>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        milestones::table
            .filter(milestones::id.eq(id))
            .filter(milestones::version.eq(expected_version)),
    )
    .set((
        milestones::due_on.eq(update.due_on),
        milestones::completed_on.eq(update.completed_on),
        milestones::note.eq(update.note),
        milestones::version.eq(expected_version + 1),
        milestones::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// (milestone, proposal title, reference, owner id)
pub type OpenMilestone = (MilestoneRow, String, Option<String>, String);

/// Open milestones with a due date, of studies being tracked (approved or active), for the
/// reminder job and the overdue view.
pub fn open_milestones(conn: &mut DbConnection) -> QueryResult<Vec<OpenMilestone>> {
    milestones::table
        .inner_join(proposals::table)
        .filter(milestones::completed_on.is_null())
        .filter(milestones::due_on.is_not_null())
        .filter(proposals::status.eq_any(["approved", "active"]))
        .order(milestones::due_on.asc())
        .select((
            MilestoneRow::as_select(),
            proposals::title,
            proposals::reference,
            proposals::owner_id,
        ))
        .load(conn)
}

/// Whose studies' milestones a to-do list reads.
#[derive(Debug, Clone, PartialEq)]
pub enum MilestoneScope {
    All,
    /// The studies an investigator owns.
    Owner(String),
    /// The studies assigned to a partner CRO's organisation.
    Cro(String),
}

/// `open_milestones` of the studies in `scope` due on or before `due_by`, read with those
/// limits in the statement (the home page must not read the programme's every milestone).
pub fn open_milestones_due(
    conn: &mut DbConnection,
    scope: &MilestoneScope,
    due_by: NaiveDate,
) -> QueryResult<Vec<OpenMilestone>> {
    let mut query = milestones::table
        .inner_join(proposals::table)
        .filter(milestones::completed_on.is_null())
        .filter(milestones::due_on.le(due_by))
        .filter(proposals::status.eq_any(["approved", "active"]))
        .order((milestones::due_on.asc(), milestones::id.asc()))
        .select((
            MilestoneRow::as_select(),
            proposals::title,
            proposals::reference,
            proposals::owner_id,
        ))
        .into_boxed();
    query = match scope {
        MilestoneScope::All => query,
        MilestoneScope::Owner(owner) => query.filter(proposals::owner_id.eq(owner.clone())),
        MilestoneScope::Cro(org) => query.filter(
            milestones::proposal_id.eq_any(
                cro_assignments::table
                    .filter(cro_assignments::organization_id.eq(org.clone()))
                    .filter(cro_assignments::unassigned_at.is_null())
                    .select(cro_assignments::proposal_id),
            ),
        ),
    };
    query.load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = enrollment_updates)]
pub struct EnrollmentRow {
    pub id: String,
    pub proposal_id: String,
    pub as_of: NaiveDate,
    pub enrolled: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_enrollment(
    conn: &mut DbConnection,
    proposal_id: &str,
    as_of: NaiveDate,
    enrolled: i32,
    by: &str,
) -> QueryResult<EnrollmentRow> {
    let id = db::new_id();
    diesel::insert_into(enrollment_updates::table)
        .values((
            enrollment_updates::id.eq(&id),
            enrollment_updates::proposal_id.eq(proposal_id),
            enrollment_updates::as_of.eq(as_of),
            enrollment_updates::enrolled.eq(enrolled),
            enrollment_updates::created_by.eq(by),
            enrollment_updates::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    enrollment_updates::table
        .filter(enrollment_updates::id.eq(&id))
        .select(EnrollmentRow::as_select())
        .first(conn)
}

pub fn enrollment_of(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<EnrollmentRow>> {
    enrollment_updates::table
        .filter(enrollment_updates::proposal_id.eq(proposal_id))
        .order((
            enrollment_updates::as_of.asc(),
            enrollment_updates::created_at.asc(),
        ))
        .select(EnrollmentRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = publications)]
pub struct PublicationRow {
    pub id: String,
    pub proposal_id: String,
    pub kind: String,
    pub title: String,
    pub venue: String,
    pub status: String,
    pub submitted_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    pub published_on: Option<NaiveDate>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub congress_name: Option<String>,
    pub city: Option<String>,
    pub presented_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_publication(
    conn: &mut DbConnection,
    row: &PublicationRow,
) -> QueryResult<PublicationRow> {
    let now = db::now();
    diesel::insert_into(publications::table)
        .values((
            publications::id.eq(&row.id),
            publications::proposal_id.eq(&row.proposal_id),
            publications::kind.eq(&row.kind),
            publications::title.eq(&row.title),
            publications::venue.eq(&row.venue),
            publications::status.eq(&row.status),
            publications::submitted_on.eq(row.submitted_on),
            publications::accepted_on.eq(row.accepted_on),
            publications::published_on.eq(row.published_on),
            publications::doi.eq(&row.doi),
            publications::pmid.eq(&row.pmid),
            publications::congress_name.eq(&row.congress_name),
            publications::city.eq(&row.city),
            publications::presented_on.eq(row.presented_on),
            publications::created_at.eq(now),
            publications::updated_at.eq(now),
        ))
        .execute(conn)?;
    publications::table
        .filter(publications::id.eq(&row.id))
        .select(PublicationRow::as_select())
        .first(conn)
}

pub fn publications_of(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<PublicationRow>> {
    publications::table
        .filter(publications::proposal_id.eq(proposal_id))
        .order(publications::created_at.asc())
        .select(PublicationRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, PartialEq)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: String,
    pub proposal_id: String,
    pub milestone_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub paid_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_payment(
    conn: &mut DbConnection,
    proposal_id: &str,
    milestone_id: Option<&str>,
    amount: i64,
    currency: &str,
) -> QueryResult<PaymentRow> {
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(&id),
            payments::proposal_id.eq(proposal_id),
            payments::milestone_id.eq(milestone_id),
            payments::amount.eq(amount),
            payments::currency.eq(currency),
            payments::created_at.eq(now),
            payments::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_payment(conn, &id)
}

pub fn find_payment(conn: &mut DbConnection, id: &str) -> QueryResult<PaymentRow> {
    payments::table
        .filter(payments::id.eq(id))
        .select(PaymentRow::as_select())
        .first(conn)
}

pub fn payments_of(conn: &mut DbConnection, proposal_id: &str) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::proposal_id.eq(proposal_id))
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .load(conn)
}

pub fn mark_paid(conn: &mut DbConnection, id: &str, paid_on: NaiveDate) -> QueryResult<bool> {
    let changed = diesel::update(
        payments::table
            .filter(payments::id.eq(id))
            .filter(payments::paid_on.is_null()),
    )
    .set((
        payments::paid_on.eq(Some(paid_on)),
        payments::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Payments made within a date range (inclusive), for the disclosure export.
pub fn paid_between(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::paid_on.ge(from))
        .filter(payments::paid_on.le(to))
        .order(payments::paid_on.asc())
        .select(PaymentRow::as_select())
        .load(conn)
}

pub fn set_calendar_token(
    conn: &mut DbConnection,
    user_id: &str,
    token_hash: &str,
) -> QueryResult<()> {
    diesel::delete(calendar_tokens::table.filter(calendar_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::insert_into(calendar_tokens::table)
        .values((
            calendar_tokens::user_id.eq(user_id),
            calendar_tokens::token_hash.eq(token_hash),
            calendar_tokens::created_at.eq(db::now()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn calendar_owner(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<String>> {
    calendar_tokens::table
        .filter(calendar_tokens::token_hash.eq(token_hash))
        .select(calendar_tokens::user_id)
        .first(conn)
        .optional()
}
