//! Shapes for automation rules.

use super::list_dto;
use domain::{Action, Condition, Rule, RuleId, Trigger};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An automation rule: when `trigger`, if all `conditions`, do `actions` in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDto {
    /// Its id.
    #[schema(value_type = String, format = Uuid)]
    pub id: RuleId,
    /// Its name.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Rules run in ascending position.
    pub position: i32,
    /// `conversation_created`, `message_received`, `status_changed`, `assignment_changed`,
    /// `sla_warning` or `sla_breached`.
    #[schema(value_type = String)]
    pub trigger: Trigger,
    /// Each `{"type": …}`: `inbox_is` {inbox_id}, `channel_is` {kind}, `text_contains`
    /// {text}, `text_matches` {pattern}, `contact_attribute` {key, equals}, `has_label`
    /// {label}, `priority_is` {priority}, `business_hours` {inside}, `waiting_longer_than`
    /// {minutes}.
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    /// Each `{"type": …}`: `assign_agent` {user_id}, `assign_team` {team_id}, `set_priority`
    /// {priority}, `add_label` / `remove_label` {label}, `send_canned_reply` {text},
    /// `add_note` {text}, `snooze` {minutes}, `resolve`, `call_webhook` {url}.
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
}

impl From<Rule> for RuleDto {
    fn from(r: Rule) -> Self {
        RuleDto {
            id: r.id,
            name: r.name,
            enabled: r.enabled,
            position: r.position,
            trigger: r.trigger,
            conditions: r.conditions,
            actions: r.actions,
        }
    }
}

list_dto!(
    /// The workspace's rules, in run order.
    RuleList of RuleDto
);

/// A rule as written (creating, or replacing one).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    /// Its name.
    pub name: String,
    /// Whether it runs (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Where it runs among the others; a new rule without one goes last, a changed one stays.
    #[serde(default)]
    pub position: Option<i32>,
    /// The event it listens for.
    #[schema(value_type = String)]
    pub trigger: Trigger,
    /// All must hold (none: always).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub conditions: Vec<Condition>,
    /// What it does, in order (1 to 20).
    #[schema(value_type = Vec<Object>)]
    pub actions: Vec<Action>,
}

fn yes() -> bool {
    true
}

impl From<RuleRequest> for app::RuleInput {
    fn from(r: RuleRequest) -> Self {
        app::RuleInput {
            name: r.name,
            enabled: r.enabled,
            position: r.position,
            trigger: r.trigger,
            conditions: r.conditions,
            actions: r.actions,
        }
    }
}
