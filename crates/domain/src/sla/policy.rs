//! SLA policies: how quickly a team promises to answer and resolve, per channel and priority,
//! counted in its business hours.

use super::calendar::BusinessHours;
use crate::{ChannelKind, DomainError, Priority, SlaPolicyId, text_enum};
use serde::{Deserialize, Serialize};

/// The longest target: a year, in minutes.
const MAX_TARGET_MINUTES: i64 = 365 * 24 * 60;
/// At most one rule per channel and priority, plus one per channel for any priority.
const MAX_RULES: usize = 64;

text_enum!(
    /// Which promise a clock measures.
    SlaKind, "sla kind" {
        /// From the customer's first message to the first reply.
        FirstResponse => "first_response",
        /// From a customer's later message to the next reply.
        NextResponse => "next_response",
        /// From opening to resolution.
        Resolution => "resolution",
    }
);

/// Targets in business minutes; `None` promises nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaTargets {
    /// First reply.
    pub first_response_minutes: Option<i64>,
    /// Each later reply.
    pub next_response_minutes: Option<i64>,
    /// Resolution.
    pub resolution_minutes: Option<i64>,
}

impl SlaTargets {
    const fn new(first: Option<i64>, next: Option<i64>, resolution: Option<i64>) -> Self {
        SlaTargets { first_response_minutes: first, next_response_minutes: next, resolution_minutes: resolution }
    }

    /// The target for `kind`, in business minutes.
    pub fn get(&self, kind: SlaKind) -> Option<i64> {
        match kind {
            SlaKind::FirstResponse => self.first_response_minutes,
            SlaKind::NextResponse => self.next_response_minutes,
            SlaKind::Resolution => self.resolution_minutes,
        }
    }

    /// Each target × `num / den`, rounded down to whole minutes but never below one.
    fn scaled(self, num: i64, den: i64) -> Self {
        let s = |m: Option<i64>| m.map(|m| (m * num / den).max(1));
        SlaTargets::new(s(self.first_response_minutes), s(self.next_response_minutes), s(self.resolution_minutes))
    }

    fn validate(&self) -> Result<(), DomainError> {
        for kind in SlaKind::ALL {
            if let Some(m) = self.get(*kind)
                && !(1..=MAX_TARGET_MINUTES).contains(&m)
            {
                return Err(DomainError::invalid(
                    format!("{kind}_minutes"),
                    format!("must be from 1 to {MAX_TARGET_MINUTES} minutes"),
                ));
            }
        }
        Ok(())
    }
}

/// The targets for one channel, for one priority or (without one) for every priority that
/// has no rule of its own. On the wire it is flat:
/// `{"channel": "email", "priority": "urgent", "first_response_minutes": 60}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlatRule", into = "FlatRule")]
pub struct SlaTargetRule {
    /// The channel.
    pub channel: ChannelKind,
    /// The priority; `None` for any.
    pub priority: Option<Priority>,
    /// The targets.
    pub targets: SlaTargets,
}

/// [`SlaTargetRule`] spelled out, because serde cannot refuse unknown fields of a flattened
/// struct.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FlatRule {
    channel: ChannelKind,
    #[serde(default)]
    priority: Option<Priority>,
    #[serde(default)]
    first_response_minutes: Option<i64>,
    #[serde(default)]
    next_response_minutes: Option<i64>,
    #[serde(default)]
    resolution_minutes: Option<i64>,
}

impl From<FlatRule> for SlaTargetRule {
    fn from(f: FlatRule) -> Self {
        SlaTargetRule {
            channel: f.channel,
            priority: f.priority,
            targets: SlaTargets::new(f.first_response_minutes, f.next_response_minutes, f.resolution_minutes),
        }
    }
}

impl From<SlaTargetRule> for FlatRule {
    fn from(r: SlaTargetRule) -> Self {
        FlatRule {
            channel: r.channel,
            priority: r.priority,
            first_response_minutes: r.targets.first_response_minutes,
            next_response_minutes: r.targets.next_response_minutes,
            resolution_minutes: r.targets.resolution_minutes,
        }
    }
}

/// A named set of targets with the business hours they are counted in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPolicy {
    /// Its id.
    pub id: SlaPolicyId,
    /// Its name ("Standard", "Enterprise").
    pub name: String,
    /// Its targets.
    pub targets: Vec<SlaTargetRule>,
    /// The hours the clocks run in.
    #[serde(default)]
    pub calendar: BusinessHours,
    /// The share of a target after which the clock warns (0 to 1, exclusive).
    #[serde(default = "default_warn_at")]
    pub warn_at: f64,
}

