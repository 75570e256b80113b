//! Working a conversation: the list, the thread, replies and notes, and every change
//! (assignee, team, status, labels, priority, participants) with its activity line.

use crate::sanitize::clean_html;
use crate::{Actor, App, Error, Result};
use domain::event::NewEvent;
use domain::message::{mentions, validate_text};
use domain::{
    Attachment, AttachmentId, Author, Conversation, ConversationFilter, ConversationId, Cursor, EventKind, Message,
    MessageKind, Millis, Notification, NotificationId, Page, Priority, Status, TeamId, UserId, WorkspaceId,
};
use serde_json::json;
use store::{SearchKind, Tx};

/// A conversation list request.
#[derive(Debug, Clone)]
pub struct ConversationQuery {
    /// What to show.
    pub filter: ConversationFilter,
    /// Where the previous page ended.
    pub cursor: Option<Cursor>,
    /// Page size.
    pub limit: usize,
}

/// A page of conversations, with the list's size when a counter is kept for it.
#[derive(Debug, Clone)]
pub struct ConversationList {
    /// The page.
    pub page: Page<Conversation>,
    /// How many conversations the whole list has (from counters, never `COUNT(*)`).
    pub total: Option<i64>,
    /// The conversations on this page with customer messages the caller has not seen.
    pub unread: Vec<ConversationId>,
}

/// A reply to the customer.
#[derive(Debug, Clone, Default)]
pub struct ReplyInput {
    /// Its text.
    pub text: String,
    /// Its HTML, if written with formatting (sanitised on the way in).
    pub html: Option<String>,
    /// Files uploaded beforehand.
    pub attachments: Vec<AttachmentId>,
    /// E-mail: also to everyone else on the customer's latest mail (To and Cc).
    pub reply_all: bool,
}

pub(crate) fn message_event(m: &Message) -> NewEvent {
    NewEvent {
        kind: EventKind::MessageCreated,
        conversation_id: Some(m.conversation_id),
        user_id: None,
        data: json!({ "message_id": m.id, "kind": m.kind, "direction": m.direction }),
    }
}

pub(crate) fn conversation_event(kind: EventKind, c: &Conversation) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: Some(c.id),
        user_id: None,
        data: json!({ "conversation_id": c.id, "number": c.number, "status": c.status, "assignee_id": c.assignee_id }),
    }
}

impl App {
    pub(crate) async fn load_conversation(
        &self,
        tx: &mut Tx,
        ws: WorkspaceId,
        id: ConversationId,
    ) -> Result<Conversation> {
        tx.get_conversation(ws, id).await?.ok_or(Error::NotFound { what: "conversation" })
    }

