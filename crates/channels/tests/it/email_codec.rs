//! The e-mail codec on its fixture corpus (`tests/fixtures/email/*.eml`) and on generated
//! hostile mail: every mail parses without panicking, keeps its bytes, shows what could be
//! read and names what could not. Replies are composed, rendered and read back.

use app::DeliveryRequest;
use chorus_channels::email::codec::{Limits, OutboundEmail, parse, parse_with, render, reply, text_to_html};
use domain::email::{Automated, EmailHeaders, InboundEmail, MailAddress, message_from_outbound_id};
use domain::inbox::EmailSettings;
use domain::{
    Author, ChannelKind, Contact, ContactId, Conversation, ConversationId, Direction, Identity, IdentityKind, Inbox,
    InboxId, InboxSettings, InboxStatus, Message, MessageId, MessageKind, MessageMeta, Priority, Status, UserId,
    WorkspaceId,
};
use std::path::PathBuf;

/// One of our own outbound Message-IDs, as the bounce and reply fixtures name it.
const OURS: &str = "m0192a4c0d1e27f3b9c8d7e6f5a4b3c2d.c0192a4c0aa007c1d8e9f0a1b2c3d4e5f.0a1b2c3d4e5f@acme.test";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/email")
}

fn raw(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn fixture(name: &str) -> InboundEmail {
    let bytes = raw(name);
    let mail = parse(&bytes);
    assert_eq!(mail.raw, bytes, "{name}: the raw mail is kept as received");
    mail
}

fn address(a: &Option<MailAddress>) -> &str {
    a.as_ref().map_or("", |a| a.address.as_str())
}

fn has_problem(mail: &InboundEmail, words: &str) -> bool {
    mail.problems.iter().any(|p| p.contains(words))
}

// Every fixture, with what must be true of it. A new fixture without a line here fails
// `every_fixture_is_checked`.
const CHECKED: &[&str] = &[
    "alternative.eml",
    "auto-replied.eml",
    "bad-base64.eml",
    "bad-date.eml",
    "broken-mime.eml",
    "dsn-bounce.eml",
    "dsn-headers-only.eml",
    "eight-bit-garbage.eml",
    "empty-body.eml",
    "exim-bounce.eml",
    "gmail-reply.eml",
    "html-only.eml",
    "inline-cid.eml",
    "koi8r.eml",
    "latin1-qp.eml",
    "lf-only-plain.eml",
    "list-mail.eml",
    "mixed-attachments.eml",
    "nested.eml",
    "no-boundary.eml",
    "no-from.eml",
    "no-message-id.eml",
    "outlook-reply.eml",
    "plain-utf8.eml",
    "precedence-bulk.eml",
    "shift-jis.eml",
    "unknown-charset.eml",
    "windows-1252.eml",
    "x-autoreply.eml",
];

#[test]
fn every_fixture_is_checked() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixture dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".eml"))
        .collect();
    names.sort();
    assert_eq!(names, CHECKED, "each fixture has its expectations below");
    assert!(names.len() >= 20);
}

#[test]
fn every_fixture_is_kept_and_shows_something() {
    for name in CHECKED {
        let mail = fixture(name);
        assert!(!mail.headers.message_id.is_empty(), "{name}: an id to be idempotent on");
        assert!(!mail.headers.message_id.contains(['<', '>', ' ']), "{name}: {}", mail.headers.message_id);
        let shown = !mail.text.trim().is_empty() || mail.html.is_some() || !mail.parts.is_empty();
        assert!(shown || name == &"empty-body.eml", "{name}: something to show");
        let clean = !["bad-", "broken-", "eight-bit", "no-", "unknown-"].iter().any(|p| name.starts_with(p));
        assert_eq!(mail.problems.is_empty(), clean, "{name}: {:?}", mail.problems);
    }
}

