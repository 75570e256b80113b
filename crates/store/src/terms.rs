//! Words the SQLite write connection knows `search_terms` holds.
//!
//! Every indexed document's words go into `search_terms` (see `search`), and almost all of
//! them are there already: in a profile of ingestion, folding, collecting and hashing the
//! words of each message and looking every one of them up again in `search_terms` took a
//! fifth of the inbound writer's own work. The write connection is the only one that writes
//! the table, and words are never removed from it, so it remembers (as 64-bit hashes, keyed
//! at random for each process) the words that committed transactions wrote, and a document
//! hands on only the words it does not know. A transaction's words become known only when
//! it commits; a rollback, or a rollback to a savepoint, forgets them.

use std::collections::HashSet;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};

/// The most words remembered, about 2 MB of hashes; past it the memory starts again empty
/// and relearns the words in use.
const MAX_KNOWN: usize = 100_000;

pub(crate) struct KnownTerms {
    /// Seeds the hash of a word, at random for each process.
    seed: u64,
    known: HashSet<u64, BuildHasherDefault<Taken>>,
    /// Words written by the open transaction.
    pending: Vec<u64>,
}

impl Default for KnownTerms {
    fn default() -> KnownTerms {
        KnownTerms { seed: RandomState::new().hash_one(0u64), known: HashSet::default(), pending: Vec::new() }
    }
}

impl KnownTerms {
    /// Whether a committed transaction wrote `word` to `search_terms`. A false positive
    /// takes two different words with the same 64-bit hash.
    pub(crate) fn contains(&self, word: &str) -> bool {
        self.known.contains(&hash(self.seed, word))
    }

    /// Notes words the open transaction wrote.
    pub(crate) fn written<S: AsRef<str>>(&mut self, words: &[S]) {
        let seed = self.seed;
        self.pending.extend(words.iter().map(|w| hash(seed, w.as_ref())));
    }

    /// The open transaction ended: its words are known if it committed.
    pub(crate) fn ended(&mut self, committed: bool) {
        let pending = std::mem::take(&mut self.pending);
        if committed {
            if self.known.len() + pending.len() > MAX_KNOWN {
                self.known.clear();
            }
            self.known.extend(pending);
        }
    }

    /// The open transaction rolled back to a savepoint: which of its words survive is not
    /// known, so none of them become known.
    pub(crate) fn forget_pending(&mut self) {
        self.pending.clear();
    }
}

/// A word's 64-bit hash: eight bytes at a time, each multiplied in and rotated, then
/// mixed by MurmurHash3's finaliser so that every bit of the result depends on every bit
/// of the input. A document's words are hashed one by one, and SipHash (the standard
/// library's) took a fifth of the inbound writer's own work here; this takes a few
/// instructions per word. The seed keeps the hashes of a process unguessable from outside.
fn hash(seed: u64, word: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (word.len() as u64).wrapping_mul(K);
    let mut chunks = word.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(eight)).wrapping_mul(K).rotate_left(29);
    }
    let mut rest = [0u8; 8];
    rest[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    h = (h ^ u64::from_le_bytes(rest)).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Hashes the set's keys, which are hashes already, to themselves.
#[derive(Default)]
struct Taken(u64);

impl Hasher for Taken {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is called for a `u64` key; fold anything else in all the same.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_known_once_their_transaction_commits() {
        let mut terms = KnownTerms::default();
        terms.written(&["refund", "order"]);
        assert!(!terms.contains("refund"), "not before the commit");
        terms.ended(true);
        assert!(terms.contains("refund") && terms.contains("order"));
        assert!(!terms.contains("refunds"));
    }

    #[test]
    fn a_rollback_forgets_the_transactions_words() {
        let mut terms = KnownTerms::default();
        terms.written(&["refund"]);
        terms.ended(false);
        terms.ended(true);
        assert!(!terms.contains("refund"));
        terms.written(&["order"]);
        terms.forget_pending();
        terms.ended(true);
        assert!(!terms.contains("order"));
    }

    #[test]
    fn a_words_hash_depends_on_every_byte_and_the_seed() {
        let words = ["", "a", "b", "ab", "ba", "refund", "refunds", "12345678", "123456789", "1234567890abcdefg"];
        let hashes: HashSet<u64> = words.iter().map(|w| hash(7, w)).collect();
        assert_eq!(hashes.len(), words.len());
        assert_ne!(hash(7, "refund"), hash(8, "refund"));
        // A trailing NUL is a different word from none (the length is mixed in).
        assert_ne!(hash(7, "ab"), hash(7, "ab\0"));
    }

    #[test]
    fn the_memory_starts_again_when_full() {
        let mut terms = KnownTerms::default();
        let words: Vec<String> = (0..MAX_KNOWN).map(|i| format!("w{i}")).collect();
        terms.written(&words);
        terms.ended(true);
        assert!(terms.contains("w0"));
        terms.written(&["next"]);
        terms.ended(true);
        assert!(terms.contains("next"));
        assert!(!terms.contains("w0"), "forgotten, to be learnt again");
        assert_eq!(terms.known.len(), 1);
    }
}
