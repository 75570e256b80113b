//! Live events. Use cases append events to the log inside their transaction and call
//! [`App::commit`]; after the commit the bus is woken (and, on PostgreSQL, other nodes are
//! NOTIFYed). One relay task per node reads the log from where it left off and broadcasts
//! to this node's subscribers, so local writes, other nodes' writes and missed
//! notifications all take the same path: the log is the truth, notifications only say
//! "look now".

use crate::{Actor, App, Result};
use domain::event::NewEvent;
use domain::{Event, WorkspaceId};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use store::{Store, Tx};
use tokio::sync::{Notify, broadcast};

/// How often the relay looks at the log even without a notification.
const POLL: Duration = Duration::from_millis(1_000);
const BATCH: usize = 500;

/// This node's fan-out of the event log to live subscribers.
#[derive(Clone)]
pub struct EventBus {
    inner: Arc<BusInner>,
}

struct BusInner {
    sender: broadcast::Sender<Arc<Event>>,
    ephemeral: broadcast::Sender<Arc<Ephemeral>>,
    node: uuid::Uuid,
    wake: Notify,
    relayed: AtomicI64,
    /// Held while events are sent and `relayed` moves, so the relay and the inbound
    /// writer's direct deliveries never send an event twice or out of order.
    sending: std::sync::Mutex<()>,
    store: Store,
}

impl EventBus {
    pub(crate) fn new(store: Store) -> Self {
        let (sender, _) = broadcast::channel(4096);
        let (ephemeral, _) = broadcast::channel(1024);
        let inner = BusInner {
            sender,
            ephemeral,
            node: uuid::Uuid::now_v7(),
            wake: Notify::new(),
            relayed: AtomicI64::new(-1),
            sending: std::sync::Mutex::new(()),
            store,
        };
        EventBus { inner: Arc::new(inner) }
    }

    /// Receives every event this node relays from now on, in log order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.inner.sender.subscribe()
    }

    /// Receives ephemeral signals (who is viewing or typing) from this node and others.
    pub fn subscribe_ephemeral(&self) -> broadcast::Receiver<Arc<Ephemeral>> {
        self.inner.ephemeral.subscribe()
    }

    /// Passes an ephemeral signal to this node's subscribers and to other nodes.
    pub(crate) async fn publish_ephemeral(&self, signal: Ephemeral) {
        let wire = Wire { node: self.inner.node, signal };
        if let Ok(payload) = serde_json::to_string(&wire)
            && let Err(e) = self.inner.store.notify_ephemeral(&payload).await
        {
            tracing::debug!(error = %e, "could not pass an ephemeral signal to other nodes");
        }
        let _ = self.inner.ephemeral.send(Arc::new(wire.signal));
    }

    /// The highest sequence number relayed so far (-1 before the relay started).
    pub fn relayed(&self) -> i64 {
        self.inner.relayed.load(Ordering::Acquire)
    }

    pub(crate) fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Sends events this node has just committed, as the relay would after reading them
    /// back from the log, when they directly follow the last event relayed; the caller
    /// knows them already, and a read of the log would only add to their latency. Returns
    /// false when they do not follow on (an earlier commit's events are still unread, or
    /// the relay has not started): the relay must read the log.
    pub(crate) fn deliver(&self, events: Vec<Event>) -> bool {
        let inner = &self.inner;
        let _sending = inner.sending.lock().unwrap_or_else(|p| p.into_inner());
        for e in events {
            let relayed = inner.relayed.load(Ordering::Acquire);
            if e.seq <= relayed {
                continue;
            }
            if relayed < 0 || e.seq != relayed + 1 {
                return false;
            }
            let seq = e.seq;
            let _ = inner.sender.send(Arc::new(e));
            inner.relayed.store(seq, Ordering::Release);
        }
        true
    }

    /// Starts the relay on the current tokio runtime; it stops when the bus is dropped.
    pub(crate) fn spawn_relay(&self) {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&self.inner);
            handle.spawn(relay(weak));
        }
    }
}