    /// Loads uploaded attachments for a new message: each must be this workspace's and unsent.
    pub(crate) async fn claim_attachments(
        &self,
        tx: &mut Tx,
        ws: WorkspaceId,
        ids: &[AttachmentId],
    ) -> Result<Vec<Attachment>> {
        let mut out: Vec<Attachment> = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let a = tx
                .get_attachment(ws, *id)
                .await?
                .ok_or_else(|| Error::invalid(format!("attachment_ids[{i}]"), "no such attachment"))?;
            if a.message_id.is_some() {
                return Err(Error::invalid(
                    format!("attachment_ids[{i}]"),
                    "this attachment belongs to another message",
                ));
            }
            if !out.iter().any(|o| o.id == a.id) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Inserts an activity line and writes the changed conversation: one place keeps the
    /// activity time, counters and events of every change consistent.
    pub(crate) async fn record_activity(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        before: &Conversation,
        after: &mut Conversation,
        line: &str,
    ) -> Result<Vec<NewEvent>> {
        let now = self.now();
        // The command line and the widget act as Chorus itself, which has no presence.
        let system = actor.user_id.0.is_nil();
        let author = if system { Author::System } else { Author::Agent(actor.user_id) };
        let m = Message::from_team(after, MessageKind::Activity, author, line.to_string(), now);
        tx.insert_message(&m).await?;
        after.last_activity_at = now;
        tx.update_conversation(before, after).await?;
        let queue = crate::routing::on_change(tx, before, after, now).await?;
        crate::sla::on_change(tx, before, after, now).await?;
        crate::rules::on_change(tx, before, after, now).await?;
        if !system {
            tx.touch_presence(actor.workspace_id, actor.user_id, now).await?;
        }
        tx.move_counters(actor.workspace_id, &before.counter_keys(), &after.counter_keys()).await?;
        let mut events = vec![message_event(&m), conversation_event(EventKind::ConversationUpdated, after)];
        events.extend(queue);
        Ok(events)
    }

    async fn name_of(&self, tx: &mut Tx, user: UserId) -> Result<String> {
        Ok(tx.get_user(user).await?.map(|u| u.name).unwrap_or_else(|| "a former teammate".into()))
    }

    /// Applies `change` to a conversation and records it with the activity line it returns;
    /// a change that changes nothing writes nothing.
    async fn change(
        &self,
        actor: &Actor,
        id: ConversationId,
        change: impl FnOnce(&mut Conversation) -> Result<()>,
        line: impl FnOnce(&Conversation, &Conversation, String) -> String,
    ) -> Result<(Conversation, Tx, Vec<NewEvent>)> {
        let mut tx = self.store_().write().await?;
        let before = self.load_conversation(&mut tx, actor.workspace_id, id).await?;
        let mut after = before.clone();
        change(&mut after)?;
        if after == before {
            return Ok((after, tx, vec![]));
        }
        let me = self.name_of(&mut tx, actor.user_id).await?;
        let text = line(&before, &after, me);
        let events = self.record_activity(&mut tx, actor, &before, &mut after, &text).await?;
        Ok((after, tx, events))
    }

    async fn finish(
        &self,
        actor: &Actor,
        (conv, tx, events): (Conversation, Tx, Vec<NewEvent>),
    ) -> Result<Conversation> {
        if events.is_empty() {
            tx.rollback().await?;
        } else {
            self.commit(tx, actor.workspace_id, events).await?;
        }
        Ok(conv)
    }

    /// A page of conversations and, when kept, the list's size.
    pub async fn list_conversations(&self, actor: &Actor, q: ConversationQuery) -> Result<ConversationList> {
        let mut tx = self.store_().read().await?;
        let page = tx.list_conversations(actor.workspace_id, &q.filter, q.cursor, q.limit).await?;
        let total = match q.filter.counter_key() {
            Some(key) => Some(tx.counter(actor.workspace_id, &key).await?),
            None => None,
        };
        let ids: Vec<ConversationId> = page.items.iter().map(|c| c.id).collect();
        let seen = tx.seen_marks(actor.workspace_id, actor.user_id, &ids).await?;
        let unread = page
            .items
            .iter()
            .filter(|c| {
                let seen_at = seen.iter().find(|(id, _)| *id == c.id).map(|(_, at)| *at);
                matches!((c.last_inbound_at, seen_at), (Some(wrote), Some(saw)) if wrote > saw)
                    || (c.last_inbound_at.is_some() && seen_at.is_none())
            })
            .map(|c| c.id)
            .collect();
        Ok(ConversationList { page, total, unread })
    }

    /// The sizes of several lists, each from its counter; `None` where no counter covers
    /// the filter (the status tabs of the inbox, read in one go).
    pub async fn conversation_counts(&self, actor: &Actor, filters: &[ConversationFilter]) -> Result<Vec<Option<i64>>> {
        let mut tx = self.store_().read().await?;
        let mut out = Vec::with_capacity(filters.len());
        for f in filters {
            out.push(match f.counter_key() {
                Some(key) => Some(tx.counter(actor.workspace_id, &key).await?.max(0)),
                None => None,
            });
        }
        Ok(out)
    }

    /// One conversation.
    pub async fn get_conversation(&self, actor: &Actor, id: ConversationId) -> Result<Conversation> {
        let mut tx = self.store_().read().await?;
        self.load_conversation(&mut tx, actor.workspace_id, id).await
    }

    /// A conversation's thread, oldest first.
    pub async fn list_messages(
        &self,
        actor: &Actor,
        id: ConversationId,
        cursor: Option<Cursor>,
        limit: usize,
    ) -> Result<Page<Message>> {
        let mut tx = self.store_().read().await?;
        let conv = self.load_conversation(&mut tx, actor.workspace_id, id).await?;
        Ok(tx.list_messages(actor.workspace_id, conv.id, cursor, limit).await?)
    }

    /// One message of the caller's workspace.
    pub async fn get_message(&self, actor: &Actor, id: domain::MessageId) -> Result<Message> {
        let mut tx = self.store_().read().await?;
        tx.get_message(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "message" })
    }

