//! Teams and their members.

use crate::{Result, StoreError, Tx, run};
use domain::{Team, TeamId, UserId, WorkspaceId};
use uuid::Uuid;

impl Tx {
    /// Inserts a team with its members; `Conflict { field: "name" }` when the name is taken.
    pub async fn insert_team(&mut self, t: &Team) -> Result<()> {
        let q = "INSERT INTO teams (workspace_id, id, name, created_at) VALUES ($1, $2, $3, $4)";
        run!(self, |c| sqlx::query(q)
            .bind(t.workspace_id.0)
            .bind(t.id.0)
            .bind(&t.name)
            .bind(t.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::unique("name"))?;
        self.set_team_members(t.workspace_id, t.id, &t.members).await
    }

    /// Renames a team.
    pub async fn rename_team(&mut self, ws: WorkspaceId, id: TeamId, name: &str) -> Result<()> {
        let q = "UPDATE teams SET name = $3 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).bind(name).execute(c).await.map(|r| r.rows_affected()))
            .map_err(StoreError::unique("name"))?;
        Ok(())
    }

    /// Replaces a team's members.
    pub async fn set_team_members(&mut self, ws: WorkspaceId, id: TeamId, members: &[UserId]) -> Result<()> {
        run!(self, |c| sqlx::query("DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        for m in members {
            let q =
                "INSERT INTO team_members (workspace_id, team_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
            run!(self, |c| sqlx::query(q).bind(ws.0).bind(id.0).bind(m.0).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// A team with its members.
    pub async fn get_team(&mut self, ws: WorkspaceId, id: TeamId) -> Result<Option<Team>> {
        let q = "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 AND id = $2";
        let row: Option<(Uuid, String, i64)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(id.0).fetch_optional(c).await)?;
        let Some((id, name, created_at)) = row else { return Ok(None) };
        let members = self.team_members(ws, TeamId(id)).await?;
        Ok(Some(Team { id: TeamId(id), workspace_id: ws, name, members, created_at }))
    }

    async fn team_members(&mut self, ws: WorkspaceId, id: TeamId) -> Result<Vec<UserId>> {
        let q = "SELECT user_id FROM team_members WHERE workspace_id = $1 AND team_id = $2 ORDER BY user_id";
        let rows: Vec<Uuid> = run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(id.0).fetch_all(c).await)?;
        Ok(rows.into_iter().map(UserId).collect())
    }

    /// Every team of a workspace, by name.
    pub async fn list_teams(&mut self, ws: WorkspaceId) -> Result<Vec<Team>> {
        let q = "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 ORDER BY name, id";
        let rows: Vec<(Uuid, String, i64)> = run!(self, |c| sqlx::query_as(q).bind(ws.0).fetch_all(c).await)?;
        let mut teams = Vec::with_capacity(rows.len());
        for (id, name, created_at) in rows {
            let members = self.team_members(ws, TeamId(id)).await?;
            teams.push(Team { id: TeamId(id), workspace_id: ws, name, members, created_at });
        }
        Ok(teams)
    }

    /// Deletes a team; conversations keep no dangling team. False when there was none.
    pub async fn delete_team(&mut self, ws: WorkspaceId, id: TeamId) -> Result<bool> {
        run!(self, |c| sqlx::query("DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let r = run!(self, |c| sqlx::query("DELETE FROM teams WHERE workspace_id = $1 AND id = $2")
            .bind(ws.0)
            .bind(id.0)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(r > 0)
    }
}
