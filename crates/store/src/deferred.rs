//! Writes a SQLite transaction may put off until just before it commits: counter bumps,
//! search-index documents, and new attachments with their small files' bytes.
//!
//! Every statement on SQLite is a round trip to the connection's own thread, and the
//! inbound group commit receives up to 128 messages in one transaction, each bumping a few
//! counters and indexing up to three documents. Summing the counter deltas and writing all
//! documents in one statement each turns some seven round trips per message into two per
//! batch. What is deferred is written inside the same transaction, so durability and
//! atomicity are unchanged; only reads of a deferred counter or document *within* that
//! transaction would see the old value, which is why deferral is opt-in (see
//! [`Tx::defer_writes`]) and used only where nothing reads them back before the commit.

use crate::{Result, Tx, run, run_now, search::Doc};
use domain::WorkspaceId;
use std::collections::{BTreeMap, HashMap, HashSet};
use uuid::Uuid;

/// The most rows one multi-row statement carries, a power of two so that a full one needs
/// no padding (see `values`); SQLite allows 32,766 bound values.
const ROWS_PER_STATEMENT: usize = 256;

/// What a transaction has put off.
#[derive(Default)]
pub(crate) struct Deferred {
    counters: HashMap<(WorkspaceId, String), i64>,
    /// Documents in the order they were written; a later write of the same id replaces an
    /// earlier one in place.
    docs: Vec<Doc>,
    doc_slots: HashMap<Uuid, usize>,
    /// Their words, for `search_terms` (sorted before they are written, so the insert
    /// walks the index in order).
    terms: HashSet<String>,
    /// New attachments' metadata, and small files' bytes by workspace and SHA-256.
    pub(crate) attachments: Vec<domain::Attachment>,
    pub(crate) file_contents: BTreeMap<(WorkspaceId, String), Vec<u8>>,
    /// Answers about a workspace's set-up asked once per transaction (see [`Tx::memo`]).
    memo: HashMap<(WorkspaceId, Memo), bool>,
    /// Conversation numbers handed out from a workspace's sequence.
    numbers: HashMap<WorkspaceId, Numbers>,
    /// New contacts, conversations and messages, written before the next statement.
    pub(crate) held: crate::held::Held,
}

/// Conversation numbers a deferring transaction takes from a workspace's sequence at once,
/// when it has not read the sequence with the workspace's set-up.
const NUMBER_BLOCK: i64 = 64;

/// Conversation numbers a deferring transaction hands out from a workspace's sequence: the
/// next one and the last it may hand out, and the sequence as stored. At the flush the
/// sequence is set to the last number handed out, when that differs: the numbers have no
/// gaps, and a batch that read the sequence with its set-up writes it once.
#[derive(Debug, Clone, Copy)]
struct Numbers {
    next: i64,
    last: i64,
    stored: i64,
}

/// A question about a workspace's set-up that every inbound message asks and that nothing
/// in an inbound batch changes (except where noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Memo {
    /// Some queue assigns automatically.
    AutoAssigns,
    /// Some automation rule is on.
    HasRules,
    /// Some contact still stands in a retiring inbox's report (a batch may add one).
    SunsetContacts,
}

impl Deferred {
    pub(crate) fn bump(&mut self, ws: WorkspaceId, key: &str, delta: i64) {
        *self.counters.entry((ws, key.to_string())).or_insert(0) += delta;
    }

    pub(crate) fn index(&mut self, doc: Doc, terms: Vec<String>) {
        self.terms.extend(terms);
        match self.doc_slots.get(&doc.ref_id) {
            Some(&slot) => self.docs[slot] = doc,
            None => {
                self.doc_slots.insert(doc.ref_id, self.docs.len());
                self.docs.push(doc);
            }
        }
    }

