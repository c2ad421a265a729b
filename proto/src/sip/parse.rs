//! The message parser: start line, header lines and body framing (RFC 3261 §7, §18.3).
//!
//! One pass finds the lines with `memchr`, classifies header names and records where each
//! field lies; the header section is checked as UTF-8 once and copied once. Typed headers
//! are decoded later, on demand.

use bytes::Bytes;

use super::error::ParseError;
use super::headers::{Entry, HeaderName, Headers};
use super::message::{Message, Request, Response, Version};
use super::method::{Method, StatusCode};
use super::uri::Uri;

/// Bounds the parser enforces on untrusted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseLimits {
    /// Largest message accepted, header section and body together (default 64 KiB).
    pub max_size: usize,
    /// Most header fields accepted (default 256).
    pub max_headers: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self {
            max_size: 64 * 1024,
            max_headers: 256,
        }
    }
}

/// What the header scan found: where the start line and fields lie in the input.
#[derive(Debug)]
pub(crate) struct Head {
    /// Offset of the start line (after leading blank lines).
    pub(crate) start: usize,
    /// End of the start line, terminator excluded.
    pub(crate) start_line_end: usize,
    /// Start of the first header line.
    pub(crate) fields_start: usize,
    /// End of the last header line, terminator excluded.
    pub(crate) fields_end: usize,
    /// Offset right after the blank line that closes the header section.
    pub(crate) end: usize,
    /// Fields, positioned relative to `fields_start`.
    pub(crate) entries: Vec<Entry>,
    /// The Content-Length value, if present.
    pub(crate) content_length: Option<usize>,
}

/// Outcome of [`scan_head`] on a possibly incomplete buffer.
pub(crate) enum Scan {
    /// The whole header section is present.
    Complete(Head),
    /// More bytes are needed.
    Partial,
}

/// Header fields found by [`scan_fields`].
pub(crate) struct Fields {
    /// Fields, positioned relative to the start of the scan.
    pub(crate) entries: Vec<Entry>,
    /// The Content-Length value, if present.
    pub(crate) content_length: Option<usize>,
    /// End of the last header line, terminator excluded.
    pub(crate) fields_end: usize,
    /// Offset right after the blank line (or the end of input with `eof`).
    pub(crate) end: usize,
}

/// Scans the header section of `buf`. With `eof`, `buf` is all there is: a missing blank line
/// is [`ParseError::Truncated`] (a datagram cut after a header line must not pass for a
/// message without the headers and body that were lost).
pub(crate) fn scan_head(buf: &[u8], limits: &ParseLimits, eof: bool) -> Result<Scan, ParseError> {
    let mut pos = 0;
    while buf[pos..].starts_with(b"\r\n") || buf[pos..].starts_with(b"\n") {
        pos += if buf[pos] == b'\r' { 2 } else { 1 };
    }
    let start = pos;
    if start == buf.len() {
        return if eof {
            Err(ParseError::Empty)
        } else {
            Ok(Scan::Partial)
        };
    }
    let Some(nl) = memchr::memchr(b'\n', &buf[start..]) else {
        return incomplete(eof);
    };
    let start_line_end = line_end(buf, start, start + nl);
    let fields_start = start + nl + 1;
    Ok(
        match scan_fields(buf, fields_start, limits, eof, false, 1)? {
            Some(f) => Scan::Complete(Head {
                start,
                start_line_end,
                fields_start,
                fields_end: f.fields_end,
                end: f.end,
                entries: f.entries,
                content_length: f.content_length,
            }),
            None => Scan::Partial,
        },
    )
}