/// Warn when three quarters of a target have passed.
pub const DEFAULT_WARN_AT: f64 = 0.75;

fn default_warn_at() -> f64 {
    DEFAULT_WARN_AT
}

impl SlaPolicy {
    /// A policy with the [default targets](Self::default_targets), counted around the clock.
    pub fn new(id: SlaPolicyId, name: impl Into<String>) -> Self {
        SlaPolicy {
            id,
            name: name.into(),
            targets: Self::default_targets(),
            calendar: BusinessHours::always(),
            warn_at: DEFAULT_WARN_AT,
        }
    }

    /// Targets a support team can start from, by how live the channel is (minutes):
    ///
    /// | channel | first response | next response | resolution |
    /// |---|---|---|---|
    /// | widget (chat) | 2 | 5 | 60 |
    /// | voice | 1 | – | – |
    /// | WhatsApp, Telegram, Messenger, SMS, API | 15 | 30 | 480 (8 h) |
    /// | e-mail | 360 (6 h) | 720 (12 h) | 4 320 (3 days) |
    ///
    /// A call is answered or not; what follows it is tracked on its own, so voice has only a
    /// first-response target. The API is treated like a messenger. Urgent conversations get
    /// half of each target and high ones three quarters, rounded down to whole minutes but
    /// never below one; medium, low and none get the channel's targets.
    pub fn default_targets() -> Vec<SlaTargetRule> {
        let messenger = SlaTargets::new(Some(15), Some(30), Some(8 * 60));
        let base = |channel: ChannelKind| match channel {
            ChannelKind::Widget => SlaTargets::new(Some(2), Some(5), Some(60)),
            ChannelKind::Voice => SlaTargets::new(Some(1), None, None),
            ChannelKind::Email => SlaTargets::new(Some(6 * 60), Some(12 * 60), Some(3 * 24 * 60)),
            ChannelKind::Api
            | ChannelKind::Sms
            | ChannelKind::Whatsapp
            | ChannelKind::Telegram
            | ChannelKind::Messenger => messenger,
        };
        let mut rules = Vec::with_capacity(ChannelKind::ALL.len() * 3);
        for &channel in ChannelKind::ALL {
            let t = base(channel);
            rules.push(SlaTargetRule { channel, priority: None, targets: t });
            rules.push(SlaTargetRule { channel, priority: Some(Priority::High), targets: t.scaled(3, 4) });
            rules.push(SlaTargetRule { channel, priority: Some(Priority::Urgent), targets: t.scaled(1, 2) });
        }
        rules
    }

    /// The targets for a conversation on `channel` at `priority`: the rule for that priority,
    /// else the channel's rule for any priority, else none.
    pub fn targets_for(&self, channel: ChannelKind, priority: Priority) -> SlaTargets {
        let exact = self.targets.iter().find(|r| r.channel == channel && r.priority == Some(priority));
        let any = || self.targets.iter().find(|r| r.channel == channel && r.priority.is_none());
        exact.or_else(any).map(|r| r.targets).unwrap_or_default()
    }

