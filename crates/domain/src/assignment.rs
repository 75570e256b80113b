//! Automatic assignment: which agent gets a waiting conversation, and when an absent agent's
//! conversations go back to the queue.
//!
//! Only online agents with room for the conversation's weight are eligible. `choose_agent` is
//! a single pass over the candidates with no allocation: it runs for every conversation that
//! enters the queue and for every agent who frees up, with hundreds of agents online. The app
//! loads the candidates (presence, load, capacity) and records the choice and its reason.

use crate::capacity::has_room;
use crate::presence::Presence;
use crate::{Millis, UserId, text_enum};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

text_enum!(
    /// How an inbox or team hands out conversations.
    AssignmentPolicy, "assignment policy" {
        /// Nobody is assigned automatically; agents pick from the queue.
        Manual => "manual",
        /// Agents take turns in a fixed order.
        RoundRobin => "round_robin",
        /// The agent with the most room relative to their capacity.
        Balanced => "balanced",
    }
);

/// An agent who might be assigned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgentSlot {
    /// The agent.
    pub user_id: UserId,
    /// Their effective presence (after auto-away).
    pub presence: Presence,
    /// Their current load (see [`crate::capacity::load_of`]).
    pub load: f64,
    /// Their capacity.
    pub max_load: f64,
    /// When they were last given a conversation automatically.
    pub last_assigned_at: Option<Millis>,
}

impl AgentSlot {
    fn eligible(&self, weight_of_new: f64) -> bool {
        self.presence == Presence::Online && has_room(self.load, self.max_load, weight_of_new)
    }
}

/// Why an agent was chosen, fit for the conversation's activity line.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum AssignmentReason {
    /// It was their turn.
    RoundRobin {
        /// Their load before this conversation.
        load: f64,
        /// Their capacity.
        max_load: f64,
    },
    /// They had the most room.
    Balanced {
        /// Their load before this conversation.
        load: f64,
        /// Their capacity.
        max_load: f64,
    },
}

impl fmt::Display for AssignmentReason {
    /// "balanced: load 1.2 of 5", "round robin: next in turn (load 3 of 5)".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AssignmentReason::Balanced { load, max_load } => {
                write!(f, "balanced: load {} of {}", Short(load), Short(max_load))
            }
            AssignmentReason::RoundRobin { load, max_load } => {
                write!(f, "round robin: next in turn (load {} of {})", Short(load), Short(max_load))
            }
        }
    }
}

/// A number with at most one decimal and no trailing ".0".
struct Short(f64);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tenths = (self.0 * 10.0).round() / 10.0;
        if tenths.fract() == 0.0 { write!(f, "{tenths:.0}") } else { write!(f, "{tenths:.1}") }
    }
}

/// The agent to assign and why.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    /// The agent.
    pub user_id: UserId,
    /// Why them.
    pub reason: AssignmentReason,
}

/// Picks the agent for a conversation weighing `weight_of_new`, or `None` when the policy is
/// manual or nobody online has room (the conversation then waits in the queue).
///
/// - Round robin: agents in user-id order; the first eligible one after
///   `round_robin_cursor` (the last agent given one), wrapping around to the start.
/// - Balanced: the lowest `load / max_load`; ties go to whoever was assigned longest ago
///   (never counts as longest), then to the lower user id, so the result never depends on
///   the candidates' order.
pub fn choose_agent(
    policy: AssignmentPolicy,
    candidates: &[AgentSlot],
    weight_of_new: f64,
    round_robin_cursor: Option<UserId>,
) -> Option<Choice> {
    let eligible = candidates.iter().filter(|a| a.eligible(weight_of_new));
    match policy {
        AssignmentPolicy::Manual => None,
        AssignmentPolicy::RoundRobin => {
            // The smallest id after the cursor, else the smallest id overall (wrap-around).
            let mut after: Option<&AgentSlot> = None;
            let mut first: Option<&AgentSlot> = None;
            for a in eligible {
                if first.is_none_or(|f| a.user_id < f.user_id) {
                    first = Some(a);
                }
                if round_robin_cursor.is_some_and(|c| a.user_id > c) && after.is_none_or(|b| a.user_id < b.user_id) {
                    after = Some(a);
                }
            }
            after.or(first).map(|a| Choice {
                user_id: a.user_id,
                reason: AssignmentReason::RoundRobin { load: a.load, max_load: a.max_load },
            })
        }
        AssignmentPolicy::Balanced => eligible.min_by(|a, b| balanced_order(a, b)).map(|a| Choice {
            user_id: a.user_id,
            reason: AssignmentReason::Balanced { load: a.load, max_load: a.max_load },
        }),
    }
}

fn balanced_order(a: &AgentSlot, b: &AgentSlot) -> Ordering {
    // Eligible agents have max_load > 0 (there is room), so the ratio is finite.
    (a.load / a.max_load)
        .total_cmp(&(b.load / b.max_load))
        .then_with(|| a.last_assigned_at.cmp(&b.last_assigned_at))
        .then_with(|| a.user_id.cmp(&b.user_id))
}

const MINUTE: i64 = 60_000;

/// Whether an agent's open conversations go back to the queue: they have been away or
/// offline since `presence_since` for `requeue_after_minutes` or more. Zero re-queues as
/// soon as they leave.
pub fn should_requeue(presence: Presence, presence_since: Millis, now: Millis, requeue_after_minutes: u32) -> bool {
    requeue_at(presence, presence_since, requeue_after_minutes).is_some_and(|at| now >= at)
}

