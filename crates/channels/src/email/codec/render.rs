//! Turning an outgoing reply into RFC 5322 bytes with lettre's message builder.
//!
//! Pure apart from the random MIME boundaries lettre draws. Everything the mail says
//! (addresses, threading headers, date) is decided beforehand in [`super::reply`], so the
//! bytes here can be checked without a server.

use domain::Millis;
use domain::email::MailAddress;
use lettre::message::header::{ContentType, InReplyTo, References};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One outgoing mail, fully decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEmail {
    /// The sender, with the name people see ("Ana from Acme").
    pub from: MailAddress,
    /// Where answers go: the inbox address with the conversation's reply token.
    pub reply_to: String,
    /// The recipients.
    pub to: Vec<MailAddress>,
    /// The copied recipients.
    pub cc: Vec<MailAddress>,
    /// The subject.
    pub subject: String,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The Message-ID it answers, without angle brackets.
    pub in_reply_to: Option<String>,
    /// The thread's Message-IDs, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// Its `Date`.
    pub date: Millis,
    /// The plain-text body.
    pub text: String,
    /// The HTML body, the alternative to `text`.
    pub html: String,
    /// Files: name, MIME type, bytes.
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// Why a mail could not be rendered (an address or a type that does not parse); retrying
/// cannot help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RenderError(pub String);

/// The mail as bytes: `multipart/alternative` (text, then HTML), inside
/// `multipart/mixed` when there are files.
pub fn render(mail: &OutboundEmail) -> Result<Vec<u8>, RenderError> {
    let mut builder = lettre::Message::builder()
        .from(mailbox(&mail.from, "From")?)
        .reply_to(mailbox(&MailAddress { name: None, address: mail.reply_to.clone() }, "Reply-To")?)
        .subject(mail.subject.clone())
        .message_id(Some(bracketed(&mail.message_id)))
        .date(system_time(mail.date));
    for to in &mail.to {
        builder = builder.to(mailbox(to, "To")?);
    }
    for cc in &mail.cc {
        builder = builder.cc(mailbox(cc, "Cc")?);
    }
    if let Some(id) = &mail.in_reply_to {
        builder = builder.header(InReplyTo::from(bracketed(id)));
    }
    if !mail.references.is_empty() {
        let refs = mail.references.iter().map(|r| bracketed(r)).collect::<Vec<_>>().join(" ");
        builder = builder.header(References::from(refs));
    }
    let alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(mail.text.clone()))
        .singlepart(SinglePart::html(mail.html.clone()));
    let message = if mail.attachments.is_empty() {
        builder.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for (filename, content_type, bytes) in &mail.attachments {
            let ct = ContentType::parse(content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|e| RenderError(format!("the type of {filename:?} is not usable: {e}")))?;
            mixed = mixed.singlepart(Attachment::new(filename.clone()).body(bytes.clone(), ct));
        }
        builder.multipart(mixed)
    };
    message.map(|m| m.formatted()).map_err(|e| RenderError(format!("the reply could not be built: {e}")))
}

fn mailbox(address: &MailAddress, header: &str) -> Result<Mailbox, RenderError> {
    let email = address
        .address
        .parse()
        .map_err(|e| RenderError(format!("{header} address {:?} is not usable: {e}", address.address)))?;
    Ok(Mailbox::new(address.name.clone().filter(|n| !n.trim().is_empty()), email))
}

fn bracketed(id: &str) -> String {
    format!("<{}>", id.trim_matches(['<', '>']))
}

fn system_time(ms: Millis) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}
