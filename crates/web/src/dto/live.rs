//! Shapes for live events, notifications and search results.

use super::list_dto;
use domain::{ConversationId, MessageId, Millis, NotificationId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One entry of the event log, as sent in the `data` of a server-sent event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDto {
    /// Its position in the log; also the SSE event id to resume from.
    pub seq: i64,
    /// What happened (`message.created`, `conversation.updated`, …); also the SSE event name.
    #[schema(schema_with = super::event_kind_schema)]
    pub kind: &'static str,
    /// The conversation it concerns.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
    /// Details: ids and what changed.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// When it happened (epoch ms).
    pub created_at: Millis,
}

/// A teammate viewing or typing in a conversation (`event: presence`, never stored).
#[derive(Debug, Serialize, ToSchema)]
pub struct PresenceDto {
    /// The conversation.
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// Who.
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// `viewing` or `typing`.
    pub activity: String,
}

impl From<&domain::Event> for EventDto {
    fn from(e: &domain::Event) -> Self {
        EventDto {
            seq: e.seq,
            kind: e.kind.as_str(),
            conversation_id: e.conversation_id,
            data: e.data.clone(),
            created_at: e.created_at,
        }
    }
}

/// Where to resume the event stream, for clients that cannot send `Last-Event-ID`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Send only events after this sequence number.
    pub after: Option<i64>,
}

/// Something to look at: a mention or an assignment.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: NotificationId,
    /// `mention` or `assignment`.
    pub kind: String,
    /// The conversation it points at.
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// The message it points at.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub message_id: Option<MessageId>,
    /// Who caused it.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub actor_id: Option<UserId>,
    /// When you read it (epoch ms).
    pub read_at: Option<Millis>,
    /// When it was created (epoch ms).
    pub created_at: Millis,
}

impl From<domain::Notification> for NotificationDto {
    fn from(n: domain::Notification) -> Self {
        NotificationDto {
            id: n.id,
            kind: n.kind,
            conversation_id: n.conversation_id,
            message_id: n.message_id,
            actor_id: n.actor_id,
            read_at: n.read_at,
            created_at: n.created_at,
        }
    }
}

/// A page of your notifications and how many are unread.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    /// This page's items, newest first.
    pub items: Vec<NotificationDto>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many of your notifications are unread.
    pub unread_count: i64,
}

/// Which notifications to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Only unread ones.
    pub unread: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 25).
    pub limit: Option<u32>,
}

/// A search.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in messages, subjects and contacts.
    pub q: String,
    /// How many results, 1 to 100 (default 25).
    pub limit: Option<u32>,
}

/// One search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultDto {
    /// What was found: `message`, `conversation` or `contact`.
    #[schema(example = "message")]
    pub kind: String,
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// The conversation to open for it, if any.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
    /// HTML-escaped text around the hit, with `<mark>` around matching words.
    pub snippet: String,
}

impl From<app::SearchResult> for SearchResultDto {
    fn from(r: app::SearchResult) -> Self {
        let kind = match serde_json::to_value(r.kind) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::from("unknown"),
        };
        SearchResultDto { kind, id: r.id, conversation_id: r.conversation_id, snippet: r.snippet }
    }
}

list_dto!(
    /// Search hits, best first.
    SearchResults of SearchResultDto
);
