//! One widget connection over WebSocket at `/widget/ws`. The protocol (JSON text frames):
//!
//! Client → server: `hello` first (`inbox_id`, `token` or null, `origin`, `last_seq` or
//! null), then `message` (`client_id`, `text`, `attachments`), `typing`, `read`
//! (`message_id`), `identify` (`email`, `name`, `user_hash`) and `ping`.
//!
//! Server → client: `welcome` (token, visitor id, conversation, `seq`, messages, queue,
//! team status, contact), `message` (`seq`, message), `ack` (`client_id`, message), `typing`,
//! `read` (`up_to`), `queue`, `status`, `agent`, `identified`, `error` (`code`, `message`,
//! `client_id`) and `pong`.
//!
//! The token travels in the first frame, never in the URL. Every frame the client sends is
//! answered or acted on; a bad one gets an error frame naming what was wrong and the
//! connection stays usable. A frame over the size limit closes the connection (1009), a
//! silent one is closed after [`SILENCE`], and reconnecting with `last_seq` replays what was
//! missed from the event log, so nothing is lost and (with the client's de-duplication by
//! message id) nothing is shown twice.

use super::hub::{Hub, Push, Subscription};
use super::{Widget, message_json, queue_json, status_json};
use crate::Shared;
use app::Visitor;
use axum::extract::ws::{CloseFrame, Message as Frame, WebSocket};
use domain::{AttachmentId, Conversation, ConversationId, EventKind, InboxId, MessageId, UserId};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// How often the server pings.
const PING_EVERY: Duration = Duration::from_secs(30);
/// A connection that sends nothing (not even a pong) this long is closed.
const SILENCE: Duration = Duration::from_secs(75);
/// A connection must say hello this soon.
const HELLO_WITHIN: Duration = Duration::from_secs(20);
/// Queue places are looked up at most this often per connection.
const QUEUE_EVERY: Duration = Duration::from_secs(1);
/// Catch-up reads the log in pages of this many events, and gives up for the recent history
/// after this many pages.
const CATCH_UP_PAGE: usize = 500;
const CATCH_UP_PAGES: usize = 20;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    Hello {
        inbox_id: String,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        origin: Option<String>,
        #[serde(default)]
        last_seq: Option<i64>,
        /// The widget's language (the frame chose it from the browser's).
        #[serde(default)]
        language: Option<String>,
    },
    Message {
        client_id: String,
        #[serde(default)]
        text: String,
        #[serde(default)]
        attachments: Vec<String>,
    },
    Typing {
        typing: bool,
    },
    Read {
        message_id: String,
    },
    Identify {
        email: String,
        #[serde(default)]
        name: Option<String>,
        user_hash: String,
    },
    Ping,
}

/// An error frame: a stable code and words for the developer.
fn error(code: &str, message: impl Into<String>, client_id: Option<&str>) -> Value {
    json!({ "type": "error", "code": code, "message": message.into(), "client_id": client_id })
}

/// The error frame for a use case's failure.
fn app_error(e: app::Error, client_id: Option<&str>) -> Value {
    use app::Error as E;
    match e {
        E::Invalid { field, message } => error("invalid", format!("{field}: {message}"), client_id),
        E::NotFound { what } => error("not_found", format!("{what} not found"), client_id),
        E::Conflict { message, .. } => error("conflict", message, client_id),
        E::TooLarge { what, limit } => {
            error("too_large", format!("{what} is larger than the limit of {limit} bytes"), client_id)
        }
        E::Forbidden(why) => error("forbidden", why, client_id),
        E::Unauthenticated | E::BadCredentials => error("forbidden", "not allowed", client_id),
        E::Internal(cause) => {
            tracing::error!(%cause, "widget connection: internal error");
            error("internal", "something failed inside Chorus; try again", client_id)
        }
    }
}

struct Conn {
    s: Shared,
    w: Widget,
    ip: Option<IpAddr>,
    tx: mpsc::Sender<Push>,
    visitor: Option<Visitor>,
    sub: Option<Subscription>,
    conversation: Option<Conversation>,
    /// The last event of the log this client has the effect of.
    seq: i64,
    /// The customer's newest message sent to this client (what "seen" refers to).
    last_inbound: Option<MessageId>,
    /// The last messages this connection sent (acknowledged; their live events are skipped).
    sent: std::collections::VecDeque<MessageId>,
    queue: Option<Value>,
    queue_checked: Option<Instant>,
    queue_due: bool,
}

