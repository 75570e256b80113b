//! Agents' presence records: what each agent chose, since when, their last activity, their
//! own capacity and when routing last gave them a conversation. Effective presence
//! (auto-away) is computed by the caller from these and the time.

use crate::rows::parse;
use crate::{Result, StoreError, Tx, run};
use domain::{AgentPresence, Millis, Presence, UserId, WorkspaceId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct PresenceRow {
    workspace_id: Uuid,
    user_id: Uuid,
    presence: String,
    presence_since: i64,
    last_activity_at: i64,
    max_load: Option<f64>,
    last_assigned_at: Option<i64>,
}

impl PresenceRow {
    fn into_domain(self) -> Result<(WorkspaceId, AgentPresence)> {
        Ok((
            WorkspaceId(self.workspace_id),
            AgentPresence {
                user_id: UserId(self.user_id),
                chosen: parse(&self.presence)?,
                since: self.presence_since,
                last_activity_at: self.last_activity_at,
                max_load: self.max_load,
                last_assigned_at: self.last_assigned_at,
            },
        ))
    }
}

const COLS: &str = "SELECT workspace_id, user_id, presence, presence_since, last_activity_at, max_load, \
     last_assigned_at FROM agent_presence";

fn only(rows: Vec<PresenceRow>) -> Result<Vec<AgentPresence>> {
    rows.into_iter().map(|r| r.into_domain().map(|(_, p)| p)).collect::<Result<Vec<_>, StoreError>>()
}

impl Tx {
    /// An agent's presence record, if they ever set one.
    pub async fn get_presence(&mut self, ws: WorkspaceId, user: UserId) -> Result<Option<AgentPresence>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND user_id = $2");
        let row: Option<PresenceRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(user.0)
            .fetch_optional(c)
            .await)?;
        Ok(row.map(|r| r.into_domain()).transpose()?.map(|(_, p)| p))
    }

    /// Every presence record of a workspace.
    pub async fn list_presence(&mut self, ws: WorkspaceId) -> Result<Vec<AgentPresence>> {
        let q = format!("{COLS} WHERE workspace_id = $1 ORDER BY user_id");
        let rows: Vec<PresenceRow> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(ws.0).fetch_all(c).await)?;
        only(rows)
    }

    /// Sets what an agent chose; `since` moves only when the presence changes. Counts as
    /// activity.
    pub async fn set_presence(&mut self, ws: WorkspaceId, user: UserId, presence: Presence, now: Millis) -> Result<()> {
        let q = "INSERT INTO agent_presence (workspace_id, user_id, presence, presence_since, last_activity_at) \
                 VALUES ($1, $2, $3, $4, $4) ON CONFLICT (workspace_id, user_id) DO UPDATE SET \
                 presence_since = CASE WHEN agent_presence.presence = excluded.presence \
                 THEN agent_presence.presence_since ELSE excluded.presence_since END, \
                 presence = excluded.presence, last_activity_at = excluded.last_activity_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(presence.as_str())
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records an agent's activity (keeps them from turning away); nothing for an agent
    /// without a presence record.
    pub async fn touch_presence(&mut self, ws: WorkspaceId, user: UserId, now: Millis) -> Result<()> {
        let q = "UPDATE agent_presence SET last_activity_at = $3 \
                 WHERE workspace_id = $1 AND user_id = $2 AND last_activity_at < $3";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(user.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets an agent's own capacity (`None`: the workspace default); an agent without a
    /// record gets one, offline.
    pub async fn set_max_load(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        max_load: Option<f64>,
        now: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO agent_presence (workspace_id, user_id, presence, presence_since, last_activity_at, max_load) \
                 VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT (workspace_id, user_id) DO UPDATE SET max_load = excluded.max_load";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(Presence::Offline.as_str())
            .bind(now)
            .bind(max_load)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records that routing gave an agent a conversation at `now`.
    pub async fn mark_assigned(&mut self, ws: WorkspaceId, user: UserId, now: Millis) -> Result<()> {
        let q = "UPDATE agent_presence SET last_assigned_at = $3 WHERE workspace_id = $1 AND user_id = $2";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(user.0).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Presence records, in every workspace, of agents who hold open conversations (the
    /// re-queue check looks only at them).
    pub async fn presence_of_agents_with_open_work(
        &mut self,
        limit: usize,
    ) -> Result<Vec<(WorkspaceId, AgentPresence)>> {
        let q = format!(
            "{COLS} p WHERE EXISTS (SELECT 1 FROM conversations c WHERE c.workspace_id = p.workspace_id \
             AND c.assignee_id = p.user_id AND c.status = $1) LIMIT $2"
        );
        // Online agents are read too: auto-away turns them away without writing anything.
        let rows: Vec<PresenceRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(domain::Status::Open.as_str())
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        rows.into_iter().map(PresenceRow::into_domain).collect()
    }
}
