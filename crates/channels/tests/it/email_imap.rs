//! The IMAP poller against a real Dovecot (Debian's `dovecot-imapd`), started privately
//! by each test on free loopback ports with its mail in a temporary directory. Mail is
//! put in with Python's imaplib, as another client would; what the poller did to it
//! (flags, folders) is read back the same way.
//!
//! Without Dovecot the tests say so loudly and pass, except under CI, where they fail:
//! CI installs it (`apt-get install -y dovecot-imapd`).

use crate::email_smtp::{Desk, desk, python};
use app::{App, AppConfig, SystemClock};
use chorus_channels::email::imap::{ImapPoller, PollError, poll_once, poll_once_with};
use domain::Inbox;
use domain::inbox::{ImapSettings, Security};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DOVECOT: &str = "/usr/sbin/dovecot";

/// A Dovecot running for one test; stopped when dropped.
struct Dovecot {
    child: Child,
    dir: tempfile::TempDir,
    config: PathBuf,
    port: u16,
    tls_port: u16,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new(DOVECOT).arg("-c").arg(&self.config).arg("stop").stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn id(args: &[&str]) -> String {
    let out = Command::new("id").args(args).output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    /// Starts one, or None (after saying why) when Dovecot is not installed here.
    fn start() -> Option<Dovecot> {
        if !Path::new(DOVECOT).exists() {
            let why = "Dovecot is not installed: `apt-get install -y dovecot-imapd` to run the IMAP tests";
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("\n*** SKIPPED: {why} ***\n");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let root = id(&["-u"]) == "0";
        // Dovecot never touches mail as root: as root the mail belongs to `mail`, and its
        // own processes run as the users Debian's package made; otherwise all run as us.
        let (mail_uid, mail_gid, internal, group, login) = if root {
            (id(&["-u", "mail"]), id(&["-g", "mail"]), "dovecot".into(), "dovecot".into(), "dovenull".into())
        } else {
            let me = id(&["-un"]);
            (id(&["-u"]), id(&["-g"]), me.clone(), id(&["-gn"]), me)
        };
        let (port, tls_port) = (free_port(), free_port());
        let template = std::fs::read_to_string(support().join("dovecot.conf")).expect("template");
        let text = template
            .replace("@DIR@", &dir.path().display().to_string())
            .replace("@PORT@", &port.to_string())
            .replace("@TLS_PORT@", &tls_port.to_string())
            .replace("@INTERNAL_USER@", &internal)
            .replace("@INTERNAL_GROUP@", &group)
            .replace("@LOGIN_USER@", &login)
            .replace("@MAIL_UID@", &mail_uid)
            .replace("@MAIL_GID@", &mail_gid);
        let config = dir.path().join("dovecot.conf");
        std::fs::write(&config, text).expect("config");
        std::fs::write(dir.path().join("users"), "support:{PLAIN}secret\n").expect("users");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
        std::fs::write(dir.path().join("cert.pem"), cert.cert.pem()).expect("cert.pem");
        std::fs::write(dir.path().join("key.pem"), cert.signing_key.serialize_pem()).expect("key.pem");
        for sub in ["mail", "home"] {
            let p = dir.path().join(sub);
            std::fs::create_dir(&p).expect("mkdir");
            if root {
                let (uid, gid) = (mail_uid.parse().ok(), mail_gid.parse().ok());
                std::os::unix::fs::chown(&p, uid, gid).expect("chown");
            }
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let child = Command::new(DOVECOT)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dovecot starts");
        let dovecot = Dovecot { child, dir, config, port, tls_port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "Dovecot did not start:\n{}", dovecot.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(dovecot)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// IMAP settings for the test account.
    fn settings(&self, security: Security, move_to: Option<&str>) -> ImapSettings {
        ImapSettings {
            host: if security == Security::None { "127.0.0.1".into() } else { "localhost".into() },
            port: if security == Security::Tls { self.tls_port } else { self.port },
            security,
            username: "support".into(),
            password: "secret".into(),
            folder: "INBOX".into(),
            move_to: move_to.map(String::from),
        }
    }

    /// Runs a Python script with the helpers of `imap_client.py` imported.
    async fn python(&self, script: &str) -> String {
        python(self.port, &format!("import sys\nsys.path.insert(0, HERE)\nfrom imap_client import *\n{script}")).await
    }

    /// A TLS client configuration trusting this Dovecot's certificate.
    fn trust(&self) -> Arc<rustls::ClientConfig> {
        let pem = std::fs::read(self.dir.path().join("cert.pem")).expect("cert");
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::pem::PemObject;
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.expect("pem")).expect("root");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }
}

fn support() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support")
}

/// Points the desk's inbox at the test mailbox.
async fn polled(d: &Desk, settings: ImapSettings) -> Inbox {
    let mut email = d.inbox.settings.email.clone().expect("email settings");
    email.imap = Some(settings);
    let mut all = d.inbox.settings.clone();
    all.email = Some(email);
    let patch = app::InboxPatch { settings: Some(all), ..Default::default() };
    d.app.update_inbox(&d.owner, d.inbox.id, patch).await.expect("inbox updated")
}

async fn message_count(d: &Desk) -> usize {
    d.threads(&d.inbox).await.iter().map(Vec::len).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_stores_new_mail_once_marks_it_read_and_survives_a_restart() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    let inbox = polled(&d, dovecot.settings(Security::None, None)).await;
    dovecot
        .python(
            r#"
append(PORT, mail("Ana <ana@example.com>", "Refund", "I want my money back", "<i1@example.com>", ("receipt.txt", b"receipt 42")))
append(PORT, mail("Bo <bo@example.com>", "Login", "I cannot sign in", "<i2@example.com>"))
append(PORT, b"no headers at all\r\n\r\n\xff\xfe broken \x00 mail")
"#,
        )
        .await;

    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 3);
    let threads = d.threads(&d.inbox).await;
    assert_eq!(threads.len(), 3, "three conversations");
    let refund = threads.iter().flatten().find(|m| m.text.contains("money back")).expect("stored");
    assert!(refund.attachments.iter().any(|a| a.filename == "receipt.txt"), "{:?}", refund.attachments);
    let flags = dovecot.python("print(flags(PORT))").await;
    assert_eq!(flags.matches("\\Seen").count(), 3, "all marked read: {flags}");

    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 0, "nothing twice");
    // Marked unread again by a person: the saved position, not the flag, decides.
    dovecot.python("unflag_all(PORT)").await;
    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 0);