/// Serves one upgraded connection until it closes.
pub(crate) async fn serve(mut socket: WebSocket, s: Shared, w: Widget, ip: Option<IpAddr>) {
    let (tx, mut rx) = Hub::mailbox();
    let mut conn = Conn {
        s,
        w,
        ip,
        tx,
        visitor: None,
        sub: None,
        conversation: None,
        seq: 0,
        last_inbound: None,
        sent: std::collections::VecDeque::with_capacity(4),
        queue: None,
        queue_checked: None,
        queue_due: false,
    };
    let opened = Instant::now();
    let mut heard = Instant::now();
    let mut pinged = Instant::now();
    // One timer per connection, set to whatever is due next: the hello deadline, the next
    // ping, or a pending queue look-up. Idle connections wake only to ping.
    let timer = tokio::time::sleep(HELLO_WITHIN);
    tokio::pin!(timer);
    loop {
        let due = if conn.visitor.is_none() {
            opened + HELLO_WITHIN
        } else if conn.queue_due {
            conn.queue_checked.map_or_else(Instant::now, |t| t + QUEUE_EVERY).min(pinged + PING_EVERY)
        } else {
            pinged + PING_EVERY
        };
        timer.as_mut().reset(tokio::time::Instant::from_std(due));
        // The handlers' futures are boxed: an idle connection's task then holds only this
        // loop's small state, not the largest of them.
        let outgoing: Vec<Value> = tokio::select! {
            frame = socket.recv() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(_)) | None => return,
                };
                heard = Instant::now();
                match frame {
                    Frame::Text(text) if text.len() > super::MAX_FRAME => {
                        let reason = format!("frames are limited to {} bytes", super::MAX_FRAME);
                        close(&mut socket, 1009, &reason).await;
                        return;
                    }
                    Frame::Text(text) => Box::pin(conn.on_text(text.as_str())).await,
                    Frame::Binary(_) => vec![error("bad_frame", "frames are JSON text, not binary", None)],
                    Frame::Ping(_) | Frame::Pong(_) => Vec::new(),
                    Frame::Close(_) => return,
                }
            }
            push = rx.recv() => match push {
                Some(push) => Box::pin(conn.on_push(push)).await,
                None => return,
            },
            _ = &mut timer => {
                if conn.visitor.is_none() {
                    close(&mut socket, 1008, "say hello first").await;
                    return;
                }
                if pinged.elapsed() >= PING_EVERY {
                    if heard.elapsed() > SILENCE {
                        close(&mut socket, 1001, "no heartbeat").await;
                        return;
                    }
                    pinged = Instant::now();
                    if socket.send(Frame::Ping(Default::default())).await.is_err() {
                        return;
                    }
                }
                Box::pin(conn.queue_if_due()).await
            }
        };
        for mut v in outgoing {
            let close_after =
                v.as_object_mut().and_then(|o| o.remove("close")).and_then(|c| c.as_str().map(str::to_string));
            if socket.send(Frame::Text(v.to_string().into())).await.is_err() {
                return;
            }
            if let Some(reason) = close_after {
                close(&mut socket, 1008, &reason).await;
                return;
            }
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame { code, reason: reason.to_string().into() };
    let _ = socket.send(Frame::Close(Some(frame))).await;
}

impl Conn {
    async fn on_text(&mut self, text: &str) -> Vec<Value> {
        let frame: ClientFrame = match serde_json::from_str(text) {
            Ok(f) => f,
            Err(e) => return vec![error("bad_frame", format!("not a frame this server understands: {e}"), None)],
        };
        match frame {
            ClientFrame::Hello { inbox_id, token, origin, last_seq, language } => {
                self.hello(&inbox_id, token.as_deref(), origin.as_deref(), last_seq, language).await
            }
            ClientFrame::Ping => vec![json!({ "type": "pong" })],
            _ if self.visitor.is_none() => vec![error("not_hello", "the first frame must be a hello", None)],
            ClientFrame::Message { client_id, text, attachments } => {
                self.message(&client_id, &text, &attachments).await
            }
            ClientFrame::Typing { typing } => self.typing(typing).await,
            ClientFrame::Read { message_id } => self.read(&message_id).await,
            ClientFrame::Identify { email, name, user_hash } => {
                self.identify(&email, name.as_deref(), &user_hash).await
            }
        }
    }

