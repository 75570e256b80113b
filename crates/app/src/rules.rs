//! Automation rules: their ordered list (admins change it) and the background job that runs
//! them. A job carries one event (a trigger on a conversation) and its [`RuleChain`]; it
//! gathers the facts, fires the matching rules in order and carries out their actions, each
//! leaving an activity line that names the rule. The status and assignment changes those
//! actions cause are evaluated in the same job one chain level further, so a rule fires at
//! most once per chain and a cascade stops after [`domain::MAX_RULE_DEPTH`] levels: rules
//! can never trigger each other into a loop. Changes made by rules never enqueue new jobs.
//!
//! A canned reply is never sent in answer to a machine-sent message (auto-replies, bulk mail,
//! bounces): two auto-responders answering each other is the loop no chain can see. A
//! webhook action is a job of its own, posted by the binary's [`WebhookPoster`].

use crate::DeliveryError;
use crate::conversations::{conversation_event, message_event};
use crate::{Actor, App, Error, Result};
use domain::event::NewEvent;
use domain::sla::is_open;
use domain::{
    Action, Author, ChannelKind, Conversation, ConversationId, EventKind, Facts, Job, Message, MessageId, MessageKind,
    Millis, Rule, RuleChain, RuleId, Status, Trigger, WorkspaceId,
};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use store::Tx;

/// The job kind that runs rules for one event.
pub(crate) const RULES: &str = "rules";
/// The job kind that calls a rule's webhook.
pub(crate) const RULE_WEBHOOK: &str = "rule_webhook";

/// A future that lives as long as the call it makes.
pub type WebhookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), DeliveryError>> + Send + 'a>>;

/// POSTs a rule's webhook: `body` (JSON) to `url`, signed with `secret`, with `delivery_id`
/// the same on every retry.
pub trait WebhookPoster: Send + Sync + 'static {
    /// Makes one call.
    fn post<'a>(&'a self, url: &'a str, secret: &'a str, body: Vec<u8>, delivery_id: &'a str) -> WebhookFuture<'a>;
}

/// What a webhook job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WebhookPayload {
    url: String,
    conversation_id: ConversationId,
    rule_id: RuleId,
    rule_name: String,
    trigger: Trigger,
}

/// What a rules job carries.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    conversation_id: ConversationId,
    trigger: Trigger,
    /// The customer message that caused it, for message triggers.
    message_id: Option<MessageId>,
    chain: RuleChain,
}

/// A new or changed rule, as an admin writes it.
#[derive(Debug, Clone)]
pub struct RuleInput {
    /// Its name.
    pub name: String,
    /// Whether it runs.
    pub enabled: bool,
    /// Where it runs among the others (lower first); `None` puts a new rule last.
    pub position: Option<i32>,
    /// The event it listens for.
    pub trigger: Trigger,
    /// All must hold.
    pub conditions: Vec<domain::Condition>,
    /// What it does, in order.
    pub actions: Vec<Action>,
}

/// Enqueues a rules job for an outside event (a fresh chain), when the workspace has rules.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    c: &Conversation,
    trigger: Trigger,
    message_id: Option<MessageId>,
    now: Millis,
) -> Result<()> {
    if tx.has_enabled_rules(c.workspace_id).await? {
        enqueue_job(tx, c, trigger, message_id, now).await?;
    }
    Ok(())
}

async fn enqueue_job(
    tx: &mut Tx,
    c: &Conversation,
    trigger: Trigger,
    message_id: Option<MessageId>,
    now: Millis,
) -> Result<()> {
    let payload = Payload { conversation_id: c.id, trigger, message_id, chain: RuleChain::new() };
    let job = Job::new(c.workspace_id, RULES, serde_json::to_value(&payload).unwrap_or_default(), now, 3);
    Ok(tx.enqueue_job(&job, now).await?)
}

