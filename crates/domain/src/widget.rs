//! The web chat widget: an inbox's widget settings (brand colour, greeting, language, the
//! sites allowed to embed it, the questions its assistant asks) and the waiting-room
//! assistant, a small state machine that answers a waiting customer at once, keeps them
//! informed of their place, asks the inbox's questions one at a time and hands over to the
//! agent who takes the chat.
//!
//! The assistant's words come from a [`Phrases`] book per language; everything here is
//! computed from what the caller passes (the queue place, the opening hours, the answers so
//! far), so the conversation it holds is decided without I/O.

use crate::{DomainError, WaitRange, text_enum};
use serde::{Deserialize, Serialize};

/// The languages the widget speaks out of the box (each is one file of strings).
pub const LANGUAGES: &[&str] = &["en", "ru", "uk", "et", "be"];

/// The most questions an inbox's assistant asks.
pub const MAX_QUESTIONS: usize = 10;

/// The longest answer the assistant records, in characters.
pub const MAX_ANSWER: usize = 500;

/// A widget inbox's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WidgetSettings {
    /// The brand colour of the launcher and header (`#rrggbb`).
    pub color: String,
    /// The first words a visitor reads.
    pub greeting: String,
    /// The language of the widget and its assistant; `None` follows the visitor's browser.
    pub language: Option<String>,
    /// The sites (origins such as `https://shop.example`) that may embed the widget; empty
    /// allows every site.
    pub allowed_origins: Vec<String>,
    /// What the assistant asks a waiting customer, in order.
    pub questions: Vec<Question>,
    /// An e-mail inbox that carries the conversation on when the customer has left: a reply
    /// they have not read in the chat a few minutes later is e-mailed to them from it.
    pub email_inbox_id: Option<crate::InboxId>,
}

impl Default for WidgetSettings {
    fn default() -> Self {
        WidgetSettings {
            color: "#4f46e5".into(),
            greeting: "Hi! How can we help?".into(),
            language: None,
            allowed_origins: Vec::new(),
            questions: Vec::new(),
            email_inbox_id: None,
        }
    }
}

text_enum!(
    /// What kind of answer a question expects.
    QuestionKind, "question kind" {
        /// Any text.
        Text => "text",
        /// An e-mail address: checked, and added to the contact when nobody else has it.
        Email => "email",
    }
);

/// One question of the assistant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// What the answer is called for the agent (`name`, `email`, `order`, `topic`); `name`
    /// and `email` also fill in the contact.
    pub key: String,
    /// The question as the customer reads it.
    pub prompt: String,
    /// What kind of answer it expects.
    #[serde(default = "text_kind")]
    pub kind: QuestionKind,
}

fn text_kind() -> QuestionKind {
    QuestionKind::Text
}

