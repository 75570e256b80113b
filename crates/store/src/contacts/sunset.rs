//! Contacts and retiring inboxes: who still writes to a sunset or closed inbox, whether they
//! got the notice, whether they have moved on, and each contact's preferred inbox.

use crate::{Result, Tx, run};
use domain::{ContactId, InboxId, Millis, WorkspaceId};
use uuid::Uuid;

/// A contact still writing to a retiring inbox: (contact, noticed at, last written at).
pub type Straggler = (ContactId, Option<Millis>, Millis);

impl Tx {
    /// Records that a contact wrote to a retiring inbox at `now` (they count as still using
    /// it again, even if they had moved).
    pub async fn record_sunset_write(
        &mut self,
        ws: WorkspaceId,
        inbox: InboxId,
        contact: ContactId,
        now: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO sunset_contacts (workspace_id, inbox_id, contact_id, last_written_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, inbox_id, contact_id) DO UPDATE SET last_written_at = excluded.last_written_at, \
                 moved_to_inbox_id = NULL, moved_at = NULL";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(inbox.0)
            .bind(contact.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        self.remember(ws, crate::deferred::Memo::SunsetContacts, true);
        Ok(())
    }

    /// Marks the contact as told about the retiring inbox; false when they had been already.
    pub async fn claim_sunset_notice(
        &mut self,
        ws: WorkspaceId,
        inbox: InboxId,
        contact: ContactId,
        now: Millis,
    ) -> Result<bool> {
        let q = "UPDATE sunset_contacts SET noticed_at = $4 \
                 WHERE workspace_id = $1 AND inbox_id = $2 AND contact_id = $3 AND noticed_at IS NULL";
        let n = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(inbox.0)
            .bind(contact.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// A contact wrote to `inbox`: every retiring inbox they used counts them as moved there.
    /// Returns how many retiring inboxes they left.
    pub async fn move_from_sunset(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        now: Millis,
    ) -> Result<u64> {
        // Every inbound message asks; in a batch, a workspace with nobody left to move is
        // asked once (one indexed look-up instead of an UPDATE per message).
        let memo = crate::deferred::Memo::SunsetContacts;
        if self.deferred.is_some() && self.memo(ws, memo).is_none() {
            let q = "SELECT 1 FROM sunset_contacts WHERE workspace_id = $1 AND moved_at IS NULL LIMIT 1";
            let any: Option<i32> = run!(self, |c| sqlx::query_scalar(q).bind(ws.0).fetch_optional(c).await)?;
            self.remember(ws, memo, any.is_some());
        }
        if self.memo(ws, memo) == Some(false) {
            return Ok(0);
        }
        let q = "UPDATE sunset_contacts SET moved_to_inbox_id = $3, moved_at = $4 \
                 WHERE workspace_id = $1 AND contact_id = $2 AND inbox_id <> $3 AND moved_at IS NULL";
        Ok(run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(contact.0)
            .bind(inbox.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Sets a contact's preferred inbox.
    pub async fn set_preferred_inbox(
        &mut self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        now: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO preferred_inboxes (workspace_id, contact_id, inbox_id, since) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, contact_id) DO UPDATE SET inbox_id = excluded.inbox_id, since = excluded.since";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(contact.0)
            .bind(inbox.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A contact's preferred inbox and since when.
    pub async fn preferred_inbox(&mut self, ws: WorkspaceId, contact: ContactId) -> Result<Option<(InboxId, Millis)>> {
        let q = "SELECT inbox_id, since FROM preferred_inboxes WHERE workspace_id = $1 AND contact_id = $2";
        let row: Option<(Uuid, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(contact.0).fetch_optional(c).await)?;
        Ok(row.map(|(i, at)| (InboxId(i), at)))
    }

    /// The contacts still using a retiring inbox (written to it, not moved since), most
    /// recent first.
    pub async fn sunset_stragglers(&mut self, ws: WorkspaceId, inbox: InboxId, limit: usize) -> Result<Vec<Straggler>> {
        let q = "SELECT contact_id, noticed_at, last_written_at FROM sunset_contacts \
                 WHERE workspace_id = $1 AND inbox_id = $2 AND moved_at IS NULL ORDER BY last_written_at DESC LIMIT $3";
        let rows: Vec<(Uuid, Option<i64>, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(inbox.0).bind(limit as i64).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|(c, n, w)| (ContactId(c), n, w)).collect())
    }
}
