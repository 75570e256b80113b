//! The web chat widget: visitors (a browser's token, the contact behind it), what a visitor
//! may see of their conversation (customer-visible messages only, never notes), sending
//! through the main inbound path (idempotent on the widget's own message id), read
//! receipts, identification by a site's signed `user_hash`, and the waiting-room assistant
//! that answers a customer nobody can take at once, asks the inbox's questions and hands
//! over to the agent who takes the chat.
//!
//! Visitors act as Chorus itself where a use case needs an actor: they never see or touch
//! anything but their own contact's conversations in their widget inbox.

use crate::conversations::{conversation_event, message_event};
use crate::{Actor, App, Error, Inbound, QueuePlace, Result, Routing, Threading};
use domain::widget::{self as assistant, BackAt, Phrases, Session, Situation, Stage, Turn};
use domain::{
    Attachment, AttachmentId, Author, ChannelKind, Contact, ContactId, Conversation, ConversationId, DeliveryStatus,
    Direction, EventKind, Identity, IdentityKind, Inbox, InboxId, Job, Message, MessageId, MessageKind, Millis,
    QueueScope, Status, UserId, WorkspaceId,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use store::Tx;

/// How many recent messages a visitor's history holds.
pub const HISTORY: usize = 100;
/// The longest message a visitor may send, in characters.
pub const MAX_WIDGET_TEXT: usize = 5_000;
/// The job kind that has the assistant introduce the agent who took a chat.
pub(crate) const HANDOFF: &str = "assistant.handoff";
/// The job kind that e-mails a chat reply the customer did not read.
pub(crate) const EMAIL: &str = "widget.email";

/// A browser talking to a widget inbox.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// Its id (the value of its contact's widget identity).
    pub id: uuid::Uuid,
    /// The inbox's workspace.
    pub workspace_id: WorkspaceId,
    /// The widget inbox.
    pub inbox: Inbox,
    /// The token the browser keeps (new when `created`).
    pub token: String,
    /// Whether the visitor was made just now.
    pub created: bool,
    /// The language their widget speaks, when their browser chose it (a widget language).
    pub language: Option<String>,
}

impl Visitor {
    /// The identity that ties the visitor to a contact.
    pub fn identity(&self) -> Identity {
        Identity { kind: IdentityKind::Widget, value: self.id.to_string() }
    }
}

/// Whether someone can answer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamStatus {
    /// Within working hours and an agent online.
    pub online: bool,
    /// When the team is back, while outside working hours.
    pub back_at: Option<Millis>,
}

/// Who wrote a message, as the customer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WidgetAuthor {
    /// The customer.
    Contact,
    /// A teammate.
    Agent,
    /// The waiting-room assistant (or another automatic reply).
    Assistant,
}

impl WidgetAuthor {
    /// Its name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            WidgetAuthor::Contact => "contact",
            WidgetAuthor::Agent => "agent",
            WidgetAuthor::Assistant => "assistant",
        }
    }
}

/// A message as the widget shows it.
#[derive(Debug, Clone)]
pub struct WidgetMessage {
    /// The message.
    pub message: Message,
    /// Who wrote it.
    pub author: WidgetAuthor,
    /// Their name for the customer (the agent's name; empty for the customer).
    pub name: String,
}

/// What a visitor sees when they connect.
#[derive(Debug, Clone)]
pub struct WidgetState {
    /// The contact behind the visitor, once they wrote or identified themselves.
    pub contact: Option<Contact>,
    /// Their latest conversation in the inbox.
    pub conversation: Option<Conversation>,
    /// Its recent customer-visible messages, oldest first.
    pub messages: Vec<WidgetMessage>,
    /// Its place in the queue while it waits.
    pub queue: Option<QueuePlace>,
    /// Whether the team can answer now.
    pub status: TeamStatus,
}

/// A visitor's message, stored.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The message.
    pub message: WidgetMessage,
    /// Its conversation.
    pub conversation: Conversation,
    /// True when the same widget message id had been stored before.
    pub duplicate: bool,
}

fn token_hash(token: &str) -> String {
    store::hex(&Sha256::digest(token.as_bytes()))
}

/// The widget's own id for a message: 1 to 64 letters, digits, `-` or `_`.
fn check_client_id(id: &str) -> Result<()> {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok { Ok(()) } else { Err(Error::invalid("client_id", "must be 1 to 64 letters, digits, '-' or '_'")) }
}

