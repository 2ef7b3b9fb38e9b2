//! How the delivery worker is doing, shared between the worker (which beats after every round
//! and counts the panics it survived) and `/readyz` and `/metrics`.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default)]
pub struct WorkerHealth {
    /// A worker runs in this process.
    running: AtomicBool,
    /// Unix milliseconds of the last completed round.
    last_progress_ms: AtomicI64,
    panics: AtomicU64,
    dead_letters: AtomicU64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl WorkerHealth {
    pub fn started(&self) {
        self.running.store(true, Ordering::Relaxed);
        self.beat();
    }

    pub fn stopped(&self) {
        self.running.store(false, Ordering::Relaxed);
    }

    pub fn beat(&self) {
        self.last_progress_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn record_panic(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    pub fn record_dead_letter(&self) {
        self.dead_letters.fetch_add(1, Ordering::Relaxed);
    }

    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    pub fn dead_letters(&self) -> u64 {
        self.dead_letters.load(Ordering::Relaxed)
    }

    /// Time since this process's worker last finished a round; `None` when none runs here.
    pub fn since_progress(&self) -> Option<Duration> {
        if !self.running.load(Ordering::Relaxed) {
            return None;
        }
        let elapsed = now_ms().saturating_sub(self.last_progress_ms.load(Ordering::Relaxed));
        Some(Duration::from_millis(u64::try_from(elapsed).unwrap_or(0)))
    }
}

/// Whether delivery has stalled: something has been due for longer than `stall`, and the
/// worker of this process (if one runs here) has not finished a round for as long. Without a
/// worker in this process, a message due for longer than `stall` is enough: the workers of
/// other processes would have taken it.
pub fn delivery_stalled(
    oldest_due_waited: Option<Duration>,
    since_progress: Option<Duration>,
    stall: Duration,
) -> bool {
    match oldest_due_waited {
        Some(waited) if waited > stall => since_progress.is_none_or(|since| since > stall),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALL: Duration = Duration::from_secs(300);

    #[test]
    fn nothing_due_is_never_stalled() {
        assert!(!delivery_stalled(None, None, STALL));
        assert!(!delivery_stalled(
            None,
            Some(Duration::from_secs(9999)),
            STALL
        ));
    }

    #[test]
    fn a_recent_due_message_is_not_a_stall() {
        assert!(!delivery_stalled(
            Some(Duration::from_secs(10)),
            None,
            STALL
        ));
    }

    #[test]
    fn an_old_due_message_with_a_live_worker_is_a_backlog_not_a_stall() {
        let waited = Some(Duration::from_secs(900));
        assert!(!delivery_stalled(
            waited,
            Some(Duration::from_secs(2)),
            STALL
        ));
    }

    #[test]
    fn an_old_due_message_and_a_silent_worker_is_a_stall() {
        let waited = Some(Duration::from_secs(900));
        assert!(delivery_stalled(
            waited,
            Some(Duration::from_secs(600)),
            STALL
        ));
        // No worker in this process, and nobody else took it either.
        assert!(delivery_stalled(waited, None, STALL));
    }

    #[test]
    fn the_worker_reports_progress_only_while_it_runs() {
        let health = WorkerHealth::default();
        assert_eq!(health.since_progress(), None);
        health.started();
        assert!(
            health
                .since_progress()
                .is_some_and(|d| d < Duration::from_secs(5))
        );
        health.stopped();
        assert_eq!(health.since_progress(), None);
    }
}