/// Scans header lines from `fields_start` up to and including the blank line that ends them.
/// `None` means more input is needed. With `eof` and `end_ok`, input that ends right after a
/// header line counts as complete (MIME part headers); with `eof` alone it is
/// [`ParseError::Truncated`]. `line_no` is the number of lines before `fields_start`, for
/// error messages. Positions in the result are relative to `fields_start` except `end`
/// and `fields_end`.
pub(crate) fn scan_fields(
    buf: &[u8],
    fields_start: usize,
    limits: &ParseLimits,
    eof: bool,
    end_ok: bool,
    mut line_no: usize,
) -> Result<Option<Fields>, ParseError> {
    let mut pos = fields_start;
    let newline = LineEnds::new();
    let mut entries: Vec<Entry> = Vec::with_capacity(24);
    let mut content_length: Option<usize> = None;
    let rel = |x: usize| (x - fields_start) as u32;
    let done = |entries: Vec<Entry>, content_length, end| {
        let fields_end = entries
            .last()
            .map_or(fields_start, |e: &Entry| e.end as usize + fields_start);
        Ok(Some(Fields {
            entries,
            content_length,
            fields_end,
            end,
        }))
    };
    loop {
        if pos == buf.len() {
            if !eof {
                return Ok(None);
            }
            if !end_ok {
                return Err(ParseError::Truncated);
            }
            return done(entries, content_length, pos);
        }
        let Some(nl) = newline.find(&buf[pos..]) else {
            return if eof {
                Err(ParseError::Truncated)
            } else {
                Ok(None)
            };
        };
        line_no += 1;
        let le = line_end(buf, pos, pos + nl);
        let next = pos + nl + 1;
        if le == pos {
            return done(entries, content_length, next);
        }
        let first = buf[pos];
        if first == b' ' || first == b'\t' {
            // Folded continuation of the previous field (RFC 3261 §7.3.1).
            let Some(prev) = entries.last_mut() else {
                return Err(ParseError::HeaderLine {
                    line: line_no,
                    reason: "continuation line before any header",
                });
            };
            let mut ve = le;
            while ve > pos && matches!(buf[ve - 1], b' ' | b'\t') {
                ve -= 1;
            }
            if ve > pos {
                if prev.value_start == prev.end {
                    // The value starts on this continuation line.
                    let mut vs = pos;
                    while vs < ve && matches!(buf[vs], b' ' | b'\t') {
                        vs += 1;
                    }
                    prev.value_start = rel(vs);
                }
                prev.value_end = rel(ve);
            }
            prev.end = rel(le);
            if prev.value_start > prev.value_end {
                prev.value_start = prev.value_end;
            }
        } else {
            if entries.len() == limits.max_headers {
                return Err(ParseError::TooManyHeaders {
                    limit: limits.max_headers,
                });
            }
            let line = &buf[pos..le];
            // field-name = token, then optional white space, then the colon.
            let name_end = super::text::scan_token(line, 0);
            let mut colon = name_end;
            while colon < line.len() && matches!(line[colon], b' ' | b'\t') {
                colon += 1;
            }
            if name_end == 0 || line.get(colon) != Some(&b':') {
                return Err(ParseError::HeaderLine {
                    line: line_no,
                    reason: if line.contains(&b':') {
                        "invalid header name"
                    } else {
                        "missing colon"
                    },
                });
            }
            let name = &line[..name_end];
            let kind = HeaderName::from_name(name);
            let mut vs = colon + 1;
            while vs < line.len() && matches!(line[vs], b' ' | b'\t') {
                vs += 1;
            }
            let mut ve = line.len();
            while ve > vs && matches!(line[ve - 1], b' ' | b'\t') {
                ve -= 1;
            }
            if kind == HeaderName::ContentLength {
                let v = parse_content_length(&line[vs..ve])?;
                match content_length {
                    Some(old) if old != v => return Err(ParseError::ConflictingContentLength),
                    _ => content_length = Some(v),
                }
            }
            entries.push(Entry {
                name: kind,
                start: rel(pos),
                name_end: rel(pos + name_end),
                value_start: rel(pos + vs),
                value_end: rel(pos + ve),
                end: rel(le),
            });
        }
        pos = next;
        if pos > limits.max_size {
            return Err(ParseError::TooLarge {
                size: pos,
                limit: limits.max_size,
            });
        }
    }
}

/// The search for the LF of each header line. `memchr::memchr` picks its implementation
/// through a function pointer on every call, two calls deep, which costs about as much as
/// the search itself on a line of a few dozen bytes; a searcher made once per header
/// section calls the vector code directly where the CPU has it.
struct LineEnds {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::One>,
}

impl LineEnds {
    fn new() -> Self {
        Self {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::One::new(b'\n'),
        }
    }

    /// The offset of the first LF in `hay`.
    #[inline]
    fn find(&self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = &self.avx2 {
            return avx2.find(hay);
        }
        memchr::memchr(b'\n', hay)
    }
}

/// Parses a message fragment (RFC 3420 `message/sipfrag`) that begins with a start line. The
/// start line may be all there is, the last line may lack its line end, and header lines may
/// end the input without the blank line; whatever follows a blank line is the body, cut to
/// Content-Length when there is one.
pub(crate) fn parse_fragment(buf: &[u8], limits: &ParseLimits) -> Result<Message, ParseError> {
    if buf.len() > limits.max_size {
        return Err(ParseError::TooLarge {
            size: buf.len(),
            limit: limits.max_size,
        });
    }
    match fragment(buf, limits) {
        // The header section ended without a line end: the one thing a fragment may lack
        // that a message may not. Only the header section is scanned for it, so adding the
        // line end changes no body.
        Err(ParseError::Truncated) if !buf.ends_with(b"\n") => {
            let mut owned = Vec::with_capacity(buf.len() + 2);
            owned.extend_from_slice(buf);
            owned.extend_from_slice(b"\r\n");
            fragment(
                &owned,
                &ParseLimits {
                    max_size: limits.max_size + 2,
                    ..*limits
                },
            )
        }
        other => other,
    }
}

