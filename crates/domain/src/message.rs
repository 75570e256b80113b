//! Messages: customer messages, agent replies, internal notes and activity lines, with their
//! attachments and delivery status; and the @mention syntax of notes.

use crate::{
    AttachmentId, ContactId, ConversationId, DomainError, InboxId, MessageId, Millis, UserId, WorkspaceId, text_enum,
};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Which way a message travels.
    Direction, "direction" {
        /// From the customer.
        Inbound => "inbound",
        /// From the team (replies, notes, activity).
        Outbound => "outbound",
    }
);

text_enum!(
    /// What a message is.
    MessageKind, "kind" {
        /// Seen by the customer.
        Message => "message",
        /// Internal: only the team sees it.
        Note => "note",
        /// A line recording a change (assigned, resolved, labelled, merged).
        Activity => "activity",
    }
);

text_enum!(
    /// Where an outbound message is on its way to the customer.
    DeliveryStatus, "delivery_status" {
        /// Waiting for the delivery worker (also while retrying).
        Queued => "queued",
        /// Handed to the channel.
        Sent => "sent",
        /// The channel confirmed delivery.
        Delivered => "delivered",
        /// Gave up; the error says why.
        Failed => "failed",
    }
);

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Author {
    /// A teammate.
    Agent(UserId),
    /// The customer.
    Contact(ContactId),
    /// Chorus itself (activity lines, automatic replies).
    System,
}

/// A stored file attached to a message.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// The message it belongs to, once sent.
    pub message_id: Option<MessageId>,
    /// The file name shown to people.
    pub filename: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, hex: where the content is stored.
    pub sha256: String,
    /// When it was stored.
    pub created_at: Millis,
}

/// A message, note or activity line in a conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Its id.
    pub id: MessageId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// The inbox it came in or goes out on.
    pub inbox_id: InboxId,
    /// Which way it travels.
    pub direction: Direction,
    /// What it is.
    pub kind: MessageKind,
    /// Who wrote it.
    pub author: Author,
    /// Its plain text.
    pub text: String,
    /// Its sanitised HTML, when the channel has HTML.
    pub html: Option<String>,
    /// Its attachments.
    pub attachments: Vec<Attachment>,
    /// The channel provider's id for it: the same id twice in one inbox is one message.
    pub provider_message_id: Option<String>,
    /// For outbound customer-visible messages: where delivery stands.
    pub delivery_status: Option<DeliveryStatus>,
    /// Why delivery failed (or last failed, while retrying).
    pub delivery_error: Option<String>,
    /// What the channel recorded beside it (e-mail headers, machine-sent flags, problems).
    #[serde(default)]
    pub meta: MessageMeta,
    /// When it was written.
    pub created_at: Millis,
}

/// What a channel recorded about a message beyond its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageMeta {
    /// E-mail: the headers that thread it and the recipients (for replies: whom to send to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<crate::email::EmailHeaders>,
    /// Sent by a machine: recorded, never answered automatically.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated: Option<crate::email::Automated>,
    /// What could not be read from the original, in words for an admin.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Written by the widget's waiting-room assistant.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub assistant: bool,
    /// The widget's own id for a customer's message (resending it never duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl MessageMeta {
    /// Whether there is nothing to keep.
    pub fn is_empty(&self) -> bool {
        self.email.is_none()
            && self.automated.is_none()
            && self.problems.is_empty()
            && !self.assistant
            && self.client_id.is_none()
    }
}

impl Message {
    /// A reply, note or activity line by the team in `conversation`. A reply starts out
    /// queued for delivery; notes and activity lines are never delivered.
    pub fn from_team(
        conversation: &crate::Conversation,
        kind: MessageKind,
        author: Author,
        text: String,
        now: Millis,
    ) -> Message {
        Message {
            id: MessageId::new(),
            workspace_id: conversation.workspace_id,
            conversation_id: conversation.id,
            inbox_id: conversation.inbox_id,
            direction: Direction::Outbound,
            kind,
            author,
            text,
            html: None,
            attachments: vec![],
            provider_message_id: None,
            delivery_status: (kind == MessageKind::Message).then_some(DeliveryStatus::Queued),
            delivery_error: None,
            meta: MessageMeta::default(),
            created_at: now,
        }
    }
}

/// The longest message text accepted, in bytes.
pub const MAX_TEXT: usize = 64 * 1024;

/// Checks message text: not empty unless there are attachments, and at most [`MAX_TEXT`].
pub fn validate_text(text: &str, has_attachments: bool) -> Result<(), DomainError> {
    if text.trim().is_empty() && !has_attachments {
        return Err(DomainError::invalid("text", "must not be empty"));
    }
    if text.len() > MAX_TEXT {
        return Err(DomainError::invalid("text", format!("must be at most {MAX_TEXT} bytes")));
    }
    Ok(())
}

/// The handles @mentioned in a note, lower-cased, each once, in order. A mention is `@`
/// at the start or after whitespace or `(`, followed by letters, digits, `.`, `_` or `-`;
/// a trailing dot ends a sentence, not the handle.
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        if c == '@' && (prev.is_whitespace() || prev == '(') {
            let rest = &text[i + 1..];
            let end =
                rest.find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_' || c == '-')).unwrap_or(rest.len());
            let handle = rest[..end].trim_end_matches('.').to_lowercase();
            if !handle.is_empty() && !out.contains(&handle) {
                out.push(handle);
            }
        }
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_found_once_and_not_in_emails() {
        assert_eq!(mentions("@Ana can you look? cc @bob.smith. thanks @ana"), vec!["ana", "bob.smith"]);
        assert!(mentions("write to ana@example.com").is_empty());
        assert_eq!(mentions("(@kai)"), vec!["kai"]);
        assert!(mentions("@ alone").is_empty());
    }

    #[test]
    fn text_rules() {
        assert!(validate_text("  ", false).is_err());
        assert!(validate_text("", true).is_ok());
        assert!(validate_text(&"x".repeat(MAX_TEXT + 1), false).is_err());
    }
}
