//! SLAs: the default policy, clocks per conversation with pauses while pending, warning and
//! breach events raised once, and policy changes checked and kept to admins.

use super::ctx;
use app::SlaPolicyInput;
use domain::{EventKind, SlaKind, SlaState, Status};

const MINUTE: i64 = 60_000;

fn clock(sla: &app::ConversationSla, kind: SlaKind) -> domain::SlaClock {
    sla.clocks.iter().find(|c| c.kind == kind).unwrap_or_else(|| panic!("no {kind} clock")).clock
}

#[tokio::test]
async fn a_default_policy_is_made_from_the_built_in_targets() {
    let t = ctx().await;
    let policies = t.app.sla_policies(&t.owner).await.unwrap();
    assert_eq!(policies.len(), 1);
    let (p, is_default) = &policies[0];
    assert!(*is_default);
    assert_eq!(p.name, "Standard");
    assert_eq!(p.targets, domain::SlaPolicy::default_targets());
    assert_eq!(t.app.sla_policies(&t.owner).await.unwrap().len(), 1, "made once");
}

#[tokio::test]
async fn clocks_pause_while_pending_and_stop_on_reply() {
    let t = ctx().await;
    let c = t.receive("ana@example.com", None, "Hello?").await.conversation;
    // An API inbox counts like a messenger: first response 15 minutes, resolution 8 hours.
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!(sla.policy_name, "Standard");
    let first = clock(&sla, SlaKind::FirstResponse);
    assert_eq!(
        (first.state, first.time_left, first.due_at),
        (SlaState::Running, 15 * MINUTE, Some(c.created_at + 15 * MINUTE))
    );
    assert_eq!(clock(&sla, SlaKind::Resolution).time_left, 480 * MINUTE);
    assert!(sla.clocks.iter().all(|v| v.kind != SlaKind::NextResponse), "no next response before the first");

    t.clock.advance(5 * MINUTE);
    t.app.set_status(&t.owner, c.id, Status::Pending, None).await.unwrap();
    t.clock.advance(60 * MINUTE);
    let first = clock(&t.app.conversation_sla(&t.owner, c.id).await.unwrap(), SlaKind::FirstResponse);
    assert_eq!((first.state, first.time_left), (SlaState::Paused, 10 * MINUTE));

    // The customer writes: the conversation wakes and the clock runs again.
    t.receive("ana@example.com", None, "Any news?").await;
    t.clock.advance(4 * MINUTE);
    let first = clock(&t.app.conversation_sla(&t.owner, c.id).await.unwrap(), SlaKind::FirstResponse);
    assert_eq!((first.state, first.time_left), (SlaState::Running, 6 * MINUTE));

    t.app.reply(&t.owner, c.id, app::ReplyInput { text: "On it".into(), ..Default::default() }).await.unwrap();
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!(clock(&sla, SlaKind::FirstResponse).state, SlaState::Met);
    t.receive("ana@example.com", None, "Thanks, and?").await;
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!(clock(&sla, SlaKind::NextResponse).time_left, 30 * MINUTE, "a next-response clock starts");
}

#[tokio::test]
async fn warnings_and_breaches_are_raised_once() {
    let t = ctx().await;
    let c = t.receive("ana@example.com", None, "Hello?").await.conversation;
    t.app.run_sla().await.unwrap();
    t.clock.advance(11 * MINUTE);
    assert_eq!(t.app.run_sla().await.unwrap(), 0, "not yet at 75 %");
    t.clock.advance(MINUTE);
    assert_eq!(t.app.run_sla().await.unwrap(), 1, "first-response warning");
    assert_eq!(t.app.run_sla().await.unwrap(), 0, "once");
    t.clock.advance(3 * MINUTE);
    assert_eq!(t.app.run_sla().await.unwrap(), 1, "first-response breach");
    let events = t.app.events_since(&t.owner, 0, 1_000).await.unwrap();
    let sla: Vec<_> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::SlaWarning | EventKind::SlaBreached))
        .map(|e| (e.kind, e.data["sla"].as_str().unwrap().to_string(), e.conversation_id))
        .collect();
    assert_eq!(
        sla,
        vec![
            (EventKind::SlaWarning, "first_response".to_string(), Some(c.id)),
            (EventKind::SlaBreached, "first_response".to_string(), Some(c.id)),
        ]
    );
    let first = clock(&t.app.conversation_sla(&t.owner, c.id).await.unwrap(), SlaKind::FirstResponse);
    assert_eq!((first.state, first.time_left), (SlaState::Breached, 0), "breached as the target is reached");
}