impl WidgetSettings {
    /// Checks and normalises the settings (colour lower-cased, origins without a trailing
    /// slash, language one of those shipped).
    pub fn validate(&mut self, languages: &[&str]) -> Result<(), DomainError> {
        let c = self.color.trim().to_ascii_lowercase();
        if !(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(DomainError::invalid("settings.widget.color", "must be a colour like #4f46e5"));
        }
        self.color = c;
        let g = self.greeting.trim();
        if g.is_empty() || g.chars().count() > 300 {
            return Err(DomainError::invalid("settings.widget.greeting", "must be 1 to 300 characters"));
        }
        self.greeting = g.to_string();
        if let Some(l) = &self.language
            && !languages.contains(&l.as_str())
        {
            return Err(DomainError::invalid(
                "settings.widget.language",
                format!("{l:?} is not a widget language; use one of {}", languages.join(", ")),
            ));
        }
        for (i, o) in self.allowed_origins.iter_mut().enumerate() {
            *o = normalise_origin(o).ok_or_else(|| {
                DomainError::invalid(
                    format!("settings.widget.allowed_origins[{i}]"),
                    format!("{o:?} is not an origin like https://shop.example"),
                )
            })?;
        }
        if self.questions.len() > MAX_QUESTIONS {
            return Err(DomainError::invalid(
                "settings.widget.questions",
                format!("at most {MAX_QUESTIONS} questions"),
            ));
        }
        let mut keys: Vec<&str> = Vec::new();
        for (i, q) in self.questions.iter_mut().enumerate() {
            let key = q.key.trim().to_ascii_lowercase();
            let key_ok = !key.is_empty()
                && key.len() <= 40
                && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !key_ok {
                return Err(DomainError::invalid(
                    format!("settings.widget.questions[{i}].key"),
                    "must be 1 to 40 letters, digits, '_' or '-'",
                ));
            }
            q.key = key;
            let p = q.prompt.trim();
            if p.is_empty() || p.chars().count() > 300 {
                return Err(DomainError::invalid(
                    format!("settings.widget.questions[{i}].prompt"),
                    "must be 1 to 300 characters",
                ));
            }
            q.prompt = p.to_string();
            if q.key == "email" {
                q.kind = QuestionKind::Email;
            }
        }
        for (i, q) in self.questions.iter().enumerate() {
            if keys.contains(&q.key.as_str()) {
                return Err(DomainError::invalid(
                    format!("settings.widget.questions[{i}].key"),
                    format!("{:?} is asked twice", q.key),
                ));
            }
            keys.push(&q.key);
        }
        Ok(())
    }

    /// Whether a page of `origin` may embed the widget.
    pub fn allows(&self, origin: &str) -> bool {
        self.allowed_origins.is_empty() || normalise_origin(origin).is_some_and(|o| self.allowed_origins.contains(&o))
    }
}

/// `scheme://host[:port]` lower-cased without a path, or `None` when it is not one.
pub fn normalise_origin(raw: &str) -> Option<String> {
    let o = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let rest = o.strip_prefix("https://").or_else(|| o.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then_some(o)
}

/// The assistant's words in one language. Missing entries fall back to English.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Phrases {
    /// Says the team is busy and the place is kept.
    pub queued: String,
    /// How many are ahead (`{n}`).
    pub ahead: String,
    /// Nobody is ahead.
    pub next: String,
    /// The wait range (`{min}`, `{max}` minutes).
    pub wait: String,
    /// A wait under `{max}` minutes.
    pub wait_short: String,
    /// Offers to collect details while they wait.
    pub offer: String,
    /// Every question is answered.
    pub thanks: String,
    /// An answer that should be an e-mail address is not one.
    pub bad_email: String,
    /// `{agent}` took the chat.
    pub handoff: String,
    /// The team is away and back `{when}`.
    pub offline: String,
    /// Nobody is online and no opening time is known.
    pub offline_unknown: String,
    /// Asks for an e-mail address to answer at.
    pub ask_email: String,
    /// The address `{email}` is recorded.
    pub email_saved: String,
    /// Day names, Monday first.
    pub weekdays: Vec<String>,
    /// `{when}` on another day: `{day}`, `{time}`, `{zone}`.
    pub when: String,
    /// `{when}` later today: `{time}`, `{zone}`.
    pub today: String,
}

impl Default for Phrases {
    fn default() -> Self {
        let s = |t: &str| t.to_string();
        Phrases {
            queued: s(
                "Thanks for your message! Everyone on the team is helping other customers right now, but your place in line is kept.",
            ),
            ahead: s("People ahead of you: {n}."),
            next: s("You're next in line."),
            wait: s("Expected wait: {min}–{max} minutes."),
            wait_short: s("Expected wait: under {max} minutes."),
            offer: s("While you wait, I can pass a few details to the team so they can help you faster."),
            thanks: s(
                "Thank you, I've passed this on to the team. You can close this window: your place is kept, and you can come back any time.",
            ),
            bad_email: s("That doesn't look like an e-mail address — could you check it?"),
            handoff: s("{agent} has joined the conversation and will help you from here."),
            offline: s("We're away right now and will be back {when}."),
            offline_unknown: s("Nobody from the team is online right now."),
            ask_email: s(
                "Leave your e-mail address and we'll answer you there — you don't need to keep this window open.",
            ),
            email_saved: s("Thanks! If you've left, we'll answer at {email}."),
            weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
                .map(String::from)
                .to_vec(),
            when: s("on {day} at {time} ({zone})"),
            today: s("today at {time} ({zone})"),
        }
    }
}

