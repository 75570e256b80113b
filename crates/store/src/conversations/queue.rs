//! The queue's reads and routing's records: waiting (open, unassigned) conversations, the
//! open work each agent carries, when a conversation was assigned and the handle times
//! (assignment to resolution) that wait estimates are made from.

use super::{COLS, ConversationRow};
use crate::{Result, Tx, run};
use domain::{Conversation, ConversationId, InboxId, Millis, Priority, Status, TeamId, UserId, Waiting, WorkspaceId};
use uuid::Uuid;

type WaitingRow = (Uuid, i64, String, Option<i64>, i64, Uuid, Option<Uuid>);

impl Tx {
    /// Waiting conversations (open, nobody assigned) of a workspace with their number, inbox
    /// and team, at most `limit`, in no particular order.
    pub async fn waiting_conversations(
        &mut self,
        ws: WorkspaceId,
        limit: usize,
    ) -> Result<Vec<(Waiting, i64, InboxId, Option<TeamId>)>> {
        let q = "SELECT id, number, priority, waiting_since, created_at, inbox_id, team_id FROM conversations \
                 WHERE workspace_id = $1 AND assignee_id IS NULL AND status = $2 LIMIT $3";
        let rows: Vec<WaitingRow> = run!(self, |c| sqlx::query_as(q)
            .bind(ws.0)
            .bind(Status::Open.as_str())
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        rows.into_iter()
            .map(|(id, number, priority, waiting_since, created_at, inbox, team)| {
                let w = Waiting {
                    id: ConversationId(id),
                    priority: crate::rows::parse::<Priority>(&priority)?,
                    waiting_since: waiting_since.unwrap_or(created_at),
                };
                Ok((w, number, InboxId(inbox), team.map(TeamId)))
            })
            .collect()
    }

    /// The open and pending conversations assigned to someone: (assignee, inbox, last
    /// activity), the load each agent carries.
    pub async fn assigned_work(&mut self, ws: WorkspaceId) -> Result<Vec<(UserId, InboxId, Millis)>> {
        let q = "SELECT assignee_id, inbox_id, last_activity_at FROM conversations \
                 WHERE workspace_id = $1 AND assignee_id IS NOT NULL AND status IN ($2, $3)";
        let rows: Vec<(Uuid, Uuid, i64)> = run!(self, |c| sqlx::query_as(q)
            .bind(ws.0)
            .bind(Status::Open.as_str())
            .bind(Status::Pending.as_str())
            .fetch_all(c)
            .await)?;
        Ok(rows.into_iter().map(|(u, i, at)| (UserId(u), InboxId(i), at)).collect())
    }

    /// An agent's open conversations (re-queued when they stay away).
    pub async fn open_assigned_to(&mut self, ws: WorkspaceId, user: UserId, limit: usize) -> Result<Vec<Conversation>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND assignee_id = $2 AND status = $3 LIMIT $4");
        let rows: Vec<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(user.0)
            .bind(Status::Open.as_str())
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        crate::rows::collect(rows, Conversation::try_from)
    }

    /// Records that a conversation was given to `user` at `at` (its handle time starts).
    pub async fn start_assignment(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
        user: UserId,
        at: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO assignment_starts (workspace_id, conversation_id, assignee_id, assigned_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET assignee_id = excluded.assignee_id, \
                 assigned_at = excluded.assigned_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id.0)
            .bind(user.0)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets when a conversation was assigned, returning it.
    pub async fn take_assignment_start(&mut self, ws: WorkspaceId, id: ConversationId) -> Result<Option<Millis>> {
        let q = "DELETE FROM assignment_starts WHERE workspace_id = $1 AND conversation_id = $2 RETURNING assigned_at";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(id.0).fetch_optional(c).await)?)
    }

    /// Records a handle time: `id` was resolved at `resolved_at` after `millis` assigned.
    pub async fn insert_handle_time(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
        resolved_at: Millis,
        millis: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO handle_times (workspace_id, conversation_id, resolved_at, millis) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT DO NOTHING";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id.0)
            .bind(resolved_at)
            .bind(millis)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The most recent handle times resolved at or after `since`, newest first.
    pub async fn recent_handle_times(&mut self, ws: WorkspaceId, since: Millis, limit: usize) -> Result<Vec<Millis>> {
        let q = "SELECT millis FROM handle_times WHERE workspace_id = $1 AND resolved_at >= $2 \
                 ORDER BY resolved_at DESC LIMIT $3";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(since).bind(limit as i64).fetch_all(c).await)?)
    }

    /// A conversation, locked until the transaction ends on PostgreSQL (SQLite's write
    /// transactions are exclusive already), so two nodes routing at once cannot both assign
    /// it.
    pub async fn conversation_for_update(
        &mut self,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> Result<Option<Conversation>> {
        if self.dialect() == crate::Dialect::Postgres {
            let q = format!("{COLS} WHERE workspace_id = $1 AND id = $2 FOR UPDATE");
            let row: Option<ConversationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
                .bind(ws.0)
                .bind(id.0)
                .fetch_optional(c)
                .await)?;
            return row.map(Conversation::try_from).transpose();
        }
        self.get_conversation(ws, id).await
    }
}
