//! Reading a bounce: which of our mails it returns, to whom delivery failed and what the
//! remote server said.
//!
//! Standard bounces are RFC 3464 delivery status notifications (`multipart/report;
//! report-type=delivery-status`) carrying a `message/delivery-status` part and the
//! returned mail or its headers. Some servers (Exim, older qmail setups) send plain text
//! with `X-Failed-Recipients` instead; those are read too, with less detail.

use super::parse::clip;
use super::parts::content_type;
use domain::email::{Bounce, EmailHeaders};
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};

/// The longest diagnostic kept: enough for any server's sentence, short for the UI.
const MAX_DIAGNOSTIC: usize = 500;

/// The bounce `message` carries, if it is one. `reached` marks the parts that were read;
/// `text` is the mail's plain-text body.
pub(super) fn read(message: &Message<'_>, reached: &[bool], headers: &EmailHeaders, text: &str) -> Option<Bounce> {
    let parts =
        || message.parts.iter().enumerate().filter(|(i, _)| reached.get(*i).copied().unwrap_or(false)).map(|(_, p)| p);
    let is_report = parts().any(|p| {
        content_type(p) == "multipart/report"
            && p.content_type().and_then(|c| c.attribute("report-type")).is_some_and(|t| {
                t.eq_ignore_ascii_case("delivery-status") || t.eq_ignore_ascii_case("global-delivery-status")
            })
    });
    let failed_header = message.header_raw("X-Failed-Recipients").map(|v| v.trim().to_string());
    if !is_report && failed_header.is_none() {
        return None;
    }

    let mut fields = parts()
        .find(|p| matches!(content_type(p).as_str(), "message/delivery-status" | "message/global-delivery-status"))
        .map(|p| status_fields(&body_bytes(p)))
        .unwrap_or_default();
    if fields.recipient.is_none() {
        fields.recipient = failed_header
            .as_deref()
            .and_then(|h| h.split(',').next())
            .map(|r| r.trim().trim_matches(['<', '>']).to_ascii_lowercase())
            .filter(|r| !r.is_empty());
    }

    let original_message_id = parts()
        .find_map(returned_message_id)
        .or_else(|| headers.in_reply_to.first().cloned())
        .or_else(|| headers.references.last().cloned());

    let diagnostic = match (fields.diagnostic, &fields.recipient) {
        (Some(d), _) => d,
        (None, recipient) => {
            let summary = text.lines().map(str::trim).filter(|l| !l.is_empty()).take(3).collect::<Vec<_>>().join(" ");
            match (summary.is_empty(), recipient) {
                (false, _) => clip(&summary, MAX_DIAGNOSTIC).to_string(),
                (true, Some(r)) => format!("delivery to {r} failed"),
                (true, None) => "the mail could not be delivered".to_string(),
            }
        }
    };
    Some(Bounce { original_message_id, recipient: fields.recipient, status: fields.status, diagnostic })
}

fn body_bytes<'a>(part: &'a MessagePart<'_>) -> std::borrow::Cow<'a, [u8]> {
    match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => std::borrow::Cow::Borrowed(b.as_ref()),
        PartType::Text(t) | PartType::Html(t) => std::borrow::Cow::Borrowed(t.as_bytes()),
        _ => std::borrow::Cow::Borrowed(&[]),
    }
}

/// The Message-ID of the mail a report part returns: a whole `message/rfc822` or just
/// its headers (`text/rfc822-headers`).
fn returned_message_id(part: &MessagePart<'_>) -> Option<String> {
    let id = match (&part.body, content_type(part).as_str()) {
        (PartType::Message(nested), _) => nested.message_id().map(str::to_string),
        (_, "text/rfc822-headers" | "message/rfc822-headers" | "message/global-headers") => {
            let mut headers = body_bytes(part).into_owned();
            // The part holds a header block only; a blank line lets it parse as a mail.
            headers.extend_from_slice(b"\r\n\r\n");
            MessageParser::default().parse_headers(&headers).and_then(|m| m.message_id().map(str::to_string))
        }
        _ => None,
    }?;
    let id = id.trim().trim_matches(['<', '>']).to_string();
    (!id.is_empty()).then_some(id)
}

/// The fields of a `message/delivery-status` body that matter here.
#[derive(Default)]
struct StatusFields {
    recipient: Option<String>,
    status: Option<String>,
    diagnostic: Option<String>,
}

/// Reads the per-recipient blocks of a delivery-status body (header-like fields, blocks
/// separated by blank lines) and keeps the first recipient whose delivery failed, or the
/// first recipient when none says so.
fn status_fields(body: &[u8]) -> StatusFields {
    let body = String::from_utf8_lossy(body);
    let mut blocks: Vec<Vec<(String, String)>> = vec![Vec::new()];
    for line in body.lines() {
        let Some(block) = blocks.last_mut() else { break };
        if line.trim().is_empty() {
            if !block.is_empty() {
                blocks.push(Vec::new());
            }
        } else if line.starts_with([' ', '\t']) {
            // A folded continuation of the previous field.
            if let Some((_, value)) = block.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            block.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let field = |block: &[(String, String)], name: &str| {
        block.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).filter(|v| !v.is_empty())
    };
    let recipients: Vec<&Vec<(String, String)>> = blocks
        .iter()
        .filter(|b| field(b, "final-recipient").or_else(|| field(b, "original-recipient")).is_some())
        .collect();
    let chosen = recipients
        .iter()
        .find(|b| field(b, "action").is_some_and(|a| a.eq_ignore_ascii_case("failed")))
        .or(recipients.first());
    let Some(block) = chosen else { return StatusFields::default() };
    // Address-type and diagnostic-type prefixes: `rfc822; a@b`, `smtp; 550 …`.
    let after_type = |v: String| match v.split_once(';') {
        Some((_, rest)) => rest.trim().to_string(),
        None => v,
    };
    StatusFields {
        recipient: field(block, "final-recipient")
            .or_else(|| field(block, "original-recipient"))
            .map(after_type)
            .map(|r| r.trim_matches(['<', '>']).to_ascii_lowercase()),
        status: field(block, "status").map(|s| clip(&s, 20).to_string()),
        diagnostic: field(block, "diagnostic-code").map(after_type).map(|d| clip(&d, MAX_DIAGNOSTIC).to_string()),
    }
}
