//! Counts failed sign-ins per key (address and client IP) in a sliding window, in memory.
//! Each process counts alone; with N processes the effective limit is N times higher.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        FailureLimiter {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when the key is locked out now.
    pub fn check(&self, key: &str, now: Instant) -> Option<u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entries = map.get_mut(key)?;
        entries.retain(|t| now.duration_since(*t) < self.window);
        if entries.len() as u32 >= self.max_failures {
            let oldest = entries.iter().min().copied()?;
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            Some(wait.as_secs().max(1))
        } else {
            None
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a spray of distinct keys: drop expired entries.
            map.retain(|_, v| v.iter().any(|t| now.duration_since(*t) < self.window));
        }
        map.entry(key.to_string()).or_default().push(now);
    }

    pub fn reset(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_locked_after_max_failures_until_the_window_passes() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check("a", start), None);
            limiter.record_failure("a", start);
        }
        assert!(limiter.check("a", start).is_some());
        assert_eq!(limiter.check("b", start), None);
        assert_eq!(limiter.check("a", start + Duration::from_secs(61)), None);
    }
}

/// Requests per key in fixed one-minute windows (API keys and personal tokens).
#[derive(Debug)]
pub struct RequestLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RequestLimiter {
    pub fn new(per_minute: u32) -> Self {
        RequestLimiter {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `Some(seconds to wait)` when the key is over its limit.
    pub fn hit(&self, key: &str, now: Instant) -> Option<u64> {
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let entry = map.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        if entry.1 > self.per_minute {
            let wait = Duration::from_secs(60).saturating_sub(now.duration_since(entry.0));
            Some(wait.as_secs().max(1))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod request_tests {
    use super::*;

    #[test]
    fn a_key_over_its_per_minute_budget_waits_for_the_next_window() {
        let limiter = RequestLimiter::new(2);
        let start = Instant::now();
        assert_eq!(limiter.hit("k", start), None);
        assert_eq!(limiter.hit("k", start), None);
        assert!(limiter.hit("k", start).is_some());
        assert_eq!(limiter.hit("other", start), None);
        assert_eq!(limiter.hit("k", start + Duration::from_secs(61)), None);
    }
}
