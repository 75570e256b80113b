//! Chorus's channels: one module per channel, each split the same way.
//!
//! - `codec` is pure: it turns domain values into the provider's wire format and back, and
//!   checks signatures. It does no I/O, so it is tested on fixture files.
//! - `adapter` does the I/O (HTTP calls, sockets) and turns what the other side answered into
//!   an outcome the delivery worker can act on: done, retry later, or give up.
//!
//! Channels decode and encode; deciding what a message means (which contact, which
//! conversation, whether to retry) belongs to `app`.

pub mod api;
pub mod email;
