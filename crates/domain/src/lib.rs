//! Chorus's domain: typed ids, entities, validated values and the rules that need no I/O
//! (status machines, identity normalisation, mention parsing, counter keys, backoff), and
//! routing: presence, per-channel capacity, assignment (round robin, balanced), the queue
//! with its wait estimate, SLA policies counted in business hours, automation rules and
//! inbox sunset notices.
//!
//! Nothing here touches a database, a socket or a clock: callers pass the time in.
#![deny(missing_docs)]

pub mod assignment;
pub mod capacity;
pub mod contact;
pub mod conversation;
pub mod email;
pub mod error;
pub mod event;
pub mod ids;
pub mod inbox;
pub mod job;
pub mod message;
pub mod page;
pub mod presence;
pub mod queue;
pub mod routing;
pub mod rules;
pub mod sla;
pub mod sunset;
pub mod user;
pub mod widget;

pub use assignment::{AgentSlot, AssignmentPolicy, AssignmentReason, Choice, choose_agent, requeue_at, should_requeue};
pub use capacity::{AssignedWork, CapacitySettings, ChannelWeights, DEFAULT_MAX_LOAD, has_room, load_of};

pub use contact::{Contact, ContactNote, Identity, IdentityKind};
pub use conversation::{AssigneeFilter, Conversation, ConversationFilter, Priority, Status};
pub use error::DomainError;
pub use event::{Event, EventKind, NewEvent};
pub use ids::*;
pub use inbox::{ChannelKind, Inbox, InboxSettings, InboxStatus};
pub use job::{Backoff, Job, JobStatus};
pub use message::{Attachment, Author, DeliveryStatus, Direction, Message, MessageKind, MessageMeta};
pub use page::{Cursor, Page};
pub use presence::{Presence, auto_away_at, effective_presence};
pub use queue::{MIN_SAMPLES, WaitRange, Waiting, estimate_wait, position_of, queue_order, sort_queue};
pub use routing::{AgentPresence, QueueScope, RoutingSettings};
pub use rules::{Action, Condition, Facts, MAX_RULE_DEPTH, Rule, RuleChain, Trigger};
pub use sla::{
    BusinessHours, OpenInterval, SlaClock, SlaEvent, SlaKind, SlaPause, SlaPolicy, SlaState, SlaTargetRule, SlaTargets,
    SlaTimeline, WeekSchedule,
};
pub use sunset::{Alternative, SunsetSettings, notice_text};
pub use user::{Membership, Notification, Role, Team, User, Workspace};

/// Milliseconds since the Unix epoch, the one time representation stored and passed around.
pub type Millis = i64;

/// Implements `as_str`, `Display` and `FromStr` for a fieldless enum stored as text.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::invalid(
                        $what,
                        format!("unknown {} {:?}; expected one of: {}", $what, s, [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
}
pub(crate) use text_enum;
