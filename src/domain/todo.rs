//! The to-do list on each role's home page (issue #20): which kinds of work there are, whose
//! turn an advice thread is, when a milestone counts as due, and how items are grouped and
//! counted. Plain rules; `workflows::todo` gathers the rows.

use chrono::NaiveDate;
use serde::Serialize;

/// A milestone is "due" from the first reminder on (`domain::reminders`: 7 days before).
pub const DUE_SOON_DAYS: i64 = 7;

/// At most this many items of one kind are listed; the count still says how many there are.
pub const ITEMS_SHOWN: usize = 10;

/// The kinds of work, in the order the dashboard lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoKind {
    /// Investigator: a proposal sent back for changes.
    ChangesRequested,
    /// Investigator: a draft not yet submitted.
    DraftToFinish,
    /// Investigator: the MSL wrote last in the advice thread.
    AdviceReply,
    /// MSL: advice was asked for, or the investigator wrote last.
    AdviceRequest,
    /// Reviewer (and chair): an assignment whose conflicts are not declared yet.
    ConflictToDeclare,
    /// Reviewer (and chair): cleared of conflicts, review not submitted.
    ReviewDue,
    /// Chair: quorum reached, no decision yet.
    DecisionAwaiting,
    /// Admin: an investigator asked for advice and no MSL is assigned.
    AdviceWithoutMsl,
    /// Admin: a submitted proposal with no MSL.
    NeedsMsl,
    /// Admin: under review with fewer cleared reviewers than the quorum.
    NeedsReviewers,
    /// Admin: an approved study whose activation gates are not all recorded.
    GatesToRecord,
    /// Everyone who keeps or oversees a study: a milestone past its due date.
    MilestoneOverdue,
    /// A milestone due within `DUE_SOON_DAYS`.
    MilestoneDue,
}

impl TodoKind {
    /// The catalog key of the group's heading (`todo.<kind>`).
    pub fn label_key(self) -> String {
        let name = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        format!("todo.{name}")
    }
}

/// One piece of work on one proposal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodoItem {
    pub kind: TodoKind,
    pub proposal_id: String,
    pub reference: Option<String>,
    pub title: String,
    /// Where the work is done, below `/proposals/<id>`: "" (the proposal page), "review" or
    /// "committee".
    pub page: &'static str,
    /// The heading to land on (without `#`), or "".
    pub anchor: &'static str,
    /// The milestone's kind and, for a custom one, its title, when the item is a milestone.
    pub milestone_kind: Option<String>,
    pub milestone_title: Option<String>,
    /// The due date, when the item is a milestone.
    pub due_on: Option<NaiveDate>,
    /// Days overdue (positive) or left (zero or negative), when the item is a milestone.
    pub days: Option<i64>,
}

/// Items of one kind, with how many there are (only the first `ITEMS_SHOWN` are kept).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TodoGroup {
    pub kind: TodoKind,
    pub label_key: String,
    pub count: usize,
    pub items: Vec<TodoItem>,
}

/// Groups items by kind in the dashboard's order, each group counted and cut to
/// `ITEMS_SHOWN`; milestones soonest (most overdue) first.
pub fn group(mut items: Vec<TodoItem>) -> Vec<TodoGroup> {
    items.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(a.due_on.cmp(&b.due_on))
            .then(b.proposal_id.cmp(&a.proposal_id))
    });
    let mut groups: Vec<TodoGroup> = Vec::new();
    for item in items {
        match groups.last_mut() {
            Some(g) if g.kind == item.kind => {
                g.count += 1;
                if g.items.len() < ITEMS_SHOWN {
                    g.items.push(item);
                }
            }
            _ => groups.push(TodoGroup {
                kind: item.kind,
                label_key: item.kind.label_key(),
                count: 1,
                items: vec![item],
            }),
        }
    }
    groups
}

/// Like `group`, where some kinds were read only in part: `known` gives the full count of
/// such a kind (counted by the database), which replaces the count of the items read.
pub fn group_counted(items: Vec<TodoItem>, known: &[(TodoKind, usize)]) -> Vec<TodoGroup> {
    let mut groups = group(items);
    for group in &mut groups {
        if let Some((_, count)) = known.iter().find(|(kind, _)| *kind == group.kind) {
            group.count = group.count.max(*count);
        }
    }
    groups
}

/// The last due date that counts as work on `today`: milestones due on or before it are
/// due or overdue (the database reads no others).
pub fn due_by(today: NaiveDate) -> NaiveDate {
    today + chrono::Duration::days(DUE_SOON_DAYS)
}

/// Whether a milestone is work now: overdue, or due within `DUE_SOON_DAYS` of `today`.
/// Returns the kind and the days overdue (positive) or left (zero or negative).
pub fn milestone_due(
    due_on: Option<NaiveDate>,
    completed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<(TodoKind, i64)> {
    let due = due_on?;
    if completed_on.is_some() {
        return None;
    }
    let days = (today - due).num_days();
    if days > 0 {
        Some((TodoKind::MilestoneOverdue, days))
    } else if -days <= DUE_SOON_DAYS {
        Some((TodoKind::MilestoneDue, days))
    } else {
        None
    }
}

/// Whose move it is in a proposal's advice thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceTurn {
    Msl,
    Investigator,
    Nobody,
}

