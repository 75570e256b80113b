//! Conversations: their status machine, the timestamps kept for analytics, list filters and
//! the counter keys that make list badges cheap.

use crate::{ContactId, ConversationId, DomainError, InboxId, Millis, TeamId, UserId, WorkspaceId, text_enum};
use serde::{Deserialize, Serialize};

text_enum!(
    /// Where a conversation stands.
    Status, "status" {
        /// Needs the team's attention.
        Open => "open",
        /// Waiting on the customer; SLA clocks pause.
        Pending => "pending",
        /// Put aside until a time; comes back as open.
        Snoozed => "snoozed",
        /// Done.
        Resolved => "resolved",
    }
);

text_enum!(
    /// How urgent a conversation is.
    Priority, "priority" {
        /// Not set.
        None => "none",
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Urgent.
        Urgent => "urgent",
    }
);

impl Priority {
    /// Its rank for ordering: urgent 4, high 3, medium 2, low 1, none 0.
    pub fn rank(self) -> u8 {
        match self {
            Priority::None => 0,
            Priority::Low => 1,
            Priority::Medium => 2,
            Priority::High => 3,
            Priority::Urgent => 4,
        }
    }
}

/// A conversation with one contact in one inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Its id.
    pub id: ConversationId,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its number for humans (#1042), unique in the workspace.
    pub number: i64,
    /// The inbox (channel) it happens in.
    pub inbox_id: InboxId,
    /// The customer.
    pub contact_id: ContactId,
    /// Its subject, when the channel has one.
    pub subject: Option<String>,
    /// Where it stands.
    pub status: Status,
    /// While snoozed: when it comes back.
    pub snoozed_until: Option<Millis>,
    /// How urgent it is.
    pub priority: Priority,
    /// The agent working it.
    pub assignee_id: Option<UserId>,
    /// The team it belongs to.
    pub team_id: Option<TeamId>,
    /// Its labels, sorted.
    pub labels: Vec<String>,
    /// Teammates following it besides the assignee.
    pub participants: Vec<UserId>,
    /// Number of customer messages and replies (not notes or activity).
    pub message_count: i64,
    /// Since when the customer has been waiting for an answer, if they are.
    pub waiting_since: Option<Millis>,
    /// The first agent reply.
    pub first_response_at: Option<Millis>,
    /// The latest resolution.
    pub resolved_at: Option<Millis>,
    /// How often it was reopened after a resolution.
    pub reopen_count: i64,
    /// The latest message, note or change; lists sort by it.
    pub last_activity_at: Millis,
    /// The start of the latest customer-visible message, for the list.
    pub preview: Option<String>,
    /// When the customer last wrote.
    pub last_inbound_at: Option<Millis>,
    /// When it was opened.
    pub created_at: Millis,
}

impl Conversation {
    /// A new, open conversation with nobody assigned.
    pub fn open(
        workspace_id: WorkspaceId,
        number: i64,
        inbox_id: InboxId,
        contact_id: ContactId,
        subject: Option<String>,
        now: Millis,
    ) -> Self {
        Conversation {
            id: ConversationId::new(),
            workspace_id,
            number,
            inbox_id,
            contact_id,
            subject,
            status: Status::Open,
            snoozed_until: None,
            priority: Priority::None,
            assignee_id: None,
            team_id: None,
            labels: vec![],
            participants: vec![],
            message_count: 0,
            waiting_since: None,
            first_response_at: None,
            resolved_at: None,
            reopen_count: 0,
            last_activity_at: now,
            preview: None,
            last_inbound_at: None,
            created_at: now,
        }
    }

