//! Inboxes: one row per channel instance.

use crate::rows::{json, parse, to_json};
use crate::{Result, StoreError, Tx, run};
use domain::{Inbox, InboxId, WorkspaceId};
use sqlx::types::Json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct InboxRow {
    workspace_id: Uuid,
    id: Uuid,
    kind: String,
    name: String,
    settings: Json<serde_json::Value>,
    secret: String,
    status: String,
    created_at: i64,
}

impl TryFrom<InboxRow> for Inbox {
    type Error = StoreError;
    fn try_from(r: InboxRow) -> Result<Self> {
        Ok(Inbox {
            id: InboxId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            kind: parse(&r.kind)?,
            name: r.name,
            settings: json(r.settings.0, "inbox settings")?,
            secret: r.secret,
            status: parse(&r.status)?,
            created_at: r.created_at,
        })
    }
}

const COLS: &str = "SELECT workspace_id, id, kind, name, settings, secret, status, created_at FROM inboxes";

impl Tx {
    /// Inserts an inbox.
    pub async fn insert_inbox(&mut self, i: &Inbox) -> Result<()> {
        let q = "INSERT INTO inboxes (workspace_id, id, kind, name, settings, secret, status, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        run!(self, |c| sqlx::query(q)
            .bind(i.workspace_id.0)
            .bind(i.id.0)
            .bind(i.kind.as_str())
            .bind(&i.name)
            .bind(to_json(&i.settings))
            .bind(&i.secret)
            .bind(i.status.as_str())
            .bind(i.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Writes an inbox's name, settings and status.
    pub async fn update_inbox(&mut self, i: &Inbox) -> Result<()> {
        let q = "UPDATE inboxes SET name = $3, settings = $4, status = $5 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q)
            .bind(i.workspace_id.0)
            .bind(i.id.0)
            .bind(&i.name)
            .bind(to_json(&i.settings))
            .bind(i.status.as_str())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// An inbox of a workspace.
    pub async fn get_inbox(&mut self, ws: WorkspaceId, id: InboxId) -> Result<Option<Inbox>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND id = $2");
        let row: Option<InboxRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        row.map(Inbox::try_from).transpose()
    }

    /// An inbox by id alone, for channel traffic that proves itself with the inbox secret.
    pub async fn get_inbox_by_id(&mut self, id: InboxId) -> Result<Option<Inbox>> {
        let q = format!("{COLS} WHERE id = $1");
        let row: Option<InboxRow> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(id.0).fetch_optional(c).await)?;
        row.map(Inbox::try_from).transpose()
    }

    /// Every inbox of a workspace, by name.
    pub async fn list_inboxes(&mut self, ws: WorkspaceId) -> Result<Vec<Inbox>> {
        let q = format!("{COLS} WHERE workspace_id = $1 ORDER BY name, id");
        let rows: Vec<InboxRow> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(ws.0).fetch_all(c).await)?;
        crate::rows::collect(rows, Inbox::try_from)
    }
}
