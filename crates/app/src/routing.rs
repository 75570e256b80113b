//! Routing: agents' presence and capacity, the workspace's routing settings and the
//! assignment policy of each inbox and team; the hooks that put a conversation up for
//! routing when it (re-)enters the queue; and the periodic pass that turns idle agents
//! away, returns an absent agent's conversations to the queue and assigns what waits.
//!
//! The rules themselves (eligibility, balanced and round-robin choice, auto-away, the wait
//! estimate) are the domain's; this module loads what they need and records what they
//! decide. Assignment is in [`assign`], the queue's reads in [`queue`].

mod assign;
mod queue;

pub use queue::{QueueEntry, QueuePlace, QueueSummary, QueueView};

use crate::conversations::{conversation_event, message_event};
use crate::{Actor, App, Error, Result};
use domain::event::NewEvent;
use domain::{
    AgentPresence, AssignedWork, AssignmentPolicy, Author, ChannelKind, Conversation, ConversationId, EventKind,
    InboxId, Job, Message, MessageKind, Millis, Presence, QueueScope, RoutingSettings, Status, TeamId, UserId,
    WorkspaceId, load_of, should_requeue,
};
use serde_json::json;
use std::collections::HashMap;
use store::Tx;

/// The job kind that routes a workspace's waiting conversations.
pub(crate) const ROUTE: &str = "route";

/// Open conversations re-queued per absent agent and pass.
const REQUEUE_BATCH: usize = 200;
/// Agents looked at per re-queue pass.
const REQUEUE_AGENTS: usize = 1_000;

/// The job that routes the waiting conversations of `ws`; `joined` names a conversation that
/// has just entered the queue (its queue is announced even when nobody can take it).
pub(crate) fn route_job(ws: WorkspaceId, joined: Option<ConversationId>, now: Millis) -> Job {
    Job::new(ws, ROUTE, json!({ "conversation_id": joined }), now, 3)
}

/// A member as routing sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentStatus {
    /// The member.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// The presence routing uses (online turns away after inactivity).
    pub presence: Presence,
    /// What they chose.
    pub chosen: Presence,
    /// Since when `presence` holds.
    pub since: Millis,
    /// Their last action in Chorus, when they ever set a presence.
    pub last_activity_at: Option<Millis>,
    /// Their load: the weights of their open and pending conversations.
    pub load: f64,
    /// Their capacity.
    pub max_load: f64,
    /// Their own capacity, when an admin set one.
    pub own_max_load: Option<f64>,
    /// How many open and pending conversations they hold.
    pub open_conversations: usize,
}

/// A queue's assignment policy.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePolicy {
    /// The inbox or team.
    pub scope: QueueScope,
    /// Its name.
    pub name: String,
    /// How it hands out conversations.
    pub policy: AssignmentPolicy,
}

/// Everything routing decisions in one workspace need, read in one transaction.
pub(crate) struct Snapshot {
    pub(crate) settings: RoutingSettings,
    pub(crate) kinds: HashMap<InboxId, ChannelKind>,
    pub(crate) inbox_names: HashMap<InboxId, String>,
    /// Active members with their names, by name.
    pub(crate) members: Vec<(UserId, String)>,
    pub(crate) presence: HashMap<UserId, AgentPresence>,
    /// Load and number of open conversations per agent.
    pub(crate) loads: HashMap<UserId, (f64, usize)>,
    pub(crate) teams: HashMap<TeamId, (String, Vec<UserId>)>,
    pub(crate) policies: HashMap<QueueScope, (AssignmentPolicy, Option<UserId>)>,
    pub(crate) now: Millis,
}

