//! The delivery worker: retries with backoff, dead letters, and the message status.

use super::ctx;
use app::{Deliverer, DeliveryError, DeliveryFuture, DeliveryRequest, Workers};
use domain::{ChannelKind, DeliveryStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Fails the first `failures` attempts, then succeeds.
struct Flaky {
    failures: usize,
    calls: AtomicUsize,
}

impl Deliverer for Flaky {
    fn deliver<'a>(&'a self, req: DeliveryRequest<'a>) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            if n < self.failures {
                Err(DeliveryError { message: format!("server said no ({})", req.message.text), permanent: false })
            } else {
                Ok(Some(format!("provider-{n}")))
            }
        })
    }
}

async fn drain(t: &super::Ctx, workers: &Workers, rounds: usize) {
    for _ in 0..rounds {
        t.clock.advance(1_000);
        workers.run_once().await.unwrap();
    }
}

#[tokio::test]
async fn retries_until_sent() {
    let t = ctx().await;
    let flaky = Arc::new(Flaky { failures: 2, calls: AtomicUsize::new(0) });
    let workers = Workers::new(t.app.clone()).with_deliverer(ChannelKind::Api, flaky.clone());
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    let reply =
        t.app.reply(&t.owner, conv.id, app::ReplyInput { text: "Hello".into(), ..Default::default() }).await.unwrap();

    workers.run_once().await.unwrap();
    let after_one = t.app.list_messages(&t.owner, conv.id, None, 10).await.unwrap().items.pop().unwrap();
    assert_eq!(after_one.delivery_status, Some(DeliveryStatus::Queued), "still queued while retrying");
    assert_eq!(after_one.delivery_error.as_deref(), Some("server said no (Hello)"));

    drain(&t, &workers, 5).await;
    let sent = t.app.list_messages(&t.owner, conv.id, None, 10).await.unwrap().items.pop().unwrap();
    assert_eq!(sent.id, reply.id);
    assert_eq!(sent.delivery_status, Some(DeliveryStatus::Sent));
    assert_eq!(sent.delivery_error, None);
    assert_eq!(sent.provider_message_id.as_deref(), Some("provider-2"));
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3, "delivered once after two failures");
}

#[tokio::test]
async fn gives_up_after_the_last_attempt() {
    let t = ctx().await;
    let never = Arc::new(Flaky { failures: usize::MAX, calls: AtomicUsize::new(0) });
    let workers = Workers::new(t.app.clone()).with_deliverer(ChannelKind::Api, never.clone());
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.app.reply(&t.owner, conv.id, app::ReplyInput { text: "Hello".into(), ..Default::default() }).await.unwrap();
    workers.run_once().await.unwrap();
    drain(&t, &workers, 10).await;
    let failed = t.app.list_messages(&t.owner, conv.id, None, 10).await.unwrap().items.pop().unwrap();
    assert_eq!(failed.delivery_status, Some(DeliveryStatus::Failed));
    assert_eq!(failed.delivery_error.as_deref(), Some("server said no (Hello)"));
    assert_eq!(never.calls.load(Ordering::SeqCst), 4, "max_attempts tries, then dead");
}

#[tokio::test]
async fn a_channel_without_a_sender_fails_at_once() {
    let t = ctx().await;
    let workers = Workers::new(t.app.clone());
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.app.reply(&t.owner, conv.id, app::ReplyInput { text: "Hello".into(), ..Default::default() }).await.unwrap();
    workers.run_once().await.unwrap();
    let failed = t.app.list_messages(&t.owner, conv.id, None, 10).await.unwrap().items.pop().unwrap();
    assert_eq!(failed.delivery_status, Some(DeliveryStatus::Failed));
    assert!(failed.delivery_error.unwrap().contains("cannot send on api inboxes"));
}