    /// Trims the name and checks it (1 to 100 characters), the targets (1 minute to a year,
    /// one rule per channel and priority) and `warn_at`.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 100 {
            return Err(DomainError::invalid("name", "must be 1 to 100 characters"));
        }
        if self.targets.len() > MAX_RULES {
            return Err(DomainError::invalid("targets", format!("at most {MAX_RULES} rules")));
        }
        for (i, r) in self.targets.iter().enumerate() {
            r.targets.validate().map_err(|e| match e {
                DomainError::Invalid { field, message } => {
                    DomainError::invalid(format!("targets[{i}].{field}"), message)
                }
            })?;
            if self.targets[..i].iter().any(|o| o.channel == r.channel && o.priority == r.priority) {
                return Err(DomainError::invalid(
                    format!("targets[{i}]"),
                    "another rule has the same channel and priority",
                ));
            }
        }
        if !(self.warn_at.is_finite() && self.warn_at > 0.0 && self.warn_at < 1.0) {
            return Err(DomainError::invalid("warn_at", "must be a fraction between 0 and 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> SlaPolicy {
        SlaPolicy::new(SlaPolicyId::new(), "Standard")
    }

    #[test]
    fn defaults_follow_the_channel() {
        let p = policy();
        let t = |c, pr| p.targets_for(c, pr);
        assert_eq!(t(ChannelKind::Widget, Priority::None), SlaTargets::new(Some(2), Some(5), Some(60)));
        assert_eq!(t(ChannelKind::Widget, Priority::Low), t(ChannelKind::Widget, Priority::Medium));
        assert_eq!(t(ChannelKind::Voice, Priority::Medium), SlaTargets::new(Some(1), None, None));
        assert_eq!(t(ChannelKind::Sms, Priority::None), SlaTargets::new(Some(15), Some(30), Some(480)));
        assert_eq!(t(ChannelKind::Api, Priority::None), t(ChannelKind::Whatsapp, Priority::None));
        assert_eq!(t(ChannelKind::Email, Priority::None), SlaTargets::new(Some(360), Some(720), Some(4320)));
        assert_eq!(p.targets.len(), 24);
        assert!(policy().validate().is_ok());
    }

    #[test]
    fn urgent_halves_and_high_takes_three_quarters() {
        let p = policy();
        let t = |c, pr| p.targets_for(c, pr);
        assert_eq!(t(ChannelKind::Email, Priority::Urgent), SlaTargets::new(Some(180), Some(360), Some(2160)));
        assert_eq!(t(ChannelKind::Email, Priority::High), SlaTargets::new(Some(270), Some(540), Some(3240)));
        // 2 × 3/4 = 1.5 → 1; 5 / 2 = 2.5 → 2; 1 / 2 = 0.5 → at least 1.
        assert_eq!(t(ChannelKind::Widget, Priority::High), SlaTargets::new(Some(1), Some(3), Some(45)));
        assert_eq!(t(ChannelKind::Widget, Priority::Urgent), SlaTargets::new(Some(1), Some(2), Some(30)));
        assert_eq!(t(ChannelKind::Voice, Priority::Urgent), SlaTargets::new(Some(1), None, None));
        assert_eq!(t(ChannelKind::Telegram, Priority::Urgent).get(SlaKind::FirstResponse), Some(7));
    }

    #[test]
    fn a_channel_without_rules_has_no_targets() {
        let mut p = policy();
        p.targets.retain(|r| r.channel != ChannelKind::Email);
        assert_eq!(p.targets_for(ChannelKind::Email, Priority::Urgent), SlaTargets::default());
    }

    #[test]
    fn policies_are_validated() {
        let mut p = policy();
        p.name = "  ".into();
        assert_eq!(p.validate().unwrap_err().to_string(), "name: must be 1 to 100 characters");
        let mut p = policy();
        p.warn_at = 1.0;
        assert!(p.validate().is_err());
        let mut p = policy();
        p.targets[4].targets.next_response_minutes = Some(0);
        assert_eq!(
            p.validate().unwrap_err().to_string(),
            "targets[4].next_response_minutes: must be from 1 to 525600 minutes"
        );
        let mut p = policy();
        let dup = p.targets[1];
        p.targets.push(dup);
        assert_eq!(p.validate().unwrap_err().to_string().split(':').next(), Some("targets[24]"));
    }

    #[test]
    fn policies_read_from_json_with_defaults() {
        let json = r#"{"id":"0190a0a0-0000-7000-8000-000000000000","name":"Chat only",
            "targets":[{"channel":"widget","first_response_minutes":3},
                       {"channel":"widget","priority":"urgent","first_response_minutes":1}]}"#;
        let mut p: SlaPolicy = serde_json::from_str(json).unwrap();
        p.validate().unwrap();
        assert_eq!((p.warn_at, p.calendar.time_zone()), (0.75, None));
        assert_eq!(p.targets_for(ChannelKind::Widget, Priority::High).first_response_minutes, Some(3));
        assert_eq!(p.targets_for(ChannelKind::Widget, Priority::Urgent).first_response_minutes, Some(1));
        assert_eq!(p.targets_for(ChannelKind::Widget, Priority::Urgent).resolution_minutes, None);
        let back: SlaPolicy = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
        let typo = json.replace("first_response_minutes\":3", "first_reponse_minutes\":3");
        assert!(serde_json::from_str::<SlaPolicy>(&typo).is_err());
    }
}