/// Puts a customer's message up for the rules: `message_received`, and
/// `conversation_created` for the first message of a conversation.
pub(crate) async fn on_inbound(tx: &mut Tx, c: &Conversation, m: &Message, now: Millis) -> Result<()> {
    if !tx.has_enabled_rules(c.workspace_id).await? {
        return Ok(());
    }
    if c.message_count <= 1 {
        enqueue_job(tx, c, Trigger::ConversationCreated, Some(m.id), now).await?;
    }
    enqueue_job(tx, c, Trigger::MessageReceived, Some(m.id), now).await
}

/// The triggers a change from `before` to `after` raises.
fn triggers_of(before: &Conversation, after: &Conversation) -> Vec<Trigger> {
    let mut out = Vec::new();
    if before.status != after.status {
        out.push(Trigger::StatusChanged);
    }
    if before.assignee_id != after.assignee_id || before.team_id != after.team_id {
        out.push(Trigger::AssignmentChanged);
    }
    out
}

/// Puts a teammate's (or routing's) change up for the rules.
pub(crate) async fn on_change(tx: &mut Tx, before: &Conversation, after: &Conversation, now: Millis) -> Result<()> {
    for t in triggers_of(before, after) {
        enqueue(tx, after, t, None, now).await?;
    }
    Ok(())
}