#[test]
fn plain_utf8_reads_its_encoded_words_and_body() {
    let mail = fixture("plain-utf8.eml");
    assert_eq!(mail.subject.as_deref(), Some("Pedido nº 1042 não chegou 📦"));
    let from = mail.headers.from.expect("from");
    assert_eq!(from.address, "maria@example.com", "lower-cased");
    assert_eq!(from.name.as_deref(), Some("María José"));
    assert!(mail.text.starts_with("Olá! O meu pedido nº 1042 ainda não chegou. 📦"));
    assert_eq!(mail.headers.message_id, "CAF=plain-utf8@mail.example.com");
    assert_eq!(mail.headers.date, Some(1_770_106_500_000), "Tue, 3 Feb 2026 09:15:00 +0100");
    assert_eq!(
        mail.headers.to,
        vec![MailAddress { name: Some("Acme Support".into()), address: "support@acme.test".into() }]
    );
    assert!(mail.html.is_none() && mail.parts.is_empty() && mail.automated.is_none());
}

#[test]
fn legacy_charsets_are_decoded_in_headers_and_bodies() {
    let latin1 = fixture("latin1-qp.eml");
    assert_eq!(latin1.subject.as_deref(), Some("Não consigo entrar"));
    assert_eq!(latin1.headers.from.and_then(|f| f.name).as_deref(), Some("João Gonçalves"));
    assert!(latin1.text.contains("Olá, não consigo entrar na minha conta."), "{}", latin1.text);
    assert!(latin1.text.contains("três vezes"));

    let cp1252 = fixture("windows-1252.eml");
    assert_eq!(cp1252.subject.as_deref(), Some("Invoice €120"));
    assert_eq!(cp1252.headers.from.and_then(|f| f.name).as_deref(), Some("Zoë Brontë"));
    assert!(cp1252.text.contains("“team” — the invoice says €120"), "{}", cp1252.text);

    let koi8 = fixture("koi8r.eml");
    assert_eq!(koi8.subject.as_deref(), Some("Привет, нужна помощь"));
    assert_eq!(koi8.headers.from.and_then(|f| f.name).as_deref(), Some("Иван Петров"));
    assert_eq!(koi8.text.trim(), "Здравствуйте! Не могу оплатить заказ.");

    let sjis = fixture("shift-jis.eml");
    assert_eq!(sjis.subject.as_deref(), Some("注文について"));
    assert_eq!(sjis.headers.from.and_then(|f| f.name).as_deref(), Some("山田太郎"));
    assert_eq!(sjis.text.trim(), "こんにちは。注文がまだ届いていません。");
}

#[test]
fn alternative_mail_has_both_bodies() {
    let mail = fixture("alternative.eml");
    assert_eq!(mail.text.trim(), "The CSV export stops at 1000 rows.");
    assert_eq!(mail.html.as_deref().map(str::trim), Some("<p>The <b>CSV export</b> stops at 1000 rows.</p>"));
    assert!(mail.parts.is_empty());
}

#[test]
fn attachments_are_kept_with_safe_names() {
    let mail = fixture("mixed-attachments.eml");
    assert_eq!(mail.text.trim(), "Please see the invoice and the log.");
    assert!(mail.html.is_some());
    assert_eq!(mail.parts.len(), 2, "{:?}", mail.parts.iter().map(|p| &p.filename).collect::<Vec<_>>());
    let pdf = &mail.parts[0];
    assert_eq!((pdf.filename.as_str(), pdf.content_type.as_str()), ("invoice 2026-02.pdf", "application/pdf"));
    assert!(pdf.bytes.starts_with(b"%PDF-1.4"));
    assert!(!pdf.inline);
    let log = &mail.parts[1];
    assert_eq!(log.filename, "app.log", "no directories from the sender");
    assert_eq!(String::from_utf8_lossy(&log.bytes).replace("\r\n", "\n").trim(), "line 1\nline 2");
}

