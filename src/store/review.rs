//! Committees, reviewer assignments (conflict-of-interest declaration + review) and decisions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{committee_members, committees, decisions, review_assignments, users};
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = committees)]
pub struct CommitteeRow {
    pub id: String,
    pub name: String,
    pub quorum: i32,
    pub rubric: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert_committee(
    conn: &mut DbConnection,
    name: &str,
    quorum: i32,
    rubric_json: &str,
) -> QueryResult<CommitteeRow> {
    let now = db::now();
    let id = db::new_id();
    diesel::insert_into(committees::table)
        .values((
            committees::id.eq(&id),
            committees::name.eq(name),
            committees::quorum.eq(quorum),
            committees::rubric.eq(rubric_json),
            committees::version.eq(1i64),
            committees::created_at.eq(now),
            committees::updated_at.eq(now),
        ))
        .execute(conn)?;
    find_committee(conn, &id)
}

pub fn find_committee(conn: &mut DbConnection, id: &str) -> QueryResult<CommitteeRow> {
    committees::table
        .filter(committees::id.eq(id))
        .select(CommitteeRow::as_select())
        .first(conn)
}

pub fn list_committees(conn: &mut DbConnection) -> QueryResult<Vec<CommitteeRow>> {
    committees::table
        .order(committees::name.asc())
        .select(CommitteeRow::as_select())
        .load(conn)
}

pub fn update_committee(
    conn: &mut DbConnection,
    id: &str,
    expected_version: i64,
    name: &str,
    quorum: i32,
) -> QueryResult<bool> {
    let changed = diesel::update(
        committees::table
            .filter(committees::id.eq(id))
            .filter(committees::version.eq(expected_version)),
    )
    .set((
        committees::name.eq(name),
        committees::quorum.eq(quorum),
        committees::version.eq(expected_version + 1),
        committees::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user_id: String,
    pub display_name: String,
    pub email: String,
    pub member_role: String,
}

pub fn set_members(
    conn: &mut DbConnection,
    committee_id: &str,
    members: &[(String, String)],
) -> QueryResult<()> {
    diesel::delete(
        committee_members::table.filter(committee_members::committee_id.eq(committee_id)),
    )
    .execute(conn)?;
    for (user_id, role) in members {
        diesel::insert_into(committee_members::table)
            .values((
                committee_members::committee_id.eq(committee_id),
                committee_members::user_id.eq(user_id),
                committee_members::member_role.eq(role),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn members(conn: &mut DbConnection, committee_id: &str) -> QueryResult<Vec<Member>> {
    let rows: Vec<(String, String, String, String)> = committee_members::table
        .inner_join(users::table)
        .filter(committee_members::committee_id.eq(committee_id))
        .order(users::display_name.asc())
        .select((
            users::id,
            users::display_name,
            users::email,
            committee_members::member_role,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, display_name, email, member_role)| Member {
            user_id,
            display_name,
            email,
            member_role,
        })
        .collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = review_assignments)]
pub struct AssignmentRow {
    pub id: String,
    pub proposal_id: String,
    pub reviewer_id: String,
    pub round: i32,
    pub assigned_by: String,
    pub assigned_at: NaiveDateTime,
    pub coi_status: String,
    pub coi_kind: Option<String>,
    pub coi_note: Option<String>,
    pub coi_declared_at: Option<NaiveDateTime>,
    pub scores: String,
    pub recommendation: Option<String>,
    pub comments_to_investigator: String,
    pub confidential_comments: String,
    pub completed_at: Option<NaiveDateTime>,
    pub version: i64,
    pub updated_at: NaiveDateTime,
}

pub fn insert_assignment(
    conn: &mut DbConnection,
    proposal_id: &str,
    reviewer_id: &str,
    round: i32,
    assigned_by: &str,
    coi_status: &str,
) -> QueryResult<AssignmentRow> {
    let now = db::now();
    let id = db::new_id();
    diesel::insert_into(review_assignments::table)
        .values((
            review_assignments::id.eq(&id),
            review_assignments::proposal_id.eq(proposal_id),
            review_assignments::reviewer_id.eq(reviewer_id),
            review_assignments::round.eq(round),
            review_assignments::assigned_by.eq(assigned_by),
            review_assignments::assigned_at.eq(now),
            review_assignments::coi_status.eq(coi_status),
            review_assignments::scores.eq("{}"),
            review_assignments::comments_to_investigator.eq(""),
            review_assignments::confidential_comments.eq(""),
            review_assignments::version.eq(1i64),
            review_assignments::updated_at.eq(now),
        ))
        .execute(conn)?;
    review_assignments::table
        .filter(review_assignments::id.eq(&id))
        .select(AssignmentRow::as_select())
        .first(conn)
}

/// Assignments of a round with the reviewers' display names.
pub fn assignments(
    conn: &mut DbConnection,
    proposal_id: &str,
    round: i32,
) -> QueryResult<Vec<(AssignmentRow, String)>> {
    review_assignments::table
        .inner_join(users::table.on(users::id.eq(review_assignments::reviewer_id)))
        .filter(review_assignments::proposal_id.eq(proposal_id))
        .filter(review_assignments::round.eq(round))
        .order(review_assignments::assigned_at.asc())
        .select((AssignmentRow::as_select(), users::display_name))
        .load(conn)
}

pub fn assignment_of(
    conn: &mut DbConnection,
    proposal_id: &str,
    round: i32,
    reviewer_id: &str,
) -> QueryResult<Option<AssignmentRow>> {
    review_assignments::table
        .filter(review_assignments::proposal_id.eq(proposal_id))
        .filter(review_assignments::round.eq(round))
        .filter(review_assignments::reviewer_id.eq(reviewer_id))
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()
}

/// Has this user ever been assigned to review this proposal (any round)?
pub fn ever_assigned(
    conn: &mut DbConnection,
    proposal_id: &str,
    reviewer_id: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        review_assignments::table
            .filter(review_assignments::proposal_id.eq(proposal_id))
            .filter(review_assignments::reviewer_id.eq(reviewer_id)),
    ))
    .get_result(conn)
}

/// (assignment, proposal title, reference, proposal status)
pub type ReviewerAssignment = (AssignmentRow, String, Option<String>, String);

/// Open assignments of a reviewer (for the dashboard).
pub fn assignments_of_reviewer(
    conn: &mut DbConnection,
    reviewer_id: &str,
) -> QueryResult<Vec<ReviewerAssignment>> {
    use crate::db::schema::proposals;
    review_assignments::table
        .inner_join(proposals::table)
        .filter(review_assignments::reviewer_id.eq(reviewer_id))
        .filter(review_assignments::round.eq(proposals::round))
        .order(review_assignments::assigned_at.desc())
        .select((
            AssignmentRow::as_select(),
            proposals::title,
            proposals::reference,
            proposals::status,
        ))
        .load(conn)
}

pub fn declare_coi(
    conn: &mut DbConnection,
    assignment_id: &str,
    status: &str,
    kind: Option<&str>,
    note: Option<&str>,
) -> QueryResult<bool> {
    let now = db::now();
    let changed = diesel::update(
        review_assignments::table
            .filter(review_assignments::id.eq(assignment_id))
            .filter(review_assignments::coi_status.eq("pending")),
    )
    .set((
        review_assignments::coi_status.eq(status),
        review_assignments::coi_kind.eq(kind),
        review_assignments::coi_note.eq(note),
        review_assignments::coi_declared_at.eq(Some(now)),
        review_assignments::version.eq(review_assignments::version + 1),
        review_assignments::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub struct ReviewUpdate<'a> {
    pub scores_json: &'a str,
    pub recommendation: Option<&'a str>,
    pub comments_to_investigator: &'a str,
    pub confidential_comments: &'a str,
    pub completed_at: Option<NaiveDateTime>,
}

pub fn save_review(
    conn: &mut DbConnection,
    assignment_id: &str,
    expected_version: i64,
    update: &ReviewUpdate<'_>,
) -> QueryResult<bool> {
    let changed = diesel::update(
        review_assignments::table
            .filter(review_assignments::id.eq(assignment_id))
            .filter(review_assignments::version.eq(expected_version)),
    )
    .set((
        review_assignments::scores.eq(update.scores_json),
        review_assignments::recommendation.eq(update.recommendation),
        review_assignments::comments_to_investigator.eq(update.comments_to_investigator),
        review_assignments::confidential_comments.eq(update.confidential_comments),
        review_assignments::completed_at.eq(update.completed_at),
        review_assignments::version.eq(expected_version + 1),
        review_assignments::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = decisions)]
pub struct DecisionRow {
    pub id: String,
    pub proposal_id: String,
    pub round: i32,
    pub outcome: String,
    pub rationale: String,
    pub conditions: String,
    pub quorum_override_reason: Option<String>,
    pub decided_by: String,
    pub decided_at: NaiveDateTime,
}

pub struct NewDecision<'a> {
    pub proposal_id: &'a str,
    pub round: i32,
    pub outcome: &'a str,
    pub rationale: &'a str,
    pub conditions_json: &'a str,
    pub quorum_override_reason: Option<&'a str>,
    pub decided_by: &'a str,
}

pub fn insert_decision(conn: &mut DbConnection, new: &NewDecision<'_>) -> QueryResult<DecisionRow> {
    let id = db::new_id();
    diesel::insert_into(decisions::table)
        .values((
            decisions::id.eq(&id),
            decisions::proposal_id.eq(new.proposal_id),
            decisions::round.eq(new.round),
            decisions::outcome.eq(new.outcome),
            decisions::rationale.eq(new.rationale),
            decisions::conditions.eq(new.conditions_json),
            decisions::quorum_override_reason.eq(new.quorum_override_reason),
            decisions::decided_by.eq(new.decided_by),
            decisions::decided_at.eq(db::now()),
        ))
        .execute(conn)?;
    decisions::table
        .filter(decisions::id.eq(&id))
        .select(DecisionRow::as_select())
        .first(conn)
}

/// The most recent decision on a proposal.
pub fn latest_decision(
    conn: &mut DbConnection,
    proposal_id: &str,
) -> QueryResult<Option<DecisionRow>> {
    decisions::table
        .filter(decisions::proposal_id.eq(proposal_id))
        .order((decisions::decided_at.desc(), decisions::id.desc()))
        .select(DecisionRow::as_select())
        .first(conn)
        .optional()
}

/// The committee's scoring rubric; the default one when none (or none readable) is stored.
pub fn rubric_of(committee: &CommitteeRow) -> Vec<crate::domain::review::Criterion> {
    serde_json::from_str(&committee.rubric)
        .unwrap_or_else(|_| crate::domain::review::default_rubric())
}
