//! Working conversations: replies, notes with mentions, and changes with activity lines.

use super::ctx;
use domain::{AssigneeFilter, ConversationFilter, DeliveryStatus, MessageKind, Priority, Status};

#[tokio::test]
async fn a_reply_is_queued_and_sets_first_response() {
    let t = ctx().await;
    let inbound = t.receive("ana@example.com", None, "Help").await;
    t.clock.advance(5_000);
    let reply = t
        .app
        .reply(
            &t.owner,
            inbound.conversation.id,
            app::ReplyInput {
                text: "On it!".into(),
                html: Some("<b>On it!</b><script>x</script>".into()),
                attachments: vec![],
                reply_all: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(reply.delivery_status, Some(DeliveryStatus::Queued));
    assert_eq!(reply.html.as_deref(), Some("<b>On it!</b>"));
    let conv = t.app.get_conversation(&t.owner, inbound.conversation.id).await.unwrap();
    assert_eq!(conv.first_response_at, Some(inbound.conversation.created_at + 5_000));
    assert_eq!(conv.waiting_since, None);
    let empty = t.app.reply(&t.owner, conv.id, app::ReplyInput::default()).await;
    assert!(matches!(empty, Err(app::Error::Invalid { .. })));
}

#[tokio::test]
async fn a_mention_notifies_the_teammate_and_makes_them_a_participant() {
    let t = ctx().await;
    let kai = t.agent("kai@acme.test", "Kai Agent").await;
    let conv = t.receive("ana@example.com", None, "Refund please").await.conversation;
    let note = t.app.add_note(&t.owner, conv.id, "@kai can you check the refund? @nobody").await.unwrap();
    assert_eq!(note.kind, MessageKind::Note);
    let (page, unread) = t.app.list_notifications(&kai, false, None, 10).await.unwrap();
    assert_eq!(unread, 1);
    assert_eq!(page.items[0].kind, "mention");
    assert_eq!(page.items[0].message_id, Some(note.id));
    let (_, owner_unread) = t.app.list_notifications(&t.owner, false, None, 10).await.unwrap();
    assert_eq!(owner_unread, 0, "the author is not notified");
    let conv = t.app.get_conversation(&t.owner, conv.id).await.unwrap();
    assert_eq!(conv.participants, vec![kai.user_id]);
    t.app.mark_notification_read(&kai, page.items[0].id).await.unwrap();
    assert_eq!(t.app.list_notifications(&kai, true, None, 10).await.unwrap().1, 0);
}

#[tokio::test]
async fn changes_leave_activity_lines_and_move_counters() {
    let t = ctx().await;
    let kai = t.agent("kai@acme.test", "Kai Agent").await;
    let conv = t.receive("ana@example.com", None, "Help").await.conversation;
    let team = t.app.create_team(&t.owner, "Billing", vec![kai.user_id]).await.unwrap();

    t.app.assign(&t.owner, conv.id, Some(kai.user_id)).await.unwrap();
    t.app.set_team(&t.owner, conv.id, Some(team.id)).await.unwrap();
    t.app.set_labels(&t.owner, conv.id, vec!["Refund".into(), "vip".into(), "vip".into()]).await.unwrap();
    t.app.set_priority(&t.owner, conv.id, Priority::High).await.unwrap();
    let resolved = t.app.set_status(&t.owner, conv.id, Status::Resolved, None).await.unwrap();
    assert_eq!(resolved.labels, vec!["refund", "vip"]);
    assert_eq!(resolved.assignee_id, Some(kai.user_id));
    // Doing the same again changes nothing and records nothing.
    t.app.set_priority(&t.owner, conv.id, Priority::High).await.unwrap();

    let thread = t.app.list_messages(&t.owner, conv.id, None, 50).await.unwrap();
    let lines: Vec<&str> =
        thread.items.iter().filter(|m| m.kind == MessageKind::Activity).map(|m| m.text.as_str()).collect();
    assert_eq!(
        lines,
        vec![
            "Olga Owner assigned this to Kai Agent",
            "Olga Owner moved this to the team Billing",
            "Olga Owner labelled this: added refund, vip",
            "Olga Owner set the priority to high",
            "Olga Owner resolved this",
        ]
    );
    let (notes, unread) = t.app.list_notifications(&kai, false, None, 10).await.unwrap();
    assert_eq!((notes.items[0].kind.as_str(), unread), ("assignment", 1));

    let count = |filter: ConversationFilter| {
        let app = t.app.clone();
        let owner = t.owner;
        async move {
            app.list_conversations(&owner, app::ConversationQuery { filter, cursor: None, limit: 5 }).await.unwrap()
        }
    };
    let open = count(ConversationFilter { status: Some(Status::Open), ..Default::default() }).await;
    assert_eq!((open.total, open.page.items.len()), (Some(0), 0));
    let mine = count(ConversationFilter {
        status: Some(Status::Resolved),
        assignee: AssigneeFilter::User(kai.user_id),
        ..Default::default()
    })
    .await;
    assert_eq!((mine.total, mine.page.items.len()), (Some(1), 1));
    let labelled =
        count(ConversationFilter { status: Some(Status::Resolved), label: Some("vip".into()), ..Default::default() })
            .await;
    assert_eq!((labelled.total, labelled.page.items.len()), (Some(1), 1));
    let team_list =
        count(ConversationFilter { team_id: Some(team.id), priority: Some(Priority::High), ..Default::default() })
            .await;
    assert_eq!((team_list.total, team_list.page.items.len()), (None, 1));
}

#[tokio::test]
async fn bad_changes_are_refused_with_the_field() {
    let t = ctx().await;
    let conv = t.receive("ana@example.com", None, "Help").await.conversation;
    let err = t.app.set_status(&t.owner, conv.id, Status::Snoozed, None).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "snoozed_until"), "{err:?}");
    let err = t.app.set_labels(&t.owner, conv.id, vec!["two words".into()]).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "labels"));
    let stranger = domain::UserId::new();
    let err = t.app.assign(&t.owner, conv.id, Some(stranger)).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "user_id"));
    let until = t.clock_now() + 3_600_000;
    let snoozed = t.app.set_status(&t.owner, conv.id, Status::Snoozed, Some(until)).await.unwrap();
    assert_eq!(snoozed.snoozed_until, Some(until));
}