    /// Replies to the customer on the conversation's channel: the message is stored as
    /// queued and a delivery job is enqueued in the same transaction.
    pub async fn reply(&self, actor: &Actor, id: ConversationId, input: ReplyInput) -> Result<Message> {
        self.reply_as(actor, id, input, Author::Agent(actor.user_id), false).await
    }

    /// [`App::reply`] written by `author` (an automation rule replies as Chorus itself);
    /// `even_closed` lets the notice of a closed inbox through, where its channel can still
    /// send.
    pub(crate) async fn reply_as(
        &self,
        actor: &Actor,
        id: ConversationId,
        input: ReplyInput,
        author: Author,
        even_closed: bool,
    ) -> Result<Message> {
        validate_text(&input.text, !input.attachments.is_empty())?;
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let before = self.load_conversation(&mut tx, ws, id).await?;
        let inbox = tx.get_inbox(ws, before.inbox_id).await?.ok_or(Error::NotFound { what: "inbox" })?;
        if inbox.status == domain::InboxStatus::Closed && !even_closed {
            return Err(Error::Conflict {
                field: "inbox",
                message: format!("the inbox {:?} is closed; replies cannot be sent", inbox.name),
            });
        }
        let attachments = self.claim_attachments(&mut tx, ws, &input.attachments).await?;
        let mut m = Message::from_team(&before, MessageKind::Message, author, input.text.trim().to_string(), now);
        m.html = input.html.as_deref().map(clean_html);
        m.attachments = attachments;
        if inbox.kind == domain::ChannelKind::Email {
            let thread = tx.list_messages(ws, id, None, 1_000).await?.items;
            let contact = self.load_contact(&mut tx, ws, before.contact_id).await?;
            let recipients = crate::email::reply_recipients(&inbox, &thread, &contact, input.reply_all);
            m.meta.email = Some(recipients.ok_or_else(|| Error::Conflict {
                field: "contact",
                message: "this customer has no e-mail address to reply to; add one to the contact".into(),
            })?);
        }
        tx.insert_message(&m).await?;
        tx.index_document(ws, SearchKind::Message, m.id.0, Some(id), &m.text).await?;
        let mut after = before.clone();
        after.on_reply(now, &m.text);
        tx.update_conversation(&before, &after).await?;
        tx.move_counters(ws, &before.counter_keys(), &after.counter_keys()).await?;
        tx.touch_presence(ws, actor.user_id, now).await?;
        if inbox.kind == domain::ChannelKind::Widget {
            // The live event is the delivery: every connection of the customer's shows it,
            // and their read receipt marks it delivered.
            tx.set_delivery(ws, m.id, domain::DeliveryStatus::Sent, None, None).await?;
            m.delivery_status = Some(domain::DeliveryStatus::Sent);
            crate::widget::after_reply(&mut tx, &inbox, &m, now, self.config().widget_email_after_ms).await?;
        } else {
            let job = crate::jobs::delivery_job(ws, m.id, now, self.config().delivery_max_attempts);
            tx.enqueue_job(&job, now).await?;
        }
        self.commit(tx, ws, vec![message_event(&m), conversation_event(EventKind::ConversationUpdated, &after)])
            .await?;
        self.wake_workers();
        Ok(m)
    }

