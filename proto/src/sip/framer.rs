//! Framing SIP messages on a byte stream (RFC 3261 §18.3) with RFC 5626 §3.5.1 keep-alives.

use bytes::{Buf, BytesMut};
use thiserror::Error;

use super::error::ParseError;
use super::message::Message;
use super::parse::{build, scan_head, Head, ParseLimits, Scan};

/// What a [`Framer`] cuts from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A complete message.
    Message(Message),
    /// A keep-alive ping: a double CRLF between messages (RFC 5626 §3.5.1); the receiver
    /// answers with a single CRLF.
    Ping,
    /// A keep-alive pong: a single CRLF between messages.
    Pong,
}

/// Why a [`Framer`] could not deliver a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FramerError {
    /// The stream cannot be framed any further (a bad header line or Content-Length, or a
    /// message over the size limit): close the connection. The framer stays failed.
    #[error("stream framing failed: {0}")]
    Stream(#[source] ParseError),
    /// One message was framed by its Content-Length but does not parse; the stream stays in
    /// step and the next message can follow.
    #[error("malformed message: {0}")]
    Message(#[source] ParseError),
}

/// Cuts a TCP or TLS byte stream into SIP messages and keep-alives.
///
/// Feed it bytes as they arrive with [`Framer::feed`], then call [`Framer::next_frame`] until
/// it returns `None`. Messages are framed by Content-Length (a missing one means an empty
/// body); the header section and the whole message are bounded by
/// [`ParseLimits::max_size`] (64 KiB by default). Each byte is scanned a bounded number of
/// times however the stream is split.
///
/// A lone CRLF is reported as [`Frame::Pong`] as soon as it is seen, since a pong may be all
/// that arrives; a double CRLF split across two reads therefore shows as two pongs, which
/// costs a ping its answer but never misframes a message.
///
/// ```
/// use sipsimple_proto::sip::{Frame, Framer};
///
/// let mut framer = Framer::new();
/// framer.feed(b"\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nhi");
/// assert_eq!(framer.next_frame(), Some(Ok(Frame::Ping)));
/// assert!(matches!(framer.next_frame(), Some(Ok(Frame::Message(_)))));
/// assert_eq!(framer.next_frame(), None);
/// ```
#[derive(Debug)]
pub struct Framer {
    buf: BytesMut,
    limits: ParseLimits,
    /// How far the search for the end of the header section has looked.
    searched: usize,
    /// The scanned header section of the message being received, once complete.
    pending: Option<(Head, usize)>,
    failed: bool,
}

impl Default for Framer {
    fn default() -> Self {
        Self::new()
    }
}

impl Framer {
    /// A framer with the default limits.
    pub fn new() -> Self {
        Self::with_limits(ParseLimits::default())
    }

    /// A framer with explicit limits.
    pub fn with_limits(limits: ParseLimits) -> Self {
        Self {
            buf: BytesMut::new(),
            limits,
            searched: 0,
            pending: None,
            failed: false,
        }
    }

    /// Appends bytes received from the stream. Bytes fed after a [`FramerError::Stream`] are
    /// dropped.
    pub fn feed(&mut self, data: &[u8]) {
        if !self.failed {
            self.buf.extend_from_slice(data);
        }
    }

    /// Bytes held that do not form a complete frame yet.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// `true` after a [`FramerError::Stream`]: the connection must be closed.
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// The next complete frame, `None` when more bytes are needed (or after a stream error
    /// has been reported once).
    pub fn next_frame(&mut self) -> Option<Result<Frame, FramerError>> {
        if self.failed {
            return None;
        }
        if self.pending.is_none() {
            if let Some(frame) = self.keepalive() {
                return Some(Ok(frame));
            }
            if self.buf.is_empty() {
                return None;
            }
            let end = match self.find_head_end() {
                Some(end) => end,
                None if self.buf.len() > self.limits.max_size => {
                    return Some(Err(self.fail(ParseError::TooLarge {
                        size: self.buf.len(),
                        limit: self.limits.max_size,
                    })));
                }
                None => return None,
            };
            let head = match scan_head(&self.buf[..end], &self.limits, true) {
                Ok(Scan::Complete(head)) => head,
                // Cannot happen with `eof`, but failing is the safe answer if it did.
                Ok(Scan::Partial) => return Some(Err(self.fail(ParseError::Truncated))),
                Err(e) => return Some(Err(self.fail(e))),
            };
            let total = head.end + head.content_length.unwrap_or(0);
            if total > self.limits.max_size {
                return Some(Err(self.fail(ParseError::TooLarge {
                    size: total,
                    limit: self.limits.max_size,
                })));
            }
            self.pending = Some((head, total));
        }
        let total = self.pending.as_ref().map_or(0, |p| p.1);
        if self.buf.len() < total {
            return None;
        }
        let (head, total) = self.pending.take().expect("pending head checked above");
        let bytes = self.buf.split_to(total).freeze();
        self.searched = 0;
        let body = bytes.slice(head.end..);
        Some(
            build(&bytes, head, body, false)
                .map(Frame::Message)
                .map_err(FramerError::Message),
        )
    }

    fn fail(&mut self, e: ParseError) -> FramerError {
        self.failed = true;
        self.buf = BytesMut::new();
        self.pending = None;
        FramerError::Stream(e)
    }

    /// Consumes a keep-alive at the start of the buffer.
    fn keepalive(&mut self) -> Option<Frame> {
        let b = &self.buf[..];
        if b.starts_with(b"\r\n\r\n") {
            self.buf.advance(4);
            self.searched = 0;
            Some(Frame::Ping)
        } else if b == b"\r\n\r" {
            // Possibly the first three bytes of a ping: wait for the fourth.
            None
        } else if b.starts_with(b"\r\n") {
            self.buf.advance(2);
            self.searched = 0;
            Some(Frame::Pong)
        } else {
            None
        }
    }

    /// Finds the end of the header section (after `CRLF CRLF`, or `LF LF`), resuming where
    /// the last search stopped.
    fn find_head_end(&mut self) -> Option<usize> {
        let b = &self.buf[..];
        let mut from = self.searched.saturating_sub(3);
        while let Some(off) = memchr::memchr(b'\n', &b[from..]) {
            let nl = from + off;
            match b.get(nl + 1) {
                Some(b'\n') => return Some(nl + 2),
                Some(b'\r') => match b.get(nl + 2) {
                    Some(b'\n') => return Some(nl + 3),
                    Some(_) => {}
                    None => break,
                },
                Some(_) => {}
                None => break,
            }
            from = nl + 1;
        }
        self.searched = b.len();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"MESSAGE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP a.example.com;branch=z9hG4bK1\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn byte_by_byte() {
        let mut f = Framer::new();
        let mut stream = Vec::new();
        for _ in 0..3 {
            stream.extend_from_slice(MSG);
        }
        let mut frames = Vec::new();
        for &b in &stream {
            f.feed(&[b]);
            while let Some(fr) = f.next_frame() {
                frames.push(fr.unwrap());
            }
        }
        assert_eq!(frames.len(), 3);
        for fr in frames {
            let Frame::Message(m) = fr else {
                panic!("expected message")
            };
            assert_eq!(&m.body()[..], b"hello");
            assert_eq!(m.to_bytes(), MSG);
        }
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn keepalives() {
        let mut f = Framer::new();
        f.feed(b"\r\n\r\n\r\n");
        assert_eq!(f.next_frame(), Some(Ok(Frame::Ping)));
        assert_eq!(f.next_frame(), Some(Ok(Frame::Pong)));
        assert_eq!(f.next_frame(), None);
        f.feed(b"\r\n");
        f.feed(MSG);
        assert_eq!(f.next_frame(), Some(Ok(Frame::Pong)));
        assert!(matches!(f.next_frame(), Some(Ok(Frame::Message(_)))));
    }

    #[test]
    fn size_limit_is_fatal() {
        let mut f = Framer::with_limits(ParseLimits {
            max_size: 100,
            max_headers: 10,
        });
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1000\r\n\r\n");
        assert!(matches!(
            f.next_frame(),
            Some(Err(FramerError::Stream(ParseError::TooLarge { .. })))
        ));
        assert!(f.is_failed());
        assert_eq!(f.next_frame(), None);
        let mut g = Framer::with_limits(ParseLimits {
            max_size: 100,
            max_headers: 10,
        });
        g.feed(&[b'a'; 101]);
        assert!(matches!(
            g.next_frame(),
            Some(Err(FramerError::Stream(ParseError::TooLarge { .. })))
        ));
    }

    #[test]
    fn bad_message_keeps_stream_in_step() {
        let mut f = Framer::new();
        f.feed(b"GARBAGE\r\nContent-Length: 3\r\n\r\nabc");
        f.feed(MSG);
        assert!(matches!(f.next_frame(), Some(Err(FramerError::Message(_)))));
        assert!(matches!(f.next_frame(), Some(Ok(Frame::Message(_)))));
    }

    #[test]
    fn bad_content_length_is_fatal() {
        let mut f = Framer::new();
        f.feed(b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n");
        assert_eq!(
            f.next_frame(),
            Some(Err(FramerError::Stream(ParseError::ContentLength)))
        );
    }
}