#[tokio::test]
async fn keyset_pages_cover_every_conversation_once() {
    let t = ctx().await;
    for i in 0..23 {
        t.receive(&format!("c{i}@example.com"), None, "Hi").await;
        if i % 3 == 0 {
            t.clock.advance(1);
        }
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let q = app::ConversationQuery { filter: Default::default(), cursor, limit: 5 };
        let list = t.app.list_conversations(&t.owner, q).await.unwrap();
        seen.extend(list.page.items.iter().map(|c| c.number));
        match list.page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, (1..=23).collect::<Vec<_>>());
}

impl super::Ctx {
    fn clock_now(&self) -> i64 {
        use app::Clock;
        self.clock.now()
    }
}

#[tokio::test]
async fn unread_marks_follow_what_the_agent_has_seen() {
    let t = ctx().await;
    let conv = t.receive("ana@example.com", None, "Hello there").await.conversation;
    let list = |actor| {
        let app = t.app.clone();
        async move {
            app.list_conversations(
                &actor,
                app::ConversationQuery { filter: Default::default(), cursor: None, limit: 5 },
            )
            .await
            .unwrap()
        }
    };
    let first = list(t.owner).await;
    assert_eq!(first.unread, vec![conv.id]);
    assert_eq!(first.page.items[0].preview.as_deref(), Some("Hello there"));
    t.clock.advance(10);
    t.app.mark_conversation_seen(&t.owner, conv.id).await.unwrap();
    assert!(list(t.owner).await.unread.is_empty());
    t.clock.advance(10);
    t.receive("ana@example.com", None, "Are you there?").await;
    assert_eq!(list(t.owner).await.unread, vec![conv.id], "a new customer message makes it unread again");
}

#[tokio::test]
async fn a_failed_reply_can_be_retried_and_labels_have_a_catalogue() {
    let t = ctx().await;
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    let reply =
        t.app.reply(&t.owner, conv.id, app::ReplyInput { text: "Hello".into(), ..Default::default() }).await.unwrap();
    let err = t.app.retry_delivery(&t.owner, reply.id).await.unwrap_err();
    assert!(matches!(err, app::Error::Conflict { .. }), "a queued reply is not retried");
    app::Workers::new(t.app.clone()).run_once().await.unwrap();
    let retried = t.app.retry_delivery(&t.owner, reply.id).await.unwrap();
    assert_eq!(retried.delivery_status, Some(DeliveryStatus::Queued));

    t.app.create_label(&t.owner, "VIP", "#FF0000").await.unwrap();
    assert!(matches!(t.app.create_label(&t.owner, "vip", "#00ff00").await, Err(app::Error::Conflict { .. })));
    assert!(matches!(t.app.create_label(&t.owner, "x", "red").await, Err(app::Error::Invalid { .. })));
    let labels = t.app.list_labels(&t.owner).await.unwrap();
    assert_eq!(labels, vec![app::Label { name: "vip".into(), color: "#ff0000".into() }]);
    t.app.delete_label(&t.owner, "vip").await.unwrap();
    assert!(t.app.list_labels(&t.owner).await.unwrap().is_empty());
}

#[tokio::test]
async fn presence_reaches_teammates_without_being_stored() {
    let t = ctx().await;
    let kai = t.agent("kai@acme.test", "Kai Agent").await;
    let conv = t.receive("ana@example.com", None, "Hi").await.conversation;
    let mut rx = t.app.bus().subscribe_ephemeral();
    t.app.announce_presence(&kai, conv.id, true).await.unwrap();
    let signal = rx.recv().await.unwrap();
    assert_eq!(
        (signal.name.as_str(), signal.activity.as_str(), signal.conversation_id),
        ("Kai Agent", "typing", conv.id)
    );
    let before = t.app.events_since(&t.owner, 0, 1000).await.unwrap().len();
    t.app.announce_presence(&kai, conv.id, false).await.unwrap();
    assert_eq!(t.app.events_since(&t.owner, 0, 1000).await.unwrap().len(), before, "presence never enters the log");
}
