//! Chorus's own SMTP listener: the last hop of mail sent to an inbox's address. It accepts
//! mail only for addresses an e-mail inbox receives at (unknown recipients are refused at
//! `RCPT`, before any data is sent), holds every message to a size limit, offers STARTTLS
//! when a certificate is configured, and answers `250` only once the mail is stored.
//!
//! It is a receiver, not a relay: it never forwards mail anywhere, and it offers no `AUTH`.
//! The protocol itself lives in [`session`]; this module accepts connections, upgrades them
//! to TLS, and hands finished messages to the codec and `app`. A bad connection only ever
//! ends itself: nothing a client sends stops the listener.

mod input;
mod session;

use app::App;
use domain::Inbox;
use domain::email::InboundEmail;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How the listener behaves.
#[derive(Clone)]
pub struct SmtpConfig {
    /// The name it greets with and puts in `EHLO` answers.
    pub hostname: String,
    /// The largest message accepted, in bytes (advertised as `SIZE`).
    pub max_message_bytes: usize,
    /// At most this many recipients per message.
    pub max_recipients: usize,
    /// At most this many connections at once; more are told to come back later. Each may
    /// hold one message of `max_message_bytes` in memory, which bounds the listener's.
    pub max_connections: usize,
    /// How long a client may stay silent before the connection is closed.
    pub idle_timeout: Duration,
    /// The certificate offered by STARTTLS; without one, STARTTLS is not offered.
    pub tls: Option<Arc<rustls::ServerConfig>>,
}

impl SmtpConfig {
    /// Defaults for a listener greeting as `hostname`: 25 MiB messages, 100 recipients,
    /// 100 connections, five minutes of silence (RFC 5321's server timeout), no TLS.
    pub fn new(hostname: impl Into<String>) -> SmtpConfig {
        SmtpConfig {
            hostname: hostname.into(),
            max_message_bytes: 25 * 1024 * 1024,
            max_recipients: 100,
            max_connections: 100,
            idle_timeout: Duration::from_secs(300),
            tls: None,
        }
    }
}

/// Why a certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

/// A TLS server configuration from a PEM certificate chain and a PEM private key, on the
/// ring provider.
pub fn tls_config(cert_pem: &Path, key_pem: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert_pem)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError(format!("reading the certificate {}: {e}", cert_pem.display())))?;
    if certs.is_empty() {
        return Err(TlsError(format!("{} holds no certificate", cert_pem.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key_pem)
        .map_err(|e| TlsError(format!("reading the private key {}: {e}", key_pem.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
        .map_err(|e| TlsError(format!("the certificate and key do not make a TLS configuration: {e}")))?;
    Ok(Arc::new(config))
}

/// The SMTP listener: one task per connection.
pub struct SmtpListener {
    app: App,
    config: SmtpConfig,
}

/// What the sessions share.
struct Shared {
    app: App,
    config: SmtpConfig,
}

impl SmtpListener {
    /// A listener storing mail through `app`.
    pub fn new(app: App, config: SmtpConfig) -> SmtpListener {
        SmtpListener { app, config }
    }

    /// Accepts connections on `listener` until the task is dropped or aborted.
    pub async fn run(self, listener: TcpListener) {
        let limit = Arc::new(Semaphore::new(self.config.max_connections.max(1)));
        let shared = Arc::new(Shared { app: self.app, config: self.config });
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Running out of file descriptors or a connection reset before accept:
                    // wait a moment rather than spin, and keep listening.
                    tracing::warn!(error = %e, "smtp: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            match limit.clone().try_acquire_owned() {
                Ok(permit) => {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        connection(&shared, stream, peer).await;
                        drop(permit);
                    });
                }
                Err(_) => {
                    tokio::spawn(session::too_busy(stream));
                }
            }
        }
    }
}

/// One connection from greeting to close, with at most one upgrade to TLS.
async fn connection(shared: &Shared, stream: TcpStream, peer: SocketAddr) {
    let mut state = session::Session::new(shared, peer);
    let stream = match state.run(input::Input::new(stream), true).await {
        session::End::StartTls(stream) => stream,
        session::End::Closed => return,
    };
    let Some(tls) = shared.config.tls.clone() else { return };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let handshake = tokio::time::timeout(Duration::from_secs(30), acceptor.accept(stream)).await;
    let stream = match handshake {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "smtp: TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "smtp: TLS handshake timed out");
            return;
        }
    };
    state.upgraded();
    // A second STARTTLS is refused inside the session, so this run always ends the connection.
    let _ = state.run(input::Input::new(stream), false).await;
}

/// Parses one message and stores it in every inbox it was addressed to. Returns the id of
/// the stored message (the queue id the client is told), or why it could not be stored.
async fn deliver(app: &App, sender: &str, inboxes: &[Inbox], bytes: Vec<u8>) -> Result<String, app::Error> {
    let Some(mut mail) = parse_guarded(bytes).await else {
        return Err(app::Error::Internal("the mail could not be parsed: shutting down".into()));
    };
    if mail.headers.from.is_none() && !sender.is_empty() {
        // Without a From header the contact would be unknown; the envelope sender is the
        // best witness there is of who sent it.
        mail.headers.from = Some(domain::email::MailAddress { name: None, address: sender.to_ascii_lowercase() });
        mail.problems.push(format!("the mail had no From header; the envelope sender {sender} was used"));
    }
    let mut queue_id = String::new();
    for inbox in inboxes {
        let outcome = app.receive_email(inbox, mail.clone()).await?;
        if queue_id.is_empty() {
            queue_id = outcome.message.id.to_string();
        }
    }
    Ok(queue_id)
}

/// Messages up to this size are parsed on the connection's task; larger ones on the
/// blocking pool, so one big mail does not hold up other connections.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// The codec's reading of a mail. The codec promises never to panic; should it anyway, the
/// mail is still kept (raw, with a problem noted) rather than lost or retried forever.
/// `None` only when the runtime is shutting down. The IMAP poller reads its mail the same way.
pub(crate) async fn parse_guarded(bytes: Vec<u8>) -> Option<InboundEmail> {
    fn guarded(bytes: Vec<u8>) -> InboundEmail {
        match std::panic::catch_unwind(|| super::codec::parse(&bytes)) {
            Ok(mail) => mail,
            Err(_) => unreadable(bytes),
        }
    }
    if bytes.len() <= INLINE_PARSE_BYTES {
        return Some(guarded(bytes));
    }
    tokio::task::spawn_blocking(move || guarded(bytes)).await.ok()
}

fn unreadable(raw: Vec<u8>) -> InboundEmail {
    use sha2::{Digest, Sha256};
    // Named by its content, so the same unreadable mail delivered twice is still one.
    let message_id = format!("unreadable.{}@chorus.invalid", hex::encode(Sha256::digest(&raw)));
    InboundEmail {
        headers: domain::email::EmailHeaders { message_id, ..Default::default() },
        subject: None,
        text: String::new(),
        html: None,
        parts: Vec::new(),
        automated: None,
        bounce: None,
        problems: vec!["the mail could not be read; the original is attached".into()],
        raw,
    }
}
