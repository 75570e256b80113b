//! Agent presence: what an agent chose (online, away, offline) and the automatic step from
//! online to away after a stretch without activity.
//!
//! Pure rules only: where presence is stored and when activity is recorded is the app's job;
//! callers pass `now`.

use crate::{Millis, text_enum};

text_enum!(
    /// Whether an agent can take new conversations right now.
    Presence, "presence" {
        /// At work and taking conversations.
        Online => "online",
        /// At work but not taking new conversations (set by hand or after inactivity).
        Away => "away",
        /// Not at work.
        Offline => "offline",
    }
);

const MINUTE: i64 = 60_000;

/// The presence routing should use: an agent who chose `online` but has done nothing for
/// `away_after_minutes` counts as away. `away` and `offline` are the agent's own choice and
/// stay as they are. `None` turns auto-away off.
pub fn effective_presence(
    chosen: Presence,
    last_activity_at: Millis,
    now: Millis,
    away_after_minutes: Option<u32>,
) -> Presence {
    match auto_away_at(chosen, last_activity_at, away_after_minutes) {
        Some(at) if now >= at => Presence::Away,
        _ => chosen,
    }
}

/// When an online agent turns away if nothing happens meanwhile: a scheduler's timer, and the
/// `presence_since` to use for re-queueing once it has passed. `None` when the agent is not
/// online or auto-away is off.
pub fn auto_away_at(chosen: Presence, last_activity_at: Millis, away_after_minutes: Option<u32>) -> Option<Millis> {
    match (chosen, away_after_minutes) {
        (Presence::Online, Some(m)) => Some(last_activity_at.saturating_add(i64::from(m) * MINUTE)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_turns_away_after_the_threshold() {
        let last = 1_000_000;
        let ten = Some(10);
        assert_eq!(effective_presence(Presence::Online, last, last + 9 * MINUTE, ten), Presence::Online);
        assert_eq!(effective_presence(Presence::Online, last, last + 10 * MINUTE - 1, ten), Presence::Online);
        assert_eq!(effective_presence(Presence::Online, last, last + 10 * MINUTE, ten), Presence::Away);
        assert_eq!(auto_away_at(Presence::Online, last, ten), Some(last + 600_000));
    }

    #[test]
    fn chosen_away_and_offline_stay() {
        let late = 100 * MINUTE;
        assert_eq!(effective_presence(Presence::Away, 0, late, Some(1)), Presence::Away);
        assert_eq!(effective_presence(Presence::Offline, 0, late, Some(1)), Presence::Offline);
        assert_eq!(effective_presence(Presence::Offline, 0, 0, Some(1)), Presence::Offline);
        assert_eq!(auto_away_at(Presence::Away, 0, Some(1)), None);
    }

    #[test]
    fn auto_away_can_be_off() {
        assert_eq!(effective_presence(Presence::Online, 0, i64::MAX, None), Presence::Online);
        assert_eq!("away".parse::<Presence>().unwrap(), Presence::Away);
        assert!("busy".parse::<Presence>().is_err());
    }
}