impl App {
    /// The assistant's words in `language` (English for one not shipped).
    pub fn phrases(&self, language: &str) -> &Phrases {
        static ENGLISH: std::sync::OnceLock<Phrases> = std::sync::OnceLock::new();
        self.config().phrases.get(language).unwrap_or_else(|| ENGLISH.get_or_init(Phrases::default))
    }

    /// A widget inbox by id, for the public widget endpoints.
    pub async fn widget_inbox(&self, id: InboxId) -> Result<Inbox> {
        let inbox = self.inbox_for_signed_post(id).await?;
        if inbox.kind != ChannelKind::Widget {
            return Err(Error::NotFound { what: "widget inbox" });
        }
        Ok(inbox)
    }

    /// The inbox a visitor token was issued for (it names it).
    pub fn token_inbox(token: &str) -> Option<InboxId> {
        let rest = token.strip_prefix("wv_")?;
        let (inbox, _) = rest.split_once('_')?;
        uuid::Uuid::try_parse(inbox).ok().map(InboxId)
    }

    /// The visitor holding `token` in `inbox`, or a new visitor when there is no token. An
    /// unknown token (or another inbox's) is not found: the browser starts afresh.
    pub async fn widget_connect(&self, inbox: &Inbox, token: Option<&str>) -> Result<Visitor> {
        let ws = inbox.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let visitor = match token {
            Some(token) => {
                let hash = token_hash(token);
                let Some(row) = tx.widget_visitor(ws, &hash).await?.filter(|r| r.inbox_id == inbox.id.0) else {
                    return Err(Error::NotFound { what: "visitor token" });
                };
                tx.touch_widget_visitor(ws, row.id, now).await?;
                Visitor {
                    id: row.id,
                    workspace_id: ws,
                    inbox: inbox.clone(),
                    token: token.to_string(),
                    created: false,
                    language: None,
                }
            }
            None => {
                // The token names its inbox, so a file download needs nothing else.
                let token = crate::auth::random_secret(&format!("wv_{}_", inbox.id.0.simple()))?;
                let id = uuid::Uuid::now_v7();
                tx.insert_widget_visitor(ws, id, inbox.id, &token_hash(&token), now).await?;
                Visitor { id, workspace_id: ws, inbox: inbox.clone(), token, created: true, language: None }
            }
        };
        tx.commit().await?;
        Ok(visitor)
    }

    /// The contact behind a visitor, once there is one.
    pub async fn widget_contact(&self, v: &Visitor) -> Result<Option<Contact>> {
        if v.created {
            return Ok(None);
        }
        let mut tx = self.store_().query().await?;
        Ok(tx.contact_by_identity(v.workspace_id, &v.identity()).await?)
    }

    /// The visitor's latest conversation in their inbox.
    pub async fn widget_conversation(&self, v: &Visitor, contact: Option<&Contact>) -> Result<Option<Conversation>> {
        let Some(contact) = contact else { return Ok(None) };
        let mut tx = self.store_().query().await?;
        Ok(tx.thread_for(v.workspace_id, contact.id, v.inbox.id, i64::MIN).await?)
    }

    /// What the visitor sees on connecting: the conversation's recent messages when
    /// `history`, its queue place and whether the team can answer.
    pub async fn widget_state(&self, v: &Visitor, history: bool) -> Result<WidgetState> {
        let contact = self.widget_contact(v).await?;
        let conversation = self.widget_conversation(v, contact.as_ref()).await?;
        let mut messages = Vec::new();
        let mut queue = None;
        if let Some(c) = &conversation {
            if history {
                let mut tx = self.store_().query().await?;
                let all = tx.latest_messages(v.workspace_id, c.id, HISTORY).await?;
                messages = self.for_widget(&mut tx, all).await?;
            }
            queue = self.widget_queue(v.workspace_id, c).await?;
        }
        let status = self.team_status(&v.inbox).await?;
        Ok(WidgetState { contact, conversation, messages, queue, status })
    }

    /// The place of a waiting conversation in its queue (`None` once someone took it).
    pub async fn widget_queue(&self, ws: WorkspaceId, c: &Conversation) -> Result<Option<QueuePlace>> {
        if c.status != Status::Open || c.assignee_id.is_some() {
            return Ok(None);
        }
        Ok(Some(self.queue_place(&Actor::system(ws), c.id).await?))
    }

