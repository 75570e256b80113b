//! A conversation's SLA records: the stretches it was pending on the customer (its clocks
//! pause), the next warning or breach each clock is due to raise, the events already raised
//! (each once per clock start), and how far the SLA pass has looked at changed conversations.

use super::{COLS, ConversationRow};
use crate::{Result, Tx, run};
use domain::{Conversation, ConversationId, Millis, WorkspaceId};
use uuid::Uuid;

/// A timer that is due: (workspace, conversation, kind, event, clock start, due at).
pub type DueTimer = (WorkspaceId, ConversationId, String, String, Millis, Millis);

impl Tx {
    /// Starts a pause (the conversation is now pending on the customer).
    pub async fn open_sla_pause(&mut self, ws: WorkspaceId, id: ConversationId, at: Millis) -> Result<()> {
        let q = "INSERT INTO sla_pauses (workspace_id, conversation_id, paused_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends the conversation's open pause at `at`.
    pub async fn close_sla_pause(&mut self, ws: WorkspaceId, id: ConversationId, at: Millis) -> Result<()> {
        let q = "UPDATE sla_pauses SET resumed_at = $3 WHERE workspace_id = $1 AND conversation_id = $2 AND resumed_at IS NULL";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A conversation's pauses as (from, until), oldest first.
    pub async fn sla_pauses(&mut self, ws: WorkspaceId, id: ConversationId) -> Result<Vec<(Millis, Option<Millis>)>> {
        let q = "SELECT paused_at, resumed_at FROM sla_pauses WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY paused_at";
        Ok(run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(id.0).fetch_all(c).await)?)
    }

    /// Sets the next event of one clock of a conversation.
    pub async fn set_sla_timer(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
        kind: &str,
        event: &str,
        clock_started_at: Millis,
        due_at: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO sla_timers (workspace_id, conversation_id, kind, event, clock_started_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id, conversation_id, kind) DO UPDATE SET \
                 event = excluded.event, clock_started_at = excluded.clock_started_at, due_at = excluded.due_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id.0)
            .bind(kind)
            .bind(event)
            .bind(clock_started_at)
            .bind(due_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Removes one clock's timer.
    pub async fn clear_sla_timer(&mut self, ws: WorkspaceId, id: ConversationId, kind: &str) -> Result<()> {
        let q = "DELETE FROM sla_timers WHERE workspace_id = $1 AND conversation_id = $2 AND kind = $3";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).bind(kind).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Timers due at or before `now`, in every workspace, soonest first.
    pub async fn due_sla_timers(&mut self, now: Millis, limit: usize) -> Result<Vec<DueTimer>> {
        let q = "SELECT workspace_id, conversation_id, kind, event, clock_started_at, due_at FROM sla_timers \
                 WHERE due_at <= $1 ORDER BY due_at LIMIT $2";
        let rows: Vec<(Uuid, Uuid, String, String, i64, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(now).bind(limit as i64).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|(w, c, k, e, s, d)| (WorkspaceId(w), ConversationId(c), k, e, s, d)).collect())
    }

    /// Records that an event was raised for a clock started at `clock_started_at`; false when
    /// it had been already.
    pub async fn mark_sla_fired(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
        kind: &str,
        event: &str,
        clock_started_at: Millis,
        now: Millis,
    ) -> Result<bool> {
        let q = "INSERT INTO sla_fired (workspace_id, conversation_id, kind, event, clock_started_at, fired_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";
        let n = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id.0)
            .bind(kind)
            .bind(event)
            .bind(clock_started_at)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// How far the SLA pass has looked at changed conversations of a workspace.
    pub async fn sla_scanned_until(&mut self, ws: WorkspaceId) -> Result<Option<Millis>> {
        let q = "SELECT scanned_until FROM sla_scan WHERE workspace_id = $1";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).fetch_optional(c).await)?)
    }

    /// Records how far the SLA pass has looked.
    pub async fn set_sla_scanned_until(&mut self, ws: WorkspaceId, at: Millis) -> Result<()> {
        let q = "INSERT INTO sla_scan (workspace_id, scanned_until) VALUES ($1, $2) \
                 ON CONFLICT (workspace_id) DO UPDATE SET scanned_until = excluded.scanned_until";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Conversations of a workspace whose last change comes after `after` (a time and an
    /// id: changes at the same time are told apart by the conversation's id), oldest change
    /// first. `(since, Uuid::nil())` starts at the changes made at `since`.
    pub async fn conversations_changed_after(
        &mut self,
        ws: WorkspaceId,
        after: (Millis, Uuid),
        limit: usize,
    ) -> Result<Vec<Conversation>> {
        let q = format!(
            "{COLS} WHERE workspace_id = $1 AND last_activity_at >= $2 AND (last_activity_at > $2 OR id > $3) \
             ORDER BY last_activity_at, id LIMIT $4"
        );
        let rows: Vec<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(after.0)
            .bind(after.1)
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        crate::rows::collect(rows, Conversation::try_from)
    }
}
