//! E-mail as the rest of Chorus sees it: a parsed inbound mail (what the channel codec
//! produces and `app` receives), the headers kept beside each message for threading and
//! replying, the kinds of machine-sent mail that must never be answered automatically, and
//! the reply tokens that let a thread hold together when a mail client drops its headers.
//!
//! Reply tokens: every outgoing Message-ID and Reply-To carries the conversation id and a
//! short HMAC of it under the inbox secret, so a reply that arrives without `In-Reply-To`
//! or `References` (or with them rewritten) still finds its conversation, and nobody can
//! forge a token into another conversation.

use crate::{ConversationId, Millis, text_enum};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

/// A mailbox: an address, lower-cased, with its display name when one was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailAddress {
    /// The display name (`Ana Lima` in `Ana Lima <ana@example.com>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The address, lower-cased.
    pub address: String,
}

impl MailAddress {
    /// `Name <address>` or just the address.
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", self.address),
            _ => self.address.clone(),
        }
    }
}

text_enum!(
    /// Mail a machine sent: recorded like any other, never answered automatically (no
    /// auto-reply, no survey), so two robots cannot talk to each other forever.
    Automated, "automated" {
        /// An out-of-office or other automatic reply (`Auto-Submitted`, `X-Autoreply`, ...).
        AutoReply => "auto_reply",
        /// Bulk, list or junk mail (`Precedence`, `List-Id`).
        Bulk => "bulk",
        /// A delivery status notification: one of our replies did not arrive.
        Bounce => "bounce",
    }
);

/// What a bounce says about the mail it returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bounce {
    /// The Message-ID of the mail that failed, when the report names it.
    pub original_message_id: Option<String>,
    /// The recipient that failed.
    pub recipient: Option<String>,
    /// The status code (`5.1.1`).
    pub status: Option<String>,
    /// The remote server's words (`Diagnostic-Code`), or a summary.
    pub diagnostic: String,
}

/// A file in a mail: an attachment, or an inline part an HTML body shows by `cid:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailPart {
    /// The file name (made up from the type when the mail gives none).
    pub filename: String,
    /// The MIME type, lower-cased.
    pub content_type: String,
    /// The `Content-ID`, without angle brackets, for inline parts.
    pub content_id: Option<String>,
    /// Shown inside the HTML body rather than offered as a download.
    pub inline: bool,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
}

/// The headers kept beside a message: how it threads and whom it went to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailHeaders {
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// `In-Reply-To`, without angle brackets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub in_reply_to: Vec<String>,
    /// `References`, oldest first, without angle brackets.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The sender.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<MailAddress>,
    /// Where the sender wants answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MailAddress>,
    /// The `To` recipients.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<MailAddress>,
    /// The `Cc` recipients: a reply can go to all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<MailAddress>,
    /// The `Date` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<Millis>,
}

/// A mail as the channel codec read it. Whatever could not be read is in `problems`; the
/// original bytes always travel along, so nothing is lost to a parser's opinion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// Threading and addressing headers.
    pub headers: EmailHeaders,
    /// The subject, decoded.
    pub subject: Option<String>,
    /// The plain-text body (from the HTML when the mail has only HTML).
    pub text: String,
    /// The HTML body, unsanitised (the use case sanitises it).
    pub html: Option<String>,
    /// Attachments and inline parts.
    pub parts: Vec<MailPart>,
    /// Set when a machine sent it.
    pub automated: Option<Automated>,
    /// Set for a delivery status notification.
    pub bounce: Option<Bounce>,
    /// What could not be parsed, in words for an admin.
    pub problems: Vec<String>,
    /// The mail exactly as received.
    pub raw: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

/// The 12 hex digits that vouch for `conversation` under `secret`.
fn mac(conversation: ConversationId, secret: &str) -> String {
    // HMAC accepts keys of any length; an error here is impossible.
    let Ok(mut m) = HmacSha256::new_from_slice(secret.as_bytes()) else { return String::new() };
    m.update(conversation.0.as_simple().to_string().as_bytes());
    m.finalize().into_bytes().iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// The reply token of a conversation: `c<32 hex>.<12 hex>`.
pub fn reply_token(conversation: ConversationId, secret: &str) -> String {
    format!("c{}.{}", conversation.0.as_simple(), mac(conversation, secret))
}

/// The conversation a reply token (found anywhere in `text`) vouches for under `secret`.
pub fn conversation_from_token(text: &str, secret: &str) -> Option<ConversationId> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find('c').map(|i| i + from) {
        from = i + 1;
        let rest = &lower[i + 1..];
        let (Some(hex), Some(dot), Some(tag)) = (rest.get(..32), rest.get(32..33), rest.get(33..45)) else {
            continue;
        };
        if dot != "." || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(id) = Uuid::parse_str(hex) else { continue };
        let id = ConversationId(id);
        if mac(id, secret) == tag {
            return Some(id);
        }
    }
    None
}