    /// Whether the team can answer a chat of `inbox` now: within the working hours of its
    /// SLA policy, with someone online who may take it.
    pub async fn team_status(&self, inbox: &Inbox) -> Result<TeamStatus> {
        let ws = inbox.workspace_id;
        let now = self.now();
        let calendar = self.calendar_of(inbox).await?;
        if !domain::sla::is_open(&calendar, now) {
            return Ok(TeamStatus { online: false, back_at: domain::sla::next_open(&calendar, now) });
        }
        let mut tx = self.store_().query().await?;
        let snap = crate::routing::Snapshot::load(&mut tx, ws, now).await?;
        let online = snap.online_in(snap.pool_of(QueueScope::Inbox(inbox.id))) > 0;
        Ok(TeamStatus { online, back_at: None })
    }

    /// Customer-visible messages as the widget shows them (notes and activity lines never
    /// leave the team).
    async fn for_widget(&self, tx: &mut Tx, all: Vec<Message>) -> Result<Vec<WidgetMessage>> {
        let mut names: Vec<(UserId, String)> = Vec::new();
        let mut out = Vec::with_capacity(all.len());
        for m in all.into_iter().filter(|m| m.kind == MessageKind::Message) {
            let (author, name) = match m.author {
                Author::Contact(_) => (WidgetAuthor::Contact, String::new()),
                Author::System => (WidgetAuthor::Assistant, String::new()),
                Author::Agent(u) => {
                    let name = match names.iter().find(|(id, _)| *id == u) {
                        Some((_, n)) => n.clone(),
                        None => {
                            let n = tx.get_user(u).await?.map(|u| u.name).unwrap_or_default();
                            names.push((u, n.clone()));
                            n
                        }
                    };
                    (WidgetAuthor::Agent, name)
                }
            };
            out.push(WidgetMessage { message: m, author, name });
        }
        Ok(out)
    }

    /// One message for the visitor, when it is theirs to see (relaying live events).
    pub async fn widget_message(&self, v: &Visitor, id: MessageId) -> Result<Option<WidgetMessage>> {
        let ws = v.workspace_id;
        let mut tx = self.store_().query().await?;
        let Some(m) = tx.get_message(ws, id).await? else { return Ok(None) };
        if m.kind != MessageKind::Message
            || m.inbox_id != v.inbox.id
            || !self.owns(&mut tx, v, m.conversation_id).await?
        {
            return Ok(None);
        }
        Ok(self.for_widget(&mut tx, vec![m]).await?.pop())
    }

    /// One message of a conversation already known to be the visitor's (the one their
    /// connection follows), when it is for the customer's eyes.
    pub async fn widget_message_in(
        &self,
        v: &Visitor,
        conversation: ConversationId,
        id: MessageId,
    ) -> Result<Option<WidgetMessage>> {
        let mut tx = self.store_().query().await?;
        let Some(m) = tx.get_message(v.workspace_id, id).await? else { return Ok(None) };
        if m.kind != MessageKind::Message || m.conversation_id != conversation {
            return Ok(None);
        }
        Ok(self.for_widget(&mut tx, vec![m]).await?.pop())
    }

    /// The events of the visitor's conversation after `after` (a widget catching up).
    pub async fn widget_events_since(
        &self,
        v: &Visitor,
        conversation: ConversationId,
        after: i64,
        limit: usize,
    ) -> Result<Vec<domain::Event>> {
        let mut tx = self.store_().query().await?;
        if !self.owns(&mut tx, v, conversation).await? {
            return Err(Error::NotFound { what: "conversation" });
        }
        Ok(tx.conversation_events_after(v.workspace_id, conversation, after, limit).await?)
    }

    /// Whether a conversation is the visitor's.
    async fn owns(&self, tx: &mut Tx, v: &Visitor, id: ConversationId) -> Result<bool> {
        let Some(c) = tx.get_conversation(v.workspace_id, id).await? else { return Ok(false) };
        let Some(contact) = tx.contact_by_identity(v.workspace_id, &v.identity()).await? else { return Ok(false) };
        Ok(c.contact_id == contact.id && c.inbox_id == v.inbox.id)
    }

