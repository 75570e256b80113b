//! Automatic assignment: the waiting conversations of a workspace, in queue order, each
//! given to the agent its queue's policy chooses among those online with room; every
//! assignment is an activity line carrying the choice's reason. Decisions are made on a
//! snapshot read first, then written in one transaction that re-checks each conversation
//! still waits, so a conversation a teammate took meanwhile is left alone.

use super::{ROUTE, Snapshot};
use crate::conversations::{conversation_event, message_event, notification_event};
use crate::{App, Result};
use domain::event::NewEvent;
use domain::{
    AgentSlot, AssignmentPolicy, Author, ChannelKind, Choice, ConversationId, EventKind, InboxId, Job, Message,
    MessageKind, Notification, NotificationId, Presence, QueueScope, Status, TeamId, UserId, Waiting, WorkspaceId,
    choose_agent, sort_queue,
};
use serde_json::json;
use std::collections::HashMap;

/// The most waiting conversations one pass looks at.
pub(crate) const MAX_WAITING: usize = 10_000;
/// Positions carried by a `queue.updated` event.
const POSITIONS_IN_EVENT: usize = 100;

/// One decision of a pass.
struct Planned {
    id: ConversationId,
    choice: Choice,
    scope: QueueScope,
    policy: AssignmentPolicy,
}

/// The waiting conversations of a workspace with their queue, in queue order.
pub(crate) struct Queue {
    pub(crate) items: Vec<(Waiting, i64, QueueScope, InboxId, Option<TeamId>)>,
}

impl Queue {
    pub(crate) fn new(rows: Vec<(Waiting, i64, InboxId, Option<TeamId>)>) -> Queue {
        let scope_of: HashMap<ConversationId, (i64, InboxId, Option<TeamId>)> =
            rows.iter().map(|(w, n, i, t)| (w.id, (*n, *i, *t))).collect();
        let mut waiting: Vec<Waiting> = rows.iter().map(|(w, ..)| *w).collect();
        sort_queue(&mut waiting);
        let items = waiting
            .into_iter()
            .filter_map(|w| {
                let (n, inbox, team) = scope_of.get(&w.id).copied()?;
                let scope = match team {
                    Some(t) => QueueScope::Team(t),
                    None => QueueScope::Inbox(inbox),
                };
                Some((w, n, scope, inbox, team))
            })
            .collect();
        Queue { items }
    }

    /// The waiting conversations of one queue with their 1-based positions.
    pub(crate) fn positions(&self, scope: QueueScope) -> impl Iterator<Item = (usize, &Waiting, i64)> {
        self.items.iter().filter(move |(_, _, s, ..)| *s == scope).enumerate().map(|(i, (w, n, ..))| (i + 1, w, *n))
    }
}

impl App {
    /// Runs a routing job: a pass over the job's workspace.
    pub(crate) async fn run_route_job(&self, job: &Job) -> Result<()> {
        debug_assert_eq!(job.kind, ROUTE);
        let joined: Option<ConversationId> = serde_json::from_value(job.payload["conversation_id"].clone()).ok();
        self.route_waiting(job.workspace_id, joined).await.map(|_| ())
    }

