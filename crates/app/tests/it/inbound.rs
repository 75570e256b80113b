//! Receiving customer messages: contacts, threading, reopening, idempotency.

use super::ctx;
use domain::{AssigneeFilter, ConversationFilter, InboxSettings, Status};

#[tokio::test]
async fn first_message_creates_contact_and_conversation_then_threads() {
    let t = ctx().await;
    let first = t.receive("Ana@Example.com", Some("p-1"), "Where is my order?").await;
    assert!(!first.duplicate);
    assert_eq!(first.conversation.number, 1);
    assert_eq!(first.conversation.status, Status::Open);
    let contact = t.app.get_contact(&t.owner, first.conversation.contact_id).await.unwrap();
    assert_eq!(contact.identities[0].value, "ana@example.com");

    t.clock.advance(1_000);
    let second = t.receive("ana@example.com", Some("p-2"), "Any news?").await;
    assert_eq!(second.conversation.id, first.conversation.id, "same contact, same inbox: same thread");
    assert_eq!(second.conversation.message_count, 2);

    let other = t.receive("bob@example.com", Some("p-3"), "Hello").await;
    assert_ne!(other.conversation.id, first.conversation.id);
    assert_eq!(other.conversation.number, 2);

    let q = app::ConversationQuery {
        filter: ConversationFilter {
            status: Some(Status::Open),
            assignee: AssigneeFilter::Nobody,
            ..Default::default()
        },
        cursor: None,
        limit: 10,
    };
    let list = t.app.list_conversations(&t.owner, q).await.unwrap();
    assert_eq!(list.total, Some(2), "counters kept on write");
    assert_eq!(list.page.items[0].id, other.conversation.id, "most recent first");
}

