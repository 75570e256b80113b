//! SLA policies of a workspace, stored whole as JSON beside their name, with one marked as
//! the workspace's default.

use crate::rows::{json, to_json};
use crate::{Result, StoreError, Tx, run};
use domain::{Millis, SlaPolicy, SlaPolicyId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

type PolicyRow = (Json<serde_json::Value>, bool);

fn decode(rows: Vec<PolicyRow>) -> Result<Vec<(SlaPolicy, bool)>> {
    rows.into_iter().map(|(p, d)| Ok((json::<SlaPolicy>(p.0, "sla policy")?, d))).collect::<Result<_, StoreError>>()
}

impl Tx {
    /// Every SLA policy of a workspace with its default flag, by name.
    pub async fn list_sla_policies(&mut self, ws: WorkspaceId) -> Result<Vec<(SlaPolicy, bool)>> {
        let q = "SELECT policy, is_default FROM sla_policies WHERE workspace_id = $1 ORDER BY name, id";
        let rows: Vec<PolicyRow> = run!(self, |c| sqlx::query_as(q).bind(ws.0).fetch_all(c).await)?;
        decode(rows)
    }

    /// One SLA policy with its default flag.
    pub async fn get_sla_policy(&mut self, ws: WorkspaceId, id: SlaPolicyId) -> Result<Option<(SlaPolicy, bool)>> {
        let q = "SELECT policy, is_default FROM sla_policies WHERE workspace_id = $1 AND id = $2";
        let rows: Vec<PolicyRow> = run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(id.0).fetch_all(c).await)?;
        Ok(decode(rows)?.pop())
    }

    /// The workspace's default SLA policy, if it has one.
    pub async fn default_sla_policy(&mut self, ws: WorkspaceId) -> Result<Option<SlaPolicy>> {
        let q = "SELECT policy, is_default FROM sla_policies WHERE workspace_id = $1 AND is_default = $2 LIMIT 1";
        let rows: Vec<PolicyRow> = run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(true).fetch_all(c).await)?;
        Ok(decode(rows)?.pop().map(|(p, _)| p))
    }

    /// Inserts or replaces an SLA policy.
    pub async fn upsert_sla_policy(&mut self, ws: WorkspaceId, p: &SlaPolicy, now: Millis) -> Result<()> {
        let q = "INSERT INTO sla_policies (workspace_id, id, name, policy, is_default, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (workspace_id, id) DO UPDATE SET name = excluded.name, policy = excluded.policy";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(p.id.0)
            .bind(&p.name)
            .bind(to_json(p))
            .bind(false)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Makes `id` the workspace's only default policy.
    pub async fn set_default_sla_policy(&mut self, ws: WorkspaceId, id: SlaPolicyId) -> Result<()> {
        let q = "UPDATE sla_policies SET is_default = (id = $2) WHERE workspace_id = $1";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes an SLA policy; false when there was none.
    pub async fn delete_sla_policy(&mut self, ws: WorkspaceId, id: SlaPolicyId) -> Result<bool> {
        let q = "DELETE FROM sla_policies WHERE workspace_id = $1 AND id = $2";
        let n = run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Every workspace's id (the SLA pass visits each).
    pub async fn all_workspace_ids(&mut self) -> Result<Vec<WorkspaceId>> {
        let rows: Vec<Uuid> =
            run!(self, |c| sqlx::query_scalar("SELECT id FROM workspaces ORDER BY id").fetch_all(c).await)?;
        Ok(rows.into_iter().map(WorkspaceId).collect())
    }
}
