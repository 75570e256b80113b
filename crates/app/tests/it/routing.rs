//! Routing: presence and auto-away, automatic assignment (balanced, round robin, capacity)
//! with its activity line, re-queueing an absent agent's conversations, and the queue with
//! its positions, events and wait estimate.

use super::{Ctx, ctx};
use app::{Actor, Workers};
use domain::{AssignmentPolicy, EventKind, MessageKind, Presence, QueueScope, RoutingSettings, Status};

const MINUTE: i64 = 60_000;

async fn balanced(t: &Ctx) {
    t.app.set_assignment_policy(&t.owner, QueueScope::Inbox(t.inbox.id), AssignmentPolicy::Balanced).await.unwrap();
}

async fn online(t: &Ctx, email: &str, name: &str) -> Actor {
    let a = t.agent(email, name).await;
    t.app.set_presence(&a, Presence::Online).await.unwrap();
    a
}

/// Runs the workers once (routing jobs and the periodic pass).
async fn work(t: &Ctx) {
    Workers::new(t.app.clone()).run_once().await.unwrap();
}

async fn activity_lines(t: &Ctx, id: domain::ConversationId) -> Vec<String> {
    let msgs = t.app.list_messages(&t.owner, id, None, 100).await.unwrap().items;
    msgs.into_iter().filter(|m| m.kind == MessageKind::Activity).map(|m| m.text).collect()
}

#[tokio::test]
async fn a_new_conversation_goes_to_the_least_loaded_online_agent_with_the_reason() {
    let t = ctx().await;
    balanced(&t).await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    let bo = online(&t, "bo@acme.test", "Bo").await;
    let _offline = t.agent("cy@acme.test", "Cy").await;
    // Bo already carries one conversation.
    let first = t.receive("one@example.com", None, "Hi").await.conversation;
    t.app.assign(&t.owner, first.id, Some(bo.user_id)).await.unwrap();

    let c = t.receive("two@example.com", None, "Where is my order?").await.conversation;
    assert_eq!(c.assignee_id, None, "assignment happens after the message is stored");
    work(&t).await;
    let c = t.app.get_conversation(&t.owner, c.id).await.unwrap();
    assert_eq!(c.assignee_id, Some(ana.user_id));
    let lines = activity_lines(&t, c.id).await;
    assert_eq!(lines, vec!["Assigned to Ana automatically (balanced: load 0 of 5)".to_string()]);
    let (notes, _) = t.app.list_notifications(&ana, false, None, 10).await.unwrap();
    assert_eq!(notes.items.len(), 1, "the assignee is notified");
}

#[tokio::test]
async fn manual_inboxes_and_absent_or_full_agents_get_nothing() {
    let t = ctx().await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    let c = t.receive("one@example.com", None, "Hi").await.conversation;
    work(&t).await;
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, None, "manual by default");

    balanced(&t).await;
    t.app.set_presence(&ana, Presence::Away).await.unwrap();
    work(&t).await;
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, None, "away agents get none");

    // Room for one API conversation (0.5) only.
    t.app.set_agent_capacity(&t.owner, ana.user_id, Some(0.5)).await.unwrap();
    t.app.set_presence(&ana, Presence::Online).await.unwrap();
    let d = t.receive("two@example.com", None, "Hello?").await.conversation;
    work(&t).await;
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, Some(ana.user_id));
    assert_eq!(t.app.get_conversation(&t.owner, d.id).await.unwrap().assignee_id, None, "full");
    let place = t.app.queue_place(&t.owner, d.id).await.unwrap();
    assert_eq!((place.waiting, place.position, place.estimate), (true, Some(1), None));
    let statuses = t.app.agent_statuses(&t.owner).await.unwrap();
    let a = statuses.iter().find(|s| s.user_id == ana.user_id).unwrap();
    assert_eq!((a.presence, a.load, a.max_load, a.open_conversations), (Presence::Online, 0.5, 0.5, 1));
}