fn fragment(buf: &[u8], limits: &ParseLimits) -> Result<Message, ParseError> {
    let mut start = 0;
    while buf[start..].starts_with(b"\r\n") || buf[start..].starts_with(b"\n") {
        start += if buf[start] == b'\r' { 2 } else { 1 };
    }
    if start == buf.len() {
        return Err(ParseError::Empty);
    }
    let Some(nl) = memchr::memchr(b'\n', &buf[start..]) else {
        return Err(ParseError::Truncated);
    };
    let fields_start = start + nl + 1;
    let Some(f) = scan_fields(buf, fields_start, limits, true, true, 1)? else {
        return Err(ParseError::Truncated);
    };
    let head = Head {
        start,
        start_line_end: line_end(buf, start, start + nl),
        fields_start,
        fields_end: f.fields_end,
        end: f.end,
        entries: f.entries,
        content_length: f.content_length,
    };
    let body = Bytes::copy_from_slice(&buf[f.end..]);
    build(buf, head, body, true)
}

fn incomplete(eof: bool) -> Result<Scan, ParseError> {
    if eof {
        Err(ParseError::Truncated)
    } else {
        Ok(Scan::Partial)
    }
}

/// End of a line whose LF is at `nl`: before a CR that precedes the LF.
fn line_end(buf: &[u8], start: usize, nl: usize) -> usize {
    if nl > start && buf[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    }
}

fn parse_content_length(v: &[u8]) -> Result<usize, ParseError> {
    if v.is_empty() || v.len() > 10 || !v.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::ContentLength);
    }
    v.iter()
        .try_fold(0usize, |acc, &d| {
            acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })
        .ok_or(ParseError::ContentLength)
}

/// Builds a message from a scanned head. `body` is everything after the header section.
pub(crate) fn build(
    buf: &[u8],
    head: Head,
    body: Bytes,
    datagram: bool,
) -> Result<Message, ParseError> {
    let text = match std::str::from_utf8(&buf[head.start..head.fields_end]) {
        Ok(t) => t,
        Err(e) => {
            let bad = head.start + e.valid_up_to();
            let line = 1 + buf[head.start..bad].iter().filter(|&&b| b == b'\n').count();
            return Err(ParseError::InvalidUtf8 { line });
        }
    };
    let start_line = &text[..head.start_line_end - head.start];
    let fields = &text[head.fields_start - head.start..];
    let body = match head.content_length {
        Some(n) if n > body.len() => {
            return Err(ParseError::BodyTruncated {
                declared: n,
                available: body.len(),
            })
        }
        Some(n) => body.slice(..n),
        // Over a stream a missing Content-Length means an empty body (RFC 3261 §18.3 requires
        // the header there); a datagram's body is the rest of the datagram (§18.3, RFC 4475
        // `inv2543`).
        None if datagram => body,
        None => Bytes::new(),
    };
    let headers = Headers::from_parts(fields.to_owned(), head.entries);
    parse_start_line(start_line, headers, body)
}

fn parse_version(s: &str) -> Result<Version, ParseError> {
    if s == "SIP/2.0" {
        return Ok(Version::SIP_2_0);
    }
    const BAD: ParseError = ParseError::StartLine {
        reason: "malformed SIP version",
    };
    let rest = s
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("SIP/"))
        .map(|_| &s[4..])
        .ok_or(BAD)?;
    let (maj, min) = rest.split_once('.').ok_or(BAD)?;
    let num = |x: &str| {
        if x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BAD);
        }
        x.parse::<u8>().map_err(|_| BAD)
    };
    Ok(Version {
        major: num(maj)?,
        minor: num(min)?,
    })
}

fn parse_start_line(line: &str, headers: Headers, body: Bytes) -> Result<Message, ParseError> {
    if line
        .as_bytes()
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"SIP/"))
    {
        // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
        let (version, rest) = line.split_once(' ').ok_or(ParseError::StartLine {
            reason: "missing status code",
        })?;
        let version = parse_version(version)?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::StatusCode);
        }
        let status = code
            .parse()
            .ok()
            .and_then(StatusCode::new)
            .ok_or(ParseError::StatusCode)?;
        if reason.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(ParseError::StartLine {
                reason: "control character in reason phrase",
            });
        }
        return Ok(Message::Response(Response::from_parts(
            version,
            status,
            reason.to_owned(),
            headers,
            body,
        )));
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    const SPACING: ParseError = ParseError::StartLine {
        reason: "expected method, Request-URI and version separated by single spaces",
    };
    let b = line.as_bytes();
    let sp1 = b.iter().position(|&c| c == b' ').ok_or(SPACING)?;
    let sp2 = b[sp1 + 1..]
        .iter()
        .position(|&c| c == b' ')
        .ok_or(SPACING)?
        + sp1
        + 1;
    if b[sp2 + 1..].contains(&b' ') {
        return Err(SPACING);
    }
    // Spaces are ASCII, so these are character boundaries.
    let (method, uri, version) = (&line[..sp1], &line[sp1 + 1..sp2], &line[sp2 + 1..]);
    let method = Method::from_token(method).ok_or(ParseError::StartLine {
        reason: "invalid method",
    })?;
    let version = parse_version(version)?;
    let uri = Uri::parse(uri)
        .map_err(ParseError::RequestUri)?
        .into_owned();
    Ok(Message::Request(Request::from_parts(
        method, uri, version, headers, body,
    )))
}
