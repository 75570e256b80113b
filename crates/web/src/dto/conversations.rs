//! Shapes for conversations, their messages and attachments, the changes agents make to
//! them, and the API channel's inbound messages.

use super::list_dto;
use domain::{
    AttachmentId, ContactId, ConversationId, DeliveryStatus, Direction, InboxId, MessageId, MessageKind, Millis,
    Priority, Status, TeamId, UserId,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A conversation with one contact in one inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    /// Its number for humans (#1042).
    pub number: i64,
    /// The inbox it happens in.
    #[schema(value_type = String, format = Uuid)]
    pub inbox_id: InboxId,
    /// The customer.
    #[schema(value_type = String, format = Uuid)]
    pub contact_id: ContactId,
    /// Its subject.
    pub subject: Option<String>,
    /// Where it stands.
    #[schema(schema_with = super::status_schema)]
    pub status: Status,
    /// While snoozed: when it comes back (epoch ms).
    pub snoozed_until: Option<Millis>,
    /// How urgent it is.
    #[schema(schema_with = super::priority_schema)]
    pub priority: Priority,
    /// The agent working it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee_id: Option<UserId>,
    /// Its team.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    /// Its labels.
    pub labels: Vec<String>,
    /// Teammates following it.
    #[schema(value_type = Vec<String>)]
    pub participant_ids: Vec<UserId>,
    /// Customer messages and replies so far.
    pub message_count: i64,
    /// Since when the customer has been waiting for an answer (epoch ms).
    pub waiting_since: Option<Millis>,
    /// The first agent reply (epoch ms).
    pub first_response_at: Option<Millis>,
    /// The latest resolution (epoch ms).
    pub resolved_at: Option<Millis>,
    /// How often it was reopened.
    pub reopen_count: i64,
    /// The latest activity (epoch ms); lists sort by it.
    pub last_activity_at: Millis,
    /// When it was opened (epoch ms).
    pub created_at: Millis,
    /// The SLA clock that needs attention first (breached, else the soonest due), when a
    /// target applies and it still counts or was missed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sla: Option<super::SlaClockDto>,
}

impl From<domain::Conversation> for ConversationDto {
    fn from(c: domain::Conversation) -> Self {
        ConversationDto {
            id: c.id,
            number: c.number,
            inbox_id: c.inbox_id,
            contact_id: c.contact_id,
            subject: c.subject,
            status: c.status,
            snoozed_until: c.snoozed_until,
            priority: c.priority,
            assignee_id: c.assignee_id,
            team_id: c.team_id,
            labels: c.labels,
            participant_ids: c.participants,
            message_count: c.message_count,
            waiting_since: c.waiting_since,
            first_response_at: c.first_response_at,
            resolved_at: c.resolved_at,
            reopen_count: c.reopen_count,
            last_activity_at: c.last_activity_at,
            created_at: c.created_at,
            sla: None,
        }
    }
}

list_dto!(
    /// A page of conversations.
    ConversationList of ConversationDto
);

/// Filters and paging of the conversation list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConversationListQuery {
    /// Only this status.
    #[param(schema_with = super::status_schema)]
    pub status: Option<Status>,
    /// `me`, `none` (unassigned), `anyone` (the default) or a user id.
    pub assignee: Option<String>,
    /// Only this team's.
    #[param(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    /// Only this inbox's.
    #[param(value_type = Option<String>, format = Uuid)]
    pub inbox_id: Option<InboxId>,
    /// Only with this label.
    pub label: Option<String>,
    /// Only this priority.
    #[param(schema_with = super::priority_schema)]
    pub priority: Option<Priority>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
}

/// Paging of a list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
}

/// Who wrote a message.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorDto {
    /// `agent`, `contact` or `system`.
    #[serde(rename = "type")]
    #[schema(example = "agent")]
    pub kind: &'static str,
    /// The agent's user id or the contact's id; absent for `system`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Uuid)]
    pub id: Option<uuid::Uuid>,
}

impl From<domain::Author> for AuthorDto {
    fn from(a: domain::Author) -> Self {
        match a {
            domain::Author::Agent(u) => AuthorDto { kind: "agent", id: Some(u.0) },
            domain::Author::Contact(c) => AuthorDto { kind: "contact", id: Some(c.0) },
            domain::Author::System => AuthorDto { kind: "system", id: None },
        }
    }
}

/// A stored file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: AttachmentId,
    /// The message it belongs to, once sent.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub message_id: Option<MessageId>,
    /// Its file name.
    pub filename: String,
    /// Its MIME type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content, hex.
    pub sha256: String,
    /// When it was stored (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Attachment> for AttachmentDto {
    fn from(a: domain::Attachment) -> Self {
        AttachmentDto {
            id: a.id,
            message_id: a.message_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            created_at: a.created_at,
        }
    }
}