    /// A conversation of the visitor's, or not found.
    pub async fn widget_own_conversation(&self, v: &Visitor, id: ConversationId) -> Result<Conversation> {
        let mut tx = self.store_().query().await?;
        if !self.owns(&mut tx, v, id).await? {
            return Err(Error::NotFound { what: "conversation" });
        }
        self.load_conversation(&mut tx, v.workspace_id, id).await
    }

    /// The name of the teammate who took the visitor's conversation.
    pub async fn widget_agent_name(&self, v: &Visitor, id: ConversationId, user: UserId) -> Result<String> {
        let mut tx = self.store_().query().await?;
        if !self.owns(&mut tx, v, id).await? {
            return Err(Error::NotFound { what: "conversation" });
        }
        Ok(tx.get_membership(v.workspace_id, user).await?.map(|m| m.user.name).unwrap_or_default())
    }

    /// Stores a visitor's message through the main inbound path; resending the same
    /// `client_id` returns the stored message. The assistant answers when nobody can take
    /// the chat at once (its failures are logged, never the customer's problem).
    pub async fn widget_send(
        &self,
        v: &Visitor,
        client_id: &str,
        text: &str,
        attachments: Vec<AttachmentId>,
    ) -> Result<Sent> {
        check_client_id(client_id)?;
        let text = text.trim();
        if text.chars().count() > MAX_WIDGET_TEXT {
            return Err(Error::invalid("text", format!("must be at most {MAX_WIDGET_TEXT} characters")));
        }
        if attachments.len() > 10 {
            return Err(Error::invalid("attachments", "at most 10 files per message"));
        }
        let mut routing = Routing { threading: Threading::ByContact, ..Routing::default() };
        routing.meta.client_id = Some(client_id.to_string());
        let input = Inbound {
            inbox_id: v.inbox.id,
            provider_message_id: Some(format!("{}:{client_id}", v.id)),
            from: v.identity(),
            name: None,
            subject: None,
            text: text.to_string(),
            html: None,
            attachments,
            routing,
        };
        let outcome = self.receive_inbound(v.workspace_id, input).await?;
        if !outcome.duplicate
            && let Err(e) = self.assistant_after(v, &outcome.conversation, &outcome.message).await
        {
            tracing::warn!(error = %e, conversation = %outcome.conversation.id, "the widget assistant could not answer");
        }
        let message = WidgetMessage { message: outcome.message, author: WidgetAuthor::Contact, name: String::new() };
        Ok(Sent { message, conversation: outcome.conversation, duplicate: outcome.duplicate })
    }

    /// Stores a file a visitor uploads, to send with a message.
    pub async fn widget_upload(&self, v: &Visitor, name: &str, content_type: &str, bytes: &[u8]) -> Result<Attachment> {
        self.store_attachment_in(v.workspace_id, name, content_type, bytes).await
    }

    /// A file of the visitor's conversation (or one they uploaded and have not sent yet).
    pub async fn widget_file(&self, v: &Visitor, id: AttachmentId) -> Result<(Attachment, crate::Content)> {
        let ws = v.workspace_id;
        let mut tx = self.store_().query().await?;
        let a = tx.get_attachment(ws, id).await?.ok_or(Error::NotFound { what: "attachment" })?;
        if let Some(mid) = a.message_id {
            let m = tx.get_message(ws, mid).await?.ok_or(Error::NotFound { what: "attachment" })?;
            if m.kind != MessageKind::Message || !self.owns(&mut tx, v, m.conversation_id).await? {
                return Err(Error::NotFound { what: "attachment" });
            }
        }
        let content = self.content_of(&mut tx, &a).await?;
        Ok((a, content))
    }

    /// The customer has the team's messages up to `up_to` on screen: `sent` ones become
    /// `delivered`.
    pub async fn widget_read(&self, v: &Visitor, up_to: MessageId) -> Result<()> {
        let ws = v.workspace_id;
        let mut tx = self.store_().write().await?;
        let m = tx.get_message(ws, up_to).await?.ok_or(Error::NotFound { what: "message" })?;
        if !self.owns(&mut tx, v, m.conversation_id).await? {
            return Err(Error::NotFound { what: "message" });
        }
        let ids = tx.mark_delivered_up_to(ws, m.conversation_id, m.created_at).await?;
        let events = ids
            .into_iter()
            .map(|id| domain::NewEvent {
                kind: EventKind::MessageUpdated,
                conversation_id: Some(m.conversation_id),
                user_id: None,
                data: json!({ "message_id": id, "delivery_status": DeliveryStatus::Delivered }),
            })
            .collect();
        self.commit(tx, ws, events).await
    }

