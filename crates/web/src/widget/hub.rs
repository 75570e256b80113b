//! This node's fan-out of live events to widget connections. One task reads the event bus
//! and the ephemeral signals and hands each connection only what concerns its conversation,
//! so ten thousand idle connections cost no wake-ups when other conversations change.
//!
//! A connection whose queue is full is marked lagging instead of blocking the hub; it then
//! catches up from the event log, which is the truth in any case.

use app::{App, Ephemeral};
use domain::{ConversationId, Event, EventKind, WorkspaceId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// How many pushes wait for a slow connection before it is marked lagging.
const QUEUE: usize = 32;

/// What the hub tells a connection.
#[derive(Debug, Clone)]
pub(crate) enum Push {
    /// A message of its conversation was created or changed (by the event of `seq`).
    Message { seq: i64, message_id: domain::MessageId },
    /// Its conversation changed; `key` is its status and assignee after the change (a
    /// connection that already has them need not look).
    Conversation { seq: i64, key: Arc<str> },
    /// Its place in the queue now (`None`: it no longer waits).
    Queue(Option<Arc<serde_json::Value>>),
    /// A teammate is typing (`true`) or looking (`false`) at the conversation.
    Agent { name: Arc<str>, typing: bool },
    /// Pushes were dropped: catch up from the log.
    Lagged,
}

/// A connection's mailbox as the hub holds it.
struct Mailbox {
    id: u64,
    workspace: WorkspaceId,
    tx: mpsc::Sender<Push>,
    lagged: Arc<AtomicBool>,
    /// Whether the conversation waits in a queue (queue changes matter then).
    waiting: Arc<AtomicBool>,
}

#[derive(Default)]
struct Routes {
    by_conversation: HashMap<ConversationId, Vec<Mailbox>>,
}

/// The hub: cheap to clone.
#[derive(Clone)]
pub(crate) struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    routes: Mutex<Routes>,
    next_id: AtomicU64,
    /// Workspaces whose queues changed since the places were last sent.
    dirty: Mutex<std::collections::HashSet<WorkspaceId>>,
    refresh: tokio::sync::Notify,
}

/// Queue changes are gathered this long before places are read again: one read per
/// workspace serves every waiting visitor.
const QUEUE_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(300);

/// A connection's subscription to one conversation; dropping it unsubscribes.
pub(crate) struct Subscription {
    hub: Weak<HubInner>,
    id: u64,
    conversation: ConversationId,
    /// Set by the connection while its conversation waits in a queue.
    pub(crate) waiting: Arc<AtomicBool>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// Whether pushes were dropped since the last call (and clears the mark).
    pub(crate) fn take_lagged(&self) -> bool {
        self.lagged.swap(false, Ordering::AcqRel)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            let mut routes = hub.routes.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(list) = routes.by_conversation.get_mut(&self.conversation) {
                list.retain(|m| m.id != self.id);
                if list.is_empty() {
                    routes.by_conversation.remove(&self.conversation);
                }
            }
        }
    }
}

impl Hub {
    /// A hub relaying `app`'s events; its task ends when the last clone is dropped.
    pub(crate) fn start(app: &App) -> Hub {
        let hub = Hub {
            inner: Arc::new(HubInner {
                routes: Mutex::default(),
                next_id: AtomicU64::new(1),
                dirty: Mutex::default(),
                refresh: tokio::sync::Notify::new(),
            }),
        };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(relay(Arc::downgrade(&hub.inner), app.bus().subscribe(), app.bus().subscribe_ephemeral()));
            handle.spawn(places(Arc::downgrade(&hub.inner), app.clone()));
        }
        hub
    }

    /// Subscribes `tx` to a conversation's pushes.
    pub(crate) fn subscribe(
        &self,
        ws: WorkspaceId,
        conversation: ConversationId,
        tx: mpsc::Sender<Push>,
    ) -> Subscription {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let lagged = Arc::new(AtomicBool::new(false));
        let waiting = Arc::new(AtomicBool::new(false));
        let mailbox = Mailbox { id, workspace: ws, tx, lagged: lagged.clone(), waiting: waiting.clone() };
        let mut routes = self.inner.routes.lock().unwrap_or_else(|p| p.into_inner());
        routes.by_conversation.entry(conversation).or_default().push(mailbox);
        Subscription { hub: Arc::downgrade(&self.inner), id, conversation, waiting, lagged }
    }

    /// A mailbox for one connection.
    pub(crate) fn mailbox() -> (mpsc::Sender<Push>, mpsc::Receiver<Push>) {
        mpsc::channel(QUEUE)
    }
}

fn deliver(m: &Mailbox, push: Push) {
    match m.tx.try_send(push) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            m.lagged.store(true, Ordering::Release);
            // Wake it so it catches up even if nothing else arrives.
            let _ = m.tx.try_send(Push::Lagged);
        }
        Err(mpsc::error::TrySendError::Closed(_)) => {}
    }
}

