//! Automation rules: they run on their triggers in the background, in order, each action
//! with an activity line naming the rule; chains of rules stop (loop protection); a
//! machine-sent message never gets a canned reply; rules are for admins and checked.

use super::{Ctx, ctx};
use app::{RuleInput, Workers};
use domain::email::Automated;
use domain::{Action, Condition, MessageKind, Priority, Trigger};

async fn work(t: &Ctx) {
    let w = Workers::new(t.app.clone());
    for _ in 0..3 {
        w.run_once().await.unwrap();
    }
}

fn rule(name: &str, trigger: Trigger, conditions: Vec<Condition>, actions: Vec<Action>) -> RuleInput {
    RuleInput { name: name.into(), enabled: true, position: None, trigger, conditions, actions }
}

async fn lines(t: &Ctx, id: domain::ConversationId) -> Vec<String> {
    let msgs = t.app.list_messages(&t.owner, id, None, 100).await.unwrap().items;
    msgs.into_iter()
        .filter(|m| m.kind != MessageKind::Message || m.author == domain::Author::System)
        .map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn rules_act_on_new_conversations_in_order_and_name_themselves() {
    let t = ctx().await;
    let urgent = rule(
        "Refunds are urgent",
        Trigger::ConversationCreated,
        vec![Condition::TextMatches { pattern: "*refund*|*money back*".into() }],
        vec![Action::SetPriority { priority: Priority::Urgent }, Action::AddLabel { label: "refund".into() }],
    );
    t.app.create_rule(&t.owner, urgent).await.unwrap();
    let note = rule(
        "Note it",
        Trigger::MessageReceived,
        vec![Condition::HasLabel { label: "refund".into() }],
        vec![Action::AddNote { text: "Check the order first".into() }],
    );
    t.app.create_rule(&t.owner, note).await.unwrap();

    let c = t.receive("ana@example.com", None, "I want my money back").await.conversation;
    let other = t.receive("bo@example.com", None, "Where is my parcel?").await.conversation;
    work(&t).await;
    let c = t.app.get_conversation(&t.owner, c.id).await.unwrap();
    assert_eq!((c.priority, c.labels.clone()), (Priority::Urgent, vec!["refund".to_string()]));
    assert_eq!(
        lines(&t, c.id).await,
        vec![
            "Rule “Refunds are urgent” set the priority to urgent".to_string(),
            "Rule “Refunds are urgent” added the label refund".to_string(),
            "Rule “Note it”: Check the order first".to_string(),
        ],
        "the created event's rules run before the message's"
    );
    t.receive("ana@example.com", None, "Hello again").await;
    work(&t).await;
    assert_eq!(lines(&t, c.id).await.iter().filter(|l| l.starts_with("Rule “Note it”")).count(), 2);
    assert_eq!(lines(&t, c.id).await.iter().filter(|l| l.starts_with("Rule “Refunds")).count(), 2, "created once");
    assert!(lines(&t, other.id).await.is_empty(), "conditions hold only where they hold");
}

#[tokio::test]
async fn rules_that_trigger_each_other_stop() {
    let t = ctx().await;
    let billing = t.app.create_team(&t.owner, "Billing", vec![]).await.unwrap();
    let sales = t.app.create_team(&t.owner, "Sales", vec![]).await.unwrap();
    // Each moves the conversation when its assignment changes: without protection they
    // would move it back and forth for ever.
    let a = rule("To billing", Trigger::AssignmentChanged, vec![], vec![Action::AssignTeam { team_id: billing.id }]);
    let b = rule("To sales", Trigger::AssignmentChanged, vec![], vec![Action::AssignTeam { team_id: sales.id }]);
    t.app.create_rule(&t.owner, a).await.unwrap();
    t.app.create_rule(&t.owner, b).await.unwrap();
    let c = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.app.assign(&t.owner, c.id, Some(t.owner.user_id)).await.unwrap();
    work(&t).await;
    work(&t).await;
    let l = lines(&t, c.id).await;
    let by_rules: Vec<&String> = l.iter().filter(|x| x.starts_with("Rule")).collect();
    assert_eq!(
        by_rules,
        vec!["Rule “To billing” moved this to the team Billing", "Rule “To sales” moved this to the team Sales"]
    );
    assert_eq!(t.app.get_conversation(&t.owner, c.id).await.unwrap().team_id, Some(sales.id));
}

#[tokio::test]
async fn machine_sent_messages_get_no_canned_reply() {
    let t = ctx().await;
    let r = rule(
        "Thanks",
        Trigger::MessageReceived,
        vec![],
        vec![Action::SendCannedReply { text: "Thanks, we got it.".into() }],
    );
    t.app.create_rule(&t.owner, r).await.unwrap();
    let mut robot = t.inbound("robot@example.com", None, "I am out of office");
    robot.routing.meta.automated = Some(Automated::AutoReply);
    let c = t.app.receive_inbound(t.owner.workspace_id, robot).await.unwrap().conversation;
    let human = t.receive("ana@example.com", None, "Hello").await.conversation;
    work(&t).await;
    assert_eq!(
        lines(&t, c.id).await,
        vec!["Rule “Thanks” sent no canned reply: the message was machine-sent".to_string()]
    );
    let msgs = t.app.list_messages(&t.owner, human.id, None, 100).await.unwrap().items;
    let reply =
        msgs.iter().find(|m| m.kind == MessageKind::Message && m.author == domain::Author::System).expect("a reply");
    assert_eq!(reply.text, "Thanks, we got it.");
    assert!(msgs.iter().any(|m| m.text == "Rule “Thanks” sent a canned reply"));
}

#[tokio::test]
async fn rules_are_for_admins_and_checked() {
    let t = ctx().await;
    let ana = t.agent("ana@acme.test", "Ana").await;
    let ok = || rule("Label VIPs", Trigger::MessageReceived, vec![], vec![Action::AddLabel { label: "vip".into() }]);
    assert!(matches!(t.app.create_rule(&ana, ok()).await, Err(app::Error::Forbidden(_))));
    let e = t.app.create_rule(&t.owner, RuleInput { actions: vec![], ..ok() }).await.unwrap_err();
    assert!(e.to_string().starts_with("actions:"), "{e}");
    let ghost = domain::UserId(uuid::Uuid::now_v7());
    let e = t
        .app
        .create_rule(&t.owner, RuleInput { actions: vec![Action::AssignAgent { user_id: ghost }], ..ok() })
        .await
        .unwrap_err();
    assert!(e.to_string().starts_with("actions[0].user_id"), "{e}");
    let first = t.app.create_rule(&t.owner, ok()).await.unwrap();
    let second = t.app.create_rule(&t.owner, ok()).await.unwrap();
    assert_eq!((first.position, second.position), (0, 1), "new rules go last");
    t.app.update_rule(&t.owner, second.id, RuleInput { position: Some(-1), ..ok() }).await.unwrap();
    let order: Vec<_> = t.app.list_rules(&ana).await.unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(order, vec![second.id, first.id]);
    t.app.delete_rule(&t.owner, first.id).await.unwrap();
    assert!(matches!(t.app.delete_rule(&t.owner, first.id).await, Err(app::Error::NotFound { .. })));
}

/// Records every webhook call; fails them all when `fail` is set.
struct Hooks {
    calls: std::sync::Mutex<Vec<(String, String, serde_json::Value)>>,
    fail: bool,
}

impl app::WebhookPoster for Hooks {
    fn post<'a>(&'a self, url: &'a str, secret: &'a str, body: Vec<u8>, _id: &'a str) -> app::WebhookFuture<'a> {
        Box::pin(async move {
            let json = serde_json::from_slice(&body).unwrap();
            self.calls.lock().unwrap().push((url.to_string(), secret.to_string(), json));
            if self.fail {
                Err(app::DeliveryError { message: "callback answered 410 Gone".into(), permanent: true })
            } else {
                Ok(())
            }
        })
    }
}

#[tokio::test]
async fn a_rule_calls_its_webhook_signed_with_the_inbox_secret() {
    for fail in [false, true] {
        let t = ctx().await;
        let hook = rule(
            "Tell the CRM",
            Trigger::ConversationCreated,
            vec![],
            vec![Action::CallWebhook { url: "https://hooks.example/chorus?token=s3cret".into() }],
        );
        t.app.create_rule(&t.owner, hook).await.unwrap();
        let hooks = std::sync::Arc::new(Hooks { calls: Default::default(), fail });
        let c = t.receive("ana@example.com", None, "Hi").await.conversation;
        let w = Workers::new(t.app.clone()).with_webhooks(hooks.clone());
        for _ in 0..3 {
            w.run_once().await.unwrap();
        }
        let calls = hooks.calls.lock().unwrap().clone();
        assert_eq!(calls.len(), 1);
        let (url, secret, body) = &calls[0];
        assert_eq!(
            (url.as_str(), secret.as_str()),
            ("https://hooks.example/chorus?token=s3cret", t.inbox.secret.as_str())
        );
        assert_eq!(body["rule"]["name"], "Tell the CRM");
        assert_eq!(body["trigger"], "conversation_created");
        assert_eq!(body["conversation"]["number"], c.number);
        let l = lines(&t, c.id).await;
        assert!(
            l.contains(&"Rule “Tell the CRM” called the webhook https://hooks.example/chorus".to_string()),
            "{l:?}"
        );
        if fail {
            let gave_up = "Rule “Tell the CRM” could not call the webhook https://hooks.example/chorus: callback answered 410 Gone";
            assert!(l.contains(&gave_up.to_string()), "{l:?}");
        }
    }
}
