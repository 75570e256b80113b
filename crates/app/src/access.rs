//! What this node checked recently about who may do what — API tokens, sessions,
//! memberships, inboxes — kept while nothing that grants access has changed since.
//!
//! Every API call checks its credential and most read an inbox: three reads before the
//! work starts, which at thousands of calls a second cost more than the work. An entry is
//! stored under the store's access version noted *before* its read
//! ([`store::Store::access_version`]); any commit that revokes a token, ends a session,
//! changes a membership or a password, or changes an inbox bumps that version, and every
//! entry of an older version is a miss. So a revocation takes effect at its commit, exactly
//! as without the cache. On PostgreSQL, where other nodes write too, there is no version
//! and nothing is kept.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

/// The most entries one kind keeps; past it the kind starts afresh.
const MAX_ENTRIES: usize = 10_000;

/// Values read under one access version.
pub(crate) struct Recent<K, V> {
    entries: Mutex<(u64, HashMap<K, V>)>,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Recent { entries: Mutex::new((0, HashMap::new())) }
    }
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// The value read under `version`, if it is still the current one.
    pub(crate) fn get(&self, version: Option<u64>, key: &K) -> Option<V> {
        let version = version?;
        let entries = self.entries.lock().ok()?;
        if entries.0 != version {
            return None;
        }
        entries.1.get(key).cloned()
    }

    /// Keeps `value`, read after `version` was noted. A read under an older version than
    /// one kept already is dropped (it may predate a revocation); a newer one starts afresh.
    pub(crate) fn put(&self, version: Option<u64>, key: K, value: V) {
        let Some(version) = version else { return };
        let Ok(mut entries) = self.entries.lock() else { return };
        if version < entries.0 {
            return;
        }
        if version > entries.0 || entries.1.len() >= MAX_ENTRIES {
            *entries = (version, HashMap::new());
        }
        entries.1.insert(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn a_value_is_kept_only_while_its_version_is_current() {
        let recent: Recent<&str, i32> = Recent::default();
        recent.put(Some(3), "a", 1);
        assert_eq!(recent.get(Some(3), &"a"), Some(1));
        assert_eq!(recent.get(Some(4), &"a"), None, "a newer version misses");
        recent.put(Some(2), "b", 2);
        assert_eq!(recent.get(Some(3), &"b"), None, "a read under an older version is dropped");
        recent.put(Some(4), "c", 3);
        assert_eq!(recent.get(Some(4), &"a"), None, "a newer version starts afresh");
        assert_eq!(recent.get(Some(4), &"c"), Some(3));
    }

    #[test]
    fn nothing_is_kept_without_a_version() {
        let recent: Recent<&str, i32> = Recent::default();
        recent.put(None, "a", 1);
        assert_eq!(recent.get(None, &"a"), None);
        assert_eq!(recent.get(Some(0), &"a"), None);
    }
}