/// The Message-ID (without brackets) of an outgoing mail: unique per message, carrying the
/// conversation's reply token.
pub fn outbound_message_id(
    message: crate::MessageId,
    conversation: ConversationId,
    secret: &str,
    domain: &str,
) -> String {
    format!("m{}.{}@{domain}", message.0.as_simple(), reply_token(conversation, secret))
}

/// The message id inside one of our own Message-IDs.
pub fn message_from_outbound_id(message_id: &str) -> Option<crate::MessageId> {
    let hex = message_id.trim_start_matches('<').strip_prefix('m')?.get(..32)?;
    Uuid::parse_str(hex).ok().map(crate::MessageId)
}

/// `local+<token>@domain`: the Reply-To that brings answers back to the conversation.
pub fn reply_address(mailbox: &str, conversation: ConversationId, secret: &str) -> String {
    match mailbox.rsplit_once('@') {
        Some((local, domain)) => {
            let local = local.split('+').next().unwrap_or(local);
            format!("{local}+{}@{domain}", reply_token(conversation, secret))
        }
        None => mailbox.to_string(),
    }
}

/// An address without its `+tag` (`support+c….x@acme.test` → `support@acme.test`), lower-cased.
pub fn base_address(address: &str) -> String {
    let a = address.trim().to_ascii_lowercase();
    match a.rsplit_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or(local)),
        None => a,
    }
}

/// Splits a plain-text mail body into what the sender wrote and the quoted history or
/// signature below it (shown folded). Recognises `>` quotes, "On … wrote:" lines, Outlook's
/// "-----Original Message-----" and `From:` blocks, and the `-- ` signature separator.
pub fn split_quoted(text: &str) -> (&str, &str) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\r', '\n']);
        let t = l.trim();
        let starts_quote = t.starts_with('>')
            || l == "-- "
            || t == "--"
            || t.starts_with("-----Original Message-----")
            || t.starts_with("________________________________")
            || (t.starts_with("On ") && t.ends_with("wrote:"))
            || (t.starts_with("Le ") && t.ends_with("a écrit :"))
            || (t.starts_with("Am ") && t.ends_with("schrieb:"));
        if starts_quote && offset > 0 {
            let (body, rest) = text.split_at(offset);
            return (body.trim_end(), rest);
        }
        offset += line.len();
    }
    (text, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageId;

    #[test]
    fn tokens_find_their_conversation_and_refuse_forgeries() {
        let c = ConversationId::new();
        let token = reply_token(c, "s3cret");
        assert_eq!(conversation_from_token(&format!("support+{token}@acme.test"), "s3cret"), Some(c));
        assert_eq!(conversation_from_token(&token.to_uppercase(), "s3cret"), Some(c));
        assert_eq!(conversation_from_token(&token, "other"), None);
        let forged = format!("c{}.000000000000", c.0.as_simple());
        assert_eq!(conversation_from_token(&forged, "s3cret"), None);
        let m = MessageId::new();
        let id = outbound_message_id(m, c, "s3cret", "acme.test");
        assert_eq!(message_from_outbound_id(&id), Some(m));
        assert_eq!(conversation_from_token(&id, "s3cret"), Some(c));
        assert_eq!(reply_address("Support@acme.test", c, "s3cret"), format!("Support+{token}@acme.test"));
        assert_eq!(base_address("Support+x@Acme.test"), "support@acme.test");
    }

    #[test]
    fn quoted_history_and_signatures_fold() {
        let text = "Thanks, that worked.\n\nOn Mon, 1 Jan 2026 Ana wrote:\n> did you try?\n";
        assert_eq!(split_quoted(text), ("Thanks, that worked.", "On Mon, 1 Jan 2026 Ana wrote:\n> did you try?\n"));
        assert_eq!(split_quoted("Hi\n-- \nBob\nAcme").0, "Hi");
        assert_eq!(split_quoted("> only a quote"), ("> only a quote", ""));
        assert_eq!(split_quoted("plain"), ("plain", ""));
    }
}
