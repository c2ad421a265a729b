//! Message fragments (RFC 3420, `message/sipfrag`) as REFER NOTIFYs carry them.
//!
//! The notifier of a `refer` subscription reports how the referred request fares with a
//! fragment that begins with the status line of the latest response to it (RFC 3515 §2.4.5):
//! `SIP/2.0 100 Trying` while it is pending, then the final status. [`SipFrag::parse`] reads
//! such a body; [`SipFrag::status`] builds one.
//!
//! RFC 3420 also allows fragments that begin with a request line or with header fields only;
//! REFER does not use them, and [`SipFrag::parse`] refuses them
//! ([`SipFragError::NotAStatusLine`]).
//!
//! ```
//! use sipsimple_proto::payloads::sipfrag::SipFrag;
//! use sipsimple_proto::sip::StatusCode;
//!
//! let body = SipFrag::status(StatusCode::OK, "OK");
//! assert_eq!(body, b"SIP/2.0 200 OK\r\n");
//! let frag = SipFrag::parse(b"SIP/2.0 486 Busy Here")?;
//! assert_eq!((frag.status_code().code(), frag.reason()), (486, "Busy Here"));
//! # Ok::<(), sipsimple_proto::payloads::sipfrag::SipFragError>(())
//! ```

use bytes::Bytes;

use crate::sip::headers::Headers;
use crate::sip::{Message, ParseError, ParseLimits, Response, StatusCode, Version};

/// The Content-Type of a REFER NOTIFY body (RFC 3515 §2.4.5).
pub const CONTENT_TYPE: &str = "message/sipfrag;version=2.0";

/// Largest fragment [`SipFrag::parse`] accepts, in bytes: a status line with a few header
/// fields needs far less.
pub const MAX_SIZE: usize = 16 * 1024;

/// A `message/sipfrag` body that begins with a Status-Line: the status of the referred
/// request, optionally followed by header fields and a body (RFC 3420 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipFrag {
    response: Response,
}

/// Why [`SipFrag::parse`] refused a fragment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SipFragError {
    /// The fragment does not begin with a Status-Line (`SIP/2.0 <code> <reason>`): it is
    /// empty, begins with a request line or with header fields, or is not SIP at all.
    #[error("the fragment does not begin with a SIP status line")]
    NotAStatusLine,
    /// The fragment begins like a status line but does not parse as one with its header
    /// fields: bad status code or version, malformed header line, not UTF-8, too large.
    #[error("malformed sipfrag: {0}")]
    Malformed(#[source] ParseError),
}

impl SipFrag {
    /// Parses a fragment: a Status-Line with or without its line end, optionally followed by
    /// header fields (with or without the blank line that ends them) and a body. Leading
    /// blank lines are skipped. The SIP message parser does the work, so the status line
    /// and header fields follow the same rules as in a message.
    pub fn parse(body: &[u8]) -> Result<Self, SipFragError> {
        let first = body
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(&[][..], |i| &body[i..]);
        if !first
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
        {
            return Err(SipFragError::NotAStatusLine);
        }
        let limits = ParseLimits {
            max_size: MAX_SIZE,
            ..ParseLimits::default()
        };
        match crate::sip::parse_fragment(body, &limits) {
            Ok(Message::Response(response)) => Ok(Self { response }),
            // A line that begins with `SIP/` is always read as a status line.
            Ok(Message::Request(_)) => Err(SipFragError::NotAStatusLine),
            Err(e) => Err(SipFragError::Malformed(e)),
        }
    }

    /// Builds a fragment holding only a Status-Line, with its CRLF, as RFC 3515 §2.4.5 asks
    /// of a REFER NOTIFY (`SIP/2.0 200 OK\r\n`). CR and LF in `reason` become spaces, so the
    /// result is always one line; pass [`StatusCode::canonical_reason`] for the usual phrase.
    pub fn status(code: StatusCode, reason: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(14 + reason.len());
        out.extend_from_slice(format!("SIP/2.0 {} ", code.code()).as_bytes());
        out.extend(reason.bytes().map(|b| match b {
            b'\r' | b'\n' => b' ',
            b => b,
        }));
        out.extend_from_slice(b"\r\n");
        out
    }