/// When an absent agent's conversations go back to the queue, for a scheduler's timer;
/// `None` while they are online.
pub fn requeue_at(presence: Presence, presence_since: Millis, requeue_after_minutes: u32) -> Option<Millis> {
    match presence {
        Presence::Online => None,
        Presence::Away | Presence::Offline => {
            Some(presence_since.saturating_add(i64::from(requeue_after_minutes) * MINUTE))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn id(n: u128) -> UserId {
        UserId(Uuid::from_u128(n))
    }

    fn agent(n: u128, load: f64, last: Option<Millis>) -> AgentSlot {
        AgentSlot { user_id: id(n), presence: Presence::Online, load, max_load: 5.0, last_assigned_at: last }
    }

    fn chosen(policy: AssignmentPolicy, c: &[AgentSlot], w: f64, cursor: Option<u128>) -> Option<u128> {
        choose_agent(policy, c, w, cursor.map(id)).map(|c| c.user_id.0.as_u128())
    }

    #[test]
    fn balanced_picks_the_most_room_relative_to_capacity() {
        let mut big = agent(1, 4.0, None);
        big.max_load = 10.0; // 40 % used
        let small = agent(2, 2.5, None); // 50 % used
        let c = [small, big];
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.0, None), Some(1));
        let choice = choose_agent(AssignmentPolicy::Balanced, &c, 1.0, None).unwrap();
        assert_eq!(choice.reason.to_string(), "balanced: load 4 of 10");
    }

    #[test]
    fn balanced_ties_go_to_the_longest_unassigned_then_the_lowest_id() {
        let c = [agent(3, 1.0, Some(500)), agent(2, 1.0, Some(100)), agent(1, 1.0, Some(300))];
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.0, None), Some(2));
        let c = [agent(3, 1.0, Some(100)), agent(2, 1.0, None), agent(1, 1.0, Some(100))];
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.0, None), Some(2), "never assigned is oldest");
        let c = [agent(3, 1.0, Some(100)), agent(1, 1.0, Some(100)), agent(2, 1.0, Some(100))];
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.0, None), Some(1));
    }

    #[test]
    fn away_offline_and_full_agents_are_not_eligible() {
        let mut away = agent(1, 0.0, None);
        away.presence = Presence::Away;
        let mut offline = agent(2, 0.0, None);
        offline.presence = Presence::Offline;
        let full = agent(3, 4.5, None);
        let busy = agent(4, 4.0, None);
        let c = [away, offline, full, busy];
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.0, None), Some(4));
        assert_eq!(chosen(AssignmentPolicy::RoundRobin, &c, 1.0, None), Some(4));
        // An e-mail (0.2) also fits agent 3: balanced still prefers 4 (80 % used against
        // 90 %), round robin after 4 wraps around to 3.
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 0.2, None), Some(4));
        assert_eq!(chosen(AssignmentPolicy::RoundRobin, &c, 0.2, Some(4)), Some(3));
        assert_eq!(chosen(AssignmentPolicy::Balanced, &c, 1.5, None), None);
        assert_eq!(chosen(AssignmentPolicy::RoundRobin, &c, 1.5, Some(1)), None);
        assert_eq!(chosen(AssignmentPolicy::Balanced, &[], 1.0, None), None);
    }

    #[test]
    fn round_robin_takes_the_next_after_the_cursor_and_wraps() {
        let c = [agent(30, 4.0, None), agent(10, 0.0, None), agent(20, 2.0, None), agent(40, 0.0, None)];
        let rr = AssignmentPolicy::RoundRobin;
        assert_eq!(chosen(rr, &c, 1.0, None), Some(10));
        assert_eq!(chosen(rr, &c, 1.0, Some(10)), Some(20));
        assert_eq!(chosen(rr, &c, 1.0, Some(20)), Some(30), "load does not matter while there is room");
        assert_eq!(chosen(rr, &c, 1.0, Some(40)), Some(10), "wraps around");
        assert_eq!(chosen(rr, &c, 1.0, Some(25)), Some(30), "a cursor that left still finds the next");
        assert_eq!(chosen(rr, &c, 1.0, Some(99)), Some(10));
        assert_eq!(chosen(rr, &c, 1.5, Some(30)), Some(40), "30 is full for a weight of 1.5");
        let choice = choose_agent(rr, &c, 1.0, Some(id(20))).unwrap();
        assert_eq!(choice.reason.to_string(), "round robin: next in turn (load 4 of 5)");
    }

    #[test]
    fn manual_never_chooses() {
        assert_eq!(chosen(AssignmentPolicy::Manual, &[agent(1, 0.0, None)], 1.0, None), None);
    }

    #[test]
    fn reasons_round_to_one_decimal() {
        let r = AssignmentReason::Balanced { load: 1.2000000000000002, max_load: 5.0 };
        assert_eq!(r.to_string(), "balanced: load 1.2 of 5");
        let r = AssignmentReason::Balanced { load: 0.25, max_load: 7.5 };
        assert_eq!(r.to_string(), "balanced: load 0.3 of 7.5");
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["policy"], "balanced");
    }

    #[test]
    fn absent_agents_are_requeued_after_the_configured_time() {
        let since = 1_000_000;
        assert!(!should_requeue(Presence::Away, since, since + 9 * MINUTE, 10));
        assert!(should_requeue(Presence::Away, since, since + 10 * MINUTE, 10));
        assert!(should_requeue(Presence::Offline, since, since + 11 * MINUTE, 10));
        assert!(!should_requeue(Presence::Online, since, since + 600 * MINUTE, 10));
        assert!(should_requeue(Presence::Offline, since, since, 0));
        assert_eq!(requeue_at(Presence::Away, since, 10), Some(since + 600_000));
        assert_eq!(requeue_at(Presence::Online, since, 10), None);
    }
}