impl Snapshot {
    pub(crate) async fn load(tx: &mut Tx, ws: WorkspaceId, now: Millis) -> Result<Snapshot> {
        let settings = tx.routing_settings(ws).await?.unwrap_or_default();
        let inboxes = tx.list_inboxes(ws).await?;
        let kinds: HashMap<InboxId, ChannelKind> = inboxes.iter().map(|i| (i.id, i.kind)).collect();
        let inbox_names = inboxes.into_iter().map(|i| (i.id, i.name)).collect();
        let members =
            tx.list_members(ws).await?.into_iter().filter(|m| m.active).map(|m| (m.user.id, m.user.name)).collect();
        let presence = tx.list_presence(ws).await?.into_iter().map(|p| (p.user_id, p)).collect();
        let mut work: HashMap<UserId, Vec<AssignedWork>> = HashMap::new();
        for (user, inbox, last_activity_at) in tx.assigned_work(ws).await? {
            let channel = kinds.get(&inbox).copied().unwrap_or(ChannelKind::Api);
            work.entry(user).or_default().push(AssignedWork { channel, last_activity_at });
        }
        let loads = work.into_iter().map(|(u, w)| (u, (load_of(&w, &settings.capacity, now), w.len()))).collect();
        let teams = tx.list_teams(ws).await?.into_iter().map(|t| (t.id, (t.name, t.members))).collect();
        let policies = tx.routing_policies(ws).await?.into_iter().map(|(s, p, turn)| (s, (p, turn))).collect();
        Ok(Snapshot { settings, kinds, inbox_names, members, presence, loads, teams, policies, now })
    }

    /// The status of an active member.
    pub(crate) fn status_of(&self, user: UserId, name: &str) -> AgentStatus {
        let p = self.presence.get(&user).copied().unwrap_or_else(|| AgentPresence::offline(user, 0));
        let (load, open) = self.loads.get(&user).copied().unwrap_or((0.0, 0));
        let known = self.presence.contains_key(&user);
        AgentStatus {
            user_id: user,
            name: name.to_string(),
            presence: if known { p.effective(&self.settings, self.now) } else { Presence::Offline },
            chosen: p.chosen,
            since: p.effective_since(&self.settings, self.now),
            last_activity_at: known.then_some(p.last_activity_at),
            load,
            max_load: p.capacity(&self.settings),
            own_max_load: p.max_load,
            open_conversations: open,
        }
    }

    /// Every active member's status, by name.
    pub(crate) fn statuses(&self) -> Vec<AgentStatus> {
        self.members.iter().map(|(u, n)| self.status_of(*u, n)).collect()
    }

    /// The policy of a queue (manual unless set).
    pub(crate) fn policy(&self, scope: QueueScope) -> (AssignmentPolicy, Option<UserId>) {
        self.policies.get(&scope).copied().unwrap_or((AssignmentPolicy::Manual, None))
    }

    /// Which queue decides for a conversation of `inbox` and `team`, and the agents it may
    /// choose from (`None`: every active member). A team with a policy of its own decides
    /// among its members; otherwise the inbox decides among everyone.
    pub(crate) fn decider(&self, inbox: InboxId, team: Option<TeamId>) -> (QueueScope, Option<&[UserId]>) {
        if let Some(t) = team
            && self.policy(QueueScope::Team(t)).0 != AssignmentPolicy::Manual
        {
            let members = self.teams.get(&t).map(|(_, m)| m.as_slice()).unwrap_or(&[]);
            return (QueueScope::Team(t), Some(members));
        }
        (QueueScope::Inbox(inbox), None)
    }

    /// The agents who may take a queue's conversations (`None`: every active member).
    pub(crate) fn pool_of(&self, scope: QueueScope) -> Option<&[UserId]> {
        match scope {
            QueueScope::Team(t) => Some(self.teams.get(&t).map(|(_, m)| m.as_slice()).unwrap_or(&[])),
            QueueScope::Inbox(_) => None,
        }
    }

    /// Agents online in a pool.
    pub(crate) fn online_in(&self, pool: Option<&[UserId]>) -> usize {
        self.members
            .iter()
            .filter(|(u, _)| pool.is_none_or(|p| p.contains(u)))
            .filter(|(u, _)| {
                self.presence.get(u).is_some_and(|p| p.effective(&self.settings, self.now) == Presence::Online)
            })
            .count()
    }

    /// A queue's name for people.
    pub(crate) fn scope_name(&self, scope: QueueScope) -> String {
        match scope {
            QueueScope::Team(t) => self.teams.get(&t).map(|(n, _)| n.clone()),
            QueueScope::Inbox(i) => self.inbox_names.get(&i).cloned(),
        }
        .unwrap_or_else(|| "a former queue".into())
    }
}

