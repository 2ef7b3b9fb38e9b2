//! The insight report's arithmetic (docs/PRODUCT.md#insight-report): a period, the period
//! of the same length just before it, and counts with their trend by therapeutic area,
//! category and listening priority; plus the representative insights of each category.
//! An insight counts in the period its submission date falls in; drafts never count.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::insights::{Category, InsightStatus};

/// The longest period a report covers (two years and a leap day).
pub const MAX_PERIOD_DAYS: i64 = 731;

/// A closed range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    Reversed,
    TooLong,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        let period = Period { from, to };
        if period.days() > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(period)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length ending the day before this one starts.
    pub fn previous(&self) -> Period {
        let to = self.from - chrono::Duration::days(1);
        Period {
            from: to - chrono::Duration::days(self.days() - 1),
            to,
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }
}

/// What the report needs to know of one insight.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightFact {
    pub id: String,
    pub status: InsightStatus,
    /// The day it was submitted (in the programme's time zone); `None` for drafts.
    pub submitted_on: Option<NaiveDate>,
    pub therapeutic_area: String,
    pub category: Category,
    /// (priority id, its question in the report's language).
    pub priorities: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trend {
    Up,
    Down,
    Flat,
    /// None in the previous period, some now.
    New,
}

/// One line of a breakdown: this period against the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountRow {
    /// Stable key: the area's name, the category's code or the priority's id.
    pub key: String,
    /// What to show: the area, the category code (translated by the page) or the question.
    pub label: String,
    pub current: u32,
    pub previous: u32,
    pub trend: Trend,
    /// Change against the previous period in whole percent; none when it had no insights.
    pub change_percent: Option<i64>,
}