    /// Moves to `status`, keeping the analytics timestamps right. Returns false when nothing
    /// changed. Snoozing needs `until` in the future.
    pub fn set_status(&mut self, status: Status, until: Option<Millis>, now: Millis) -> Result<bool, DomainError> {
        match (status, until) {
            (Status::Snoozed, None) => {
                return Err(DomainError::invalid("snoozed_until", "snoozing needs a time to come back"));
            }
            (Status::Snoozed, Some(t)) if t <= now => {
                return Err(DomainError::invalid("snoozed_until", "must be in the future"));
            }
            (s, Some(_)) if s != Status::Snoozed => {
                return Err(DomainError::invalid(
                    "snoozed_until",
                    "only a snoozed conversation has a time to come back",
                ));
            }
            _ => {}
        }
        if self.status == status && self.snoozed_until == until {
            return Ok(false);
        }
        if self.status == Status::Resolved && status != Status::Resolved {
            self.reopen_count += 1;
        }
        if status == Status::Resolved {
            self.resolved_at = Some(now);
        }
        self.status = status;
        self.snoozed_until = until;
        self.last_activity_at = now;
        Ok(true)
    }

    /// Records a customer message: it wakes a pending or snoozed conversation and starts the
    /// customer's wait if they were not already waiting.
    pub fn on_inbound(&mut self, now: Millis, text: &str) {
        self.preview = Some(preview_of(text));
        self.last_inbound_at = Some(now);
        if matches!(self.status, Status::Pending | Status::Snoozed) {
            self.status = Status::Open;
            self.snoozed_until = None;
        }
        self.waiting_since.get_or_insert(now);
        self.message_count += 1;
        self.last_activity_at = now;
    }

    /// Records an agent reply: the first one sets the first response time; the wait ends.
    pub fn on_reply(&mut self, now: Millis, text: &str) {
        self.preview = Some(preview_of(text));
        self.first_response_at.get_or_insert(now);
        self.waiting_since = None;
        self.message_count += 1;
        self.last_activity_at = now;
    }

    /// The list counters this conversation counts towards; their difference before and after
    /// a change is what the store adds.
    pub fn counter_keys(&self) -> Vec<String> {
        let s = self.status.as_str();
        let mut keys = vec![format!("status:{s}")];
        match self.assignee_id {
            Some(u) => keys.push(format!("status:{s}:assignee:{u}")),
            None => keys.push(format!("status:{s}:unassigned")),
        }
        keys.push(format!("status:{s}:inbox:{}", self.inbox_id));
        if let Some(t) = self.team_id {
            keys.push(format!("status:{s}:team:{t}"));
        }
        for l in &self.labels {
            keys.push(format!("status:{s}:label:{l}"));
        }
        keys
    }
}

/// The first line-ish of a message, at most 140 characters, whitespace collapsed.
pub fn preview_of(text: &str) -> String {
    let mut out = String::with_capacity(150);
    let mut chars = 0;
    for (n, word) in text.split_whitespace().enumerate() {
        let len = word.chars().count();
        if chars + len > 140 {
            out.push('…');
            break;
        }
        if n > 0 {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += len;
    }
    out
}

/// Checks and normalises a label: lower-case letters, digits, `-` and `_`, 1 to 50 long.
pub fn normalise_label(raw: &str) -> Result<String, DomainError> {
    let l = raw.trim().to_lowercase();
    let ok = !l.is_empty() && l.chars().count() <= 50 && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(l)
    } else {
        Err(DomainError::invalid("labels", format!("{raw:?} is not a label: use 1 to 50 letters, digits, - or _")))
    }
}

/// Who a conversation list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Everyone's.
    Anyone,
    /// Nobody's yet.
    Nobody,
    /// One agent's.
    User(UserId),
}

/// A conversation list query.
#[derive(Debug, Clone)]
pub struct ConversationFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Whose.
    pub assignee: AssigneeFilter,
    /// Only this team's.
    pub team_id: Option<TeamId>,
    /// Only this inbox's.
    pub inbox_id: Option<InboxId>,
    /// Only with this label.
    pub label: Option<String>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this contact's.
    pub contact_id: Option<ContactId>,
}