    pub(crate) fn unindex(&mut self, ref_id: Uuid) {
        // Rare (a contact merged away inside a batch); dropping the pending write and
        // letting the caller's DELETE run keeps the outcome right.
        if let Some(slot) = self.doc_slots.remove(&ref_id) {
            self.docs.remove(slot);
            self.doc_slots = self.docs.iter().enumerate().map(|(i, d)| (d.ref_id, i)).collect();
        }
    }
}

impl Tx {
    /// The remembered answer to `memo` for `ws`, in a transaction that defers its writes:
    /// the inbound batch asks the same few questions about a workspace for every message,
    /// and nothing in it changes the answers, so each is asked once per batch.
    pub(crate) fn memo(&self, ws: WorkspaceId, memo: Memo) -> Option<bool> {
        self.deferred.as_ref().and_then(|d| d.memo.get(&(ws, memo)).copied())
    }

    /// Remembers an answer (only while writes are deferred).
    pub(crate) fn remember(&mut self, ws: WorkspaceId, memo: Memo, answer: bool) {
        if let Some(d) = &mut self.deferred {
            d.memo.insert((ws, memo), answer);
        }
    }

    /// Asks every [`Memo`] question about `ws` in one statement, while writes are deferred
    /// and none of them has been asked yet (a no-op otherwise): an inbound batch calls it
    /// before its first message, which would ask them one statement at a time.
    pub async fn learn_workspace_setup(&mut self, ws: WorkspaceId) -> Result<()> {
        let memos = [Memo::AutoAssigns, Memo::HasRules, Memo::SunsetContacts];
        if self.deferred.is_none() || memos.iter().any(|m| self.memo(ws, *m).is_some()) {
            return Ok(());
        }
        // With the workspace's conversation sequence: deferring is SQLite's, whose write
        // transaction is the only one, so nothing changes it before this one writes it.
        let q = "SELECT EXISTS (SELECT 1 FROM routing_policies WHERE workspace_id = $1 AND policy <> $2), \
                 EXISTS (SELECT 1 FROM rules WHERE workspace_id = $1 AND enabled = $3), \
                 EXISTS (SELECT 1 FROM sunset_contacts WHERE workspace_id = $1 AND moved_at IS NULL), \
                 (SELECT conversation_seq FROM workspaces WHERE id = $1)";
        // None of these tables holds rows back (see `held`): nothing to write first.
        let (auto, rules, sunset, seq): (bool, bool, bool, Option<i64>) = run_now!(self, |c| sqlx::query_as(q)
            .bind(ws.0)
            .bind(domain::AssignmentPolicy::Manual.as_str())
            .bind(true)
            .fetch_one(c)
            .await)?;
        self.remember(ws, Memo::AutoAssigns, auto);
        self.remember(ws, Memo::HasRules, rules);
        self.remember(ws, Memo::SunsetContacts, sunset);
        if let (Some(seq), Some(d)) = (seq, &mut self.deferred) {
            d.numbers.entry(ws).or_insert(Numbers { next: seq + 1, last: i64::MAX, stored: seq });
        }
        Ok(())
    }