impl App {
    /// The workspace's rules in run order.
    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<Rule>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.list_rules(actor.workspace_id).await?)
    }

    /// One rule.
    pub async fn get_rule(&self, actor: &Actor, id: RuleId) -> Result<Rule> {
        let mut tx = self.store_().read().await?;
        tx.get_rule(actor.workspace_id, id).await?.ok_or(Error::NotFound { what: "rule" })
    }

    /// Adds a rule (admins).
    pub async fn create_rule(&self, actor: &Actor, input: RuleInput) -> Result<Rule> {
        actor.require_admin()?;
        let position = match input.position {
            Some(p) => p,
            None => self.list_rules(actor).await?.iter().map(|r| r.position).max().map_or(0, |p| p.saturating_add(1)),
        };
        let rule = Rule {
            id: RuleId::new(),
            name: input.name,
            enabled: input.enabled,
            position,
            trigger: input.trigger,
            conditions: input.conditions,
            actions: input.actions,
        };
        self.save_rule(actor, rule).await
    }

    /// Replaces a rule (admins).
    pub async fn update_rule(&self, actor: &Actor, id: RuleId, input: RuleInput) -> Result<Rule> {
        actor.require_admin()?;
        let old = self.get_rule(actor, id).await?;
        let rule = Rule {
            id,
            name: input.name,
            enabled: input.enabled,
            position: input.position.unwrap_or(old.position),
            trigger: input.trigger,
            conditions: input.conditions,
            actions: input.actions,
        };
        self.save_rule(actor, rule).await
    }

    async fn save_rule(&self, actor: &Actor, mut rule: Rule) -> Result<Rule> {
        rule.validate()?;
        let ws = actor.workspace_id;
        let mut tx = self.store_().write().await?;
        for (i, a) in rule.actions.iter().enumerate() {
            let problem = match a {
                Action::AssignAgent { user_id } => (!tx.get_membership(ws, *user_id).await?.is_some_and(|m| m.active))
                    .then_some(("user_id", "not an active member")),
                Action::AssignTeam { team_id } => {
                    tx.get_team(ws, *team_id).await?.is_none().then_some(("team_id", "no such team"))
                }
                _ => None,
            };
            if let Some((field, message)) = problem {
                return Err(Error::invalid(format!("actions[{i}].{field}"), message));
            }
        }
        tx.upsert_rule(ws, &rule, self.now()).await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Deletes a rule (admins).
    pub async fn delete_rule(&self, actor: &Actor, id: RuleId) -> Result<()> {
        actor.require_admin()?;
        let mut tx = self.store_().write().await?;
        if !tx.delete_rule(actor.workspace_id, id).await? {
            return Err(Error::NotFound { what: "rule" });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs a rules job: the event's rules, then the rules of the events their actions
    /// caused, one chain level further each time.
    pub(crate) async fn run_rules_job(&self, job: &Job) -> Result<()> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| Error::Internal(format!("a rules job with a bad payload: {e}")))?;
        let ws = job.workspace_id;
        let mut pending = vec![(p.trigger, p.chain)];
        while let Some((trigger, mut chain)) = pending.pop() {
            let Some(before) = self.conversation_if_any(ws, p.conversation_id).await? else { return Ok(()) };
            let message_id = matches!(trigger, Trigger::ConversationCreated | Trigger::MessageReceived)
                .then_some(p.message_id)
                .flatten();
            let (facts, automated) = self.facts(ws, &before, trigger, message_id).await?;
            let rules = {
                let mut tx = self.store_().read().await?;
                tx.list_rules(ws).await?
            };
            let fired: Vec<Rule> = chain.fire(&rules, &facts).into_iter().cloned().collect();
            if fired.is_empty() {
                continue;
            }
            for rule in &fired {
                for action in &rule.actions {
                    self.perform(ws, p.conversation_id, rule, action, trigger, automated).await?;
                }
            }
            let Some(after) = self.conversation_if_any(ws, p.conversation_id).await? else { return Ok(()) };
            if let Some(next) = chain.next_level() {
                for t in triggers_of(&before, &after) {
                    pending.push((t, next.clone()));
                }
            }
        }
        Ok(())
    }

    async fn conversation_if_any(&self, ws: WorkspaceId, id: ConversationId) -> Result<Option<Conversation>> {
        let mut tx = self.store_().read().await?;
        Ok(tx.get_conversation(ws, id).await?)
    }

    /// What the rules see: the facts, and whether the triggering message was machine-sent.
    async fn facts(
        &self,
        ws: WorkspaceId,
        c: &Conversation,
        trigger: Trigger,
        message_id: Option<MessageId>,
    ) -> Result<(Facts, bool)> {
        let now = self.now();
        let mut tx = self.store_().read().await?;
        let inbox = tx.get_inbox(ws, c.inbox_id).await?;
        let channel = inbox.as_ref().map(|i| i.kind).unwrap_or(ChannelKind::Api);
        let contact = tx.get_contact(ws, c.contact_id).await?;
        let message = match message_id {
            Some(id) => tx.get_message(ws, id).await?,
            None => None,
        };
        // The business hours of the conversation's SLA policy: its inbox's own, else the default.
        let own = match inbox.and_then(|i| i.settings.sla_policy_id) {
            Some(id) => tx.get_sla_policy(ws, id).await?.map(|(p, _)| p),
            None => None,
        };
        let policy = match own {
            Some(p) => Some(p),
            None => tx.default_sla_policy(ws).await?,
        };
        let calendar = policy.map(|p| p.calendar).unwrap_or_default();
        let facts = Facts {
            trigger,
            inbox_id: c.inbox_id,
            channel,
            text: message.as_ref().map(|m| m.text.clone()).unwrap_or_default(),
            contact_attributes: contact.map(|c| c.attributes).unwrap_or_default(),
            labels: c.labels.clone(),
            priority: c.priority,
            inside_business_hours: is_open(&calendar, now),
            waiting_millis: c.waiting_since.map(|w| now - w),
        };
        Ok((facts, message.is_some_and(|m| m.meta.automated.is_some())))
    }

    /// Carries out one action of `rule`, with its activity line.
    async fn perform(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        rule: &Rule,
        action: &Action,
        trigger: Trigger,
        automated: bool,
    ) -> Result<()> {
        let now = self.now();
        let by = format!("Rule “{}”", rule.name);
        match action {
            Action::SendCannedReply { text } => {
                if automated {
                    return self
                        .rule_line(ws, id, &format!("{by} sent no canned reply: the message was machine-sent"))
                        .await;
                }
                let input = crate::ReplyInput { text: text.clone(), ..Default::default() };
                match self.reply_as(&Actor::system(ws), id, input, Author::System, false).await {
                    Ok(_) => self.rule_line(ws, id, &format!("{by} sent a canned reply")).await,
                    Err(e) => self.rule_line(ws, id, &format!("{by} could not send its canned reply: {e}")).await,
                }
            }
            Action::AddNote { text } => {
                let mut tx = self.store_().write().await?;
                let Some(c) = tx.get_conversation(ws, id).await? else { return Ok(()) };
                let m = Message::from_team(&c, MessageKind::Note, Author::System, format!("{by}: {text}"), now);
                tx.insert_message(&m).await?;
                self.commit(tx, ws, vec![message_event(&m)]).await
            }
            Action::CallWebhook { url } => {
                let payload = WebhookPayload {
                    url: url.clone(),
                    conversation_id: id,
                    rule_id: rule.id,
                    rule_name: rule.name.clone(),
                    trigger,
                };
                let job = Job::new(ws, RULE_WEBHOOK, serde_json::to_value(&payload).unwrap_or_default(), now, 5);
                let mut tx = self.store_().write().await?;
                tx.enqueue_job(&job, now).await?;
                tx.commit().await?;
                self.wake_workers();
                self.rule_line(ws, id, &format!("{by} called the webhook {}", shown_url(url))).await
            }
            Action::AssignAgent { user_id } => {
                let name = {
                    let mut tx = self.store_().read().await?;
                    match tx.get_membership(ws, *user_id).await? {
                        Some(m) if m.active => m.user.name,
                        _ => {
                            return self
                                .rule_line(ws, id, &format!("{by} could not assign: not an active member"))
                                .await;
                        }
                    }
                };
                let user = *user_id;
                self.rule_change(ws, id, move |c| c.assignee_id = Some(user), &format!("{by} assigned this to {name}"))
                    .await
            }
            Action::AssignTeam { team_id } => {
                let name = {
                    let mut tx = self.store_().read().await?;
                    match tx.get_team(ws, *team_id).await? {
                        Some(t) => t.name,
                        None => {
                            return self.rule_line(ws, id, &format!("{by} could not move this: no such team")).await;
                        }
                    }
                };
                let team = *team_id;
                self.rule_change(
                    ws,
                    id,
                    move |c| c.team_id = Some(team),
                    &format!("{by} moved this to the team {name}"),
                )
                .await
            }
            Action::SetPriority { priority } => {
                let p = *priority;
                self.rule_change(ws, id, move |c| c.priority = p, &format!("{by} set the priority to {p}")).await
            }
            Action::AddLabel { label } => {
                let l = label.clone();
                let line = format!("{by} added the label {label}");
                self.rule_change(
                    ws,
                    id,
                    move |c| {
                        if !c.labels.contains(&l) {
                            c.labels.push(l);
                            c.labels.sort();
                        }
                    },
                    &line,
                )
                .await
            }
            Action::RemoveLabel { label } => {
                let l = label.clone();
                self.rule_change(
                    ws,
                    id,
                    move |c| c.labels.retain(|x| *x != l),
                    &format!("{by} removed the label {label}"),
                )
                .await
            }
            Action::Snooze { minutes } => {
                let until = now + minutes * 60_000;
                self.rule_change(
                    ws,
                    id,
                    move |c| {
                        let _ = c.set_status(Status::Snoozed, Some(until), now);
                    },
                    &format!("{by} snoozed this for {minutes} minutes"),
                )
                .await
            }
            Action::Resolve => {
                self.rule_change(
                    ws,
                    id,
                    move |c| {
                        let _ = c.set_status(Status::Resolved, None, now);
                    },
                    &format!("{by} resolved this"),
                )
                .await
            }
        }
    }

    /// An activity line on its own.
    async fn rule_line(&self, ws: WorkspaceId, id: ConversationId, line: &str) -> Result<()> {
        let mut tx = self.store_().write().await?;
        let Some(c) = tx.get_conversation(ws, id).await? else { return Ok(()) };
        let m = Message::from_team(&c, MessageKind::Activity, Author::System, line.to_string(), self.now());
        tx.insert_message(&m).await?;
        self.commit(tx, ws, vec![message_event(&m)]).await
    }

    /// A change made by a rule, with its activity line; routing's and the SLA's records
    /// follow it, but it raises no new rules job (the running job evaluates what it causes).
    async fn rule_change(
        &self,
        ws: WorkspaceId,
        id: ConversationId,
        change: impl FnOnce(&mut Conversation),
        line: &str,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store_().write().await?;
        let Some(before) = tx.conversation_for_update(ws, id).await? else { return Ok(()) };
        let mut after = before.clone();
        change(&mut after);
        if after == before {
            return Ok(());
        }
        let m = Message::from_team(&after, MessageKind::Activity, Author::System, line.to_string(), now);
        tx.insert_message(&m).await?;
        after.last_activity_at = now;
        tx.update_conversation(&before, &after).await?;
        tx.move_counters(ws, &before.counter_keys(), &after.counter_keys()).await?;
        let queue = crate::routing::on_change(&mut tx, &before, &after, now).await?;
        crate::sla::on_change(&mut tx, &before, &after, now).await?;
        let mut events: Vec<NewEvent> =
            vec![message_event(&m), conversation_event(EventKind::ConversationUpdated, &after)];
        events.extend(queue);
        self.commit(tx, ws, events).await?;
        self.wake_workers();
        Ok(())
    }

    /// Calls a rule's webhook (a job): POSTs the rule, the event and the conversation, signed
    /// with the conversation's inbox secret. Without a poster the call fails for good.
    pub(crate) async fn call_rule_webhook(
        &self,
        job: &Job,
        poster: Option<&dyn WebhookPoster>,
    ) -> Result<(), DeliveryError> {
        let fail = |message: String, permanent: bool| DeliveryError { message, permanent };
        let p: WebhookPayload =
            serde_json::from_value(job.payload.clone()).map_err(|e| fail(format!("a bad webhook job: {e}"), true))?;
        let poster = poster.ok_or_else(|| fail("this server calls no webhooks".into(), true))?;
        let ws = job.workspace_id;
        let loaded = async {
            let mut tx = self.store_().read().await?;
            let Some(c) = tx.get_conversation(ws, p.conversation_id).await? else { return Ok(None) };
            let secret = tx.get_inbox(ws, c.inbox_id).await?.map(|i| i.secret).unwrap_or_default();
            Ok::<_, Error>(Some((c, secret)))
        }
        .await
        .map_err(|e| fail(format!("loading the conversation: {e}"), false))?;
        let Some((c, secret)) = loaded else { return Err(fail("the conversation no longer exists".into(), true)) };
        let body = serde_json::json!({
            "event": "rule.fired",
            "delivery_id": job.id,
            "workspace_id": ws,
            "rule": { "id": p.rule_id, "name": p.rule_name },
            "trigger": p.trigger,
            "conversation": {
                "id": c.id, "number": c.number, "inbox_id": c.inbox_id, "contact_id": c.contact_id,
                "status": c.status, "priority": c.priority, "assignee_id": c.assignee_id, "team_id": c.team_id,
                "labels": c.labels,
            },
        });
        let bytes = serde_json::to_vec(&body).map_err(|e| fail(e.to_string(), true))?;
        poster.post(&p.url, &secret, bytes, &job.id.to_string()).await
    }

    /// Records on the conversation that a rule's webhook call was given up.
    pub(crate) async fn rule_webhook_failed(&self, job: &Job, error: &str) -> Result<()> {
        let Ok(p) = serde_json::from_value::<WebhookPayload>(job.payload.clone()) else { return Ok(()) };
        let line = format!("Rule “{}” could not call the webhook {}: {error}", p.rule_name, shown_url(&p.url));
        self.rule_line(job.workspace_id, p.conversation_id, &line).await
    }
}

/// A URL as shown in activity lines: without its query string, which may hold a secret.
fn shown_url(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}