#[test]
fn inline_images_keep_their_content_id() {
    let mail = fixture("inline-cid.eml");
    assert!(mail.html.as_deref().is_some_and(|h| h.contains("cid:logo.png@01DC0000")));
    assert_eq!(mail.text.trim(), "See how it renders:", "text derived from the HTML");
    let [logo] = mail.parts.as_slice() else { panic!("one part: {:?}", mail.parts) };
    assert_eq!(logo.content_id.as_deref(), Some("logo.png@01DC0000"));
    assert!(logo.inline);
    assert_eq!(logo.content_type, "image/png");
    assert!(logo.bytes.starts_with(b"\x89PNG"));
}

#[test]
fn nested_multiparts_and_attached_mails_are_read() {
    let mail = fixture("nested.eml");
    assert_eq!(mail.text.trim(), "Forwarding the confirmation I got.");
    assert!(mail.html.as_deref().is_some_and(|h| h.contains("cid:sig@x")));
    assert_eq!(mail.parts.len(), 2);
    assert_eq!(mail.parts[0].content_id.as_deref(), Some("sig@x"));
    assert!(mail.parts[0].inline);
    assert_eq!(mail.parts[0].filename, "part-1.png", "a made-up name by type");
    let attached = &mail.parts[1];
    assert_eq!(attached.content_type, "message/rfc822");
    assert_eq!(attached.filename, "Your order 77.eml");
    let inner = parse(&attached.bytes);
    assert_eq!(inner.headers.message_id, "order77@shop.example");
    assert_eq!(inner.text.trim(), "Thanks for order 77.");
}

#[test]
fn an_outlook_reply_threads_on_our_id_and_keeps_its_quoted_history() {
    let mail = fixture("outlook-reply.eml");
    assert_eq!(mail.headers.in_reply_to, vec![OURS.to_string()]);
    assert_eq!(mail.headers.references, vec![OURS.to_string()]);
    assert!(message_from_outbound_id(OURS).is_some());
    assert_eq!(address(&mail.headers.from), "john.smith@corp.example");
    assert_eq!(mail.headers.from.as_ref().and_then(|f| f.name.as_deref()), Some("Smith, John"));
    assert!(mail.headers.to[0].address.starts_with("support+c0192a4c0aa007c1d8e9f0a1b2c3d4e5f."));
    let (said, quoted) = domain::email::split_quoted(&mail.text);
    assert!(said.contains("the new link works"));
    assert!(quoted.starts_with("-----Original Message-----"), "{quoted:?}");
}

#[test]
fn a_gmail_reply_gives_reply_to_cc_and_the_reference_chain() {
    let mail = fixture("gmail-reply.eml");
    assert_eq!(address(&mail.headers.reply_to), "maria@work.example");
    assert_eq!(address(&mail.headers.from), "maria.silva@gmail.example");
    let cc: Vec<&str> = mail.headers.cc.iter().map(|a| a.address.as_str()).collect();
    assert_eq!(cc, ["bob@example.com", "carol@example.com"]);
    assert_eq!(mail.headers.cc[0].name.as_deref(), Some("Bob"));
    assert_eq!(mail.headers.in_reply_to, ["second@acme.test"]);
    assert_eq!(mail.headers.references, ["first@example.com", "second@acme.test"]);
    let (said, quoted) = domain::email::split_quoted(&mail.text);
    assert_eq!(said, "That fixed it, thank you!");
    assert!(quoted.contains("> Could you try again?"));
    assert!(mail.html.is_some());
}

#[test]
fn machine_sent_mail_is_flagged() {
    for (name, kind) in [
        ("auto-replied.eml", Automated::AutoReply),
        ("x-autoreply.eml", Automated::AutoReply),
        ("precedence-bulk.eml", Automated::Bulk),
        ("list-mail.eml", Automated::Bulk),
        ("dsn-bounce.eml", Automated::Bounce),
        ("dsn-headers-only.eml", Automated::Bounce),
        ("exim-bounce.eml", Automated::Bounce),
    ] {
        let mail = fixture(name);
        assert_eq!(mail.automated, Some(kind), "{name}");
        assert_eq!(mail.bounce.is_some(), kind == Automated::Bounce, "{name}");
    }
    for name in ["plain-utf8.eml", "gmail-reply.eml", "outlook-reply.eml", "html-only.eml"] {
        assert_eq!(fixture(name).automated, None, "{name} was written by a person");
    }
}

