//! Multipart bodies (RFC 2046 §5.1): `multipart/mixed`, `multipart/related` (RFC 2387) and
//! the others, as resource-list NOTIFYs (RFC 4662) and conference flows carry them.

use bytes::Bytes;
use thiserror::Error;

use super::error::ParseError;
use super::headers::{ContentType, Header, HeaderName, Headers, MediaType};
use super::parse::{scan_fields, ParseLimits};

/// Most parts accepted in one body.
pub const MAX_PARTS: usize = 256;

/// Why a multipart body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MultipartError {
    /// The content type is not `multipart/*`.
    #[error("not a multipart content type")]
    NotMultipart,
    /// The `boundary` parameter is missing or longer than RFC 2046's 70 characters.
    #[error("missing or invalid boundary parameter")]
    Boundary,
    /// No delimiter line was found.
    #[error("no part delimiter found")]
    NoDelimiter,
    /// The closing delimiter (`--boundary--`) is missing.
    #[error("closing delimiter missing")]
    Unterminated,
    /// More than [`MAX_PARTS`] parts.
    #[error("more than {MAX_PARTS} parts")]
    TooManyParts,
    /// The header section of a part is malformed.
    #[error("malformed part headers: {0}")]
    PartHeaders(#[source] ParseError),
}

/// One body part: its MIME header fields and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The part's header fields (Content-Type, Content-ID, Content-Transfer-Encoding, …).
    pub headers: Headers,
    /// The content, sharing storage with the message body when parsed.
    pub body: Bytes,
}

impl Part {
    /// A part with a Content-Type and a body.
    pub fn new(content_type: &str, body: impl Into<Bytes>) -> Self {
        let mut headers = Headers::new();
        headers.push(HeaderName::ContentType, content_type);
        Self {
            headers,
            body: body.into(),
        }
    }

    /// The part's Content-Type, if present and well formed.
    pub fn content_type(&self) -> Option<ContentType<'_>> {
        self.headers
            .get(HeaderName::ContentType)
            .and_then(|v| ContentType::parse(v).ok())
    }

    /// The part's Content-ID (RFC 2392), without angle brackets.
    pub fn content_id(&self) -> Option<&str> {
        self.headers
            .get(HeaderName::ContentId)
            .map(|v| v.trim_start_matches('<').trim_end_matches('>'))
    }
}

/// A multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// The subtype: `mixed`, `related`, `alternative`, `signed`, …
    pub subtype: String,
    /// The boundary.
    pub boundary: String,
    /// The parts in order.
    pub parts: Vec<Part>,
}

impl Multipart {
    /// An empty multipart body.
    pub fn new(subtype: &str, boundary: &str) -> Self {
        Self {
            subtype: subtype.to_owned(),
            boundary: boundary.to_owned(),
            parts: Vec::new(),
        }
    }

    /// Parses `body` whose Content-Type is `content_type`. Preamble and epilogue are
    /// dropped; each part's body shares the storage of `body`.
    pub fn parse(content_type: &MediaType<'_>, body: &Bytes) -> Result<Self, MultipartError> {
        if !content_type.mtype().eq_ignore_ascii_case("multipart") {
            return Err(MultipartError::NotMultipart);
        }
        let boundary = content_type.boundary().ok_or(MultipartError::Boundary)?;
        if boundary.is_empty() || boundary.len() > 70 {
            return Err(MultipartError::Boundary);
        }
        let delim = format!("--{boundary}");
        let finder = memchr::memmem::Finder::new(delim.as_bytes());
        let b = &body[..];
        // The first delimiter starts the body or follows a line break.
        let mut pos = None;
        let mut from = 0;
        while let Some(off) = finder.find(&b[from..]) {
            let at = from + off;
            if at == 0 || b[at - 1] == b'\n' {
                pos = Some(at);
                break;
            }
            from = at + 1;
        }
        let mut at = pos.ok_or(MultipartError::NoDelimiter)?;
        let mut parts = Vec::new();
        loop {
            let after = at + delim.len();
            if b[after..].starts_with(b"--") {
                break;
            }
            // Transport padding, then the line break ending the delimiter line.
            let nl = memchr::memchr(b'\n', &b[after..]).ok_or(MultipartError::Unterminated)?;
            let start = after + nl + 1;
            // The next delimiter: CRLF (or LF) followed by `--boundary`.
            let mut search = start;
            let next = loop {
                let off = finder
                    .find(&b[search..])
                    .ok_or(MultipartError::Unterminated)?;
                let cand = search + off;
                if cand > 0 && b[cand - 1] == b'\n' {
                    break cand;
                }
                if cand == start {
                    break cand;
                }
                search = cand + 1;
            };
            let mut end = next;
            if end > start && b[end - 1] == b'\n' {
                end -= 1;
                if end > start && b[end - 1] == b'\r' {
                    end -= 1;
                }
            }
            if parts.len() == MAX_PARTS {
                return Err(MultipartError::TooManyParts);
            }
            parts.push(parse_part(body, start, end)?);
            at = next;
        }
        Ok(Self {
            subtype: content_type.subtype().to_owned(),
            boundary: boundary.into_owned(),
            parts,
        })
    }

