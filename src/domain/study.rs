//! After-approval rules (docs/PRODUCT.md#study-tracking): milestone kinds, overdue, payment status,
//! the Japanese fiscal year, publication statuses, and the iCalendar and CSV formats.

use chrono::{Datelike, NaiveDate, NaiveDateTime};

pub const MILESTONE_KINDS: &[&str] = &[
    "contract_signed",
    "ethics_approved",
    "registered",
    "drug_shipped",
    "first_patient_in",
    "last_patient_out",
    "database_lock",
    "final_report",
    "periodic_report",
    "closeout",
    "custom",
];

pub const OWNER_ROLES: &[&str] = &["investigator", "msl", "admin", "cro"];
pub const PUBLICATION_KINDS: &[&str] = &["manuscript", "abstract"];
pub const PUBLICATION_STATUSES: &[&str] = &[
    "planned",
    "submitted",
    "accepted",
    "published",
    "presented",
    "rejected",
];

/// Whether a cumulative enrollment figure of `count` lowers the latest one recorded: such an
/// update corrects an earlier figure, and needs a reason (it is audited as a correction).
pub fn lowers_enrollment(latest: Option<i64>, count: i64) -> bool {
    latest.is_some_and(|latest| count < latest)
}

/// A milestone is overdue from the day after its due date until it is completed. Computed
/// from the date every time, never stored.
pub fn days_overdue(
    due_on: Option<NaiveDate>,
    completed_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<i64> {
    match (due_on, completed_on) {
        (Some(due), None) if today > due => Some((today - due).num_days()),
        _ => None,
    }
}

/// Which statuses fit which publication kind: manuscripts are published, abstracts presented.
pub fn status_fits_kind(kind: &str, status: &str) -> bool {
    match (kind, status) {
        ("manuscript", "presented") | ("abstract", "published") => false,
        ("manuscript" | "abstract", s) => PUBLICATION_STATUSES.contains(&s),
        _ => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Scheduled,
    Due,
    Paid,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 3] = [
        PaymentStatus::Scheduled,
        PaymentStatus::Due,
        PaymentStatus::Paid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Scheduled => "scheduled",
            PaymentStatus::Due => "due",
            PaymentStatus::Paid => "paid",
        }
    }
}

/// scheduled → due once its milestone is done (at once when it has none) → paid with a date.
pub fn payment_status(
    paid_on: Option<NaiveDate>,
    milestone: Option<Option<NaiveDate>>,
) -> PaymentStatus {
    match (paid_on, milestone) {
        (Some(_), _) => PaymentStatus::Paid,
        (None, None) | (None, Some(Some(_))) => PaymentStatus::Due,
        (None, Some(None)) => PaymentStatus::Scheduled,
    }
}

/// The Japanese fiscal year (April to March) a date belongs to: 2026-03-31 is FY2025.
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// First and last day of a fiscal year.
pub fn fiscal_year_range(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 4, 1)?,
        NaiveDate::from_ymd_opt(year + 1, 3, 31)?,
    ))
}

/// One all-day event of a calendar feed.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEvent {
    pub uid: String,
    pub date: NaiveDate,
    pub summary: String,
    pub description: String,
    pub url: String,
}

/// RFC 5545 TEXT escaping.
fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

pub fn icalendar(name: &str, events: &[CalendarEvent], stamp: NaiveDateTime) -> String {
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        "PRODID:-//Liaison//IIS programme//EN".to_string(),
        "CALSCALE:GREGORIAN".to_string(),
        format!("X-WR-CALNAME:{}", escape_text(name)),
    ] {
        out.push_str(&fold(&line));
    }
    for event in events {
        let next_day = event.date.succ_opt().unwrap_or(event.date);
        for line in [
            "BEGIN:VEVENT".to_string(),
            format!("UID:{}", event.uid),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", event.date.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", next_day.format("%Y%m%d")),
            format!("SUMMARY:{}", escape_text(&event.summary)),
            format!("DESCRIPTION:{}", escape_text(&event.description)),
            format!("URL:{}", event.url),
            "END:VEVENT".to_string(),
        ] {
            out.push_str(&fold(&line));
        }
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

