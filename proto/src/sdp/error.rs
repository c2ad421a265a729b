//! Errors of the SDP parser.
//!
//! [`ParseError`] rejects a whole session description and names the line at fault. [`Fault`]
//! says what is wrong inside one line or one attribute value; it is the `reason` of
//! [`ParseError::BadLine`] and the `error` of a
//! [`MalformedAttribute`](super::MalformedAttribute), which keeps a known attribute whose value
//! did not parse without rejecting the session.

/// Why [`Session::parse`](super::Session::parse) rejected a session description.
///
/// Line numbers are 1-based and count physical lines of the input, blank ones included.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The body is larger than [`Limits::max_size`](super::Limits::max_size). The size is
    /// counted as the body would be sent, with CRLF line ends; parsing stops as soon as the
    /// limit is crossed, so `size` is a lower bound of the whole.
    #[error("SDP body of at least {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Bytes counted when the limit was crossed.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// More `m=` sections than [`Limits::max_media`](super::Limits::max_media).
    #[error("line {line}: more than {limit} media descriptions")]
    TooManyMedia {
        /// The `m=` line that crossed the limit.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// More `a=` lines, all levels together, than
    /// [`Limits::max_attributes`](super::Limits::max_attributes).
    #[error("line {line}: more than {limit} attributes")]
    TooManyAttributes {
        /// The `a=` line that crossed the limit.
        line: usize,
        /// The limit in force.
        limit: usize,
    },
    /// A mandatory line is absent: `v=`, `o=` or `s=` (RFC 4566 §5), or the input is empty.
    #[error("missing `{kind}=` line")]
    MissingLine {
        /// The type letter of the missing line.
        kind: char,
    },
    /// One of the three lines that must open a session description (`v=`, `o=`, `s=` in that
    /// order, RFC 4566 §5) was expected and another line came.
    #[error("line {line}: expected `{expected}=`, found `{kind}=`")]
    Unexpected {
        /// The line that came instead.
        line: usize,
        /// Its type letter.
        kind: char,
        /// The type letter RFC 4566 requires here.
        expected: char,
    },
    /// A line stands where RFC 4566 §5 does not allow it and no sensible reading exists: a
    /// session-level-only line (`u=`, `e=`, `p=`, `t=`, `r=`, `z=`) after the first `m=`, or an
    /// `r=` before any `t=`.
    #[error("line {line}: `{kind}=` is not allowed here")]
    LineOrder {
        /// The misplaced line.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// A line that may appear once at its level appears again (`v=`, `o=`, `s=`, and `i=`,
    /// `u=`, `c=`, `k=`, `z=` at session level, `i=` and `k=` at media level).
    #[error("line {line}: duplicate `{kind}=` line")]
    DuplicateLine {
        /// The second occurrence.
        line: usize,
        /// Its type letter.
        kind: char,
    },
    /// A type letter that RFC 4566 does not define. §5 says a parser must ignore a whole
    /// session description that holds one, so it is rejected.
    #[error("line {line}: unknown line type `{kind}`")]
    UnknownLineType {
        /// The line.
        line: usize,
        /// Its type letter (the first character of the line).
        kind: char,
    },
    /// A line that is not of the form `<letter>=<value>`.
    #[error("line {line}: not of the form `<type>=<value>`")]
    Malformed {
        /// The line.
        line: usize,
    },
    /// A line holding bytes that are not UTF-8. The model is text; `a=charset` bodies in other
    /// encodings are not supported.
    #[error("line {line}: invalid UTF-8")]
    InvalidUtf8 {
        /// The line.
        line: usize,
    },
    /// A line holding NUL or a CR that does not end it (RFC 4566 §9: `byte-string` excludes
    /// NUL, CR and LF).
    #[error("line {line}: forbidden control character")]
    ControlCharacter {
        /// The line.
        line: usize,
    },
    /// A standard line (not `a=`) whose value does not parse.
    #[error("line {line}: invalid `{kind}=` line: {reason}")]
    BadLine {
        /// The line.
        line: usize,
        /// Its type letter.
        kind: char,
        /// What is wrong with it.
        reason: Fault,
    },
}

/// What is wrong inside one line or attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// A required field is absent.
    #[error("missing {0}")]
    Missing(&'static str),
    /// Fields follow where the grammar ends.
    #[error("unexpected trailing data")]
    Trailing,
    /// A field does not follow its grammar.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A number is well formed but too large or outside its allowed range.
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    /// A field that may appear once appears again.
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// An attribute that takes a value came as a property (`a=name`).
    #[error("attribute needs a value")]
    MissingValue,
    /// A property attribute (`a=rtcp-mux`, `a=sendrecv`…) came with a value.
    #[error("attribute takes no value")]
    UnexpectedValue,
}