    /// The Content-Type to send with [`Multipart::to_bytes`].
    pub fn content_type(&self) -> String {
        format!("multipart/{};boundary=\"{}\"", self.subtype, self.boundary)
    }

    /// Serializes the body (CRLF line breaks, no preamble or epilogue).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for p in &self.parts {
            out.extend_from_slice(b"--");
            out.extend_from_slice(self.boundary.as_bytes());
            out.extend_from_slice(b"\r\n");
            p.headers.write_to(&mut out);
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&p.body);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"--");
        out.extend_from_slice(self.boundary.as_bytes());
        out.extend_from_slice(b"--\r\n");
        out
    }
}

fn parse_part(body: &Bytes, start: usize, end: usize) -> Result<Part, MultipartError> {
    let slice = &body[start..end];
    // A part with no header fields starts with its blank line.
    if slice.starts_with(b"\r\n") || slice.starts_with(b"\n") {
        let skip = if slice[0] == b'\r' { 2 } else { 1 };
        return Ok(Part {
            headers: Headers::new(),
            body: body.slice(start + skip..end),
        });
    }
    let limits = ParseLimits::default();
    let fields = scan_fields(slice, 0, &limits, true, true, 0)
        .map_err(MultipartError::PartHeaders)?
        .ok_or(MultipartError::PartHeaders(ParseError::Truncated))?;
    let text = std::str::from_utf8(&slice[..fields.fields_end])
        .map_err(|_| MultipartError::PartHeaders(ParseError::InvalidUtf8 { line: 0 }))?;
    let headers = Headers::from_parts(text.to_owned(), fields.entries);
    Ok(Part {
        headers,
        body: body.slice(start + fields.end.min(slice.len())..end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut m = Multipart::new("related", "50UBfW7LSCVLtggUPe5z");
        m.parts.push(Part::new(
            "application/rlmi+xml;charset=\"UTF-8\"",
            &b"<list/>"[..],
        ));
        let mut p = Part::new("application/pidf+xml", &b"<presence/>\r\n"[..]);
        p.headers
            .push(HeaderName::ContentId, "<bUZBsM@pres.example.com>");
        m.parts.push(p);
        let bytes = Bytes::from(m.to_bytes());
        let ct = m.content_type();
        let ct = MediaType::parse(&ct).unwrap();
        let back = Multipart::parse(&ct, &bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.parts[1].content_id(), Some("bUZBsM@pres.example.com"));
        assert_eq!(&back.parts[1].body[..], b"<presence/>\r\n");
    }

    #[test]
    fn errors() {
        let ct = MediaType::parse("multipart/mixed;boundary=xyz").unwrap();
        assert_eq!(
            Multipart::parse(&ct, &Bytes::from_static(b"no delimiter")),
            Err(MultipartError::NoDelimiter)
        );
        assert_eq!(
            Multipart::parse(
                &ct,
                &Bytes::from_static(b"--xyz\r\nContent-Type: text/plain\r\n\r\nhi")
            ),
            Err(MultipartError::Unterminated)
        );
        let plain = MediaType::parse("text/plain").unwrap();
        assert_eq!(
            Multipart::parse(&plain, &Bytes::new()),
            Err(MultipartError::NotMultipart)
        );
        let nob = MediaType::parse("multipart/mixed").unwrap();
        assert_eq!(
            Multipart::parse(&nob, &Bytes::new()),
            Err(MultipartError::Boundary)
        );
    }
}
