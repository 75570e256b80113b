//! The MIME structure of a parsed mail: which parts are looked at (bounded by [`Limits`]),
//! what is wrong with them (unclosed boundaries, undecodable parts, unknown charsets), and
//! each attachment or inline part as a file with a safe name.
//!
//! mail-parser builds the part tree; this module only reads it, without recursion.

use super::Limits;
use super::parse::{Problems, clean_id, clip};
use domain::email::MailPart;
use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

/// Which parts of `message` are looked at: a walk from the root that stops at
/// [`Limits::max_depth`] and [`Limits::max_parts`]. Iterative, so depth costs no stack.
pub(super) fn reachable(message: &Message<'_>, limits: &Limits, problems: &mut Problems) -> Vec<bool> {
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
pub(super) fn check_parts(message: &Message<'_>, input: &[u8], reached: &[bool], problems: &mut Problems) {
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
    rest.strip_prefix(b"--").and_then(|r| r.strip_prefix(boundary.as_bytes())).is_some_and(|r| r.starts_with(b"--"))
}

fn is_utf8(charset: &str) -> bool {
    let c: String = charset.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    c.ends_with("utf8")
}

/// Charsets named in RFC 2047 encoded words (`=?charset?Q?…?=`) that no decoder knows.
pub(super) fn encoded_word_charsets(header: &[u8]) -> Vec<String> {
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
pub(super) fn file(part: &MessagePart<'_>, input: &[u8], n: usize) -> Option<MailPart> {
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
            PartType::Message(nested) => nested
                .subject()
                .map(safe_filename)
                .filter(|s| !s.is_empty())
                .map_or("message.eml".into(), |s| format!("{s}.eml")),
            _ => match content_type.as_str() {
                "message/delivery-status" | "message/global-delivery-status" => "delivery-status.txt".into(),
                "text/rfc822-headers" | "message/rfc822-headers" => "returned-headers.txt".into(),
                _ => format!("part-{n}.{}", extension(&content_type)),
            },
        },
    };
    Some(MailPart { filename, inline: content_id.is_some() && !attached, content_type, content_id, bytes })
}

/// A file name safe to show and to store: no directories, no control characters.
fn safe_filename(name: &str) -> String {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // Characters some file systems refuse become `_`.
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    clip(name.trim().trim_start_matches('.'), 200).to_string()
}

fn extension(content_type: &str) -> &str {
    match content_type {
        "text/plain" => "txt",
        "text/html" => "html",
        "text/calendar" => "ics",
        "image/jpeg" => "jpg",
        "image/svg+xml" => "svg",
        "message/rfc822" => "eml",
        _ => match content_type.split_once('/') {
            Some((_, sub)) if !sub.is_empty() && sub.len() <= 8 && sub.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                sub
            }
            _ => "bin",
        },
    }
}
