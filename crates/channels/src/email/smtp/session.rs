//! One SMTP conversation (RFC 5321, with ESMTP's SIZE, 8BITMIME, PIPELINING, CHUNKING,
//! SMTPUTF8, ENHANCEDSTATUSCODES and STARTTLS): commands are parsed by `smtp-proto`, the
//! envelope is checked as it arrives (recipients against the inboxes' addresses, sizes
//! against the limit), and a finished message goes to [`super::deliver`].
//!
//! Every refusal names its reason with an enhanced status code. Client mistakes are
//! counted; past [`MAX_ERRORS`] the connection is closed, so a client cannot probe
//! addresses or burn CPU forever.

use super::input::{Data, Input, Line, MAX_COMMAND_LINE};
use super::{Shared, deliver};
use domain::Inbox;
use smtp_proto::{Error as ParseError, Request};
use std::net::SocketAddr;
use tokio::io::{AsyncRead, AsyncWrite};

/// Client errors tolerated on one connection.
pub const MAX_ERRORS: u32 = 10;

/// How a session ended.
pub enum End<S> {
    /// The client asked for TLS: here is the bare stream to encrypt.
    StartTls(S),
    /// The connection is over.
    Closed,
}

/// A message being sent: its sender and the inboxes it goes to.
struct Envelope {
    sender: String,
    recipients: Vec<String>,
    inboxes: Vec<Inbox>,
    /// `BDAT` chunks received so far, and whether the message still fits.
    chunks: Option<(Vec<u8>, bool)>,
}

/// The state of one connection, kept across a STARTTLS upgrade.
pub struct Session<'a> {
    shared: &'a Shared,
    peer: SocketAddr,
    greeted: bool,
    tls: bool,
    envelope: Option<Envelope>,
    errors: u32,
}

/// What a command asks the loop to do next.
enum Next {
    Continue,
    Close,
    StartTls,
}

