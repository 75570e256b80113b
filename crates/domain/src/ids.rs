//! Typed ids: a `ConversationId` can never be passed where a `ContactId` is expected.
//! All are UUIDv7, so they sort by creation time.

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map($name)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }
    )+};
}

typed_id!(
    /// A workspace: one support team's tenancy; every row belongs to one.
    WorkspaceId,
    /// A person who can sign in (an agent, admin or owner).
    UserId,
    /// A team of users.
    TeamId,
    /// One channel instance (an email address, a widget, an API integration, ...).
    InboxId,
    /// A customer.
    ContactId,
    /// A contact note.
    NoteId,
    /// A conversation.
    ConversationId,
    /// A message, note or activity line in a conversation.
    MessageId,
    /// A stored file attached to a message.
    AttachmentId,
    /// A notification for one user.
    NotificationId,
    /// A durable background job.
    JobId,
    /// A personal API token.
    TokenId,
    /// An automation rule.
    RuleId,
    /// An SLA policy.
    SlaPolicyId,
);
