//! Agent capacity: how much of an agent's attention each open conversation takes, so that
//! routing never hands a busy agent more than they can carry.
//!
//! A live chat or a call needs the agent now; an e-mail can wait between replies. Each channel
//! kind therefore has a weight, an agent's load is the sum of the weights of their open
//! conversations, and a conversation nobody has touched for a while weighs less. Pure
//! arithmetic: the app loads the conversations and passes `now`.

use crate::{ChannelKind, DomainError, Millis};
use serde::{Deserialize, Serialize};

/// The capacity an agent has unless an admin sets another: five chats at once, or ten
/// messenger threads, or twenty-five e-mails.
pub const DEFAULT_MAX_LOAD: f64 = 5.0;

/// The largest weight a channel may have.
pub const MAX_WEIGHT: f64 = 10.0;

/// Tolerance for sums of weights such as 0.2 × 5, which in floating point is not quite 1.
const EPSILON: f64 = 1e-9;

const MINUTE: i64 = 60_000;

/// How much one open conversation on each channel weighs, configurable per workspace.
///
/// The defaults follow how synchronous the channel is: a call or a live chat (`widget`) has
/// the customer waiting on the line, so it counts 1.0; messengers, SMS and the API are
/// conversational but the customer does not stare at the screen, 0.5; an e-mail is answered
/// in its own time, 0.2. With the default capacity of 5 an agent carries five chats, or ten
/// messenger threads, or twenty-five e-mails, or any mix of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelWeights {
    /// Custom integrations over the REST API.
    pub api: f64,
    /// E-mail.
    pub email: f64,
    /// The web chat widget.
    pub widget: f64,
    /// SMS.
    pub sms: f64,
    /// WhatsApp.
    pub whatsapp: f64,
    /// Telegram.
    pub telegram: f64,
    /// Facebook Messenger.
    pub messenger: f64,
    /// Phone calls.
    pub voice: f64,
}

impl Default for ChannelWeights {
    fn default() -> Self {
        ChannelWeights {
            api: 0.5,
            email: 0.2,
            widget: 1.0,
            sms: 0.5,
            whatsapp: 0.5,
            telegram: 0.5,
            messenger: 0.5,
            voice: 1.0,
        }
    }
}

impl ChannelWeights {
    /// The weight of one open conversation on `kind`.
    pub fn weight(&self, kind: ChannelKind) -> f64 {
        match kind {
            ChannelKind::Api => self.api,
            ChannelKind::Email => self.email,
            ChannelKind::Widget => self.widget,
            ChannelKind::Sms => self.sms,
            ChannelKind::Whatsapp => self.whatsapp,
            ChannelKind::Telegram => self.telegram,
            ChannelKind::Messenger => self.messenger,
            ChannelKind::Voice => self.voice,
        }
    }

    /// Checks every weight is a number from 0 to [`MAX_WEIGHT`].
    pub fn validate(&self) -> Result<(), DomainError> {
        for &kind in ChannelKind::ALL {
            let w = self.weight(kind);
            if !(w.is_finite() && (0.0..=MAX_WEIGHT).contains(&w)) {
                return Err(DomainError::invalid(
                    format!("weights.{kind}"),
                    format!("must be a number from 0 to {MAX_WEIGHT}"),
                ));
            }
        }
        Ok(())
    }
}

/// A workspace's capacity rules.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CapacitySettings {
    /// What each channel weighs.
    pub weights: ChannelWeights,
    /// An open conversation without activity for this long counts as idle. Zero turns the
    /// idle discount off.
    pub idle_after_minutes: u32,
    /// The share of its weight an idle conversation still counts (0 to 1): the customer went
    /// quiet, but the agent still owes them an answer.
    pub idle_factor: f64,
    /// The capacity of an agent who has none of their own.
    pub default_max_load: f64,
}

impl Default for CapacitySettings {
    fn default() -> Self {
        CapacitySettings {
            weights: ChannelWeights::default(),
            idle_after_minutes: 30,
            idle_factor: 0.5,
            default_max_load: DEFAULT_MAX_LOAD,
        }
    }
}

impl CapacitySettings {
    /// Checks the weights, the idle factor (0 to 1) and the default capacity.
    pub fn validate(&self) -> Result<(), DomainError> {
        self.weights.validate()?;
        if !(self.idle_factor.is_finite() && (0.0..=1.0).contains(&self.idle_factor)) {
            return Err(DomainError::invalid("idle_factor", "must be a number from 0 to 1"));
        }
        validate_max_load(self.default_max_load).map_err(|e| e.in_field("default_max_load"))
    }
}

/// Checks an agent's capacity: more than 0, at most 100.
pub fn validate_max_load(max_load: f64) -> Result<(), DomainError> {
    if max_load.is_finite() && max_load > 0.0 && max_load <= 100.0 {
        Ok(())
    } else {
        Err(DomainError::invalid("max_load", "must be a number above 0 and at most 100"))
    }
}

