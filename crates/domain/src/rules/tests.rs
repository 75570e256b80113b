//! Rule tests: validation names the field at fault, conditions match as documented, and the
//! chain stops a cascade. Test code: a failed `unwrap` here is a failed test, as intended.

use super::*;
use serde_json::json;
use uuid::Uuid;

fn rule(trigger: Trigger, conditions: Vec<Condition>) -> Rule {
    Rule {
        id: RuleId::new(),
        name: "VIP refunds".into(),
        enabled: true,
        position: 0,
        trigger,
        conditions,
        actions: vec![Action::SetPriority { priority: Priority::High }],
    }
}

fn facts() -> Facts {
    Facts {
        trigger: Trigger::MessageReceived,
        inbox_id: InboxId(Uuid::from_u128(7)),
        channel: ChannelKind::Email,
        text: "Hello, I would like a REFUND for order 42".into(),
        contact_attributes: json!({"plan": "Pro", "seats": 12, "beta": true}).as_object().cloned().unwrap_or_default(),
        labels: vec!["vip".into()],
        priority: Priority::Medium,
        inside_business_hours: false,
        waiting_millis: Some(20 * 60_000),
    }
}

#[test]
fn every_condition_kind_matches_the_facts() {
    let f = facts();
    let yes = [
        Condition::InboxIs { inbox_id: InboxId(Uuid::from_u128(7)) },
        Condition::ChannelIs { kind: ChannelKind::Email },
        Condition::TextContains { text: "refund".into() },
        Condition::TextMatches { pattern: "hello*order ??".into() },
        Condition::ContactAttribute { key: "plan".into(), equals: "pro".into() },
        Condition::ContactAttribute { key: "seats".into(), equals: "12".into() },
        Condition::ContactAttribute { key: "seats".into(), equals: " 12.0".into() },
        Condition::ContactAttribute { key: "beta".into(), equals: "TRUE".into() },
        Condition::HasLabel { label: "vip".into() },
        Condition::PriorityIs { priority: Priority::Medium },
        Condition::BusinessHours { inside: false },
        Condition::WaitingLongerThan { minutes: 19 },
    ];
    for c in &yes {
        assert!(matches(&rule(Trigger::MessageReceived, vec![c.clone()]), &f), "{c:?}");
    }
    assert!(matches(&rule(Trigger::MessageReceived, yes.to_vec()), &f), "all together");
    let no = [
        Condition::InboxIs { inbox_id: InboxId(Uuid::from_u128(8)) },
        Condition::ChannelIs { kind: ChannelKind::Widget },
        Condition::TextContains { text: "cancel".into() },
        Condition::TextMatches { pattern: "refund".into() },
        Condition::ContactAttribute { key: "plan".into(), equals: "free".into() },
        Condition::ContactAttribute { key: "missing".into(), equals: "".into() },
        Condition::ContactAttribute { key: "seats".into(), equals: "13".into() },
        Condition::ContactAttribute { key: "beta".into(), equals: "false".into() },
        Condition::HasLabel { label: "billing".into() },
        Condition::PriorityIs { priority: Priority::Urgent },
        Condition::BusinessHours { inside: true },
        Condition::WaitingLongerThan { minutes: 20 },
    ];
    for c in &no {
        assert!(!matches(&rule(Trigger::MessageReceived, vec![c.clone()]), &f), "{c:?}");
        // One failing condition among passing ones fails the rule.
        let mut all = yes.to_vec();
        all.push(c.clone());
        assert!(!matches(&rule(Trigger::MessageReceived, all), &f), "{c:?}");
    }
}

#[test]
fn the_trigger_and_enabled_flag_gate_matching() {
    let f = facts();
    assert!(matches(&rule(Trigger::MessageReceived, vec![]), &f), "no conditions: always");
    assert!(!matches(&rule(Trigger::ConversationCreated, vec![]), &f));
    let mut r = rule(Trigger::MessageReceived, vec![]);
    r.enabled = false;
    assert!(!matches(&r, &f));
    let not_waiting = Facts { waiting_millis: None, ..facts() };
    let r = rule(Trigger::MessageReceived, vec![Condition::WaitingLongerThan { minutes: 1 }]);
    assert!(!matches(&r, &not_waiting));
}

