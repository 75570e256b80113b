//! The e-mail channel: customers write to an inbox's address, Chorus reads the mail (from
//! its own SMTP listener or by polling an IMAP mailbox) and answers through the inbox's
//! SMTP relay.
//!
//! [`codec`] is pure: raw RFC 5322 bytes in, a [`domain::email::InboundEmail`] out, and a
//! reply rendered to bytes; it never fails and never panics on hostile mail. [`sender`]
//! does the sending for the delivery worker. Which contact and conversation a mail belongs
//! to is decided by `app`, never here.
//!
//! [`smtp`] is Chorus's own SMTP listener (mail addressed straight to an inbox) and
//! [`imap`] the poller of mailboxes kept elsewhere; both hand raw mail to [`codec`] and
//! the result to `app`.

pub mod codec;
pub mod imap;
pub mod sender;
pub mod smtp;

pub use codec::{Limits, OutboundEmail, parse, parse_with, render, reply};
pub use imap::{ImapPoller, PollError, poll_once};
pub use sender::SmtpSender;
pub use smtp::{SmtpConfig, SmtpListener};