#[test]
fn a_delivery_report_names_our_message_and_the_servers_answer() {
    let mail = fixture("dsn-bounce.eml");
    let bounce = mail.bounce.expect("a bounce");
    assert_eq!(bounce.original_message_id.as_deref(), Some(OURS));
    assert_eq!(bounce.recipient.as_deref(), Some("nobody@example.com"));
    assert_eq!(bounce.status.as_deref(), Some("5.1.1"));
    assert_eq!(bounce.diagnostic, "550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown");
    let names: Vec<&str> = mail.parts.iter().map(|p| p.filename.as_str()).collect();
    assert_eq!(
        names,
        ["delivery-status.txt", "Re_ Your request #1042.eml"],
        "the report and the returned mail are kept"
    );
}

#[test]
fn a_report_with_only_the_returned_headers_still_names_our_message() {
    let bounce = fixture("dsn-headers-only.eml").bounce.expect("a bounce");
    assert_eq!(bounce.original_message_id.as_deref(), Some(OURS));
    assert_eq!(bounce.recipient.as_deref(), Some("gone@example.net"));
    assert_eq!(bounce.status.as_deref(), Some("5.2.1"));
    assert!(bounce.diagnostic.contains("failed permanently"), "{}", bounce.diagnostic);
}

#[test]
fn a_plain_text_bounce_falls_back_to_in_reply_to() {
    let bounce = fixture("exim-bounce.eml").bounce.expect("a bounce");
    assert_eq!(bounce.original_message_id.as_deref(), Some(OURS));
    assert_eq!(bounce.recipient.as_deref(), Some("lost@example.org"));
    assert!(bounce.diagnostic.contains("permanent error") || bounce.diagnostic.contains("could not be delivered"));
}

#[test]
fn html_only_mail_is_kept_unsanitised_with_text_derived() {
    let mail = fixture("html-only.eml");
    let html = mail.html.expect("html");
    assert!(
        html.contains("<script>") && html.contains("https://tracker.example/pixel.gif"),
        "app sanitises, not the codec"
    );
    assert!(mail.text.contains("Hello there, our order form is broken."), "{}", mail.text);
    assert!(!mail.text.contains("alert"), "no script in the text: {}", mail.text);
}

#[test]
fn missing_headers_are_named_and_an_id_is_derived() {
    let no_from = fixture("no-from.eml");
    assert!(no_from.headers.from.is_none());
    assert_eq!(no_from.problems, ["no From header"]);
    assert_eq!(no_from.text.trim(), "A mail without a sender.");

    let bytes = raw("no-message-id.eml");
    let mail = parse(&bytes);
    assert!(has_problem(&mail, "no Message-ID"));
    let id = &mail.headers.message_id;
    assert!(id.ends_with("@chorus.invalid") && id.len() == 64 + "@chorus.invalid".len(), "{id}");
    assert_eq!(parse(&bytes).headers.message_id, *id, "the same mail twice is one mail");
    let mut other = bytes.clone();
    other.extend_from_slice(b"P.S.\r\n");
    assert_ne!(parse(&other).headers.message_id, *id);

    let bad_date = fixture("bad-date.eml");
    assert_eq!(bad_date.headers.date, None);
    assert_eq!(bad_date.problems, ["the Date header (\"sometime last week\") could not be read"]);
}

#[test]
fn broken_mime_shows_what_arrived_and_says_what_broke() {
    let mail = fixture("broken-mime.eml");
    assert_eq!(mail.text.trim(), "The text before the connection dropped.");
    assert!(has_problem(&mail, "the MIME boundary \"never-closed\" never closes"), "{:?}", mail.problems);
    assert_eq!(mail.parts.len(), 1, "the cut-off file is still kept");

    let mail = fixture("no-boundary.eml");
    assert!(mail.text.contains("Hello without a declared boundary."), "{:?}", mail.text);
    assert!(mail.parts.is_empty());
    assert!(has_problem(&mail, "names no boundary"), "{:?}", mail.problems);

    let mail = fixture("bad-base64.eml");
    assert!(mail.text.contains("This is not base64 at all!"));
    assert!(has_problem(&mail, "not valid base64"), "{:?}", mail.problems);
}

