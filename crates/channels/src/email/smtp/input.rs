//! The client's side of an SMTP connection: bounded command lines, `DATA` with its dot
//! rules, and `BDAT` chunks, read through one buffer the session controls. Every read is
//! bounded in bytes and in time, so a client cannot make the listener hold more than one
//! message in memory or wait on it forever.
//!
//! The end of `DATA` is only `<CRLF>.<CRLF>`: a dot after a bare LF is data. Accepting
//! looser endings would let a mail smuggle a second message past a relay that reads the
//! stream differently (the 2023 "SMTP smuggling" attacks).

use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The read buffer's size: large enough for a pipelined batch of commands or a good
/// stretch of message data per system call.
const BUFFER: usize = 64 * 1024;

/// A command line too long to be one: RFC 5321 allows 512 bytes, extensions a little more.
pub const MAX_COMMAND_LINE: usize = 4096;

/// One command line, or why there is none.
pub enum Line {
    /// A complete line, with its line ending.
    Complete(Vec<u8>),
    /// The line was longer than allowed; it was read and thrown away.
    TooLong,
}

/// How reading message data ended.
pub enum Data {
    /// The whole message, dot-unstuffed.
    Message(Vec<u8>),
    /// The message was larger than allowed; it was read to its end and thrown away.
    TooBig,
}

/// A buffered connection: the session reads through it and writes replies to it.
pub struct Input<S> {
    stream: S,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Replies not yet sent: flushed when the session needs more input, so a pipelined
    /// batch of commands is answered in one write.
    out: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Input<S> {
    /// Wraps a freshly accepted (or freshly encrypted) stream.
    pub fn new(stream: S) -> Input<S> {
        Input { stream, buf: vec![0; BUFFER], start: 0, end: 0, out: Vec::with_capacity(512) }
    }

    /// The stream, with anything still buffered thrown away (after STARTTLS, whatever the
    /// client pipelined in clear text must not count as commands: RFC 3207, section 4.2).
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// Whether the client sent more than was read so far.
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }

