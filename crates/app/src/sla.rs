//! SLAs: the workspace's policies (a default "Standard" one is made from the domain's
//! default targets the first time they are read), each conversation's clocks (first
//! response, next response, resolution) computed from its own timeline and pauses, and the
//! periodic pass that raises `sla.warning` and `sla.breached` once per clock.
//!
//! Clocks are derived, not stored: a conversation's first response runs from its opening to
//! the first reply, the next response from the customer's oldest unanswered message (after
//! the first reply) to the next reply, the resolution from opening to resolving. Time while
//! the conversation is `pending` on the customer does not count. A conversation follows its
//! inbox's own policy, else the workspace's default. The pass looks at conversations changed
//! since it last looked and keeps one timer per clock for the next warning or breach.

use crate::{Actor, App, Error, Result};
use domain::event::NewEvent;
use domain::sla::BusinessHoursSpec;
use domain::{
    BusinessHours, ChannelKind, Conversation, ConversationId, EventKind, InboxId, Millis, SlaClock, SlaKind, SlaPause,
    SlaPolicy, SlaPolicyId, SlaState, SlaTargetRule, SlaTimeline, Status, WorkspaceId,
};
use serde_json::json;
use std::collections::HashMap;
use store::Tx;
use uuid::Uuid;

/// Conversations the pass looks at per workspace and round.
const SCAN_BATCH: usize = 500;
/// Conversations whose timers are set, or timers fired, in one write transaction. Between
/// two, inbound messages and replies take their turn at the database: a round of 500 in
/// one transaction held every other write back for 60 to 85 ms.
const PER_TRANSACTION: usize = 25;
/// Timers the pass looks at per round.
const FIRE_BATCH: usize = 500;
/// How far back the pass looks for a workspace it has not seen, or after a policy changed:
/// a clock untouched for longer has long been decided.
pub(crate) const RESCAN_WINDOW_MS: Millis = 30 * 24 * 3_600_000;

/// What a new or changed SLA policy says.
#[derive(Debug, Clone)]
pub struct SlaPolicyInput {
    /// Its name.
    pub name: String,
    /// Targets per channel and priority; `None` keeps them (or, new, takes the defaults).
    pub targets: Option<Vec<SlaTargetRule>>,
    /// The business hours; `None` keeps them (or, new, around the clock).
    pub calendar: Option<BusinessHoursSpec>,
    /// The warning share; `None` keeps it (or, new, 0.75).
    pub warn_at: Option<f64>,
}

/// One clock of a conversation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaClockView {
    /// Which promise.
    pub kind: SlaKind,
    /// Where it stands.
    pub clock: SlaClock,
}

/// A conversation's SLA: the policy and its running or finished clocks.
#[derive(Debug, Clone)]
pub struct ConversationSla {
    /// The policy.
    pub policy_id: SlaPolicyId,
    /// Its name.
    pub policy_name: String,
    /// The clocks the policy has targets for.
    pub clocks: Vec<SlaClockView>,
}

impl ConversationSla {
    /// The clock that needs attention first: breached, else the soonest due among running.
    pub fn most_urgent(&self) -> Option<&SlaClockView> {
        use domain::SlaState::*;
        let live = |c: &&SlaClockView| matches!(c.clock.state, Running | Warning | Breached | Paused);
        self.clocks.iter().filter(live).min_by_key(|c| (c.clock.state != Breached, c.clock.time_left))
    }
}