impl Phrases {
    /// Fills entries a translation left out from English.
    pub fn or_english(mut self) -> Phrases {
        let en = Phrases::default();
        let fill = |s: &mut String, d: String| {
            if s.trim().is_empty() {
                *s = d;
            }
        };
        fill(&mut self.queued, en.queued);
        fill(&mut self.ahead, en.ahead);
        fill(&mut self.next, en.next);
        fill(&mut self.wait, en.wait);
        fill(&mut self.wait_short, en.wait_short);
        fill(&mut self.offer, en.offer);
        fill(&mut self.thanks, en.thanks);
        fill(&mut self.bad_email, en.bad_email);
        fill(&mut self.handoff, en.handoff);
        fill(&mut self.offline, en.offline);
        fill(&mut self.offline_unknown, en.offline_unknown);
        fill(&mut self.ask_email, en.ask_email);
        fill(&mut self.email_saved, en.email_saved);
        fill(&mut self.when, en.when);
        fill(&mut self.today, en.today);
        if self.weekdays.len() != 7 {
            self.weekdays = en.weekdays;
        }
        self
    }
}

text_enum!(
    /// Where the assistant is in a conversation.
    Stage, "assistant stage" {
        /// Asking the inbox's questions; `step` is the next one.
        Asking => "asking",
        /// Every question is answered (or there were none); it stays quiet.
        Done => "done",
        /// An agent took over.
        HandedOver => "handed_over",
    }
);

/// The assistant's memory of one conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Where it is.
    pub stage: Stage,
    /// The index of the question it waits an answer to.
    pub step: usize,
    /// What the customer answered: (question key, answer), in the order asked.
    pub answers: Vec<(String, String)>,
    /// Whether it asked for an e-mail address because the team is away.
    pub asked_email: bool,
    /// The language it speaks here (the inbox's, else the customer's browser's).
    #[serde(default)]
    pub language: Option<String>,
}

/// When the team is back, as the customer should read it.
#[derive(Debug, Clone, PartialEq)]
pub struct BackAt {
    /// Monday = 0.
    pub weekday: usize,
    /// `HH:MM` in the team's zone.
    pub time: String,
    /// The team's time zone (`Europe/Tallinn`).
    pub zone: String,
    /// Whether it is later the same day there.
    pub today: bool,
}

/// What the assistant knows when a customer writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    /// Whether someone could take the chat now (working hours and an agent online).
    pub online: bool,
    /// When the team is back, when it is away and that is known.
    pub back_at: Option<BackAt>,
    /// People ahead in the queue, while the conversation waits.
    pub ahead: Option<usize>,
    /// The wait estimate, when there is one.
    pub estimate: Option<WaitRange>,
    /// Whether the contact has an e-mail address already.
    pub knows_email: bool,
}

/// What the assistant does after a customer's message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Turn {
    /// What it says (one message; empty: nothing).
    pub say: Vec<String>,
    /// An answer it recorded: (question key, answer, question kind).
    pub recorded: Option<(String, String, QuestionKind)>,
    /// An e-mail address the customer left to be answered at.
    pub email: Option<String>,
}

impl Turn {
    /// The message text, paragraphs separated by blank lines; `None` when it stays quiet.
    pub fn text(&self) -> Option<String> {
        (!self.say.is_empty()).then(|| self.say.join("\n\n"))
    }
}

