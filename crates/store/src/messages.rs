//! Messages and their attachments. The provider's message id is unique per inbox: the store
//! reports a second insert of it as `Conflict { field: "provider_message_id" }`.

use crate::rows::{collect, parse};
use crate::{Result, StoreError, Tx, run};
use domain::{
    Attachment, AttachmentId, Author, ContactId, ConversationId, Cursor, DeliveryStatus, InboxId, Message, MessageId,
    MessageMeta, Page, UserId, WorkspaceId,
};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct MessageRow {
    workspace_id: Uuid,
    id: Uuid,
    conversation_id: Uuid,
    inbox_id: Uuid,
    direction: String,
    kind: String,
    author_kind: String,
    author_id: Option<Uuid>,
    text: String,
    html: Option<String>,
    provider_message_id: Option<String>,
    delivery_status: Option<String>,
    delivery_error: Option<String>,
    meta: Option<String>,
    created_at: i64,
}

impl MessageRow {
    fn into_message(self, attachments: Vec<Attachment>) -> Result<Message> {
        let author = match (self.author_kind.as_str(), self.author_id) {
            ("agent", Some(id)) => Author::Agent(UserId(id)),
            ("contact", Some(id)) => Author::Contact(ContactId(id)),
            ("system", _) => Author::System,
            (other, _) => return Err(StoreError::Corrupt(format!("message author {other:?} without an id"))),
        };
        Ok(Message {
            id: MessageId(self.id),
            workspace_id: WorkspaceId(self.workspace_id),
            conversation_id: ConversationId(self.conversation_id),
            inbox_id: InboxId(self.inbox_id),
            direction: parse(&self.direction)?,
            kind: parse(&self.kind)?,
            author,
            text: self.text,
            html: self.html,
            attachments,
            provider_message_id: self.provider_message_id,
            delivery_status: self.delivery_status.as_deref().map(parse).transpose()?,
            delivery_error: self.delivery_error,
            meta: match self.meta.as_deref() {
                None | Some("") => MessageMeta::default(),
                Some(json) => serde_json::from_str(json)
                    .map_err(|e| StoreError::Corrupt(format!("message {} meta: {e}", self.id)))?,
            },
            created_at: self.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AttachmentRow {
    workspace_id: Uuid,
    id: Uuid,
    message_id: Option<Uuid>,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: i64,
}

impl From<AttachmentRow> for Attachment {
    fn from(r: AttachmentRow) -> Self {
        Attachment {
            id: AttachmentId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            message_id: r.message_id.map(MessageId),
            filename: r.filename,
            content_type: r.content_type,
            size: r.size,
            sha256: r.sha256,
            created_at: r.created_at,
        }
    }
}

const COLS: &str = "SELECT workspace_id, id, conversation_id, inbox_id, direction, kind, author_kind, author_id, text, html, \
     provider_message_id, delivery_status, delivery_error, meta, created_at FROM messages";
const ATTACHMENT_COLS: &str =
    "SELECT workspace_id, id, message_id, filename, content_type, size, sha256, created_at FROM attachments";

pub(crate) fn author_parts(a: &Author) -> (&'static str, Option<Uuid>) {
    match a {
        Author::Agent(u) => ("agent", Some(u.0)),
        Author::Contact(c) => ("contact", Some(c.0)),
        Author::System => ("system", None),
    }
}

impl Tx {
    /// Inserts a message and links its attachments to it (those not recorded as its already).
    pub async fn insert_message(&mut self, m: &Message) -> Result<()> {
        if !self.hold_message(m) {
            self.write_messages(std::slice::from_ref(m)).await?;
        }
        for a in m.attachments.iter().filter(|a| a.message_id != Some(m.id)) {
            let q = "UPDATE attachments SET message_id = $3 WHERE workspace_id = $1 AND id = $2";
            run!(self, |c| sqlx::query(q)
                .bind(m.workspace_id.0)
                .bind(a.id.0)
                .bind(m.id.0)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// A message with its attachments.
    pub async fn get_message(&mut self, ws: WorkspaceId, id: MessageId) -> Result<Option<Message>> {
        let q = format!("{COLS} WHERE workspace_id = $1 AND id = $2");
        let row: Option<MessageRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let attachments = self.attachments_of(ws, &[row.id]).await?;
        row.into_message(attachments).map(Some)
    }

    /// Which of `provider_ids` an inbox has received already (one look-up for a whole
    /// inbound batch).
    pub async fn provider_ids_taken(
        &mut self,
        ws: WorkspaceId,
        inbox: InboxId,
        provider_ids: &[&str],
    ) -> Result<Vec<String>> {
        if provider_ids.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT provider_message_id FROM messages WHERE workspace_id = $1 AND inbox_id = $2 \
             AND provider_message_id IN ({})",
            crate::lists::texts(self.dialect(), 3)
        );
        let list = crate::lists::json(provider_ids)?;
        let taken: Vec<String> = run!(self, |c| sqlx::query_scalar(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(inbox.0)
            .bind(list.as_str())
            .fetch_all(c)
            .await)?;
        Ok(taken)
    }

    /// The message an inbox already received under a provider id.
    pub async fn message_by_provider_id(
        &mut self,
        ws: WorkspaceId,
        inbox: InboxId,
        provider_id: &str,
    ) -> Result<Option<Message>> {
        let q = "SELECT id FROM messages WHERE workspace_id = $1 AND inbox_id = $2 AND provider_message_id = $3";
        let id: Option<Uuid> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(inbox.0).bind(provider_id).fetch_optional(c).await)?;
        match id {
            Some(id) => self.get_message(ws, MessageId(id)).await,
            None => Ok(None),
        }
    }

    /// A conversation's messages, oldest first, after `after`.
    pub async fn list_messages(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Message>> {
        let (key, id) = after.map(|c| (c.key, c.id)).unwrap_or((i64::MIN, Uuid::nil()));
        let q = format!(
            "{COLS} WHERE workspace_id = $1 AND conversation_id = $2 AND (created_at > $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at, id LIMIT $5"
        );
        let rows: Vec<MessageRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(conv.0)
            .bind(key)
            .bind(id)
            .bind(limit as i64 + 1)
            .fetch_all(c)
            .await)?;
        let messages = self.with_attachments(ws, rows).await?;
        Ok(Page::from_rows(messages, limit, |m| Cursor { key: m.created_at, id: m.id.0 }))
    }

    /// Messages from their rows, each with its attachments (read in one query).
    async fn with_attachments(&mut self, ws: WorkspaceId, rows: Vec<MessageRow>) -> Result<Vec<Message>> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut attachments = self.attachments_of(ws, &ids).await?;
        let mut messages = Vec::with_capacity(rows.len());
        for row in rows {
            let mine = attachments.iter().filter(|a| a.message_id == Some(MessageId(row.id))).cloned().collect();
            attachments.retain(|a| a.message_id != Some(MessageId(row.id)));
            messages.push(row.into_message(mine)?);
        }
        Ok(messages)
    }

    /// A conversation's latest `limit` messages, oldest first.
    pub async fn latest_messages(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let q = format!(
            "{COLS} WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let mut rows: Vec<MessageRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(conv.0)
            .bind(limit as i64)
            .fetch_all(c)
            .await)?;
        rows.reverse();
        self.with_attachments(ws, rows).await
    }

    /// Marks the team's messages in a conversation up to `up_to` (a creation time) that are
    /// `sent` as `delivered` (the customer has them on screen); returns their ids.
    pub async fn mark_delivered_up_to(
        &mut self,
        ws: WorkspaceId,
        conv: ConversationId,
        up_to: domain::Millis,
    ) -> Result<Vec<MessageId>> {
        let q = "UPDATE messages SET delivery_status = 'delivered' WHERE workspace_id = $1 AND conversation_id = $2 \
                 AND direction = 'outbound' AND delivery_status = 'sent' AND created_at <= $3 RETURNING id";
        let ids: Vec<Uuid> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(conv.0).bind(up_to).fetch_all(c).await)?;
        Ok(ids.into_iter().map(MessageId).collect())
    }

    /// Records where delivery of an outbound message stands.
    pub async fn set_delivery(
        &mut self,
        ws: WorkspaceId,
        id: MessageId,
        status: DeliveryStatus,
        error: Option<&str>,
        provider_id: Option<&str>,
    ) -> Result<()> {
        let q = "UPDATE messages SET delivery_status = $3, delivery_error = $4, \
                 provider_message_id = COALESCE(provider_message_id, $5) WHERE workspace_id = $1 AND id = $2";
        run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(id.0)
            .bind(status.as_str())
            .bind(error)
            .bind(provider_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))
        .map_err(StoreError::unique("provider_message_id"))?;
        Ok(())
    }

    /// Stores an attachment's metadata (its content is stored already, or in this
    /// transaction). Deferred to the commit when the transaction defers its writes.
    pub async fn insert_attachment(&mut self, a: &Attachment) -> Result<()> {
        if let Some(deferred) = &mut self.deferred {
            deferred.attachments.push(a.clone());
            return Ok(());
        }
        self.insert_attachments(std::slice::from_ref(a)).await
    }

    /// Stores several attachments' metadata in one statement.
    pub(crate) async fn insert_attachments(&mut self, rows: &[Attachment]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let values = crate::values::Values::new(self.dialect(), rows.len(), 8);
        let q = format!(
            "INSERT INTO attachments (workspace_id, id, message_id, filename, content_type, size, sha256, created_at) \
             {}",
            values.sql
        );
        run!(self, |c| {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(q.as_str()));
            for a in rows {
                query = query
                    .bind(a.workspace_id.0)
                    .bind(a.id.0)
                    .bind(a.message_id.map(|m| m.0))
                    .bind(a.filename.as_str())
                    .bind(a.content_type.as_str())
                    .bind(a.size)
                    .bind(a.sha256.as_str())
                    .bind(a.created_at);
            }
            values.pad(query).execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// An attachment of a workspace.
    pub async fn get_attachment(&mut self, ws: WorkspaceId, id: AttachmentId) -> Result<Option<Attachment>> {
        let q = format!("{ATTACHMENT_COLS} WHERE workspace_id = $1 AND id = $2");
        let row: Option<AttachmentRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(id.0)
            .fetch_optional(c)
            .await)?;
        Ok(row.map(Into::into))
    }

    async fn attachments_of(&mut self, ws: WorkspaceId, messages: &[Uuid]) -> Result<Vec<Attachment>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "{ATTACHMENT_COLS} WHERE workspace_id = $1 AND message_id IN ({}) ORDER BY created_at, id",
            crate::lists::ids(self.dialect(), 2)
        );
        let list = crate::lists::ids_json(messages.iter().copied())?;
        let rows: Vec<AttachmentRow> =
            run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str())).bind(ws.0).bind(&list).fetch_all(c).await)?;
        collect(rows, |r| Ok(r.into()))
    }
}