/// One CSV record (RFC 4180): fields quoted when needed, CRLF ended.
pub fn csv_record(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            // Text that a spreadsheet would run as a formula is prefixed with an apostrophe.
            let f = &if f.starts_with(['=', '+', '-', '@', '\t', '\r']) && f.parse::<f64>().is_err()
            {
                format!("'{f}")
            } else {
                f.clone()
            };
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// UTF-8 byte order mark: Excel then shows Japanese text correctly.
pub const CSV_BOM: &str = "\u{feff}";

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_lower_figure_than_the_latest_is_a_correction() {
        use super::lowers_enrollment;
        assert!(!lowers_enrollment(None, 0));
        assert!(!lowers_enrollment(Some(12), 12));
        assert!(!lowers_enrollment(Some(12), 13));
        assert!(lowers_enrollment(Some(12), 5));
    }

    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn overdue_starts_the_day_after_the_due_date_and_ends_when_done() {
        let due = Some(date(2027, 3, 31));
        assert_eq!(days_overdue(due, None, date(2027, 3, 31)), None);
        assert_eq!(days_overdue(due, None, date(2027, 4, 1)), Some(1));
        assert_eq!(
            days_overdue(due, Some(date(2027, 4, 2)), date(2027, 5, 1)),
            None
        );
        assert_eq!(days_overdue(None, None, date(2027, 5, 1)), None);
    }

    #[test]
    fn the_fiscal_year_runs_from_april_to_march() {
        assert_eq!(fiscal_year(date(2026, 3, 31)), 2025);
        assert_eq!(fiscal_year(date(2026, 4, 1)), 2026);
        assert_eq!(
            fiscal_year_range(2026),
            Some((date(2026, 4, 1), date(2027, 3, 31)))
        );
    }

    #[test]
    fn payments_become_due_when_their_milestone_is_done() {
        assert_eq!(payment_status(None, Some(None)), PaymentStatus::Scheduled);
        assert_eq!(
            payment_status(None, Some(Some(date(2027, 1, 1)))),
            PaymentStatus::Due
        );
        assert_eq!(payment_status(None, None), PaymentStatus::Due);
        assert_eq!(
            payment_status(Some(date(2027, 2, 1)), Some(None)),
            PaymentStatus::Paid
        );
    }

    #[test]
    fn publication_statuses_fit_their_kind() {
        assert!(status_fits_kind("manuscript", "published"));
        assert!(!status_fits_kind("manuscript", "presented"));
        assert!(status_fits_kind("abstract", "presented"));
        assert!(!status_fits_kind("abstract", "published"));
        assert!(!status_fits_kind("poster", "planned"));
    }

    #[test]
    fn calendar_text_is_escaped_and_long_lines_fold_on_character_boundaries() {
        let stamp = date(2026, 11, 25).and_hms_opt(0, 0, 0).unwrap_or_default();
        let feed = icalendar(
            "Liaison",
            &[CalendarEvent {
                uid: "m1@liaison".into(),
                date: date(2027, 3, 31),
                summary: "IIS-2026-0001 総括報告書; 提出, 期限".repeat(3),
                description: "line1\nline2".into(),
                url: "http://x/proposals/1".into(),
            }],
            stamp,
        );
        assert!(feed.contains("DTSTART;VALUE=DATE:20270331"));
        assert!(feed.contains("\\;") && feed.contains("\\,") && feed.contains("line1\\nline2"));
        assert!(feed.lines().all(|l| l.len() <= 75), "folded");
        assert!(feed.ends_with("END:VCALENDAR\r\n"));
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_neutralised() {
        assert_eq!(
            csv_record(&["=HYPERLINK(\"x\")".into(), "-5".into(), "@sum".into()]),
            "\"'=HYPERLINK(\"\"x\"\")\",-5,'@sum\r\n"
        );
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(
            csv_record(&["a".into(), "b,c".into(), "say \"hi\"".into()]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
    }
}