    // A restart: a new application over the same database file.
    let store = store::Store::open(&d._db.dir.path().join("chorus.db").to_string_lossy(), store::Durability::Normal)
        .await
        .expect("reopened");
    let restarted = App::new(store, AppConfig::new(d._db.dir.path()), Arc::new(SystemClock)).expect("app");
    assert_eq!(poll_once(&restarted, &inbox).await.expect("polled"), 0, "nothing twice after a restart");
    assert_eq!(message_count(&d).await, 3);

    dovecot
        .python(r#"append(PORT, mail("Ana <ana@example.com>", "Later", "One more thing", "<i4@example.com>"))"#)
        .await;
    assert_eq!(poll_once(&restarted, &inbox).await.expect("polled"), 1, "new mail after the restart");
    assert_eq!(message_count(&d).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processed_mail_is_moved_when_the_settings_name_a_folder() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    let inbox = polled(&d, dovecot.settings(Security::None, Some("Processed"))).await;
    dovecot
        .python(
            r#"
create(PORT, "Processed")
append(PORT, mail("ana@example.com", "One", "first", "<m1@example.com>"))
append(PORT, mail("ana@example.com", "Two", "second", "<m2@example.com>"))
"#,
        )
        .await;
    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 2);
    let counts = dovecot.python(r#"print(count(PORT, "INBOX"), count(PORT, "Processed"))"#).await;
    assert_eq!(counts.trim(), "0 2", "moved out of the inbox");
    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renumbered_mailbox_is_read_again_without_duplicates() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    let inbox = polled(&d, dovecot.settings(Security::None, None)).await;
    dovecot.python(r#"append(PORT, mail("ana@example.com", "Hi", "hello", "<r1@example.com>"))"#).await;
    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 1);
    // As if the server had renumbered the mailbox since: a UIDVALIDITY we never saw.
    d.app.set_channel_state(&inbox, serde_json::json!({"uidvalidity": 1, "last_uid": 999})).await.unwrap();
    assert_eq!(poll_once(&d.app, &inbox).await.expect("polled"), 0);
    assert_eq!(message_count(&d).await, 1);
    let state = d.app.channel_state(&inbox).await.unwrap().expect("saved");
    assert_ne!(state["uidvalidity"], 1, "the new UIDVALIDITY is saved: {state}");

    // A wrong password is an error to log and retry, naming the login but not the password.
    let mut wrong = dovecot.settings(Security::None, None);
    wrong.password = "not-the-password".into();
    let inbox = polled(&d, wrong).await;
    let err = poll_once(&d.app, &inbox).await.expect_err("login refused");
    assert!(matches!(err, PollError::Login { .. }), "{err}");
    assert!(err.to_string().contains("support") && !err.to_string().contains("not-the-password"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_starttls_connections_check_the_certificate() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    dovecot.python(r#"append(PORT, mail("ana@example.com", "Secure", "over TLS", "<t1@example.com>"))"#).await;
    let tls = polled(&d, dovecot.settings(Security::Tls, None)).await;
    assert_eq!(poll_once_with(&d.app, &tls, &dovecot.trust()).await.expect("polled over TLS"), 1);
    dovecot.python(r#"append(PORT, mail("ana@example.com", "Secure 2", "after STARTTLS", "<t2@example.com>"))"#).await;
    let starttls = polled(&d, dovecot.settings(Security::Starttls, None)).await;
    assert_eq!(poll_once_with(&d.app, &starttls, &dovecot.trust()).await.expect("polled after STARTTLS"), 1);
    // The platform's roots do not know this self-signed certificate.
    let err = poll_once(&d.app, &starttls).await.expect_err("untrusted certificate refused");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_poller_picks_up_new_mail_through_idle() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    polled(&d, dovecot.settings(Security::None, None)).await;
    let poller = ImapPoller::new(d.app.clone(), Duration::from_secs(60)).expect("poller");
    let task = tokio::spawn(poller.run());
    dovecot.python(r#"append(PORT, mail("ana@example.com", "Before", "already there", "<b1@example.com>"))"#).await;
    wait_for(&d, 1).await;
    // Now the poller sits in IDLE; the next mail must arrive without waiting a minute.
    dovecot.python(r#"append(PORT, mail("ana@example.com", "While idle", "pushed", "<b2@example.com>"))"#).await;
    wait_for(&d, 2).await;
    task.abort();
}

async fn wait_for(d: &Desk, messages: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while message_count(d).await < messages {
        assert!(Instant::now() < deadline, "{messages} messages did not arrive");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_larger_than_chorus_keeps_is_stored_by_its_header_and_left_unread() {
    let Some(dovecot) = Dovecot::start() else { return };
    let d = desk().await;
    let mut config = AppConfig::new(d._db.dir.path());
    config.attachment_max_bytes = 4 * 1024;
    let app = App::new(d._db.store.clone(), config, Arc::new(SystemClock)).expect("app");
    let inbox = polled(&d, dovecot.settings(Security::None, None)).await;
    dovecot
        .python(
            r#"
append(PORT, mail("Ana <ana@example.com>", "Huge scan", "x" * 20000, "<big@example.com>"))
append(PORT, mail("Bo <bo@example.com>", "Small", "just a line", "<small@example.com>"))
"#,
        )
        .await;
    assert_eq!(poll_once(&app, &inbox).await.expect("polled"), 2, "both are stored");
    let threads = d.threads(&d.inbox).await;
    let noted: Vec<_> =
        threads.iter().flatten().filter(|m| m.meta.problems.iter().any(|p| p.contains("only its header"))).collect();
    assert_eq!(noted.len(), 1, "the large mail is stored with the reason: {threads:?}");
    assert!(!noted[0].text.contains("xxxx"), "its body was not read");
    let small = threads.iter().flatten().find(|m| m.text.contains("just a line")).expect("the small one is whole");
    assert!(small.meta.problems.is_empty(), "{:?}", small.meta.problems);
    let flags = dovecot.python("print(flags(PORT))").await;
    assert_eq!(flags.matches("\\Seen").count(), 1, "the large one is left unread: {flags}");
    assert_eq!(poll_once(&app, &inbox).await.expect("polled"), 0, "and not read again");
}
