//! Reading one raw mail: threading and address headers, the text and HTML bodies, files
//! (through [`super::parts`]), the machine-sent flags, and every problem met on the way.
//!
//! Never fails and never panics. `mail-parser` does the MIME work; this module bounds what
//! it is given ([`Limits`]), walks its result without recursion, and says in words what it
//! had to guess or skip, because a mail that reads oddly must still reach an agent.

use super::Limits;
use super::bounce;
use super::parts::{check_parts, content_type, encoded_word_charsets, file, reachable};
use domain::email::{Automated, EmailHeaders, InboundEmail, MailAddress};
use mail_parser::decoders::html::html_to_text;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MessagePart, PartType};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// References kept from one mail: a thread root plus its most recent ancestors is all
/// threading needs, and a hostile mail can list thousands.
const MAX_REFERENCES: usize = 100;

/// Reads `raw` with the default [`Limits`].
pub fn parse(raw: &[u8]) -> InboundEmail {
    parse_with(raw, &Limits::default())
}

/// Reads `raw`, looking at no more than `limits` allow. Always returns a mail: what could
/// not be read is described in `problems`, and `raw` is kept as given.
pub fn parse_with(raw: &[u8], limits: &Limits) -> InboundEmail {
    let mut problems = Problems::default();
    let input = bounded(raw, limits, &mut problems);
    // mail-parser aims never to panic, but it does index arithmetic on offsets that come
    // from the mail and carries debug assertions; one panic here would take the SMTP
    // listener or the IMAP poller down with it, so it is contained and the mail kept as text.
    let read = catch_unwind(AssertUnwindSafe(|| {
        MessageParser::default().parse(input.as_ref()).map(|m| read(&m, input.as_ref(), limits, &mut problems))
    }));
    let mut mail = match read {
        Ok(Some(mail)) => mail,
        Ok(None) => {
            problems.add("no mail header could be read; the whole mail is shown as text");
            unreadable(input.as_ref(), limits)
        }
        Err(_) => {
            problems.add("the MIME structure could not be read; the whole mail is shown as text");
            unreadable(input.as_ref(), limits)
        }
    };
    if mail.headers.message_id.is_empty() {
        // Derived from the bytes so that the same mail delivered twice (an IMAP re-poll, a
        // retrying relay) is still recognised as one.
        mail.headers.message_id = synthetic_message_id(raw);
        problems.add("no Message-ID header; one was derived from the mail's bytes");
    }
    mail.problems = problems.0;
    mail.raw = raw.to_vec();
    mail
}

/// `<sha256 of raw, hex>@chorus.invalid`.
fn synthetic_message_id(raw: &[u8]) -> String {
    format!("{}@chorus.invalid", hex::encode(Sha256::digest(raw)))
}

/// Problem sentences for admins, each said once.
#[derive(Default)]
pub(super) struct Problems(Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, problem: impl Into<String>) {
        let problem = problem.into();
        if !self.0.contains(&problem) {
            self.0.push(problem);
        }
    }
}

/// The bytes handed to mail-parser: `raw` cut to the size limit, with an oversized
/// top-level header block shortened at a line end.
fn bounded<'a>(raw: &'a [u8], limits: &Limits, problems: &mut Problems) -> Cow<'a, [u8]> {
    let mut input = raw;
    if input.len() > limits.max_message_bytes {
        problems.add(format!(
            "the mail is {} long; only its first {} were read",
            size(input.len()),
            size(limits.max_message_bytes)
        ));
        input = input.get(..limits.max_message_bytes).unwrap_or(input);
    }
    let (header_len, body_start) = header_block(input);
    if header_len <= limits.max_header_bytes {
        return Cow::Borrowed(input);
    }
    problems.add(format!(
        "the header block is {} long; headers past its first {} were not read",
        size(header_len),
        size(limits.max_header_bytes)
    ));
    let head = input.get(..limits.max_header_bytes).unwrap_or(input);
    let cut = head.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut out = Vec::with_capacity(cut + 2 + input.len().saturating_sub(body_start));
    out.extend_from_slice(input.get(..cut).unwrap_or_default());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(input.get(body_start..).unwrap_or_default());
    Cow::Owned(out)
}