#[tokio::test]
async fn the_same_provider_id_twice_is_one_message() {
    let t = ctx().await;
    let a = t.receive("ana@example.com", Some("dup"), "Hi").await;
    let b = t.receive("ana@example.com", Some("dup"), "Hi").await;
    assert!(b.duplicate);
    assert_eq!(a.message.id, b.message.id);
    let page = t.app.list_messages(&t.owner, a.conversation.id, None, 50).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn concurrent_duplicates_store_one_message() {
    let t = ctx().await;
    let ws = t.owner.workspace_id;
    let calls = (0..6).map(|_| t.app.receive_inbound(ws, t.inbound("race@example.com", Some("same"), "Hello")));
    let results = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<_> = results.into_iter().map(|r| r.unwrap().message.id).collect();
    assert_eq!(ids.len(), 1, "every call answers with the one stored message");
    let list = t
        .app
        .list_conversations(&t.owner, app::ConversationQuery { filter: Default::default(), cursor: None, limit: 10 })
        .await
        .unwrap();
    assert_eq!(list.page.items.len(), 1);
    let page = t.app.list_messages(&t.owner, list.page.items[0].id, None, 50).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

#[tokio::test]
async fn a_recently_resolved_conversation_reopens_and_an_old_one_does_not() {
    let t = ctx().await;
    let first = t.receive("ana@example.com", None, "Help").await;
    t.app.set_status(&t.owner, first.conversation.id, Status::Resolved, None).await.unwrap();
    t.clock.advance(60_000);
    let again = t.receive("ana@example.com", None, "One more thing").await;
    assert_eq!(again.conversation.id, first.conversation.id);
    assert_eq!(again.conversation.status, Status::Open);
    assert_eq!(again.conversation.reopen_count, 1);

    t.app.set_status(&t.owner, first.conversation.id, Status::Resolved, None).await.unwrap();
    t.clock.advance(8 * 24 * 3_600_000);
    let later = t.receive("ana@example.com", None, "New question").await;
    assert_ne!(later.conversation.id, first.conversation.id, "past the reopen window a new conversation starts");

    let settings = InboxSettings { reopen_window_minutes: 0, ..Default::default() };
    t.app
        .update_inbox(&t.owner, t.inbox.id, app::InboxPatch { settings: Some(settings), ..Default::default() })
        .await
        .unwrap();
    t.app.set_status(&t.owner, later.conversation.id, Status::Resolved, None).await.unwrap();
    let fresh = t.receive("ana@example.com", None, "And another").await;
    assert_ne!(fresh.conversation.id, later.conversation.id, "a zero window never reopens");
}

#[tokio::test]
async fn html_is_sanitised_and_bad_input_is_refused() {
    let t = ctx().await;
    let mut input = t.inbound("ana@example.com", None, "");
    input.html = Some(r#"<p>Hi <img src=x onerror=alert(1)><script>alert(2)</script></p>"#.into());
    let out = t.app.receive_inbound(t.owner.workspace_id, input).await.unwrap();
    let html = out.message.html.unwrap();
    assert!(!html.contains("script") && !html.contains("onerror"), "{html}");
    assert_eq!(out.message.text, "Hi");

    let empty = t.app.receive_inbound(t.owner.workspace_id, t.inbound("ana@example.com", None, "   ")).await;
    assert!(matches!(empty, Err(app::Error::Invalid { ref field, .. }) if field == "text"), "{empty:?}");
    let long_id = "x".repeat(300);
    let bad = t.app.receive_inbound(t.owner.workspace_id, t.inbound("ana@example.com", Some(&long_id), "Hi")).await;
    assert!(matches!(bad, Err(app::Error::Invalid { ref field, .. }) if field == "provider_message_id"));
}

#[tokio::test]
async fn a_failing_message_among_many_concurrent_ones_fails_alone() {
    let t = ctx().await;
    let ws = t.owner.workspace_id;
    let mut inputs: Vec<app::Inbound> =
        (0..40).map(|i| t.inbound(&format!("c{i}@example.com"), Some(&format!("m{i}")), "Hello")).collect();
    inputs[17].inbox_id = domain::InboxId::new();
    inputs[23].text = String::new();
    let results =
        futures_util::future::join_all(inputs.into_iter().map(|input| t.app.receive_inbound(ws, input))).await;
    for (i, r) in results.iter().enumerate() {
        match i {
            17 => assert!(matches!(r, Err(app::Error::NotFound { what: "inbox" })), "{r:?}"),
            23 => assert!(matches!(r, Err(app::Error::Invalid { .. })), "{r:?}"),
            _ => assert!(r.as_ref().is_ok_and(|o| !o.duplicate), "{i}: {r:?}"),
        }
    }
    let q = app::ConversationQuery {
        filter: ConversationFilter { status: Some(Status::Open), ..Default::default() },
        cursor: None,
        limit: 100,
    };
    let list = t.app.list_conversations(&t.owner, q).await.unwrap();
    assert_eq!((list.page.items.len(), list.total), (38, Some(38)), "the others were all stored, and counted once");
}

/// Concurrent messages are committed in batches whose counters, index documents and events
/// are written together at the commit: each must still be counted, findable and logged once,
/// in order, including a returning customer's second message inside the same batch.
/// The inbound writer accounts for every message it commits in a batch, and its phases
/// add up to no more than the time they took (SQLite; PostgreSQL has no batch writer).
#[tokio::test]
async fn the_writer_profile_accounts_for_every_batched_message() {
    let t = ctx().await;
    let ws = t.owner.workspace_id;
    let before = t.app.writer_profile();
    let inputs: Vec<app::Inbound> =
        (0..20).map(|i| t.inbound(&format!("p{i}@example.com"), Some(&format!("p{i}")), "hello")).collect();
    let started = std::time::Instant::now();
    for r in futures_util::future::join_all(inputs.into_iter().map(|input| t.app.receive_inbound(ws, input))).await {
        r.unwrap();
    }
    let elapsed = started.elapsed().as_micros() as u64;
    let after = t.app.writer_profile();
    if t.app.store().dialect() == store::Dialect::Postgres {
        assert_eq!(after, app::WriterProfile::default(), "no batch writer on PostgreSQL");
        return;
    }
    assert_eq!(after.messages - before.messages, 20);
    let batches = after.batches - before.batches;
    assert!((1..=20).contains(&batches), "{batches} batches for 20 messages");
    let spent = [after.begin_us, after.look_up_us, after.receive_us, after.write_us, after.commit_us];
    let spent_before = [before.begin_us, before.look_up_us, before.receive_us, before.write_us, before.commit_us];
    let spent: u64 = spent.iter().zip(spent_before).map(|(a, b)| a - b).sum();
    assert!(spent > 0 && spent <= elapsed, "{spent} µs in phases, {elapsed} µs in all");
}

/// With durable SQLite commits, the inbound writer answers a batch only after a sync of the
/// WAL that covers its commit (run beside the next batch), and publishes its events then.
#[tokio::test]
async fn durable_batches_are_answered_once_their_commit_is_synced() {
    let t = super::ctx_with(store::Durability::Full).await;
    let ws = t.owner.workspace_id;
    let before = t.app.events_since(&t.owner, 0, 10_000).await.unwrap().len();
    let inputs: Vec<app::Inbound> =
        (0..40).map(|i| t.inbound(&format!("d{i}@example.com"), Some(&format!("d{i}")), "hello")).collect();
    let base = store::testing::wal_commits(t.app.store()).await.map(|(committed, _)| committed);
    let mut answers: futures_util::stream::FuturesUnordered<_> =
        inputs.into_iter().map(|input| t.app.receive_inbound(ws, input)).collect();
    while let Some(answer) = futures_util::StreamExt::next(&mut answers).await {
        answer.unwrap();
        // The answered message's batch was committed after `base`, and is synced by now.
        if let (Some(base), Some((_, synced))) = (base, store::testing::wal_commits(t.app.store()).await) {
            assert!(synced > base, "an answer came back with only {synced} commits synced, {base} of them before");
        }
    }
    if let Some((committed, synced)) = store::testing::wal_commits(t.app.store()).await {
        assert_eq!(synced, committed, "every commit synced once all were answered");
    }
    let events = t.app.events_since(&t.owner, 0, 10_000).await.unwrap();
    let created = events[before..].iter().filter(|e| e.kind == domain::EventKind::MessageCreated).count();
    assert_eq!(created, 40);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq), "in order");
}

#[tokio::test]
async fn batched_messages_are_counted_indexed_and_logged_once() {
    let t = ctx().await;
    let ws = t.owner.workspace_id;
    let before = t.app.events_since(&t.owner, 0, 10_000).await.unwrap().len();
    let mut inputs: Vec<app::Inbound> = (0..60)
        .map(|i| {
            let sender = if i % 10 == 9 { format!("c{}@example.com", i - 1) } else { format!("c{i}@example.com") };
            t.inbound(&sender, Some(&format!("m{i}")), &format!("parcel number{i} went missing"))
        })
        .collect();
    // The same delivery twice inside one batch, from someone new: one message.
    inputs.push(t.inbound("dup@example.com", Some("dup"), "sent twice"));
    inputs.push(t.inbound("dup@example.com", Some("dup"), "sent twice"));
    let results =
        futures_util::future::join_all(inputs.into_iter().map(|input| t.app.receive_inbound(ws, input))).await;
    let outcomes: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    let q = app::ConversationQuery {
        filter: ConversationFilter { status: Some(Status::Open), ..Default::default() },
        cursor: None,
        limit: 100,
    };
    let list = t.app.list_conversations(&t.owner, q).await.unwrap();
    assert_eq!(list.total, Some(55), "six customers wrote twice; one message came twice");
    assert_eq!(list.page.items.len(), 55);
    let duplicates: Vec<bool> =
        outcomes.iter().filter(|o| o.message.text == "sent twice").map(|o| o.duplicate).collect();
    // Which of two concurrent deliveries is stored first is a race on PostgreSQL.
    let mut duplicates = duplicates;
    duplicates.sort_unstable();
    assert_eq!(duplicates, vec![false, true], "one stored, one recognised as its repeat");
    assert_eq!(outcomes[60].message.id, outcomes[61].message.id);
    let mut numbers: Vec<i64> = list.page.items.iter().map(|c| c.number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=55).collect::<Vec<_>>(), "numbered without gaps or repeats");
    for i in [0, 8, 9, 59] {
        let hits = t.app.search(&t.owner, &format!("number{i}"), 10).await.unwrap();
        assert_eq!(hits.len(), 1, "message {i} is indexed once: {hits:?}");
    }
    let events = t.app.events_since(&t.owner, 0, 10_000).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "events in sequence order");
    let created = events[before..].iter().filter(|e| e.kind == domain::EventKind::MessageCreated).count();
    assert_eq!(created, outcomes.len() - 1, "one message event each, none for the repeat");
    let next = t.receive("late@example.com", Some("late"), "one more").await;
    assert_eq!(next.conversation.number, 56, "numbers taken in a block and not used go back");
}

