//! Every change lands in the event log and reaches live subscribers after the commit.

use super::ctx;
use domain::EventKind;
use std::time::Duration;

#[tokio::test]
async fn changes_are_logged_and_relayed_in_order() {
    let t = ctx().await;
    // Let the relay start from the current end of the log.
    for _ in 0..100 {
        if t.app.bus().relayed() >= 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
