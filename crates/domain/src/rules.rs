//! Automation rules: "when *trigger*, if all *conditions*, do *actions*" — the model, its
//! validation, matching against plain facts, and the loop protection that keeps rules from
//! triggering each other for ever.
//!
//! Nothing here performs an action or loads anything: the app gathers the [`Facts`], asks
//! which rules match, carries out their actions and passes the [`RuleChain`] on to the events
//! those actions cause. Webhook URLs are only checked for shape here; where they may point
//! (no private addresses) is the HTTP client's concern.

use crate::conversation::normalise_label;
use crate::{ChannelKind, DomainError, InboxId, Priority, RuleId, TeamId, UserId, text_enum};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

mod matching;
pub use matching::{Facts, glob_matches, matches};

/// How many levels of rules may fire in one chain: rules fired by an outside event are level
/// 0, rules fired by the events their actions cause level 1, and so on.
pub const MAX_RULE_DEPTH: u8 = 3;
/// At most this many conditions, and this many actions, per rule.
pub const MAX_ITEMS: usize = 20;
const MAX_SHORT_TEXT: usize = 200;
const MAX_LONG_TEXT: usize = 5_000;
const MAX_URL: usize = 2_000;
const MAX_MINUTES: i64 = 365 * 24 * 60;

text_enum!(
    /// The event a rule listens for.
    Trigger, "trigger" {
        /// A conversation was opened.
        ConversationCreated => "conversation_created",
        /// A customer message arrived.
        MessageReceived => "message_received",
        /// A conversation's status changed.
        StatusChanged => "status_changed",
        /// A conversation's assignee or team changed.
        AssignmentChanged => "assignment_changed",
        /// An SLA clock passed its warning share.
        SlaWarning => "sla_warning",
        /// An SLA target was missed.
        SlaBreached => "sla_breached",
    }
);

/// Something that must be true of the conversation for a rule to act.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// It happens in this inbox.
    InboxIs {
        /// The inbox.
        inbox_id: InboxId,
    },
    /// It happens on this kind of channel.
    ChannelIs {
        /// The channel kind.
        kind: ChannelKind,
    },
    /// The triggering message contains this text, ignoring case.
    TextContains {
        /// The text.
        text: String,
    },
    /// The triggering message matches this pattern (see [`glob_matches`]).
    TextMatches {
        /// `*` for any run of characters, `?` for one, `|` between alternatives.
        pattern: String,
    },
    /// A contact attribute has this value: text ignoring case, numbers by value (`12` and
    /// `12.0` are equal), booleans as `true` / `false`.
    ContactAttribute {
        /// The attribute.
        key: String,
        /// The value.
        equals: String,
    },
    /// It carries this label.
    HasLabel {
        /// The label.
        label: String,
    },
    /// It has this priority.
    PriorityIs {
        /// The priority.
        priority: Priority,
    },
    /// It happens inside (or outside) the team's business hours.
    BusinessHours {
        /// True for inside.
        inside: bool,
    },
    /// The customer has been waiting for an answer for longer than this.
    WaitingLongerThan {
        /// Minutes.
        minutes: i64,
    },
}

/// Something a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// Assign an agent.
    AssignAgent {
        /// The agent.
        user_id: UserId,
    },
    /// Hand it to a team.
    AssignTeam {
        /// The team.
        team_id: TeamId,
    },
    /// Set the priority.
    SetPriority {
        /// The priority.
        priority: Priority,
    },
    /// Add a label.
    AddLabel {
        /// The label.
        label: String,
    },
    /// Remove a label.
    RemoveLabel {
        /// The label.
        label: String,
    },
    /// Reply to the customer with a fixed text.
    SendCannedReply {
        /// The reply.
        text: String,
    },
    /// Add an internal note.
    AddNote {
        /// The note.
        text: String,
    },
    /// Snooze it.
    Snooze {
        /// For how many minutes.
        minutes: i64,
    },
    /// Resolve it.
    Resolve,
    /// POST the event to a URL.
    CallWebhook {
        /// An absolute http:// or https:// URL.
        url: String,
    },
}

/// An automation rule of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Its id.
    pub id: RuleId,
    /// Its name, 1 to 100 characters.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Rules run in ascending position (then id).
    pub position: i32,
    /// The event it listens for.
    pub trigger: Trigger,
    /// All must hold; none means always.
    pub conditions: Vec<Condition>,
    /// What it does, in order; at least one.
    pub actions: Vec<Action>,
}

fn text(raw: &mut String, max: usize, field: impl FnOnce() -> String) -> Result<(), DomainError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(DomainError::invalid(field(), format!("must be 1 to {max} characters")));
    }
    *raw = t.to_string();
    Ok(())
}

fn minutes(m: i64, field: String) -> Result<(), DomainError> {
    if (1..=MAX_MINUTES).contains(&m) {
        Ok(())
    } else {
        Err(DomainError::invalid(field, format!("must be from 1 to {MAX_MINUTES} minutes")))
    }
}

fn label(raw: &mut String, field: String) -> Result<(), DomainError> {
    *raw = normalise_label(raw).map_err(|e| e.in_field(field))?;
    Ok(())
}