    /// Tells the team the visitor is typing in their conversation (not stored).
    pub async fn widget_typing(&self, v: &Visitor, conversation: &Conversation, contact: &Contact) -> Result<()> {
        let signal = crate::Ephemeral {
            workspace_id: v.workspace_id,
            conversation_id: conversation.id,
            user_id: UserId(uuid::Uuid::nil()),
            name: contact.display_name(),
            activity: "typing".into(),
            at: self.now(),
        };
        self.bus().publish_ephemeral(signal).await;
        Ok(())
    }

    /// A site vouches for its signed-in user: `user_hash` must be the HMAC-SHA256 of `email`
    /// with the inbox's secret. The visitor then becomes that contact (an anonymous contact
    /// of theirs is merged into it), so the team sees one history across channels.
    pub async fn widget_identify(
        &self,
        v: &Visitor,
        email: &str,
        name: Option<&str>,
        user_hash: &str,
    ) -> Result<Contact> {
        let address = domain::contact::normalise_email(email)
            .map_err(|_| Error::invalid("email", format!("{email:?} is not an e-mail address")))?;
        if !assistant::verify_user_hash(&v.inbox.secret, email, user_hash) {
            return Err(Error::Forbidden("user_hash is not the HMAC-SHA256 of this e-mail with the inbox's secret"));
        }
        let name = name.map(str::trim).filter(|n| !n.is_empty() && n.chars().count() <= 200).map(str::to_string);
        let ws = v.workspace_id;
        let by_email = Identity { kind: IdentityKind::Email, value: address };
        let (mine, theirs) = {
            let mut tx = self.store_().query().await?;
            (tx.contact_by_identity(ws, &v.identity()).await?, tx.contact_by_identity(ws, &by_email).await?)
        };
        let id = match (mine, theirs) {
            (Some(m), Some(t)) if m.id != t.id => self.merge_contacts(&Actor::system(ws), t.id, m.id).await?.id,
            (Some(c), _) | (None, Some(c)) => c.id,
            (None, None) => ContactId::new(),
        };
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let mut events = Vec::new();
        let contact = match tx.get_contact(ws, id).await? {
            Some(mut c) => {
                for identity in [&v.identity(), &by_email] {
                    if !c.identities.contains(identity) && tx.contact_by_identity(ws, identity).await?.is_none() {
                        tx.insert_identity(ws, c.id, identity, now).await?;
                        c.identities.push(identity.clone());
                    }
                }
                if c.name.is_none() && name.is_some() {
                    c.name = name;
                    c.updated_at = now;
                    tx.update_contact(&c).await?;
                }
                crate::contacts::index_contact(&mut tx, &c).await?;
                events.push(crate::contacts::contact_event(EventKind::ContactUpdated, &c));
                c
            }
            None => {
                let c = Contact {
                    id,
                    workspace_id: ws,
                    name,
                    company: None,
                    attributes: Default::default(),
                    identities: vec![v.identity(), by_email],
                    created_at: now,
                    updated_at: now,
                };
                tx.insert_contact(&c).await?;
                crate::contacts::index_contact(&mut tx, &c).await?;
                events.push(crate::contacts::contact_event(EventKind::ContactCreated, &c));
                c
            }
        };
        self.commit(tx, ws, events).await?;
        Ok(contact)
    }

    /// What the assistant learned in a conversation, in the order asked (for the agent).
    pub async fn assistant_answers(&self, actor: &Actor, id: ConversationId) -> Result<Option<Session>> {
        let mut tx = self.store_().query().await?;
        self.load_conversation(&mut tx, actor.workspace_id, id).await?;
        load_session(&mut tx, actor.workspace_id, id).await
    }