impl Default for ConversationFilter {
    fn default() -> Self {
        ConversationFilter {
            status: None,
            assignee: AssigneeFilter::Anyone,
            team_id: None,
            inbox_id: None,
            label: None,
            priority: None,
            contact_id: None,
        }
    }
}

impl ConversationFilter {
    /// The counter that holds this list's size, when one is kept for it (status plus at most
    /// one other dimension).
    pub fn counter_key(&self) -> Option<String> {
        let s = self.status?.as_str();
        let others = [
            !matches!(self.assignee, AssigneeFilter::Anyone),
            self.team_id.is_some(),
            self.inbox_id.is_some(),
            self.label.is_some(),
            self.priority.is_some(),
            self.contact_id.is_some(),
        ];
        match others.iter().filter(|b| **b).count() {
            0 => Some(format!("status:{s}")),
            1 => match (&self.assignee, self.team_id, self.inbox_id, &self.label) {
                (AssigneeFilter::User(u), ..) => Some(format!("status:{s}:assignee:{u}")),
                (AssigneeFilter::Nobody, ..) => Some(format!("status:{s}:unassigned")),
                (_, Some(t), ..) => Some(format!("status:{s}:team:{t}")),
                (_, _, Some(i), _) => Some(format!("status:{s}:inbox:{i}")),
                (_, _, _, Some(l)) => Some(format!("status:{s}:label:{l}")),
                _ => None,
            },
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv() -> Conversation {
        Conversation::open(WorkspaceId::new(), 1, InboxId::new(), ContactId::new(), None, 0)
    }

    #[test]
    fn resolving_and_reopening_keeps_analytics() {
        let mut c = conv();
        assert!(c.set_status(Status::Resolved, None, 10).unwrap());
        assert_eq!(c.resolved_at, Some(10));
        assert!(!c.set_status(Status::Resolved, None, 11).unwrap());
        c.set_status(Status::Open, None, 12).unwrap();
        assert_eq!(c.reopen_count, 1);
    }

    #[test]
    fn snooze_needs_a_future_time() {
        let mut c = conv();
        assert!(c.set_status(Status::Snoozed, None, 10).is_err());
        assert!(c.set_status(Status::Snoozed, Some(5), 10).is_err());
        assert!(c.set_status(Status::Open, Some(50), 10).is_err());
        assert!(c.set_status(Status::Snoozed, Some(50), 10).unwrap());
        c.on_inbound(20, "hi");
        assert_eq!(c.status, Status::Open);
        assert_eq!(c.snoozed_until, None);
    }

    #[test]
    fn first_response_is_set_once() {
        let mut c = conv();
        c.on_inbound(1, "a");
        c.on_reply(5, "b");
        c.on_inbound(6, "c");
        c.on_reply(9, "d");
        assert_eq!((c.preview.as_deref(), c.last_inbound_at), (Some("d"), Some(6)));
        assert_eq!(preview_of(&"word ".repeat(100)).chars().count(), 140);
        assert_eq!(c.first_response_at, Some(5));
        assert_eq!(c.waiting_since, None);
        assert_eq!(c.message_count, 4);
    }

    #[test]
    fn counter_keys_follow_filters() {
        let mut c = conv();
        c.labels = vec!["vip".into()];
        let keys = c.counter_keys();
        let f = ConversationFilter { status: Some(Status::Open), label: Some("vip".into()), ..Default::default() };
        assert!(keys.contains(&f.counter_key().unwrap()));
        let f =
            ConversationFilter { status: Some(Status::Open), assignee: AssigneeFilter::Nobody, ..Default::default() };
        assert!(keys.contains(&f.counter_key().unwrap()));
        let f = ConversationFilter {
            status: Some(Status::Open),
            assignee: AssigneeFilter::Nobody,
            label: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(f.counter_key(), None);
        assert!(normalise_label("Billing").is_ok());
        assert!(normalise_label("a b").is_err());
    }
}
