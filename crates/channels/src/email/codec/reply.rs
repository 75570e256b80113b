//! Deciding everything an outgoing reply says: who it is from (the agent's name with the
//! team's), where answers go (the inbox address with the conversation's reply token), how
//! it threads (Message-ID, In-Reply-To, References), whom it goes to, its subject and its
//! text and HTML bodies.
//!
//! Pure: the caller passes the files' bytes and the time.

use super::render::{OutboundEmail, RenderError};
use app::DeliveryRequest;
use domain::email::{MailAddress, base_address, outbound_message_id, reply_address};
use domain::{Direction, IdentityKind, Message, Millis};

/// References carried after the thread's first: enough for every client to thread, short
/// enough that a long conversation's header stays small (RFC 5322 suggests trimming).
const RECENT_REFERENCES: usize = 10;

/// The reply `request` asks for, sent at `now`, with `attachments` (name, MIME type,
/// bytes) read by the caller.
pub fn reply(
    request: &DeliveryRequest<'_>,
    attachments: Vec<(String, String, Vec<u8>)>,
    now: Millis,
) -> Result<OutboundEmail, RenderError> {
    let DeliveryRequest { inbox, conversation, contact, message, thread, agent_name, .. } = request;
    let Some(settings) = inbox.settings.email.as_ref() else {
        return Err(RenderError(format!("inbox {:?} has no e-mail settings", inbox.name)));
    };
    let Some(mailbox) = settings.addresses.first() else {
        return Err(RenderError(format!("inbox {:?} has no e-mail address to send from", inbox.name)));
    };
    let team = settings.from_name.clone().unwrap_or_else(|| inbox.name.clone());
    let name = match agent_name.map(str::trim).filter(|a| !a.is_empty()) {
        Some(agent) => format!("{agent} from {team}"),
        None => team,
    };

    // The mail this one answers: the customer's latest, else whatever mail the thread has.
    let answered = thread
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound && has_message_id(m))
        .or_else(|| thread.iter().rev().find(|m| has_message_id(m)))
        .and_then(|m| m.meta.email.as_ref());
    let in_reply_to = answered.map(|h| h.message_id.clone());
    let references = answered.map_or_else(Vec::new, |h| {
        let mut refs: Vec<String> = Vec::new();
        for id in h.references.iter().chain(std::iter::once(&h.message_id)) {
            if !id.is_empty() && !refs.contains(id) {
                refs.push(id.clone());
            }
        }
        if refs.len() > RECENT_REFERENCES + 1 {
            refs.drain(1..refs.len() - RECENT_REFERENCES);
        }
        refs
    });

    // Our own addresses never receive the reply: a customer's "reply all" copies them in.
    let ours = |a: &MailAddress| settings.addresses.iter().any(|o| base_address(o) == base_address(&a.address));
    let chosen = message.meta.email.as_ref();
    let mut to: Vec<MailAddress> = chosen.map(|h| h.to.clone()).unwrap_or_default();
    to.retain(|a| !ours(a));
    if to.is_empty() {
        let customer = thread
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::Inbound)
            .filter_map(|m| m.meta.email.as_ref())
            .find_map(|h| h.reply_to.clone().or_else(|| h.from.clone()))
            .filter(|a| !ours(a))
            .or_else(|| {
                contact
                    .identities
                    .iter()
                    .find(|i| i.kind == IdentityKind::Email)
                    .map(|i| MailAddress { name: contact.name.clone(), address: i.value.clone() })
            });
        to.extend(customer);
    }
    if to.is_empty() {
        return Err(RenderError("the reply has no recipient: the customer has no e-mail address".into()));
    }
    let mut cc: Vec<MailAddress> = Vec::new();
    for a in chosen.map(|h| h.cc.as_slice()).unwrap_or_default() {
        let taken = to.iter().chain(&cc).any(|t| t.address == a.address);
        if !taken && !ours(a) {
            cc.push(a.clone());
        }
    }

    let subject = conversation.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("(no subject)");
    let subject = if subject.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:")) {
        subject.to_string()
    } else {
        format!("Re: {subject}")
    };

    Ok(OutboundEmail {
        from: MailAddress { name: Some(name), address: mailbox.clone() },
        reply_to: reply_address(mailbox, conversation.id, &inbox.secret),
        to,
        cc,
        subject,
        message_id: outbound_message_id(message.id, conversation.id, &inbox.secret, domain_of(mailbox)),
        in_reply_to,
        references,
        date: now,
        text: message.text.clone(),
        html: message.html.clone().unwrap_or_else(|| text_to_html(&message.text)),
        attachments,
    })
}

fn has_message_id(m: &Message) -> bool {
    m.meta.email.as_ref().is_some_and(|h| !h.message_id.is_empty())
}

/// The domain of an address (`acme.test` in `support@acme.test`).
pub fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("chorus.invalid", |(_, d)| d)
}

/// Plain text as simple HTML: escaped, blank lines between paragraphs, line breaks kept.
pub fn text_to_html(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n");
    let paragraphs: Vec<String> = normalised
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", p.lines().map(escape).collect::<Vec<_>>().join("<br>\n")))
        .collect();
    format!("<!DOCTYPE html>\n<html><body>\n{}\n</body></html>\n", paragraphs.join("\n"))
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