    /// After a customer's message in a widget conversation nobody has taken: the first one
    /// is routed at once; if it still waits, the assistant greets (place, wait, first
    /// question); later ones answer its questions.
    async fn assistant_after(&self, v: &Visitor, conv: &Conversation, m: &Message) -> Result<()> {
        let _turn = self.assistant_turn(conv.id).await;
        let ws = v.workspace_id;
        let settings = v.inbox.settings.widget.clone().unwrap_or_default();
        let session = {
            let mut tx = self.store_().query().await?;
            load_session(&mut tx, ws, conv.id).await?
        };
        // The inbox's language, else the one the conversation began in, else the browser's.
        let language = settings
            .language
            .clone()
            .or_else(|| session.as_ref().and_then(|s| s.language.clone()))
            .or_else(|| v.language.clone())
            .unwrap_or_else(|| "en".into());
        let phrases = self.phrases(&language).clone();
        let (session, turn) = match session {
            Some(s) if s.stage == Stage::HandedOver => return Ok(()),
            Some(mut s) => {
                let before = s.clone();
                let turn = assistant::answer(&phrases, &settings.questions, &mut s, &m.text);
                if turn == Turn::default() && s == before {
                    // Done asking: the conversation is the team's.
                    return Ok(());
                }
                (s, turn)
            }
            None => {
                if conv.status != Status::Open || conv.assignee_id.is_some() {
                    return Ok(());
                }
                // A workspace that assigns automatically may hand the chat to someone now.
                let auto = self.store_().query().await?.auto_assigns(ws).await?;
                if auto {
                    self.route_waiting(ws, Some(conv.id)).await?;
                }
                let conv = {
                    let mut tx = self.store_().query().await?;
                    self.load_conversation(&mut tx, ws, conv.id).await?
                };
                let Some(place) = self.widget_queue(ws, &conv).await? else { return Ok(()) };
                let status = self.team_status(&v.inbox).await?;
                let back_at = match status.back_at {
                    Some(at) => self.back_at(&v.inbox, at).await?,
                    None => None,
                };
                let contact = self.widget_contact(v).await?;
                let at = Situation {
                    online: status.online,
                    back_at,
                    ahead: place.position.map(|p| p.saturating_sub(1)),
                    estimate: place.estimate,
                    knows_email: contact
                        .as_ref()
                        .is_some_and(|c| c.identities.iter().any(|i| i.kind == IdentityKind::Email)),
                };
                let (mut session, turn) = assistant::open(&phrases, &settings.questions, &at);
                session.language = Some(language.clone());
                (session, turn)
            }
        };
        self.assistant_says(v, conv, &session, &turn).await
    }

    /// The working hours of an inbox: those of its SLA policy, else the workspace default's.
    async fn calendar_of(&self, inbox: &Inbox) -> Result<domain::BusinessHours> {
        let own = match inbox.settings.sla_policy_id {
            Some(id) => self.store_().query().await?.get_sla_policy(inbox.workspace_id, id).await?,
            None => None,
        };
        Ok(match own {
            Some((p, _)) => p.calendar,
            None => self.default_policy(inbox.workspace_id).await?.calendar,
        })
    }

