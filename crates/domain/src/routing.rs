//! Routing's stored values: a workspace's routing settings, an agent's presence record and
//! the queue a waiting conversation stands in.
//!
//! The rules that use them live beside: [`crate::presence`], [`crate::capacity`],
//! [`crate::assignment`] and [`crate::queue`]. Nothing here reads a clock.

use crate::capacity::{CapacitySettings, validate_max_load};
use crate::presence::{Presence, auto_away_at, effective_presence};
use crate::{Conversation, DomainError, InboxId, Millis, TeamId, UserId};
use serde::{Deserialize, Serialize};

/// The longest auto-away or re-queue delay: a day, in minutes.
const MAX_MINUTES: u32 = 24 * 60;

/// How a workspace routes: capacity, when an idle agent turns away, and when an absent
/// agent's conversations go back to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    /// Channel weights, the idle discount and the default capacity.
    pub capacity: CapacitySettings,
    /// An online agent with no activity for this long counts as away; `None` never.
    pub auto_away_minutes: Option<u32>,
    /// An agent away or offline this long has their open conversations returned to the
    /// queue; `None` never.
    pub requeue_after_minutes: Option<u32>,
}

impl Default for RoutingSettings {
    fn default() -> Self {
        RoutingSettings {
            capacity: CapacitySettings::default(),
            auto_away_minutes: Some(15),
            requeue_after_minutes: Some(30),
        }
    }
}

impl RoutingSettings {
    /// Checks the capacity settings and the delays (1 minute to a day; re-queueing may be 0,
    /// as soon as the agent leaves).
    pub fn validate(&self) -> Result<(), DomainError> {
        self.capacity.validate().map_err(|DomainError::Invalid { field, message }| {
            DomainError::invalid(format!("capacity.{field}"), message)
        })?;
        if self.auto_away_minutes.is_some_and(|m| !(1..=MAX_MINUTES).contains(&m)) {
            return Err(DomainError::invalid("auto_away_minutes", format!("must be from 1 to {MAX_MINUTES}")));
        }
        if self.requeue_after_minutes.is_some_and(|m| m > MAX_MINUTES) {
            return Err(DomainError::invalid("requeue_after_minutes", format!("must be from 0 to {MAX_MINUTES}")));
        }
        Ok(())
    }
}

/// An agent's presence as stored: what they chose, since when, their last activity and
/// their own capacity. An agent without a record is offline and never routed to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AgentPresence {
    /// The agent.
    pub user_id: UserId,
    /// What they chose.
    pub chosen: Presence,
    /// When they chose it.
    pub since: Millis,
    /// Their last action in Chorus.
    pub last_activity_at: Millis,
    /// Their capacity, when an admin set one (else the workspace default).
    pub max_load: Option<f64>,
    /// When they were last given a conversation automatically.
    pub last_assigned_at: Option<Millis>,
}

impl AgentPresence {
    /// A record for an agent who has not chosen yet: offline, as of `now`.
    pub fn offline(user_id: UserId, now: Millis) -> Self {
        AgentPresence {
            user_id,
            chosen: Presence::Offline,
            since: now,
            last_activity_at: now,
            max_load: None,
            last_assigned_at: None,
        }
    }

    /// The presence routing uses (online turns away after inactivity).
    pub fn effective(&self, settings: &RoutingSettings, now: Millis) -> Presence {
        effective_presence(self.chosen, self.last_activity_at, now, settings.auto_away_minutes)
    }

    /// Since when the effective presence holds: the moment auto-away kicked in, or the
    /// agent's own choice.
    pub fn effective_since(&self, settings: &RoutingSettings, now: Millis) -> Millis {
        match auto_away_at(self.chosen, self.last_activity_at, settings.auto_away_minutes) {
            Some(at) if now >= at => at,
            _ => self.since,
        }
    }

    /// Their capacity: their own, or the workspace default.
    pub fn capacity(&self, settings: &RoutingSettings) -> f64 {
        self.max_load.unwrap_or(settings.capacity.default_max_load)
    }
}

/// Checks an agent's own capacity (`None` uses the workspace default).
pub fn validate_agent_max_load(max_load: Option<f64>) -> Result<(), DomainError> {
    max_load.map_or(Ok(()), validate_max_load)
}

/// The queue a waiting conversation stands in: its team's when it has one, else its inbox's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum QueueScope {
    /// A team's queue.
    Team(TeamId),
    /// An inbox's queue (conversations without a team).
    Inbox(InboxId),
}

impl QueueScope {
    /// The queue `c` waits in.
    pub fn of(c: &Conversation) -> QueueScope {
        match c.team_id {
            Some(t) => QueueScope::Team(t),
            None => QueueScope::Inbox(c.inbox_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_by_field() {
        assert!(RoutingSettings::default().validate().is_ok());
        let s = RoutingSettings { auto_away_minutes: Some(0), ..Default::default() };
        assert_eq!(s.validate().unwrap_err().to_string().split(':').next(), Some("auto_away_minutes"));
        let s = RoutingSettings { requeue_after_minutes: Some(0), ..Default::default() };
        assert!(s.validate().is_ok());
        let mut s = RoutingSettings::default();
        s.capacity.idle_factor = 2.0;
        assert_eq!(s.validate().unwrap_err().to_string().split(':').next(), Some("capacity.idle_factor"));
        let s: RoutingSettings = serde_json::from_str(r#"{"auto_away_minutes": null}"#).unwrap();
        assert_eq!((s.auto_away_minutes, s.requeue_after_minutes), (None, Some(30)));
    }

    #[test]
    fn auto_away_moves_the_since() {
        let s = RoutingSettings { auto_away_minutes: Some(10), ..Default::default() };
        let p = AgentPresence { chosen: Presence::Online, ..AgentPresence::offline(UserId(uuid::Uuid::nil()), 0) };
        assert_eq!(p.effective(&s, 599_999), Presence::Online);
        assert_eq!(p.effective_since(&s, 599_999), 0);
        assert_eq!(p.effective(&s, 600_000), Presence::Away);
        assert_eq!(p.effective_since(&s, 700_000), 600_000);
        assert_eq!(p.capacity(&s), 5.0);
        assert!(validate_agent_max_load(Some(0.0)).is_err());
        assert!(validate_agent_max_load(None).is_ok());
    }
}
