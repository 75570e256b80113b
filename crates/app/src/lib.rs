//! Chorus's use cases: the one place that coordinates the store, the job queue, the event
//! bus and the clock. Every use case takes the caller's [`Actor`] (or, for channel
//! traffic, the inbox's workspace) and never reads or writes outside that workspace: an id
//! from another workspace is simply not found.
//!
//! Each write runs in one transaction that also appends its events to the log; events are
//! published only after the commit, so a live client never sees an event that was rolled back.
#![deny(missing_docs)]

mod access;
mod admin;
mod attachments;
mod auth;
mod batch;
mod contacts;
mod conversations;
mod email;
mod error;
mod events;
mod inbound;
mod jobs;
mod labels;
mod notifications;
mod routing;
mod rules;
mod sanitize;
mod search;
mod sla;
mod sunset;
mod widget;

pub use admin::{InboxInput, InboxPatch, MemberInput};
pub use attachments::{Content, INLINE_MAX, NewFile};
pub use auth::{Login, NewToken, TokenInfo};
pub use batch::WriterProfile;
pub use contacts::{ContactInput, ContactPatch};
pub use conversations::{ConversationList, ConversationQuery, ReplyInput};
pub use error::{Error, Result};
pub use events::{Ephemeral, EventBus, event_visible};
pub use inbound::{Inbound, InboundOutcome, Routing, Threading};
pub use jobs::{Deliverer, DeliveryError, DeliveryFuture, DeliveryRequest, Workers};
pub use labels::Label;
pub use routing::{AgentStatus, QueueEntry, QueuePlace, QueuePolicy, QueueSummary, QueueView};
pub use rules::{RuleInput, WebhookFuture, WebhookPoster};
pub use search::SearchResult;
pub use sla::{ConversationSla, SlaClockView, SlaPolicyInput};
pub use sunset::Straggler;
pub use widget::{HISTORY, MAX_WIDGET_TEXT, Sent, TeamStatus, Visitor, WidgetAuthor, WidgetMessage, WidgetState};

use domain::{Backoff, Inbox, InboxId, Millis, Role, UserId, WorkspaceId};
use std::path::PathBuf;
use std::sync::Arc;
use store::{Blobs, Store};

/// Who is calling: a signed-in member of one workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    /// The workspace every read and write is confined to.
    pub workspace_id: WorkspaceId,
    /// The member.
    pub user_id: UserId,
    /// Their role there.
    pub role: Role,
}

impl Actor {
    /// The command line acting on a workspace with an owner's rights (`chorus user create`,
    /// `chorus demo`); it is nobody's session and never reaches the HTTP layer.
    pub fn system(workspace_id: WorkspaceId) -> Actor {
        Actor { workspace_id, user_id: UserId(uuid::Uuid::nil()), role: Role::Owner }
    }

    /// Fails unless the actor may manage inboxes, teams and users.
    pub fn require_admin(&self) -> Result<()> {
        if self.role.can_administer() { Ok(()) } else { Err(Error::Forbidden("only admins and owners can do this")) }
    }
}

/// Where the time comes from; tests substitute a fixed clock.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch.
    fn now(&self) -> Millis;
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as Millis).unwrap_or(0)
    }
}

/// Settings the use cases need, decided once by the binary.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where attachments are stored (content-addressed).
    pub data_dir: PathBuf,
    /// The largest attachment accepted, in bytes.
    pub attachment_max_bytes: u64,
    /// How long a sign-in lasts, in ms.
    pub session_ttl_ms: i64,
    /// Retry schedule of failed jobs.
    pub backoff: Backoff,
    /// Delivery attempts before a reply is marked failed.
    pub delivery_max_attempts: i32,
    /// How long a worker holds a claimed job before another may take it, in ms.
    pub job_lease_ms: i64,
    /// How often this node's workers run the routing pass (auto-away re-queueing, and
    /// assigning what waits), in ms.
    pub routing_interval_ms: i64,
    /// How long a chat reply may stay unread before it is e-mailed (when the widget names an
    /// e-mail inbox and the customer left an address), in ms.
    pub widget_email_after_ms: i64,
    /// The widget assistant's words per language code (English is built in).
    pub phrases: Arc<std::collections::HashMap<String, domain::widget::Phrases>>,
}

impl AppConfig {
    /// Defaults for data kept in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        AppConfig {
            data_dir: data_dir.into(),
            attachment_max_bytes: 25 * 1024 * 1024,
            session_ttl_ms: 14 * 24 * 3_600_000,
            backoff: Backoff::default(),
            delivery_max_attempts: 8,
            job_lease_ms: 60_000,
            routing_interval_ms: 5_000,
            widget_email_after_ms: 3 * 60_000,
            phrases: Arc::default(),
        }
    }
}

/// The application: cheap to clone, shared by the HTTP server, the workers and the CLI.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    blobs: Blobs,
    bus: EventBus,
    clock: Arc<dyn Clock>,
    config: AppConfig,
    job_wake: tokio::sync::Notify,
    ingest: std::sync::OnceLock<tokio::sync::mpsc::Sender<batch::Request>>,
    /// Where the inbound writer's time went (see [`App::writer_profile`]).
    writer_profile: std::sync::Mutex<WriterProfile>,
    /// When this node last ran the routing pass.
    routing_ran_at: std::sync::atomic::AtomicI64,
    /// The widget assistant takes one turn at a time per conversation on this node (two
    /// quick messages of a customer must not both be greeted): a lock per stripe of
    /// conversation ids.
    assistant_turns: Vec<tokio::sync::Mutex<()>>,
    /// Credentials and inboxes checked recently (see `access`).
    tokens: access::Recent<String, store::TokenRecord>,
    sessions: access::Recent<String, store::SessionRecord>,
    members: access::Recent<(WorkspaceId, UserId), Option<Role>>,
    inboxes: access::Recent<InboxId, Inbox>,
}

impl App {
    /// Builds the application over an opened, migrated store.
    pub fn new(store: Store, config: AppConfig, clock: Arc<dyn Clock>) -> Result<App> {
        let blobs = Blobs::new(config.data_dir.join("attachments"));
        let bus = EventBus::new(store.clone());
        bus.spawn_relay();
        Ok(App {
            inner: Arc::new(Inner {
                store,
                blobs,
                bus,
                clock,
                config,
                job_wake: tokio::sync::Notify::new(),
                ingest: std::sync::OnceLock::new(),
                writer_profile: Default::default(),
                tokens: Default::default(),
                sessions: Default::default(),
                members: Default::default(),
                inboxes: Default::default(),
                routing_ran_at: std::sync::atomic::AtomicI64::new(i64::MIN),
                assistant_turns: (0..64).map(|_| tokio::sync::Mutex::new(())).collect(),
            }),
        })
    }

    /// The store, for the binary's maintenance commands (migrate, backup).
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Where the inbound writer's time went since the app started.
    pub fn writer_profile(&self) -> WriterProfile {
        *self.inner.writer_profile.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live event bus.
    pub fn bus(&self) -> &EventBus {
        &self.inner.bus
    }

    /// The settings in force.
    pub fn config(&self) -> &AppConfig {
        &self.inner.config
    }

    /// The current time.
    pub fn now(&self) -> Millis {
        self.inner.clock.now()
    }

    fn store_(&self) -> &Store {
        &self.inner.store
    }
}