async fn relay(weak: Weak<BusInner>) {
    let Some(store) = weak.upgrade().map(|b| b.store.clone()) else { return };
    let start = {
        let tx = store.read().await;
        match tx {
            Ok(mut tx) => tx.last_event_seq().await.unwrap_or(0),
            Err(_) => 0,
        }
    };
    if let Some(bus) = weak.upgrade() {
        bus.relayed.store(start, Ordering::Release);
    }
    let mut listener = store.listen_events().await.ok().flatten();
    let postgres = store.dialect() == store::Dialect::Postgres;
    loop {
        let Some(bus) = weak.upgrade() else { return };
        {
            let woken = bus.wake.notified();
            tokio::select! {
                _ = woken => {}
                _ = tokio::time::sleep(POLL) => {}
                r = async { match listener.as_mut() { Some(l) => l.recv().await, None => std::future::pending().await } } => {
                    match r {
                        Ok(store::Signal::Ephemeral(payload)) => {
                            if let Ok(wire) = serde_json::from_str::<Wire>(&payload)
                                && wire.node != bus.node {
                                    let _ = bus.ephemeral.send(Arc::new(wire.signal));
                                }
                            continue;
                        }
                        Ok(store::Signal::Log(_)) => {}
                        // The connection dropped: notifications sent meanwhile are lost, so
                        // reconnect and rely on the catch-up below.
                        Err(_) => listener = None,
                    }
                }
            }
        }
        if postgres && listener.is_none() {
            listener = store.listen_events().await.ok().flatten();
        }
        if let Err(e) = catch_up(&bus).await {
            // A closed store stays closed: nothing more will be logged to relay.
            if store.is_closed() {
                return;
            }
            tracing::warn!(error = %e, "event relay could not read the log; retrying");
        }
    }
}

async fn catch_up(bus: &BusInner) -> Result<()> {
    loop {
        let after = bus.relayed.load(Ordering::Acquire);
        let events = {
            let mut tx = bus.store.read().await?;
            tx.events_after(None, after, BATCH).await?
        };
        let n = events.len();
        let _sending = bus.sending.lock().unwrap_or_else(|p| p.into_inner());
        for e in events {
            // A direct delivery may have sent it while it was read.
            if e.seq <= bus.relayed.load(Ordering::Acquire) {
                continue;
            }
            let seq = e.seq;
            let _ = bus.sender.send(Arc::new(e));
            bus.relayed.store(seq, Ordering::Release);
        }
        if n < BATCH {
            return Ok(());
        }
    }
}

/// A signal that is shown live and never stored: who is looking at or typing in a
/// conversation right now.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Ephemeral {
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// The conversation.
    pub conversation_id: domain::ConversationId,
    /// Who.
    pub user_id: domain::UserId,
    /// Their name, to show.
    pub name: String,
    /// `viewing` or `typing`.
    pub activity: String,
    /// When.
    pub at: domain::Millis,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    node: uuid::Uuid,
    signal: Ephemeral,
}

/// Whether the actor may see an event: their workspace, and addressed to them if addressed.
pub fn event_visible(e: &Event, actor: &Actor) -> bool {
    e.workspace_id == actor.workspace_id && e.user_id.is_none_or(|u| u == actor.user_id)
}

impl App {
    /// Appends `events` to the log, commits, then publishes: the bus is woken and other
    /// nodes are notified only once the data is durable and visible.
    pub(crate) async fn commit(&self, mut tx: Tx, ws: WorkspaceId, events: Vec<NewEvent>) -> Result<()> {
        let seq = tx.append_events(ws, &events, self.now()).await?;
        tx.commit().await?;
        if let Some(seq) = seq {
            self.published(seq).await;
        }
        Ok(())
    }

    /// After a commit that logged events up to `seq`: wake this node's relay and tell the
    /// other nodes.
    pub(crate) async fn published(&self, seq: i64) {
        self.published_events(seq, Vec::new()).await;
    }

    /// [`App::published`] for a commit whose logged events are all in `events`, in order:
    /// they go to this node's subscribers at once when they follow the last event relayed
    /// (see [`EventBus::deliver`]); otherwise the relay reads them from the log.
    pub(crate) async fn published_events(&self, seq: i64, events: Vec<Event>) {
        if events.last().is_none_or(|e| e.seq != seq) || !self.bus().deliver(events) {
            self.bus().wake();
        }
        if let Err(e) = self.store_().notify_events(seq).await {
            // Other nodes still catch up on their next poll of the log.
            tracing::warn!(error = %e, seq, "could not notify other nodes of new events");
        }
    }

    /// Events after `after_seq` that the actor may see, oldest first (SSE catch-up).
    pub async fn events_since(&self, actor: &Actor, after_seq: i64, limit: usize) -> Result<Vec<Event>> {
        let mut tx = self.store_().read().await?;
        let events = tx.events_after(Some(actor.workspace_id), after_seq, limit).await?;
        Ok(events.into_iter().filter(|e| event_visible(e, actor)).collect())
    }
}