fn fill(template: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = template.to_string();
    for (k, v) in pairs {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// The queue sentence: how many are ahead and the wait range when there is one.
pub fn place_text(p: &Phrases, ahead: usize, estimate: Option<WaitRange>) -> String {
    let mut s = if ahead == 0 { p.next.clone() } else { fill(&p.ahead, &[("n", &ahead.to_string())]) };
    if let Some(e) = estimate {
        let min = (e.low / 60_000).max(0);
        let max = ((e.high + 59_999) / 60_000).max(1);
        s.push(' ');
        s.push_str(&if min == 0 {
            fill(&p.wait_short, &[("max", &max.to_string())])
        } else {
            fill(&p.wait, &[("min", &min.to_string()), ("max", &max.to_string())])
        });
    }
    s
}

/// The away sentence: when the team is back, or that nobody is online.
pub fn away_text(p: &Phrases, back: Option<&BackAt>) -> String {
    match back {
        Some(b) => {
            let when = if b.today {
                fill(&p.today, &[("time", &b.time), ("zone", &b.zone)])
            } else {
                let day = p.weekdays.get(b.weekday).map(String::as_str).unwrap_or("");
                fill(&p.when, &[("day", day), ("time", &b.time), ("zone", &b.zone)])
            };
            fill(&p.offline, &[("when", &when)])
        }
        None => p.offline_unknown.clone(),
    }
}

/// Whether `user_hash` (hex) is the HMAC-SHA256 of `email` with the inbox's `secret`: how a
/// site vouches for its signed-in user. The address is taken as sent, or lower-cased.
pub fn verify_user_hash(secret: &str, email: &str, user_hash: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Ok(expected) = decode_hex(user_hash.trim()) else { return false };
    let email = email.trim();
    [email.to_string(), email.to_lowercase()].iter().any(|e| {
        let Ok(mut m) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return false };
        m.update(e.as_bytes());
        m.verify_slice(&expected).is_ok()
    })
}

fn decode_hex(s: &str) -> Result<Vec<u8>, ()> {
    if !s.len().is_multiple_of(2) || s.len() > 128 {
        return Err(());
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2).ok_or(())?, 16).map_err(|_| ())).collect()
}

impl BackAt {
    /// `back` (epoch ms) as read in the calendar's zone, compared with `now`; `None` for a
    /// calendar without a zone (always open) or a time out of range.
    pub fn of(calendar: &crate::BusinessHours, back: crate::Millis, now: crate::Millis) -> Option<BackAt> {
        let zone = calendar.time_zone()?;
        let tz = jiff::tz::TimeZone::get(zone).ok()?;
        let at = jiff::Timestamp::from_millisecond(back).ok()?.to_zoned(tz.clone());
        let today = jiff::Timestamp::from_millisecond(now).ok()?.to_zoned(tz).date() == at.date();
        Some(BackAt {
            weekday: at.weekday().to_monday_zero_offset() as usize,
            time: format!("{:02}:{:02}", at.hour(), at.minute()),
            zone: zone.to_string(),
            today,
        })
    }
}

/// Whether `s` looks like an e-mail address worth answering at.
pub fn looks_like_email(s: &str) -> bool {
    crate::contact::normalise_email(s).is_ok()
}

/// The assistant's first words to a customer whose conversation nobody can take now; the
/// returned session remembers where it is.
pub fn open(p: &Phrases, questions: &[Question], at: &Situation) -> (Session, Turn) {
    let mut say = Vec::new();
    let mut first = Vec::new();
    let mut session =
        Session { stage: Stage::Asking, step: 0, answers: Vec::new(), asked_email: false, language: None };
    if at.online {
        first.push(p.queued.clone());
        if let Some(ahead) = at.ahead {
            first.push(place_text(p, ahead, at.estimate));
        }
    } else {
        first.push(away_text(p, at.back_at.as_ref()));
    }
    say.push(first.join(" "));
    let asked = questions.iter().position(|q| !(q.kind == QuestionKind::Email && at.knows_email));
    match asked {
        Some(i) => {
            if at.online {
                say.push(p.offer.clone());
            }
            session.step = i;
            say.push(questions[i].prompt.clone());
        }
        None => session.stage = Stage::Done,
    }
    if !at.online && !at.knows_email && !questions.iter().any(|q| q.kind == QuestionKind::Email) {
        // Away: an address to answer at matters more than any other detail.
        session.asked_email = true;
        say.push(p.ask_email.clone());
    }
    (session, Turn { say, ..Turn::default() })
}

