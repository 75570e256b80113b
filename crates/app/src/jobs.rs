//! Background work run inside the binary: durable jobs claimed from the store with a lease,
//! retried with exponential backoff and dead-lettered after the last attempt. The first
//! kind is outbound delivery: the channel's [`Deliverer`] sends the reply, and the
//! message's delivery status follows what happened.

use crate::conversations::conversation_event;
use crate::{App, Result};
use domain::event::NewEvent;
use domain::{ChannelKind, Contact, Conversation, DeliveryStatus, EventKind, Inbox, Job, Message, MessageId, Status};
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// The job kind that delivers an outbound message.
pub(crate) const DELIVER: &str = "deliver";

/// The job that delivers a reply.
pub(crate) fn delivery_job(ws: domain::WorkspaceId, message: MessageId, now: domain::Millis, max_attempts: i32) -> Job {
    Job::new(ws, DELIVER, json!({ "message_id": message }), now, max_attempts)
}

/// Everything a channel needs to send one reply.
pub struct DeliveryRequest<'a> {
    /// The inbox (its settings say where and how to send).
    pub inbox: &'a Inbox,
    /// The conversation.
    pub conversation: &'a Conversation,
    /// The customer.
    pub contact: &'a Contact,
    /// The reply.
    pub message: &'a Message,
    /// The conversation's earlier customer-visible messages, oldest first (e-mail threads
    /// its reply on them).
    pub thread: &'a [Message],
    /// The name of the teammate who wrote the reply, when a teammate did.
    pub agent_name: Option<&'a str>,
    /// The reply's files and where their bytes are.
    pub files: &'a [(domain::Attachment, crate::Content)],
}

/// How many earlier messages a delivery request carries.
const THREAD_FOR_DELIVERY: usize = 200;

/// Why a delivery attempt failed.
#[derive(Debug, Clone)]
pub struct DeliveryError {
    /// What the channel or server answered, in words for the agent.
    pub message: String,
    /// True when retrying cannot help (a rejected address, a missing setting).
    pub permanent: bool,
}

/// A future that lives as long as the request it sends.
pub type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<String>, DeliveryError>> + Send + 'a>>;

/// Sends replies on one kind of channel. On success it may return the provider's id for
/// the message.
pub trait Deliverer: Send + Sync + 'static {
    /// Sends one reply.
    fn deliver<'a>(&'a self, request: DeliveryRequest<'a>) -> DeliveryFuture<'a>;
}

/// A reply and everything its delivery needs, read in one transaction.
struct Loaded {
    message: Message,
    conversation: Conversation,
    contact: Contact,
    thread: Vec<Message>,
    agent: Option<String>,
    files: Vec<(domain::Attachment, crate::Content)>,
}

impl Loaded {
    /// The request that sends this reply through `inbox`.
    fn request<'a>(&'a self, inbox: &'a Inbox) -> DeliveryRequest<'a> {
        DeliveryRequest {
            inbox,
            conversation: &self.conversation,
            contact: &self.contact,
            message: &self.message,
            thread: &self.thread,
            agent_name: self.agent.as_deref(),
            files: &self.files,
        }
    }
}

/// The job runners of one node.
#[derive(Clone)]
pub struct Workers {
    app: App,
    deliverers: HashMap<ChannelKind, Arc<dyn Deliverer>>,
    webhooks: Option<Arc<dyn crate::rules::WebhookPoster>>,
    batch: usize,
}

impl App {
    /// The workspace's jobs that gave up, newest first, with their last error (admins).
    pub async fn dead_jobs(&self, actor: &crate::Actor, limit: usize) -> Result<Vec<Job>> {
        actor.require_admin()?;
        let mut tx = self.store_().read().await?;
        Ok(tx.jobs_with_status(actor.workspace_id, domain::JobStatus::Dead, limit).await?)
    }

    /// Tells this node's workers there is new work (other nodes find it by polling).
    pub(crate) fn wake_workers(&self) {
        self.inner.job_wake.notify_waiters();
    }
}

impl Workers {
    /// Workers with no channels yet.
    pub fn new(app: App) -> Self {
        Workers { app, deliverers: HashMap::new(), webhooks: None, batch: 8 }
    }

    /// Calls automation rules' webhooks with `poster`.
    pub fn with_webhooks(mut self, poster: Arc<dyn crate::rules::WebhookPoster>) -> Self {
        self.webhooks = Some(poster);
        self
    }

    /// Sends replies of inboxes of `kind` with `deliverer`.
    pub fn with_deliverer(mut self, kind: ChannelKind, deliverer: Arc<dyn Deliverer>) -> Self {
        self.deliverers.insert(kind, deliverer);
        self
    }

