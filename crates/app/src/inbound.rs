//! The main path: a customer's message arrives from a channel. One transaction finds or
//! creates the contact by identity, threads the message into that contact's conversation
//! in the inbox (reopening a recently resolved one, or opening a new one), stores it once
//! per provider message id, indexes it, counts it and logs its events.

use crate::contacts::{contact_event, index_contact};
use crate::conversations::{conversation_event, message_event};
use crate::sanitize::{clean_html, text_from_html};
use crate::{App, Error, Result};
use domain::event::NewEvent;
use domain::{
    Attachment, AttachmentId, Author, Contact, ContactId, Conversation, ConversationId, Direction, EventKind, Identity,
    InboxId, Message, MessageId, MessageKind, MessageMeta, Millis, Status, WorkspaceId,
};
use std::collections::{HashMap, HashSet};
use store::{SearchKind, Tx};

/// A customer message as a channel decoded it.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The inbox it arrived in.
    pub inbox_id: InboxId,
    /// The provider's id for it; the same id twice in one inbox is one message.
    pub provider_message_id: Option<String>,
    /// Who sent it.
    pub from: Identity,
    /// The sender's name, when the channel knows it.
    pub name: Option<String>,
    /// A subject, for channels that have one.
    pub subject: Option<String>,
    /// The text.
    pub text: String,
    /// HTML, for channels that have it (sanitised here).
    pub html: Option<String>,
    /// Files uploaded beforehand.
    pub attachments: Vec<AttachmentId>,
    /// How the channel threads it and what it recorded beside it.
    pub routing: Routing,
}

/// Where an inbound message goes and what travels with it. The default suits chat-like
/// channels: the contact's open (or recently resolved) conversation in the inbox.
#[derive(Debug, Clone, Default)]
pub struct Routing {
    /// Which conversation it joins.
    pub threading: Threading,
    /// Other addresses of the sender (an e-mail's Reply-To), added to the contact when no
    /// other contact has them.
    pub also_known_as: Vec<Identity>,
    /// What the channel recorded beside the message.
    pub meta: MessageMeta,
    /// Files the channel wrote but has not recorded: recorded with the message, in its
    /// transaction (their ids must also be in [`Inbound::attachments`]).
    pub files: Vec<crate::attachments::NewFile>,
}

/// Which conversation an inbound message joins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Threading {
    /// The contact's open or recently resolved conversation in the inbox, else a new one.
    #[default]
    ByContact,
    /// This conversation (reopened if resolved), found by the channel's own threading
    /// (e-mail headers, reply tokens); a new one if it is not in this inbox.
    Into(ConversationId),
    /// Always a new conversation (an e-mail that answers nothing).
    New,
}

/// What became of an inbound message.
#[derive(Debug, Clone)]
pub struct InboundOutcome {
    /// The stored message (the earlier one, for a duplicate).
    pub message: Message,
    /// Its conversation.
    pub conversation: Conversation,
    /// True when the provider id had been received before and nothing was written.
    pub duplicate: bool,
}

/// What one transaction has learnt about where its messages go, so that a batch of messages
/// reads each thing once: the inboxes it read; which provider ids and sender identities did
/// not exist when it began, and the contacts of those that did, with their threads — all
/// looked up for the whole batch in a few queries ([`BatchCache::prefetch`]); and what the
/// batch itself wrote (contacts, conversations), so a customer's second message in a batch
/// needs no read either.
#[derive(Default)]
pub(crate) struct BatchCache {
    inboxes: Vec<domain::Inbox>,
    new_ids: HashSet<(WorkspaceId, InboxId, String)>,
    new_identities: HashSet<(WorkspaceId, Identity)>,
    /// Contacts by each of their identities, as they stand in this transaction.
    contacts: HashMap<(WorkspaceId, Identity), Contact>,
    /// A contact's thread in an inbox as [`Tx::thread_for`] would find it: looked up when
    /// the batch began (`None`: it had none) or written by the batch since.
    threads: HashMap<(WorkspaceId, ContactId, InboxId), Option<Conversation>>,
    /// Conversations the batch wrote, as they stand now.
    written: HashMap<ConversationId, Conversation>,
}

impl BatchCache {
    async fn get(&mut self, tx: &mut Tx, ws: WorkspaceId, id: InboxId) -> Result<domain::Inbox> {
        if let Some(inbox) = self.inboxes.iter().find(|i| i.id == id && i.workspace_id == ws) {
            return Ok(inbox.clone());
        }
        let inbox = tx.get_inbox(ws, id).await?.ok_or(Error::NotFound { what: "inbox" })?;
        self.inboxes.push(inbox.clone());
        Ok(inbox)
    }