/// One open conversation assigned to an agent, as far as capacity cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignedWork {
    /// The channel it happens on.
    pub channel: ChannelKind,
    /// Its latest message, note or change.
    pub last_activity_at: Millis,
}

/// An agent's load: the sum over their open conversations of the channel's weight, times
/// `idle_factor` for a conversation without activity for `idle_after_minutes` or more.
pub fn load_of(conversations: &[AssignedWork], settings: &CapacitySettings, now: Millis) -> f64 {
    let idle_after = i64::from(settings.idle_after_minutes) * MINUTE;
    conversations
        .iter()
        .map(|c| {
            let w = settings.weights.weight(c.channel);
            let idle = idle_after > 0 && now.saturating_sub(c.last_activity_at) >= idle_after;
            if idle { w * settings.idle_factor } else { w }
        })
        .sum()
}

/// Whether an agent at `load` of `max_load` can take one more conversation weighing
/// `weight_of_new` without going over. Not-a-number anywhere means no.
pub fn has_room(load: f64, max_load: f64, weight_of_new: f64) -> bool {
    load + weight_of_new <= max_load + EPSILON
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(channel: ChannelKind, last_activity_at: Millis) -> AssignedWork {
        AssignedWork { channel, last_activity_at }
    }

    #[test]
    fn default_weights_follow_the_channel() {
        let w = ChannelWeights::default();
        assert_eq!(w.weight(ChannelKind::Widget), 1.0);
        assert_eq!(w.weight(ChannelKind::Voice), 1.0);
        assert_eq!(w.weight(ChannelKind::Whatsapp), 0.5);
        assert_eq!(w.weight(ChannelKind::Sms), 0.5);
        assert_eq!(w.weight(ChannelKind::Email), 0.2);
        assert_eq!(w.weight(ChannelKind::Api), 0.5);
        assert!(w.validate().is_ok());
        assert!(CapacitySettings::default().validate().is_ok());
    }

    #[test]
    fn weights_are_bounded() {
        let mut w = ChannelWeights { email: 10.5, ..Default::default() };
        assert_eq!(w.validate().unwrap_err().to_string(), "weights.email: must be a number from 0 to 10");
        w.email = f64::NAN;
        assert!(w.validate().is_err());
        w.email = -0.1;
        assert!(w.validate().is_err());
        w.email = 0.0;
        assert!(w.validate().is_ok());
        let s = CapacitySettings { idle_factor: 1.5, ..Default::default() };
        assert!(s.validate().is_err());
        let s = CapacitySettings { default_max_load: 0.0, ..Default::default() };
        assert_eq!(s.validate().unwrap_err().to_string().split(':').next(), Some("default_max_load"));
    }

    #[test]
    fn weights_deserialise_with_defaults_for_missing_channels() {
        let w: ChannelWeights = serde_json::from_str(r#"{"email": 0.25}"#).unwrap();
        assert_eq!((w.email, w.widget), (0.25, 1.0));
        assert!(serde_json::from_str::<ChannelWeights>(r#"{"fax": 1}"#).is_err());
    }

    #[test]
    fn load_sums_weights_and_discounts_idle_conversations() {
        let s = CapacitySettings::default();
        let now = 100 * MINUTE;
        // Two live chats (1 + 1), one e-mail touched 29 minutes ago (0.2), one WhatsApp idle
        // for exactly 30 minutes (0.5 × 0.5) and a call idle for an hour (1 × 0.5).
        let work = [
            work(ChannelKind::Widget, now),
            work(ChannelKind::Widget, now - MINUTE),
            work(ChannelKind::Email, now - 29 * MINUTE),
            work(ChannelKind::Whatsapp, now - 30 * MINUTE),
            work(ChannelKind::Voice, now - 60 * MINUTE),
        ];
        assert!((load_of(&work, &s, now) - 2.95).abs() < 1e-9);
        assert_eq!(load_of(&[], &s, now), 0.0);
        let no_idle = CapacitySettings { idle_after_minutes: 0, ..s };
        assert!((load_of(&work, &no_idle, now) - 3.7).abs() < 1e-9);
    }

    #[test]
    fn room_is_checked_against_the_new_weight() {
        assert!(has_room(4.0, 5.0, 1.0));
        assert!(!has_room(4.5, 5.0, 1.0));
        assert!(has_room(4.5, 5.0, 0.5));
        // 0.2 five times is 1.0000000000000002 in floating point: still room for four chats.
        let emails: f64 = [0.2; 5].iter().sum();
        assert!(has_room(emails, 5.0, 4.0));
        assert!(!has_room(f64::NAN, 5.0, 0.2));
        assert!(!has_room(0.0, 0.0, 0.2));
    }
}
