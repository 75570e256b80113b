//! The queue as people and clients see it: waiting conversations per team or inbox in queue
//! order, each queue's size and longest wait, and one conversation's place with an honest
//! wait estimate.
//!
//! The estimate is made from recent *handle times* (from a conversation's assignment to its
//! resolution, the last [`SAMPLES`] within [`SAMPLE_WINDOW_MS`]) and the agents online in
//! the queue's pool; below the domain's ten samples there is none.

use super::assign::{MAX_WAITING, Queue};
use super::{AgentStatus, Snapshot};
use crate::{Actor, App, Error, Result};
use domain::{ConversationId, InboxId, Millis, Priority, QueueScope, Status, TeamId, WaitRange, estimate_wait};

/// How many recent handle times an estimate is made from.
pub const SAMPLES: usize = 100;
/// How far back handle times count: two weeks.
pub const SAMPLE_WINDOW_MS: Millis = 14 * 24 * 3_600_000;

/// A waiting conversation in its queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueEntry {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Its number for humans.
    pub number: i64,
    /// The queue it waits in.
    pub scope: QueueScope,
    /// Its inbox.
    pub inbox_id: InboxId,
    /// Its team.
    pub team_id: Option<TeamId>,
    /// Its priority.
    pub priority: Priority,
    /// Since when the customer waits.
    pub waiting_since: Millis,
    /// Its 1-based place in its queue.
    pub position: usize,
}

/// One queue's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSummary {
    /// The inbox or team.
    pub scope: QueueScope,
    /// Its name.
    pub name: String,
    /// Conversations waiting.
    pub waiting: usize,
    /// Since when the longest-waiting customer waits.
    pub longest_waiting_since: Option<Millis>,
    /// Agents online who may take its conversations.
    pub agents_online: usize,
}

/// The queue view: waiting conversations, per-queue figures and the team's presence.
#[derive(Debug, Clone)]
pub struct QueueView {
    /// Waiting conversations in queue order (at most the requested number).
    pub entries: Vec<QueueEntry>,
    /// Every queue with someone waiting (or the one asked for).
    pub queues: Vec<QueueSummary>,
    /// Every active member with presence and load.
    pub agents: Vec<AgentStatus>,
    /// Recent handle times the estimates rest on.
    pub samples: usize,
}

/// One conversation's place in its queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePlace {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The queue it waits (or would wait) in.
    pub scope: QueueScope,
    /// Whether it waits (open and unassigned).
    pub waiting: bool,
    /// Its 1-based place, while waiting.
    pub position: Option<usize>,
    /// Since when the customer waits, while waiting.
    pub waiting_since: Option<Millis>,
    /// The estimated wait; `None` without enough recent samples or nobody online.
    pub estimate: Option<WaitRange>,
    /// Recent handle times the estimate rests on.
    pub samples: usize,
    /// Agents online who may take it.
    pub agents_online: usize,
}

