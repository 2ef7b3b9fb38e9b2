//! Partner organisations, their study assignments and webhook endpoints.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{cro_assignments, organizations, webhooks};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub service_user_id: Option<String>,
}

pub fn insert_organization(
    conn: &mut DbConnection,
    name: &str,
    kind: &str,
) -> QueryResult<OrganizationRow> {
    let id = db::new_id();
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&id),
            organizations::name.eq(name),
            organizations::kind.eq(kind),
            organizations::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    find_organization(conn, &id)
}

pub fn set_service_user(conn: &mut DbConnection, id: &str, user_id: &str) -> QueryResult<()> {
    diesel::update(organizations::table.filter(organizations::id.eq(id)))
        .set(organizations::service_user_id.eq(Some(user_id)))
        .execute(conn)
        .map(|_| ())
}

pub fn find_organization(conn: &mut DbConnection, id: &str) -> QueryResult<OrganizationRow> {
    organizations::table
        .filter(organizations::id.eq(id))
        .select(OrganizationRow::as_select())
        .first(conn)
}

pub fn list_organizations(conn: &mut DbConnection) -> QueryResult<Vec<OrganizationRow>> {
    organizations::table
        .order(organizations::name.asc())
        .select(OrganizationRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cro_assignments)]
pub struct CroAssignmentRow {
    pub id: String,
    pub proposal_id: String,
    pub organization_id: String,
    pub cro_role: String,
    pub assigned_by: String,
    pub assigned_at: NaiveDateTime,
    pub unassigned_at: Option<NaiveDateTime>,
}

pub fn assign(
    conn: &mut DbConnection,
    proposal_id: &str,
    organization_id: &str,
    role: &str,
    by: &str,
) -> QueryResult<CroAssignmentRow> {
    let id = db::new_id();
    diesel::insert_into(cro_assignments::table)
        .values((
            cro_assignments::id.eq(&id),
            cro_assignments::proposal_id.eq(proposal_id),
            cro_assignments::organization_id.eq(organization_id),
            cro_assignments::cro_role.eq(role),
            cro_assignments::assigned_by.eq(by),
            cro_assignments::assigned_at.eq(db::now()),
        ))
        .execute(conn)?;
    cro_assignments::table
        .filter(cro_assignments::id.eq(&id))
        .select(CroAssignmentRow::as_select())
        .first(conn)
}

pub fn unassign(
    conn: &mut DbConnection,
    proposal_id: &str,
    organization_id: &str,
) -> QueryResult<usize> {
    diesel::update(
        cro_assignments::table
            .filter(cro_assignments::proposal_id.eq(proposal_id))
            .filter(cro_assignments::organization_id.eq(organization_id))
            .filter(cro_assignments::unassigned_at.is_null()),
    )
    .set(cro_assignments::unassigned_at.eq(Some(db::now())))
    .execute(conn)
}

/// Current CRO assignments of a proposal.
pub fn assignments_of(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<CroAssignmentRow>> {
    cro_assignments::table
        .filter(cro_assignments::proposal_id.eq(proposal_id))
        .filter(cro_assignments::unassigned_at.is_null())
        .order(cro_assignments::assigned_at.asc())
        .select(CroAssignmentRow::as_select())
        .load(conn)
}

/// The role of `organization_id` on the study, while it is assigned.
pub fn assigned_role(
    conn: &mut DbConnection,
    proposal_id: &str,
    organization_id: &str,
) -> QueryResult<Option<String>> {
    cro_assignments::table
        .filter(cro_assignments::proposal_id.eq(proposal_id))
        .filter(cro_assignments::organization_id.eq(organization_id))
        .filter(cro_assignments::unassigned_at.is_null())
        .select(cro_assignments::cro_role)
        .first(conn)
        .optional()
}

pub fn is_assigned(
    conn: &mut DbConnection,
    proposal_id: &str,
    organization_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        cro_assignments::table
            .filter(cro_assignments::proposal_id.eq(proposal_id))
            .filter(cro_assignments::organization_id.eq(organization_id))
            .filter(cro_assignments::unassigned_at.is_null()),
    ))
    .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct WebhookRow {
    pub id: String,
    pub organization_id: String,
    pub url: String,
    pub secret: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert_webhook(
    conn: &mut DbConnection,
    organization_id: &str,
    url: &str,
    secret: &str,
) -> QueryResult<WebhookRow> {
    let id = db::new_id();
    diesel::insert_into(webhooks::table)
        .values((
            webhooks::id.eq(&id),
            webhooks::organization_id.eq(organization_id),
            webhooks::url.eq(url),
            webhooks::secret.eq(secret),
            webhooks::active.eq(true),
            webhooks::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    find_webhook(conn, &id)
}

pub fn find_webhook(conn: &mut DbConnection, id: &str) -> QueryResult<WebhookRow> {
    webhooks::table
        .filter(webhooks::id.eq(id))
        .select(WebhookRow::as_select())
        .first(conn)
}

pub fn webhooks_of(conn: &mut DbConnection, organization_id: &str) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::organization_id.eq(organization_id))
        .order(webhooks::created_at.asc())
        .select(WebhookRow::as_select())
        .load(conn)
}

/// Active webhooks of every organisation assigned to a proposal.
pub fn webhooks_for_proposal(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Vec<WebhookRow>> {
    webhooks::table
        .filter(webhooks::active.eq(true))
        .filter(
            webhooks::organization_id.eq_any(
                cro_assignments::table
                    .filter(cro_assignments::proposal_id.eq(proposal_id))
                    .filter(cro_assignments::unassigned_at.is_null())
                    .select(cro_assignments::organization_id),
            ),
        )
        .select(WebhookRow::as_select())
        .load(conn)
}
