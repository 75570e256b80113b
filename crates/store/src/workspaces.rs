//! Workspaces and the per-workspace conversation numbers.

mod routing;
mod rules;
mod sla;

use crate::{Result, Tx, run};
use domain::{Millis, Role, Workspace, WorkspaceId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct WorkspaceRow {
    id: Uuid,
    name: String,
    created_at: i64,
}

impl From<WorkspaceRow> for Workspace {
    fn from(r: WorkspaceRow) -> Self {
        Workspace { id: WorkspaceId(r.id), name: r.name, created_at: r.created_at }
    }
}

impl Tx {
    /// Inserts a workspace.
    pub async fn insert_workspace(&mut self, w: &Workspace) -> Result<()> {
        run!(self, |c| sqlx::query(
            "INSERT INTO workspaces (id, name, conversation_seq, created_at) VALUES ($1, $2, 0, $3)"
        )
        .bind(w.id.0)
        .bind(&w.name)
        .bind(w.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A workspace by id.
    pub async fn get_workspace(&mut self, id: WorkspaceId) -> Result<Option<Workspace>> {
        let q = "SELECT id, name, created_at FROM workspaces WHERE id = $1";
        let row: Option<WorkspaceRow> = run!(self, |c| sqlx::query_as(q).bind(id.0).fetch_optional(c).await)?;
        Ok(row.map(Into::into))
    }

    /// Renames a workspace.
    pub async fn rename_workspace(&mut self, id: WorkspaceId, name: &str) -> Result<()> {
        run!(self, |c| sqlx::query("UPDATE workspaces SET name = $2 WHERE id = $1")
            .bind(id.0)
            .bind(name)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Whether any workspace exists (the first start creates one).
    pub async fn any_workspace(&mut self) -> Result<bool> {
        let q = "SELECT id FROM workspaces LIMIT 1";
        let row: Option<Uuid> = run!(self, |c| sqlx::query_scalar(q).fetch_optional(c).await)?;
        Ok(row.is_some())
    }

    /// The workspaces a user is an active member of, oldest first, with their role.
    pub async fn workspaces_of(&mut self, user: domain::UserId) -> Result<Vec<(WorkspaceId, Role)>> {
        let q = "SELECT workspace_id, role FROM memberships WHERE user_id = $1 AND active = $2 ORDER BY created_at";
        let rows: Vec<(Uuid, String)> = run!(self, |c| sqlx::query_as(q).bind(user.0).bind(true).fetch_all(c).await)?;
        rows.into_iter().map(|(w, r)| Ok((WorkspaceId(w), crate::rows::parse(&r)?))).collect()
    }

    /// Takes the next human conversation number (#1042) of a workspace.
    pub async fn next_conversation_number(&mut self, ws: WorkspaceId) -> Result<i64> {
        if let Some(n) = self.next_number_deferred(ws).await? {
            return Ok(n);
        }
        let q =
            "UPDATE workspaces SET conversation_seq = conversation_seq + 1 WHERE id = $1 RETURNING conversation_seq";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).fetch_one(c).await)?)
    }

    /// The creation time of the first workspace, if any (used by the CLI).
    pub async fn first_workspace(&mut self) -> Result<Option<(WorkspaceId, Millis)>> {
        let q = "SELECT id, created_at FROM workspaces ORDER BY created_at LIMIT 1";
        let row: Option<(Uuid, i64)> = run!(self, |c| sqlx::query_as(q).fetch_optional(c).await)?;
        Ok(row.map(|(id, t)| (WorkspaceId(id), t)))
    }
}