/// The side that wrote last waits for the other; a request with no message yet waits for
/// the MSL. `last_author_role` is the role of the newest message's author.
pub fn advice_turn(advice_requested: bool, last_author_role: Option<&str>) -> AdviceTurn {
    match last_author_role {
        Some("msl") => AdviceTurn::Investigator,
        Some(_) => AdviceTurn::Msl,
        None if advice_requested => AdviceTurn::Msl,
        None => AdviceTurn::Nobody,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    fn item(kind: TodoKind, id: &str, due_on: Option<NaiveDate>) -> TodoItem {
        TodoItem {
            kind,
            proposal_id: id.into(),
            reference: None,
            title: id.into(),
            page: "",
            anchor: "",
            milestone_kind: None,
            milestone_title: None,
            due_on,
            days: None,
        }
    }

    #[test]
    fn a_milestone_is_due_from_seven_days_before_and_overdue_the_day_after() {
        let due = Some(date(2027, 3, 31));
        assert_eq!(milestone_due(due, None, date(2027, 3, 23)), None);
        assert_eq!(
            milestone_due(due, None, date(2027, 3, 24)),
            Some((TodoKind::MilestoneDue, -7))
        );
        assert_eq!(
            milestone_due(due, None, date(2027, 3, 31)),
            Some((TodoKind::MilestoneDue, 0))
        );
        assert_eq!(
            milestone_due(due, None, date(2027, 4, 2)),
            Some((TodoKind::MilestoneOverdue, 2))
        );
        assert_eq!(
            milestone_due(due, Some(date(2027, 4, 1)), date(2027, 4, 2)),
            None,
            "done"
        );
        assert_eq!(milestone_due(None, None, date(2027, 4, 2)), None);
    }

    #[test]
    fn the_database_reads_exactly_the_milestones_that_are_work() {
        let today = date(2027, 3, 24);
        let last = due_by(today);
        assert_eq!(last, date(2027, 3, 31));
        assert!(milestone_due(Some(last), None, today).is_some());
        let next = last.succ_opt().unwrap_or(last);
        assert_eq!(milestone_due(Some(next), None, today), None);
    }

    #[test]
    fn a_kind_read_in_part_keeps_the_count_the_database_gave() {
        let items: Vec<TodoItem> = (0..ITEMS_SHOWN)
            .map(|i| item(TodoKind::DraftToFinish, &format!("d{i:02}"), None))
            .chain([item(TodoKind::ChangesRequested, "r", None)])
            .collect();
        let groups = group_counted(items, &[(TodoKind::DraftToFinish, 5000)]);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].kind, TodoKind::ChangesRequested);
        assert_eq!(
            groups[0].count, 1,
            "a kind without a known count is counted"
        );
        assert_eq!(groups[1].count, 5000);
        assert_eq!(groups[1].items.len(), ITEMS_SHOWN);
    }

    #[test]
    fn the_side_that_wrote_last_waits_for_the_other() {
        assert_eq!(advice_turn(true, None), AdviceTurn::Msl);
        assert_eq!(advice_turn(false, None), AdviceTurn::Nobody);
        assert_eq!(advice_turn(true, Some("msl")), AdviceTurn::Investigator);
        assert_eq!(advice_turn(true, Some("investigator")), AdviceTurn::Msl);
        // Submitted proposals need no request: a question from the investigator still waits.
        assert_eq!(advice_turn(false, Some("investigator")), AdviceTurn::Msl);
    }

    #[test]
    fn groups_follow_the_kind_order_count_everything_and_list_ten() {
        let mut items: Vec<TodoItem> = (0..12)
            .map(|i| item(TodoKind::ReviewDue, &format!("r{i:02}"), None))
            .collect();
        items.push(item(TodoKind::ConflictToDeclare, "c", None));
        items.push(item(
            TodoKind::MilestoneOverdue,
            "late",
            Some(date(2027, 1, 1)),
        ));
        items.push(item(
            TodoKind::MilestoneOverdue,
            "later",
            Some(date(2026, 12, 1)),
        ));
        let groups = group(items);
        let kinds: Vec<TodoKind> = groups.iter().map(|g| g.kind).collect();
        assert_eq!(
            kinds,
            [
                TodoKind::ConflictToDeclare,
                TodoKind::ReviewDue,
                TodoKind::MilestoneOverdue
            ]
        );
        assert_eq!(groups[1].count, 12);
        assert_eq!(groups[1].items.len(), ITEMS_SHOWN);
        assert_eq!(groups[1].label_key, "todo.review_due");
        assert_eq!(
            groups[2].items[0].proposal_id, "later",
            "most overdue first"
        );
    }
}