/// The assistant's answer to a customer's next message while it is asking.
pub fn answer(p: &Phrases, questions: &[Question], session: &mut Session, text: &str) -> Turn {
    let text = text.trim();
    let mut turn = Turn::default();
    if session.asked_email && looks_like_email(text) {
        session.asked_email = false;
        turn.email = Some(text.to_string());
        turn.say.push(fill(&p.email_saved, &[("email", text)]));
    }
    if session.stage != Stage::Asking {
        return turn;
    }
    let Some(q) = questions.get(session.step) else {
        session.stage = Stage::Done;
        return turn;
    };
    if turn.email.is_some() && q.kind != QuestionKind::Email {
        // The address answered the away question; the pending one is still open.
        turn.say.push(q.prompt.clone());
        return turn;
    }
    if q.kind == QuestionKind::Email && !looks_like_email(text) {
        turn.say.push(p.bad_email.clone());
        return turn;
    }
    let value: String = text.chars().take(MAX_ANSWER).collect();
    if q.kind == QuestionKind::Email {
        turn.email = Some(value.clone());
    }
    session.answers.retain(|(k, _)| *k != q.key);
    session.answers.push((q.key.clone(), value.clone()));
    turn.recorded = Some((q.key.clone(), value, q.kind));
    let next = session.step + 1;
    match (next < questions.len()).then_some(next) {
        Some(i) => {
            session.step = i;
            turn.say.push(questions[i].prompt.clone());
        }
        None => {
            session.step = questions.len();
            session.stage = Stage::Done;
            turn.say.push(p.thanks.clone());
        }
    }
    turn
}