    /// The status code of the referred request's latest response.
    pub fn status_code(&self) -> StatusCode {
        self.response.status()
    }

    /// The reason phrase, as received (possibly empty).
    pub fn reason(&self) -> &str {
        self.response.reason()
    }

    /// The SIP version of the status line.
    pub fn version(&self) -> Version {
        self.response.version()
    }

    /// The header fields that follow the status line, if any.
    pub fn headers(&self) -> &Headers {
        self.response.headers()
    }

    /// The fragment's body, if any.
    pub fn body(&self) -> &Bytes {
        self.response.body()
    }

    /// The fragment as a response without the parts it lacks: status line, header fields and
    /// body.
    pub fn response(&self) -> &Response {
        &self.response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::headers::HeaderName;

    #[test]
    fn status_line_alone_with_and_without_crlf() {
        for body in [
            &b"SIP/2.0 200 OK"[..],
            b"SIP/2.0 200 OK\r\n",
            b"SIP/2.0 200 OK\n",
            b"SIP/2.0 200 OK\r\n\r\n",
            b"\r\nSIP/2.0 200 OK\r\n",
        ] {
            let frag = SipFrag::parse(body).unwrap_or_else(|e| panic!("{body:?}: {e}"));
            assert_eq!(frag.status_code(), StatusCode::OK, "{body:?}");
            assert_eq!(frag.reason(), "OK");
            assert_eq!(frag.version(), Version::SIP_2_0);
            assert!(frag.headers().is_empty(), "{body:?}");
            assert!(frag.body().is_empty(), "{body:?}");
        }
    }

    #[test]
    fn rfc3515_notify_bodies() {
        // The bodies of RFC 3515 §4.1's NOTIFYs (F7, F11: Content-Length 20 and 16).
        let trying = SipFrag::parse(b"SIP/2.0 100 Trying\r\n").unwrap();
        assert_eq!(
            (trying.status_code().code(), trying.reason()),
            (100, "Trying")
        );
        assert!(trying.status_code().is_provisional());
        let ok = SipFrag::parse(b"SIP/2.0 200 OK\r\n").unwrap();
        assert!(ok.status_code().is_success());
    }

    #[test]
    fn reason_phrase_keeps_spaces_and_may_be_empty() {
        let frag = SipFrag::parse(b"SIP/2.0 603 Declined by  the user\r\n").unwrap();
        assert_eq!(frag.status_code(), StatusCode::DECLINE);
        assert_eq!(frag.reason(), "Declined by  the user");
        let bare = SipFrag::parse(b"SIP/2.0 180 ").unwrap();
        assert_eq!((bare.status_code().code(), bare.reason()), (180, ""));
        let no_space = SipFrag::parse(b"SIP/2.0 180").unwrap();
        assert_eq!(
            (no_space.status_code().code(), no_space.reason()),
            (180, "")
        );
    }

    #[test]
    fn partial_message_with_headers() {
        // RFC 3420 §2: any subset of the header fields may follow the start line.
        let body = b"SIP/2.0 200 OK\r\n\
            To: <sip:bob@example.com>;tag=a6c85cf\r\n\
            Contact: <sip:bob@192.0.2.4>\r\n";
        let frag = SipFrag::parse(body).unwrap();
        assert_eq!(frag.status_code(), StatusCode::OK);
        assert_eq!(frag.headers().len(), 2);
        assert_eq!(
            frag.headers().get(HeaderName::Contact),
            Some("<sip:bob@192.0.2.4>")
        );
        // The last header line may lack its line end too.
        let frag = SipFrag::parse(b"SIP/2.0 486 Busy Here\r\nRetry-After: 60").unwrap();
        assert_eq!(frag.headers().get(HeaderName::RetryAfter), Some("60"));
        assert!(frag.body().is_empty());
    }

    #[test]
    fn body_after_blank_line() {
        let frag =
            SipFrag::parse(b"SIP/2.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello").unwrap();
        assert_eq!(&frag.body()[..], b"hello");
        let cut = SipFrag::parse(b"SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nhello").unwrap();
        assert_eq!(&cut.body()[..], b"he");
        assert!(matches!(
            SipFrag::parse(b"SIP/2.0 200 OK\r\nContent-Length: 9\r\n\r\nhello"),
            Err(SipFragError::Malformed(ParseError::BodyTruncated {
                declared: 9,
                available: 5
            }))
        ));
    }

    #[test]
    fn not_a_status_line() {
        for body in [
            &b""[..],
            b"\r\n\r\n",
            b"INVITE sip:bob@example.com SIP/2.0\r\n",
            b"To: <sip:bob@example.com>\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"\x00\x01\x02",
        ] {
            assert_eq!(
                SipFrag::parse(body),
                Err(SipFragError::NotAStatusLine),
                "{body:?}"
            );
        }
    }

    #[test]
    fn malformed_status_lines() {
        for (body, expected) in [
            (&b"SIP/2.0 2000 OK"[..], ParseError::StatusCode),
            (b"SIP/2.0 099 Low", ParseError::StatusCode),
            (b"SIP/2.0 abc OK\r\n", ParseError::StatusCode),
            (b"SIP/2.0 700 Too High", ParseError::StatusCode),
            (
                b"SIP/2.0",
                ParseError::StartLine {
                    reason: "missing status code",
                },
            ),
            (
                b"SIP/x.y 200 OK",
                ParseError::StartLine {
                    reason: "malformed SIP version",
                },
            ),
        ] {
            assert_eq!(
                SipFrag::parse(body),
                Err(SipFragError::Malformed(expected)),
                "{body:?}"
            );
        }
        assert!(matches!(
            SipFrag::parse(b"SIP/2.0 200 OK\r\nnot a header\r\n"),
            Err(SipFragError::Malformed(ParseError::HeaderLine {
                line: 2,
                ..
            }))
        ));
        assert!(matches!(
            SipFrag::parse(b"SIP/2.0 200 \xff\xfe\r\n"),
            Err(SipFragError::Malformed(ParseError::InvalidUtf8 { line: 1 }))
        ));
    }

    #[test]
    fn size_is_bounded() {
        let mut body = b"SIP/2.0 200 OK\r\nSubject: ".to_vec();
        body.resize(MAX_SIZE + 1, b'x');
        assert!(matches!(
            SipFrag::parse(&body),
            Err(SipFragError::Malformed(ParseError::TooLarge { .. }))
        ));
    }

    #[test]
    fn builder_round_trips() {
        for (code, reason) in [(100, "Trying"), (200, "OK"), (503, "Service Unavailable")] {
            let code = StatusCode::new(code).unwrap();
            let bytes = SipFrag::status(code, reason);
            assert_eq!(
                bytes,
                format!("SIP/2.0 {} {reason}\r\n", code.code()).as_bytes()
            );
            let frag = SipFrag::parse(&bytes).unwrap();
            assert_eq!((frag.status_code(), frag.reason()), (code, reason));
            assert!(frag.headers().is_empty());
        }
    }

    #[test]
    fn builder_keeps_one_line() {
        let bytes = SipFrag::status(StatusCode::OK, "OK\r\nEvil: injected");
        assert_eq!(bytes, b"SIP/2.0 200 OK  Evil: injected\r\n");
        let frag = SipFrag::parse(&bytes).unwrap();
        assert!(frag.headers().is_empty());
        assert_eq!(frag.reason(), "OK  Evil: injected");
    }
}
