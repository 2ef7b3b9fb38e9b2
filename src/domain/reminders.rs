//! Reminder rules (docs/PRODUCT.md#reminders): 7 days before a due date, on the day, 3 days after,
//! then weekly; escalation to the assigned MSL and the admins once 14 days overdue. Each step has a
//! stable key, so queuing it twice is impossible (the outbox refuses a repeated key).

use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReminderStep {
    /// 7 days before.
    Upcoming,
    DueToday,
    /// 3 days after.
    Overdue,
    /// 10, 17, 24 … days after: the n-th weekly reminder (1-based).
    Weekly(u32),
    /// 14 days after: tell the MSL and the admins.
    Escalation,
}

impl ReminderStep {
    /// Stable part of the outbox de-duplication key.
    pub fn key(&self) -> String {
        match self {
            ReminderStep::Upcoming => "upcoming".into(),
            ReminderStep::DueToday => "due".into(),
            ReminderStep::Overdue => "overdue".into(),
            ReminderStep::Weekly(n) => format!("weekly-{n}"),
            ReminderStep::Escalation => "escalation".into(),
        }
    }

    pub fn is_escalation(&self) -> bool {
        matches!(self, ReminderStep::Escalation)
    }
}

/// The steps that fall due on `today` for an open item due on `due`. A job that runs daily
/// (or more often) queues exactly these; a job that missed days catches up with
/// [`steps_through`].
pub fn steps_on(due: NaiveDate, today: NaiveDate) -> Vec<ReminderStep> {
    let days = (today - due).num_days();
    let mut steps = Vec::new();
    match days {
        -7 => steps.push(ReminderStep::Upcoming),
        0 => steps.push(ReminderStep::DueToday),
        3 => steps.push(ReminderStep::Overdue),
        d if d >= 10 && (d - 3) % 7 == 0 => steps.push(ReminderStep::Weekly(((d - 3) / 7) as u32)),
        _ => {}
    }
    if days == 14 {
        steps.push(ReminderStep::Escalation);
    }
    steps
}

/// Every step that should have been sent by `today` (for catching up after downtime). Queuing
/// them with their keys sends each one once; steps already queued are skipped by the outbox.
pub fn steps_through(due: NaiveDate, today: NaiveDate) -> Vec<ReminderStep> {
    let days = (today - due).num_days();
    let mut steps = Vec::new();
    if days < -7 {
        return steps;
    }
    // Only the most recent regular reminder matters after downtime; older ones are stale.
    let latest_regular = match days {
        d if d >= 10 => Some(ReminderStep::Weekly(((d - 3) / 7) as u32)),
        d if d >= 3 => Some(ReminderStep::Overdue),
        d if d >= 0 => Some(ReminderStep::DueToday),
        _ => Some(ReminderStep::Upcoming),
    };
    steps.extend(latest_regular);
    if days >= 14 {
        steps.push(ReminderStep::Escalation);
    }
    steps
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn the_schedule_is_before_on_after_then_weekly() {
        let due = date(2027, 3, 31);
        let on = |offset: i64| steps_on(due, due + chrono::Duration::days(offset));
        assert_eq!(on(-8), vec![]);
        assert_eq!(on(-7), vec![ReminderStep::Upcoming]);
        assert_eq!(on(-1), vec![]);
        assert_eq!(on(0), vec![ReminderStep::DueToday]);
        assert_eq!(on(3), vec![ReminderStep::Overdue]);
        assert_eq!(on(10), vec![ReminderStep::Weekly(1)]);
        assert_eq!(on(14), vec![ReminderStep::Escalation]);
        assert_eq!(on(17), vec![ReminderStep::Weekly(2)]);
        assert_eq!(on(24), vec![ReminderStep::Weekly(3)]);
    }

    #[test]
    fn a_daily_job_under_a_controlled_clock_queues_each_reminder_at_most_once() {
        let due = date(2027, 3, 31);
        let clock = ManualClock::new(date(2027, 3, 1).and_hms_opt(6, 0, 0).unwrap_or_default());
        // The outbox's unique key, modelled as a set: a repeated key queues nothing.
        let mut queued: BTreeSet<String> = BTreeSet::new();
        let mut sent: Vec<String> = Vec::new();
        for _ in 0..60 {
            // Run the job three times a day, as several processes might.
            for _ in 0..3 {
                for step in steps_through(due, clock.today()) {
                    let key = format!("milestone-1:{}", step.key());
                    if queued.insert(key.clone()) {
                        sent.push(key);
                    }
                }
                clock.advance(chrono::Duration::hours(8));
            }
        }
        assert_eq!(
            sent,
            vec![
                "milestone-1:upcoming",
                "milestone-1:due",
                "milestone-1:overdue",
                "milestone-1:weekly-1",
                "milestone-1:escalation",
                "milestone-1:weekly-2",
                "milestone-1:weekly-3",
            ]
        );
    }

    #[test]
    fn after_downtime_only_the_latest_reminder_and_a_due_escalation_are_sent() {
        let due = date(2027, 3, 31);
        let steps = steps_through(due, due + chrono::Duration::days(20));
        assert_eq!(
            steps,
            vec![ReminderStep::Weekly(2), ReminderStep::Escalation]
        );
        assert_eq!(steps_through(due, due - chrono::Duration::days(30)), vec![]);
    }
}