    async fn hello(
        &mut self,
        inbox_id: &str,
        token: Option<&str>,
        origin: Option<&str>,
        last_seq: Option<i64>,
        language: Option<String>,
    ) -> Vec<Value> {
        if self.visitor.is_some() {
            return vec![error("bad_frame", "hello was said already on this connection", None)];
        }
        if let Some(ip) = self.ip
            && self.w.connects_per_ip.attempt(&[ip.to_string()]).is_err()
        {
            return vec![json!({
                "type": "error", "code": "rate_limited",
                "message": "too many connections from your address; wait a minute", "close": "rate limited"
            })];
        }
        let Ok(id) = inbox_id.parse::<uuid::Uuid>() else {
            return vec![error("invalid", "inbox_id: not an id", None)];
        };
        let inbox = match self.s.app.widget_inbox(InboxId(id)).await {
            Ok(i) => i,
            Err(e) => return vec![app_error(e, None)],
        };
        let settings = inbox.settings.widget.clone().unwrap_or_default();
        let origin_ok = match origin {
            Some(o) => settings.allows(o),
            None => settings.allowed_origins.is_empty(),
        };
        if !origin_ok {
            return vec![json!({
                "type": "error", "code": "origin_not_allowed",
                "message": format!("this inbox's widget may not be embedded on {}", origin.unwrap_or("an unnamed site")),
                "close": "origin not allowed"
            })];
        }
        let visitor = match self.s.app.widget_connect(&inbox, token.filter(|t| !t.is_empty())).await {
            Ok(mut v) => {
                v.language = language.filter(|l| super::languages().contains(&l.as_str()));
                v
            }
            Err(app::Error::NotFound { .. }) => {
                return vec![error(
                    "unknown_token",
                    "this visitor token is not known here; say hello again without one to start afresh",
                    None,
                )];
            }
            Err(e) => return vec![app_error(e, None)],
        };
        let seq_now = self.s.app.bus().relayed().max(0);
        // Subscribe before reading, so nothing committed in between is missed.
        let contact = match self.s.app.widget_contact(&visitor).await {
            Ok(c) => c,
            Err(e) => return vec![app_error(e, None)],
        };
        let conversation = match self.s.app.widget_conversation(&visitor, contact.as_ref()).await {
            Ok(c) => c,
            Err(e) => return vec![app_error(e, None)],
        };
        if let Some(c) = &conversation {
            self.sub = Some(self.w.hub.subscribe(visitor.workspace_id, c.id, self.tx.clone()));
        }
        self.visitor = Some(visitor.clone());
        let state = match self.s.app.widget_state(&visitor, last_seq.is_none()).await {
            Ok(s) => s,
            Err(e) => return vec![app_error(e, None)],
        };
        self.conversation = state.conversation.clone();
        self.seq = seq_now;
        let mut messages: Vec<Value> = state.messages.iter().map(message_json).collect();
        if let Some(after) = last_seq
            && let Some(c) = &self.conversation
        {
            match self.replay(c.id, after).await {
                Ok(Some(replayed)) => messages = replayed,
                Ok(None) => match self.s.app.widget_state(&visitor, true).await {
                    Ok(full) => messages = full.messages.iter().map(message_json).collect(),
                    Err(e) => return vec![app_error(e, None)],
                },
                Err(e) => return vec![app_error(e, None)],
            }
        }
        self.note_inbound(&state.messages);
        self.queue = state.queue.as_ref().map(queue_json);
        self.set_waiting();
        let contact = state.contact.as_ref().map(|c| {
            let email = c.identities.iter().find(|i| i.kind == domain::IdentityKind::Email).map(|i| i.value.clone());
            json!({ "name": c.name, "email": email })
        });
        vec![json!({
            "type": "welcome",
            "token": visitor.token,
            "visitor_id": visitor.id,
            "conversation_id": self.conversation.as_ref().map(|c| c.id),
            "seq": self.seq,
            "messages": messages,
            "queue": self.queue,
            "status": status_json(&state.status),
            "contact": contact,
        })]
    }

