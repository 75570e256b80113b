//! Chorus's SMTP listener on a real socket, driven by Python's smtplib (a client nobody
//! here wrote) and, for what smtplib will not do (garbage, pipelining, BDAT), by raw
//! Python sockets. Mail must land in the right inbox's conversations, refusals must come
//! at the right step with the right code, and nothing a client does may stop the listener.

use app::{Actor, App, AppConfig, InboxInput, ReplyInput, SystemClock};
use chorus_channels::email::{SmtpConfig, SmtpListener};
use domain::email::{outbound_message_id, reply_address};
use domain::inbox::EmailSettings;
use domain::{ChannelKind, ConversationFilter, Inbox, InboxSettings, Message};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use store::testing::TestStore;

/// A desk with one workspace and one e-mail inbox receiving at `support@acme.test`.
pub struct Desk {
    pub app: App,
    pub owner: Actor,
    pub inbox: Inbox,
    pub _db: TestStore,
}

pub async fn desk() -> Desk {
    let db = store::testing::fresh().await.expect("fresh database");
    let app = App::new(db.store.clone(), AppConfig::new(db.dir.path()), Arc::new(SystemClock)).expect("app");
    let (ws, owner) = app.bootstrap("Acme", "owner@acme.test", "Olga Owner", "correct horse").await.unwrap().unwrap();
    let owner = Actor { workspace_id: ws.id, user_id: owner.id, role: domain::Role::Owner };
    let inbox = email_inbox(&app, &owner, "Support", "support@acme.test").await;
    Desk { app, owner, inbox, _db: db }
}

/// Adds an e-mail inbox receiving at `address`.
pub async fn email_inbox(app: &App, owner: &Actor, name: &str, address: &str) -> Inbox {
    let settings = InboxSettings {
        email: Some(EmailSettings { addresses: vec![address.into()], ..Default::default() }),
        ..Default::default()
    };
    app.create_inbox(owner, InboxInput { kind: ChannelKind::Email, name: name.into(), settings }).await.unwrap()
}

impl Desk {
    /// The inbox's conversations, newest first, each with its messages oldest first.
    pub async fn threads(&self, inbox: &Inbox) -> Vec<Vec<Message>> {
        let filter = ConversationFilter { inbox_id: Some(inbox.id), ..Default::default() };
        let q = app::ConversationQuery { filter, cursor: None, limit: 100 };
        let list = self.app.list_conversations(&self.owner, q).await.unwrap();
        let mut out = Vec::new();
        for c in list.page.items {
            out.push(self.app.list_messages(&self.owner, c.id, None, 100).await.unwrap().items);
        }
        out
    }
}

/// Starts a listener on a free local port.
async fn listen(app: &App, config: SmtpConfig) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(SmtpListener::new(app.clone(), config).run(listener));
    addr
}

/// Runs a Python script (with `PORT` and `HERE` defined) and returns what it printed; the
/// test fails with its error output when it fails.
pub async fn python(port: u16, script: &str) -> String {
    let support = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support");
    let program = format!("PORT = {port}\nHERE = {:?}\n{script}", support.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = Command::new("python3")
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs (the tests need it)");
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(program.as_bytes()).expect("script written");
        child.wait_with_output().expect("python3 finished")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "python failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    stdout
}

const CLIENT: &str = r#"
import smtplib, socket, ssl, sys
from email.message import EmailMessage

def mail(frm, to, subject, body, **headers):
    m = EmailMessage()
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body)
    return m