impl App {
    /// The waiting conversations (of one queue, or all), with per-queue figures and the
    /// team's presence; `limit` bounds the entries.
    pub async fn queue_view(&self, actor: &Actor, only: Option<QueueScope>, limit: usize) -> Result<QueueView> {
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().read().await?;
        match only {
            Some(QueueScope::Inbox(id)) if tx.get_inbox(ws, id).await?.is_none() => {
                return Err(Error::NotFound { what: "inbox" });
            }
            Some(QueueScope::Team(id)) if tx.get_team(ws, id).await?.is_none() => {
                return Err(Error::NotFound { what: "team" });
            }
            _ => {}
        }
        let queue = Queue::new(tx.waiting_conversations(ws, MAX_WAITING).await?);
        let snap = Snapshot::load(&mut tx, ws, now).await?;
        let samples = tx.recent_handle_times(ws, now - SAMPLE_WINDOW_MS, SAMPLES).await?.len();
        let mut scopes: Vec<QueueScope> = Vec::new();
        for (_, _, s, ..) in &queue.items {
            if only.is_none_or(|o| o == *s) && !scopes.contains(s) {
                scopes.push(*s);
            }
        }
        if let Some(o) = only
            && scopes.is_empty()
        {
            scopes.push(o);
        }
        let mut entries = Vec::new();
        let mut queues = Vec::with_capacity(scopes.len());
        for scope in &scopes {
            let mut waiting = 0;
            let mut longest: Option<Millis> = None;
            for (pos, w, number) in queue.positions(*scope) {
                waiting += 1;
                longest = Some(longest.map_or(w.waiting_since, |l| l.min(w.waiting_since)));
                let (inbox_id, team_id) = match queue.items.iter().find(|(x, ..)| x.id == w.id) {
                    Some((_, _, _, i, t)) => (*i, *t),
                    None => continue,
                };
                entries.push(QueueEntry {
                    conversation_id: w.id,
                    number,
                    scope: *scope,
                    inbox_id,
                    team_id,
                    priority: w.priority,
                    waiting_since: w.waiting_since,
                    position: pos,
                });
            }
            let agents_online = snap.online_in(snap.pool_of(*scope));
            queues.push(QueueSummary {
                scope: *scope,
                name: snap.scope_name(*scope),
                waiting,
                longest_waiting_since: longest,
                agents_online,
            });
        }
        // Queue order across queues: priority, then wait (the same order within each).
        entries.sort_by(|a, b| {
            b.priority
                .rank()
                .cmp(&a.priority.rank())
                .then(a.waiting_since.cmp(&b.waiting_since))
                .then(a.conversation_id.cmp(&b.conversation_id))
        });
        entries.truncate(limit);
        Ok(QueueView { entries, queues, agents: snap.statuses(), samples })
    }

    /// The place of every waiting conversation of a workspace, read once (the widget's live
    /// queue positions for all its waiting visitors).
    pub async fn queue_places(
        &self,
        ws: domain::WorkspaceId,
    ) -> Result<std::collections::HashMap<ConversationId, QueuePlace>> {
        let now = self.now();
        let mut tx = self.store_().read().await?;
        let queue = Queue::new(tx.waiting_conversations(ws, MAX_WAITING).await?);
        let snap = Snapshot::load(&mut tx, ws, now).await?;
        let samples = tx.recent_handle_times(ws, now - SAMPLE_WINDOW_MS, SAMPLES).await?;
        let mut scopes: Vec<QueueScope> = Vec::new();
        for (_, _, s, ..) in &queue.items {
            if !scopes.contains(s) {
                scopes.push(*s);
            }
        }
        let mut places = std::collections::HashMap::with_capacity(queue.items.len());
        for scope in scopes {
            let agents_online = snap.online_in(snap.pool_of(scope));
            for (pos, w, _) in queue.positions(scope) {
                places.insert(
                    w.id,
                    QueuePlace {
                        conversation_id: w.id,
                        scope,
                        waiting: true,
                        position: Some(pos),
                        waiting_since: Some(w.waiting_since),
                        estimate: estimate_wait(pos - 1, &samples, agents_online),
                        samples: samples.len(),
                        agents_online,
                    },
                );
            }
        }
        Ok(places)
    }

    /// A conversation's place in its queue and the estimated wait.
    pub async fn queue_place(&self, actor: &Actor, id: ConversationId) -> Result<QueuePlace> {
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().read().await?;
        let c = self.load_conversation(&mut tx, ws, id).await?;
        let scope = QueueScope::of(&c);
        let snap = Snapshot::load(&mut tx, ws, now).await?;
        let samples = tx.recent_handle_times(ws, now - SAMPLE_WINDOW_MS, SAMPLES).await?;
        let agents_online = snap.online_in(snap.pool_of(scope));
        let waiting = c.status == Status::Open && c.assignee_id.is_none();
        let mut place = QueuePlace {
            conversation_id: id,
            scope,
            waiting,
            position: None,
            waiting_since: None,
            estimate: None,
            samples: samples.len(),
            agents_online,
        };
        if waiting {
            let queue = Queue::new(tx.waiting_conversations(ws, MAX_WAITING).await?);
            if let Some((pos, w, _)) = queue.positions(scope).find(|(_, w, _)| w.id == id) {
                place.position = Some(pos);
                place.waiting_since = Some(w.waiting_since);
                place.estimate = estimate_wait(pos - 1, &samples, agents_online);
            }
        }
        Ok(place)
    }
}
