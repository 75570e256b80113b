//! Replies sent through a real SMTP server: Python's `aiosmtpd` with a handler
//! (`tests/support/smtp_recorder.py`) that stores what it receives, so the checks read the
//! exact bytes and envelope that arrived. Needs `python3 -m pip install aiosmtpd`.

use crate::email_codec::{SECRET, Thread, thread};
use app::Deliverer;
use chorus_channels::email::{SmtpSender, parse};
use domain::inbox::{MailServer, Security};
use domain::{Attachment, AttachmentId};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An aiosmtpd process on a free local port, stopped when dropped.
struct Relay {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

fn support() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support")
}

/// Starts the relay; it refuses `reject` with 550 and `defer` with 451 at RCPT.
fn relay(reject: &str, defer: &str) -> Relay {
    let present = Command::new("python3").args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success());
    assert!(present, "these tests need aiosmtpd: python3 -m pip install aiosmtpd");
    let dir = tempfile::tempdir().expect("a temp dir");
    let port = free_port();
    let log = std::fs::File::create(dir.path().join("server.log")).expect("a log file");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "smtp_recorder.Recorder"])
        .arg(dir.path())
        .args([reject, defer])
        .env("PYTHONPATH", support())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("python3 starts");
    let mut relay = Relay { child, port, dir };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let exited = relay.child.try_wait().expect("status").is_some();
        if exited || Instant::now() > deadline {
            let log = std::fs::read_to_string(relay.dir.path().join("server.log")).unwrap_or_default();
            panic!("aiosmtpd did not start: {log}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    relay
}

impl Relay {
    fn server(&self) -> MailServer {
        MailServer {
            host: "127.0.0.1".into(),
            port: self.port,
            security: Security::None,
            username: None,
            password: None,
        }
    }

    /// The first mail received: its envelope (as JSON) and its bytes.
    fn received(&self) -> (serde_json::Value, Vec<u8>) {
        let eml = self.dir.path().join("001.eml");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !eml.exists() {
            assert!(Instant::now() < deadline, "no mail arrived");
            std::thread::sleep(Duration::from_millis(20));
        }
        let envelope = std::fs::read(self.dir.path().join("001.json")).expect("the envelope");
        (serde_json::from_slice(&envelope).expect("json"), std::fs::read(eml).expect("the mail"))
    }

    fn nothing_received(&self) -> bool {
        !self.dir.path().join("001.eml").exists()
    }
}

fn sender() -> SmtpSender {
    SmtpSender::with_timeout(Duration::from_secs(10))
}

fn file_on_disk(dir: &Path, t: &Thread, name: &str, bytes: &[u8]) -> (Attachment, app::Content) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("written");
    let attachment = Attachment {
        id: AttachmentId::new(),
        workspace_id: t.inbox.workspace_id,
        message_id: Some(t.reply.id),
        filename: name.into(),
        content_type: "application/pdf".into(),
        size: bytes.len() as i64,
        sha256: "0".repeat(64),
        created_at: 1,
    };
    (attachment, app::Content::File(path))
}

/// The header block of a mail, unfolded, as (lower-case name, value) pairs.
fn headers(raw: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let head = text.split("\n\n").next().unwrap_or_default().replace("\n ", " ").replace("\n\t", " ");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

fn header<'a>(all: &'a [(String, String)], name: &str) -> &'a str {
    all.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
}

