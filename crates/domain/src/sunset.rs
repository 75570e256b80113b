//! Sunsetting an inbox: when a channel is being retired, customers who still write to it get
//! a friendly notice pointing them to the channels that replace it.
//!
//! Only the settings and the notice's wording live here; sending it (once per conversation)
//! and reporting the stragglers is the app's job.

use crate::sla::calendar::parse_date;
use crate::{ChannelKind, DomainError, InboxStatus};
use serde::{Deserialize, Serialize};

const MAX_ALTERNATIVES: usize = 10;
const MAX_MESSAGE: usize = 1_000;

/// A channel customers should use instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// Its kind.
    pub kind: ChannelKind,
    /// What customers know it as ("WhatsApp", "Live chat on our site").
    pub label: String,
    /// Where to reach it (a number, an address, a URL).
    pub address: String,
}

/// How an inbox is retired.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SunsetSettings {
    /// The local date (`YYYY-MM-DD`) the channel closes, if set.
    pub date: Option<String>,
    /// Where customers should go instead.
    pub alternatives: Vec<Alternative>,
    /// The team's own opening words instead of the default ones.
    pub message: Option<String>,
}

fn one_line(raw: &mut String, max: usize, field: String) -> Result<(), DomainError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max || t.contains(['\r', '\n']) {
        return Err(DomainError::invalid(field, format!("must be 1 to {max} characters on one line")));
    }
    *raw = t.to_string();
    Ok(())
}

impl SunsetSettings {
    /// Checks and trims the settings. An inbox being retired or closed (any `status` but
    /// active) needs at least one alternative: a notice must never leave customers stranded.
    pub fn validate(&mut self, status: InboxStatus) -> Result<(), DomainError> {
        if let Some(d) = &mut self.date {
            *d = d.trim().to_string();
            if parse_date(d).is_none() {
                return Err(DomainError::invalid("sunset.date", format!("{d:?} is not a date like 2027-03-01")));
            }
        }
        if status != InboxStatus::Active && self.alternatives.is_empty() {
            return Err(DomainError::invalid("sunset.alternatives", "name at least one channel customers can use"));
        }
        if self.alternatives.len() > MAX_ALTERNATIVES {
            return Err(DomainError::invalid(
                "sunset.alternatives",
                format!("at most {MAX_ALTERNATIVES} alternatives"),
            ));
        }
        for (i, a) in self.alternatives.iter_mut().enumerate() {
            one_line(&mut a.label, 50, format!("sunset.alternatives[{i}].label"))?;
            one_line(&mut a.address, 200, format!("sunset.alternatives[{i}].address"))?;
        }
        if let Some(m) = &mut self.message {
            *m = m.trim().to_string();
            if m.is_empty() {
                self.message = None;
            } else if m.chars().count() > MAX_MESSAGE {
                return Err(DomainError::invalid(
                    "sunset.message",
                    format!("must be at most {MAX_MESSAGE} characters"),
                ));
            }
        }
        Ok(())
    }
}

/// The notice a customer writing to a retiring inbox receives: the team's message (or a
/// default one naming the inbox and its closing date), then every alternative on its own line.
///
/// ```text
/// Shop SMS is being retired on 1 March 2027. You can reach us here instead:
/// - WhatsApp: +372 5555 0100
/// - E-mail: help@example.com
/// We have your message and will still answer it here.
/// ```
pub fn notice_text(settings: &SunsetSettings, inbox_name: &str) -> String {
    let mut out = match &settings.message {
        Some(m) => m.trim().to_string(),
        None => {
            let when = settings
                .date
                .as_deref()
                .and_then(parse_date)
                .and_then(|d| {
                    let month = MONTHS.get(usize::from(d.month().unsigned_abs()).checked_sub(1)?)?;
                    Some(format!(" on {} {month} {}", d.day(), d.year()))
                })
                .unwrap_or_default();
            let name = inbox_name.trim();
            let name = if name.is_empty() { "This channel" } else { name };
            format!("{name} is being retired{when}.")
        }
    };
    if !settings.alternatives.is_empty() {
        out.push_str(" You can reach us here instead:");
        for a in &settings.alternatives {
            out.push_str(&format!("\n- {}: {}", a.label.trim(), a.address.trim()));
        }
    }
    if settings.message.is_none() {
        out.push_str("\nWe have your message and will still answer it here.");
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn alt(kind: ChannelKind, label: &str, address: &str) -> Alternative {
        Alternative { kind, label: label.into(), address: address.into() }
    }

    fn settings() -> SunsetSettings {
        SunsetSettings {
            date: Some("2027-03-01".into()),
            alternatives: vec![
                alt(ChannelKind::Whatsapp, "WhatsApp", "+372 5555 0100"),
                alt(ChannelKind::Email, "E-mail", "help@example.com"),
            ],
            message: None,
        }
    }

    #[test]
    fn the_default_notice_names_the_inbox_date_and_alternatives() {
        assert_eq!(
            notice_text(&settings(), "Shop SMS"),
            "Shop SMS is being retired on 1 March 2027. You can reach us here instead:\n\
             - WhatsApp: +372 5555 0100\n\
             - E-mail: help@example.com\n\
             We have your message and will still answer it here."
        );
        let undated = SunsetSettings { date: None, ..settings() };
        assert!(notice_text(&undated, " ").starts_with("This channel is being retired. You can"));
    }

    #[test]
    fn a_custom_message_replaces_the_opening_but_keeps_the_alternatives() {
        let s = SunsetSettings { message: Some("We are moving to WhatsApp!".into()), ..settings() };
        assert_eq!(
            notice_text(&s, "Shop SMS"),
            "We are moving to WhatsApp! You can reach us here instead:\n\
             - WhatsApp: +372 5555 0100\n\
             - E-mail: help@example.com"
        );
    }

    #[test]
    fn settings_are_validated() {
        let mut s = settings();
        s.alternatives[0].label = "  WhatsApp  ".into();
        s.message = Some("   ".into());
        s.validate(InboxStatus::Sunset).unwrap();
        assert_eq!((s.alternatives[0].label.as_str(), s.message.as_ref()), ("WhatsApp", None));

        let err = |mut s: SunsetSettings, st| s.validate(st).unwrap_err().to_string();
        let none = SunsetSettings { alternatives: vec![], ..settings() };
        assert!(none.clone().validate(InboxStatus::Active).is_ok());
        assert_eq!(
            err(none.clone(), InboxStatus::Sunset),
            "sunset.alternatives: name at least one channel customers can use"
        );
        assert!(err(none, InboxStatus::Closed).starts_with("sunset.alternatives:"));
        assert!(
            err(SunsetSettings { date: Some("1.3.2027".into()), ..settings() }, InboxStatus::Sunset)
                .starts_with("sunset.date:")
        );
        let mut s = settings();
        s.alternatives[1].address = "a\nb".into();
        assert!(err(s, InboxStatus::Sunset).starts_with("sunset.alternatives[1].address:"));
        let mut s = settings();
        s.alternatives[0].label = "x".repeat(51);
        assert!(err(s, InboxStatus::Sunset).starts_with("sunset.alternatives[0].label:"));
        let s = SunsetSettings { alternatives: vec![alt(ChannelKind::Sms, "SMS", "1"); 11], ..settings() };
        assert!(err(s, InboxStatus::Sunset).starts_with("sunset.alternatives:"));
        let s = SunsetSettings { message: Some("x".repeat(1_001)), ..settings() };
        assert!(err(s, InboxStatus::Sunset).starts_with("sunset.message:"));
    }
}
