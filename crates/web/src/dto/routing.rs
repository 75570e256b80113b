//! Shapes for routing: presence and capacity, routing settings, assignment policies, the
//! queue and a conversation's place in it.

use super::list_dto;
use domain::{
    AssignmentPolicy, CapacitySettings, ConversationId, InboxId, Millis, Presence, Priority, QueueScope, TeamId,
    UserId, WaitRange,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Set your presence.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// `online` (taking conversations), `away` or `offline`.
    #[schema(schema_with = super::presence_schema)]
    pub presence: Presence,
}

/// A member's presence and load.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentStatusDto {
    /// The member.
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// The presence routing uses: an online agent idle longer than the workspace's
    /// `auto_away_minutes` is `away`.
    #[schema(schema_with = super::presence_schema)]
    pub presence: Presence,
    /// What they chose.
    #[schema(schema_with = super::presence_schema)]
    pub chosen: Presence,
    /// Since when `presence` holds (epoch ms).
    pub since: Millis,
    /// Their last action (epoch ms); null when they never set a presence.
    pub last_activity_at: Option<Millis>,
    /// The weights of their open and pending conversations.
    pub load: f64,
    /// Their capacity.
    pub max_load: f64,
    /// Their own capacity, when an admin set one (else the workspace default applies).
    pub own_max_load: Option<f64>,
    /// Their open and pending conversations.
    pub open_conversations: usize,
}

impl From<app::AgentStatus> for AgentStatusDto {
    fn from(a: app::AgentStatus) -> Self {
        AgentStatusDto {
            user_id: a.user_id,
            name: a.name,
            presence: a.presence,
            chosen: a.chosen,
            since: a.since,
            last_activity_at: a.last_activity_at,
            load: a.load,
            max_load: a.max_load,
            own_max_load: a.own_max_load,
            open_conversations: a.open_conversations,
        }
    }
}

list_dto!(
    /// Every active member with presence and load.
    AgentStatusList of AgentStatusDto
);

/// Set a member's capacity.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityRequest {
    /// Above 0, at most 100; null (or absent) for the workspace's `default_max_load`.
    #[serde(default)]
    pub max_load: Option<f64>,
}

/// A workspace's routing settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingSettingsDto {
    /// `weights` per channel (`api`, `email`, `widget`, `sms`, `whatsapp`, `telegram`,
    /// `messenger`, `voice`; 0 to 10), `idle_after_minutes` (0 turns the idle discount off),
    /// `idle_factor` (0 to 1) and `default_max_load`; missing keys take their defaults.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub capacity: CapacitySettings,
    /// An online agent idle this long counts as away; null never.
    #[serde(default)]
    pub auto_away_minutes: Option<u32>,
    /// An agent away or offline this long has their open conversations returned to the
    /// queue; null never.
    #[serde(default)]
    pub requeue_after_minutes: Option<u32>,
}

impl From<domain::RoutingSettings> for RoutingSettingsDto {
    fn from(s: domain::RoutingSettings) -> Self {
        RoutingSettingsDto {
            capacity: s.capacity,
            auto_away_minutes: s.auto_away_minutes,
            requeue_after_minutes: s.requeue_after_minutes,
        }
    }
}

impl From<RoutingSettingsDto> for domain::RoutingSettings {
    fn from(s: RoutingSettingsDto) -> Self {
        domain::RoutingSettings {
            capacity: s.capacity,
            auto_away_minutes: s.auto_away_minutes,
            requeue_after_minutes: s.requeue_after_minutes,
        }
    }
}

/// A queue: an inbox's or a team's.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueRef {
    /// `inbox` or `team`.
    pub scope: &'static str,
    /// The inbox's or team's id.
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
}

impl From<QueueScope> for QueueRef {
    fn from(s: QueueScope) -> Self {
        match s {
            QueueScope::Inbox(i) => QueueRef { scope: "inbox", id: i.0 },
            QueueScope::Team(t) => QueueRef { scope: "team", id: t.0 },
        }
    }
}

/// How an inbox or team hands out conversations.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    /// The queue.
    pub queue: QueueRef,
    /// Its name.
    pub name: String,
    /// `manual`, `round_robin` or `balanced`.
    #[schema(schema_with = super::assignment_policy_schema)]
    pub policy: AssignmentPolicy,
}

impl From<app::QueuePolicy> for PolicyDto {
    fn from(p: app::QueuePolicy) -> Self {
        PolicyDto { queue: p.scope.into(), name: p.name, policy: p.policy }
    }
}

list_dto!(
    /// Every inbox and team with its assignment policy.
    PolicyList of PolicyDto
);

/// Set a queue's assignment policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRequest {
    /// `manual` (agents pick), `round_robin` (online agents with room take turns) or
    /// `balanced` (the online agent with the most room relative to capacity).
    #[schema(schema_with = super::assignment_policy_schema)]
    pub policy: AssignmentPolicy,
}