def raw(lines, wait=0.3):
    """Sends bytes on a fresh connection and returns everything the server answered."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    s.recv(1000)
    got = b""
    for chunk in lines:
        s.sendall(chunk)
        s.settimeout(wait)
        try:
            while True:
                part = s.recv(65536)
                if not part:
                    break
                got += part
        except socket.timeout:
            pass
    s.close()
    return got.decode("utf-8", "replace")
"#;

fn script(body: &str) -> String {
    format!("{CLIENT}\n{body}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_with_an_attachment_lands_in_its_inbox_with_the_attachment() {
    let d = desk().await;
    let other = email_inbox(&d.app, &d.owner, "Billing", "billing@acme.test").await;
    let addr = listen(&d.app, SmtpConfig::new("mx.acme.test")).await;
    let out = python(
        addr.port(),
        &script(
            r#"
m = mail("Ana Lima <ana@example.com>", "support@acme.test", "Invoice missing",
         "Hello,\n.a line that starts with a dot\nThe invoice is attached.\n", Message_ID="<first@example.com>")
m.add_attachment(b"%PDF-1.4 fake invoice", maintype="application", subtype="pdf", filename="invoice.pdf")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    code, caps = s.ehlo("client.example.com")
    print("ehlo", code, caps.decode())
    refused = s.send_message(m)
    print("refused", refused)
"#,
        ),
    )
    .await;
    assert!(out.contains("ehlo 250"), "{out}");
    for cap in ["SIZE 26214400", "8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES"] {
        assert!(out.contains(cap), "{cap} advertised: {out}");
    }
    assert!(!out.contains("STARTTLS"), "no STARTTLS without a certificate: {out}");
    assert!(out.contains("refused {}"), "{out}");

    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 1, "one conversation in the support inbox");
    let message = &threads[0][0];
    assert!(message.text.contains("The invoice is attached."), "{}", message.text);
    assert!(message.text.contains("\n.a line that starts with a dot"), "dot-unstuffed once: {}", message.text);
    let names: Vec<&str> = message.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert!(names.contains(&"invoice.pdf"), "{names:?}");
    let pdf = message.attachments.iter().find(|a| a.filename == "invoice.pdf").unwrap();
    assert_eq!(pdf.size, b"%PDF-1.4 fake invoice".len() as i64);
    assert_eq!(message.meta.email.as_ref().unwrap().message_id, "first@example.com");
    assert!(d.threads(&other).await.is_empty(), "nothing in the other inbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_recipients_are_refused_at_rcpt_and_known_ones_still_receive() {
    let d = desk().await;
    let addr = listen(&d.app, SmtpConfig::new("mx.acme.test")).await;
    let out = python(
        addr.port(),
        &script(
            r#"
with smtplib.SMTP("127.0.0.1", PORT) as s:
    s.ehlo()
    s.mail("ana@example.com")
    print("rcpt", *s.rcpt("nobody@acme.test"))
    print("data-without-rcpt", *s.docmd("DATA"))
    s.rset()
    m = mail("ana@example.com", "support@acme.test, nobody@acme.test", "Hi", "Two recipients")
    print("refused", s.send_message(m))
"#,
        ),
    )
    .await;
    assert!(out.contains("rcpt 550 b'5.1.1 <nobody@acme.test>: no such mailbox here'"), "{out}");
    assert!(out.contains("data-without-rcpt 554"), "{out}");
    assert!(out.contains("refused {'nobody@acme.test': (550"), "{out}");
    assert_eq!(d.threads(&d.inbox).await.len(), 1, "the known recipient got it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_mail_is_refused_and_the_connection_stays_usable() {
    let d = desk().await;
    let mut config = SmtpConfig::new("mx.acme.test");
    config.max_message_bytes = 20_000;
    let addr = listen(&d.app, config).await;
    let out = python(
        addr.port(),
        &script(
            r#"
with smtplib.SMTP("127.0.0.1", PORT) as s:
    s.ehlo()
    print("declared", *s.mail("ana@example.com", ["SIZE=50000"]))
    s.rset()
    # smtplib declares SIZE when the server offers it; send the raw commands to see the
    # limit enforced on the data itself.
    s.docmd("MAIL FROM:<ana@example.com>")
    s.docmd("RCPT TO:<support@acme.test>")
    print("data", *s.docmd("DATA"))
    s.send(b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 40 + b".\r\n")
    print("big", *s.getreply())
    m = mail("ana@example.com", "support@acme.test", "Small", "A small one after the big one")
    print("refused", s.send_message(m))
    print("noop", *s.noop())
"#,
        ),
    )
    .await;
    assert!(out.contains("declared 552 b'5.3.4"), "{out}");
    assert!(out.contains("data 354"), "{out}");
    assert!(out.contains("big 552 b'5.3.4"), "{out}");
    assert!(out.contains("refused {}"), "{out}");
    assert!(out.contains("noop 250"), "{out}");
    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 1, "only the small mail was stored");
    assert!(threads[0][0].text.contains("A small one"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_malformed_mail_never_stop_the_listener() {
    let d = desk().await;
    let addr = listen(&d.app, SmtpConfig::new("mx.acme.test")).await;
    let out = python(
        addr.port(),
        &script(
            r#"
# Binary noise, an endless line, unknown commands until the server has had enough.
print("noise", raw([b"\x00\xff\xfe garbage \x80\r\n", b"A" * 100000 + b"\r\n", b"HELO\r\n", b"MAIL FROM:<<<>\r\n"]).replace("\r\n", "|"))
print("errors", raw([b"BOGUS\r\n" * 12]).replace("\r\n", "|"))
# A client that vanishes in the middle of a message.
raw([b"EHLO x\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<support@acme.test>\r\nDATA\r\n", b"Subject: cut\r\n\r\nhalf a mes"])
# Mail that is not really mail: no headers, broken MIME, stray bytes, a lone dot after a bare LF.
broken = (b"this is not a header line\r\n\r\n--boundary-that-never-was\r\n"
          b"Content-Type: multipart/mixed; boundary=\"\r\n\xff\xfe\x00 bytes\nnot the end:\n.\r\nstill data\r\n")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print("broken", s.sendmail("mallory@example.com", ["support@acme.test"], broken))
# Pipelined commands answered in one go, then BDAT.
print("pipelined", raw([b"EHLO x\r\nMAIL FROM:<p@example.com>\r\nRCPT TO:<support@acme.test>\r\nDATA\r\n",
    b"From: p@example.com\r\nSubject: piped\r\nMessage-ID: <piped@example.com>\r\n\r\npipelined\r\n.\r\nQUIT\r\n"]).replace("\r\n", "|"))
body = b"From: b@example.com\r\nSubject: chunks\r\nMessage-ID: <bdat@example.com>\r\n\r\nsent in two chunks\r\n"
print("bdat", raw([b"EHLO x\r\nMAIL FROM:<b@example.com>\r\nRCPT TO:<support@acme.test>\r\n",
    b"BDAT 20\r\n" + body[:20], b"BDAT %d LAST\r\n" % (len(body) - 20) + body[20:], b"QUIT\r\n"]).replace("\r\n", "|"))
# And after all that, a normal client is served.
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print("after", s.send_message(mail("ana@example.com", "support@acme.test", "Still there?", "Yes")))
"#,
        ),
    )
    .await;
    let line = |name: &str| out.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_string();
    let noise = line("noise");
    assert!(noise.contains("500 5.5.1") && noise.contains("500 5.5.2 Line too long"), "{noise}");
    assert!(noise.contains("501"), "HELO without a name and a bad address are syntax errors: {noise}");
    assert!(line("errors").contains("421 4.7.0 Too many errors"), "{out}");
    assert_eq!(line("broken"), "broken {}", "{out}");
    let piped = line("pipelined");
    assert!(
        piped.contains("250 2.1.0 Sender OK|250 2.1.5 Recipient OK|354"),
        "answers to a pipelined group come together: {piped}"
    );
    assert!(piped.contains("250 2.0.0 OK: queued as") && piped.contains("221"), "{piped}");
    let bdat = line("bdat");
    assert!(bdat.contains("250 2.0.0 20 bytes received") && bdat.contains("queued as"), "{bdat}");
    assert_eq!(line("after"), "after {}", "{out}");

    let threads = d.threads(&d.inbox).await;
    let texts: Vec<String> = threads.iter().flatten().map(|m| m.text.clone()).collect();
    assert!(!texts.iter().any(|t| t.contains("half a mes")), "an unfinished message is not stored: {texts:?}");
    let all: String = texts.concat();
    for expected in ["pipelined", "sent in two chunks", "Yes", "still data"] {
        assert!(all.contains(expected), "{expected:?} stored: {texts:?}");
    }
    let broken = threads.iter().flatten().find(|m| m.text.contains("still data")).unwrap();
    assert!(broken.attachments.iter().any(|a| a.filename == "message.eml"), "the original is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_five_message_exchange_threads_into_one_conversation_and_a_fresh_mail_opens_another() {
    let d = desk().await;
    let addr = listen(&d.app, SmtpConfig::new("mx.acme.test")).await;
    let send = |script_body: String| {
        let port = addr.port();
        async move { python(port, &script(&script_body)).await }
    };
    let first = r#"
m = mail("Ana Lima <ana@example.com>", "support@acme.test", "Order 1042 late", "Where is my order?",
         Message_ID="<q1@example.com>")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print(s.send_message(m))
"#;
    send(first.to_string()).await;
    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 1);
    let conversation = threads[0][0].conversation_id;

    // The agent answers; the customer's client answers that answer by its Message-ID.
    let input = ReplyInput { text: "It ships today.".into(), html: None, attachments: vec![], reply_all: false };
    let reply = d.app.reply(&d.owner, conversation, input).await.unwrap();
    let our_id = outbound_message_id(reply.id, conversation, &d.inbox.secret, "acme.test");
    send(format!(
        r#"
m = mail("Ana Lima <ana@example.com>", "support@acme.test", "Re: Order 1042 late", "Thanks! Tracking number?",
         Message_ID="<q2@example.com>", In_Reply_To="<{our_id}>", References="<q1@example.com> <{our_id}>")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print(s.send_message(m))
"#
    ))
    .await;

    // A second answer, and a reply from a client that kept only our +token Reply-To.
    let input = ReplyInput { text: "Tracking: 1Z999.".into(), html: None, attachments: vec![], reply_all: false };
    d.app.reply(&d.owner, conversation, input).await.unwrap();
    let tokened = reply_address("support@acme.test", conversation, &d.inbox.secret);
    send(format!(
        r#"
m = mail("ana@example.com", "{tokened}", "no subject line of ours", "Got it, thank you.", Message_ID="<q3@example.com>")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print(s.send_message(m))
"#
    ))
    .await;

    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 1, "all five messages are one conversation");
    let texts: Vec<&str> = threads[0].iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts.len(), 5, "{texts:?}");
    assert!(texts[2].contains("Tracking number?") && texts[4].contains("Got it"), "{texts:?}");

    // The same customer writing afresh starts a new conversation.
    let fresh = r#"
m = mail("Ana Lima <ana@example.com>", "support@acme.test", "A different question", "Do you ship to Peru?",
         Message_ID="<q4@example.com>")
with smtplib.SMTP("127.0.0.1", PORT) as s:
    print(s.send_message(m))
"#;
    send(fresh.to_string()).await;
    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 2, "a fresh mail opens a new conversation");
    let new = threads.iter().find(|t| t[0].conversation_id != conversation).unwrap();
    assert_eq!(new.len(), 1);
    assert!(new[0].text.contains("Peru"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_mail_delivered_twice_is_stored_once() {
    let d = desk().await;
    let addr = listen(&d.app, SmtpConfig::new("mx.acme.test")).await;
    python(
        addr.port(),
        &script(
            r#"
m = mail("ana@example.com", "support@acme.test", "Twice", "Sent twice by a retrying relay", Message_ID="<twice@example.com>")
for _ in range(2):
    with smtplib.SMTP("127.0.0.1", PORT) as s:
        print(s.send_message(m))
"#,
        ),
    )
    .await;
    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.iter().flatten().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_is_offered_with_a_certificate_and_mail_flows_over_it() {
    let d = desk().await;
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut config = SmtpConfig::new("localhost");
    config.tls = Some(chorus_channels::email::smtp::tls_config(&cert_path, &key_path).unwrap());
    let addr = listen(&d.app, config).await;
    let out = python(
        addr.port(),
        &script(&format!(
            r#"
ctx = ssl.create_default_context(cafile={cert:?})
with smtplib.SMTP("localhost", PORT) as s:
    print("before", "STARTTLS" in s.ehlo()[1].decode())
    print("mail-before-ehlo-again", *s.starttls(context=ctx))
    print("after", "STARTTLS" in s.ehlo()[1].decode(), s.sock.version())
    print("second", *s.docmd("STARTTLS"))
    print("refused", s.send_message(mail("ana@example.com", "support@acme.test", "Secret", "Over TLS")))
"#,
            cert = cert_path.display().to_string()
        )),
    )
    .await;
    assert!(out.contains("before True"), "{out}");
    assert!(out.contains("mail-before-ehlo-again 220"), "{out}");
    assert!(out.contains("after False TLSv1.3"), "{out}");
    assert!(out.contains("second 503"), "{out}");
    assert!(out.contains("refused {}"), "{out}");
    let threads = d.threads(&d.inbox).await;
    assert!(threads[0][0].text.contains("Over TLS"));
}