#[tokio::test]
async fn a_reply_arrives_with_threading_headers_alternative_bodies_and_a_file() {
    let relay = relay("", "");
    let t = thread(Some(relay.server()));
    let files = vec![file_on_disk(relay.dir.path(), &t, "invoice.pdf", b"%PDF-1.4 invoice")];
    let id = sender().deliver(t.request(Some("Ana"), &files)).await.expect("sent");

    let token = domain::email::reply_token(t.conversation.id, SECRET);
    let expected_id = format!("m{}.{token}@acme.test", t.reply.id.0.as_simple());
    assert_eq!(id.as_deref(), Some(expected_id.as_str()), "the Message-ID is the provider id");

    let (envelope, raw) = relay.received();
    assert_eq!(envelope["mail_from"], "support@acme.test");
    assert_eq!(envelope["rcpt_tos"], serde_json::json!(["maria@example.com", "bob@example.com"]), "to + cc, never us");

    let h = headers(&raw);
    assert_eq!(header(&h, "message-id"), format!("<{expected_id}>"));
    assert_eq!(header(&h, "in-reply-to"), "<third@mail.example.com>");
    assert_eq!(header(&h, "references"), "<first@mail.example.com> <second@acme.test> <third@mail.example.com>");
    assert_eq!(header(&h, "reply-to"), format!("support+{token}@acme.test"));
    assert!(header(&h, "from").contains("Ana from Acme") && header(&h, "from").ends_with("<support@acme.test>"));
    assert!(header(&h, "to").contains("maria@example.com"));
    assert!(header(&h, "cc").contains("bob@example.com") && !header(&h, "cc").contains("support@"));
    assert_eq!(header(&h, "subject"), "Re: Export is broken");
    assert!(!header(&h, "date").is_empty());
    assert!(header(&h, "content-type").starts_with("multipart/mixed"));

    let text = String::from_utf8_lossy(&raw);
    let alternative = text.find("multipart/alternative").expect("an alternative part");
    let plain = text.find("text/plain").expect("a text part");
    let html = text.find("text/html").expect("an HTML part");
    assert!(alternative < plain && plain < html, "text first, then the richer HTML");

    let mail = parse(&raw);
    assert!(mail.problems.is_empty(), "{:?}", mail.problems);
    assert_eq!(mail.headers.from.as_ref().and_then(|f| f.name.as_deref()), Some("Ana from Acme"));
    assert_eq!(mail.headers.in_reply_to, ["third@mail.example.com"]);
    assert_eq!(domain::email::conversation_from_token(&mail.headers.message_id, SECRET), Some(t.conversation.id));
    assert!(mail.headers.date.is_some());
    assert_eq!(mail.text.replace("\r\n", "\n").trim(), "Hi Maria,\n\nfixed <today> & deployed.\nThanks!");
    assert!(mail.html.as_deref().is_some_and(|h| h.contains("fixed &lt;today&gt; &amp; deployed.")));
    assert_eq!(mail.parts.len(), 1);
    assert_eq!(
        (mail.parts[0].filename.as_str(), mail.parts[0].content_type.as_str()),
        ("invoice.pdf", "application/pdf")
    );
    assert_eq!(mail.parts[0].bytes, b"%PDF-1.4 invoice");
}

#[tokio::test]
async fn a_refused_recipient_is_a_permanent_failure_with_the_servers_words() {
    let relay = relay("maria@example.com", "");
    let t = thread(Some(relay.server()));
    let err = sender().deliver(t.request(None, &[])).await.expect_err("refused");
    assert!(err.permanent, "{}", err.message);
    assert_eq!(err.message, "the mail server answered 550 5.1.1 <maria@example.com>: user unknown");
    assert!(relay.nothing_received());
}

#[tokio::test]
async fn a_4xx_answer_is_worth_retrying() {
    let relay = relay("", "maria@example.com");
    let t = thread(Some(relay.server()));
    let err = sender().deliver(t.request(None, &[])).await.expect_err("deferred");
    assert!(!err.permanent, "{}", err.message);
    assert_eq!(err.message, "the mail server answered 451 4.3.0 <maria@example.com>: mailbox busy, try again later");
}

#[tokio::test]
async fn nobody_listening_is_worth_retrying() {
    let port = free_port();
    let server =
        MailServer { host: "127.0.0.1".into(), port, security: Security::None, username: None, password: None };
    let t = thread(Some(server));
    let err = sender().deliver(t.request(None, &[])).await.expect_err("no server");
    assert!(!err.permanent, "{}", err.message);
    assert!(err.message.starts_with(&format!("could not send through 127.0.0.1:{port}: ")), "{}", err.message);
}

#[tokio::test]
async fn an_inbox_without_a_relay_or_a_file_that_is_gone_fails_for_good() {
    let t = thread(None);
    let err = sender().deliver(t.request(None, &[])).await.expect_err("no relay");
    assert!(err.permanent);
    assert_eq!(err.message, "this inbox has no SMTP relay configured");

    let dir = tempfile::tempdir().expect("a temp dir");
    let server =
        MailServer { host: "127.0.0.1".into(), port: 9, security: Security::None, username: None, password: None };
    let t = thread(Some(server));
    let (attachment, content) = file_on_disk(dir.path(), &t, "gone.pdf", b"x");
    std::fs::remove_file(dir.path().join("gone.pdf")).expect("removed");
    let files = [(attachment, content)];
    let err = sender().deliver(t.request(None, &files)).await.expect_err("no file");
    assert!(err.permanent);
    assert!(err.message.contains("gone.pdf"), "{}", err.message);
}
