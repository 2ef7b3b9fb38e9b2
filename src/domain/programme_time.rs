//! The programme's time zone (setting `LIAISON_TIME_ZONE`, default Asia/Tokyo). Instants are
//! stored in UTC; every displayed time is shown in this zone with the zone named, and
//! "today" (overdue milestones, reminders, fiscal years, reference-number years) is the
//! programme's date, not the UTC date: from 00:00 to 09:00 in Japan the UTC date is still
//! yesterday.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

pub const DEFAULT_ZONE: Tz = chrono_tz::Asia::Tokyo;

/// An IANA zone name such as "Asia/Tokyo".
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse().ok()
}

/// The calendar date in `zone` at the UTC instant `utc`.
pub fn date_in(zone: Tz, utc: NaiveDateTime) -> NaiveDate {
    zone.from_utc_datetime(&utc).date_naive()
}

/// "2026-12-02 08:30 JST": the local time in `zone`, with the zone's abbreviation.
pub fn display_in(zone: Tz, utc: NaiveDateTime) -> String {
    zone.from_utc_datetime(&utc)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// As [`display_in`], with seconds (the audit trail orders events within a minute).
pub fn display_seconds_in(zone: Tz, utc: NaiveDateTime) -> String {
    zone.from_utc_datetime(&utc)
        .format("%Y-%m-%d %H:%M:%S %Z")
        .to_string()
}

/// The UTC instant at which `day` begins in `zone` (the earlier one if midnight repeats; the
/// first hour after a midnight that does not exist).
pub fn start_of_day_in(zone: Tz, day: NaiveDate) -> NaiveDateTime {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..3)
        .find_map(|h| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.naive_utc())
        .unwrap_or(midnight)
}

/// The year a reference number issued at `utc` carries.
pub fn year_in(zone: Tz, utc: NaiveDateTime) -> i32 {
    date_in(zone, utc).year()
}

/// The Japanese fiscal year (April to March) of `date`: 2027-03-31 is in fiscal 2026.
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokyo_day_starts_at_15_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            start_of_day_in(DEFAULT_ZONE, day),
            NaiveDate::from_ymd_opt(2026, 12, 1)
                .unwrap()
                .and_hms_opt(15, 0, 0)
                .unwrap()
        );
        assert_eq!(
            display_seconds_in(DEFAULT_ZONE, start_of_day_in(DEFAULT_ZONE, day)),
            "2026-12-02 00:00:00 JST"
        );
    }

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn half_past_eleven_utc_is_half_past_eight_the_next_morning_in_tokyo() {
        let instant = utc("2026-12-01 23:30");
        assert_eq!(
            date_in(DEFAULT_ZONE, instant),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
        assert_eq!(display_in(DEFAULT_ZONE, instant), "2026-12-02 08:30 JST");
    }

    #[test]
    fn the_tokyo_date_changes_at_15_00_utc() {
        assert_eq!(
            date_in(DEFAULT_ZONE, utc("2026-12-01 14:59")),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        assert_eq!(
            date_in(DEFAULT_ZONE, utc("2026-12-01 15:00")),
            NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
        );
    }

    #[test]
    fn the_reference_year_turns_at_tokyo_midnight() {
        assert_eq!(year_in(DEFAULT_ZONE, utc("2026-12-31 14:59")), 2026);
        assert_eq!(year_in(DEFAULT_ZONE, utc("2026-12-31 15:00")), 2027);
    }

    #[test]
    fn the_fiscal_year_starts_on_the_first_of_april_in_tokyo() {
        // 2027-03-31 15:30 UTC is already 1 April in Tokyo: fiscal 2027.
        let april_first = date_in(DEFAULT_ZONE, utc("2027-03-31 15:30"));
        assert_eq!(fiscal_year(april_first), 2027);
        assert_eq!(
            fiscal_year(date_in(DEFAULT_ZONE, utc("2027-03-31 14:30"))),
            2026
        );
    }

    #[test]
    fn other_zones_are_named_by_iana_name() {
        let london = parse_zone("Europe/London").unwrap();
        assert_eq!(
            display_in(london, utc("2026-07-01 12:00")),
            "2026-07-01 13:00 BST"
        );
        assert!(parse_zone("Mars/Olympus").is_none());
    }
}
