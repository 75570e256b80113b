//! The e-mail channel's use cases: which inbox receives at an address, receiving one
//! parsed mail (threading, identities, machine-sent mail, bounces, the original kept), the
//! recipients of a reply, and the pollers' saved state. Parsing and the protocols live in
//! the channel adapters; this module decides what a mail means for the desk.

use crate::inbound::{Inbound, InboundOutcome, Routing, Threading};
use crate::{App, Result};
use domain::email::{
    EmailHeaders, InboundEmail, MailAddress, base_address, conversation_from_token, message_from_outbound_id,
};
use domain::event::NewEvent;
use domain::{
    ChannelKind, DeliveryStatus, Direction, EventKind, Identity, IdentityKind, Inbox, InboxStatus, Message,
    MessageKind, MessageMeta, WorkspaceId,
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The longest subject kept (RFC 5322's line limit); longer ones are cut, with a note.
const MAX_SUBJECT: usize = 998;
/// The longest provider id the store keeps; longer Message-IDs are replaced by their hash.
const MAX_MESSAGE_ID: usize = 255;
/// The identity of mail that names no sender at all: one contact collects it.
const UNKNOWN_SENDER: &str = "unknown-sender";

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The provider id a mail is stored under: its Message-ID, or a hash of an overlong one.
fn provider_id(message_id: &str) -> String {
    if message_id.len() <= MAX_MESSAGE_ID && !message_id.is_empty() {
        message_id.to_string()
    } else {
        format!("sha256:{:x}", Sha256::digest(message_id.as_bytes()))
    }
}

impl App {
    /// The e-mail inbox receiving at `address` (a +tag is ignored), in any workspace.
    pub async fn email_inbox_for_address(&self, address: &str) -> Result<Option<Inbox>> {
        let address = base_address(address);
        let mut tx = self.store_().query().await?;
        Ok(tx.inbox_by_address(&address).await?.filter(|i| i.kind == ChannelKind::Email))
    }

    /// Every e-mail inbox with a mailbox to poll, across workspaces (closed ones excluded).
    pub async fn imap_inboxes(&self) -> Result<Vec<Inbox>> {
        let mut tx = self.store_().read().await?;
        let all = tx.email_inboxes().await?;
        Ok(all
            .into_iter()
            .filter(|i| i.status != InboxStatus::Closed && i.settings.email.as_ref().is_some_and(|e| e.imap.is_some()))
            .collect())
    }

    /// A channel's saved state for an inbox (a poller's position).
    pub async fn channel_state(&self, inbox: &Inbox) -> Result<Option<serde_json::Value>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.channel_state(inbox.workspace_id, inbox.id).await?)
    }

    /// Saves a channel's state for an inbox.
    pub async fn set_channel_state(&self, inbox: &Inbox, state: serde_json::Value) -> Result<()> {
        let mut tx = self.store_().write().await?;
        tx.set_channel_state(inbox.workspace_id, inbox.id, &state, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Receives one parsed mail into an e-mail inbox. Nothing a sender puts in a mail makes
    /// it refused: what cannot be read is recorded as a problem beside the message, and the
    /// original is kept as `message.eml`. The same Message-ID twice is one message.
    pub async fn receive_email(&self, inbox: &Inbox, mail: InboundEmail) -> Result<InboundOutcome> {
        let ws = inbox.workspace_id;
        let pid = provider_id(&mail.headers.message_id);
        let threading = match self.email_lookup(ws, inbox, &pid, &mail).await? {
            Lookup::Duplicate(outcome) => return Ok(*outcome),
            Lookup::New(threading) => threading,
        };
        let mut problems = mail.problems.clone();
        // The files are written now and recorded with the message, in one transaction.
        let mut files = Vec::with_capacity(mail.parts.len() + 1);
        match self.prepare_attachment(ws, "message.eml", "message/rfc822", &mail.raw).await {
            Ok(a) => files.push(a),
            Err(e) => problems.push(format!("the original mail could not be kept: {e}")),
        }
        for part in &mail.parts {
            match self.prepare_attachment(ws, &part.filename, &part.content_type, &part.bytes).await {
                Ok(a) => files.push(a),
                Err(e) => problems.push(format!("the attachment {:?} was not kept: {e}", part.filename)),
            }
        }
        let attachments = files.iter().map(|f| f.attachment.id).collect();
        let (from, also_known_as) = sender_identities(&mail.headers, &mut problems);
        let mut text = mail.text.clone();
        if text.len() > domain::message::MAX_TEXT {
            text = cut(&text, domain::message::MAX_TEXT).to_string();
            problems.push(format!("the text was longer than {} bytes and was cut", domain::message::MAX_TEXT));
        }
        let subject = mail.subject.as_deref().map(|s| {
            if s.len() > MAX_SUBJECT {
                problems.push(format!("the subject was longer than {MAX_SUBJECT} bytes and was cut"));
            }
            cut(s, MAX_SUBJECT).to_string()
        });
        let name = mail.headers.from.as_ref().and_then(|f| f.name.clone());
        let input = Inbound {
            inbox_id: inbox.id,
            provider_message_id: Some(pid),
            from,
            name,
            subject,
            text,
            html: mail.html.clone(),
            attachments,
            routing: Routing {
                threading,
                also_known_as,
                meta: MessageMeta {
                    email: Some(mail.headers.clone()),
                    automated: mail.automated,
                    problems,
                    ..MessageMeta::default()
                },
                files,
            },
        };
        let outcome = self.receive_inbound(ws, input).await?;
        if let Some(bounce) = &mail.bounce
            && !outcome.duplicate
        {
            self.record_bounce(ws, bounce).await?;
        }
        Ok(outcome)
    }

    /// One read for a mail before anything is written: whether it was received before, and
    /// which conversation it joins — one our reply token vouches for (in the referenced
    /// Message-IDs or the address it was sent to), else the one holding a message it
    /// answers, else a new one.
    async fn email_lookup(&self, ws: WorkspaceId, inbox: &Inbox, pid: &str, mail: &InboundEmail) -> Result<Lookup> {
        let mut tx = self.store_().query().await?;
        if let Some(message) = tx.message_by_provider_id(ws, inbox.id, pid).await? {
            let conversation = self.load_conversation(&mut tx, ws, message.conversation_id).await?;
            return Ok(Lookup::Duplicate(Box::new(InboundOutcome { message, conversation, duplicate: true })));
        }
        let h = &mail.headers;
        let returned = mail.bounce.as_ref().and_then(|b| b.original_message_id.as_deref());
        let ids: Vec<&str> =
            h.in_reply_to.iter().chain(h.references.iter().rev()).map(String::as_str).chain(returned).collect();
        let addresses = h.to.iter().chain(&h.cc).map(|a| a.address.as_str());
        for candidate in ids.iter().copied().chain(addresses) {
            if let Some(conv) = conversation_from_token(candidate, &inbox.secret) {
                return Ok(Lookup::New(Threading::Into(conv)));
            }
        }
        for id in ids {
            if let Some(m) = tx.message_by_provider_id(ws, inbox.id, &provider_id(id)).await? {
                return Ok(Lookup::New(Threading::Into(m.conversation_id)));
            }
        }
        Ok(Lookup::New(Threading::New))
    }

    /// A bounce marks the reply it returns as failed, with the remote server's words.
    async fn record_bounce(&self, ws: WorkspaceId, bounce: &domain::email::Bounce) -> Result<()> {
        let Some(id) = bounce.original_message_id.as_deref().and_then(message_from_outbound_id) else {
            return Ok(());
        };
        let mut tx = self.store_().write().await?;
        let Some(m) = tx.get_message(ws, id).await? else { return Ok(()) };
        if m.direction != Direction::Outbound || m.kind != MessageKind::Message {
            return Ok(());
        }
        let mut error = String::from("bounced");
        if let Some(r) = &bounce.recipient {
            error.push_str(&format!(" by {r}"));
        }
        if let Some(s) = &bounce.status {
            error.push_str(&format!(" ({s})"));
        }
        if !bounce.diagnostic.is_empty() {
            error.push_str(&format!(": {}", bounce.diagnostic));
        }
        tx.set_delivery(ws, id, DeliveryStatus::Failed, Some(&error), None).await?;
        let event = NewEvent {
            kind: EventKind::MessageUpdated,
            conversation_id: Some(m.conversation_id),
            user_id: None,
            data: json!({ "message_id": id, "delivery_status": DeliveryStatus::Failed, "delivery_error": error }),
        };
        self.commit(tx, ws, vec![event]).await
    }
}

/// What is known about a mail before it is written.
enum Lookup {
    /// Received before: the message stored then.
    Duplicate(Box<InboundOutcome>),
    /// New: the conversation it joins.
    New(Threading),
}

/// The contact identity of a mail's sender (From, else Reply-To, else the one "unknown
/// sender"), and the sender's other address (Reply-To) to add to the contact.
fn sender_identities(h: &EmailHeaders, problems: &mut Vec<String>) -> (Identity, Vec<Identity>) {
    let parse = |a: &MailAddress| Identity::parse(IdentityKind::Email, &a.address).ok();
    let from = h.from.as_ref().and_then(parse);
    let reply_to = h.reply_to.as_ref().and_then(parse);
    if h.from.is_some() && from.is_none() {
        problems.push(format!(
            "the From address {:?} is not a valid e-mail address",
            h.from.as_ref().map(|a| a.address.as_str()).unwrap_or_default()
        ));
    }
    match (from, reply_to) {
        (Some(f), Some(r)) if f != r => (f, vec![r]),
        (Some(f), _) => (f, vec![]),
        (None, Some(r)) => (r, vec![]),
        (None, None) => {
            if h.from.is_none() {
                problems.push("the mail names no sender (no From header)".into());
            }
            (Identity { kind: IdentityKind::External, value: UNKNOWN_SENDER.into() }, vec![])
        }
    }
}

/// Whom a reply on an e-mail conversation goes to: the customer's address from their
/// latest mail (Reply-To before From), else their first e-mail identity; with `reply_all`,
/// everyone else who was on that mail (To and Cc), minus the inbox's own addresses.
pub(crate) fn reply_recipients(
    inbox: &Inbox,
    thread: &[Message],
    contact: &domain::Contact,
    reply_all: bool,
) -> Option<EmailHeaders> {
    let ours: Vec<String> = inbox.settings.email.as_ref().map(|e| e.addresses.clone()).unwrap_or_default();
    let latest = thread.iter().rev().find(|m| m.direction == Direction::Inbound).and_then(|m| m.meta.email.as_ref());
    let customer = latest.and_then(|h| h.reply_to.clone().or_else(|| h.from.clone())).or_else(|| {
        contact
            .identities
            .iter()
            .find(|i| i.kind == IdentityKind::Email)
            .map(|i| MailAddress { name: contact.name.clone(), address: i.value.clone() })
    })?;
    let mut cc: Vec<MailAddress> = Vec::new();
    if reply_all && let Some(h) = latest {
        for a in h.to.iter().chain(&h.cc) {
            let base = base_address(&a.address);
            let skip = ours.contains(&base) || base == customer.address || cc.iter().any(|c| c.address == a.address);
            if !skip {
                cc.push(a.clone());
            }
        }
    }
    Some(EmailHeaders { to: vec![customer], cc, ..Default::default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_character_boundaries() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(provider_id("abc@x"), "abc@x");
        assert!(provider_id(&"x".repeat(300)).starts_with("sha256:"));
        assert!(provider_id("").starts_with("sha256:"));
    }

    #[test]
    fn a_mail_without_sender_is_still_someone() {
        let mut problems = vec![];
        let (id, _) = sender_identities(&EmailHeaders::default(), &mut problems);
        assert_eq!(id.value, UNKNOWN_SENDER);
        assert_eq!(problems.len(), 1);
        let h = EmailHeaders {
            from: Some(MailAddress { name: None, address: "ana@example.com".into() }),
            reply_to: Some(MailAddress { name: None, address: "ana.lima@example.org".into() }),
            ..Default::default()
        };
        let (id, also) = sender_identities(&h, &mut problems);
        assert_eq!((id.value.as_str(), also[0].value.as_str()), ("ana@example.com", "ana.lima@example.org"));
    }
}
