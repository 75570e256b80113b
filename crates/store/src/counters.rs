//! Counters kept on write, so list badges never need `COUNT(*)`.

use crate::{Result, Tx, run};
use domain::WorkspaceId;

impl Tx {
    /// Adds `delta` to a counter (creating it at zero).
    pub async fn bump_counter(&mut self, ws: WorkspaceId, key: &str, delta: i64) -> Result<()> {
        if delta == 0 {
            return Ok(());
        }
        if let Some(deferred) = &mut self.deferred {
            deferred.bump(ws, key, delta);
            return Ok(());
        }
        let q = "INSERT INTO counters (workspace_id, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (workspace_id, key) DO UPDATE SET value = counters.value + excluded.value";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(key).bind(delta).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A counter's value (zero when never bumped).
    pub async fn counter(&mut self, ws: WorkspaceId, key: &str) -> Result<i64> {
        let q = "SELECT value FROM counters WHERE workspace_id = $1 AND key = $2";
        let v: Option<i64> = run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(key).fetch_optional(c).await)?;
        Ok(v.unwrap_or(0))
    }

    /// Applies the difference between two sets of counter keys: -1 for keys only in
    /// `before`, +1 for keys only in `after`.
    pub async fn move_counters(&mut self, ws: WorkspaceId, before: &[String], after: &[String]) -> Result<()> {
        for k in before.iter().filter(|k| !after.contains(k)) {
            self.bump_counter(ws, k, -1).await?;
        }
        for k in after.iter().filter(|k| !before.contains(k)) {
            self.bump_counter(ws, k, 1).await?;
        }
        Ok(())
    }
}