/// A message, note or activity line.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: MessageId,
    /// Its conversation.
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// The inbox it came in or goes out on.
    #[schema(value_type = String, format = Uuid)]
    pub inbox_id: InboxId,
    /// Which way it travels.
    #[schema(schema_with = super::direction_schema)]
    pub direction: Direction,
    /// What it is.
    #[schema(schema_with = super::message_kind_schema)]
    pub kind: MessageKind,
    /// Who wrote it.
    pub author: AuthorDto,
    /// Its plain text.
    pub text: String,
    /// Its sanitised HTML.
    pub html: Option<String>,
    /// Its attachments.
    pub attachments: Vec<AttachmentDto>,
    /// The channel provider's id for it.
    pub provider_message_id: Option<String>,
    /// Where delivery stands, for outbound messages.
    #[schema(schema_with = super::delivery_status_schema_nullable)]
    pub delivery_status: Option<DeliveryStatus>,
    /// Why delivery failed.
    pub delivery_error: Option<String>,
    /// When it was written (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Message> for MessageDto {
    fn from(m: domain::Message) -> Self {
        MessageDto {
            id: m.id,
            conversation_id: m.conversation_id,
            inbox_id: m.inbox_id,
            direction: m.direction,
            kind: m.kind,
            author: m.author.into(),
            text: m.text,
            html: m.html,
            attachments: m.attachments.into_iter().map(AttachmentDto::from).collect(),
            provider_message_id: m.provider_message_id,
            delivery_status: m.delivery_status,
            delivery_error: m.delivery_error,
            created_at: m.created_at,
        }
    }
}

list_dto!(
    /// A page of messages, oldest first.
    MessageList of MessageDto
);

/// Reply to the customer on the conversation's channel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// The reply's text.
    pub text: String,
    /// Its HTML, for channels that show it (sanitised on the way in).
    #[serde(default)]
    pub html: Option<String>,
    /// Files uploaded with `POST /api/v1/attachments`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub attachment_ids: Vec<AttachmentId>,
    /// E-mail: also send it to everyone else on the customer's latest mail (To and Cc).
    #[serde(default)]
    pub reply_all: bool,
}

/// Write an internal note; `@handle` mentions notify teammates.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// The note's text.
    pub text: String,
}

/// Assign the conversation to an agent, or unassign it with `null`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The agent's user id, or null.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub user_id: Option<UserId>,
}

/// Give the conversation to a team, or to none with `null`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTeamRequest {
    /// The team's id, or null.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
}

/// Change the conversation's status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatusRequest {
    /// The new status.
    #[schema(schema_with = super::status_schema)]
    pub status: Status,
    /// With `snoozed`: when it comes back (epoch ms, in the future).
    #[serde(default)]
    pub snoozed_until: Option<Millis>,
}

/// Replace the conversation's labels.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLabelsRequest {
    /// The labels: letters, digits, `-` and `_`.
    pub labels: Vec<String>,
}

/// Change the conversation's priority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPriorityRequest {
    /// The new priority.
    #[schema(schema_with = super::priority_schema)]
    pub priority: Priority,
}

/// Replace the teammates following the conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetParticipantsRequest {
    /// Their user ids.
    #[schema(value_type = Vec<String>)]
    pub user_ids: Vec<UserId>,
}

/// A customer message posted to an API inbox by an integration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    /// The integration's id for the message: posting the same id again is harmless.
    pub provider_message_id: String,
    /// Who wrote it.
    pub from: super::IdentityDto,
    /// Their name, if known.
    #[serde(default)]
    pub name: Option<String>,
    /// The subject, if the channel has one.
    #[serde(default)]
    pub subject: Option<String>,
    /// The text.
    pub text: String,
    /// Its HTML (sanitised on the way in).
    #[serde(default)]
    pub html: Option<String>,
    /// Files uploaded with `POST /api/v1/attachments`.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub attachment_ids: Vec<AttachmentId>,
}

/// What became of an inbound message.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundResponse {
    /// True when this provider message id had been received before: nothing new was stored.
    pub duplicate: bool,
    /// The stored message.
    pub message: MessageDto,
    /// Its conversation.
    pub conversation: ConversationDto,
}

impl From<app::InboundOutcome> for InboundResponse {
    fn from(o: app::InboundOutcome) -> Self {
        InboundResponse { duplicate: o.duplicate, message: o.message.into(), conversation: o.conversation.into() }
    }
}