#[test]
fn bad_charsets_and_raw_bytes_are_read_with_replacements() {
    let mail = fixture("unknown-charset.eml");
    assert_eq!(mail.text.trim(), "caf\u{fffd} au lait");
    assert!(has_problem(&mail, "unknown charset \"x-foo\", read as UTF-8 with replacements"), "{:?}", mail.problems);
    assert!(has_problem(&mail, "unknown charset \"x-foo\" in a header"));

    let mail = fixture("eight-bit-garbage.eml");
    assert!(mail.text.contains("invalid bytes"), "{}", mail.text);
    assert!(mail.subject.as_deref().is_some_and(|s| s.contains("aus K")));
    assert!(has_problem(&mail, "a header has 8-bit bytes"), "{:?}", mail.problems);
    assert!(has_problem(&mail, "not valid UTF-8"), "{:?}", mail.problems);
}

#[test]
fn an_empty_body_and_a_bare_unix_mail_are_fine() {
    let empty = fixture("empty-body.eml");
    assert_eq!(empty.text.trim(), "");
    assert!(empty.problems.is_empty());

    let unix = fixture("lf-only-plain.eml");
    assert_eq!(unix.headers.message_id, "lf-only@example.com");
    assert_eq!(unix.headers.to.len(), 2);
    assert_eq!(unix.text.trim(), "Plain mail with LF line ends and no MIME headers at all.");
}

#[test]
fn a_huge_header_block_is_cut_and_said() {
    let mut mail = b"From: Big <big@example.com>\r\nMessage-ID: <huge@example.com>\r\nSubject: huge\r\n".to_vec();
    for i in 0..20_000 {
        mail.extend_from_slice(format!("X-Junk-{i}: {}\r\n", "x".repeat(40)).as_bytes());
    }
    mail.extend_from_slice(b"Reply-To: late@example.com\r\n\r\nThe body survives.\r\n");
    let parsed = parse(&mail);
    assert_eq!(parsed.raw, mail);
    assert_eq!(address(&parsed.headers.from), "big@example.com");
    assert_eq!(parsed.headers.message_id, "huge@example.com");
    assert!(parsed.headers.reply_to.is_none(), "headers past the limit are not read");
    assert_eq!(parsed.text.trim(), "The body survives.");
    assert!(has_problem(&parsed, "the header block is"), "{:?}", parsed.problems);

    // One header line with no end at all.
    let mut line = b"Subject: ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 1 << 20));
    let parsed = parse(&line);
    assert!(has_problem(&parsed, "the header block is"), "{:?}", parsed.problems);
}

fn nested(depth: usize) -> Vec<u8> {
    let mut mail = String::from("From: deep@example.com\r\nMessage-ID: <deep@example.com>\r\n");
    for level in 0..depth {
        mail.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"));
    }
    mail.push_str("Content-Type: text/plain\r\n\r\nat the bottom\r\n");
    for level in (0..depth).rev() {
        mail.push_str(&format!("--b{level}--\r\n"));
    }
    mail.into_bytes()
}

#[test]
fn deep_nesting_stops_at_the_limit() {
    let shallow = parse(&nested(5));
    assert_eq!(shallow.text.trim(), "at the bottom");
    assert!(shallow.problems.is_empty(), "{:?}", shallow.problems);

    let deep = parse(&nested(3000));
    assert!(has_problem(&deep, "nesting deeper than 20"), "{:?}", deep.problems);
    assert!(!deep.text.contains("at the bottom"));
    assert_eq!(address(&deep.headers.from), "deep@example.com");
}

