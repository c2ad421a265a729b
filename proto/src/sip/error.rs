//! Errors of the SIP message layer.

use thiserror::Error;

/// Why a message could not be parsed or fails the checks of [`Message::validate`].
///
/// Every variant maps to the response a UAS gives (see [`ParseError::status_code`]); a
/// response that fails is dropped instead (RFC 3261 §18.1.2).
///
/// [`Message::validate`]: super::Message::validate
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input holds nothing but (optional) blank lines.
    #[error("empty message")]
    Empty,
    /// The message is larger than the configured limit.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size seen so far.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More header fields than the configured limit.
    #[error("more than {limit} header fields")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// The input ends before the blank line that closes the header section.
    #[error("the header section is not terminated")]
    Truncated,
    /// The request line or status line is malformed.
    #[error("malformed start line: {reason}")]
    StartLine {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The Request-URI is malformed (RFC 4475 §3.1.2.7, §3.1.2.8).
    #[error("malformed Request-URI: {0}")]
    RequestUri(#[source] UriError),
    /// The status code is not three digits in 100..=699 (RFC 4475 §3.1.2.19).
    #[error("invalid status code")]
    StatusCode,
    /// A header line has no colon or an invalid field name.
    #[error("malformed header line {line}: {reason}")]
    HeaderLine {
        /// One-based line number in the message.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The start line or header section is not UTF-8 (RFC 3261 §7.3.1: `TEXT-UTF8`).
    #[error("header section is not valid UTF-8 (line {line})")]
    InvalidUtf8 {
        /// One-based line number of the first invalid byte.
        line: usize,
    },
    /// Content-Length is not a non-negative decimal number that fits the message size type.
    #[error("invalid Content-Length")]
    ContentLength,
    /// Several Content-Length values that disagree (RFC 4475 §3.3.9).
    #[error("conflicting Content-Length values")]
    ConflictingContentLength,
    /// Content-Length announces more bytes than the datagram carries (RFC 4475 §3.1.2.2).
    #[error("Content-Length {declared} exceeds the {available} body bytes present")]
    BodyTruncated {
        /// The announced length.
        declared: usize,
        /// The bytes present after the header section.
        available: usize,
    },
    /// A header the message must carry is missing (RFC 3261 §8.1.1).
    #[error("missing {name} header")]
    MissingHeader {
        /// The canonical header name.
        name: &'static str,
    },
    /// A header that allows a single value appears several times (RFC 4475 §3.3.8).
    #[error("several {name} values where one is allowed")]
    MultipleValues {
        /// The canonical header name.
        name: &'static str,
    },
    /// A typed header failed to decode.
    #[error("invalid {name} header: {error}")]
    Header {
        /// The header name as it appears in the message.
        name: String,
        /// The fault.
        #[source]
        error: HeaderError,
    },
    /// The CSeq method differs from the request method (RFC 4475 §3.1.2.17).
    #[error("CSeq method does not match the request method")]
    CseqMethodMismatch,
    /// The SIP version is not 2.0 (RFC 4475 §3.1.2.16).
    #[error("unsupported SIP version {major}.{minor}")]
    UnsupportedVersion {
        /// Major version number.
        major: u8,
        /// Minor version number.
        minor: u8,
    },
}

impl ParseError {
    /// The status code a UAS answers a request with that fails this way: 505 for an
    /// unsupported version, 400 otherwise. The reason phrase should name the fault, for which
    /// the `Display` text of the error serves.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::UnsupportedVersion { .. } => 505,
            Self::TooLarge { .. } => 513,
            _ => 400,
        }
    }
}

/// Why a header value failed to decode.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value is empty where something is required (an extra comma or semicolon counts).
    #[error("empty value")]
    Empty,
    /// Something else was found where the grammar expects `expected`.
    #[error("expected {expected} at offset {at}")]
    Expected {
        /// What the grammar wants there.
        expected: &'static str,
        /// Byte offset in the value.
        at: usize,
    },
    /// A number does not fit its range (RFC 4475 §3.1.2.4).
    #[error("{what} is out of range")]
    OutOfRange {
        /// The field.
        what: &'static str,
    },
    /// A quoted string has no closing quote (RFC 4475 §3.1.2.6).
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// A parameter is empty or malformed (RFC 4475 §3.1.2.1).
    #[error("malformed parameter at offset {at}")]
    Param {
        /// Byte offset in the value.
        at: usize,
    },
    /// An embedded URI is malformed.
    #[error("invalid URI: {0}")]
    Uri(#[from] UriError),
    /// The header is absent.
    #[error("header is absent")]
    Missing,
    /// The header appears several times where one is allowed.
    #[error("several values where one is allowed")]
    Multiple,
}

impl HeaderError {
    /// The same error with its offset moved by `by`: for a fault found in a part of a value
    /// that starts `by` bytes in.
    pub(crate) fn shifted(self, by: usize) -> Self {
        match self {
            Self::Expected { expected, at } => Self::Expected {
                expected,
                at: at + by,
            },
            Self::Param { at } => Self::Param { at: at + by },
            other => other,
        }
    }
}

/// Why a URI failed to parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UriError {
    /// No scheme, or a scheme with invalid characters.
    #[error("missing or invalid scheme")]
    Scheme,
    /// The host part is empty or has invalid characters.
    #[error("invalid host")]
    Host,
    /// The port is not a number in 0..=65535.
    #[error("invalid port")]
    Port,
    /// A character that the grammar does not allow there.
    #[error("invalid character {ch:?} at offset {at}")]
    Char {
        /// The character.
        ch: char,
        /// Byte offset in the URI.
        at: usize,
    },
    /// A `%` not followed by two hex digits.
    #[error("invalid escape")]
    Escape,
    /// An empty URI parameter or header (`;;`, `&&`).
    #[error("empty parameter or header")]
    EmptyParam,
    /// A `tel` URI whose number is not a telephone-subscriber (RFC 3966).
    #[error("invalid telephone number")]
    Tel,
    /// A Request-URI carries `?headers`, which RFC 3261 §19.1.1 does not allow there
    /// (RFC 4475 §3.1.2.11).
    #[error("headers are not allowed in a Request-URI")]
    HeadersNotAllowed,
    /// The URI is longer than the URI type can index (4 GiB).
    #[error("URI too long")]
    TooLong,
}