#[test]
fn globs_match_whole_texts_with_alternatives() {
    assert!(glob_matches("*refund*", "Please REFUND me"));
    assert!(!glob_matches("refund", "Please refund me"), "whole text");
    assert!(glob_matches("*money back*|*refund*", "I want my money back!"));
    assert!(glob_matches("order #???", "Order #123"));
    assert!(!glob_matches("order #???", "Order #12"));
    assert!(glob_matches("*", ""));
    assert!(!glob_matches("", "anything"), "an empty pattern matches nothing");
    assert!(!glob_matches("a|", "b"));
    assert!(glob_matches("*é*", "Café"));
    assert!(glob_matches("a*b*c", "aXXbYYbZZc"));
    assert!(!glob_matches("a*b*c", "aXXbYYbZZ"));
    // A pathological pattern stays fast: 10 000 characters against 20 stars.
    let text = "a".repeat(10_000);
    assert!(!glob_matches(&format!("{}b", "*a".repeat(20)), &text));
}

#[test]
fn rules_are_validated_and_normalised() {
    let mut r = rule(Trigger::MessageReceived, vec![Condition::HasLabel { label: " VIP ".into() }]);
    r.name = "  Tag VIPs ".into();
    r.actions = vec![
        Action::AddLabel { label: "Billing".into() },
        Action::CallWebhook { url: " https://hooks.example.com/x?y=1 ".into() },
    ];
    r.validate().unwrap();
    assert_eq!(r.name, "Tag VIPs");
    assert_eq!(r.conditions[0], Condition::HasLabel { label: "vip".into() });
    assert_eq!(r.actions[0], Action::AddLabel { label: "billing".into() });
    assert_eq!(r.actions[1], Action::CallWebhook { url: "https://hooks.example.com/x?y=1".into() });

    let err = |mut r: Rule| r.validate().unwrap_err().to_string();
    let base = || rule(Trigger::MessageReceived, vec![]);
    assert_eq!(err(Rule { name: " ".into(), ..base() }), "name: must be 1 to 100 characters");
    assert!(err(Rule { name: "x".repeat(101), ..base() }).starts_with("name:"));
    assert!(Rule { name: "x".repeat(100), ..base() }.validate().is_ok());
    assert_eq!(err(Rule { actions: vec![], ..base() }), "actions: 1 to 20 actions");
    assert_eq!(err(Rule { actions: vec![Action::Resolve; 21], ..base() }), "actions: 1 to 20 actions");
    let many = vec![Condition::BusinessHours { inside: true }; 21];
    assert_eq!(err(Rule { conditions: many, ..base() }), "conditions: at most 20 conditions");
    let c = |c: Condition| Rule { conditions: vec![Condition::PriorityIs { priority: Priority::Low }, c], ..base() };
    assert!(err(c(Condition::TextContains { text: "".into() })).starts_with("conditions[1].text:"));
    assert!(err(c(Condition::TextMatches { pattern: "x".repeat(201) })).starts_with("conditions[1].pattern:"));
    assert!(err(c(Condition::HasLabel { label: "a b".into() })).starts_with("conditions[1].label:"));
    assert!(err(c(Condition::WaitingLongerThan { minutes: 0 })).starts_with("conditions[1].minutes:"));
    let k = Condition::ContactAttribute { key: "".into(), equals: "x".into() };
    assert!(err(c(k)).starts_with("conditions[1].key:"));
    let a = |a: Action| Rule { actions: vec![a], ..base() };
    for url in ["ftp://x.com", "https://", "http:// spaced.com", "example.com/hook", "https://@x"] {
        assert_eq!(
            err(a(Action::CallWebhook { url: url.into() })),
            "actions[0].url: must be an absolute http:// or https:// URL",
            "{url}"
        );
    }
    assert!(err(a(Action::SendCannedReply { text: "x".repeat(5_001) })).starts_with("actions[0].text:"));
    assert!(err(a(Action::AddNote { text: " ".into() })).starts_with("actions[0].text:"));
    assert!(err(a(Action::Snooze { minutes: -5 })).starts_with("actions[0].minutes:"));
}