#[tokio::test]
async fn round_robin_takes_turns_within_a_team() {
    let t = ctx().await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    let bo = online(&t, "bo@acme.test", "Bo").await;
    let _outsider = online(&t, "cy@acme.test", "Cy").await;
    let team = t.app.create_team(&t.owner, "Billing", vec![ana.user_id, bo.user_id]).await.unwrap();
    t.app.set_assignment_policy(&t.owner, QueueScope::Team(team.id), AssignmentPolicy::RoundRobin).await.unwrap();
    let mut got = Vec::new();
    for i in 0..4 {
        let c = t.receive(&format!("c{i}@example.com"), None, "Invoice?").await.conversation;
        t.app.set_team(&t.owner, c.id, Some(team.id)).await.unwrap();
        work(&t).await;
        got.push(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id.unwrap());
    }
    assert!(got.iter().all(|u| *u == ana.user_id || *u == bo.user_id), "only team members");
    assert_ne!(got[0], got[1]);
    assert_eq!(got[0], got[2]);
    assert_eq!(got[1], got[3]);
}

#[tokio::test]
async fn an_absent_agents_conversations_go_back_to_the_queue_and_on_to_someone_online() {
    let t = ctx().await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    let c = t.receive("one@example.com", None, "Hi").await.conversation;
    t.app.assign(&t.owner, c.id, Some(ana.user_id)).await.unwrap();
    t.app.set_presence(&ana, Presence::Away).await.unwrap();
    t.clock.advance(29 * MINUTE);
    t.app.run_routing().await.unwrap();
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, Some(ana.user_id), "not yet");

    balanced(&t).await;
    let bo = online(&t, "bo@acme.test", "Bo").await;
    t.clock.advance(MINUTE);
    assert_eq!(t.app.run_routing().await.unwrap(), 2, "re-queued, then assigned");
    let after = t.app.get_conversation(&t.owner, c.id).await.unwrap();
    assert_eq!(after.assignee_id, Some(bo.user_id));
    let lines = activity_lines(&t, c.id).await;
    assert!(lines.contains(&"Returned to the queue: Ana has been away for 30 minutes".to_string()), "{lines:?}");
    assert_eq!(lines.last().unwrap(), "Assigned to Bo automatically (balanced: load 0 of 5)");
}

#[tokio::test]
async fn idle_online_agents_turn_away_and_are_requeued_later() {
    let t = ctx().await;
    let settings =
        RoutingSettings { auto_away_minutes: Some(10), requeue_after_minutes: Some(5), ..Default::default() };
    t.app.set_routing_settings(&t.owner, settings).await.unwrap();
    let ana = online(&t, "ana@acme.test", "Ana").await;
    let c = t.receive("one@example.com", None, "Hi").await.conversation;
    t.app.assign(&t.owner, c.id, Some(ana.user_id)).await.unwrap();
    t.clock.advance(9 * MINUTE);
    t.app.add_note(&ana, c.id, "looking").await.unwrap(); // activity
    t.clock.advance(10 * MINUTE);
    let me = t.app.agent_statuses(&t.owner).await.unwrap().into_iter().find(|s| s.user_id == ana.user_id).unwrap();
    assert_eq!((me.chosen, me.presence), (Presence::Online, Presence::Away));
    t.app.run_routing().await.unwrap();
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, Some(ana.user_id), "just away");
    t.clock.advance(4 * MINUTE);
    t.app.run_routing().await.unwrap();
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, Some(ana.user_id), "away 4 min");
    t.clock.advance(MINUTE);
    t.app.run_routing().await.unwrap();
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, None, "away 5 min: re-queued");
}

#[tokio::test]
async fn the_queue_orders_by_priority_then_arrival_and_announces_changes() {
    let t = ctx().await;
    let a = t.receive("a@example.com", None, "first").await.conversation;
    t.clock.advance(MINUTE);
    let b = t.receive("b@example.com", None, "second").await.conversation;
    t.clock.advance(MINUTE);
    let c = t.receive("c@example.com", None, "third").await.conversation;
    t.app.set_priority(&t.owner, c.id, domain::Priority::Urgent).await.unwrap();
    let view = t.app.queue_view(&t.owner, None, 25).await.unwrap();
    let order: Vec<_> = view.entries.iter().map(|e| (e.conversation_id, e.position)).collect();
    assert_eq!(order, vec![(c.id, 1), (a.id, 2), (b.id, 3)]);
    assert_eq!(view.queues.len(), 1);
    assert_eq!((view.queues[0].waiting, view.queues[0].longest_waiting_since), (3, Some(a.created_at)));
    assert_eq!(t.app.queue_place(&t.owner, b.id).await.unwrap().position, Some(3));

    balanced(&t).await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    t.app.set_agent_capacity(&t.owner, ana.user_id, Some(0.5)).await.unwrap();
    work(&t).await;
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().assignee_id, Some(ana.user_id), "urgent first");
    let events = t.app.events_since(&t.owner, 0, 1_000).await.unwrap();
    let q = events.iter().rev().find(|e| e.kind == EventKind::QueueUpdated).expect("queue.updated");
    assert_eq!(q.data["waiting"], 2);
    assert_eq!(q.data["positions"][0]["conversation_id"], serde_json::json!(a.id));
    assert_eq!(q.data["queue"]["scope"], "inbox");
    assert!(events.iter().any(|e| e.kind == EventKind::PresenceUpdated));
    let place = t.app.queue_place(&t.owner, c.id).await.unwrap();
    assert_eq!((place.waiting, place.position), (false, None));
}