    /// The next conversation number of a workspace while this transaction defers its
    /// writes: from the sequence read with the workspace's set-up, else from a block
    /// reserved for this transaction (one statement per block, not per number).
    pub(crate) async fn next_number_deferred(&mut self, ws: WorkspaceId) -> Result<Option<i64>> {
        let Some(d) = &mut self.deferred else { return Ok(None) };
        if let Some(n) = d.numbers.get_mut(&ws)
            && n.next <= n.last
        {
            n.next += 1;
            return Ok(Some(n.next - 1));
        }
        let q =
            "UPDATE workspaces SET conversation_seq = conversation_seq + $2 WHERE id = $1 RETURNING conversation_seq";
        // `workspaces` holds no rows back (see `held`): nothing to write first, so a batch
        // writes its held rows once, at its end.
        let last: i64 = run_now!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(NUMBER_BLOCK).fetch_one(c).await)?;
        let first = last - NUMBER_BLOCK + 1;
        if let Some(d) = &mut self.deferred {
            d.numbers.insert(ws, Numbers { next: first + 1, last, stored: last });
        }
        Ok(Some(first))
    }

    /// From now until the commit, counter bumps, search-index writes, new attachments and
    /// small files' bytes are collected and written in a few multi-row statements just
    /// before [`Tx::commit`]. Only SQLite defers
    /// (on PostgreSQL the writes happen at once). Reads of counters or of the index inside
    /// this transaction do not see the deferred writes, so use it only where nothing reads
    /// them back; and never together with savepoints, which cannot undo what is deferred.
    pub fn defer_writes(&mut self) {
        if self.dialect() == crate::Dialect::Sqlite && self.deferred.is_none() {
            self.deferred = Some(Deferred::default());
        }
    }

    /// Writes everything deferred so far. [`Tx::commit`] calls it; calling it earlier is
    /// only needed before reading a deferred counter or document back.
    pub async fn flush_deferred(&mut self) -> Result<()> {
        self.write_held_rows().await?;
        let Some(mut deferred) = self.deferred.take() else { return Ok(()) };
        let memo = std::mem::take(&mut deferred.memo);
        // The sequence ends at the last number handed out: numbers taken in a block but not
        // handed out go back, so numbering has no gaps.
        for (ws, n) in std::mem::take(&mut deferred.numbers) {
            if n.next - 1 != n.stored {
                let q = "UPDATE workspaces SET conversation_seq = $2 WHERE id = $1";
                run!(self, |c| sqlx::query(q).bind(ws.0).bind(n.next - 1).execute(c).await.map(|r| r.rows_affected()))?;
            }
        }
        let mut counters: Vec<_> = deferred.counters.into_iter().filter(|(_, delta)| *delta != 0).collect();
        // A stable order keeps lock and page access predictable across batches.
        counters.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for chunk in counters.chunks(ROWS_PER_STATEMENT) {
            self.write_counters(chunk).await?;
        }
        for chunk in deferred.docs.chunks(ROWS_PER_STATEMENT) {
            self.write_docs(chunk).await?;
        }
        let mut terms: Vec<String> = deferred.terms.into_iter().collect();
        terms.sort_unstable();
        self.write_terms(&terms).await?;
        let files: Vec<_> = deferred.file_contents.into_iter().collect();
        // Bytes dominate these rows: a few per statement keep each one small.
        for chunk in files.chunks(32) {
            self.put_file_contents(chunk).await?;
        }
        for chunk in deferred.attachments.chunks(ROWS_PER_STATEMENT / 2) {
            self.insert_attachments(chunk).await?;
        }
        self.deferred = Some(Deferred { memo, ..Deferred::default() });
        Ok(())
    }

    async fn write_counters(&mut self, rows: &[((WorkspaceId, String), i64)]) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), rows.len(), 3);
        let q = format!(
            "INSERT INTO counters (workspace_id, key, value) {} \
             ON CONFLICT (workspace_id, key) DO UPDATE SET value = counters.value + excluded.value",
            values.sql
        );
        run!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for ((ws, key), delta) in rows {
                query = query.bind(ws.0).bind(key.as_str()).bind(*delta);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn write_docs(&mut self, docs: &[Doc]) -> Result<()> {
        let values = crate::values::Values::new(self.dialect(), docs.len(), 6);
        let q = format!(
            "INSERT INTO search_docs (workspace_id, kind, ref_id, conversation_id, ws, body) {} \
             ON CONFLICT (ref_id) DO UPDATE SET body = excluded.body, conversation_id = excluded.conversation_id",
            values.sql
        );
        run!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for d in docs {
                query = query
                    .bind(d.workspace_id.0)
                    .bind(d.kind.as_str())
                    .bind(d.ref_id)
                    .bind(d.conversation_id)
                    .bind(d.workspace_token.as_str())
                    .bind(d.body.as_str());
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