    /// The assistant's turn in a conversation: one at a time.
    async fn assistant_turn(&self, id: ConversationId) -> tokio::sync::MutexGuard<'_, ()> {
        let stripes = &self.inner.assistant_turns;
        let n = (id.0.as_u128() % stripes.len() as u128) as usize;
        stripes[n].lock().await
    }

    /// The assistant's way of saying when the team is back for an inbox.
    async fn back_at(&self, inbox: &Inbox, at: Millis) -> Result<Option<BackAt>> {
        Ok(BackAt::of(&self.calendar_of(inbox).await?, at, self.now()))
    }

    /// Records what the assistant learned and says its turn, in one transaction.
    async fn assistant_says(&self, v: &Visitor, conv: &Conversation, session: &Session, turn: &Turn) -> Result<()> {
        let ws = v.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let mut events = Vec::new();
        let contact = tx.contact_by_identity(ws, &v.identity()).await?;
        if let Some(mut c) = contact {
            let mut changed = false;
            if let Some((key, value, _)) = &turn.recorded
                && key == "name"
                && c.name.is_none()
            {
                c.name = Some(value.chars().take(200).collect());
                changed = true;
            }
            if let Some(email) = &turn.email
                && let Ok(address) = domain::contact::normalise_email(email)
            {
                let identity = Identity { kind: IdentityKind::Email, value: address };
                if !c.identities.contains(&identity) && tx.contact_by_identity(ws, &identity).await?.is_none() {
                    tx.insert_identity(ws, c.id, &identity, now).await?;
                    c.identities.push(identity);
                    changed = true;
                }
            }
            if changed {
                c.updated_at = now;
                tx.update_contact(&c).await?;
                crate::contacts::index_contact(&mut tx, &c).await?;
                events.push(crate::contacts::contact_event(EventKind::ContactUpdated, &c));
            }
        }
        save_session(&mut tx, ws, conv.id, session, now).await?;
        if let Some(text) = turn.text() {
            let m = assistant_message(conv, text, now);
            tx.insert_message(&m).await?;
            events.push(message_event(&m));
        }
        self.commit(tx, ws, events).await
    }

    /// Runs a handoff job: the assistant introduces the agent who took the chat.
    pub(crate) async fn run_handoff_job(&self, job: &Job) -> Result<()> {
        let ws = job.workspace_id;
        let id: ConversationId = serde_json::from_value(job.payload["conversation_id"].clone())
            .map_err(|_| Error::Internal("a handoff job names no conversation".into()))?;
        let _turn = self.assistant_turn(id).await;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let Some(mut session) = load_session(&mut tx, ws, id).await? else { return Ok(()) };
        let conv = self.load_conversation(&mut tx, ws, id).await?;
        let Some(agent) = conv.assignee_id else { return Ok(()) };
        if session.stage == Stage::HandedOver {
            return Ok(());
        }
        let inbox = tx.get_inbox(ws, conv.inbox_id).await?.ok_or(Error::NotFound { what: "inbox" })?;
        let language = inbox
            .settings
            .widget
            .and_then(|w| w.language)
            .or_else(|| session.language.clone())
            .unwrap_or_else(|| "en".into());
        let name = tx.get_user(agent).await?.map(|u| u.name).unwrap_or_default();
        let text = assistant::hand_over(self.phrases(&language), &mut session, &name);
        save_session(&mut tx, ws, id, &session, now).await?;
        let m = assistant_message(&conv, text, now);
        tx.insert_message(&m).await?;
        self.commit(tx, ws, vec![message_event(&m), conversation_event(EventKind::ConversationUpdated, &conv)]).await
    }
}

/// An assistant's message: from Chorus itself, on the wire at once (the widget is live).
fn assistant_message(conv: &Conversation, text: String, now: Millis) -> Message {
    let mut m = Message::from_team(conv, MessageKind::Message, Author::System, text, now);
    m.direction = Direction::Outbound;
    m.delivery_status = Some(DeliveryStatus::Sent);
    m.meta.assistant = true;
    m
}

async fn load_session(tx: &mut Tx, ws: WorkspaceId, id: ConversationId) -> Result<Option<Session>> {
    match tx.assistant_session(ws, id).await? {
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| Error::Internal(format!("an assistant session does not read: {e}"))),
        None => Ok(None),
    }
}

async fn save_session(tx: &mut Tx, ws: WorkspaceId, id: ConversationId, s: &Session, now: Millis) -> Result<()> {
    let json = serde_json::to_string(s).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(tx.save_assistant_session(ws, id, &json, now).await?)
}

/// When a widget conversation the assistant spoke in is assigned, queues the handoff (run
/// after the assignment commits).
pub(crate) async fn on_assigned(tx: &mut Tx, after: &Conversation, now: Millis) -> Result<()> {
    let ws = after.workspace_id;
    let Some(user) = after.assignee_id else { return Ok(()) };
    let Some(session) = load_session(tx, ws, after.id).await? else { return Ok(()) };
    if session.stage != Stage::HandedOver {
        let job = Job::new(ws, HANDOFF, json!({ "conversation_id": after.id, "user_id": user }), now, 3);
        tx.enqueue_job(&job, now).await?;
    }
    Ok(())
}

/// After a reply in a widget conversation: when the widget names an e-mail inbox, a job
/// looks again once the customer has had time to read it, and e-mails it if they did not.
pub(crate) async fn after_reply(tx: &mut Tx, inbox: &Inbox, m: &Message, now: Millis, after_ms: i64) -> Result<()> {
    if inbox.settings.widget.as_ref().is_some_and(|w| w.email_inbox_id.is_some()) {
        let job = Job::new(m.workspace_id, EMAIL, json!({ "message_id": m.id }), now + after_ms.max(0), 5);
        tx.enqueue_job(&job, now).await?;
    }
    Ok(())
}