/// Checks an outgoing webhook URL: absolute http(s), a host, no spaces, at most 2 000 bytes.
pub fn validate_webhook_url(url: &str, field: &str) -> Result<(), DomainError> {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default()).unwrap_or_default();
    let ok = !host.is_empty()
        && !host.starts_with(['@', ':'])
        && url.len() <= MAX_URL
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(()) } else { Err(DomainError::invalid(field, "must be an absolute http:// or https:// URL")) }
}

impl Condition {
    fn validate(&mut self, at: &str) -> Result<(), DomainError> {
        match self {
            Condition::TextContains { text: t } => text(t, MAX_SHORT_TEXT, || format!("{at}.text")),
            Condition::TextMatches { pattern } => text(pattern, MAX_SHORT_TEXT, || format!("{at}.pattern")),
            Condition::ContactAttribute { key, equals } => {
                text(key, 64, || format!("{at}.key"))?;
                if equals.chars().count() > MAX_SHORT_TEXT {
                    return Err(DomainError::invalid(format!("{at}.equals"), "must be at most 200 characters"));
                }
                Ok(())
            }
            Condition::HasLabel { label: l } => label(l, format!("{at}.label")),
            Condition::WaitingLongerThan { minutes: m } => minutes(*m, format!("{at}.minutes")),
            Condition::InboxIs { .. }
            | Condition::ChannelIs { .. }
            | Condition::PriorityIs { .. }
            | Condition::BusinessHours { .. } => Ok(()),
        }
    }
}

impl Action {
    fn validate(&mut self, at: &str) -> Result<(), DomainError> {
        match self {
            Action::AddLabel { label: l } | Action::RemoveLabel { label: l } => label(l, format!("{at}.label")),
            Action::SendCannedReply { text: t } | Action::AddNote { text: t } => {
                text(t, MAX_LONG_TEXT, || format!("{at}.text"))
            }
            Action::Snooze { minutes: m } => minutes(*m, format!("{at}.minutes")),
            Action::CallWebhook { url } => {
                *url = url.trim().to_string();
                validate_webhook_url(url, &format!("{at}.url"))
            }
            Action::AssignAgent { .. } | Action::AssignTeam { .. } | Action::SetPriority { .. } | Action::Resolve => {
                Ok(())
            }
        }
    }
}

impl Rule {
    /// Checks and normalises the rule: names and texts trimmed, labels normalised, bounds on
    /// every list, text, duration and URL.
    pub fn validate(&mut self) -> Result<(), DomainError> {
        text(&mut self.name, 100, || "name".into())?;
        if self.conditions.len() > MAX_ITEMS {
            return Err(DomainError::invalid("conditions", format!("at most {MAX_ITEMS} conditions")));
        }
        if self.actions.is_empty() || self.actions.len() > MAX_ITEMS {
            return Err(DomainError::invalid("actions", format!("1 to {MAX_ITEMS} actions")));
        }
        for (i, c) in self.conditions.iter_mut().enumerate() {
            c.validate(&format!("conditions[{i}]"))?;
        }
        for (i, a) in self.actions.iter_mut().enumerate() {
            a.validate(&format!("actions[{i}]"))?;
        }
        Ok(())
    }
}

/// Loop protection for one conversation's cascade of rules. An outside event (a customer
/// message, an agent's change) starts a fresh chain; the events that rule actions cause are
/// evaluated with [`RuleChain::next_level`] of it. A rule fires at most once per chain, and
/// no more than [`MAX_RULE_DEPTH`] levels fire, so two rules that undo each other (add a
/// label / remove it) stop after one round. Serialisable, to travel in a job's payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleChain {
    depth: u8,
    fired: BTreeSet<RuleId>,
}

impl RuleChain {
    /// A chain for an event from outside the rules.
    pub fn new() -> Self {
        RuleChain::default()
    }

    /// The level of this chain: 0 for an outside event.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// Records that `rule` fires now; false (and it must not) when it already fired in this
    /// chain or the chain is too deep.
    pub fn try_fire(&mut self, rule: RuleId) -> bool {
        self.depth < MAX_RULE_DEPTH && self.fired.insert(rule)
    }

    /// The chain for events caused by this level's actions; `None` once the next level would
    /// be too deep, so those events run no rules.
    pub fn next_level(&self) -> Option<RuleChain> {
        let depth = self.depth.checked_add(1).filter(|d| *d < MAX_RULE_DEPTH)?;
        Some(RuleChain { depth, fired: self.fired.clone() })
    }

    /// The rules that fire for `facts`, in order (position, then id), recorded in the chain.
    pub fn fire<'r>(&mut self, rules: &'r [Rule], facts: &Facts) -> Vec<&'r Rule> {
        let mut hits: Vec<&Rule> = rules.iter().filter(|r| matches(r, facts)).collect();
        hits.sort_by_key(|r| (r.position, r.id));
        hits.retain(|r| self.try_fire(r.id));
        hits
    }
}

#[cfg(test)]
mod tests;
