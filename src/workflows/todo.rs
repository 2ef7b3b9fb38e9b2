//! The caller's to-do list (issue #20): the work waiting for them, by role, read from the
//! proposals they may see. Each role reads through the same scopes its pages use (the
//! investigator's own proposals, the MSL's visible ones, the reviewer's assignments, the
//! chair's ranking with recusals left out), so the list shows nothing its reader could not
//! already open.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::lifecycle::Status;
use crate::domain::review::quorum_met;
use crate::domain::todo::{self, AdviceTurn, TodoGroup, TodoItem, TodoKind};
use crate::error::AppResult;
use crate::store::msl as msl_store;
use crate::store::proposals::{self as proposal_store, ListFilter, ProposalListRow};
use crate::store::study::{self as study_store, MilestoneScope};
use crate::workflows::{lifecycle, msl, proposals, review};

/// The to-do list of `principal` on `today` (the programme's date), grouped and counted.
pub fn todo_list(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
) -> AppResult<Vec<TodoGroup>> {
    let mut items = Vec::new();
    let mut known = Vec::new();
    match principal.role {
        Role::Investigator => known = investigator(conn, principal, today, &mut items)?,
        Role::Msl => msl_items(conn, principal, &mut items)?,
        Role::Reviewer => reviewer(conn, principal, &mut items)?,
        Role::Chair => {
            reviewer(conn, principal, &mut items)?;
            chair(conn, principal, &mut items)?;
        }
        Role::Admin => admin(conn, principal, today, &mut items)?,
        Role::Cro => cro(conn, principal, today, &mut items)?,
    }
    Ok(todo::group_counted(items, &known))
}

/// Pages below `/proposals/<id>` and the headings on them where the work is done.
const PROPOSAL: &str = "";
const REVIEW: &str = "review";
const COMMITTEE: &str = "committee";

fn item(
    kind: TodoKind,
    id: &str,
    reference: Option<String>,
    title: String,
    (page, anchor): (&'static str, &'static str),
) -> TodoItem {
    TodoItem {
        kind,
        proposal_id: id.to_string(),
        reference,
        title,
        page,
        anchor,
        milestone_kind: None,
        milestone_title: None,
        due_on: None,
        days: None,
    }
}

fn on_page(row: &ProposalListRow, kind: TodoKind, anchor: &'static str) -> TodoItem {
    item(
        kind,
        &row.id,
        row.reference.clone(),
        row.title.clone(),
        (PROPOSAL, anchor),
    )
}

/// Open milestones of the studies in `scope` that are due or overdue; `overdue_only` keeps
/// the overdue ones.
fn milestones(
    conn: &mut DbConnection,
    scope: &MilestoneScope,
    today: NaiveDate,
    overdue_only: bool,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    for (m, title, reference, _owner) in
        study_store::open_milestones_due(conn, scope, todo::due_by(today))?
    {
        let Some((kind, days)) = todo::milestone_due(m.due_on, m.completed_on, today) else {
            continue;
        };
        if overdue_only && kind != TodoKind::MilestoneOverdue {
            continue;
        }
        items.push(TodoItem {
            milestone_kind: Some(m.kind.clone()),
            milestone_title: (m.kind == "custom" && !m.title.is_empty()).then(|| m.title.clone()),
            due_on: m.due_on,
            days: Some(days),
            ..item(
                kind,
                &m.proposal_id,
                reference,
                title,
                (PROPOSAL, "milestones-heading"),
            )
        });
    }
    Ok(())
}

/// The investigator's list reads their own proposals only (their list scope), and reads
/// counts and the first `ITEMS_SHOWN` of each kind rather than every proposal they own.
fn investigator(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
    items: &mut Vec<TodoItem>,
) -> AppResult<Vec<(TodoKind, usize)>> {
    let owner = principal.user_id.as_str();
    let mut known = Vec::new();
    for (status, kind) in [
        (Status::Draft, TodoKind::DraftToFinish),
        (Status::RevisionRequested, TodoKind::ChangesRequested),
    ] {
        let rows = proposals::list(
            conn,
            principal,
            &ListFilter {
                status: Some(status.as_str().into()),
                limit: todo::ITEMS_SHOWN as i64,
                ..ListFilter::default()
            },
        )?;
        if rows.len() >= todo::ITEMS_SHOWN {
            let count = proposal_store::count_owned_in_status(conn, owner, status.as_str())?;
            known.push((kind, usize::try_from(count).unwrap_or(usize::MAX)));
        }
        items.extend(rows.iter().map(|row| on_page(row, kind, "")));
    }
    // The MSL wrote last: the investigator's turn (`todo::advice_turn`), read from the role
    // kept on each proposal.
    let (rows, count) = proposal_store::owned_with_last_advice_by(
        conn,
        owner,
        Role::Msl.as_str(),
        &CLOSED.map(|s| s.as_str()),
        todo::ITEMS_SHOWN as i64,
    )?;
    known.push((
        TodoKind::AdviceReply,
        usize::try_from(count).unwrap_or(usize::MAX),
    ));
    items.extend(
        rows.iter()
            .map(|row| on_page(row, TodoKind::AdviceReply, "advice-heading")),
    );
    milestones(
        conn,
        &MilestoneScope::Owner(owner.to_string()),
        today,
        false,
        items,
    )?;
    Ok(known)
}

