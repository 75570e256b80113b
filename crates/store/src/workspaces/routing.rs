//! A workspace's routing settings and the assignment policy of each inbox and team, with
//! the round-robin turn (the last agent given a conversation in that queue).

use crate::rows::{json, parse, to_json};
use crate::{Result, Tx, run};
use domain::{AssignmentPolicy, InboxId, Millis, QueueScope, RoutingSettings, TeamId, UserId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

fn scope_parts(scope: QueueScope) -> (&'static str, Uuid) {
    match scope {
        QueueScope::Team(t) => ("team", t.0),
        QueueScope::Inbox(i) => ("inbox", i.0),
    }
}

fn scope_from(kind: &str, id: Uuid) -> QueueScope {
    if kind == "team" { QueueScope::Team(TeamId(id)) } else { QueueScope::Inbox(InboxId(id)) }
}

/// A queue's policy and round-robin turn.
type PolicyRow = (String, Uuid, String, Option<Uuid>);

impl Tx {
    /// The workspace's routing settings, when an admin saved some.
    pub async fn routing_settings(&mut self, ws: WorkspaceId) -> Result<Option<RoutingSettings>> {
        let q = "SELECT settings FROM routing_settings WHERE workspace_id = $1";
        let row: Option<Json<serde_json::Value>> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).fetch_optional(c).await)?;
        row.map(|v| json(v.0, "routing settings")).transpose()
    }

    /// Saves the workspace's routing settings.
    pub async fn set_routing_settings(&mut self, ws: WorkspaceId, s: &RoutingSettings, now: Millis) -> Result<()> {
        let q = "INSERT INTO routing_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(to_json(s))
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every queue with a policy of its own, with its round-robin turn.
    pub async fn routing_policies(
        &mut self,
        ws: WorkspaceId,
    ) -> Result<Vec<(QueueScope, AssignmentPolicy, Option<UserId>)>> {
        let q = "SELECT scope, scope_id, policy, turn FROM routing_policies WHERE workspace_id = $1 ORDER BY scope, scope_id";
        let rows: Vec<PolicyRow> = run!(self, |c| sqlx::query_as(q).bind(ws.0).fetch_all(c).await)?;
        rows.into_iter().map(|(k, id, p, turn)| Ok((scope_from(&k, id), parse(&p)?, turn.map(UserId)))).collect()
    }

    /// Sets a queue's policy (the round-robin turn stays).
    pub async fn set_routing_policy(
        &mut self,
        ws: WorkspaceId,
        scope: QueueScope,
        policy: AssignmentPolicy,
    ) -> Result<()> {
        let (kind, id) = scope_parts(scope);
        let q = "INSERT INTO routing_policies (workspace_id, scope, scope_id, policy) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, scope, scope_id) DO UPDATE SET policy = excluded.policy";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(kind)
            .bind(id)
            .bind(policy.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records whose turn it was last in a round-robin queue.
    pub async fn set_routing_turn(&mut self, ws: WorkspaceId, scope: QueueScope, user: UserId) -> Result<()> {
        let (kind, id) = scope_parts(scope);
        let q = "UPDATE routing_policies SET turn = $4 WHERE workspace_id = $1 AND scope = $2 AND scope_id = $3";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(kind)
            .bind(id)
            .bind(user.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Whether some queue of the workspace assigns automatically.
    pub async fn auto_assigns(&mut self, ws: WorkspaceId) -> Result<bool> {
        if let Some(known) = self.memo(ws, crate::deferred::Memo::AutoAssigns) {
            return Ok(known);
        }
        let q = "SELECT scope FROM routing_policies WHERE workspace_id = $1 AND policy <> $2 LIMIT 1";
        let row: Option<String> = run!(self, |c| sqlx::query_scalar(q)
            .bind(ws.0)
            .bind(AssignmentPolicy::Manual.as_str())
            .fetch_optional(c)
            .await)?;
        self.remember(ws, crate::deferred::Memo::AutoAssigns, row.is_some());
        Ok(row.is_some())
    }

    /// Workspaces where some queue assigns automatically (the periodic routing pass visits
    /// only them).
    pub async fn workspaces_with_auto_assignment(&mut self) -> Result<Vec<WorkspaceId>> {
        let q = "SELECT DISTINCT workspace_id FROM routing_policies WHERE policy <> $1";
        let rows: Vec<Uuid> =
            run!(self, |c| sqlx::query_scalar(q).bind(AssignmentPolicy::Manual.as_str()).fetch_all(c).await)?;
        Ok(rows.into_iter().map(WorkspaceId).collect())
    }
}