#[tokio::test]
async fn policies_are_checked_and_kept_to_admins() {
    let t = ctx().await;
    let ana = t.agent("ana@acme.test", "Ana").await;
    let input = |name: &str| SlaPolicyInput { name: name.into(), targets: None, calendar: None, warn_at: None };
    assert!(matches!(t.app.create_sla_policy(&ana, input("VIP"), false).await, Err(app::Error::Forbidden(_))));
    let bad = SlaPolicyInput {
        targets: Some(vec![serde_json::from_str(r#"{"channel": "api", "first_response_minutes": 0}"#).unwrap()]),
        ..input("VIP")
    };
    let e = t.app.create_sla_policy(&t.owner, bad, false).await.unwrap_err();
    assert!(e.to_string().starts_with("targets[0].first_response_minutes"), "{e}");
    let cal =
        serde_json::from_str(r#"{"kind": "weekly", "time_zone": "Mars/Olympus", "week": {"mon": ["09:00-17:00"]}}"#)
            .unwrap();
    let e = t
        .app
        .create_sla_policy(&t.owner, SlaPolicyInput { calendar: Some(cal), ..input("VIP") }, false)
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("calendar."), "{e}");

    let fast = SlaPolicyInput {
        targets: Some(vec![serde_json::from_str(r#"{"channel": "api", "first_response_minutes": 5}"#).unwrap()]),
        ..input("VIP")
    };
    let (vip, is_default) = t.app.create_sla_policy(&t.owner, fast, true).await.unwrap();
    assert!(is_default);
    let c = t.receive("ana@example.com", None, "Hello?").await.conversation;
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!((sla.policy_name.as_str(), clock(&sla, SlaKind::FirstResponse).time_left), ("VIP", 5 * MINUTE));
    assert!(sla.clocks.iter().all(|v| v.kind != SlaKind::Resolution), "no resolution target in VIP");
    assert!(matches!(t.app.delete_sla_policy(&t.owner, vip.id).await, Err(app::Error::Conflict { .. })));
    let standard =
        t.app.sla_policies(&t.owner).await.unwrap().into_iter().find(|(p, _)| p.name == "Standard").unwrap().0;
    t.app.update_sla_policy(&t.owner, standard.id, None, input("ignored"), true).await.unwrap();
    t.app.delete_sla_policy(&t.owner, vip.id).await.unwrap();
    assert_eq!(t.app.sla_policies(&t.owner).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_inbox_can_have_its_own_policy() {
    let t = ctx().await;
    let fast = SlaPolicyInput {
        name: "VIP".into(),
        targets: Some(vec![serde_json::from_str(r#"{"channel": "api", "first_response_minutes": 3}"#).unwrap()]),
        calendar: None,
        warn_at: None,
    };
    let (vip, is_default) = t.app.create_sla_policy(&t.owner, fast, false).await.unwrap();
    assert!(!is_default);
    let mut settings = t.inbox.settings.clone();
    settings.sla_policy_id = Some(vip.id);
    let patch = app::InboxPatch { name: None, settings: Some(settings.clone()), status: None };
    t.app.update_inbox(&t.owner, t.inbox.id, patch).await.unwrap();
    let c = t.receive("ana@example.com", None, "Hello?").await.conversation;
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!((sla.policy_name.as_str(), clock(&sla, SlaKind::FirstResponse).time_left), ("VIP", 3 * MINUTE));
    let rows = t.app.conversations_sla(&t.owner, std::slice::from_ref(&c)).await.unwrap();
    assert_eq!(rows[&c.id].policy_name, "VIP");

    settings.sla_policy_id = Some(domain::SlaPolicyId::new());
    let patch = app::InboxPatch { name: None, settings: Some(settings), status: None };
    let e = t.app.update_inbox(&t.owner, t.inbox.id, patch).await.unwrap_err();
    assert!(e.to_string().starts_with("settings.sla_policy_id"), "{e}");
    // Deleting the policy puts the inbox back on the default.
    t.app.delete_sla_policy(&t.owner, vip.id).await.unwrap();
    let sla = t.app.conversation_sla(&t.owner, c.id).await.unwrap();
    assert_eq!(sla.policy_name, "Standard");
}

/// The pass sets timers a few conversations per write transaction, picking up where the
/// last left off even inside a run of conversations changed at the same moment.
#[tokio::test]
async fn the_pass_sets_every_timer_in_short_transactions() {
    let t = ctx().await;
    // All at one instant (the test clock stands still), more than one transaction's worth.
    for i in 0..60 {
        t.receive(&format!("c{i}@example.com"), None, "Hello?").await;
    }
    assert_eq!(t.app.run_sla().await.unwrap(), 0);
    t.clock.advance(12 * MINUTE);
    assert_eq!(t.app.run_sla().await.unwrap(), 60, "a first-response warning for each of the 60");
    assert_eq!(t.app.run_sla().await.unwrap(), 0, "once");
}