#[test]
fn too_many_parts_and_too_much_content_are_cut() {
    let mut mail = String::from("From: many@example.com\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n");
    for i in 0..800 {
        mail.push_str(&format!(
            "--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{i}.bin\"\r\n\r\n{i}\r\n"
        ));
    }
    mail.push_str("--m--\r\n");
    let parsed = parse(mail.as_bytes());
    assert!(has_problem(&parsed, "more than 500 MIME parts"), "{:?}", parsed.problems);
    assert!(parsed.parts.len() < 500);

    let limits = Limits { max_decoded_bytes: 1000, ..Limits::default() };
    let big = format!(
        "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\n\r\nhello\r\n--m\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"big.bin\"\r\n\r\n{}\r\n--m--\r\n",
        "z".repeat(5000)
    );
    let parsed = parse_with(big.as_bytes(), &limits);
    assert_eq!(parsed.text.trim(), "hello");
    assert!(parsed.parts.is_empty());
    assert!(has_problem(&parsed, "the file \"big.bin\""), "{:?}", parsed.problems);

    let limits = Limits { max_message_bytes: 100, ..Limits::default() };
    let parsed = parse_with(big.as_bytes(), &limits);
    assert_eq!(parsed.raw, big.as_bytes(), "the raw mail is kept in full");
    assert!(has_problem(&parsed, "only its first"), "{:?}", parsed.problems);
}

#[test]
fn hostile_and_truncated_input_never_panics() {
    for bytes in [&b""[..], b"\r\n", b"\r\n\r\n", b"From:", b"From: <>\r\n\r\n", b"\0\0\0\xff\xfe", b"--\r\n--\r\n"] {
        let mail = parse(bytes);
        assert_eq!(mail.raw, bytes);
        assert!(!mail.headers.message_id.is_empty());
        assert!(!mail.problems.is_empty(), "{bytes:?}");
    }
    // Every fixture cut at many points, and with bytes flipped by a fixed-seed generator.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in CHECKED {
        let bytes = raw(name);
        for cut in (0..bytes.len()).step_by(bytes.len() / 40 + 1) {
            let mail = parse(&bytes[..cut]);
            assert_eq!(mail.raw.len(), cut);
        }
        for _ in 0..30 {
            let mut mutated = bytes.clone();
            for _ in 0..8 {
                let at = (next() as usize) % mutated.len().max(1);
                if let Some(b) = mutated.get_mut(at) {
                    *b = [b'-', b'\r', b'\n', b'=', b'?', b';', b'"', 0xff][(next() % 8) as usize];
                }
            }
            let _ = parse(&mutated);
        }
    }
}

pub(crate) const SECRET: &str = "inbox-secret";

/// An e-mail inbox, a conversation with one inbound mail, and a queued reply to it.
pub(crate) struct Thread {
    pub inbox: Inbox,
    pub conversation: Conversation,
    pub contact: Contact,
    pub reply: Message,
    pub earlier: Vec<Message>,
}

impl Thread {
    pub(crate) fn request<'a>(
        &'a self,
        agent: Option<&'a str>,
        files: &'a [(domain::Attachment, app::Content)],
    ) -> DeliveryRequest<'a> {
        DeliveryRequest {
            inbox: &self.inbox,
            conversation: &self.conversation,
            contact: &self.contact,
            message: &self.reply,
            thread: &self.earlier,
            agent_name: agent,
            files,
        }
    }
}

fn message(thread: &Conversation, inbox: &Inbox, direction: Direction, text: &str, meta: MessageMeta) -> Message {
    Message {
        id: MessageId::new(),
        workspace_id: thread.workspace_id,
        conversation_id: thread.id,
        inbox_id: inbox.id,
        direction,
        kind: MessageKind::Message,
        author: match direction {
            Direction::Inbound => Author::Contact(thread.contact_id),
            Direction::Outbound => Author::Agent(UserId::new()),
        },
        text: text.into(),
        html: None,
        attachments: vec![],
        provider_message_id: None,
        delivery_status: None,
        delivery_error: None,
        meta,
        created_at: 1,
    }
}