async fn relay(
    hub: Weak<HubInner>,
    mut events: tokio::sync::broadcast::Receiver<Arc<Event>>,
    mut signals: tokio::sync::broadcast::Receiver<Arc<Ephemeral>>,
) {
    loop {
        tokio::select! {
            e = events.recv() => match e {
                Ok(e) => {
                    let Some(hub) = hub.upgrade() else { return };
                    route_event(&hub, &e);
                }
                Err(RecvError::Lagged(_)) => {
                    let Some(hub) = hub.upgrade() else { return };
                    let routes = hub.routes.lock().unwrap_or_else(|p| p.into_inner());
                    for m in routes.by_conversation.values().flatten() {
                        deliver(m, Push::Lagged);
                    }
                }
                Err(RecvError::Closed) => return,
            },
            s = signals.recv() => match s {
                Ok(s) => {
                    let Some(hub) = hub.upgrade() else { return };
                    // The customer's own typing comes back with the nil user: not for them.
                    if s.user_id.0.is_nil() {
                        continue;
                    }
                    let typing = s.activity == "typing";
                    let name: Arc<str> = Arc::from(s.name.as_str());
                    let routes = hub.routes.lock().unwrap_or_else(|p| p.into_inner());
                    for m in routes.by_conversation.get(&s.conversation_id).into_iter().flatten() {
                        if m.workspace == s.workspace_id {
                            deliver(m, Push::Agent { name: name.clone(), typing });
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}

fn route_event(hub: &HubInner, e: &Event) {
    let routes = hub.routes.lock().unwrap_or_else(|p| p.into_inner());
    let to_conversation = |push: Push| {
        if let Some(c) = e.conversation_id {
            for m in routes.by_conversation.get(&c).into_iter().flatten() {
                if m.workspace == e.workspace_id {
                    deliver(m, push.clone());
                }
            }
        }
    };
    match e.kind {
        EventKind::MessageCreated | EventKind::MessageUpdated => {
            let id = e.data.get("message_id").and_then(|v| serde_json::from_value(v.clone()).ok());
            if let Some(message_id) = id {
                to_conversation(Push::Message { seq: e.seq, message_id });
            }
        }
        EventKind::ConversationUpdated => {
            let key = conversation_key(e.data.get("status"), e.data.get("assignee_id"));
            to_conversation(Push::Conversation { seq: e.seq, key: Arc::from(key.as_str()) })
        }
        EventKind::QueueUpdated => {
            hub.dirty.lock().unwrap_or_else(|p| p.into_inner()).insert(e.workspace_id);
            hub.refresh.notify_one();
        }
        _ => {}
    }
}

/// Sends every waiting visitor of a workspace whose queue changed their new place: the
/// places are read once per workspace, however many visitors wait.
async fn places(hub: Weak<HubInner>, app: App) {
    loop {
        {
            // Holds the hub at most a few seconds at a time, so the task ends soon after it.
            let Some(inner) = hub.upgrade() else { return };
            let woken = tokio::select! {
                _ = inner.refresh.notified() => true,
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => false,
            };
            if !woken {
                continue;
            }
        }
        tokio::time::sleep(QUEUE_DEBOUNCE).await;
        let Some(inner) = hub.upgrade() else { return };
        let mut dirty: Vec<WorkspaceId> = inner.dirty.lock().unwrap_or_else(|p| p.into_inner()).drain().collect();
        // A workspace none of whose visitors is connected here has nobody to tell: its
        // queue is not read (a connection reads its own place when it opens).
        {
            let routes = inner.routes.lock().unwrap_or_else(|p| p.into_inner());
            dirty.retain(|ws| routes.by_conversation.values().flatten().any(|m| m.workspace == *ws));
        }
        drop(inner);
        for ws in dirty {
            let places = match app.queue_places(ws).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "widget: could not read the queue places");
                    continue;
                }
            };
            let Some(inner) = hub.upgrade() else { return };
            let routes = inner.routes.lock().unwrap_or_else(|p| p.into_inner());
            for (conversation, mailboxes) in &routes.by_conversation {
                let place = places.get(conversation).map(|p| Arc::new(super::queue_json(p)));
                for m in mailboxes.iter().filter(|m| m.workspace == ws) {
                    if place.is_some() || m.waiting.load(Ordering::Acquire) {
                        deliver(m, Push::Queue(place.clone()));
                    }
                }
            }
        }
    }
}

/// What a widget connection needs to know of a conversation change: its status and
/// assignee, as one comparable text.
pub(crate) fn conversation_key(status: Option<&serde_json::Value>, assignee: Option<&serde_json::Value>) -> String {
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_string();
    format!("{}/{}", text(status), text(assignee))
}