    /// Looks up, for a batch of messages, which of their provider ids and identities exist,
    /// the contacts those identities belong to, and these contacts' threads.
    pub(crate) async fn prefetch(tx: &mut Tx, batch: &[(WorkspaceId, &Inbound)], now: Millis) -> Result<BatchCache> {
        let mut cache = BatchCache::default();
        let mut ids: HashMap<(WorkspaceId, InboxId), Vec<&str>> = HashMap::new();
        let mut identities: HashMap<WorkspaceId, Vec<Identity>> = HashMap::new();
        for (ws, input) in batch {
            if let Some(pid) = &input.provider_message_id {
                ids.entry((*ws, input.inbox_id)).or_default().push(pid);
            }
            let all = identities.entry(*ws).or_default();
            all.push(input.from.clone());
            all.extend(input.routing.also_known_as.iter().cloned());
        }
        for ((ws, inbox), pids) in ids {
            let taken: HashSet<String> = tx.provider_ids_taken(ws, inbox, &pids).await?.into_iter().collect();
            cache.new_ids.extend(pids.into_iter().filter(|p| !taken.contains(*p)).map(|p| (ws, inbox, p.to_string())));
        }
        for ws in identities.keys() {
            tx.learn_workspace_setup(*ws).await?;
        }
        for (ws, mut all) in identities {
            all.sort_unstable_by(|a, b| (a.kind.as_str(), &a.value).cmp(&(b.kind.as_str(), &b.value)));
            all.dedup();
            let found = tx.contacts_by_identities(ws, &all).await?;
            for (identity, contact) in found {
                cache.contacts.insert((ws, identity), contact);
            }
            cache
                .new_identities
                .extend(all.into_iter().filter(|i| !cache.contacts.contains_key(&(ws, i.clone()))).map(|i| (ws, i)));
        }
        // The threads of the known senders of messages that thread by contact, per inbox.
        let mut senders: HashMap<(WorkspaceId, InboxId), Vec<ContactId>> = HashMap::new();
        for (ws, input) in batch {
            if input.routing.threading == Threading::ByContact
                && let Some(contact) = cache.contacts.get(&(*ws, input.from.clone()))
            {
                senders.entry((*ws, input.inbox_id)).or_default().push(contact.id);
            }
        }
        for ((ws, inbox_id), mut contacts) in senders {
            contacts.sort_unstable_by_key(|c| c.0);
            contacts.dedup();
            let inbox = cache.get(tx, ws, inbox_id).await?;
            let found = tx.threads_for(ws, &contacts, inbox.id, resolved_since(&inbox, now)).await?;
            for contact in contacts {
                let thread = found.iter().find(|c| c.contact_id == contact).cloned();
                cache.threads.insert((ws, contact, inbox.id), thread);
            }
        }
        Ok(cache)
    }

    /// Whether the provider id is known not to be stored (false: it may be; look).
    fn new_id(&self, ws: WorkspaceId, inbox: InboxId, pid: &str) -> bool {
        self.new_ids.contains(&(ws, inbox, pid.to_string()))
    }

    /// Whether the identity is known to belong to nobody (false: it may; look).
    fn new_identity(&self, ws: WorkspaceId, identity: &Identity) -> bool {
        self.new_identities.contains(&(ws, identity.clone()))
    }

    fn recorded_id(&mut self, ws: WorkspaceId, inbox: InboxId, pid: &str) {
        self.new_ids.remove(&(ws, inbox, pid.to_string()));
    }

    /// The contact with this identity, when the batch knows it.
    fn contact(&self, ws: WorkspaceId, identity: &Identity) -> Option<Contact> {
        self.contacts.get(&(ws, identity.clone())).cloned()
    }

    /// Records a contact as it now stands, under each of its identities.
    fn remember_contact(&mut self, contact: &Contact) {
        for identity in &contact.identities {
            self.new_identities.remove(&(contact.workspace_id, identity.clone()));
            self.contacts.insert((contact.workspace_id, identity.clone()), contact.clone());
        }
    }

