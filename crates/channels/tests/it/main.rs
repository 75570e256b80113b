//! The channels' integration tests, one binary: each channel's adapter against a real local
//! socket.

mod api;
mod email_codec;
mod email_imap;
mod email_send;
mod email_smtp;