    fn note_inbound(&mut self, messages: &[app::WidgetMessage]) {
        if let Some(m) = messages.iter().rev().find(|m| m.message.direction == domain::Direction::Inbound) {
            self.last_inbound = Some(m.message.id);
        }
    }

    fn set_waiting(&self) {
        if let Some(sub) = &self.sub {
            sub.waiting.store(self.queue.is_some(), Ordering::Release);
        }
    }

    /// The visitor's messages changed since `after` in the log, as message frames; `None`
    /// when the gap is too long to replay (the caller sends the recent history instead).
    async fn replay(&mut self, conversation: ConversationId, after: i64) -> app::Result<Option<Vec<Value>>> {
        let Some(v) = self.visitor.clone() else { return Ok(Some(Vec::new())) };
        let mut out = Vec::new();
        let mut cursor = after;
        let mut seen: Vec<MessageId> = Vec::new();
        for _ in 0..CATCH_UP_PAGES {
            let events = self.s.app.widget_events_since(&v, conversation, cursor, CATCH_UP_PAGE).await?;
            let n = events.len();
            for e in events {
                cursor = e.seq;
                if e.conversation_id != Some(conversation)
                    || !matches!(e.kind, EventKind::MessageCreated | EventKind::MessageUpdated)
                {
                    continue;
                }
                let Some(id) =
                    e.data.get("message_id").and_then(|v| serde_json::from_value::<MessageId>(v.clone()).ok())
                else {
                    continue;
                };
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                if let Some(m) = self.s.app.widget_message(&v, id).await? {
                    if m.message.direction == domain::Direction::Inbound {
                        self.last_inbound = Some(m.message.id);
                    }
                    out.push(json!({ "type": "message", "seq": e.seq, "message": message_json(&m) }));
                }
            }
            self.seq = self.seq.max(cursor);
            if n < CATCH_UP_PAGE {
                // The frames are sent after the welcome; the welcome carries their messages.
                return Ok(Some(out.into_iter().filter_map(|f| f.get("message").cloned()).collect()));
            }
        }
        Ok(None)
    }

