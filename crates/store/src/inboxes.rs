//! Inboxes: one row per channel instance; the addresses e-mail inboxes receive at (one
//! inbox per address across all workspaces, kept in step with the settings on every write);
//! and each inbox's channel state (a poller's position).

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
        self.set_inbox_addresses(i).await
    }

    /// Writes an inbox's name, settings and status.
    pub async fn update_inbox(&mut self, i: &Inbox) -> Result<()> {
        self.access_changes();
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
        self.set_inbox_addresses(i).await
    }

    /// Makes the address routing table say what the inbox's settings say. An address taken
    /// by another inbox is a `Conflict { field: "settings.email.addresses" }`.
    async fn set_inbox_addresses(&mut self, i: &Inbox) -> Result<()> {
        let q = "DELETE FROM inbox_addresses WHERE workspace_id = $1 AND inbox_id = $2";
        run!(self, |c| sqlx::query(q).bind(i.workspace_id.0).bind(i.id.0).execute(c).await.map(|r| r.rows_affected()))?;
        let addresses = i.settings.email.as_ref().map(|e| e.addresses.as_slice()).unwrap_or_default();
        for a in addresses {
            let q = "INSERT INTO inbox_addresses (address, workspace_id, inbox_id) VALUES ($1, $2, $3)";
            run!(self, |c| sqlx::query(q)
                .bind(a)
                .bind(i.workspace_id.0)
                .bind(i.id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))
            .map_err(StoreError::unique("settings.email.addresses"))?;
        }
        Ok(())
    }

    /// The inbox that receives at `address` (lower-cased, without a +tag), in any workspace.
    pub async fn inbox_by_address(&mut self, address: &str) -> Result<Option<Inbox>> {
        let q = "SELECT workspace_id, inbox_id FROM inbox_addresses WHERE address = $1";
        let row: Option<(Uuid, Uuid)> = run!(self, |c| sqlx::query_as(q).bind(address).fetch_optional(c).await)?;
        match row {
            Some((ws, id)) => self.get_inbox(WorkspaceId(ws), InboxId(id)).await,
            None => Ok(None),
        }
    }

    /// Every e-mail inbox of every workspace (the pollers' work list).
    pub async fn email_inboxes(&mut self) -> Result<Vec<Inbox>> {
        let q = format!("{COLS} WHERE kind = 'email' ORDER BY created_at");
        let rows: Vec<InboxRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).fetch_all(c).await)?;
        rows.into_iter().map(Inbox::try_from).collect()
    }

    /// An inbox's channel state (JSON), if any was saved.
    pub async fn channel_state(&mut self, ws: WorkspaceId, inbox: InboxId) -> Result<Option<serde_json::Value>> {
        let q = "SELECT state FROM channel_state WHERE workspace_id = $1 AND inbox_id = $2";
        let row: Option<(String,)> =
            run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(inbox.0).fetch_optional(c).await)?;
        row.map(|(s,)| serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("channel state: {e}"))))
            .transpose()
    }

    /// Saves an inbox's channel state.
    pub async fn set_channel_state(
        &mut self,
        ws: WorkspaceId,
        inbox: InboxId,
        state: &serde_json::Value,
        now: i64,
    ) -> Result<()> {
        let q = "INSERT INTO channel_state (workspace_id, inbox_id, state, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, inbox_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at";
        let text = state.to_string();
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(inbox.0)
            .bind(&text)
            .bind(now)
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