impl App {
    /// The workspace's routing settings (defaults until an admin saves some).
    pub async fn routing_settings(&self, actor: &Actor) -> Result<RoutingSettings> {
        let mut tx = self.store_().read().await?;
        Ok(tx.routing_settings(actor.workspace_id).await?.unwrap_or_default())
    }

    /// Saves the workspace's routing settings (admins).
    pub async fn set_routing_settings(&self, actor: &Actor, settings: RoutingSettings) -> Result<RoutingSettings> {
        actor.require_admin()?;
        settings.validate()?;
        let mut tx = self.store_().write().await?;
        tx.set_routing_settings(actor.workspace_id, &settings, self.now()).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// Every inbox and team with its assignment policy.
    pub async fn assignment_policies(&self, actor: &Actor) -> Result<Vec<QueuePolicy>> {
        let mut tx = self.store_().read().await?;
        let snap = Snapshot::load(&mut tx, actor.workspace_id, self.now()).await?;
        let mut out: Vec<QueuePolicy> = Vec::new();
        let mut inboxes: Vec<(&InboxId, &String)> = snap.inbox_names.iter().collect();
        inboxes.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
        for (id, name) in inboxes {
            let scope = QueueScope::Inbox(*id);
            out.push(QueuePolicy { scope, name: name.clone(), policy: snap.policy(scope).0 });
        }
        let mut teams: Vec<(&TeamId, &String)> = snap.teams.iter().map(|(id, (n, _))| (id, n)).collect();
        teams.sort_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(b.0)));
        for (id, name) in teams {
            let scope = QueueScope::Team(*id);
            out.push(QueuePolicy { scope, name: name.clone(), policy: snap.policy(scope).0 });
        }
        Ok(out)
    }

    /// Sets how an inbox or team hands out conversations (admins); an automatic policy
    /// routes what already waits right away.
    pub async fn set_assignment_policy(
        &self,
        actor: &Actor,
        scope: QueueScope,
        policy: AssignmentPolicy,
    ) -> Result<QueuePolicy> {
        actor.require_admin()?;
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let name = match scope {
            QueueScope::Inbox(id) => tx.get_inbox(ws, id).await?.ok_or(Error::NotFound { what: "inbox" })?.name,
            QueueScope::Team(id) => tx.get_team(ws, id).await?.ok_or(Error::NotFound { what: "team" })?.name,
        };
        tx.set_routing_policy(ws, scope, policy).await?;
        if policy != AssignmentPolicy::Manual {
            tx.enqueue_job(&route_job(ws, None, now), now).await?;
        }
        tx.commit().await?;
        self.wake_workers();
        Ok(QueuePolicy { scope, name, policy })
    }

    /// Every active member with their presence and load (visible to the whole team).
    pub async fn agent_statuses(&self, actor: &Actor) -> Result<Vec<AgentStatus>> {
        let mut tx = self.store_().read().await?;
        Ok(Snapshot::load(&mut tx, actor.workspace_id, self.now()).await?.statuses())
    }

    async fn agent_status(&self, ws: WorkspaceId, user: UserId) -> Result<AgentStatus> {
        let mut tx = self.store_().read().await?;
        let snap = Snapshot::load(&mut tx, ws, self.now()).await?;
        let name = snap.members.iter().find(|(u, _)| *u == user).map(|(_, n)| n.clone());
        let name = name.ok_or(Error::NotFound { what: "user" })?;
        Ok(snap.status_of(user, &name))
    }

    /// Sets the caller's own presence; going online routes what waits.
    pub async fn set_presence(&self, actor: &Actor, presence: Presence) -> Result<AgentStatus> {
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        tx.set_presence(ws, actor.user_id, presence, now).await?;
        if presence == Presence::Online && tx.auto_assigns(ws).await? {
            tx.enqueue_job(&route_job(ws, None, now), now).await?;
        }
        let event = presence_event(actor.user_id, presence);
        self.commit(tx, ws, vec![event]).await?;
        self.wake_workers();
        self.agent_status(ws, actor.user_id).await
    }

    /// The caller's effective presence (offline until they set one).
    pub async fn my_presence(&self, actor: &Actor) -> Result<Presence> {
        let mut tx = self.store_().read().await?;
        let Some(p) = tx.get_presence(actor.workspace_id, actor.user_id).await? else { return Ok(Presence::Offline) };
        let settings = tx.routing_settings(actor.workspace_id).await?.unwrap_or_default();
        Ok(p.effective(&settings, self.now()))
    }

    /// Records that the caller is at work (keeps auto-away off while they use Chorus).
    pub async fn touch_presence(&self, actor: &Actor) -> Result<()> {
        let mut tx = self.store_().write().await?;
        tx.touch_presence(actor.workspace_id, actor.user_id, self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a member's capacity, or `None` for the workspace default (admins).
    pub async fn set_agent_capacity(&self, actor: &Actor, user: UserId, max_load: Option<f64>) -> Result<AgentStatus> {
        actor.require_admin()?;
        domain::routing::validate_agent_max_load(max_load)?;
        let ws = actor.workspace_id;
        let now = self.now();
        let mut tx = self.store_().write().await?;
        if tx.get_membership(ws, user).await?.is_none() {
            return Err(Error::NotFound { what: "user" });
        }
        tx.set_max_load(ws, user, max_load, now).await?;
        if tx.auto_assigns(ws).await? {
            tx.enqueue_job(&route_job(ws, None, now), now).await?;
        }
        tx.commit().await?;
        self.wake_workers();
        self.agent_status(ws, user).await
    }

    /// The periodic routing pass of this node: returns the conversations of agents away or
    /// offline longer than their workspace allows to the queue, then assigns waiting
    /// conversations in every workspace that assigns automatically. Returns how many
    /// conversations moved.
    pub async fn run_routing(&self) -> Result<usize> {
        let now = self.now();
        let holders = {
            let mut tx = self.store_().read().await?;
            tx.presence_of_agents_with_open_work(REQUEUE_AGENTS).await?
        };
        let mut settings: HashMap<WorkspaceId, RoutingSettings> = HashMap::new();
        let mut moved = 0;
        let mut touched: Vec<WorkspaceId> = Vec::new();
        for (ws, p) in holders {
            let s = match settings.get(&ws) {
                Some(s) => *s,
                None => {
                    let mut tx = self.store_().read().await?;
                    let s = tx.routing_settings(ws).await?.unwrap_or_default();
                    settings.insert(ws, s);
                    s
                }
            };
            let Some(after_minutes) = s.requeue_after_minutes else { continue };
            let presence = p.effective(&s, now);
            let since = p.effective_since(&s, now);
            if should_requeue(presence, since, now, after_minutes) {
                moved += self.requeue_agent(ws, p.user_id, presence, since).await?;
                if !touched.contains(&ws) {
                    touched.push(ws);
                }
            }
        }
        let auto = {
            let mut tx = self.store_().read().await?;
            tx.workspaces_with_auto_assignment().await?
        };
        for ws in auto.into_iter().chain(touched.iter().copied()) {
            moved += self.route_waiting(ws, None).await?;
        }
        Ok(moved)
    }

    /// Returns an absent agent's open conversations to the queue, each with an activity line.
    async fn requeue_agent(&self, ws: WorkspaceId, user: UserId, presence: Presence, since: Millis) -> Result<usize> {
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let open = tx.open_assigned_to(ws, user, REQUEUE_BATCH).await?;
        if open.is_empty() {
            return Ok(0);
        }
        let name = tx.get_user(user).await?.map(|u| u.name).unwrap_or_else(|| "a former teammate".into());
        let minutes = (now - since).max(0) / 60_000;
        let line = format!(
            "Returned to the queue: {name} has been {presence} for {minutes} minute{}",
            if minutes == 1 { "" } else { "s" }
        );
        let mut events = Vec::with_capacity(open.len() * 2 + 1);
        for before in &open {
            let mut after = before.clone();
            after.assignee_id = None;
            after.last_activity_at = now;
            let m = Message::from_team(&after, MessageKind::Activity, Author::System, line.clone(), now);
            tx.insert_message(&m).await?;
            tx.update_conversation(before, &after).await?;
            tx.move_counters(ws, &before.counter_keys(), &after.counter_keys()).await?;
            tx.take_assignment_start(ws, after.id).await?;
            crate::rules::on_change(&mut tx, before, &after, now).await?;
            events.push(message_event(&m));
            events.push(queue_change(&after, "joined"));
            events.push(conversation_event(EventKind::ConversationUpdated, &after));
        }
        events.push(presence_event(user, presence));
        let n = open.len();
        self.commit(tx, ws, events).await?;
        Ok(n)
    }
}

fn presence_event(user: UserId, presence: Presence) -> NewEvent {
    NewEvent {
        kind: EventKind::PresenceUpdated,
        conversation_id: None,
        user_id: None,
        data: json!({ "user_id": user, "presence": presence }),
    }
}

/// Puts a conversation a customer just wrote in up for routing and for the rules, inside the
/// inbound transaction: when it waits (open, nobody assigned) and the workspace assigns
/// automatically, a routing job runs once the message is committed; when the workspace has
/// rules, a rules job does; a retiring inbox queues its notice (see [`crate::sunset`]).
/// Returns `queue.updated` for a new conversation that joins a queue.
pub(crate) async fn on_inbound(
    tx: &mut Tx,
    inbox: &domain::Inbox,
    c: &Conversation,
    m: &Message,
    now: Millis,
) -> Result<Vec<NewEvent>> {
    crate::sunset::on_inbound(tx, inbox, c, m, now).await?;
    let waiting = c.assignee_id.is_none() && c.status == Status::Open;
    if waiting && tx.auto_assigns(c.workspace_id).await? {
        tx.enqueue_job(&route_job(c.workspace_id, Some(c.id), now), now).await?;
    }
    crate::rules::on_inbound(tx, c, m, now).await?;
    Ok(if waiting && c.message_count <= 1 { vec![queue_change(c, "joined")] } else { Vec::new() })
}

/// `queue.updated` for one conversation that joined, left or moved within a queue (routing's
/// own passes send the queue's positions instead).
fn queue_change(c: &Conversation, change: &str) -> NewEvent {
    NewEvent {
        kind: EventKind::QueueUpdated,
        conversation_id: Some(c.id),
        user_id: None,
        data: json!({ "queue": QueueScope::of(c), "conversation_id": c.id, "number": c.number, "change": change }),
    }
}

/// Keeps routing's records in step with a change made by a teammate: when an assignment
/// starts, the handle time of a resolution, and a routing job when the conversation goes
/// back to the queue. Returns `queue.updated` when it joined, left or moved in a queue.
pub(crate) async fn on_change(
    tx: &mut Tx,
    before: &Conversation,
    after: &Conversation,
    now: Millis,
) -> Result<Option<NewEvent>> {
    let ws = after.workspace_id;
    if before.assignee_id != after.assignee_id {
        match after.assignee_id {
            Some(u) => {
                tx.start_assignment(ws, after.id, u, now).await?;
                crate::widget::on_assigned(tx, after, now).await?;
            }
            None => {
                tx.take_assignment_start(ws, after.id).await?;
            }
        }
    }
    if after.status == Status::Resolved && before.status != Status::Resolved {
        if let Some(at) = tx.take_assignment_start(ws, after.id).await? {
            tx.insert_handle_time(ws, after.id, now, (now - at).max(0)).await?;
        }
    } else if before.status == Status::Resolved
        && after.status != Status::Resolved
        && let Some(u) = after.assignee_id
    {
        tx.start_assignment(ws, after.id, u, now).await?;
    }
    let waiting = |c: &Conversation| c.status == Status::Open && c.assignee_id.is_none();
    if waiting(after) && !waiting(before) && tx.auto_assigns(ws).await? {
        tx.enqueue_job(&route_job(ws, Some(after.id), now), now).await?;
    }
    Ok(match (waiting(before), waiting(after)) {
        (false, true) => Some(queue_change(after, "joined")),
        (true, false) => Some(queue_change(before, "left")),
        (true, true) if QueueScope::of(before) != QueueScope::of(after) || before.priority != after.priority => {
            Some(queue_change(after, "moved"))
        }
        _ => None,
    })
}