    /// The contact's thread in the inbox, when the batch knows it: `Some(None)` when it has
    /// none. A known conversation that a later `resolved_since` no longer lets reopen is
    /// not known (look).
    fn thread(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        inbox: InboxId,
        resolved_since: Millis,
    ) -> Option<Option<Conversation>> {
        match self.threads.get(&(ws, contact, inbox))? {
            None => Some(None),
            Some(c) if c.status != Status::Resolved || c.resolved_at.is_some_and(|at| at >= resolved_since) => {
                Some(Some(c.clone()))
            }
            Some(_) => None,
        }
    }

    /// Records a conversation the batch wrote: it is now its contact's newest in its inbox.
    fn remember_conversation(&mut self, c: &Conversation) {
        self.threads.insert((c.workspace_id, c.contact_id, c.inbox_id), Some(c.clone()));
        self.written.insert(c.id, c.clone());
    }
}

/// The oldest resolution that a customer's new message in `inbox` still reopens.
fn resolved_since(inbox: &domain::Inbox, now: Millis) -> Millis {
    let window = inbox.settings.reopen_window_minutes.saturating_mul(60_000);
    if window > 0 { now.saturating_sub(window) } else { i64::MAX }
}

/// How often a transaction that lost a race (two deliveries of the same message, or of
/// the first messages of one new contact) is retried; the retry finds the winner's rows.
const RACE_RETRIES: usize = 3;

impl App {
    /// Receives a customer's message into workspace `ws`.
    pub async fn receive_inbound(&self, ws: WorkspaceId, input: Inbound) -> Result<InboundOutcome> {
        let mut input = input;
        if input.text.trim().is_empty()
            && let Some(html) = &input.html
        {
            input.text = text_from_html(html).trim().to_string();
        }
        domain::message::validate_text(&input.text, !input.attachments.is_empty())?;
        if let Some(pid) = &input.provider_message_id
            && (pid.is_empty() || pid.len() > 255)
        {
            return Err(Error::invalid("provider_message_id", "must be 1 to 255 bytes"));
        }
        if input.subject.as_ref().is_some_and(|s| s.len() > 998) {
            return Err(Error::invalid("subject", "must be at most 998 bytes"));
        }
        if self.store_().dialect() == store::Dialect::Sqlite {
            return crate::batch::submit(self, ws, input).await;
        }
        let mut attempt = 0;
        loop {
            match self.try_receive(ws, &input).await {
                Err(Error::Conflict { .. }) if attempt + 1 < RACE_RETRIES => attempt += 1,
                Err(Error::Internal(e)) if attempt + 1 < RACE_RETRIES && e.contains("could not serialize") => {
                    attempt += 1
                }
                other => return other,
            }
        }
    }

    async fn try_receive(&self, ws: WorkspaceId, input: &Inbound) -> Result<InboundOutcome> {
        let mut tx = self.store_().write().await?;
        let (outcome, events) = self.receive_in(&mut tx, ws, input, &mut BatchCache::default()).await?;
        if outcome.duplicate {
            tx.rollback().await?;
        } else {
            self.commit(tx, ws, events).await?;
        }
        Ok(outcome)
    }