#[test]
fn rules_read_from_tagged_json() {
    let json = r#"{"id":"0190a0a0-0000-7000-8000-000000000001","name":"Urgent outside hours","enabled":true,
        "position":2,"trigger":"conversation_created",
        "conditions":[{"type":"business_hours","inside":false},{"type":"text_matches","pattern":"*down*|*outage*"}],
        "actions":[{"type":"set_priority","priority":"urgent"},{"type":"resolve"},
                   {"type":"assign_team","team_id":"0190a0a0-0000-7000-8000-000000000002"}]}"#;
    let mut r: Rule = serde_json::from_str(json).unwrap();
    r.validate().unwrap();
    assert_eq!(r.trigger, Trigger::ConversationCreated);
    assert_eq!(r.actions[1], Action::Resolve);
    let f = Facts { trigger: Trigger::ConversationCreated, text: "Site is DOWN".into(), ..facts() };
    assert!(matches(&r, &f));
    let bad = json.replace(r#""inside":false"#, r#""inside":false,"extra":1"#);
    assert!(serde_json::from_str::<Rule>(&bad).is_err());
    assert!(serde_json::from_str::<Rule>(&json.replace("resolve", "explode")).is_err());
}

#[test]
fn a_rule_fires_once_per_chain_and_chains_stop_at_the_depth_limit() {
    let (a, b, c) = (RuleId::new(), RuleId::new(), RuleId::new());
    let mut level0 = RuleChain::new();
    assert_eq!(level0.depth(), 0);
    assert!(level0.try_fire(a));
    assert!(!level0.try_fire(a), "same rule, same chain");
    let mut level1 = level0.next_level().unwrap();
    assert_eq!(level1.depth(), 1);
    assert!(!level1.try_fire(a), "still the same chain one level down");
    assert!(level1.try_fire(b));
    let mut level2 = level1.next_level().unwrap();
    assert!(level2.try_fire(c));
    assert_eq!(level2.next_level(), None, "level 3 would exceed MAX_RULE_DEPTH = 3");
    assert!(RuleChain::new().try_fire(a), "a new outside event starts afresh");
    // The chain survives a trip through a job payload.
    let back: RuleChain = serde_json::from_value(serde_json::to_value(&level2).unwrap()).unwrap();
    assert_eq!(back, level2);
}

#[test]
fn two_rules_undoing_each_other_stop_after_one_round() {
    // "Add label x" fires on label removal and "remove label x" on addition; both listen to
    // status_changed here to keep the facts simple.
    let mut add = rule(Trigger::StatusChanged, vec![]);
    add.position = 1;
    let mut remove = rule(Trigger::StatusChanged, vec![]);
    remove.position = 0;
    let mut off = rule(Trigger::StatusChanged, vec![]);
    off.enabled = false;
    let rules = [add.clone(), remove.clone(), off];
    let f = Facts { trigger: Trigger::StatusChanged, ..facts() };
    let mut chain = RuleChain::new();
    let mut rounds = 0;
    let mut order = vec![];
    loop {
        let fired = chain.fire(&rules, &f);
        if fired.is_empty() {
            break;
        }
        rounds += 1;
        order.extend(fired.iter().map(|r| r.id));
        match chain.next_level() {
            Some(next) => chain = next,
            None => break,
        }
    }
    assert_eq!(rounds, 1);
    assert_eq!(order, [remove.id, add.id], "by position");
}