/// A small file is kept in the database with its record, a large one on disk; both read
/// back whole, and the same content twice is stored once.
#[tokio::test]
async fn small_files_live_in_the_database_and_large_ones_on_disk() {
    let t = ctx().await;
    let small = b"a short note".to_vec();
    let large: Vec<u8> = (0..app::INLINE_MAX + 1).map(|i| (i % 251) as u8).collect();
    let a = t.app.store_attachment(&t.owner, "note.txt", "text/plain", &small).await.unwrap();
    let b = t.app.store_attachment(&t.owner, "big.bin", "application/octet-stream", &large).await.unwrap();
    let again = t.app.store_attachment(&t.owner, "copy.txt", "text/plain", &small).await.unwrap();
    assert_eq!(again.sha256, a.sha256);
    let (_, content) = t.app.open_attachment(&t.owner, a.id).await.unwrap();
    assert!(matches!(content, app::Content::Bytes(_)), "{content:?}");
    assert_eq!(content.read().await.unwrap(), small);
    let (_, content) = t.app.open_attachment(&t.owner, b.id).await.unwrap();
    assert!(matches!(content, app::Content::File(_)), "{content:?}");
    assert_eq!(content.read().await.unwrap(), large);
}

/// A customer known before a batch writes several times inside it, to a conversation that
/// was resolved: the batch looks their contact and thread up once and holds the thread's
/// writes back, yet every message joins that one conversation, which reopens once and
/// counts each message.
#[tokio::test]
async fn a_known_customer_writing_several_times_in_one_batch_stays_in_one_thread() {
    let t = ctx().await;
    let ws = t.owner.workspace_id;
    let first = t.receive("ana@example.com", Some("p-0"), "Help").await;
    t.app.set_status(&t.owner, first.conversation.id, Status::Resolved, None).await.unwrap();
    t.clock.advance(60_000);
    let mut inputs: Vec<app::Inbound> =
        (1..=5).map(|i| t.inbound("ana@example.com", Some(&format!("p-{i}")), &format!("more {i}"))).collect();
    inputs.extend((0..20).map(|i| t.inbound(&format!("new{i}@example.com"), Some(&format!("n-{i}")), "hi")));
    let results =
        futures_util::future::join_all(inputs.into_iter().map(|input| t.app.receive_inbound(ws, input))).await;
    let outcomes: Vec<_> = results.into_iter().map(|r| r.unwrap()).collect();
    assert!(outcomes[..5].iter().all(|o| o.conversation.id == first.conversation.id), "one thread");
    let c = t.app.get_conversation(&t.owner, first.conversation.id).await.unwrap();
    assert_eq!((c.status, c.reopen_count, c.message_count), (Status::Open, 1, 6));
    let page = t.app.list_messages(&t.owner, c.id, None, 50).await.unwrap();
    let messages = page.items.iter().filter(|m| m.kind == domain::MessageKind::Message).count();
    assert_eq!(messages, 6, "and its resolution's activity line besides");
    let contacts: std::collections::HashSet<_> = outcomes[5..].iter().map(|o| o.conversation.contact_id).collect();
    assert_eq!(contacts.len(), 20, "each new customer is a contact of their own");
}
