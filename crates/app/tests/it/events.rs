//! Every change lands in the event log and reaches live subscribers after the commit.

use super::ctx;
use domain::EventKind;
use std::time::Duration;

/// Waits until the relay has started from the current end of the log.
async fn relay_started(t: &super::Ctx) {
    for _ in 0..100 {
        if t.app.bus().relayed() >= 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn changes_are_logged_and_relayed_in_order() {
    let t = ctx().await;
    relay_started(&t).await;
    let mut rx = t.app.bus().subscribe();
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.app.reply(&t.owner, conv.id, app::ReplyInput { text: "Hello!".into(), ..Default::default() }).await.unwrap();

    let mut kinds = Vec::new();
    let mut last = 0;
    while kinds.len() < 6 {
        let e = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("event in time").unwrap();
        assert!(e.seq > last, "in log order");
        last = e.seq;
        kinds.push(e.kind);
    }
    assert_eq!(
        kinds,
        vec![
            EventKind::ContactCreated,
            EventKind::ConversationCreated,
            EventKind::MessageCreated,
            EventKind::QueueUpdated,
            EventKind::MessageCreated,
            EventKind::ConversationUpdated
        ]
    );
    let replay = t.app.events_since(&t.owner, 0, 100).await.unwrap();
    assert_eq!(replay.last().unwrap().seq, last);
    let after_two = t.app.events_since(&t.owner, replay[1].seq, 100).await.unwrap();
    assert_eq!(after_two.len(), replay.len() - 2, "resuming from a sequence number loses nothing");
}

#[tokio::test]
async fn live_events_of_inbound_batches_and_other_changes_arrive_once_each_as_logged() {
    let t = ctx().await;
    relay_started(&t).await;
    let start = t.app.bus().relayed();
    let mut rx = t.app.bus().subscribe();
    let ws = t.owner.workspace_id;
    // Messages received at once are committed in batches, whose events go to subscribers
    // straight from the writer; replies between them are read back from the log.
    for round in 0..3 {
        let inputs: Vec<_> = (0..20).map(|i| t.inbound(&format!("c{round}-{i}@example.com"), None, "Hi")).collect();
        let received = futures_util::future::join_all(inputs.into_iter().map(|input| t.app.receive_inbound(ws, input)));
        let conv = received.await.into_iter().map(Result::unwrap).next().unwrap().conversation;
        let reply = app::ReplyInput { text: format!("Reply {round}"), ..Default::default() };
        t.app.reply(&t.owner, conv.id, reply).await.unwrap();
    }
    let logged = t.app.events_since(&t.owner, start, 1_000).await.unwrap();
    assert!(logged.len() > 3 * 20 * 3, "each message logs several events");
    for expected in &logged {
        let e = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("event in time").unwrap();
        assert_eq!(
            (e.seq, e.kind, e.conversation_id, &e.data, e.created_at),
            (expected.seq, expected.kind, expected.conversation_id, &expected.data, expected.created_at),
            "live events are the log's, in its order, each once"
        );
    }
    assert!(tokio::time::timeout(Duration::from_millis(300), rx.recv()).await.is_err(), "nothing more, nothing twice");
}
