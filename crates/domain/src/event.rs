//! The event log: every change appended with a sequence number, from which live clients and
//! other nodes catch up. Payloads are small: ids and what changed, not whole records.

use crate::{ConversationId, Millis, UserId, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// What happened.
    EventKind, "event kind" {
        /// A conversation was opened.
        ConversationCreated => "conversation.created",
        /// A conversation's status, assignee, labels, priority, team or participants changed.
        ConversationUpdated => "conversation.updated",
        /// A message, note or activity line was added.
        MessageCreated => "message.created",
        /// A message's delivery status changed.
        MessageUpdated => "message.updated",
        /// A contact was created.
        ContactCreated => "contact.created",
        /// A contact's details, identities or notes changed.
        ContactUpdated => "contact.updated",
        /// A contact was merged into another.
        ContactMerged => "contact.merged",
        /// A user got a notification.
        NotificationCreated => "notification.created",
        /// An agent's presence changed (set by them, or returned to the queue while away).
        PresenceUpdated => "presence.updated",
        /// A queue changed: a conversation joined or left it; carries the new positions.
        QueueUpdated => "queue.updated",
        /// An SLA clock passed its warning share of the target.
        SlaWarning => "sla.warning",
        /// An SLA target was missed.
        SlaBreached => "sla.breached",
    }
);

/// One entry of the event log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Its position in the log: strictly increasing in commit order.
    pub seq: i64,
    /// Its workspace: only that workspace's clients see it.
    pub workspace_id: WorkspaceId,
    /// What happened.
    pub kind: EventKind,
    /// The conversation it concerns, if any.
    pub conversation_id: Option<ConversationId>,
    /// When set, only this user is told (notifications).
    pub user_id: Option<UserId>,
    /// Details: ids and changed fields.
    pub data: serde_json::Value,
    /// When it happened.
    pub created_at: Millis,
}

/// An event about to be appended (the log assigns `seq`).
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// What happened.
    pub kind: EventKind,
    /// The conversation it concerns, if any.
    pub conversation_id: Option<ConversationId>,
    /// When set, only this user is told.
    pub user_id: Option<UserId>,
    /// Details.
    pub data: serde_json::Value,
}
