//! Sending e-mail replies through an inbox's SMTP relay, for the delivery worker.
//!
//! [`SmtpSender`] reads the reply's files, has the codec compose and render the mail, and
//! hands the bytes to the relay with an explicit envelope. It decides nothing about
//! retries: it says whether a failure is permanent (the relay refused with a 5xx, the inbox
//! is not set up) or worth another try (4xx, no connection), with the server's words.

use super::codec::{render, reply};
use app::{Deliverer, DeliveryError, DeliveryFuture, DeliveryRequest};
use domain::Millis;
use domain::inbox::{MailServer, Security};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::error::Error as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Delivers replies of e-mail inboxes through each inbox's SMTP relay.
#[derive(Debug, Clone)]
pub struct SmtpSender {
    timeout: Duration,
}

impl Default for SmtpSender {
    fn default() -> Self {
        // Long enough for a slow relay's DATA answer, short enough that a dead one does
        // not hold a worker for minutes.
        SmtpSender { timeout: Duration::from_secs(30) }
    }
}

impl SmtpSender {
    /// A sender with the default timeout (30 s per SMTP command).
    pub fn new() -> Self {
        SmtpSender::default()
    }

    /// A sender that gives up on an SMTP command after `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        SmtpSender { timeout }
    }

    async fn send(&self, request: DeliveryRequest<'_>) -> Result<Option<String>, DeliveryError> {
        let Some(server) = request.inbox.settings.email.as_ref().and_then(|e| e.smtp.as_ref()) else {
            return Err(permanent("this inbox has no SMTP relay configured".into()));
        };
        let mut attachments = Vec::with_capacity(request.files.len());
        for (file, content) in request.files {
            let bytes = content.read().await.map_err(|e| DeliveryError {
                message: format!("the attachment {:?} could not be read: {e}", file.filename),
                // A file that is gone stays gone; anything else (a shared volume hiccup) may pass.
                permanent: e.kind() == std::io::ErrorKind::NotFound,
            })?;
            attachments.push((file.filename.clone(), file.content_type.clone(), bytes));
        }
        let mail = reply(&request, attachments, now()).map_err(|e| permanent(e.0))?;
        let bytes = render(&mail).map_err(|e| permanent(e.0))?;

        let sender: Address = mail
            .from
            .address
            .parse()
            .map_err(|e| permanent(format!("the inbox address {:?} is not usable: {e}", mail.from.address)))?;
        let mut recipients = Vec::with_capacity(mail.to.len() + mail.cc.len());
        for r in mail.to.iter().chain(&mail.cc) {
            recipients.push(
                r.address.parse::<Address>().map_err(|e| permanent(format!("{:?} is not usable: {e}", r.address)))?,
            );
        }
        let envelope = Envelope::new(Some(sender), recipients).map_err(|e| permanent(format!("no envelope: {e}")))?;

        let transport = self.transport(server, super::codec::domain_of(&mail.from.address))?;
        transport.send_raw(&envelope, &bytes).await.map_err(|e| smtp_error(server, &e))?;
        Ok(Some(mail.message_id))
    }

    fn transport(&self, server: &MailServer, hello: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliveryError> {
        let host = server.host.as_str();
        let builder = match server.security {
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
        }
        .map_err(|e| permanent(format!("the SMTP relay {host:?} cannot be used: {}", chain(&e))))?;
        let mut builder =
            builder.port(server.port).timeout(Some(self.timeout)).hello_name(ClientId::Domain(hello.to_string()));
        if let Some(user) = server.username.as_deref().filter(|u| !u.is_empty()) {
            builder =
                builder.credentials(Credentials::new(user.to_string(), server.password.clone().unwrap_or_default()));
        }
        Ok(builder.build())
    }
}

impl Deliverer for SmtpSender {
    fn deliver<'a>(&'a self, request: DeliveryRequest<'a>) -> DeliveryFuture<'a> {
        Box::pin(self.send(request))
    }
}

fn permanent(message: String) -> DeliveryError {
    DeliveryError { message, permanent: true }
}

/// A 5xx answer is final; a 4xx, a lost connection, a timeout or a TLS failure may pass.
/// The message carries the server's own words ("550 5.1.1 <x@y>: user unknown").
fn smtp_error(server: &MailServer, e: &lettre::transport::smtp::Error) -> DeliveryError {
    let answer = e.source().map(|s| s.to_string()).unwrap_or_default();
    match e.status() {
        Some(code) => DeliveryError {
            message: format!("the mail server answered {code} {answer}").trim_end().to_string(),
            permanent: e.is_permanent(),
        },
        None => DeliveryError {
            message: format!("could not send through {}:{}: {}", server.host, server.port, chain(e)),
            permanent: false,
        },
    }
}

/// An error and its causes on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s = s.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        source = source.and_then(|x| x.source());
    }
    out
}

fn now() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
