//! Retiring an inbox: each contact who writes to a `sunset` (or `closed`) inbox gets, once,
//! a notice pointing to the alternatives, sent through the inbox's normal delivery; a contact
//! who later writes on another inbox has moved, and that inbox becomes their preferred one;
//! the report lists the contacts still using the retiring inbox.
//!
//! Machine-sent mail never gets the notice (two robots would answer each other).

use crate::conversations::message_event;
use crate::{Actor, App, Error, Result};
use domain::{
    Author, ContactId, Conversation, ConversationId, Inbox, InboxId, InboxStatus, Job, Message, MessageKind, Millis,
    notice_text,
};
use serde::{Deserialize, Serialize};
use store::Tx;

/// The job kind that sends a sunset notice.
pub(crate) const SUNSET: &str = "sunset";

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    conversation_id: ConversationId,
    inbox_id: InboxId,
    contact_id: ContactId,
}

/// A contact still using a retiring inbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Straggler {
    /// The contact.
    pub contact_id: ContactId,
    /// Their name for people.
    pub name: String,
    /// When they were sent the notice.
    pub noticed_at: Option<Millis>,
    /// When they last wrote to the retiring inbox.
    pub last_written_at: Millis,
}

/// Inside the inbound transaction: a message to a retiring inbox counts its contact as still
/// using it (and queues the notice); a message anywhere else moves the contact off the
/// retiring inboxes they used, making this inbox their preferred one.
pub(crate) async fn on_inbound(tx: &mut Tx, inbox: &Inbox, c: &Conversation, m: &Message, now: Millis) -> Result<()> {
    let ws = c.workspace_id;
    if inbox.status == InboxStatus::Active {
        if tx.move_from_sunset(ws, c.contact_id, inbox.id, now).await? > 0 {
            tx.set_preferred_inbox(ws, c.contact_id, inbox.id, now).await?;
        }
        return Ok(());
    }
    tx.record_sunset_write(ws, inbox.id, c.contact_id, now).await?;
    if inbox.settings.sunset.is_some() && m.meta.automated.is_none() {
        let payload = Payload { conversation_id: c.id, inbox_id: inbox.id, contact_id: c.contact_id };
        let job = Job::new(ws, SUNSET, serde_json::to_value(&payload).unwrap_or_default(), now, 3);
        tx.enqueue_job(&job, now).await?;
    }
    Ok(())
}

impl App {
    /// Runs a sunset job: the notice, unless this contact had it already.
    pub(crate) async fn run_sunset_job(&self, job: &Job) -> Result<()> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| Error::Internal(format!("a sunset job with a bad payload: {e}")))?;
        let ws = job.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let Some(inbox) = tx.get_inbox(ws, p.inbox_id).await? else { return Ok(()) };
        let Some(settings) = inbox.settings.sunset.clone() else { return Ok(()) };
        if inbox.status == InboxStatus::Active || !tx.claim_sunset_notice(ws, inbox.id, p.contact_id, now).await? {
            return Ok(());
        }
        tx.commit().await?;
        let text = notice_text(&settings, &inbox.name);
        let input = crate::ReplyInput { text, ..Default::default() };
        let line = match self.reply_as(&Actor::system(ws), p.conversation_id, input, Author::System, true).await {
            Ok(_) => "Chorus sent this customer the notice that this inbox is being retired".to_string(),
            Err(e) => format!("Chorus could not send the notice that this inbox is being retired: {e}"),
        };
        let mut tx = self.store_().write().await?;
        let Some(c) = tx.get_conversation(ws, p.conversation_id).await? else { return Ok(()) };
        let m = Message::from_team(&c, MessageKind::Activity, Author::System, line, self.now());
        tx.insert_message(&m).await?;
        self.commit(tx, ws, vec![message_event(&m)]).await?;
        self.wake_workers();
        Ok(())
    }

    /// The contacts still using a retiring inbox, most recent first (at most `limit`).
    pub async fn sunset_report(&self, actor: &Actor, inbox: InboxId, limit: usize) -> Result<(Inbox, Vec<Straggler>)> {
        let ws = actor.workspace_id;
        let mut tx = self.store_().read().await?;
        let inbox = tx.get_inbox(ws, inbox).await?.ok_or(Error::NotFound { what: "inbox" })?;
        let rows = tx.sunset_stragglers(ws, inbox.id, limit).await?;
        let ids: Vec<ContactId> = rows.iter().map(|r| r.0).collect();
        let contacts = tx.contacts_by_ids(ws, &ids).await?;
        let out = rows
            .into_iter()
            .map(|(contact_id, noticed_at, last_written_at)| Straggler {
                contact_id,
                name: contacts
                    .iter()
                    .find(|c| c.id == contact_id)
                    .map(|c| c.display_name())
                    .unwrap_or_else(|| "Unknown customer".into()),
                noticed_at,
                last_written_at,
            })
            .collect();
        Ok((inbox, out))
    }

    /// A contact's preferred inbox (the one they moved to from a retiring inbox) and since when.
    pub async fn preferred_inbox(&self, actor: &Actor, contact: ContactId) -> Result<Option<(InboxId, Millis)>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.preferred_inbox(actor.workspace_id, contact).await?)
    }
}
