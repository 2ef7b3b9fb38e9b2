//! Milestone reminders and escalations, and the overdue list.

use chrono::NaiveDate;

use crate::auth::Principal;
use crate::db::DbConnection;
use crate::domain::Role;
use crate::domain::reminders::{ReminderStep, steps_through};
use crate::domain::study::days_overdue;
use crate::error::{AppError, AppResult};
use crate::notify::{self, Email, Recipient};
use crate::store::study::{self as store};

use super::common::*;
use crate::store::study::MilestoneRow;
use crate::store::{msl as msl_store, users};

/// Queues every reminder due by `today` (the schedule in docs/PRODUCT.md#reminders). Each
/// (milestone, step, recipient) has a unique outbox key, so running this often, or in several
/// processes at once, sends each reminder once. Returns how many were queued now.
pub fn queue_reminders(conn: &mut DbConnection, today: NaiveDate) -> AppResult<usize> {
    let mut queued = 0;
    for (milestone, title, reference, owner_id) in store::open_milestones(conn)? {
        let Some(due) = milestone.due_on else {
            continue;
        };
        let steps = steps_through(due, today);
        if steps.is_empty() {
            continue;
        }
        let admins = users::active_with_role(conn, Role::Admin)?;
        let mut msls = Vec::new();
        for (id, _, _) in msl_store::assigned_msls(conn, &milestone.proposal_id)? {
            msls.push(users::find(conn, &id)?);
        }
        let owner = users::find(conn, &owner_id)?;
        for step in steps {
            let recipients = if step.is_escalation() {
                msls.iter()
                    .chain(admins.iter())
                    .cloned()
                    .collect::<Vec<_>>()
            } else {
                match milestone.owner_role.as_str() {
                    "investigator" => vec![owner.clone()],
                    "msl" if !msls.is_empty() => msls.clone(),
                    _ => admins.clone(),
                }
            };
            for recipient in recipients.iter().filter(|u| u.active) {
                let lang = recipient.lang();
                let email = match &step {
                    ReminderStep::Escalation => Email::MilestoneEscalation {
                        reference: reference.clone().unwrap_or_default(),
                        title: title.clone(),
                        milestone: milestone_label(&milestone, lang),
                        due_on: due.to_string(),
                        days_overdue: (today - due).num_days(),
                        investigator: owner.display_name.clone(),
                        path: format!("/proposals/{}", milestone.proposal_id),
                    },
                    other => Email::MilestoneReminder {
                        reference: reference.clone().unwrap_or_default(),
                        title: title.clone(),
                        milestone: milestone_label(&milestone, lang),
                        due_on: due.to_string(),
                        step: match other {
                            ReminderStep::Upcoming => "upcoming",
                            ReminderStep::DueToday => "due",
                            ReminderStep::Overdue => "overdue",
                            _ => "weekly",
                        }
                        .into(),
                        days: (today - due).num_days().abs(),
                        path: format!("/proposals/{}", milestone.proposal_id),
                    },
                };
                let key = format!("milestone:{}:{}:{}", milestone.id, step.key(), recipient.id);
                if notify::enqueue_once(conn, &Recipient::of(recipient), &email, &key)? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}

/// (milestone, proposal title, reference, days overdue)
pub type OverdueMilestone = (MilestoneRow, String, Option<String>, i64);

/// Overdue milestones for the admin and MSL view (MSLs: their assigned studies only).
pub fn overdue(
    conn: &mut DbConnection,
    principal: &Principal,
    today: NaiveDate,
) -> AppResult<Vec<OverdueMilestone>> {
    let visible: Option<Vec<String>> = match principal.role {
        Role::Admin => None,
        Role::Msl => Some(msl_store::proposals_of_msl(conn, &principal.user_id)?),
        _ => {
            return Err(AppError::Forbidden(
                "the overdue view is for admins and MSLs".into(),
            ));
        }
    };
    Ok(store::open_milestones(conn)?
        .into_iter()
        .filter(|(m, ..)| {
            visible
                .as_ref()
                .is_none_or(|ids| ids.contains(&m.proposal_id))
        })
        .filter_map(|(m, title, reference, _)| {
            days_overdue(m.due_on, m.completed_on, today).map(|d| (m, title, reference, d))
        })
        .collect())
}
