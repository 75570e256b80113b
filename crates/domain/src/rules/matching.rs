//! Whether a rule's conditions hold for the facts the app gathered about a conversation.

use super::{Condition, Rule, Trigger};
use crate::{ChannelKind, InboxId, Priority};
use serde_json::{Map, Value};

/// What the app knows about the conversation when an event happens.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The event.
    pub trigger: Trigger,
    /// The conversation's inbox.
    pub inbox_id: InboxId,
    /// Its channel.
    pub channel: ChannelKind,
    /// The text of the triggering message (empty when the event has none).
    pub text: String,
    /// The contact's custom attributes.
    pub contact_attributes: Map<String, Value>,
    /// The conversation's labels.
    pub labels: Vec<String>,
    /// Its priority.
    pub priority: Priority,
    /// Whether the event happens inside the team's business hours.
    pub inside_business_hours: bool,
    /// How long the customer has been waiting for an answer, if they are.
    pub waiting_millis: Option<i64>,
}

/// Whether `rule` fires for `facts`: it is enabled, listens for this trigger and all its
/// conditions hold.
pub fn matches(rule: &Rule, facts: &Facts) -> bool {
    rule.enabled && rule.trigger == facts.trigger && rule.conditions.iter().all(|c| holds(c, facts))
}

fn holds(condition: &Condition, f: &Facts) -> bool {
    match condition {
        Condition::InboxIs { inbox_id } => f.inbox_id == *inbox_id,
        Condition::ChannelIs { kind } => f.channel == *kind,
        Condition::TextContains { text } => f.text.to_lowercase().contains(&text.to_lowercase()),
        Condition::TextMatches { pattern } => glob_matches(pattern, &f.text),
        Condition::ContactAttribute { key, equals } => match f.contact_attributes.get(key) {
            Some(Value::String(s)) => s.trim().to_lowercase() == equals.trim().to_lowercase(),
            Some(Value::Number(n)) => n.as_f64().is_some_and(|n| equals.trim().parse() == Ok(n)),
            Some(Value::Bool(b)) => equals.trim().eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            _ => false,
        },
        Condition::HasLabel { label } => f.labels.iter().any(|l| l.eq_ignore_ascii_case(label)),
        Condition::PriorityIs { priority } => f.priority == *priority,
        Condition::BusinessHours { inside } => f.inside_business_hours == *inside,
        Condition::WaitingLongerThan { minutes } => {
            f.waiting_millis.is_some_and(|w| w > minutes.saturating_mul(60_000))
        }
    }
}

/// Whether the whole of `text` matches `pattern`, ignoring case: `*` stands for any run of
/// characters (also none), `?` for exactly one, and `|` separates alternatives, any of which
/// may match. So `*refund*|*money back*` finds either phrase anywhere in a message. Runs in
/// time proportional to the text times the pattern at worst, with no backtracking blow-up.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let text: Vec<char> = text.to_lowercase().chars().collect();
    pattern.to_lowercase().split('|').any(|alt| {
        let alt: Vec<char> = alt.trim().chars().collect();
        !alt.is_empty() && glob_one(&alt, &text)
    })
}

/// The classic two-pointer wildcard match: on a mismatch, go back to just after the last
/// `*` and let it swallow one more character.
fn glob_one(p: &[char], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}