impl CountRow {
    fn new(key: String, label: String, current: u32, previous: u32) -> CountRow {
        let trend = match (previous, current) {
            (0, c) if c > 0 => Trend::New,
            (p, c) if c > p => Trend::Up,
            (p, c) if c < p => Trend::Down,
            _ => Trend::Flat,
        };
        let change_percent = (previous > 0).then(|| {
            let delta = i64::from(current) - i64::from(previous);
            // Rounded half away from zero.
            let scaled = delta * 200 / i64::from(previous);
            (scaled + scaled.signum()) / 2
        });
        CountRow {
            key,
            label,
            current,
            previous,
            trend,
            change_percent,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodComparison {
    pub period: Period,
    pub previous_period: Period,
    pub total: CountRow,
    pub by_therapeutic_area: Vec<CountRow>,
    /// Every category, in their fixed order, even those with no insights.
    pub by_category: Vec<CountRow>,
    pub by_listening_priority: Vec<CountRow>,
}

fn breakdown(
    facts: &[InsightFact],
    period: &Period,
    keys: impl Fn(&InsightFact) -> Vec<(String, String)>,
) -> Vec<CountRow> {
    let previous = period.previous();
    let mut counts: BTreeMap<String, (String, u32, u32)> = BTreeMap::new();
    for fact in facts {
        let Some(day) = fact.submitted_on else {
            continue;
        };
        let (now, before) = (period.contains(day), previous.contains(day));
        if !now && !before {
            continue;
        }
        for (key, label) in keys(fact) {
            let entry = counts.entry(key).or_insert((label, 0, 0));
            entry.1 += u32::from(now);
            entry.2 += u32::from(before);
        }
    }
    let mut rows: Vec<CountRow> = counts
        .into_iter()
        .map(|(key, (label, current, previous))| CountRow::new(key, label, current, previous))
        .collect();
    rows.sort_by(|a, b| {
        b.current
            .cmp(&a.current)
            .then(b.previous.cmp(&a.previous))
            .then(a.label.cmp(&b.label))
    });
    rows
}

/// Counts and trends of `facts` in `period` against the period before it.
pub fn compare(facts: &[InsightFact], period: Period) -> PeriodComparison {
    let total = breakdown(facts, &period, |_| vec![(String::new(), String::new())])
        .pop()
        .unwrap_or_else(|| CountRow::new(String::new(), String::new(), 0, 0));
    let by_category_found = breakdown(facts, &period, |f| {
        vec![(f.category.as_str().into(), f.category.as_str().into())]
    });
    let by_category = Category::ALL
        .iter()
        .map(|c| {
            by_category_found
                .iter()
                .find(|r| r.key == c.as_str())
                .cloned()
                .unwrap_or_else(|| CountRow::new(c.as_str().into(), c.as_str().into(), 0, 0))
        })
        .collect();
    PeriodComparison {
        period,
        previous_period: period.previous(),
        total,
        by_therapeutic_area: breakdown(facts, &period, |f| {
            vec![(f.therapeutic_area.clone(), f.therapeutic_area.clone())]
        }),
        by_category,
        by_listening_priority: breakdown(facts, &period, |f| f.priorities.clone()),
    }
}

/// Up to `per_category` insights of each category submitted in `period` to show as examples:
/// acknowledged ones first, then those answering more listening priorities, then the newest.
pub fn representatives(facts: &[InsightFact], period: &Period, per_category: usize) -> Vec<String> {
    let mut chosen = Vec::new();
    for category in Category::ALL {
        let mut candidates: Vec<&InsightFact> = facts
            .iter()
            .filter(|f| {
                f.category == category && f.submitted_on.is_some_and(|d| period.contains(d))
            })
            .collect();
        candidates.sort_by(|a, b| {
            let acknowledged = |f: &InsightFact| f.status == InsightStatus::Acknowledged;
            acknowledged(b)
                .cmp(&acknowledged(a))
                .then(b.priorities.len().cmp(&a.priorities.len()))
                .then(b.submitted_on.cmp(&a.submitted_on))
                .then(a.id.cmp(&b.id))
        });
        chosen.extend(
            candidates
                .into_iter()
                .take(per_category)
                .map(|f| f.id.clone()),
        );
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    fn fact(
        id: &str,
        on: &str,
        area: &str,
        category: Category,
        priorities: &[&str],
    ) -> InsightFact {
        InsightFact {
            id: id.into(),
            status: InsightStatus::Submitted,
            submitted_on: Some(day(on)),
            therapeutic_area: area.into(),
            category,
            priorities: priorities
                .iter()
                .map(|p| (p.to_string(), format!("問い{p}")))
                .collect(),
        }
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let q4 = Period::new(day("2026-10-01"), day("2026-12-31")).unwrap();
        assert_eq!(q4.days(), 92);
        let before = q4.previous();
        assert_eq!(
            (before.from, before.to),
            (day("2026-07-01"), day("2026-09-30"))
        );
        assert_eq!(
            Period::new(day("2026-02-01"), day("2026-01-01")),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::new(day("2020-01-01"), day("2026-01-01")),
            Err(PeriodError::TooLong)
        );
        let one_day = Period::new(day("2026-03-01"), day("2026-03-01")).unwrap();
        assert_eq!(one_day.previous().to, day("2026-02-28"));
    }

    #[test]
    fn counts_and_trends_by_area_category_and_priority() {
        use Category::*;
        let mut draft = fact("d", "2026-11-02", "糖尿病", UnmetNeed, &["p1"]);
        draft.status = InsightStatus::Draft;
        draft.submitted_on = None;
        let facts = vec![
            fact("a", "2026-11-01", "糖尿病", UnmetNeed, &["p1"]),
            fact("b", "2026-11-30", "糖尿病", SafetyPerception, &["p1", "p2"]),
            fact("c", "2026-11-15", "腎臓", UnmetNeed, &[]),
            // Previous period (October).
            fact("e", "2026-10-31", "糖尿病", UnmetNeed, &["p2"]),
            fact("f", "2026-10-01", "腎臓", UnmetNeed, &[]),
            fact("g", "2026-10-02", "腎臓", CompetitiveLandscape, &[]),
            // Outside both.
            fact("h", "2026-09-30", "糖尿病", UnmetNeed, &["p1"]),
            fact("i", "2026-12-01", "糖尿病", UnmetNeed, &["p1"]),
            draft,
        ];
        let november = Period::new(day("2026-11-01"), day("2026-11-30")).unwrap();
        let report = compare(&facts, november);
        assert_eq!(report.previous_period.from, day("2026-10-02"));
        // 30 days before 1 November starts on 2 October: f (1 October) is outside.
        assert_eq!((report.total.current, report.total.previous), (3, 2));
        assert_eq!(report.total.trend, Trend::Up);
        assert_eq!(report.total.change_percent, Some(50));
        let area = |name: &str| {
            report
                .by_therapeutic_area
                .iter()
                .find(|r| r.key == name)
                .unwrap()
                .clone()
        };
        assert_eq!(
            (
                area("糖尿病").current,
                area("糖尿病").previous,
                area("糖尿病").trend
            ),
            (2, 1, Trend::Up)
        );
        assert_eq!(
            (
                area("腎臓").current,
                area("腎臓").previous,
                area("腎臓").trend
            ),
            (1, 1, Trend::Flat)
        );
        assert_eq!(report.by_therapeutic_area[0].key, "糖尿病");
        let category = |c: Category| {
            report
                .by_category
                .iter()
                .find(|r| r.key == c.as_str())
                .unwrap()
                .clone()
        };
        assert_eq!(report.by_category.len(), 5);
        assert_eq!(
            (category(UnmetNeed).current, category(UnmetNeed).previous),
            (2, 1)
        );
        assert_eq!(category(SafetyPerception).trend, Trend::New);
        assert_eq!(category(SafetyPerception).change_percent, None);
        assert_eq!(
            (
                category(CompetitiveLandscape).trend,
                category(CompetitiveLandscape).change_percent
            ),
            (Trend::Down, Some(-100))
        );
        assert_eq!(category(ProtocolFeasibility).trend, Trend::Flat);
        let p1 = report
            .by_listening_priority
            .iter()
            .find(|r| r.key == "p1")
            .unwrap();
        assert_eq!(
            (p1.label.as_str(), p1.current, p1.previous),
            ("問いp1", 2, 0)
        );
        let p2 = report
            .by_listening_priority
            .iter()
            .find(|r| r.key == "p2")
            .unwrap();
        assert_eq!((p2.current, p2.previous, p2.trend), (1, 1, Trend::Flat));
    }

    #[test]
    fn change_is_rounded_half_away_from_zero() {
        assert_eq!(
            CountRow::new(String::new(), String::new(), 2, 3).change_percent,
            Some(-33)
        );
        assert_eq!(
            CountRow::new(String::new(), String::new(), 5, 3).change_percent,
            Some(67)
        );
        assert_eq!(
            CountRow::new(String::new(), String::new(), 0, 0).trend,
            Trend::Flat
        );
    }

    #[test]
    fn representatives_prefer_acknowledged_then_more_priorities_then_newest() {
        use Category::*;
        let mut acknowledged = fact("old-ack", "2026-11-01", "糖尿病", UnmetNeed, &[]);
        acknowledged.status = InsightStatus::Acknowledged;
        let facts = vec![
            fact("new", "2026-11-20", "糖尿病", UnmetNeed, &[]),
            fact("answers", "2026-11-02", "糖尿病", UnmetNeed, &["p1"]),
            acknowledged,
            fact("outside", "2026-12-20", "糖尿病", UnmetNeed, &["p1", "p2"]),
            fact("safety", "2026-11-03", "糖尿病", SafetyPerception, &[]),
        ];
        let november = Period::new(day("2026-11-01"), day("2026-11-30")).unwrap();
        assert_eq!(
            representatives(&facts, &november, 2),
            vec!["old-ack", "answers", "safety"]
        );
    }
}