    async fn message(&mut self, client_id: &str, text: &str, attachments: &[String]) -> Vec<Value> {
        let Some(v) = self.visitor.clone() else { return Vec::new() };
        if text.chars().count() > app::MAX_WIDGET_TEXT {
            let why = format!("a message may have at most {} characters", app::MAX_WIDGET_TEXT);
            return vec![error("too_long", why, Some(client_id))];
        }
        let mut keys = vec![format!("v:{}", v.id)];
        if let Some(ip) = self.ip {
            keys.push(ip.to_string());
        }
        if self.w.messages.attempt(&keys).is_err() {
            return vec![error("rate_limited", "too many messages; wait a little and send again", Some(client_id))];
        }
        let mut ids = Vec::with_capacity(attachments.len());
        for (i, a) in attachments.iter().enumerate() {
            match a.parse::<uuid::Uuid>() {
                Ok(u) => ids.push(AttachmentId(u)),
                Err(_) => return vec![error("invalid", format!("attachments[{i}]: not an id"), Some(client_id))],
            }
        }
        // Every event of this message comes after this point of the log.
        let before = self.s.app.bus().relayed();
        let sent = match self.s.app.widget_send(&v, client_id, text, ids).await {
            Ok(s) => s,
            Err(e) => return vec![app_error(e, Some(client_id))],
        };
        self.last_inbound = Some(sent.message.message.id);
        if self.sent.len() == 4 {
            self.sent.pop_front();
        }
        self.sent.push_back(sent.message.message.id);
        let mut out = vec![json!({ "type": "ack", "client_id": client_id, "message": message_json(&sent.message) })];
        let changed = self.conversation.as_ref().is_none_or(|c| c.id != sent.conversation.id);
        if changed {
            // The first message (or one after the last conversation was closed for good):
            // follow the new conversation and pick up what was said in it meanwhile (the
            // assistant's greeting).
            self.sub = Some(self.w.hub.subscribe(v.workspace_id, sent.conversation.id, self.tx.clone()));
            self.conversation = Some(sent.conversation.clone());
            // Replay from just before the send: what a new conversation holds was all written
            // since (reading from the hello could mean the whole workspace's traffic).
            let from = self.seq.max(before);
            match self.replay(sent.conversation.id, from).await {
                Ok(Some(messages)) => out
                    .extend(messages.into_iter().map(|m| json!({ "type": "message", "seq": self.seq, "message": m }))),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "widget: could not catch up a new conversation"),
            }
            self.queue_due = true;
            out.extend(self.queue_if_due().await);
        }
        out
    }

    async fn typing(&mut self, typing: bool) -> Vec<Value> {
        let (Some(v), Some(c)) = (self.visitor.clone(), self.conversation.clone()) else { return Vec::new() };
        if !typing {
            return Vec::new();
        }
        if self.w.typing.attempt(&[format!("t:{}", v.id)]).is_err() {
            return Vec::new();
        }
        let contact = match self.s.app.widget_contact(&v).await {
            Ok(Some(c)) => c,
            Ok(None) => return Vec::new(),
            Err(e) => return vec![app_error(e, None)],
        };
        match self.s.app.widget_typing(&v, &c, &contact).await {
            Ok(()) => Vec::new(),
            Err(e) => vec![app_error(e, None)],
        }
    }

    async fn read(&mut self, message_id: &str) -> Vec<Value> {
        let Some(v) = self.visitor.clone() else { return Vec::new() };
        let Ok(id) = message_id.parse::<uuid::Uuid>() else {
            return vec![error("invalid", "message_id: not an id", None)];
        };
        match self.s.app.widget_read(&v, MessageId(id)).await {
            Ok(()) => Vec::new(),
            Err(e) => vec![app_error(e, None)],
        }
    }

    async fn identify(&mut self, email: &str, name: Option<&str>, user_hash: &str) -> Vec<Value> {
        let Some(v) = self.visitor.clone() else { return Vec::new() };
        if self.w.identify.attempt(&[format!("i:{}", v.id)]).is_err() {
            return vec![error("rate_limited", "too many identify attempts; wait a minute", None)];
        }
        match self.s.app.widget_identify(&v, email, name, user_hash).await {
            Ok(c) => {
                let email =
                    c.identities.iter().find(|i| i.kind == domain::IdentityKind::Email).map(|i| i.value.clone());
                let mut out = vec![json!({ "type": "identified", "contact": { "name": c.name, "email": email } })];
                // Identified as a customer who has a conversation here already: follow it.
                if self.conversation.is_none()
                    && let Ok(Some(conv)) = self.s.app.widget_conversation(&v, Some(&c)).await
                {
                    self.sub = Some(self.w.hub.subscribe(v.workspace_id, conv.id, self.tx.clone()));
                    self.conversation = Some(conv);
                    if let Ok(state) = self.s.app.widget_state(&v, true).await {
                        for m in &state.messages {
                            out.push(json!({ "type": "message", "seq": self.seq, "message": message_json(m) }));
                        }
                        self.note_inbound(&state.messages);
                    }
                }
                out
            }
            Err(app::Error::Forbidden(why)) => vec![error("bad_user_hash", why, None)],
            Err(e) => vec![app_error(e, None)],
        }
    }

    async fn on_push(&mut self, push: Push) -> Vec<Value> {
        let Some(v) = self.visitor.clone() else { return Vec::new() };
        if self.sub.as_ref().is_some_and(Subscription::take_lagged) || matches!(push, Push::Lagged) {
            let Some(c) = self.conversation.as_ref().map(|c| c.id) else { return Vec::new() };
            let from = self.seq;
            return match self.replay(c, from).await {
                Ok(Some(messages)) => {
                    messages.into_iter().map(|m| json!({ "type": "message", "seq": self.seq, "message": m })).collect()
                }
                Ok(None) => Vec::new(),
                Err(e) => vec![app_error(e, None)],
            };
        }
        match push {
            // Already sent: in the welcome's history or a replay.
            Push::Message { seq, .. } | Push::Conversation { seq, .. } if seq <= self.seq => Vec::new(),
            // Its own message, acknowledged already.
            Push::Message { seq, message_id } if self.sent.contains(&message_id) => {
                self.seq = self.seq.max(seq);
                Vec::new()
            }
            Push::Message { seq, message_id } => {
                self.seq = self.seq.max(seq);
                let Some(conversation) = self.conversation.as_ref().map(|c| c.id) else { return Vec::new() };
                match self.s.app.widget_message_in(&v, conversation, message_id).await {
                    Ok(Some(m)) => {
                        if m.message.direction == domain::Direction::Inbound {
                            self.last_inbound = Some(m.message.id);
                        }
                        vec![json!({ "type": "message", "seq": seq, "message": message_json(&m) })]
                    }
                    Ok(None) => Vec::new(),
                    Err(e) => vec![app_error(e, None)],
                }
            }
            Push::Conversation { seq, key } => {
                self.seq = self.seq.max(seq);
                let Some(id) = self.conversation.as_ref().map(|c| c.id) else { return Vec::new() };
                let known = self.conversation.as_ref().map(|c| {
                    let status = serde_json::to_value(c.status).ok();
                    let assignee = c.assignee_id.map(|a| json!(a));
                    super::hub::conversation_key(status.as_ref(), assignee.as_ref())
                });
                if known.as_deref() == Some(&*key) {
                    // Only its activity changed (a new message): nothing the widget shows.
                    return Vec::new();
                }
                let before = self.conversation.as_ref().and_then(|c| c.assignee_id);
                let now = match self.s.app.widget_own_conversation(&v, id).await {
                    Ok(c) => c,
                    Err(e) => return vec![app_error(e, None)],
                };
                let mut out = Vec::new();
                if now.assignee_id.is_some() && now.assignee_id != before {
                    out.push(json!({ "type": "agent", "name": self.agent_name(now.assignee_id).await }));
                }
                self.conversation = Some(now);
                self.queue_due = true;
                out.extend(self.queue_if_due().await);
                out
            }
            Push::Queue(place) => {
                let queue = place.map(|p| (*p).clone());
                if queue == self.queue {
                    return Vec::new();
                }
                self.queue = queue.clone();
                self.set_waiting();
                vec![queue_frame(queue)]
            }
            Push::Agent { name, typing } => {
                let mut out = Vec::new();
                if typing {
                    out.push(json!({ "type": "typing", "typing": true, "name": &*name }));
                }
                if let Some(id) = self.last_inbound {
                    out.push(json!({ "type": "read", "up_to": id }));
                }
                out
            }
            Push::Lagged => Vec::new(),
        }
    }

    async fn agent_name(&self, user: Option<UserId>) -> String {
        let (Some(v), Some(c)) = (&self.visitor, &self.conversation) else { return String::new() };
        let Some(user) = user else { return String::new() };
        self.s.app.widget_agent_name(v, c.id, user).await.unwrap_or_default()
    }

    /// Looks up the queue place when a change is pending and the last look is old enough;
    /// sends it when it changed.
    async fn queue_if_due(&mut self) -> Vec<Value> {
        if !self.queue_due || self.queue_checked.is_some_and(|t| t.elapsed() < QUEUE_EVERY) {
            return Vec::new();
        }
        let (Some(v), Some(c)) = (self.visitor.clone(), self.conversation.clone()) else { return Vec::new() };
        self.queue_due = false;
        self.queue_checked = Some(Instant::now());
        let c = match self.s.app.widget_own_conversation(&v, c.id).await {
            Ok(c) => c,
            Err(e) => return vec![app_error(e, None)],
        };
        let place = match self.s.app.widget_queue(v.workspace_id, &c).await {
            Ok(p) => p,
            Err(e) => return vec![app_error(e, None)],
        };
        self.conversation = Some(c);
        let queue = place.as_ref().map(queue_json);
        if queue == self.queue {
            return Vec::new();
        }
        self.queue = queue.clone();
        self.set_waiting();
        vec![queue_frame(queue)]
    }
}

/// A `queue` frame: the place, or that the conversation no longer waits.
fn queue_frame(queue: Option<Value>) -> Value {
    let queue = queue.unwrap_or_else(
        || json!({ "waiting": false, "position": null, "ahead": null, "estimate": null, "agents_online": null }),
    );
    json!({ "type": "queue", "queue": queue })
}