    /// Assigns the waiting conversations of `ws` that an agent can take, in queue order;
    /// returns how many were assigned. `joined` (a conversation that just entered the queue)
    /// has its queue announced even when nobody could take it.
    pub async fn route_waiting(&self, ws: WorkspaceId, joined: Option<ConversationId>) -> Result<usize> {
        let now = self.now();
        let (snap, queue) = {
            let mut tx = self.store_().read().await?;
            let rows = tx.waiting_conversations(ws, MAX_WAITING).await?;
            if rows.is_empty() {
                return Ok(0);
            }
            (Snapshot::load(&mut tx, ws, now).await?, Queue::new(rows))
        };
        let plan = plan(&snap, &queue);
        let joined_scope = joined.and_then(|id| queue.items.iter().find(|(w, ..)| w.id == id).map(|(_, _, s, ..)| *s));
        if plan.is_empty() && joined_scope.is_none() {
            return Ok(0);
        }
        let mut tx = self.store_().write().await?;
        let mut events: Vec<NewEvent> = Vec::new();
        let mut assigned: Vec<ConversationId> = Vec::new();
        let mut scopes: Vec<QueueScope> = joined_scope.into_iter().collect();
        for p in &plan {
            let Some(before) = tx.conversation_for_update(ws, p.id).await? else { continue };
            if before.assignee_id.is_some() || before.status != Status::Open {
                continue;
            }
            let user = p.choice.user_id;
            let name = snap.members.iter().find(|(u, _)| *u == user).map(|(_, n)| n.as_str()).unwrap_or("an agent");
            let mut after = before.clone();
            after.assignee_id = Some(user);
            after.participants.retain(|u| *u != user);
            after.last_activity_at = now;
            let line = format!("Assigned to {name} automatically ({})", p.choice.reason);
            let m = Message::from_team(&after, MessageKind::Activity, Author::System, line, now);
            tx.insert_message(&m).await?;
            tx.update_conversation(&before, &after).await?;
            tx.move_counters(ws, &before.counter_keys(), &after.counter_keys()).await?;
            tx.start_assignment(ws, after.id, user, now).await?;
            crate::widget::on_assigned(&mut tx, &after, now).await?;
            crate::rules::on_change(&mut tx, &before, &after, now).await?;
            tx.mark_assigned(ws, user, now).await?;
            if p.policy == AssignmentPolicy::RoundRobin {
                tx.set_routing_turn(ws, p.scope, user).await?;
            }
            let n = Notification {
                id: NotificationId::new(),
                workspace_id: ws,
                user_id: user,
                kind: "assignment".into(),
                conversation_id: after.id,
                message_id: None,
                actor_id: None,
                read_at: None,
                created_at: now,
            };
            tx.insert_notification(&n).await?;
            events.push(message_event(&m));
            events.push(conversation_event(EventKind::ConversationUpdated, &after));
            events.push(notification_event(&n));
            assigned.push(after.id);
            let scope = QueueScope::of(&after);
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let remaining = Queue { items: queue.items.into_iter().filter(|(w, ..)| !assigned.contains(&w.id)).collect() };
        for scope in scopes {
            events.push(queue_event(&remaining, scope));
        }
        self.commit(tx, ws, events).await?;
        if !assigned.is_empty() {
            self.wake_workers();
        }
        Ok(assigned.len())
    }
}

/// Decides, in queue order, who takes each waiting conversation, as if each decision had
/// been applied before the next (loads grow, round-robin turns move).
fn plan(snap: &Snapshot, queue: &Queue) -> Vec<Planned> {
    let mut slots: HashMap<UserId, AgentSlot> = snap
        .members
        .iter()
        .filter_map(|(u, _)| {
            let p = snap.presence.get(u)?;
            let presence = p.effective(&snap.settings, snap.now);
            (presence == Presence::Online).then(|| {
                let slot = AgentSlot {
                    user_id: *u,
                    presence,
                    load: snap.loads.get(u).map(|l| l.0).unwrap_or(0.0),
                    max_load: p.capacity(&snap.settings),
                    last_assigned_at: p.last_assigned_at,
                };
                (*u, slot)
            })
        })
        .collect();
    let mut turns: HashMap<QueueScope, Option<UserId>> = HashMap::new();
    let mut out = Vec::new();
    let mut candidates: Vec<AgentSlot> = Vec::with_capacity(slots.len());
    for (w, _, _, inbox, team) in &queue.items {
        if slots.is_empty() {
            break;
        }
        let (scope, pool) = snap.decider(*inbox, *team);
        let (policy, stored_turn) = snap.policy(scope);
        if policy == AssignmentPolicy::Manual {
            continue;
        }
        let kind = snap.kinds.get(inbox).copied().unwrap_or(ChannelKind::Api);
        let weight = snap.settings.capacity.weights.weight(kind);
        candidates.clear();
        match pool {
            Some(members) => candidates.extend(members.iter().filter_map(|u| slots.get(u).copied())),
            None => candidates.extend(slots.values().copied()),
        }
        let turn = *turns.entry(scope).or_insert(stored_turn);
        let Some(choice) = choose_agent(policy, &candidates, weight, turn) else { continue };
        if let Some(slot) = slots.get_mut(&choice.user_id) {
            slot.load += weight;
            slot.last_assigned_at = Some(snap.now);
        }
        turns.insert(scope, Some(choice.user_id));
        out.push(Planned { id: w.id, choice, scope, policy });
    }
    out
}

/// `queue.updated`: a queue's size and the first positions in it.
pub(crate) fn queue_event(queue: &Queue, scope: QueueScope) -> NewEvent {
    let positions: Vec<serde_json::Value> = queue
        .positions(scope)
        .take(POSITIONS_IN_EVENT)
        .map(|(pos, w, number)| json!({ "conversation_id": w.id, "number": number, "position": pos }))
        .collect();
    let waiting = queue.positions(scope).count();
    NewEvent {
        kind: EventKind::QueueUpdated,
        conversation_id: None,
        user_id: None,
        data: json!({ "queue": scope, "waiting": waiting, "positions": positions }),
    }
}
