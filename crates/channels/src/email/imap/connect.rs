//! Getting to a logged-in IMAP session: TCP, then TLS from the first byte, after STARTTLS,
//! or not at all (as the inbox's settings say), then LOGIN. Also the two waits that need a
//! whole session: the capability list and IDLE. Every step is bounded in time.

use super::PollError;
use async_imap::Session;
use domain::Inbox;
use domain::inbox::{ImapSettings, Security};
use rustls::pki_types::ServerName;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// How long one exchange with the server may take. A fetch of a large message is one
/// exchange, so this is generous.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// A connection to the server, encrypted or not.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The TLS client configuration trusting the platform's certificate roots, on ring.
pub fn client_tls() -> Result<Arc<rustls::ClientConfig>, PollError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| PollError::Tls(e.to_string()))?
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The inbox's IMAP settings.
pub fn settings(inbox: &Inbox) -> Result<&ImapSettings, PollError> {
    inbox.settings.email.as_ref().and_then(|e| e.imap.as_ref()).ok_or(PollError::NotConfigured)
}

/// Runs `fut` with the [`ANSWER_WITHIN`] limit.
pub async fn within<T, E>(what: &'static str, fut: impl Future<Output = Result<T, E>>) -> Result<T, PollError>
where
    PollError: From<E>,
{
    match tokio::time::timeout(ANSWER_WITHIN, fut).await {
        Ok(r) => r.map_err(PollError::from),
        Err(_) => Err(PollError::Timeout(ANSWER_WITHIN, what)),
    }
}

impl From<std::io::Error> for PollError {
    fn from(e: std::io::Error) -> PollError {
        PollError::Imap(async_imap::error::Error::Io(e))
    }
}

/// Connects, protects the connection as configured, and logs in.
pub async fn open(s: &ImapSettings, tls: &Arc<rustls::ClientConfig>) -> Result<Session<Stream>, PollError> {
    let server = format!("{}:{}", s.host, s.port);
    let tcp = match tokio::time::timeout(ANSWER_WITHIN, TcpStream::connect((s.host.as_str(), s.port))).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(source)) => return Err(PollError::Connect { server, source }),
        Err(_) => return Err(PollError::Timeout(ANSWER_WITHIN, "connecting")),
    };
    let client = match s.security {
        Security::None => greeted(Stream::Plain(tcp)).await?,
        Security::Tls => greeted(encrypt(tcp, &s.host, tls).await?).await?,
        Security::Starttls => {
            let mut client = greeted(Stream::Plain(tcp)).await?;
            within("STARTTLS", client.run_command_and_check_ok("STARTTLS", None)).await?;
            let Stream::Plain(tcp) = client.into_inner() else {
                return Err(PollError::Tls("the connection was already encrypted".into()));
            };
            // No greeting after STARTTLS: the server waits for the client's next command.
            async_imap::Client::new(encrypt(tcp, &s.host, tls).await?)
        }
    };
    let login = tokio::time::timeout(ANSWER_WITHIN, client.login(&s.username, &s.password)).await;
    match login {
        Ok(Ok(session)) => Ok(session),
        Ok(Err((e, _))) => Err(PollError::Login { user: s.username.clone(), message: e.to_string() }),
        Err(_) => Err(PollError::Timeout(ANSWER_WITHIN, "LOGIN")),
    }
}

/// A client that has read the server's greeting.
async fn greeted(stream: Stream) -> Result<async_imap::Client<Stream>, PollError> {
    let mut client = async_imap::Client::new(stream);
    match within("greeting", client.read_response()).await? {
        Some(_) => Ok(client),
        None => Err(PollError::Imap(async_imap::error::Error::ConnectionLost)),
    }
}

async fn encrypt(tcp: TcpStream, host: &str, tls: &Arc<rustls::ClientConfig>) -> Result<Stream, PollError> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| PollError::Tls(format!("{host:?}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    let stream = within("TLS handshake", connector.connect(name, tcp)).await?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// What the poller needs to know the server can do.
pub struct Capabilities {
    pub idle: bool,
    pub moves: bool,
    pub uidplus: bool,
}

pub async fn capabilities(session: &mut Session<Stream>) -> Result<Capabilities, PollError> {
    let caps = within("CAPABILITY", session.capabilities()).await?;
    Ok(Capabilities { idle: caps.has_str("IDLE"), moves: caps.has_str("MOVE"), uidplus: caps.has_str("UIDPLUS") })
}

/// Waits in IDLE until the server reports a change or `at_most` passes.
pub async fn idle(session: Session<Stream>, at_most: Duration) -> Result<Session<Stream>, PollError> {
    let mut handle = session.idle();
    within("IDLE", handle.init()).await?;
    {
        // The stop source must live while waiting: dropping it ends the wait at once.
        let (wait, _stop) = handle.wait_with_timeout(at_most);
        wait.await?;
    }
    within("DONE", handle.done()).await
}

/// Logs out politely; the connection is dropped whatever the server says.
pub async fn close(mut session: Session<Stream>) {
    let _ = tokio::time::timeout(Duration::from_secs(10), session.logout()).await;
}