#[tokio::test]
async fn the_wait_estimate_needs_ten_recent_handle_times() {
    let t = ctx().await;
    let ana = online(&t, "ana@acme.test", "Ana").await;
    for i in 0..10 {
        let c = t.receive(&format!("h{i}@example.com"), None, "Help").await.conversation;
        t.app.assign(&ana, c.id, Some(ana.user_id)).await.unwrap();
        t.clock.advance(6 * MINUTE);
        t.app.set_status(&ana, c.id, Status::Resolved, None).await.unwrap();
        let waiting = t.receive("w@example.com", None, "Waiting").await.conversation;
        let place = t.app.queue_place(&t.owner, waiting.id).await.unwrap();
        assert_eq!(place.samples, i + 1);
        if i < 9 {
            assert_eq!(place.estimate, None, "{} samples are not enough", i + 1);
        } else {
            // One waiting, one agent online, every handle time 6 minutes.
            let e = place.estimate.expect("an estimate at ten samples");
            assert_eq!((e.low, e.high), (6 * MINUTE, 6 * MINUTE));
        }
    }
    t.app.set_presence(&ana, Presence::Offline).await.unwrap();
    let waiting = t.receive("w@example.com", None, "Still waiting").await.conversation;
    assert_eq!(t.app.queue_place(&t.owner, waiting.id).await.unwrap().estimate, None, "nobody online");
}

#[tokio::test]
async fn routing_settings_and_policies_are_for_admins_and_checked() {
    let t = ctx().await;
    let ana = t.agent("ana@acme.test", "Ana").await;
    let bad = RoutingSettings { auto_away_minutes: Some(0), ..Default::default() };
    let e = t.app.set_routing_settings(&t.owner, bad).await.unwrap_err();
    assert!(e.to_string().starts_with("auto_away_minutes"), "{e}");
    assert!(matches!(
        t.app.set_routing_settings(&ana, RoutingSettings::default()).await,
        Err(app::Error::Forbidden(_))
    ));
    assert!(matches!(
        t.app.set_assignment_policy(&ana, QueueScope::Inbox(t.inbox.id), AssignmentPolicy::Balanced).await,
        Err(app::Error::Forbidden(_))
    ));
    assert!(matches!(t.app.set_agent_capacity(&ana, ana.user_id, Some(3.0)).await, Err(app::Error::Forbidden(_))));
    let e = t.app.set_agent_capacity(&t.owner, ana.user_id, Some(0.0)).await.unwrap_err();
    assert!(e.to_string().starts_with("max_load"), "{e}");
    let policies = t.app.assignment_policies(&ana).await.unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].policy, AssignmentPolicy::Manual);
}

#[tokio::test]
async fn joining_and_leaving_a_queue_is_announced_without_automatic_assignment() {
    let t = ctx().await;
    let c = t.receive("a@example.com", None, "Hello").await.conversation;
    t.app.assign(&t.owner, c.id, Some(t.owner.user_id)).await.unwrap();
    t.app.assign(&t.owner, c.id, None).await.unwrap();
    let events = t.app.events_since(&t.owner, 0, 1_000).await.unwrap();
    let changes: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EventKind::QueueUpdated)
        .map(|e| (e.data["change"].as_str().unwrap().to_string(), e.data["conversation_id"].clone()))
        .collect();
    let id = serde_json::json!(c.id);
    assert_eq!(changes, vec![("joined".into(), id.clone()), ("left".into(), id.clone()), ("joined".into(), id)]);
}
