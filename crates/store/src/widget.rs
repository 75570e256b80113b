//! The web chat widget's rows: visitors (a browser's token, stored hashed) and the
//! waiting-room assistant's memory of each conversation.

use crate::{Result, Tx, run};
use domain::{ConversationId, InboxId, Millis, WorkspaceId};
use uuid::Uuid;

/// A widget visitor as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct VisitorRecord {
    /// Its workspace.
    pub workspace_id: Uuid,
    /// Its id (also its contact identity's value).
    pub id: Uuid,
    /// The widget inbox it talks to.
    pub inbox_id: Uuid,
    /// When it first connected.
    pub created_at: i64,
    /// When it last connected.
    pub last_seen_at: i64,
}

impl Tx {
    /// Records a new visitor with the SHA-256 of its token.
    pub async fn insert_widget_visitor(
        &mut self,
        ws: WorkspaceId,
        id: Uuid,
        inbox: InboxId,
        token_hash: &str,
        now: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO widget_visitors (workspace_id, id, inbox_id, token_hash, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $5)";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id)
            .bind(inbox.0)
            .bind(token_hash)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The visitor holding the token whose SHA-256 is `token_hash`, in `ws`.
    pub async fn widget_visitor(&mut self, ws: WorkspaceId, token_hash: &str) -> Result<Option<VisitorRecord>> {
        let q = "SELECT workspace_id, id, inbox_id, created_at, last_seen_at FROM widget_visitors \
                 WHERE workspace_id = $1 AND token_hash = $2";
        Ok(run!(self, |c| sqlx::query_as(q).bind(ws.0).bind(token_hash).fetch_optional(c).await)?)
    }

    /// Notes that a visitor came back.
    pub async fn touch_widget_visitor(&mut self, ws: WorkspaceId, id: Uuid, now: Millis) -> Result<()> {
        let q = "UPDATE widget_visitors SET last_seen_at = $3 WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q).bind(ws.0).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The assistant's memory of a conversation (its JSON), if it spoke there.
    pub async fn assistant_session(&mut self, ws: WorkspaceId, conv: ConversationId) -> Result<Option<String>> {
        let q = "SELECT session FROM assistant_sessions WHERE workspace_id = $1 AND conversation_id = $2";
        Ok(run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(conv.0).fetch_optional(c).await)?)
    }

    /// Stores the assistant's memory of a conversation.
    pub async fn save_assistant_session(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        session: &str,
        now: Millis,
    ) -> Result<()> {
        let q = "INSERT INTO assistant_sessions (workspace_id, conversation_id, session, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET session = excluded.session, updated_at = excluded.updated_at";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(conv.0)
            .bind(session)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