pub(crate) fn thread(smtp: Option<domain::inbox::MailServer>) -> Thread {
    let workspace_id = WorkspaceId::new();
    let inbox = Inbox {
        id: InboxId::new(),
        workspace_id,
        kind: ChannelKind::Email,
        name: "Support e-mail".into(),
        settings: InboxSettings {
            email: Some(EmailSettings {
                addresses: vec!["support@acme.test".into()],
                from_name: Some("Acme".into()),
                smtp,
                imap: None,
            }),
            ..InboxSettings::default()
        },
        secret: SECRET.into(),
        status: InboxStatus::Active,
        created_at: 1,
    };
    let contact = Contact {
        id: ContactId::new(),
        workspace_id,
        name: Some("Maria Silva".into()),
        company: None,
        attributes: serde_json::Map::new(),
        identities: vec![Identity { kind: IdentityKind::Email, value: "maria@example.com".into() }],
        created_at: 1,
        updated_at: 1,
    };
    let conversation = Conversation {
        id: ConversationId::new(),
        workspace_id,
        number: 1042,
        inbox_id: inbox.id,
        contact_id: contact.id,
        subject: Some("Export is broken".into()),
        status: Status::Open,
        snoozed_until: None,
        priority: Priority::None,
        assignee_id: None,
        team_id: None,
        labels: vec![],
        participants: vec![],
        message_count: 2,
        waiting_since: Some(1),
        first_response_at: None,
        resolved_at: None,
        reopen_count: 0,
        last_activity_at: 1,
        preview: None,
        last_inbound_at: None,
        created_at: 1,
    };
    let maria = MailAddress { name: Some("Maria Silva".into()), address: "maria@example.com".into() };
    let bob = MailAddress { name: Some("Bob".into()), address: "bob@example.com".into() };
    let inbound = message(
        &conversation,
        &inbox,
        Direction::Inbound,
        "The export stops at 1000 rows.",
        MessageMeta {
            email: Some(EmailHeaders {
                message_id: "third@mail.example.com".into(),
                in_reply_to: vec!["second@acme.test".into()],
                references: vec!["first@mail.example.com".into(), "second@acme.test".into()],
                from: Some(maria.clone()),
                cc: vec![bob.clone()],
                ..EmailHeaders::default()
            }),
            ..MessageMeta::default()
        },
    );
    let reply = message(
        &conversation,
        &inbox,
        Direction::Outbound,
        "Hi Maria,\n\nfixed <today> & deployed.\nThanks!",
        MessageMeta {
            email: Some(EmailHeaders {
                to: vec![maria],
                cc: vec![bob, MailAddress { name: None, address: "support@acme.test".into() }],
                ..EmailHeaders::default()
            }),
            ..MessageMeta::default()
        },
    );
    Thread { inbox, conversation, contact, reply, earlier: vec![inbound] }
}

fn compose(t: &Thread, agent: Option<&str>, files: Vec<(String, String, Vec<u8>)>) -> OutboundEmail {
    reply(&t.request(agent, &[]), files, 1_770_000_000_000).expect("a reply")
}

#[test]
fn a_reply_threads_on_the_customers_latest_mail() {
    let t = thread(None);
    let mail = compose(&t, Some("Ana"), vec![]);
    assert_eq!(mail.from, MailAddress { name: Some("Ana from Acme".into()), address: "support@acme.test".into() });
    let token = domain::email::reply_token(t.conversation.id, SECRET);
    assert_eq!(mail.reply_to, format!("support+{token}@acme.test"));
    assert_eq!(mail.message_id, format!("m{}.{token}@acme.test", t.reply.id.0.as_simple()));
    assert_eq!(mail.in_reply_to.as_deref(), Some("third@mail.example.com"));
    assert_eq!(mail.references, ["first@mail.example.com", "second@acme.test", "third@mail.example.com"]);
    assert_eq!(mail.subject, "Re: Export is broken");
    assert_eq!(mail.to.iter().map(|a| a.address.as_str()).collect::<Vec<_>>(), ["maria@example.com"]);
    assert_eq!(mail.cc.iter().map(|a| a.address.as_str()).collect::<Vec<_>>(), ["bob@example.com"], "never ourselves");
    assert_eq!(mail.date, 1_770_000_000_000);
    assert!(mail.html.contains("fixed &lt;today&gt; &amp; deployed.<br>"), "{}", mail.html);

    let teamless = compose(&t, None, vec![]);
    assert_eq!(teamless.from.name.as_deref(), Some("Acme"));
}

