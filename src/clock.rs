//! Time as a dependency, so deadline and reminder logic can be tested with a controlled clock.

use std::sync::{Mutex, OnceLock};

use chrono_tz::Tz;

use crate::domain::programme_time::{DEFAULT_ZONE, date_in, display_in};

use chrono::NaiveDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> NaiveDateTime;

    /// The programme's date (its time zone's), not the UTC date.
    fn today(&self) -> chrono::NaiveDate {
        programme_date(self.now())
    }
}

// The programme's time zone (`domain::programme_time`), set once from the settings.
static ZONE: OnceLock<Tz> = OnceLock::new();

/// Set once at start-up from the settings (later calls with another zone are ignored: one
/// programme, one zone per process).
pub fn configure(zone: Tz) {
    let _ = ZONE.set(zone);
}

/// The configured programme zone.
pub fn zone() -> Tz {
    ZONE.get().copied().unwrap_or(DEFAULT_ZONE)
}

/// The programme's date at the UTC instant `utc`.
pub fn programme_date(utc: NaiveDateTime) -> chrono::NaiveDate {
    date_in(zone(), utc)
}

/// A stored UTC instant as the programme shows it, zone named.
pub fn display(utc: NaiveDateTime) -> String {
    display_in(zone(), utc)
}

/// As [`display`], with seconds.
pub fn display_seconds(utc: NaiveDateTime) -> String {
    crate::domain::programme_time::display_seconds_in(zone(), utc)
}

/// The UTC instant at which the programme's `day` begins.
pub fn start_of_programme_day(day: chrono::NaiveDate) -> NaiveDateTime {
    crate::domain::programme_time::start_of_day_in(zone(), day)
}

/// Today in the programme's time zone.
pub fn programme_today() -> chrono::NaiveDate {
    programme_date(crate::db::now())
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> NaiveDateTime {
        crate::db::now()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct ManualClock(Mutex<NaiveDateTime>);

impl ManualClock {
    pub fn new(start: NaiveDateTime) -> ManualClock {
        ManualClock(Mutex::new(start))
    }

    pub fn set(&self, to: NaiveDateTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> NaiveDateTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_programme_date_not_the_utc_date() {
        // The default programme zone is Asia/Tokyo (no other zone is configured in unit tests).
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        let clock = ManualClock::new(at("2026-12-01 23:30"));
        assert_eq!(clock.today().to_string(), "2026-12-02");
        clock.set(at("2026-12-01 14:59"));
        assert_eq!(clock.today().to_string(), "2026-12-01");
    }
}