/// The clocks of `c` under `policy` at `now`.
pub(crate) fn clocks_for(
    policy: &SlaPolicy,
    channel: ChannelKind,
    c: &Conversation,
    pauses: &[(Millis, Option<Millis>)],
    now: Millis,
) -> Vec<SlaClockView> {
    let targets = policy.targets_for(channel, c.priority);
    // A pause left open by a customer's message (which wakes a pending conversation without
    // a teammate's change) ended at that message.
    let pauses: Vec<SlaPause> = pauses
        .iter()
        .map(|&(from, until)| {
            let until = until.or_else(|| {
                (c.status != Status::Pending)
                    .then(|| c.last_inbound_at.filter(|t| *t >= from).unwrap_or(c.last_activity_at))
            });
            SlaPause { from, until }
        })
        .collect();
    let mut out = Vec::with_capacity(3);
    let mut add = |kind: SlaKind, started_at: Millis, stopped_at: Option<Millis>| {
        if let Some(minutes) = targets.get(kind) {
            let timeline = SlaTimeline { started_at, stopped_at, pauses: &pauses };
            out.push(SlaClockView {
                kind,
                clock: SlaClock::compute(minutes, policy.warn_at, &policy.calendar, &timeline, now),
            });
        }
    };
    add(SlaKind::FirstResponse, c.created_at, c.first_response_at);
    if c.first_response_at.is_some()
        && let Some(since) = c.waiting_since
    {
        add(SlaKind::NextResponse, since, None);
    }
    let resolved = (c.status == Status::Resolved).then_some(c.resolved_at).flatten();
    add(SlaKind::Resolution, c.created_at, resolved);
    out
}

fn builtin_default() -> SlaPolicy {
    SlaPolicy::new(SlaPolicyId::new(), "Standard")
}

impl App {
    /// The workspace's default policy, made from the built-in targets the first time.
    pub(crate) async fn default_policy(&self, ws: WorkspaceId) -> Result<SlaPolicy> {
        {
            let mut tx = self.store_().read().await?;
            if let Some(p) = tx.default_sla_policy(ws).await? {
                return Ok(p);
            }
        }
        let mut tx = self.store_().write().await?;
        if let Some(p) = tx.default_sla_policy(ws).await? {
            return Ok(p);
        }
        let p = builtin_default();
        tx.upsert_sla_policy(ws, &p, self.now()).await?;
        tx.set_default_sla_policy(ws, p.id).await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Every SLA policy with its default flag (the first call makes the default one).
    pub async fn sla_policies(&self, actor: &Actor) -> Result<Vec<(SlaPolicy, bool)>> {
        self.default_policy(actor.workspace_id).await?;
        let mut tx = self.store_().read().await?;
        Ok(tx.list_sla_policies(actor.workspace_id).await?)
    }

    /// One SLA policy with its default flag.
    pub async fn sla_policy(&self, actor: &Actor, id: SlaPolicyId) -> Result<(SlaPolicy, bool)> {
        let mut tx = self.store_().read().await?;
        tx.get_sla_policy(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "SLA policy" })
    }

    /// Creates an SLA policy (admins); `make_default` makes it the one that applies.
    pub async fn create_sla_policy(
        &self,
        actor: &Actor,
        input: SlaPolicyInput,
        make_default: bool,
    ) -> Result<(SlaPolicy, bool)> {
        actor.require_admin()?;
        let mut p = SlaPolicy::new(SlaPolicyId::new(), input.name);
        apply(&mut p, input.targets, input.calendar, input.warn_at)?;
        self.save_policy(actor, p, make_default).await
    }

    /// Changes an SLA policy (admins); absent parts stay.
    pub async fn update_sla_policy(
        &self,
        actor: &Actor,
        id: SlaPolicyId,
        name: Option<String>,
        input: SlaPolicyInput,
        make_default: bool,
    ) -> Result<(SlaPolicy, bool)> {
        actor.require_admin()?;
        let (mut p, _) = self.sla_policy(actor, id).await?;
        if let Some(n) = name {
            p.name = n;
        }
        apply(&mut p, input.targets, input.calendar, input.warn_at)?;
        self.save_policy(actor, p, make_default).await
    }

    async fn save_policy(&self, actor: &Actor, mut p: SlaPolicy, make_default: bool) -> Result<(SlaPolicy, bool)> {
        p.validate()?;
        let ws = actor.workspace_id;
        self.default_policy(ws).await?;
        let mut tx = self.store_().write().await?;
        tx.upsert_sla_policy(ws, &p, self.now()).await?;
        if make_default {
            tx.set_default_sla_policy(ws, p.id).await?;
        }
        // Every clock may have moved: the pass looks at the recent conversations again.
        tx.set_sla_scanned_until(ws, self.now() - RESCAN_WINDOW_MS).await?;
        let (p, is_default) = tx.get_sla_policy(ws, p.id).await?.ok_or(Error::NotFound { what: "SLA policy" })?;
        tx.commit().await?;
        Ok((p, is_default))
    }