    /// Claims and runs the jobs that are due now; returns how many ran.
    pub async fn run_once(&self) -> Result<usize> {
        let now = self.app.now();
        let jobs = {
            let mut tx = self.app.store_().write().await?;
            let jobs = tx.claim_jobs(now, now + self.app.config().job_lease_ms, self.batch).await?;
            tx.commit().await?;
            jobs
        };
        let n = jobs.len();
        for job in jobs {
            if job.kind == crate::widget::EMAIL {
                let outcome = self.email_chat_reply(&job).await;
                self.settle_chat_email(&job, outcome).await?;
                continue;
            }
            if job.kind == crate::rules::RULE_WEBHOOK {
                let outcome = self.app.call_rule_webhook(&job, self.webhooks.as_deref()).await;
                self.settle_webhook(&job, outcome).await?;
                continue;
            }
            let plain = match job.kind.as_str() {
                crate::routing::ROUTE => Some(self.app.run_route_job(&job).await),
                crate::rules::RULES => Some(self.app.run_rules_job(&job).await),
                crate::sunset::SUNSET => Some(self.app.run_sunset_job(&job).await),
                crate::widget::HANDOFF => Some(self.app.run_handoff_job(&job).await),
                _ => None,
            };
            if let Some(outcome) = plain {
                self.settle_plain(&job, outcome).await?;
                continue;
            }
            let outcome = match job.kind.as_str() {
                DELIVER => self.deliver(&job).await,
                other => Err(domain_error(format!("unknown job kind {other:?}"), true)),
            };
            self.settle(&job, outcome).await?;
        }
        self.wake_snoozed().await?;
        self.routing_if_due().await;
        Ok(n)
    }

    /// Runs the routing and SLA passes when this node has not for `routing_interval_ms`.
    async fn routing_if_due(&self) {
        let now = self.app.now();
        let last = &self.app.inner.routing_ran_at;
        let prev = last.load(std::sync::atomic::Ordering::Acquire);
        if now.saturating_sub(prev) < self.app.config().routing_interval_ms
            || last
                .compare_exchange(prev, now, std::sync::atomic::Ordering::AcqRel, std::sync::atomic::Ordering::Acquire)
                .is_err()
        {
            return;
        }
        if let Err(e) = self.app.run_routing().await {
            tracing::warn!(error = %e, "the routing pass failed; it runs again shortly");
        }
        if let Err(e) = self.app.run_sla().await {
            tracing::warn!(error = %e, "the SLA pass failed; it runs again shortly");
        }
    }

