//! The automation rules' `call_webhook` action: a durable job POSTs what happened to the
//! rule's URL (signed when the rule has a secret), retried with backoff like a reply's
//! delivery, and the outcome is an activity line naming the rule. The HTTP client is the
//! binary's to give ([`WebhookSender`]); this module only decides what is sent and records
//! what came of it.

use crate::conversations::message_event;
use crate::jobs::{DeliveryError, DeliveryFuture};
use crate::{App, Result};
use domain::{Author, Conversation, ConversationId, Job, Message, MessageKind, Millis, Rule, Trigger};
use serde::{Deserialize, Serialize};
use serde_json::json;
use store::Tx;

/// The job kind that calls a rule's webhook.
pub(crate) const WEBHOOK: &str = "webhook";
/// Tries before a webhook call is given up (with the configured backoff between them).
const WEBHOOK_ATTEMPTS: i32 = 6;

/// POSTs a JSON body to a URL, signing it with `secret` when there is one, and says whether
/// the receiver took it. The same `delivery_id` on every try lets the receiver drop repeats.
pub trait WebhookSender: Send + Sync + 'static {
    /// Sends one request.
    fn post<'a>(
        &'a self,
        url: &'a str,
        secret: Option<&'a str>,
        body: Vec<u8>,
        delivery_id: &'a str,
    ) -> DeliveryFuture<'a>;
}

/// What a webhook job carries: where to send, and the body, fixed when the rule fired.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    conversation_id: ConversationId,
    rule_name: String,
    url: String,
    secret: Option<String>,
    body: serde_json::Value,
}

/// Enqueues the call of `rule`'s webhook about `c`, in the caller's transaction.
pub(crate) async fn enqueue(
    tx: &mut Tx,
    rule: &Rule,
    trigger: Trigger,
    c: &Conversation,
    url: &str,
    secret: Option<&str>,
    now: Millis,
) -> Result<()> {
    let body = json!({
        "event": "rule.fired",
        "rule": { "id": rule.id, "name": rule.name },
        "trigger": trigger,
        "conversation": {
            "id": c.id, "number": c.number, "subject": c.subject, "status": c.status,
            "priority": c.priority, "labels": c.labels, "inbox_id": c.inbox_id,
            "contact_id": c.contact_id, "assignee_id": c.assignee_id, "team_id": c.team_id,
        },
        "fired_at": now,
    });
    let payload = Payload {
        conversation_id: c.id,
        rule_name: rule.name.clone(),
        url: url.to_string(),
        secret: secret.map(str::to_string),
        body,
    };
    let job =
        Job::new(c.workspace_id, WEBHOOK, serde_json::to_value(&payload).unwrap_or_default(), now, WEBHOOK_ATTEMPTS);
    tx.enqueue_job(&job, now).await?;
    Ok(())
}

impl crate::Workers {
    /// Calls a rule's webhook once; on the last failure, or on success, the conversation
    /// gets an activity line saying so.
    pub(crate) async fn call_webhook(&self, job: &Job) -> Result<()> {
        let payload: Payload = match serde_json::from_value(job.payload.clone()) {
            Ok(p) => p,
            Err(e) => return Err(crate::Error::Internal(format!("a webhook job's payload is unreadable: {e}"))),
        };
        let by = format!("Rule “{}”", payload.rule_name);
        let Some(sender) = self.webhooks() else {
            let line = format!("{by} could not call {}: this server sends no webhooks", payload.url);
            return self.app.webhook_line(job, payload.conversation_id, &line).await;
        };
        let body = serde_json::to_vec(&payload.body).unwrap_or_default();
        let delivery_id = job.id.to_string();
        match sender.post(&payload.url, payload.secret.as_deref(), body, &delivery_id).await {
            Ok(_) => self.app.webhook_line(job, payload.conversation_id, &format!("{by} called {}", payload.url)).await,
            Err(DeliveryError { message, permanent }) if permanent || job.attempts >= job.max_attempts => {
                let line = format!("{by} could not call {}: {message}", payload.url);
                self.app.webhook_line(job, payload.conversation_id, &line).await
            }
            // Retried by the job queue, with backoff.
            Err(e) => Err(crate::Error::Internal(e.message)),
        }
    }
}

impl App {
    /// An activity line about a webhook call on its conversation (if it still exists).
    async fn webhook_line(&self, job: &Job, id: ConversationId, line: &str) -> Result<()> {
        let ws = job.workspace_id;
        let mut tx = self.store_().write().await?;
        let Some(c) = tx.get_conversation(ws, id).await? else { return Ok(()) };
        let m = Message::from_team(&c, MessageKind::Activity, Author::System, line.to_string(), self.now());
        tx.insert_message(&m).await?;
        self.commit(tx, ws, vec![message_event(&m)]).await
    }
}