/// The length of the top-level header block and where the body starts (after the blank
/// line); a mail with no blank line is all header.
fn header_block(input: &[u8]) -> (usize, usize) {
    let mut i = 0;
    while let Some(n) = input.get(i..).and_then(|rest| rest.iter().position(|&b| b == b'\n')) {
        let line_end = i + n + 1;
        match input.get(line_end..) {
            Some([b'\n', ..]) => return (line_end, line_end + 1),
            Some([b'\r', b'\n', ..]) => return (line_end, line_end + 2),
            _ => i = line_end,
        }
    }
    (input.len(), input.len())
}

fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 { format!("{} MB", bytes >> 20) } else { format!("{} KB", bytes.div_ceil(1024)) }
}

/// A mail mail-parser could not read at all: its bytes as text, nothing else.
fn unreadable(input: &[u8], limits: &Limits) -> InboundEmail {
    let shown = input.get(..limits.max_decoded_bytes).unwrap_or(input);
    InboundEmail {
        headers: EmailHeaders::default(),
        subject: None,
        text: String::from_utf8_lossy(shown).into_owned(),
        html: None,
        parts: Vec::new(),
        automated: None,
        bounce: None,
        problems: Vec::new(),
        raw: Vec::new(),
    }
}

fn read(message: &Message<'_>, input: &[u8], limits: &Limits, problems: &mut Problems) -> InboundEmail {
    let headers = read_headers(message, problems);
    let subject = message.subject().map(one_line).filter(|s| !s.is_empty());
    let unknown = encoded_word_charsets(input.get(..header_block(input).0).unwrap_or_default());
    for charset in &unknown {
        problems.add(format!("unknown charset {charset:?} in a header, read as UTF-8 with replacements"));
    }
    let replaced = |s: &str| s.contains('\u{fffd}');
    if unknown.is_empty()
        && (subject.as_deref().is_some_and(replaced)
            || headers
                .from
                .iter()
                .chain(&headers.to)
                .chain(&headers.cc)
                .any(|a| a.name.as_deref().is_some_and(replaced)))
    {
        problems.add("a header has 8-bit bytes in no declared charset; they show as \u{fffd}");
    }

    let reached = reachable(message, limits, problems);
    let seen = |id: &u32| reached.get(*id as usize).copied().unwrap_or(false);
    check_parts(message, input, &reached, problems);

    let mut budget = Budget { left: limits.max_decoded_bytes, limit: limits.max_decoded_bytes };
    let mut text = String::new();
    for part in message.text_body.iter().filter(|id| seen(id)).filter_map(|id| message.part(*id)) {
        let piece = match &part.body {
            PartType::Text(t) => t.to_string(),
            PartType::Html(h) => html_to_text(h),
            _ => continue,
        };
        if budget.take(piece.len(), "a text part", problems) {
            join(&mut text, &piece);
        }
    }
    // A multipart whose boundary never shows was read as one text part: it is what the
    // sender wrote, so it is shown rather than offered as a file.
    let broken_multipart = |part: &MessagePart<'_>| content_type(part).starts_with("multipart/");
    for part in message.attachments.iter().filter(|id| seen(id)).filter_map(|id| message.part(*id)) {
        if !broken_multipart(part) {
            continue;
        }
        let shown = match &part.body {
            PartType::Text(t) => t.clone(),
            PartType::Binary(b) | PartType::InlineBinary(b) => String::from_utf8_lossy(b),
            _ => continue,
        };
        if budget.take(shown.len(), "a text part", problems) {
            join(&mut text, &shown);
        }
    }
    let mut html: Option<String> = None;
    for part in message.html_body.iter().filter(|id| seen(id)).filter_map(|id| message.part(*id)) {
        if let PartType::Html(h) = &part.body
            && budget.take(h.len(), "an HTML part", problems)
        {
            join(html.get_or_insert_default(), h);
        }
    }
    if text.trim().is_empty()
        && let Some(h) = &html
    {
        text = html_to_text(h);
    }

    let mut parts = Vec::new();
    for id in message.attachments.iter().filter(|id| seen(id)) {
        let Some(part) = message.part(*id) else { continue };
        if broken_multipart(part) {
            continue;
        }
        let Some(file) = file(part, input, parts.len() + 1) else { continue };
        if budget.take(file.bytes.len(), &format!("the file {:?}", file.filename), problems) {
            parts.push(file);
        }
    }

    let bounce = bounce::read(message, &reached, &headers, &text);
    let automated = if bounce.is_some() { Some(Automated::Bounce) } else { automated(message) };
    InboundEmail { headers, subject, text, html, parts, automated, bounce, problems: Vec::new(), raw: Vec::new() }
}