    /// Adds an internal note; each @mentioned teammate becomes a participant and is notified.
    pub async fn add_note(&self, actor: &Actor, id: ConversationId, text: &str) -> Result<Message> {
        validate_text(text, false)?;
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let before = self.load_conversation(&mut tx, ws, id).await?;
        let m =
            Message::from_team(&before, MessageKind::Note, Author::Agent(actor.user_id), text.trim().to_string(), now);
        tx.insert_message(&m).await?;
        tx.index_document(ws, SearchKind::Message, m.id.0, Some(id), &m.text).await?;
        let mut events = vec![message_event(&m)];
        let handles = mentions(text);
        let mut after = before.clone();
        if !handles.is_empty() {
            let members = tx.list_members(ws).await?;
            for member in members.iter().filter(|mb| mb.active && mb.user.id != actor.user_id) {
                let u = &member.user;
                if !handles.iter().any(|h| h == u.handle() || *h == u.email) {
                    continue;
                }
                let n = Notification {
                    id: NotificationId::new(),
                    workspace_id: ws,
                    user_id: u.id,
                    kind: "mention".into(),
                    conversation_id: id,
                    message_id: Some(m.id),
                    actor_id: Some(actor.user_id),
                    read_at: None,
                    created_at: now,
                };
                tx.insert_notification(&n).await?;
                events.push(notification_event(&n));
                if !after.participants.contains(&u.id) && after.assignee_id != Some(u.id) {
                    after.participants.push(u.id);
                }
            }
        }
        after.last_activity_at = now;
        tx.update_conversation(&before, &after).await?;
        tx.touch_presence(ws, actor.user_id, now).await?;
        events.push(conversation_event(EventKind::ConversationUpdated, &after));
        self.commit(tx, ws, events).await?;
        Ok(m)
    }

    /// Assigns the conversation to a member, or unassigns it; the assignee is notified.
    pub async fn assign(&self, actor: &Actor, id: ConversationId, user: Option<UserId>) -> Result<Conversation> {
        let ws = actor.workspace_id;
        let assignee_name = match user {
            Some(u) => {
                let mut tx = self.store_().read().await?;
                match tx.get_membership(ws, u).await? {
                    Some(m) if m.active => Some(m.user.name),
                    _ => {
                        return Err(Error::invalid(
                            "user_id",
                            format!("{u} is not an active member of this workspace"),
                        ));
                    }
                }
            }
            None => None,
        };
        let (conv, mut tx, mut events) = self
            .change(
                actor,
                id,
                |c| {
                    c.assignee_id = user;
                    c.participants.retain(|p| Some(*p) != user);
                    Ok(())
                },
                |_, _, me| match &assignee_name {
                    Some(name) => format!("{me} assigned this to {name}"),
                    None => format!("{me} unassigned this"),
                },
            )
            .await?;
        if let Some(u) = user.filter(|u| *u != actor.user_id && !events.is_empty()) {
            let n = Notification {
                id: NotificationId::new(),
                workspace_id: ws,
                user_id: u,
                kind: "assignment".into(),
                conversation_id: id,
                message_id: None,
                actor_id: Some(actor.user_id),
                read_at: None,
                created_at: self.now(),
            };
            tx.insert_notification(&n).await?;
            events.push(notification_event(&n));
        }
        self.finish(actor, (conv, tx, events)).await
    }

    /// Gives the conversation to a team, or to none.
    pub async fn set_team(&self, actor: &Actor, id: ConversationId, team: Option<TeamId>) -> Result<Conversation> {
        let team_name = match team {
            Some(t) => {
                let mut tx = self.store_().read().await?;
                let t = tx
                    .get_team(actor.workspace_id, t)
                    .await?
                    .ok_or_else(|| Error::invalid("team_id", "no such team"))?;
                Some(t.name)
            }
            None => None,
        };
        let r = self
            .change(
                actor,
                id,
                |c| {
                    c.team_id = team;
                    Ok(())
                },
                |_, _, me| match &team_name {
                    Some(name) => format!("{me} moved this to the team {name}"),
                    None => format!("{me} removed the team"),
                },
            )
            .await?;
        self.finish(actor, r).await
    }

