//! Shapes for SLAs: policies (targets, business hours, warning share) and a conversation's
//! clocks with their time left.

use super::list_dto;
use domain::sla::BusinessHoursSpec;
use domain::{Millis, SlaKind, SlaPolicy, SlaPolicyId, SlaState, SlaTargetRule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An SLA policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaPolicyDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: SlaPolicyId,
    /// Its name.
    pub name: String,
    /// Whether it is the one that applies to conversations.
    pub default: bool,
    /// Targets in business minutes: `[{"channel", "priority"?, "first_response_minutes"?,
    /// "next_response_minutes"?, "resolution_minutes"?}]`; a rule without a priority covers
    /// the channel's other priorities.
    #[schema(value_type = Vec<Object>)]
    pub targets: Vec<SlaTargetRule>,
    /// The hours the clocks count in: `{"kind": "always"}` or `{"kind": "weekly",
    /// "time_zone": "Europe/Tallinn", "week": {"mon": ["09:00-17:00"], …}, "holidays":
    /// ["2026-12-24"]}`.
    #[schema(value_type = Object)]
    pub calendar: BusinessHoursSpec,
    /// The share of a target after which the clock warns (0 to 1).
    pub warn_at: f64,
}

impl From<(SlaPolicy, bool)> for SlaPolicyDto {
    fn from((p, default): (SlaPolicy, bool)) -> Self {
        SlaPolicyDto {
            id: p.id,
            calendar: p.calendar.spec(),
            name: p.name,
            default,
            targets: p.targets,
            warn_at: p.warn_at,
        }
    }
}

list_dto!(
    /// The workspace's SLA policies.
    SlaPolicyList of SlaPolicyDto
);

/// A new SLA policy; absent parts take the defaults (the built-in targets, around the
/// clock, a warning at 75 %).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSlaPolicyRequest {
    /// Its name.
    pub name: String,
    /// Its targets.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub targets: Option<Vec<SlaTargetRule>>,
    /// Its business hours.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub calendar: Option<BusinessHoursSpec>,
    /// The warning share (0 to 1).
    #[serde(default)]
    pub warn_at: Option<f64>,
    /// Make it the policy that applies.
    #[serde(default)]
    pub default: bool,
}

/// Changes to an SLA policy; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSlaPolicyRequest {
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// New targets.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub targets: Option<Vec<SlaTargetRule>>,
    /// New business hours.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub calendar: Option<BusinessHoursSpec>,
    /// A new warning share.
    #[serde(default)]
    pub warn_at: Option<f64>,
    /// True to make it the policy that applies.
    #[serde(default)]
    pub default: bool,
}

/// One SLA clock of a conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaClockDto {
    /// `first_response`, `next_response` or `resolution`.
    #[schema(value_type = String)]
    pub kind: SlaKind,
    /// `running`, `warning`, `paused` (pending on the customer), `met` or `breached`.
    #[schema(value_type = String)]
    pub state: SlaState,
    /// The target, in business ms.
    pub target_ms: i64,
    /// Business time counted so far, in ms.
    pub elapsed_ms: i64,
    /// Business time left, in ms; negative once breached.
    pub time_left_ms: i64,
    /// When the target falls (epoch ms); null while paused or once met.
    pub due_at: Option<Millis>,
}

impl From<app::SlaClockView> for SlaClockDto {
    fn from(v: app::SlaClockView) -> Self {
        SlaClockDto {
            kind: v.kind,
            state: v.clock.state,
            target_ms: v.clock.target,
            elapsed_ms: v.clock.elapsed_business,
            time_left_ms: v.clock.time_left,
            due_at: v.clock.due_at.filter(|_| !matches!(v.clock.state, SlaState::Met | SlaState::Paused)),
        }
    }
}

/// A conversation's SLA.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationSlaDto {
    /// The policy that applies.
    #[schema(value_type = String, format = Uuid)]
    pub policy_id: SlaPolicyId,
    /// Its name.
    pub policy_name: String,
    /// The clocks it has targets for.
    pub clocks: Vec<SlaClockDto>,
}

impl From<app::ConversationSla> for ConversationSlaDto {
    fn from(s: app::ConversationSla) -> Self {
        ConversationSlaDto {
            policy_id: s.policy_id,
            policy_name: s.policy_name,
            clocks: s.clocks.into_iter().map(Into::into).collect(),
        }
    }
}

/// The clock of a conversation that needs attention first (breached, else the soonest due).
pub fn urgent_clock(s: &app::ConversationSla) -> Option<SlaClockDto> {
    s.most_urgent().map(|v| SlaClockDto::from(*v))
}