impl<'a> Session<'a> {
    /// A new connection from `peer`.
    pub fn new(shared: &'a Shared, peer: SocketAddr) -> Session<'a> {
        Session { shared, peer, greeted: false, tls: false, envelope: None, errors: 0 }
    }

    /// After the TLS handshake everything is forgotten but the error count (RFC 3207): the
    /// client greets again.
    pub fn upgraded(&mut self) {
        self.tls = true;
        self.greeted = false;
        self.envelope = None;
    }

    /// Runs the conversation on `io`, greeting first when `banner` is set.
    pub async fn run<S: AsyncRead + AsyncWrite + Unpin>(&mut self, mut io: Input<S>, banner: bool) -> End<S> {
        let timeout = self.shared.config.idle_timeout;
        if banner {
            io.reply(&format!("220 {} ESMTP Chorus\r\n", self.shared.config.hostname));
        }
        loop {
            let line = match io.line(MAX_COMMAND_LINE, timeout).await {
                Ok(Line::Complete(line)) => line,
                Ok(Line::TooLong) => {
                    io.reply("500 5.5.2 Line too long\r\n");
                    if self.failed(&mut io) {
                        break;
                    }
                    continue;
                }
                Err(e) => {
                    if e.kind() == std::io::ErrorKind::TimedOut {
                        io.reply("421 4.4.2 Idle for too long, closing the connection\r\n");
                    }
                    break;
                }
            };
            let next = match Request::parse(&mut line.iter()) {
                Ok(request) => self.command(&mut io, request.into_owned()).await,
                Err(e) => {
                    io.reply(&refusal(&e));
                    if self.failed(&mut io) { Next::Close } else { Next::Continue }
                }
            };
            match next {
                Next::Continue => {}
                Next::Close => break,
                Next::StartTls => {
                    if io.flush(timeout).await.is_err() {
                        return End::Closed;
                    }
                    if io.has_buffered() {
                        // Commands pipelined after STARTTLS would be injected into the
                        // encrypted session by whoever sits on the wire.
                        tracing::debug!(peer = %self.peer, "smtp: data pipelined after STARTTLS, closing");
                        return End::Closed;
                    }
                    return End::StartTls(io.into_inner());
                }
            }
        }
        let _ = io.flush(timeout).await;
        End::Closed
    }

    /// Counts a client error; past the limit, says goodbye and asks to close.
    fn failed<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>) -> bool {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            io.reply("421 4.7.0 Too many errors, closing the connection\r\n");
            return true;
        }
        false
    }

    async fn command<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut Input<S>,
        request: Request<String>,
    ) -> Next {
        let config = &self.shared.config;
        match request {
            Request::Ehlo { host } => {
                self.greeted = true;
                self.envelope = None;
                let mut lines = vec![
                    format!("{} greets {}", config.hostname, printable(&host)),
                    format!("SIZE {}", config.max_message_bytes),
                    "8BITMIME".to_string(),
                    "PIPELINING".to_string(),
                    "CHUNKING".to_string(),
                    "SMTPUTF8".to_string(),
                    "ENHANCEDSTATUSCODES".to_string(),
                ];
                if config.tls.is_some() && !self.tls {
                    lines.push("STARTTLS".to_string());
                }
                let last = lines.len() - 1;
                for (i, l) in lines.iter().enumerate() {
                    io.reply(&format!("250{}{l}\r\n", if i == last { ' ' } else { '-' }));
                }
            }
            Request::Helo { host } => {
                self.greeted = true;
                self.envelope = None;
                io.reply(&format!("250 {} greets {}\r\n", config.hostname, printable(&host)));
            }
            Request::Mail { from } => {
                if !self.greeted {
                    io.reply("503 5.5.1 Say EHLO first\r\n");
                    return self.error(io);
                }
                if self.envelope.is_some() {
                    io.reply("503 5.5.1 A message is already under way; RSET first\r\n");
                    return self.error(io);
                }
                if from.size > config.max_message_bytes {
                    io.reply(&format!("552 5.3.4 Messages are limited to {} bytes\r\n", config.max_message_bytes));
                    return Next::Continue;
                }
                self.envelope =
                    Some(Envelope { sender: from.address, recipients: Vec::new(), inboxes: Vec::new(), chunks: None });
                io.reply("250 2.1.0 Sender OK\r\n");
            }
            Request::Rcpt { to } => return self.recipient(io, to.address).await,
            Request::Data => return self.data(io).await,
            Request::Bdat { chunk_size, is_last } => return self.bdat(io, chunk_size, is_last).await,
            Request::Rset => {
                self.envelope = None;
                io.reply("250 2.0.0 OK\r\n");
            }
            Request::Noop { .. } => io.reply("250 2.0.0 OK\r\n"),
            Request::Vrfy { .. } => io.reply("252 2.5.0 Cannot verify the user, but will accept mail for it\r\n"),
            Request::Help { .. } => io.reply("214 2.0.0 Chorus receives mail for its inboxes (RFC 5321)\r\n"),
            Request::Quit => {
                io.reply("221 2.0.0 Bye\r\n");
                return Next::Close;
            }
            Request::StartTls => {
                if config.tls.is_none() {
                    io.reply("502 5.5.1 STARTTLS is not offered here\r\n");
                    return self.error(io);
                }
                if self.tls {
                    io.reply("503 5.5.1 TLS is already active\r\n");
                    return self.error(io);
                }
                io.reply("220 2.0.0 Ready to start TLS\r\n");
                return Next::StartTls;
            }
            Request::Auth { .. } => {
                io.reply("502 5.5.1 No authentication here: Chorus only receives mail for its inboxes\r\n");
                return self.error(io);
            }
            Request::Lhlo { .. }
            | Request::Expn { .. }
            | Request::Etrn { .. }
            | Request::Atrn { .. }
            | Request::Burl { .. } => {
                io.reply("502 5.5.1 This server does not offer that command\r\n");
                return self.error(io);
            }
        }
        Next::Continue
    }

    fn error<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>) -> Next {
        if self.failed(io) { Next::Close } else { Next::Continue }
    }

    async fn recipient<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>, address: String) -> Next {
        let max = self.shared.config.max_recipients;
        let Some(envelope) = self.envelope.as_mut() else {
            io.reply("503 5.5.1 MAIL first\r\n");
            return self.error(io);
        };
        if envelope.recipients.len() >= max {
            io.reply("452 4.5.3 Too many recipients\r\n");
            return Next::Continue;
        }
        let shown = printable(&address);
        match self.shared.app.email_inbox_for_address(&address).await {
            Ok(Some(inbox)) => {
                envelope.recipients.push(address);
                if !envelope.inboxes.iter().any(|i| i.id == inbox.id) {
                    envelope.inboxes.push(inbox);
                }
                io.reply("250 2.1.5 Recipient OK\r\n");
                Next::Continue
            }
            Ok(None) => {
                io.reply(&format!("550 5.1.1 <{shown}>: no such mailbox here\r\n"));
                self.error(io)
            }
            Err(e) => {
                tracing::error!(peer = %self.peer, error = %e, "smtp: looking up a recipient failed");
                io.reply("451 4.3.0 Cannot check the recipient now; try again later\r\n");
                Next::Continue
            }
        }
    }

    /// Checks a message may start: a sender and at least one recipient.
    fn ready<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>) -> bool {
        match &self.envelope {
            None => {
                io.reply("503 5.5.1 MAIL first\r\n");
                false
            }
            Some(e) if e.recipients.is_empty() => {
                io.reply("554 5.5.1 No valid recipients\r\n");
                false
            }
            Some(_) => true,
        }
    }

    async fn data<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>) -> Next {
        if !self.ready(io) {
            return self.error(io);
        }
        if self.envelope.as_ref().is_some_and(|e| e.chunks.is_some()) {
            io.reply("503 5.5.1 DATA cannot follow BDAT\r\n");
            return self.error(io);
        }
        io.reply("354 Send the message; end with <CRLF>.<CRLF>\r\n");
        let config = &self.shared.config;
        match io.data(config.max_message_bytes, config.idle_timeout).await {
            Ok(Data::Message(bytes)) => self.finish(io, bytes).await,
            Ok(Data::TooBig) => {
                self.envelope = None;
                io.reply(&format!("552 5.3.4 Messages are limited to {} bytes\r\n", config.max_message_bytes));
                Next::Continue
            }
            Err(_) => Next::Close,
        }
    }

    async fn bdat<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>, size: usize, last: bool) -> Next {
        let config = &self.shared.config;
        let ok = self.envelope.as_ref().is_some_and(|e| !e.recipients.is_empty());
        let mut scratch = Vec::new();
        let (buffer, fits) = match self.envelope.as_mut() {
            Some(e) if ok => e.chunks.get_or_insert_with(|| (Vec::new(), true)),
            _ => {
                // The chunk's bytes follow the command whatever we answer: read them away.
                let read = io.chunk(size, &mut scratch, 0, config.idle_timeout).await;
                if read.is_err() {
                    return Next::Close;
                }
                let _ = self.ready(io);
                return self.error(io);
            }
        };
        match io.chunk(size, buffer, if *fits { config.max_message_bytes } else { 0 }, config.idle_timeout).await {
            Ok(still_fits) => *fits &= still_fits,
            Err(_) => return Next::Close,
        }
        if !last {
            io.reply(&format!("250 2.0.0 {size} bytes received\r\n"));
            return Next::Continue;
        }
        let Some(Envelope { chunks: Some((bytes, fits)), .. }) = self.envelope.as_mut() else { return Next::Close };
        if !*fits {
            self.envelope = None;
            io.reply(&format!("552 5.3.4 Messages are limited to {} bytes\r\n", config.max_message_bytes));
            return Next::Continue;
        }
        let bytes = std::mem::take(bytes);
        self.finish(io, bytes).await
    }

    /// Stores a complete message and tells the client how that went.
    async fn finish<S: AsyncRead + AsyncWrite + Unpin>(&mut self, io: &mut Input<S>, bytes: Vec<u8>) -> Next {
        let Some(envelope) = self.envelope.take() else { return Next::Close };
        match deliver(&self.shared.app, &envelope.sender, &envelope.inboxes, bytes).await {
            Ok(id) => io.reply(&format!("250 2.0.0 OK: queued as {id}\r\n")),
            Err(app::Error::Invalid { field, message }) => {
                // Deterministic: the same message would be refused again, so bounce it
                // back to the sender instead of having it retried for days.
                tracing::warn!(peer = %self.peer, %field, %message, "smtp: a message was refused");
                io.reply(&format!("554 5.6.0 The message cannot be accepted: {}\r\n", printable(&message)));
            }
            Err(e) => {
                tracing::error!(peer = %self.peer, error = %e, "smtp: storing a message failed");
                io.reply("451 4.3.0 The message could not be stored; try again later\r\n");
            }
        }
        Next::Continue
    }
}

