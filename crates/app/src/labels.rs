//! The label catalogue, colleagues' presence in a conversation, read marks and retrying a
//! failed delivery: the small use cases behind the agent inbox.

use crate::events::Ephemeral;
use crate::{Actor, App, Error, Result};
use domain::event::NewEvent;
use domain::{ConversationId, DeliveryStatus, Direction, EventKind, MessageId, MessageKind};
use serde_json::json;

/// A label offered when labelling conversations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// Its name (lower-case).
    pub name: String,
    /// Its colour, `#rrggbb`.
    pub color: String,
}

fn check_color(color: &str) -> Result<String> {
    let c = color.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok { Ok(c) } else { Err(Error::invalid("color", format!("{color:?} is not a colour like #3b82f6"))) }
}

impl App {
    /// The label catalogue, by name.
    pub async fn list_labels(&self, actor: &Actor) -> Result<Vec<Label>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_labels(actor.workspace_id).await?.into_iter().map(|(name, color)| Label { name, color }).collect())
    }

    /// Adds a label to the catalogue (admins).
    pub async fn create_label(&self, actor: &Actor, name: &str, color: &str) -> Result<Label> {
        actor.require_admin()?;
        let name = domain::conversation::normalise_label(name).map_err(|e| e.in_field("name"))?;
        let color = check_color(color)?;
        let mut tx = self.store_().write().await?;
        tx.insert_label(actor.workspace_id, &name, &color, self.now()).await?;
        tx.commit().await?;
        Ok(Label { name, color })
    }

    /// Removes a label from the catalogue (admins); conversations keep it.
    pub async fn delete_label(&self, actor: &Actor, name: &str) -> Result<()> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        if !tx.delete_label(actor.workspace_id, name).await? {
            return Err(Error::NotFound { what: "label" });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that the actor has read the conversation up to now (clears its unread dot).
    pub async fn mark_conversation_seen(&self, actor: &Actor, id: ConversationId) -> Result<()> {
        let mut tx = self.store_().write().await?;
        let conv = self.load_conversation(&mut tx, actor.workspace_id, id).await?;
        tx.mark_seen(actor.workspace_id, actor.user_id, conv.id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells teammates the actor is viewing or typing in a conversation (not stored).
    pub async fn announce_presence(&self, actor: &Actor, id: ConversationId, typing: bool) -> Result<()> {
        let name = {
            let mut tx = self.store_().read().await?;
            self.load_conversation(&mut tx, actor.workspace_id, id).await?;
            tx.get_user(actor.user_id).await?.map(|u| u.name).unwrap_or_default()
        };
        let signal = Ephemeral {
            workspace_id: actor.workspace_id,
            conversation_id: id,
            user_id: actor.user_id,
            name,
            activity: if typing { "typing" } else { "viewing" }.into(),
            at: self.now(),
        };
        self.bus().publish_ephemeral(signal).await;
        Ok(())
    }

    /// Sends a failed reply again: it is queued with a fresh delivery job.
    pub async fn retry_delivery(&self, actor: &Actor, id: MessageId) -> Result<domain::Message> {
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let mut m = tx.get_message(ws, id).await?.ok_or(Error::NotFound { what: "message" })?;
        let is_reply = m.direction == Direction::Outbound && m.kind == MessageKind::Message;
        if !is_reply || m.delivery_status != Some(DeliveryStatus::Failed) {
            return Err(Error::Conflict {
                field: "delivery_status",
                message: "only a reply whose delivery failed can be retried".into(),
            });
        }
        tx.set_delivery(ws, id, DeliveryStatus::Queued, None, None).await?;
        let job = crate::jobs::delivery_job(ws, id, now, self.config().delivery_max_attempts);
        tx.enqueue_job(&job, now).await?;
        m.delivery_status = Some(DeliveryStatus::Queued);
        m.delivery_error = None;
        let event = NewEvent {
            kind: EventKind::MessageUpdated,
            conversation_id: Some(m.conversation_id),
            user_id: None,
            data: json!({ "message_id": id, "delivery_status": DeliveryStatus::Queued }),
        };
        self.commit(tx, ws, vec![event]).await?;
        self.wake_workers();
        Ok(m)
    }
}
