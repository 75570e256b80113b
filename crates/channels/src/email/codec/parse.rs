//! Reading one raw mail: threading and address headers, the text and HTML bodies, files,
//! the machine-sent flags, and every problem met on the way.
//!
//! Never fails and never panics. `mail-parser` does the MIME work; this module bounds what
//! it is given ([`Limits`]), walks its result without recursion, and says in words what it
//! had to guess or skip, because a mail that reads oddly must still reach an agent.

use super::Limits;
use super::bounce;
use domain::email::{Automated, EmailHeaders, InboundEmail, MailAddress, MailPart};
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::html::html_to_text;
use mail_parser::{Address, Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType};
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
    if subject.as_deref().is_some_and(|s| s.contains('\u{fffd}'))
        || headers.from.iter().chain(&headers.to).chain(&headers.cc).any(|a| a.name.as_deref().is_some_and(|n| n.contains('\u{fffd}')))
    {
        problems.add("a header has bytes in no declared charset; they show as \u{fffd}");
    }
    for charset in encoded_word_charsets(input.get(..header_block(input).0).unwrap_or_default()) {
        problems.add(format!("unknown charset {charset:?} in a header, read as UTF-8 with replacements"));
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
fn clean_id(id: &str) -> String {
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

/// Which parts of `message` are looked at: a walk from the root that stops at
/// [`Limits::max_depth`] and [`Limits::max_parts`]. Iterative, so depth costs no stack.
fn reachable(message: &Message<'_>, limits: &Limits, problems: &mut Problems) -> Vec<bool> {
    let mut reached = vec![false; message.parts.len()];
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    let mut count = 0;
    while let Some((id, depth)) = stack.pop() {
        let Some(part) = message.parts.get(id as usize) else { continue };
        if count == limits.max_parts {
            problems.add(format!("the mail has more than {} MIME parts; the rest were not read", limits.max_parts));
            break;
        }
        count += 1;
        if let Some(r) = reached.get_mut(id as usize) {
            *r = true;
        }
        if let PartType::Multipart(children) = &part.body {
            if depth >= limits.max_depth {
                problems.add(format!("nesting deeper than {} parts was not read", limits.max_depth));
                continue;
            }
            // Part ids grow through the mail, so a child id at or below its parent's would
            // be a loop; it is skipped rather than trusted.
            stack.extend(children.iter().rev().filter(|&&c| c > id).map(|&c| (c, depth + 1)));
        }
    }
    reached
}

/// Problems with the MIME structure and the decoding of single parts.
fn check_parts(message: &Message<'_>, input: &[u8], reached: &[bool], problems: &mut Problems) {
    for (i, part) in message.parts.iter().enumerate() {
        if !reached.get(i).copied().unwrap_or(false) {
            continue;
        }
        let ctype = content_type(part);
        if ctype.starts_with("multipart/") {
            let boundary = part.content_type().and_then(|c| c.attribute("boundary"));
            match (&part.body, boundary) {
                (_, None) => problems.add(format!("a {ctype} part names no boundary; it was read as text")),
                (PartType::Multipart(children), Some(b)) => {
                    let last_end = children.last().and_then(|c| message.part(*c)).map_or(0, |c| c.offset_end as usize);
                    if !closes(input, last_end, b) {
                        problems.add(format!("the MIME boundary {b:?} never closes; the mail may be cut short"));
                    }
                }
                (_, Some(b)) => {
                    problems.add(format!("the MIME boundary {b:?} never appears; the {ctype} part was read as text"))
                }
            }
            continue;
        }
        if part.is_encoding_problem {
            let encoding = part.content_transfer_encoding().unwrap_or("its encoding");
            problems.add(format!("a {ctype} part is not valid {encoding}; it is shown as it came"));
        }
        if let PartType::Text(t) | PartType::Html(t) = &part.body {
            let charset = part.content_type().and_then(|c| c.attribute("charset"));
            match charset {
                Some(cs) if !is_utf8(cs) && charset_decoder(cs.as_bytes()).is_none() => {
                    problems.add(format!("unknown charset {:?}, read as UTF-8 with replacements", clip(cs, 60)));
                }
                _ if t.contains('\u{fffd}') => problems.add(format!(
                    "a {ctype} part has bytes that are not valid {}; they show as \u{fffd}",
                    charset.map_or("UTF-8", |c| clip(c, 60))
                )),
                _ => {}
            }
        }
    }
}

/// Whether the closing delimiter `--boundary--` follows the last part of a multipart
/// (mail-parser ends a part just before the CRLF that precedes the next delimiter).
fn closes(input: &[u8], last_end: usize, boundary: &str) -> bool {
    let Some(rest) = input.get(last_end..) else { return false };
    let rest = rest.strip_prefix(b"\r").unwrap_or(rest);
    let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
    rest.strip_prefix(b"--")
        .and_then(|r| r.strip_prefix(boundary.as_bytes()))
        .is_some_and(|r| r.starts_with(b"--"))
}

fn is_utf8(charset: &str) -> bool {
    let c: String = charset.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    c.ends_with("utf8")
}

/// Charsets named in RFC 2047 encoded words (`=?charset?Q?…?=`) that no decoder knows.
fn encoded_word_charsets(header: &[u8]) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    let mut rest = header;
    while let Some(i) = rest.windows(2).position(|w| w == b"=?") {
        rest = rest.get(i + 2..).unwrap_or_default();
        let Some(end) = rest.iter().take(64).position(|&b| b == b'?') else { continue };
        let name = rest.get(..end).unwrap_or_default();
        // RFC 2231 lets a language follow the charset: `utf-8*en`.
        let name = name.split(|&b| b == b'*').next().unwrap_or(name);
        let Ok(name) = std::str::from_utf8(name) else { continue };
        let plausible = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        let encoded = matches!(rest.get(end + 1..end + 3), Some([b'q' | b'Q' | b'b' | b'B', b'?']));
        if plausible
            && encoded
            && !is_utf8(name)
            && charset_decoder(name.as_bytes()).is_none()
            && !unknown.iter().any(|u| u.eq_ignore_ascii_case(name))
        {
            unknown.push(name.to_string());
        }
    }
    unknown
}

/// `type/subtype`, lower-cased; `text/plain` when the part says nothing (RFC 2045's default).
pub(super) fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(c) => match c.subtype() {
            Some(sub) => format!("{}/{}", c.ctype(), sub).to_ascii_lowercase(),
            None => c.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".into(),
    }
}

