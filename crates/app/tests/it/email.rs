//! The e-mail use cases: threading by headers and reply tokens, identities from From and
//! Reply-To, machine-sent mail, bounces, duplicates, mail without a sender, and whom a
//! reply goes to.

use crate::{Ctx, ctx};
use app::{InboxInput, ReplyInput};
use domain::email::{Automated, Bounce, EmailHeaders, InboundEmail, MailAddress, outbound_message_id, reply_address};
use domain::inbox::EmailSettings;
use domain::{ChannelKind, DeliveryStatus, Inbox, InboxSettings, MessageKind, Status};

async fn email_inbox(c: &Ctx) -> Inbox {
    let settings = InboxSettings {
        email: Some(EmailSettings { addresses: vec!["Support@Acme.test".into()], ..Default::default() }),
        ..Default::default()
    };
    c.app
        .create_inbox(&c.owner, InboxInput { kind: ChannelKind::Email, name: "Support mail".into(), settings })
        .await
        .unwrap()
}

fn addr(a: &str) -> MailAddress {
    MailAddress { name: None, address: a.into() }
}

fn mail(id: &str, from: &str, text: &str) -> InboundEmail {
    InboundEmail {
        headers: EmailHeaders {
            message_id: id.into(),
            from: Some(MailAddress { name: Some("Ana Lima".into()), address: from.into() }),
            to: vec![addr("support@acme.test")],
            ..Default::default()
        },
        subject: Some("Parcel".into()),
        text: text.into(),
        html: None,
        parts: vec![],
        automated: None,
        bounce: None,
        problems: vec![],
        raw: format!("Message-ID: <{id}>\r\n\r\n{text}").into_bytes(),
    }
}

#[tokio::test]
async fn addresses_route_to_one_inbox_and_are_taken_once() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    assert_eq!(inbox.settings.email.as_ref().unwrap().addresses, ["support@acme.test"]);
    let found = c.app.email_inbox_for_address("SUPPORT+c123.abc@acme.test").await.unwrap().unwrap();
    assert_eq!(found.id, inbox.id);
    assert!(c.app.email_inbox_for_address("sales@acme.test").await.unwrap().is_none());
    let settings = InboxSettings {
        email: Some(EmailSettings { addresses: vec!["support@acme.test".into()], ..Default::default() }),
        ..Default::default()
    };
    let err = c
        .app
        .create_inbox(&c.owner, InboxInput { kind: ChannelKind::Email, name: "Twin".into(), settings })
        .await
        .unwrap_err();
    assert!(matches!(err, app::Error::Conflict { field: "settings.email.addresses", .. }), "{err:?}");
    let bad = InboxSettings {
        email: Some(EmailSettings { addresses: vec!["not an address".into()], ..Default::default() }),
        ..Default::default()
    };
    let err = c
        .app
        .create_inbox(&c.owner, InboxInput { kind: ChannelKind::Email, name: "Bad".into(), settings: bad })
        .await
        .unwrap_err();
    assert!(matches!(err, app::Error::Invalid { ref field, .. } if field == "settings.email.addresses[0]"), "{err:?}");
}

#[tokio::test]
async fn a_five_message_exchange_threads_and_a_fresh_mail_opens_a_new_conversation() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    let first =
        c.app.receive_email(&inbox, mail("a1@example.com", "ana@example.com", "Where is my parcel?")).await.unwrap();
    let conv = first.conversation.id;
    let reply =
        c.app.reply(&c.owner, conv, ReplyInput { text: "Checking.".into(), ..Default::default() }).await.unwrap();
    let ours = outbound_message_id(reply.id, conv, &inbox.secret, "acme.test");
    // 3: answers our reply by In-Reply-To.
    let mut m3 = mail("a3@example.com", "ana@example.com", "Thanks");
    m3.headers.in_reply_to = vec![ours.clone()];
    assert_eq!(c.app.receive_email(&inbox, m3).await.unwrap().conversation.id, conv);
    // 4: a client that dropped the headers but kept our Reply-To address.
    let mut m4 = mail("a4@example.com", "ana@example.com", "Any news?");
    m4.headers.to = vec![addr(&reply_address("support@acme.test", conv, &inbox.secret))];
    assert_eq!(c.app.receive_email(&inbox, m4).await.unwrap().conversation.id, conv);
    // 5: references only the customer's own first mail.
    let mut m5 = mail("a5@example.com", "ana@example.com", "Hello?");
    m5.headers.references = vec!["a1@example.com".into()];
    let out = c.app.receive_email(&inbox, m5).await.unwrap();
    assert_eq!(out.conversation.id, conv);
    assert_eq!(out.conversation.message_count, 5);
    // A forged token is not trusted; a fresh mail opens a new conversation.
    let mut forged = mail("a6@example.com", "ana@example.com", "New topic");
    forged.headers.in_reply_to = vec![outbound_message_id(reply.id, conv, "wrong secret", "acme.test")];
    let fresh = c.app.receive_email(&inbox, forged).await.unwrap();
    assert_ne!(fresh.conversation.id, conv);
    assert_eq!(fresh.conversation.contact_id, first.conversation.contact_id, "the same customer");
}