fn join(into: &mut String, piece: &str) {
    if !into.is_empty() && !piece.is_empty() {
        into.push_str("\n\n");
    }
    into.push_str(piece);
}

/// What is left of [`Limits::max_decoded_bytes`].
struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    fn take(&mut self, len: usize, what: &str, problems: &mut Problems) -> bool {
        if len > self.left {
            problems.add(format!(
                "{what} ({}) was not kept: the mail's decoded content is over {}",
                size(len),
                size(self.limit)
            ));
            return false;
        }
        self.left -= len;
        true
    }
}

fn read_headers(message: &Message<'_>, problems: &mut Problems) -> EmailHeaders {
    let mut from = first_address(message.from());
    if from.is_none() {
        match message.header_raw("From") {
            Some(raw) => problems.add(format!("the From header ({:?}) holds no address", clip(raw.trim(), 100))),
            None => problems.add("no From header"),
        }
        from = first_address(message.sender());
    }
    let date = match message.date() {
        Some(d) if d.is_valid() => d.to_timestamp().checked_mul(1000),
        _ => None,
    };
    if date.is_none()
        && let Some(raw) = message.header_raw("Date")
    {
        problems.add(format!("the Date header ({:?}) could not be read", clip(raw.trim(), 100)));
    }
    let mut references = ids(message.references());
    if references.len() > MAX_REFERENCES {
        // Keep the thread's root and its latest ancestors.
        references.drain(1..references.len() - (MAX_REFERENCES - 1));
    }
    EmailHeaders {
        message_id: message.message_id().map(clean_id).unwrap_or_default(),
        in_reply_to: ids(message.in_reply_to()),
        references,
        from,
        reply_to: first_address(message.reply_to()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        date,
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for id in raw.into_iter().flat_map(str::split_whitespace).map(clean_id) {
        if !id.is_empty() && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// A Message-ID without brackets, spaces or control characters.
pub(super) fn clean_id(id: &str) -> String {
    let id: String = id.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect();
    clip(id.trim_start_matches('<').trim_end_matches('>'), 250).to_string()
}

fn addresses(value: Option<&Address<'_>>) -> Vec<MailAddress> {
    let Some(value) = value else { return Vec::new() };
    let mut out: Vec<MailAddress> = Vec::new();
    for addr in value.iter() {
        let Some(address) = addr.address.as_deref().map(|a| a.trim().to_lowercase()) else { continue };
        if !address.contains('@') || address.len() > 320 || out.iter().any(|a| a.address == address) {
            continue;
        }
        let name = addr.name.as_deref().map(one_line).filter(|n| !n.is_empty() && *n != address);
        out.push(MailAddress { name, address });
    }
    out
}

fn first_address(value: Option<&Address<'_>>) -> Option<MailAddress> {
    addresses(value).into_iter().next()
}

/// A header value on one line, trimmed, at most 998 characters (the RFC 5322 line limit).
fn one_line(s: &str) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    clip(s.trim(), 998).to_string()
}

/// At most `max` characters of `s`.
pub(super) fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// The kind of machine that sent the mail, from the headers that say so (RFC 3834's
/// Auto-Submitted, the de-facto X-Autoreply family, Precedence and mailing-list headers).
fn automated(message: &Message<'_>) -> Option<Automated> {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let first_word = |v: String| v.split(|c: char| c == ';' || c.is_whitespace()).next().unwrap_or("").to_string();
    if header("Auto-Submitted").map(first_word).is_some_and(|v| !v.is_empty() && v != "no") {
        return Some(Automated::AutoReply);
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autogenerated"] {
        if header(name).is_some_and(|v| !v.is_empty() && v != "no") {
            return Some(Automated::AutoReply);
        }
    }
    match header("Precedence").map(first_word).as_deref() {
        Some("auto_reply") => return Some(Automated::AutoReply),
        Some("bulk" | "junk" | "list") => return Some(Automated::Bulk),
        _ => {}
    }
    if header("List-Id").is_some() || header("List-Unsubscribe").is_some() {
        return Some(Automated::Bulk);
    }
    None
}