    /// Resolves, reopens, marks pending or snoozes the conversation.
    pub async fn set_status(
        &self,
        actor: &Actor,
        id: ConversationId,
        status: Status,
        until: Option<Millis>,
    ) -> Result<Conversation> {
        let now = self.now();
        let r = self
            .change(
                actor,
                id,
                |c| c.set_status(status, until, now).map(|_| ()).map_err(Error::from),
                |before, after, me| match after.status {
                    Status::Resolved => format!("{me} resolved this"),
                    Status::Open if before.status == Status::Resolved => format!("{me} reopened this"),
                    Status::Open => format!("{me} reopened this"),
                    Status::Pending => format!("{me} marked this pending on the customer"),
                    Status::Snoozed => format!("{me} snoozed this"),
                },
            )
            .await?;
        self.finish(actor, r).await
    }

    /// Replaces the conversation's labels.
    pub async fn set_labels(&self, actor: &Actor, id: ConversationId, labels: Vec<String>) -> Result<Conversation> {
        let mut clean = Vec::with_capacity(labels.len());
        for l in &labels {
            clean.push(domain::conversation::normalise_label(l)?);
        }
        clean.sort();
        clean.dedup();
        if clean.len() > 20 {
            return Err(Error::invalid("labels", "at most 20 labels"));
        }
        let r = self
            .change(
                actor,
                id,
                |c| {
                    c.labels = clean;
                    Ok(())
                },
                |before, after, me| {
                    let added: Vec<&str> =
                        after.labels.iter().filter(|l| !before.labels.contains(l)).map(|s| s.as_str()).collect();
                    let removed: Vec<&str> =
                        before.labels.iter().filter(|l| !after.labels.contains(l)).map(|s| s.as_str()).collect();
                    let mut parts = Vec::new();
                    if !added.is_empty() {
                        parts.push(format!("added {}", added.join(", ")));
                    }
                    if !removed.is_empty() {
                        parts.push(format!("removed {}", removed.join(", ")));
                    }
                    format!("{me} labelled this: {}", parts.join("; "))
                },
            )
            .await?;
        self.finish(actor, r).await
    }

    /// Sets the conversation's priority.
    pub async fn set_priority(&self, actor: &Actor, id: ConversationId, priority: Priority) -> Result<Conversation> {
        let r = self
            .change(
                actor,
                id,
                |c| {
                    c.priority = priority;
                    Ok(())
                },
                |_, _, me| format!("{me} set the priority to {priority}"),
            )
            .await?;
        self.finish(actor, r).await
    }

    /// Replaces the teammates following the conversation.
    pub async fn set_participants(
        &self,
        actor: &Actor,
        id: ConversationId,
        users: Vec<UserId>,
    ) -> Result<Conversation> {
        let mut users = users;
        users.sort();
        users.dedup();
        {
            let mut tx = self.store_().read().await?;
            for (i, u) in users.iter().enumerate() {
                if tx.get_membership(actor.workspace_id, *u).await?.is_none() {
                    return Err(Error::invalid(
                        format!("user_ids[{i}]"),
                        format!("{u} is not a member of this workspace"),
                    ));
                }
            }
        }
        let r = self
            .change(
                actor,
                id,
                |c| {
                    c.participants = users;
                    Ok(())
                },
                |_, after, me| format!("{me} changed the participants ({} now)", after.participants.len()),
            )
            .await?;
        self.finish(actor, r).await
    }
}

pub(crate) fn notification_event(n: &Notification) -> NewEvent {
    NewEvent {
        kind: EventKind::NotificationCreated,
        conversation_id: Some(n.conversation_id),
        user_id: Some(n.user_id),
        data: json!({ "notification_id": n.id, "kind": n.kind, "message_id": n.message_id }),
    }
}