    /// The whole of receiving one message, inside a transaction the caller commits; returns
    /// the events to log with it.
    pub(crate) async fn receive_in(
        &self,
        tx: &mut Tx,
        ws: WorkspaceId,
        input: &Inbound,
        batch: &mut BatchCache,
    ) -> Result<(InboundOutcome, Vec<NewEvent>)> {
        let now = self.now();
        let inbox = batch.get(tx, ws, input.inbox_id).await?;
        if let Some(pid) = &input.provider_message_id
            && !batch.new_id(ws, inbox.id, pid)
            && let Some(message) = tx.message_by_provider_id(ws, inbox.id, pid).await?
        {
            let conversation = self.load_conversation(tx, ws, message.conversation_id).await?;
            return Ok((InboundOutcome { message, conversation, duplicate: true }, Vec::new()));
        }
        let mut events = Vec::new();
        let name =
            input.name.as_ref().map(|n| n.trim().to_string()).filter(|n| !n.is_empty() && n.chars().count() <= 200);
        let known = match batch.new_identity(ws, &input.from) {
            true => None,
            false => match batch.contact(ws, &input.from) {
                Some(c) => Some(c),
                None => tx.contact_by_identity(ws, &input.from).await?,
            },
        };
        // A contact created here has no conversation yet: nothing to look up.
        let new_contact = known.is_none();
        let mut contact = match known {
            Some(mut c) => {
                if c.name.is_none() && name.is_some() {
                    c.name = name;
                    c.updated_at = now;
                    tx.update_contact(&c).await?;
                    index_contact(tx, &c).await?;
                    events.push(contact_event(EventKind::ContactUpdated, &c));
                }
                c
            }
            None => {
                let c = Contact {
                    id: ContactId::new(),
                    workspace_id: ws,
                    name,
                    company: None,
                    attributes: Default::default(),
                    identities: vec![input.from.clone()],
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_contact(&c).await?;
                index_contact(tx, &c).await?;
                events.push(contact_event(EventKind::ContactCreated, &c));
                c
            }
        };
        for other in &input.routing.also_known_as {
            if contact.identities.contains(other) {
                continue;
            }
            let free = batch.new_identity(ws, other)
                || (batch.contact(ws, other).is_none() && tx.contact_by_identity(ws, other).await?.is_none());
            if free {
                tx.insert_identity(ws, contact.id, other, now).await?;
                contact.identities.push(other.clone());
            }
        }
        batch.remember_contact(&contact);
        let resolved_since = resolved_since(&inbox, now);
        let existing = match input.routing.threading {
            Threading::ByContact if new_contact => None,
            Threading::ByContact => match batch.thread(ws, contact.id, inbox.id, resolved_since) {
                Some(known) => known,
                None => tx.thread_for_update(ws, contact.id, inbox.id, resolved_since).await?,
            },
            Threading::Into(id) => match batch.written.get(&id) {
                Some(c) => Some(c.clone()),
                None => tx.conversation_for_update(ws, id).await?,
            }
            .filter(|c| c.inbox_id == inbox.id),
            Threading::New => None,
        };
        let conversation = match existing {
            Some(before) => {
                let mut after = before.clone();
                if after.status == Status::Resolved {
                    after.set_status(Status::Open, None, now)?;
                }
                after.on_inbound(now, &input.text);
                tx.update_conversation(&before, &after).await?;
                tx.move_counters(ws, &before.counter_keys(), &after.counter_keys()).await?;
                events.push(conversation_event(EventKind::ConversationUpdated, &after));
                after
            }
            None => {
                let subject = input.subject.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
                let number = tx.next_conversation_number(ws).await?;
                let mut c = Conversation::open(ws, number, inbox.id, contact.id, subject, now);
                c.on_inbound(now, &input.text);
                tx.insert_conversation(&c).await?;
                tx.move_counters(ws, &[], &c.counter_keys()).await?;
                if let Some(subject) = &c.subject {
                    tx.index_document(ws, SearchKind::Conversation, c.id.0, Some(c.id), subject).await?;
                }
                events.push(conversation_event(EventKind::ConversationCreated, &c));
                c
            }
        };
        batch.remember_conversation(&conversation);
        // The channel's own files are new: recorded already linked to the message, so they
        // need neither the look-up nor the link that uploaded files get.
        let message_id = MessageId::new();
        let mut attachments = Vec::with_capacity(input.attachments.len());
        for file in &input.routing.files {
            let attachment = Attachment { message_id: Some(message_id), ..file.attachment.clone() };
            let file = crate::attachments::NewFile { attachment, inline: file.inline.clone() };
            crate::attachments::record_file(tx, &file).await?;
            attachments.push(file.attachment);
        }
        let uploaded: Vec<AttachmentId> = input
            .attachments
            .iter()
            .copied()
            .filter(|id| !input.routing.files.iter().any(|f| f.attachment.id == *id))
            .collect();
        attachments.extend(self.claim_attachments(tx, ws, &uploaded).await?);
        let message = Message {
            id: message_id,
            workspace_id: ws,
            conversation_id: conversation.id,
            inbox_id: inbox.id,
            direction: Direction::Inbound,
            kind: MessageKind::Message,
            author: Author::Contact(contact.id),
            text: input.text.clone(),
            html: input.html.as_deref().map(clean_html),
            attachments,
            provider_message_id: input.provider_message_id.clone(),
            delivery_status: None,
            delivery_error: None,
            meta: input.routing.meta.clone(),
            created_at: now,
        };
        tx.insert_message(&message).await?;
        if let Some(pid) = &input.provider_message_id {
            batch.recorded_id(ws, inbox.id, pid);
        }
        tx.index_document(ws, SearchKind::Message, message.id.0, Some(conversation.id), &message.text).await?;
        events.push(message_event(&message));
        events.extend(crate::routing::on_inbound(tx, &inbox, &conversation, &message, now).await?);
        Ok((InboundOutcome { message, conversation, duplicate: false }, events))
    }
}
