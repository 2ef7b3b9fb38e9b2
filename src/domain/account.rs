//! Rules for a person's own account: when a password may be set or changed.

use chrono::{Duration, NaiveDateTime};

/// How recent a sign-in lets a person set or change their password without typing the
/// current one (someone who walked up to an open session cannot).
pub const RECENT_SIGN_IN_MINUTES: i64 = 10;

/// What stands in for the current password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reauthentication {
    /// The current password was typed and matched.
    CurrentPassword,
    /// The session was opened within [`RECENT_SIGN_IN_MINUTES`].
    RecentSignIn,
}

impl Reauthentication {
    pub fn as_str(self) -> &'static str {
        match self {
            Reauthentication::CurrentPassword => "current_password",
            Reauthentication::RecentSignIn => "recent_sign_in",
        }
    }
}

/// Whether a password change may go ahead: the current password matched, or the session was
/// opened recently. `None`: ask for the current password (or a fresh sign-in).
pub fn password_change_allowed(
    current_password_matched: bool,
    session_opened_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Option<Reauthentication> {
    if current_password_matched {
        Some(Reauthentication::CurrentPassword)
    } else if now - session_opened_at <= Duration::minutes(RECENT_SIGN_IN_MINUTES) {
        Some(Reauthentication::RecentSignIn)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(9, minute, 0))
            .unwrap_or_default()
    }

    #[test]
    fn the_current_password_or_a_recent_sign_in_is_needed() {
        assert_eq!(
            password_change_allowed(true, at(0), at(59)),
            Some(Reauthentication::CurrentPassword)
        );
        assert_eq!(
            password_change_allowed(false, at(0), at(10)),
            Some(Reauthentication::RecentSignIn)
        );
        assert_eq!(password_change_allowed(false, at(0), at(11)), None);
    }
}