/// Decided or ended proposals wait for no advice.
const CLOSED: [Status; 5] = [
    Status::Rejected,
    Status::Closed,
    Status::Terminated,
    Status::Withdrawn,
    Status::Completed,
];

fn is_closed(status: &str) -> bool {
    CLOSED.iter().any(|s| s.as_str() == status)
}

fn msl_items(
    conn: &mut DbConnection,
    principal: &Principal,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    // Whose turn each thread is comes from the role kept on the proposal, as for the
    // investigator (`store::msl::insert_advice`).
    for row in msl::visible_proposals(conn, principal)? {
        if is_closed(&row.status) {
            continue;
        }
        let requested = row.advice_requested_at.is_some();
        if todo::advice_turn(requested, row.advice_last_role.as_deref()) == AdviceTurn::Msl {
            let row = ProposalListRow::from(row);
            items.push(on_page(&row, TodoKind::AdviceRequest, "advice-heading"));
        }
    }
    Ok(())
}

fn reviewer(
    conn: &mut DbConnection,
    principal: &Principal,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    for (a, title, reference, status) in review::my_assignments(conn, principal)? {
        if status != Status::UnderReview.as_str() {
            continue;
        }
        let kind = match a.coi_status.as_str() {
            "pending" => TodoKind::ConflictToDeclare,
            "none" if a.completed_at.is_none() => TodoKind::ReviewDue,
            _ => continue,
        };
        // Before the declaration only the title is shown, as on the reviewer's list.
        items.push(item(kind, &a.proposal_id, reference, title, (REVIEW, "")));
    }
    Ok(())
}

fn chair(
    conn: &mut DbConnection,
    principal: &Principal,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    for r in review::ranking(conn, principal)? {
        if quorum_met(r.completed, r.quorum) {
            items.push(item(
                TodoKind::DecisionAwaiting,
                &r.id,
                r.reference,
                r.title,
                (COMMITTEE, ""),
            ));
        }
    }
    Ok(())
}

fn admin(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    let drafts = proposal_store::drafts_awaiting_advice(conn)?;
    let mut waiting = Vec::new();
    for status in [Status::Submitted, Status::UnderReview] {
        waiting.extend(proposals::list(
            conn,
            principal,
            &ListFilter {
                status: Some(status.as_str().into()),
                limit: 1000,
                ..ListFilter::default()
            },
        )?);
    }
    let ids: Vec<String> = drafts
        .iter()
        .chain(&waiting)
        .map(|r| r.id.clone())
        .collect();
    let with_msl: HashSet<String> = msl_store::with_msl(conn, &ids)?.into_iter().collect();
    for row in drafts.iter().filter(|r| !with_msl.contains(&r.id)) {
        items.push(on_page(row, TodoKind::AdviceWithoutMsl, "msl-heading"));
    }
    for row in waiting.iter().filter(|r| !with_msl.contains(&r.id)) {
        items.push(on_page(row, TodoKind::NeedsMsl, "msl-heading"));
    }
    for r in review::ranking(conn, principal)? {
        if (r.assigned as i64) < i64::from(r.quorum) {
            items.push(item(
                TodoKind::NeedsReviewers,
                &r.id,
                r.reference,
                r.title,
                (COMMITTEE, ""),
            ));
        }
    }
    let approved = proposals::list(
        conn,
        principal,
        &ListFilter {
            status: Some(Status::Approved.as_str().into()),
            limit: 1000,
            ..ListFilter::default()
        },
    )?;
    for row in &approved {
        let gates = study_store::gates(conn, &row.id)?;
        if !lifecycle::missing_gates(gates.as_ref()).is_empty() {
            items.push(on_page(row, TodoKind::GatesToRecord, "gates-heading"));
        }
    }
    milestones(conn, &MilestoneScope::All, today, true, items)
}

fn cro(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
    items: &mut Vec<TodoItem>,
) -> AppResult<()> {
    // The CRO's list scope: the studies assigned to its organisation.
    let Some(org) = &principal.organization_id else {
        return Ok(());
    };
    milestones(conn, &MilestoneScope::Cro(org.clone()), today, false, items)
}