    /// Settles a webhook call: done, retried with backoff, or given up with an activity line.
    async fn settle_webhook(&self, job: &Job, outcome: Result<(), DeliveryError>) -> Result<()> {
        let now = self.app.now();
        let mut tx = self.app.store_().write().await?;
        match outcome {
            Ok(()) => tx.finish_job(job.id, now).await?,
            Err(e) if e.permanent || job.attempts >= job.max_attempts => {
                tx.kill_job(job.id, &e.message, now).await?;
                tx.commit().await?;
                return self.app.rule_webhook_failed(job, &e.message).await;
            }
            Err(e) => {
                tx.retry_job(job.id, now + self.app.config().backoff.delay(job.attempts), &e.message, now).await?
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Settles a job whose work is all in the database: done, or retried with backoff.
    async fn settle_plain(&self, job: &Job, outcome: Result<()>) -> Result<()> {
        let now = self.app.now();
        let mut tx = self.app.store_().write().await?;
        match outcome {
            Ok(()) => tx.finish_job(job.id, now).await?,
            Err(e) if job.attempts >= job.max_attempts => {
                tracing::warn!(job = %job.id, kind = %job.kind, error = %e, "job failed for good");
                tx.kill_job(job.id, &e.to_string(), now).await?
            }
            Err(e) => {
                tx.retry_job(job.id, now + self.app.config().backoff.delay(job.attempts), &e.to_string(), now).await?
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Runs `n` worker loops until the returned handles are aborted.
    pub fn spawn(self, n: usize) -> Vec<tokio::task::JoinHandle<()>> {
        (0..n.max(1))
            .map(|_| {
                let w = self.clone();
                tokio::spawn(async move {
                    loop {
                        let woken = w.app.inner.job_wake.notified();
                        match w.run_once().await {
                            Ok(n) if n > 0 => continue,
                            Ok(_) => {}
                            Err(e) => tracing::error!(error = %e, "job worker failed; retrying shortly"),
                        }
                        tokio::select! {
                            _ = woken => {}
                            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                        }
                    }
                })
            })
            .collect()
    }

    /// A reply and everything its delivery needs, with its inbox; `None` when either is gone.
    async fn load_reply(&self, job: &Job) -> Result<Option<(Loaded, Inbox)>, DeliveryError> {
        let id: MessageId = serde_json::from_value(job.payload["message_id"].clone())
            .map_err(|_| domain_error("the job names no message".into(), true))?;
        let ws = job.workspace_id;
        async {
            let mut tx = self.app.store_().read().await?;
            let Some(message) = tx.get_message(ws, id).await? else { return Ok(None) };
            let conversation = self.app.load_conversation(&mut tx, ws, message.conversation_id).await?;
            let inbox = tx.get_inbox(ws, message.inbox_id).await?;
            let contact = self.app.load_contact(&mut tx, ws, conversation.contact_id).await?;
            let mut thread = tx.list_messages(ws, conversation.id, None, THREAD_FOR_DELIVERY).await?.items;
            thread.retain(|m| {
                m.kind == domain::MessageKind::Message && m.created_at <= message.created_at && m.id != message.id
            });
            let agent = match message.author {
                domain::Author::Agent(u) => tx.get_user(u).await?.map(|u| u.name),
                _ => None,
            };
            let mut files = Vec::with_capacity(message.attachments.len());
            for a in &message.attachments {
                files.push((a.clone(), self.app.content_of(&mut tx, a).await?));
            }
            let delivery = Loaded { message, conversation, contact, thread, agent, files };
            Ok::<_, crate::Error>(inbox.map(|i| (delivery, i)))
        }
        .await
        .map_err(|e| domain_error(format!("loading the reply: {e}"), false))
    }

    /// E-mails a chat reply the customer has not read: the widget names an e-mail inbox to
    /// carry the conversation on, and the customer left an address. Returns the address it
    /// went to, or `None` when there was nothing to send.
    async fn email_chat_reply(&self, job: &Job) -> Result<Option<(Message, String)>, DeliveryError> {
        let Some((mut loaded, chat)) = self.load_reply(job).await? else { return Ok(None) };
        if loaded.message.delivery_status == Some(DeliveryStatus::Delivered) {
            return Ok(None);
        }
        let Some(email_id) = chat.settings.widget.as_ref().and_then(|w| w.email_inbox_id) else { return Ok(None) };
        let inbox = async {
            let mut tx = self.app.store_().read().await?;
            Ok::<_, crate::Error>(tx.get_inbox(job.workspace_id, email_id).await?)
        }
        .await
        .map_err(|e| domain_error(format!("loading the e-mail inbox: {e}"), false))?;
        let Some(inbox) = inbox.filter(|i| i.kind == ChannelKind::Email) else { return Ok(None) };
        let Some(recipients) = crate::email::reply_recipients(&inbox, &[], &loaded.contact, false) else {
            return Ok(None);
        };
        let address = recipients.to.first().map(|a| a.address.clone()).unwrap_or_default();
        loaded.message.meta.email = Some(recipients);
        let deliverer = self
            .deliverers
            .get(&ChannelKind::Email)
            .ok_or_else(|| domain_error("Chorus cannot send e-mail on this node".into(), true))?;
        deliverer.deliver(loaded.request(&inbox)).await?;
        Ok(Some((loaded.message, address)))
    }

    /// Settles an e-mailed chat reply: an activity line says where it went, or, after the
    /// last attempt, why it could not go.
    async fn settle_chat_email(
        &self,
        job: &Job,
        outcome: Result<Option<(Message, String)>, DeliveryError>,
    ) -> Result<()> {
        let now = self.app.now();
        let ws = job.workspace_id;
        let mut tx = self.app.store_().write().await?;
        let line = match outcome {
            Ok(Some((message, address))) => {
                tx.finish_job(job.id, now).await?;
                Some((
                    message.conversation_id,
                    format!("The customer had left the chat: this reply was e-mailed to {address}"),
                ))
            }
            Ok(None) => {
                tx.finish_job(job.id, now).await?;
                None
            }
            Err(e) if e.permanent || job.attempts >= job.max_attempts => {
                tx.kill_job(job.id, &e.message, now).await?;
                let id: Option<MessageId> = serde_json::from_value(job.payload["message_id"].clone()).ok();
                let conversation = match id {
                    Some(id) => tx.get_message(ws, id).await?.map(|m| m.conversation_id),
                    None => None,
                };
                conversation.map(|c| (c, format!("The chat reply could not be e-mailed: {}", e.message)))
            }
            Err(e) => {
                tx.retry_job(job.id, now + self.app.config().backoff.delay(job.attempts), &e.message, now).await?;
                None
            }
        };
        let mut events = Vec::new();
        if let Some((id, text)) = line
            && let Some(c) = tx.get_conversation(ws, id).await?
        {
            let m = Message::from_team(&c, domain::MessageKind::Activity, domain::Author::System, text, now);
            tx.insert_message(&m).await?;
            events.push(crate::conversations::message_event(&m));
        }
        self.app.commit(tx, ws, events).await
    }

    async fn deliver(&self, job: &Job) -> Result<Option<(Message, String)>, DeliveryError> {
        let loaded = self.load_reply(job).await?;
        let Some((loaded, inbox)) = loaded else {
            return Err(domain_error("the message or its inbox no longer exists".into(), true));
        };
        if loaded.message.delivery_status != Some(DeliveryStatus::Queued) {
            return Ok(None);
        }
        let deliverer = self
            .deliverers
            .get(&inbox.kind)
            .ok_or_else(|| domain_error(format!("Chorus cannot send on {} inboxes yet", inbox.kind), true))?;
        let provider_id = deliverer.deliver(loaded.request(&inbox)).await?;
        Ok(Some((loaded.message, provider_id.unwrap_or_default())))
    }

    async fn settle(&self, job: &Job, outcome: Result<Option<(Message, String)>, DeliveryError>) -> Result<()> {
        let now = self.app.now();
        let ws = job.workspace_id;
        let message_id: Option<MessageId> = serde_json::from_value(job.payload["message_id"].clone()).ok();
        let mut tx = self.app.store_().write().await?;
        let mut events = Vec::new();
        let status_event = |status: DeliveryStatus, error: Option<&str>, conversation_id| NewEvent {
            kind: EventKind::MessageUpdated,
            conversation_id,
            user_id: None,
            data: json!({ "message_id": message_id, "delivery_status": status, "delivery_error": error }),
        };
        match outcome {
            Ok(Some((message, provider_id))) => {
                let pid = Some(provider_id.as_str()).filter(|p| !p.is_empty());
                tx.set_delivery(ws, message.id, DeliveryStatus::Sent, None, pid).await?;
                tx.finish_job(job.id, now).await?;
                events.push(status_event(DeliveryStatus::Sent, None, Some(message.conversation_id)));
            }
            Ok(None) => tx.finish_job(job.id, now).await?,
            Err(e) => {
                let conversation_id = match message_id {
                    Some(id) => tx.get_message(ws, id).await?.map(|m| m.conversation_id),
                    None => None,
                };
                let last = e.permanent || job.attempts >= job.max_attempts;
                if last {
                    tracing::warn!(job = %job.id, attempts = job.attempts, error = %e.message, "delivery failed for good");
                    tx.kill_job(job.id, &e.message, now).await?;
                } else {
                    tx.retry_job(job.id, now + self.app.config().backoff.delay(job.attempts), &e.message, now).await?;
                }
                if let (Some(id), Some(conv)) = (message_id, conversation_id) {
                    let status = if last { DeliveryStatus::Failed } else { DeliveryStatus::Queued };
                    tx.set_delivery(ws, id, status, Some(&e.message), None).await?;
                    events.push(status_event(status, Some(&e.message), Some(conv)));
                }
            }
        }
        self.app.commit(tx, ws, events).await
    }

    /// Brings snoozed conversations whose time has come back as open.
    async fn wake_snoozed(&self) -> Result<()> {
        let now = self.app.now();
        let mut tx = self.app.store_().write().await?;
        let due = tx.due_snoozed(now, 100).await?;
        if due.is_empty() {
            return Ok(());
        }
        let mut by_ws: HashMap<domain::WorkspaceId, Vec<NewEvent>> = HashMap::new();
        for before in due {
            let mut after = before.clone();
            after.status = Status::Open;
            after.snoozed_until = None;
            after.last_activity_at = now;
            tx.update_conversation(&before, &after).await?;
            tx.move_counters(after.workspace_id, &before.counter_keys(), &after.counter_keys()).await?;
            by_ws
                .entry(after.workspace_id)
                .or_default()
                .push(conversation_event(EventKind::ConversationUpdated, &after));
        }
        let mut seq = None;
        for (ws, events) in &by_ws {
            seq = tx.append_events(*ws, events, now).await?.or(seq);
        }
        tx.commit().await?;
        if let Some(seq) = seq {
            self.app.published(seq).await;
        }
        Ok(())
    }
}

fn domain_error(message: String, permanent: bool) -> DeliveryError {
    DeliveryError { message, permanent }
}
