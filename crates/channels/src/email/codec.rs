//! The e-mail channel's wire format, with no I/O and no clock.
//!
//! - [`parse`] reads one raw mail into an [`InboundEmail`](domain::email::InboundEmail). It never fails and never
//!   panics: whatever cannot be read becomes a sentence in `problems`, and the raw bytes
//!   travel along untouched so nothing is lost to a parser's opinion. It bounds its own
//!   work ([`Limits`]) because the bytes come from strangers.
//! - [`reply`] derives everything an outgoing reply needs (addresses, threading headers,
//!   reply token, alternative bodies) from a delivery request; [`render`] turns that into
//!   RFC 5322 bytes.
//!
//! Deciding what a mail means (contact, conversation, whether to answer) is `app`'s job.

mod bounce;
mod parse;
mod parts;
mod render;
mod reply;

pub use parse::{parse, parse_with};
pub use render::{OutboundEmail, RenderError, render};
pub use reply::{domain_of, reply, text_to_html};

/// How much of a mail [`parse_with`] is willing to read. Mail from strangers can be built
/// to exhaust memory or time; beyond these bounds the rest is skipped and said so in
/// `problems` (the raw mail is always kept in full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest mail read at all; past it only the first this-many bytes are parsed.
    pub max_message_bytes: usize,
    /// The largest top-level header block; headers past it are not read.
    pub max_header_bytes: usize,
    /// The most MIME parts looked at.
    pub max_parts: usize,
    /// The deepest nesting of multiparts and attached mails looked into.
    pub max_depth: usize,
    /// The most decoded bytes kept for bodies and attachments together.
    pub max_decoded_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Common providers cap mail at 25–50 MB; base64 adds a third on top.
            max_message_bytes: 64 << 20,
            // Real header blocks are a few KB; a long Received chain stays well under this.
            max_header_bytes: 256 << 10,
            max_parts: 500,
            max_depth: 20,
            max_decoded_bytes: 64 << 20,
        }
    }
}
