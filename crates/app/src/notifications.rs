//! A member's notifications (mentions, assignments) with the unread count kept on write.

use crate::{Actor, App, Error, Result};
use domain::{Cursor, Notification, NotificationId, Page};

impl App {
    /// The caller's notifications, newest first, and how many are unread.
    pub async fn list_notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<(Page<Notification>, i64)> {
        let mut tx = self.store_().read().await?;
        let page = tx.list_notifications(actor.workspace_id, actor.user_id, unread_only, cursor, limit).await?;
        let unread = tx.counter(actor.workspace_id, &store::unread_key(actor.user_id)).await?;
        Ok((page, unread.max(0)))
    }

    /// Marks one of the caller's notifications read.
    pub async fn mark_notification_read(&self, actor: &Actor, id: NotificationId) -> Result<()> {
        let mut tx = self.store_().write().await?;
        if !tx.mark_notification_read(actor.workspace_id, actor.user_id, id, self.now()).await?
            && !tx.notification_exists(actor.workspace_id, actor.user_id, id).await?
        {
            return Err(Error::NotFound { what: "notification" });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks all of the caller's notifications read.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<()> {
        let mut tx = self.store_().write().await?;
        tx.mark_all_notifications_read(actor.workspace_id, actor.user_id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