/// The answer to a line `smtp-proto` could not read.
fn refusal(e: &ParseError) -> String {
    match e {
        ParseError::UnknownCommand => "500 5.5.1 Command not recognised\r\n".to_string(),
        ParseError::InvalidSenderAddress => "501 5.1.7 Bad sender address syntax\r\n".to_string(),
        ParseError::InvalidRecipientAddress => "501 5.1.3 Bad recipient address syntax\r\n".to_string(),
        ParseError::SyntaxError { syntax } => format!("501 5.5.2 Syntax: {syntax}\r\n"),
        ParseError::InvalidParameter { param } => format!("501 5.5.4 Invalid parameter {param}\r\n"),
        ParseError::UnsupportedParameter { param } => {
            format!("555 5.5.4 Unsupported parameter {}\r\n", printable(param))
        }
        ParseError::ResponseTooLong => "500 5.5.2 Line too long\r\n".to_string(),
        ParseError::NeedsMoreData { .. } | ParseError::InvalidResponse { .. } => {
            "500 5.5.2 Syntax error\r\n".to_string()
        }
    }
}

/// Client text safe to echo in a reply: one line, printable, bounded.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(256).collect()
}

/// Tells a client over the connection limit to come back later.
pub async fn too_busy(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let write = stream.write_all(b"421 4.3.2 Too many connections; try again later\r\n");
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), write).await;
}
