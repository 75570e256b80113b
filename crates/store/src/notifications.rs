//! Notifications for one user: mentions and assignments.

use crate::{Result, Tx, run};
use domain::{ConversationId, Cursor, MessageId, Millis, Notification, NotificationId, Page, UserId, WorkspaceId};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct NotificationRow {
    workspace_id: Uuid,
    id: Uuid,
    user_id: Uuid,
    kind: String,
    conversation_id: Uuid,
    message_id: Option<Uuid>,
    actor_id: Option<Uuid>,
    read_at: Option<i64>,
    created_at: i64,
}

impl From<NotificationRow> for Notification {
    fn from(r: NotificationRow) -> Self {
        Notification {
            id: NotificationId(r.id),
            workspace_id: WorkspaceId(r.workspace_id),
            user_id: UserId(r.user_id),
            kind: r.kind,
            conversation_id: ConversationId(r.conversation_id),
            message_id: r.message_id.map(MessageId),
            actor_id: r.actor_id.map(UserId),
            read_at: r.read_at,
            created_at: r.created_at,
        }
    }
}

/// The counter of a user's unread notifications.
pub fn unread_key(user: UserId) -> String {
    format!("unread:{user}")
}

impl Tx {
    /// Stores a notification and counts it unread.
    pub async fn insert_notification(&mut self, n: &Notification) -> Result<()> {
        let q = "INSERT INTO notifications (workspace_id, id, user_id, kind, conversation_id, message_id, actor_id, read_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)";
        run!(self, |c| sqlx::query(q)
            .bind(n.workspace_id.0)
            .bind(n.id.0)
            .bind(n.user_id.0)
            .bind(&n.kind)
            .bind(n.conversation_id.0)
            .bind(n.message_id.map(|m| m.0))
            .bind(n.actor_id.map(|a| a.0))
            .bind(n.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        self.bump_counter(n.workspace_id, &unread_key(n.user_id), 1).await
    }

    /// A user's notifications, newest first.
    pub async fn list_notifications(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        unread_only: bool,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Notification>> {
        let (key, id) = after.map(|c| (c.key, c.id)).unwrap_or((i64::MAX, Uuid::max()));
        let unread = if unread_only { " AND read_at IS NULL" } else { "" };
        let q = format!(
            "SELECT workspace_id, id, user_id, kind, conversation_id, message_id, actor_id, read_at, created_at FROM notifications \
             WHERE workspace_id = $1 AND user_id = $2{unread} AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        );
        let rows: Vec<NotificationRow> = run!(self, |c| sqlx::query_as(sqlx::AssertSqlSafe(q.as_str()))
            .bind(ws.0)
            .bind(user.0)
            .bind(key)
            .bind(id)
            .bind(limit as i64 + 1)
            .fetch_all(c)
            .await)?;
        let items: Vec<Notification> = rows.into_iter().map(Into::into).collect();
        Ok(Page::from_rows(items, limit, |n| Cursor { key: n.created_at, id: n.id.0 }))
    }

    /// Marks one of a user's notifications read; false when there is no such unread one.
    pub async fn mark_notification_read(
        &mut self,
        ws: WorkspaceId,
        user: UserId,
        id: NotificationId,
        now: Millis,
    ) -> Result<bool> {
        let q = "UPDATE notifications SET read_at = $4 WHERE workspace_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL";
        let n = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(id.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        self.bump_counter(ws, &unread_key(user), -(n as i64)).await?;
        Ok(n > 0)
    }

    /// Whether a notification exists for this user (read or not).
    pub async fn notification_exists(&mut self, ws: WorkspaceId, user: UserId, id: NotificationId) -> Result<bool> {
        let q = "SELECT id FROM notifications WHERE workspace_id = $1 AND user_id = $2 AND id = $3";
        let row: Option<Uuid> =
            run!(self, |c| sqlx::query_scalar(q).bind(ws.0).bind(user.0).bind(id.0).fetch_optional(c).await)?;
        Ok(row.is_some())
    }

    /// Marks all of a user's notifications read.
    pub async fn mark_all_notifications_read(&mut self, ws: WorkspaceId, user: UserId, now: Millis) -> Result<()> {
        let q = "UPDATE notifications SET read_at = $3 WHERE workspace_id = $1 AND user_id = $2 AND read_at IS NULL";
        let n = run!(self, |c| sqlx::query(q)
            .bind(ws.0)
            .bind(user.0)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        self.bump_counter(ws, &unread_key(user), -(n as i64)).await
    }
}
