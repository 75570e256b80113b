//! The workspace's label catalogue (names and colours offered when labelling).

use crate::{Result, StoreError, Tx, run};
use domain::{Millis, WorkspaceId};

impl Tx {
    /// Adds a label to the catalogue; `Conflict { field: "name" }` when it exists.
    pub async fn insert_label(&mut self, ws: WorkspaceId, name: &str, color: &str, now: Millis) -> Result<()> {
        let q = "INSERT INTO labels (workspace_id, name, color, created_at) VALUES ($1, $2, $3, $4)";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(name)
            .bind(color)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::unique("name"))?;
        Ok(())
    }

    /// The catalogue, by name: (name, colour).
    pub async fn list_labels(&mut self, ws: WorkspaceId) -> Result<Vec<(String, String)>> {
        let q = "SELECT name, color FROM labels WHERE workspace_id = $1 ORDER BY name";
        Ok(run!(self, |c| sqlx::query_as(q).bind(ws.0).fetch_all(c).await)?)
    }

    /// Removes a label from the catalogue (conversations keep it); false when absent.
    pub async fn delete_label(&mut self, ws: WorkspaceId, name: &str) -> Result<bool> {
        let q = "DELETE FROM labels WHERE workspace_id = $1 AND name = $2";
        let n = run!(self, |c| sqlx::query(q).bind(ws.0).bind(name).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }
}