/// An attachment or inline part as a file; `n` numbers made-up names.
fn file(part: &MessagePart<'_>, input: &[u8], n: usize) -> Option<MailPart> {
    let (bytes, content_type): (Vec<u8>, String) = match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => (b.to_vec(), content_type(part)),
        PartType::Text(t) | PartType::Html(t) => (t.as_bytes().to_vec(), content_type(part)),
        PartType::Message(nested) => {
            // An attached mail sent as is sits in our own input; an encoded one was decoded
            // by mail-parser into its own buffer.
            let bytes = match part.encoding {
                Encoding::None => input.get(part.offset_body as usize..part.offset_end as usize).unwrap_or_default(),
                _ => nested.raw_message.as_ref(),
            };
            (bytes.to_vec(), "message/rfc822".into())
        }
        PartType::Multipart(_) => return None,
    };
    let content_id = part.content_id().map(clean_id).filter(|c| !c.is_empty());
    let attached = part.content_disposition().is_some_and(|d| d.is_attachment());
    let filename = match part.attachment_name().map(safe_filename).filter(|f| !f.is_empty()) {
        Some(name) => name,
        None => match &part.body {
            PartType::Message(nested) => {
                nested.subject().map(safe_filename).filter(|s| !s.is_empty()).map_or("message.eml".into(), |s| format!("{s}.eml"))
            }
            _ => format!("part-{n}.{}", extension(&content_type)),
        },
    };
    Some(MailPart { filename, inline: content_id.is_some() && !attached, content_type, content_id, bytes })
}

/// A file name safe to show and to store: no directories, no control characters.
fn safe_filename(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    clip(name.trim().trim_start_matches('.'), 200).to_string()
}

fn extension(content_type: &str) -> &str {
    match content_type {
        "text/plain" | "message/delivery-status" | "message/global-delivery-status" => "txt",
        "text/rfc822-headers" | "message/rfc822-headers" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        "message/rfc822" => "eml",
        _ => match content_type.split_once('/') {
            Some((_, sub)) if !sub.is_empty() && sub.len() <= 8 && sub.bytes().all(|b| b.is_ascii_alphanumeric()) => sub,
            _ => "bin",
        },
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