/// The assistant's last words when `agent` takes the chat.
pub fn hand_over(p: &Phrases, session: &mut Session, agent: &str) -> String {
    session.stage = Stage::HandedOver;
    session.asked_email = false;
    fill(&p.handoff, &[("agent", agent)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn questions() -> Vec<Question> {
        vec![
            Question { key: "name".into(), prompt: "What's your name?".into(), kind: QuestionKind::Text },
            Question { key: "email".into(), prompt: "Your e-mail?".into(), kind: QuestionKind::Email },
            Question { key: "order".into(), prompt: "Order number?".into(), kind: QuestionKind::Text },
        ]
    }

    fn waiting(ahead: usize) -> Situation {
        Situation {
            online: true,
            back_at: None,
            ahead: Some(ahead),
            estimate: Some(WaitRange { low: 120_000, high: 420_000 }),
            knows_email: false,
        }
    }

    #[test]
    fn a_waiting_customer_hears_their_place_the_wait_and_the_first_question() {
        let p = Phrases::default();
        let (s, t) = open(&p, &questions(), &waiting(2));
        let text = t.text().unwrap_or_default();
        assert!(text.contains("place in line is kept"), "{text}");
        assert!(text.contains("People ahead of you: 2."), "{text}");
        assert!(text.contains("Expected wait: 2–7 minutes."), "{text}");
        assert!(text.ends_with("What's your name?"), "{text}");
        assert_eq!((s.stage, s.step), (Stage::Asking, 0));
    }

    #[test]
    fn answers_are_recorded_in_order_and_a_bad_email_is_asked_again() {
        let p = Phrases::default();
        let qs = questions();
        let (mut s, _) = open(&p, &qs, &waiting(0));
        let t = answer(&p, &qs, &mut s, "  Mari  ");
        assert_eq!(t.recorded, Some(("name".into(), "Mari".into(), QuestionKind::Text)));
        assert_eq!(t.text().as_deref(), Some("Your e-mail?"));
        let t = answer(&p, &qs, &mut s, "not an address");
        assert_eq!(t.recorded, None);
        assert_eq!(t.text(), Some(p.bad_email.clone()));
        let t = answer(&p, &qs, &mut s, "mari@example.com");
        assert_eq!(t.email.as_deref(), Some("mari@example.com"));
        let t = answer(&p, &qs, &mut s, "A-1042");
        assert_eq!(t.text(), Some(p.thanks.clone()));
        assert_eq!(s.stage, Stage::Done);
        let keys: Vec<&str> = s.answers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["name", "email", "order"]);
        // Done: further messages are for the agent.
        assert_eq!(answer(&p, &qs, &mut s, "hello?").text(), None);
    }

    #[test]
    fn a_known_address_is_not_asked_for() {
        let p = Phrases::default();
        let qs = vec![questions()[1].clone()];
        let mut at = waiting(0);
        at.knows_email = true;
        let (s, t) = open(&p, &qs, &at);
        assert_eq!(s.stage, Stage::Done);
        assert!(!t.text().unwrap_or_default().contains("e-mail"));
    }

    #[test]
    fn away_it_says_when_the_team_is_back_and_asks_for_an_address() {
        let p = Phrases::default();
        let at = Situation {
            online: false,
            back_at: Some(BackAt { weekday: 0, time: "09:00".into(), zone: "Europe/Tallinn".into(), today: false }),
            ahead: None,
            estimate: None,
            knows_email: false,
        };
        let (mut s, t) = open(&p, &[], &at);
        let text = t.text().unwrap_or_default();
        assert!(text.contains("back on Monday at 09:00 (Europe/Tallinn)"), "{text}");
        assert!(text.ends_with(&p.ask_email), "{text}");
        let t = answer(&p, &[], &mut s, "Mari@Example.com");
        assert_eq!(t.email.as_deref(), Some("Mari@Example.com"));
        assert!(t.text().unwrap_or_default().contains("Mari@Example.com"));
    }

    #[test]
    fn the_handoff_names_the_agent() {
        let p = Phrases::default();
        let (mut s, _) = open(&p, &questions(), &waiting(1));
        assert_eq!(hand_over(&p, &mut s, "Ana"), "Ana has joined the conversation and will help you from here.");
        assert_eq!(s.stage, Stage::HandedOver);
    }

    #[test]
    fn a_user_hash_is_the_hmac_of_the_address() {
        use hmac::{Hmac, Mac};
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
        m.update(b"mari@example.com");
        let hash: String = m.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert!(verify_user_hash("s3cret", "mari@example.com", &hash));
        assert!(verify_user_hash("s3cret", "Mari@Example.com", &hash));
        assert!(!verify_user_hash("other", "mari@example.com", &hash));
        assert!(!verify_user_hash("s3cret", "ann@example.com", &hash));
        assert!(!verify_user_hash("s3cret", "mari@example.com", "zz"));
    }

    #[test]
    fn settings_are_checked_and_normalised() {
        let mut w = WidgetSettings {
            color: "#0F766E".into(),
            allowed_origins: vec!["HTTPS://Shop.Example/".into()],
            questions: vec![Question { key: "Email".into(), prompt: "Mail?".into(), kind: QuestionKind::Text }],
            ..WidgetSettings::default()
        };
        w.validate(LANGUAGES).unwrap();
        assert_eq!(w.color, "#0f766e");
        assert_eq!(w.allowed_origins, ["https://shop.example"]);
        assert_eq!(w.questions[0].kind, QuestionKind::Email);
        assert!(w.allows("https://shop.example"));
        assert!(!w.allows("https://evil.example"));
        let mut bad = WidgetSettings { color: "red".into(), ..WidgetSettings::default() };
        assert!(bad.validate(LANGUAGES).is_err());
        let mut bad = WidgetSettings { language: Some("xx".into()), ..WidgetSettings::default() };
        assert!(bad.validate(LANGUAGES).is_err());
        let mut bad = WidgetSettings { allowed_origins: vec!["shop.example".into()], ..WidgetSettings::default() };
        assert!(bad.validate(LANGUAGES).is_err());
    }
}