    /// Queues a reply.
    pub fn reply(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    /// Sends queued replies.
    pub async fn flush(&mut self, timeout: Duration) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.out).await?;
            self.stream.flush().await
        };
        let result = tokio::time::timeout(timeout, write).await.unwrap_or_else(|_| Err(timed_out()));
        self.out.clear();
        result
    }

    /// Reads more from the client, first sending any queued replies (the client may be
    /// waiting for them before it sends more). Fails at the end of the stream.
    async fn fill(&mut self, timeout: Duration) -> io::Result<()> {
        self.flush(timeout).await?;
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let free = &mut self.buf[self.end..];
        let n = match tokio::time::timeout(timeout, self.stream.read(free)).await {
            Ok(r) => r?,
            Err(_) => return Err(timed_out()),
        };
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the client closed the connection"));
        }
        self.end += n;
        Ok(())
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads one command line of at most `max` bytes.
    pub async fn line(&mut self, max: usize, timeout: Duration) -> io::Result<Line> {
        let mut too_long = false;
        loop {
            let buffered = self.buffered();
            if let Some(pos) = buffered.iter().position(|&b| b == b'\n') {
                let line = if too_long || pos + 1 > max { None } else { Some(buffered[..=pos].to_vec()) };
                self.start += pos + 1;
                return Ok(line.map_or(Line::TooLong, Line::Complete));
            }
            if buffered.len() >= max {
                // No end in sight: drop what came so far and keep reading to the line's end.
                too_long = true;
                self.start = self.end;
            }
            self.fill(timeout).await?;
        }
    }

    /// Reads the data of a `DATA` command up to and without its final `.` line, keeping at
    /// most `max` bytes. A leading dot is removed from every line (after any line feed, as
    /// clients stuff them), but only `.` alone after a CRLF ends the data.
    pub async fn data(&mut self, max: usize, timeout: Duration) -> io::Result<Data> {
        let mut message = Vec::with_capacity(max.min(16 * 1024));
        let mut too_big = false;
        // The previous line ended in a line feed (so a dot here is stuffed), and whether
        // that line feed followed a CR (so a lone dot here ends the data).
        let (mut line_start, mut after_crlf) = (true, true);
        // Whether the last byte read was a CR, for a CRLF split across two reads.
        let mut after_cr = false;
        loop {
            if line_start {
                // Enough bytes to tell ".\r\n" (the end) from a stuffed dot.
                while self.end - self.start < 3 && !self.buffered().contains(&b'\n') {
                    self.fill(timeout).await?;
                }
                let b = self.buffered();
                if after_crlf && b.starts_with(b".\r\n") {
                    self.start += 3;
                    return Ok(if too_big { Data::TooBig } else { Data::Message(message) });
                }
                if b.first() == Some(&b'.') {
                    self.start += 1;
                    after_cr = false;
                }
            }
            if self.start == self.end {
                self.fill(timeout).await?;
            }
            let b = self.buffered();
            let (chunk, complete) = match b.iter().position(|&c| c == b'\n') {
                Some(pos) => (&b[..=pos], true),
                None => (b, false),
            };
            if !too_big && message.len() + chunk.len() > max {
                too_big = true;
                message = Vec::new();
            }
            if !too_big {
                message.extend_from_slice(chunk);
            }
            line_start = complete;
            after_crlf = complete && (chunk.ends_with(b"\r\n") || (chunk == b"\n" && after_cr));
            after_cr = chunk.last() == Some(&b'\r');
            self.start += chunk.len();
        }
    }

    /// Reads a `BDAT` chunk of exactly `size` bytes, appending it to `message` while the
    /// message stays within `max`; returns false once it does not.
    pub async fn chunk(
        &mut self,
        size: usize,
        message: &mut Vec<u8>,
        max: usize,
        timeout: Duration,
    ) -> io::Result<bool> {
        let mut left = size;
        let mut fits = message.len().saturating_add(size) <= max;
        if !fits {
            *message = Vec::new();
        }
        while left > 0 {
            if self.start == self.end {
                self.fill(timeout).await?;
            }
            let take = left.min(self.end - self.start);
            if fits {
                message.extend_from_slice(&self.buf[self.start..self.start + take]);
            }
            self.start += take;
            left -= take;
        }
        fits &= message.len() <= max;
        Ok(fits)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the client was silent for too long")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use tokio::io::ReadBuf;

    /// A client that sends its bytes `step` at a time, so every split of the stream is seen.
    struct Trickle {
        bytes: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let end = (self.at + self.step).min(self.bytes.len()).min(self.at + buf.remaining());
            let chunk = self.bytes[self.at..end].to_vec();
            buf.put_slice(&chunk);
            self.at = end;
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Trickle {
        fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    fn input(bytes: &[u8], step: usize) -> Input<Trickle> {
        Input::new(Trickle { bytes: bytes.to_vec(), at: 0, step })
    }

    const WAIT: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn data_ends_only_at_crlf_dot_crlf_and_unstuffs_dots_however_it_is_split() {
        let sent = b"Subject: x\r\n\r\n..dot\r\nbare\n.\r\nnot the end\r\n...\r\n.\r\nNOOP\r\n";
        for step in 1..sent.len() {
            let mut io = input(sent, step);
            let Ok(Data::Message(m)) = io.data(1000, WAIT).await else { panic!("step {step}: no message") };
            assert_eq!(m, b"Subject: x\r\n\r\n.dot\r\nbare\n\r\nnot the end\r\n..\r\n", "step {step}");
            let Ok(Line::Complete(next)) = io.line(100, WAIT).await else { panic!("step {step}: no line") };
            assert_eq!(next, b"NOOP\r\n", "step {step}: what follows the data stays for the session");
        }
    }

    #[tokio::test]
    async fn oversize_data_is_read_to_its_end_and_lines_are_bounded() {
        let mut sent = b"x".repeat(5000);
        sent.extend_from_slice(b"\r\n.\r\n");
        sent.extend_from_slice(&b"A".repeat(10_000));
        sent.extend_from_slice(b"\r\nQUIT\r\n");
        for step in [1, 7, 4096, 100_000] {
            let mut io = input(&sent, step);
            assert!(matches!(io.data(1000, WAIT).await, Ok(Data::TooBig)), "step {step}");
            assert!(matches!(io.line(MAX_COMMAND_LINE, WAIT).await, Ok(Line::TooLong)), "step {step}");
            let Ok(Line::Complete(quit)) = io.line(MAX_COMMAND_LINE, WAIT).await else { panic!("step {step}") };
            assert_eq!(quit, b"QUIT\r\n");
            assert!(io.line(MAX_COMMAND_LINE, WAIT).await.is_err(), "the end of the stream is an error");
        }
    }

    #[tokio::test]
    async fn bdat_chunks_are_exact_and_bounded() {
        let mut io = input(b"0123456789NOOP\r\n", 3);
        let mut message = Vec::new();
        assert!(io.chunk(4, &mut message, 100, WAIT).await.unwrap());
        assert!(!io.chunk(6, &mut message, 8, WAIT).await.unwrap(), "over the limit");
        assert!(message.is_empty(), "an oversize message is not kept");
        let Ok(Line::Complete(next)) = io.line(100, WAIT).await else { panic!("no line") };
        assert_eq!(next, b"NOOP\r\n");
    }
}
