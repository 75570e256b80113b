//! The chat widget's use cases: a customer who leaves an address while the team is away
//! gets the replies they did not read by e-mail, from the e-mail inbox the widget names;
//! a reply read in the chat is not e-mailed; a widget may only name an e-mail inbox.

use super::ctx;
use app::{Deliverer, DeliveryFuture, DeliveryRequest, InboxInput, Workers};
use domain::widget::WidgetSettings;
use domain::{ChannelKind, InboxSettings, MessageKind};
use std::sync::{Arc, Mutex};

/// Records what would have been e-mailed: (inbox name, recipient, text).
#[derive(Default)]
struct Outbox(Mutex<Vec<(String, String, String)>>);

impl Deliverer for Outbox {
    fn deliver<'a>(&'a self, req: DeliveryRequest<'a>) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let to = req.message.meta.email.as_ref().and_then(|h| h.to.first()).map(|a| a.address.clone());
            self.0.lock().unwrap().push((req.inbox.name.clone(), to.unwrap_or_default(), req.message.text.clone()));
            Ok(Some("<sent@mail.test>".into()))
        })
    }
}

/// Creates an inbox of `kind` with `settings`.
async fn inbox(t: &super::Ctx, kind: ChannelKind, name: &str, settings: InboxSettings) -> app::Result<domain::Inbox> {
    t.app.create_inbox(&t.owner, InboxInput { kind, name: name.into(), settings }).await
}

#[tokio::test]
async fn unread_chat_replies_continue_by_email_once_the_customer_has_left() {
    let t = ctx().await;
    let email = domain::inbox::EmailSettings { addresses: vec!["help@acme.test".into()], ..Default::default() };
    let mail_settings = InboxSettings { email: Some(email), ..Default::default() };
    let mail = inbox(&t, ChannelKind::Email, "Help mail", mail_settings).await.unwrap();
    let widget = WidgetSettings { email_inbox_id: Some(mail.id), ..WidgetSettings::default() };
    let chat_settings = InboxSettings { widget: Some(widget), ..Default::default() };
    let chat = inbox(&t, ChannelKind::Widget, "Site chat", chat_settings).await.unwrap();
    let outbox = Arc::new(Outbox::default());
    let workers = Workers::new(t.app.clone()).with_deliverer(ChannelKind::Email, outbox.clone());

    // Nobody is online: the assistant asks for an address, and the customer leaves one.
    let v = t.app.widget_connect(&chat, None).await.unwrap();
    let first = t.app.widget_send(&v, "c1", "Is the shop open on Sunday?", vec![]).await.unwrap();
    t.app.widget_send(&v, "c2", "mari@example.com", vec![]).await.unwrap();
    let conv = first.conversation.id;

    // One reply is read in the chat; the other is not.
    let read = t.app.reply(&t.owner, conv, app::ReplyInput { text: "Hello!".into(), ..Default::default() }).await;
    let read = read.unwrap();
    t.app.widget_read(&v, read.id).await.unwrap();
    t.clock.advance(1_000);
    let unread = t.app.reply(&t.owner, conv, app::ReplyInput { text: "Yes, 10 to 16.".into(), ..Default::default() });
    unread.await.unwrap();

    workers.run_once().await.unwrap();
    assert!(outbox.0.lock().unwrap().is_empty(), "nothing is e-mailed while the customer may still read it");
    t.clock.advance(t.app.config().widget_email_after_ms + 1_000);
    workers.run_once().await.unwrap();
    let sent = outbox.0.lock().unwrap().clone();
    assert_eq!(sent, [("Help mail".to_string(), "mari@example.com".to_string(), "Yes, 10 to 16.".to_string())]);
    let thread = t.app.list_messages(&t.owner, conv, None, 50).await.unwrap().items;
    let line = thread.iter().rev().find(|m| m.kind == MessageKind::Activity).unwrap();
    assert!(line.text.contains("e-mailed to mari@example.com"), "{}", line.text);
}

#[tokio::test]
async fn a_widget_names_only_an_email_inbox_of_its_workspace() {
    let t = ctx().await;
    let widget = WidgetSettings { email_inbox_id: Some(t.inbox.id), ..WidgetSettings::default() };
    let settings = InboxSettings { widget: Some(widget), ..Default::default() };
    let err = inbox(&t, ChannelKind::Widget, "Site chat", settings).await.unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "settings.widget.email_inbox_id"), "{err}");
}
