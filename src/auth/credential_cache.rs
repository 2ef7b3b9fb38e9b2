//! Bearer credentials this process authenticated recently, so that an API request can start
//! without a trip to the database of its own.
//!
//! A cached answer is provisional. The request's first database work confirms it on the same
//! connection, in the same trip (`db::defer_to_first_use`). A revoked or expired token, a
//! deactivated user, or a changed role or organisation is therefore refused on the very next
//! request, in every process, exactly as without the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Principal;

/// How long an entry is used before it is fetched again. Authority is confirmed on every
/// request; this only bounds how stale a display name or language may be.
const FRESH_FOR: Duration = Duration::from_secs(60);
/// Beyond this many tokens, stale entries are dropped (and, if that is not enough, all).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct CachedCredential {
    pub token_id: String,
    pub principal: Principal,
    fetched: Instant,
}

/// Keyed by the token's keyed hash (`credentials::token_mac`), never by the plain token.
#[derive(Debug, Default)]
pub struct CredentialCache {
    entries: Mutex<HashMap<String, CachedCredential>>,
}

impl CredentialCache {
    pub fn get(&self, mac: &str, now: Instant) -> Option<CachedCredential> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(mac)
            .filter(|entry| now.saturating_duration_since(entry.fetched) < FRESH_FOR)
            .cloned()
    }

    pub fn insert(&self, mac: String, token_id: String, principal: Principal, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&mac) {
            entries.retain(|_, entry| now.saturating_duration_since(entry.fetched) < FRESH_FOR);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            mac,
            CachedCredential {
                token_id,
                principal,
                fetched: now,
            },
        );
    }

    pub fn remove(&self, mac: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(mac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Lang, Role};

    fn principal(role: Role) -> Principal {
        Principal {
            user_id: "u1".into(),
            role,
            email: "a@example.org".into(),
            display_name: "A".into(),
            lang: Lang::Ja,
            organization_id: None,
        }
    }

    #[test]
    fn an_entry_is_served_while_fresh_and_fetched_again_after() {
        let cache = CredentialCache::default();
        let start = Instant::now();
        cache.insert("mac".into(), "t1".into(), principal(Role::Admin), start);
        let hit = cache.get("mac", start + Duration::from_secs(59));
        assert_eq!(hit.map(|c| c.token_id), Some("t1".to_string()));
        assert!(cache.get("mac", start + FRESH_FOR).is_none());
        assert!(cache.get("other", start).is_none());
    }

    #[test]
    fn a_removed_entry_is_gone() {
        let cache = CredentialCache::default();
        let start = Instant::now();
        cache.insert("mac".into(), "t1".into(), principal(Role::Msl), start);
        cache.remove("mac");
        assert!(cache.get("mac", start).is_none());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = CredentialCache::default();
        let start = Instant::now();
        for i in 0..=MAX_ENTRIES {
            cache.insert(
                format!("mac{i}"),
                format!("t{i}"),
                principal(Role::Cro),
                start,
            );
        }
        let len = cache.entries.lock().map(|e| e.len()).unwrap_or(usize::MAX);
        assert!(len <= MAX_ENTRIES, "{len} entries");
        assert!(cache.get(&format!("mac{MAX_ENTRIES}"), start).is_some());
    }
}