/// Which queue to show.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Only this team's queue.
    #[param(value_type = Option<String>, format = Uuid)]
    pub team_id: Option<TeamId>,
    /// Only this inbox's queue (its conversations without a team).
    #[param(value_type = Option<String>, format = Uuid)]
    pub inbox_id: Option<InboxId>,
    /// How many waiting conversations to list, 1 to 100 (default 25).
    pub limit: Option<u32>,
}

/// A waiting conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntryDto {
    /// The conversation.
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// Its number.
    pub number: i64,
    /// Its queue.
    pub queue: QueueRef,
    /// Its 1-based place in its queue.
    pub position: usize,
    /// Its priority.
    #[schema(schema_with = super::priority_schema)]
    pub priority: Priority,
    /// Since when the customer waits (epoch ms).
    pub waiting_since: Millis,
}

/// One queue's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueSummaryDto {
    /// The queue.
    pub queue: QueueRef,
    /// Its name.
    pub name: String,
    /// Conversations waiting.
    pub waiting: usize,
    /// Since when the longest-waiting customer waits (epoch ms).
    pub longest_waiting_since: Option<Millis>,
    /// Agents online who may take its conversations.
    pub agents_online: usize,
}

/// The queue: waiting conversations in order, each queue's figures, the team's presence.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDto {
    /// Waiting conversations, highest priority and longest wait first.
    pub items: Vec<QueueEntryDto>,
    /// Queues with someone waiting (or the one asked for).
    pub queues: Vec<QueueSummaryDto>,
    /// Every active member with presence and load.
    pub agents: Vec<AgentStatusDto>,
    /// Recent handle times (assignment to resolution) wait estimates rest on.
    pub samples: usize,
}

impl From<app::QueueView> for QueueDto {
    fn from(v: app::QueueView) -> Self {
        QueueDto {
            items: v
                .entries
                .into_iter()
                .map(|e| QueueEntryDto {
                    conversation_id: e.conversation_id,
                    number: e.number,
                    queue: e.scope.into(),
                    position: e.position,
                    priority: e.priority,
                    waiting_since: e.waiting_since,
                })
                .collect(),
            queues: v
                .queues
                .into_iter()
                .map(|q| QueueSummaryDto {
                    queue: q.scope.into(),
                    name: q.name,
                    waiting: q.waiting,
                    longest_waiting_since: q.longest_waiting_since,
                    agents_online: q.agents_online,
                })
                .collect(),
            agents: v.agents.into_iter().map(Into::into).collect(),
            samples: v.samples,
        }
    }
}

/// An estimated wait.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitEstimateDto {
    /// The optimistic end, in ms (whole minutes).
    pub low_ms: Millis,
    /// The pessimistic end, in ms (whole minutes).
    pub high_ms: Millis,
    /// In words: "about 5–10 minutes".
    pub text: String,
}

impl From<WaitRange> for WaitEstimateDto {
    fn from(w: WaitRange) -> Self {
        WaitEstimateDto { low_ms: w.low, high_ms: w.high, text: w.to_string() }
    }
}

/// A conversation's place in its queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuePlaceDto {
    /// The conversation.
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// The queue it waits (or would wait) in.
    pub queue: QueueRef,
    /// Whether it waits (open, nobody assigned).
    pub waiting: bool,
    /// Its 1-based place, while waiting.
    pub position: Option<usize>,
    /// Conversations ahead of it, while waiting.
    pub ahead: Option<usize>,
    /// Since when the customer waits (epoch ms), while waiting.
    pub waiting_since: Option<Millis>,
    /// The estimated wait: from recent handle times (assignment to resolution) and the
    /// agents online; null below ten recent samples or with nobody online.
    pub estimate: Option<WaitEstimateDto>,
    /// Recent handle times the estimate rests on.
    pub samples: usize,
    /// Agents online who may take it.
    pub agents_online: usize,
}

impl From<app::QueuePlace> for QueuePlaceDto {
    fn from(p: app::QueuePlace) -> Self {
        QueuePlaceDto {
            conversation_id: p.conversation_id,
            queue: p.scope.into(),
            waiting: p.waiting,
            position: p.position,
            ahead: p.position.map(|n| n.saturating_sub(1)),
            waiting_since: p.waiting_since,
            estimate: p.estimate.map(Into::into),
            samples: p.samples,
            agents_online: p.agents_online,
        }
    }
}

/// A contact still using a retiring inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct StragglerDto {
    /// The contact.
    #[schema(value_type = String, format = Uuid)]
    pub contact_id: domain::ContactId,
    /// Their name (or first identity).
    pub name: String,
    /// When they were sent the notice (epoch ms); null when not (yet, or machine-sent).
    pub noticed_at: Option<Millis>,
    /// When they last wrote to the retiring inbox (epoch ms).
    pub last_written_at: Millis,
}

impl From<app::Straggler> for StragglerDto {
    fn from(s: app::Straggler) -> Self {
        StragglerDto {
            contact_id: s.contact_id,
            name: s.name,
            noticed_at: s.noticed_at,
            last_written_at: s.last_written_at,
        }
    }
}

list_dto!(
    /// The contacts still using a retiring inbox, most recent first.
    StragglerList of StragglerDto
);