#[test]
fn a_reply_trims_long_reference_chains_and_keeps_one_re() {
    let mut t = thread(None);
    t.conversation.subject = Some("RE: Export is broken".into());
    if let Some(h) = t.earlier[0].meta.email.as_mut() {
        h.references = (0..40).map(|i| format!("r{i}@example.com")).collect();
    }
    let mail = compose(&t, None, vec![]);
    assert_eq!(mail.subject, "RE: Export is broken");
    assert_eq!(mail.references.len(), 11);
    assert_eq!(mail.references[0], "r0@example.com", "the thread's root stays");
    assert_eq!(mail.references[10], "third@mail.example.com");
    assert_eq!(mail.references[1], "r31@example.com", "then the ten latest");
}

#[test]
fn a_reply_without_chosen_recipients_goes_to_the_customer() {
    let mut t = thread(None);
    t.reply.meta = MessageMeta::default();
    t.earlier.clear();
    let mail = compose(&t, None, vec![]);
    assert_eq!(mail.to, [MailAddress { name: Some("Maria Silva".into()), address: "maria@example.com".into() }]);
    assert_eq!(mail.in_reply_to, None);
    assert!(mail.references.is_empty());

    t.contact.identities.clear();
    assert!(reply(&t.request(None, &[]), vec![], 1).is_err(), "nobody to send to");
}

#[test]
fn a_rendered_reply_reads_back_with_every_header_and_part() {
    let t = thread(None);
    let mail =
        compose(&t, Some("Ana Lima"), vec![("notes.pdf".into(), "application/pdf".into(), b"%PDF-1.4 x".to_vec())]);
    let bytes = render(&mail).expect("rendered");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("multipart/mixed") && text.contains("multipart/alternative"), "{text}");
    assert!(
        text.contains("\"Ana Lima from Acme\" <support@acme.test>")
            || text.contains("Ana Lima from Acme <support@acme.test>")
    );

    let back = parse(&bytes);
    assert!(back.problems.is_empty(), "{:?}", back.problems);
    assert_eq!(back.headers.message_id, mail.message_id);
    assert_eq!(back.headers.in_reply_to, ["third@mail.example.com"]);
    assert_eq!(back.headers.references, mail.references);
    assert_eq!(back.headers.reply_to.map(|a| a.address), Some(mail.reply_to.clone()));
    assert_eq!(back.headers.date, Some(1_770_000_000_000));
    assert_eq!(back.subject.as_deref(), Some("Re: Export is broken"));
    assert_eq!(back.text.replace("\r\n", "\n").trim(), "Hi Maria,\n\nfixed <today> & deployed.\nThanks!");
    assert_eq!(back.html.map(|h| h.replace("\r\n", "\n")), Some(text_to_html(&t.reply.text)));
    assert_eq!(back.parts.len(), 1);
    assert_eq!(back.parts[0].filename, "notes.pdf");
    assert_eq!(back.parts[0].bytes, b"%PDF-1.4 x");
    assert_eq!(back.automated, None);

    let plain = render(&compose(&t, None, vec![])).expect("rendered");
    let plain_text = String::from_utf8_lossy(&plain);
    assert!(!plain_text.contains("multipart/mixed") && plain_text.contains("multipart/alternative"));
}

#[test]
fn text_becomes_paragraphs_of_escaped_html() {
    let html = text_to_html("a < b\r\nc\n\n\n\"d\" & 'e'");
    assert!(html.contains("<p>a &lt; b<br>\nc</p>\n<p>&quot;d&quot; &amp; &#39;e&#39;</p>"), "{html}");
}
