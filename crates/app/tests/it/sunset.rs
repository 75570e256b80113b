//! Retiring an inbox: the notice goes once per contact (never to a machine), a closed inbox
//! still stores and answers, a contact who writes elsewhere has moved (their preferred
//! inbox), and the report lists who still uses the retiring inbox.

use super::{Ctx, ctx};
use app::{InboxInput, InboxPatch, Workers};
use domain::email::Automated;
use domain::{Alternative, ChannelKind, InboxSettings, InboxStatus, MessageKind, SunsetSettings};

async fn retire(t: &Ctx, status: InboxStatus) {
    let mut settings = t.inbox.settings.clone();
    settings.sunset = Some(SunsetSettings {
        date: Some("2027-03-01".into()),
        alternatives: vec![Alternative {
            kind: ChannelKind::Whatsapp,
            label: "WhatsApp".into(),
            address: "+372 5555 0100".into(),
        }],
        message: None,
    });
    let patch = InboxPatch { name: None, settings: Some(settings), status: Some(status) };
    t.app.update_inbox(&t.owner, t.inbox.id, patch).await.unwrap();
}

async fn work(t: &Ctx) {
    let w = Workers::new(t.app.clone());
    for _ in 0..3 {
        w.run_once().await.unwrap();
    }
}

async fn notices(t: &Ctx, id: domain::ConversationId) -> Vec<String> {
    let msgs = t.app.list_messages(&t.owner, id, None, 100).await.unwrap().items;
    msgs.into_iter()
        .filter(|m| m.kind == MessageKind::Message && m.author == domain::Author::System)
        .map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn each_contact_gets_the_notice_once() {
    let t = ctx().await;
    retire(&t, InboxStatus::Sunset).await;
    let c = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.receive("ana@example.com", None, "Hello?").await;
    let other = t.receive("bo@example.com", None, "Hey").await.conversation;
    let mut robot = t.inbound("robot@example.com", None, "Out of office");
    robot.routing.meta.automated = Some(Automated::AutoReply);
    let robot = t.app.receive_inbound(t.owner.workspace_id, robot).await.unwrap().conversation;
    work(&t).await;
    let sent = notices(&t, c.id).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("Shop API is being retired on 1 March 2027."), "{}", sent[0]);
    assert!(sent[0].contains("- WhatsApp: +372 5555 0100"));
    assert_eq!(notices(&t, other.id).await.len(), 1);
    assert!(notices(&t, robot.id).await.is_empty(), "no notice to a machine");
    let (_, stragglers) = t.app.sunset_report(&t.owner, t.inbox.id, 100).await.unwrap();
    assert_eq!(stragglers.len(), 3);
    assert!(stragglers.iter().all(|s| s.last_written_at > 0));
}

#[tokio::test]
async fn a_contact_who_writes_elsewhere_has_moved() {
    let t = ctx().await;
    let chat = t
        .app
        .create_inbox(
            &t.owner,
            InboxInput { kind: ChannelKind::Api, name: "New app".into(), settings: InboxSettings::default() },
        )
        .await
        .unwrap();
    retire(&t, InboxStatus::Sunset).await;
    let ana = t.receive("ana@example.com", None, "Hi").await.conversation;
    t.receive("bo@example.com", None, "Hi").await;
    work(&t).await;
    let mut moved = t.inbound("ana@example.com", None, "Writing here now");
    moved.inbox_id = chat.id;
    t.app.receive_inbound(t.owner.workspace_id, moved).await.unwrap();
    let (_, stragglers) = t.app.sunset_report(&t.owner, t.inbox.id, 100).await.unwrap();
    let names: Vec<_> = stragglers.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["bo@example.com"], "Ana moved");
    assert_eq!(t.app.preferred_inbox(&t.owner, ana.contact_id).await.unwrap().map(|p| p.0), Some(chat.id));
}

#[tokio::test]
async fn a_closed_inbox_still_stores_and_answers() {
    let t = ctx().await;
    retire(&t, InboxStatus::Closed).await;
    let c = t.receive("ana@example.com", None, "Anyone?").await.conversation;
    work(&t).await;
    let msgs = t.app.list_messages(&t.owner, c.id, None, 100).await.unwrap().items;
    assert!(msgs.iter().any(|m| m.text == "Anyone?"), "stored");
    assert_eq!(notices(&t, c.id).await.len(), 1, "answered with the alternatives");
}

#[tokio::test]
async fn a_retiring_inbox_must_point_somewhere() {
    let t = ctx().await;
    let mut settings = t.inbox.settings.clone();
    settings.sunset = Some(SunsetSettings::default());
    let patch = InboxPatch { name: None, settings: Some(settings.clone()), status: Some(InboxStatus::Sunset) };
    let e = t.app.update_inbox(&t.owner, t.inbox.id, patch).await.unwrap_err();
    assert!(e.to_string().starts_with("settings.sunset.alternatives"), "{e}");
    let mut bad = settings;
    bad.sunset = Some(SunsetSettings { date: Some("next spring".into()), ..Default::default() });
    let patch = InboxPatch { name: None, settings: Some(bad), status: None };
    let e = t.app.update_inbox(&t.owner, t.inbox.id, patch).await.unwrap_err();
    assert!(e.to_string().starts_with("settings.sunset.date"), "{e}");
}