    /// Deletes an SLA policy (admins); the default one cannot be deleted.
    pub async fn delete_sla_policy(&self, actor: &Actor, id: SlaPolicyId) -> Result<()> {
        actor.require_admin()?;
        let (_, is_default) = self.sla_policy(actor, id).await?;
        if is_default {
            return Err(Error::Conflict {
                field: "id",
                message: "this is the default policy; make another one the default first".into(),
            });
        }
        let mut tx = self.store_().write().await?;
        tx.delete_sla_policy(actor.workspace_id, id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A conversation's SLA clocks now.
    pub async fn conversation_sla(&self, actor: &Actor, id: ConversationId) -> Result<ConversationSla> {
        let ws = actor.workspace_id;
        self.default_policy(ws).await?;
        let mut tx = self.store_().read().await?;
        let c = self.load_conversation(&mut tx, ws, id).await?;
        let ctx = TimerCtx::load(&mut tx, ws).await?;
        let pauses = tx.sla_pauses(ws, id).await?;
        Ok(ctx.sla(&c, &pauses, self.now()))
    }

    /// The SLA of several conversations at once (list rows).
    pub async fn conversations_sla(
        &self,
        actor: &Actor,
        conversations: &[Conversation],
    ) -> Result<HashMap<ConversationId, ConversationSla>> {
        let ws = actor.workspace_id;
        self.default_policy(ws).await?;
        let mut tx = self.store_().read().await?;
        let ctx = TimerCtx::load(&mut tx, ws).await?;
        let now = self.now();
        let mut out = HashMap::with_capacity(conversations.len());
        for c in conversations.iter().filter(|c| c.workspace_id == ws) {
            let pauses = tx.sla_pauses(ws, c.id).await?;
            out.insert(c.id, ctx.sla(c, &pauses, now));
        }
        Ok(out)
    }

    /// The periodic SLA pass: sets timers for conversations changed since the last pass and
    /// raises the warnings and breaches that are due (each once per clock). Returns how many
    /// events it raised.
    pub async fn run_sla(&self) -> Result<usize> {
        let workspaces = {
            let mut tx = self.store_().read().await?;
            tx.all_workspace_ids().await?
        };
        for ws in workspaces {
            self.scan_sla(ws).await?;
        }
        self.fire_sla().await
    }

    async fn scan_sla(&self, ws: WorkspaceId) -> Result<()> {
        let now = self.now();
        let since = {
            let mut tx = self.store_().read().await?;
            let since = tx.sla_scanned_until(ws).await?.unwrap_or(now - RESCAN_WINDOW_MS);
            if tx.conversations_changed_after(ws, (since, Uuid::nil()), 1).await?.is_empty() {
                return Ok(());
            }
            since
        };
        let mut after = (since, Uuid::nil());
        let mut scanned = 0;
        loop {
            let mut tx = self.store_().write().await?;
            // A changed policy sets the mark back meanwhile: this round ends, and the next
            // starts from there.
            if tx.sla_scanned_until(ws).await?.unwrap_or(now - RESCAN_WINDOW_MS) != since {
                return Ok(());
            }
            let changed = tx.conversations_changed_after(ws, after, PER_TRANSACTION).await?;
            let ctx = TimerCtx::load(&mut tx, ws).await?;
            for c in &changed {
                ctx.set_timers(&mut tx, c, now).await?;
            }
            if let Some(last) = changed.last() {
                after = (last.last_activity_at, last.id.0);
            }
            scanned += changed.len();
            let finished = changed.len() < PER_TRANSACTION;
            if finished || scanned >= SCAN_BATCH {
                // A round that stopped at its limit may have stopped inside a run of equal
                // times: that time is looked at again next round (setting timers twice is
                // harmless).
                let next = if finished { after.0 + 1 } else { after.0 };
                tx.set_sla_scanned_until(ws, next).await?;
                tx.commit().await?;
                return Ok(());
            }
            tx.commit().await?;
        }
    }

    /// Fires the timers that are due, [`PER_TRANSACTION`] per write transaction and at most
    /// [`FIRE_BATCH`] per round; returns how many raised an event.
    async fn fire_sla(&self) -> Result<usize> {
        let mut fired = 0;
        let mut looked_at = 0;
        while looked_at < FIRE_BATCH {
            let (due, raised) = self.fire_sla_chunk().await?;
            fired += raised;
            looked_at += due;
            if due < PER_TRANSACTION {
                break;
            }
        }
        Ok(fired)
    }

    /// Fires up to [`PER_TRANSACTION`] due timers in one transaction; returns how many were due
    /// and how many of them raised an event.
    async fn fire_sla_chunk(&self) -> Result<(usize, usize)> {
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let due = tx.due_sla_timers(now, PER_TRANSACTION).await?;
        let looked_at = due.len();
        if due.is_empty() {
            return Ok((0, 0));
        }
        let mut by_ws: HashMap<WorkspaceId, Vec<NewEvent>> = HashMap::new();
        let mut ctxs: HashMap<WorkspaceId, TimerCtx> = HashMap::new();
        let mut fired = 0;
        for (ws, id, kind, event, started, due_at) in due {
            tx.clear_sla_timer(ws, id, &kind).await?;
            let Some(c) = tx.get_conversation(ws, id).await? else { continue };
            if let std::collections::hash_map::Entry::Vacant(e) = ctxs.entry(ws) {
                e.insert(TimerCtx::load(&mut tx, ws).await?);
            }
            let Some(ctx) = ctxs.get(&ws) else { continue };
            // The timer may be stale (a reply or a pause since it was set on another node, or
            // before this pass looked): raise only what the clock says now, else re-arm it.
            if !ctx.still_due(&mut tx, &c, &kind, &event, started, now).await? {
                ctx.set_timers(&mut tx, &c, now).await?;
                continue;
            }
            if !tx.mark_sla_fired(ws, id, &kind, &event, started, now).await? {
                continue;
            }
            let kind_ev = if event == "breach" { EventKind::SlaBreached } else { EventKind::SlaWarning };
            let trigger = if event == "breach" { domain::Trigger::SlaBreached } else { domain::Trigger::SlaWarning };
            crate::rules::enqueue(&mut tx, &c, trigger, None, now).await?;
            by_ws.entry(ws).or_default().push(NewEvent {
                kind: kind_ev,
                conversation_id: Some(id),
                user_id: None,
                data: json!({ "conversation_id": id, "number": c.number, "sla": kind, "due_at": due_at, "assignee_id": c.assignee_id }),
            });
            fired += 1;
            if event == "warning" {
                // The breach timer follows.
                ctx.set_timers(&mut tx, &c, now).await?;
            }
        }
        let mut seq = None;
        for (ws, events) in &by_ws {
            seq = tx.append_events(*ws, events, now).await?.or(seq);
        }
        tx.commit().await?;
        if let Some(seq) = seq {
            self.published(seq).await;
        }
        Ok((looked_at, fired))
    }
}

/// A workspace's SLA policies and which applies to which inbox: what computing clocks and
/// setting timers needs.
struct TimerCtx {
    default: SlaPolicy,
    policies: HashMap<SlaPolicyId, SlaPolicy>,
    /// Each inbox's channel and own policy.
    inboxes: HashMap<InboxId, (ChannelKind, Option<SlaPolicyId>)>,
}

impl TimerCtx {
    async fn load(tx: &mut Tx, ws: WorkspaceId) -> Result<TimerCtx> {
        let mut default = None;
        let mut policies = HashMap::new();
        for (p, is_default) in tx.list_sla_policies(ws).await? {
            if is_default {
                default = Some(p.clone());
            }
            policies.insert(p.id, p);
        }
        let inboxes =
            tx.list_inboxes(ws).await?.into_iter().map(|i| (i.id, (i.kind, i.settings.sla_policy_id))).collect();
        Ok(TimerCtx { default: default.unwrap_or_else(builtin_default), policies, inboxes })
    }

    /// The policy and channel of a conversation: its inbox's own policy, else the default.
    fn of(&self, c: &Conversation) -> (&SlaPolicy, ChannelKind) {
        let (channel, own) = self.inboxes.get(&c.inbox_id).copied().unwrap_or((ChannelKind::Api, None));
        (own.and_then(|id| self.policies.get(&id)).unwrap_or(&self.default), channel)
    }

    /// A conversation's SLA now.
    fn sla(&self, c: &Conversation, pauses: &[(Millis, Option<Millis>)], now: Millis) -> ConversationSla {
        let (policy, channel) = self.of(c);
        ConversationSla {
            policy_id: policy.id,
            policy_name: policy.name.clone(),
            clocks: clocks_for(policy, channel, c, pauses, now),
        }
    }

    /// Whether `c`'s clock of `kind`, started at `started`, has really reached `event` now.
    async fn still_due(
        &self,
        tx: &mut Tx,
        c: &Conversation,
        kind: &str,
        event: &str,
        started: Millis,
        now: Millis,
    ) -> Result<bool> {
        let Ok(kind) = kind.parse::<SlaKind>() else { return Ok(false) };
        if clock_start(c, kind) != started {
            return Ok(false);
        }
        let pauses = tx.sla_pauses(c.workspace_id, c.id).await?;
        let clocks = self.sla(c, &pauses, now).clocks;
        let Some(v) = clocks.iter().find(|v| v.kind == kind) else { return Ok(false) };
        Ok(match event {
            "breach" => v.clock.state == SlaState::Breached,
            _ => matches!(v.clock.state, SlaState::Warning | SlaState::Breached),
        })
    }

    /// Sets (or clears) the timer of each of `c`'s clocks for its next warning or breach.
    async fn set_timers(&self, tx: &mut Tx, c: &Conversation, now: Millis) -> Result<()> {
        let ws = c.workspace_id;
        let pauses = tx.sla_pauses(ws, c.id).await?;
        let clocks = self.sla(c, &pauses, now).clocks;
        for kind in SlaKind::ALL {
            let next = clocks.iter().find(|v| v.kind == *kind).and_then(|v| v.clock.next_event());
            match next {
                Some((event, at)) => {
                    tx.set_sla_timer(ws, c.id, kind.as_str(), event.as_str(), clock_start(c, *kind), at).await?
                }
                None => tx.clear_sla_timer(ws, c.id, kind.as_str()).await?,
            }
        }
        Ok(())
    }
}

/// When the clock of `kind` started, which tells one clock run from the next (a second
/// customer message after a reply starts a new next-response clock).
fn clock_start(c: &Conversation, kind: SlaKind) -> Millis {
    match kind {
        SlaKind::NextResponse => c.waiting_since.unwrap_or(c.created_at),
        SlaKind::FirstResponse | SlaKind::Resolution => c.created_at,
    }
}

fn apply(
    p: &mut SlaPolicy,
    targets: Option<Vec<SlaTargetRule>>,
    calendar: Option<BusinessHoursSpec>,
    warn_at: Option<f64>,
) -> Result<()> {
    if let Some(t) = targets {
        p.targets = t;
    }
    if let Some(spec) = calendar {
        p.calendar = BusinessHours::try_from(spec).map_err(|e| match e {
            domain::DomainError::Invalid { field, message } => Error::invalid(format!("calendar.{field}"), message),
        })?;
    }
    if let Some(w) = warn_at {
        p.warn_at = w;
    }
    Ok(())
}

/// Keeps a conversation's pauses in step with a teammate's change of its status.
pub(crate) async fn on_change(tx: &mut Tx, before: &Conversation, after: &Conversation, now: Millis) -> Result<()> {
    let ws = after.workspace_id;
    match (before.status == Status::Pending, after.status == Status::Pending) {
        (false, true) => {
            // A pause left open by a customer's message ended at that message.
            if let Some(at) = before.last_inbound_at {
                tx.close_sla_pause(ws, after.id, at).await?;
            }
            tx.open_sla_pause(ws, after.id, now).await?;
        }
        (true, false) => tx.close_sla_pause(ws, after.id, now).await?,
        _ => {}
    }
    Ok(())
}