#[tokio::test]
async fn duplicates_reply_to_identities_cc_and_reply_all() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    let mut m = mail("d1@example.com", "ana@example.com", "Hi");
    m.headers.reply_to = Some(addr("ana.lima@example.org"));
    m.headers.cc = vec![addr("bob@example.com"), addr("support@acme.test")];
    let out = c.app.receive_email(&inbox, m.clone()).await.unwrap();
    assert!(!out.duplicate);
    assert_eq!(out.message.meta.email.as_ref().unwrap().cc.len(), 2);
    assert_eq!(out.message.attachments[0].filename, "message.eml", "the original is kept");
    let again = c.app.receive_email(&inbox, m).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.message.id, out.message.id);
    let contact = c.app.get_contact(&c.owner, out.conversation.contact_id).await.unwrap();
    let values: Vec<&str> = contact.identities.iter().map(|i| i.value.as_str()).collect();
    assert!(values.contains(&"ana@example.com") && values.contains(&"ana.lima@example.org"), "{values:?}");

    let conv = out.conversation.id;
    let one = c.app.reply(&c.owner, conv, ReplyInput { text: "Only you".into(), ..Default::default() }).await.unwrap();
    let h = one.meta.email.unwrap();
    assert_eq!((h.to[0].address.as_str(), h.cc.len()), ("ana.lima@example.org", 0), "Reply-To wins");
    let all = c
        .app
        .reply(&c.owner, conv, ReplyInput { text: "Everyone".into(), reply_all: true, ..Default::default() })
        .await
        .unwrap();
    let cc: Vec<String> = all.meta.email.unwrap().cc.into_iter().map(|a| a.address).collect();
    assert_eq!(cc, ["bob@example.com"], "our own address is not copied");
}

#[tokio::test]
async fn machine_mail_is_flagged_and_a_bounce_fails_the_reply() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    let out = c.app.receive_email(&inbox, mail("b1@example.com", "ana@example.com", "Hi")).await.unwrap();
    let conv = out.conversation.id;
    let reply =
        c.app.reply(&c.owner, conv, ReplyInput { text: "Hello Ana".into(), ..Default::default() }).await.unwrap();
    let mut auto = mail("b2@example.com", "ana@example.com", "I am out of office");
    auto.automated = Some(Automated::AutoReply);
    auto.headers.in_reply_to = vec![outbound_message_id(reply.id, conv, &inbox.secret, "acme.test")];
    let a = c.app.receive_email(&inbox, auto).await.unwrap();
    assert_eq!(a.message.meta.automated, Some(Automated::AutoReply));
    assert_eq!(a.conversation.id, conv);

    let mut dsn = mail("b3@mx.example.com", "mailer-daemon@mx.example.com", "Delivery failed");
    dsn.automated = Some(Automated::Bounce);
    dsn.bounce = Some(Bounce {
        original_message_id: Some(outbound_message_id(reply.id, conv, &inbox.secret, "acme.test")),
        recipient: Some("ana@example.com".into()),
        status: Some("5.1.1".into()),
        diagnostic: "550 5.1.1 user unknown".into(),
    });
    let b = c.app.receive_email(&inbox, dsn).await.unwrap();
    assert_eq!(b.conversation.id, conv, "the bounce joins the conversation of the reply it returns");
    let thread = c.app.list_messages(&c.owner, conv, None, 50).await.unwrap().items;
    let failed = thread.iter().find(|m| m.id == reply.id).unwrap();
    assert_eq!(failed.delivery_status, Some(DeliveryStatus::Failed));
    assert!(failed.delivery_error.as_deref().unwrap().contains("550 5.1.1 user unknown"));
    assert!(thread.iter().all(|m| m.kind != MessageKind::Note), "no automatic note or answer");
}

#[tokio::test]
async fn mail_without_sender_or_text_is_kept_with_its_problems() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    let mut m = mail("n1@example.com", "x", "");
    m.headers.from = None;
    m.problems = vec!["the MIME boundary \"b\" never closes".into()];
    m.subject = Some("s".repeat(2_000));
    let out = c.app.receive_email(&inbox, m).await.unwrap();
    let problems = &out.message.meta.problems;
    assert!(problems.iter().any(|p| p.contains("no From")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("boundary")));
    assert!(problems.iter().any(|p| p.contains("subject")));
    assert_eq!(out.conversation.subject.as_ref().unwrap().len(), 998);
    assert_eq!(out.conversation.status, Status::Open);
    let contact = c.app.get_contact(&c.owner, out.conversation.contact_id).await.unwrap();
    assert_eq!(contact.identities[0].value, "unknown-sender");
}

#[tokio::test]
async fn channel_state_is_kept_per_inbox() {
    let c = ctx().await;
    let inbox = email_inbox(&c).await;
    assert!(c.app.channel_state(&inbox).await.unwrap().is_none());
    c.app.set_channel_state(&inbox, serde_json::json!({"uidvalidity": 7, "last_uid": 42})).await.unwrap();
    c.app.set_channel_state(&inbox, serde_json::json!({"uidvalidity": 7, "last_uid": 43})).await.unwrap();
    assert_eq!(c.app.channel_state(&inbox).await.unwrap().unwrap()["last_uid"], 43);
    assert!(c.app.imap_inboxes().await.unwrap().is_empty(), "no IMAP settings, nothing to poll");
}
