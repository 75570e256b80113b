//! Automation rules of a workspace, stored whole as JSON beside their position and enabled
//! flag (so the order and "any rules at all?" are cheap to read).

use crate::rows::{json, to_json};
use crate::{Result, StoreError, Tx, run};
use domain::{Millis, Rule, RuleId, WorkspaceId};
use sqlx::types::Json;

impl Tx {
    /// Every rule of a workspace, in run order (position, then id).
    pub async fn list_rules(&mut self, ws: WorkspaceId) -> Result<Vec<Rule>> {
        let q = "SELECT rule FROM rules WHERE workspace_id = $1 ORDER BY position, id";
        let rows: Vec<Json<serde_json::Value>> = run!(self, |c| sqlx::query_scalar(q).bind(ws.0).fetch_all(c).await)?;
        rows.into_iter().map(|r| json(r.0, "rule")).collect::<Result<_, StoreError>>()
    }

    /// One rule.
    pub async fn get_rule(&mut self, ws: WorkspaceId, id: RuleId) -> Result<Option<Rule>> {
        let q = "SELECT rule FROM rules WHERE workspace_id = $1 AND id = $2";
        let row: Option<Json<serde_json::Value>> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(id.0).fetch_optional(c).await)?;
        row.map(|r| json(r.0, "rule")).transpose()
    }

    /// Inserts or replaces a rule.
    pub async fn upsert_rule(&mut self, ws: WorkspaceId, r: &Rule, now: Millis) -> Result<()> {
        let q = "INSERT INTO rules (workspace_id, id, position, enabled, rule, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (workspace_id, id) DO UPDATE SET position = excluded.position, enabled = excluded.enabled, \
                 rule = excluded.rule";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(r.id.0)
            .bind(r.position)
            .bind(r.enabled)
            .bind(to_json(r))
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes a rule; false when there was none.
    pub async fn delete_rule(&mut self, ws: WorkspaceId, id: RuleId) -> Result<bool> {
        let q = "DELETE FROM rules WHERE workspace_id = $1 AND id = $2";
        let n = run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Whether the workspace has an enabled rule (the hooks enqueue no rule job otherwise).
    pub async fn has_enabled_rules(&mut self, ws: WorkspaceId) -> Result<bool> {
        if let Some(known) = self.memo(ws, crate::deferred::Memo::HasRules) {
            return Ok(known);
        }
        let q = "SELECT id FROM rules WHERE workspace_id = $1 AND enabled = $2 LIMIT 1";
        let row: Option<uuid::Uuid> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(true).fetch_optional(c).await)?;
        self.remember(ws, crate::deferred::Memo::HasRules, row.is_some());
        Ok(row.is_some())
    }
}
