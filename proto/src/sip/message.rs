//! SIP requests and responses (RFC 3261 §7).

use std::fmt;

use bytes::Bytes;

use super::error::ParseError;
use super::headers::{
    CallId, Contact, ContentLength, ContentType, Cseq, FromHeader, Header, HeaderName, Headers,
    MaxForwards, ToHeader, Via,
};
use super::method::{Method, StatusCode};
use super::parse::{build, scan_head, ParseLimits, Scan};
use super::uri::Uri;

/// The SIP version of a start line; every message this crate builds is SIP/2.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u8,
    /// Minor number.
    pub minor: u8,
}

impl Version {
    /// SIP/2.0.
    pub const SIP_2_0: Self = Self { major: 2, minor: 0 };
}

impl Default for Version {
    fn default() -> Self {
        Self::SIP_2_0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/{}.{}", self.major, self.minor)
    }
}

/// A SIP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    method: Method,
    uri: Uri<'static>,
    version: Version,
    headers: Headers,
    body: Bytes,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    version: Version,
    status: StatusCode,
    reason: String,
    headers: Headers,
    body: Bytes,
}

/// A SIP message: a request or a response.
///
/// [`Message::parse`] frames a datagram; [`Framer`](super::Framer) frames a byte stream.
/// Parsing checks the start line, the header lines and the Content-Length; typed headers are
/// decoded on demand and [`Message::validate`] checks what RFC 3261 requires of every message
/// before a UA acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl Message {
    /// Parses one message from a datagram: the body is Content-Length bytes (trailing bytes
    /// are ignored, RFC 4475 `dblreq`) or, without Content-Length, the rest of the datagram.
    pub fn parse(buf: &[u8]) -> Result<Self, ParseError> {
        Self::parse_with(buf, &ParseLimits::default())
    }

    /// [`Message::parse`] with explicit limits.
    pub fn parse_with(buf: &[u8], limits: &ParseLimits) -> Result<Self, ParseError> {
        if buf.len() > limits.max_size {
            return Err(ParseError::TooLarge {
                size: buf.len(),
                limit: limits.max_size,
            });
        }
        match scan_head(buf, limits, true)? {
            Scan::Complete(head) => {
                let body = Bytes::copy_from_slice(&buf[head.end.min(buf.len())..]);
                build(buf, head, body, true)
            }
            Scan::Partial => Err(ParseError::Truncated),
        }
    }

    /// Parses a datagram held in `Bytes`; the body shares its storage instead of being copied.
    pub fn parse_bytes(buf: Bytes) -> Result<Self, ParseError> {
        let limits = ParseLimits::default();
        if buf.len() > limits.max_size {
            return Err(ParseError::TooLarge {
                size: buf.len(),
                limit: limits.max_size,
            });
        }
        match scan_head(&buf, &limits, true)? {
            Scan::Complete(head) => {
                let body = buf.slice(head.end.min(buf.len())..);
                build(&buf, head, body, true)
            }
            Scan::Partial => Err(ParseError::Truncated),
        }
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        match self {
            Self::Request(r) => &r.headers,
            Self::Response(r) => &r.headers,
        }
    }

    /// The header fields, for changing.
    pub fn headers_mut(&mut self) -> &mut Headers {
        match self {
            Self::Request(r) => &mut r.headers,
            Self::Response(r) => &mut r.headers,
        }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        match self {
            Self::Request(r) => &r.body,
            Self::Response(r) => &r.body,
        }
    }

    /// The request, if this is one.
    pub fn as_request(&self) -> Option<&Request> {
        match self {
            Self::Request(r) => Some(r),
            Self::Response(_) => None,
        }
    }

    /// The response, if this is one.
    pub fn as_response(&self) -> Option<&Response> {
        match self {
            Self::Response(r) => Some(r),
            Self::Request(_) => None,
        }
    }

    /// `true` for a request.
    pub fn is_request(&self) -> bool {
        matches!(self, Self::Request(_))
    }

    /// The SIP version of the start line.
    pub fn version(&self) -> Version {
        match self {
            Self::Request(r) => r.version,
            Self::Response(r) => r.version,
        }
    }

    /// Serializes the message.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Request(r) => r.to_bytes(),
            Self::Response(r) => r.to_bytes(),
        }
    }

    /// The length of the serialized message in bytes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::Request(r) => r.encoded_len(),
            // "SIP/2.0 200 " + reason + CRLF, the fields, CRLF, the body.
            Self::Response(r) => {
                12 + r.reason().len() + 2 + r.headers().encoded_len() + 2 + r.body().len()
            }
        }
    }

    /// Appends the serialized message to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Self::Request(r) => r.write_to(out),
            Self::Response(r) => r.write_to(out),
        }
    }

    /// All Via values, top first.
    pub fn via(&self) -> impl Iterator<Item = Result<Via<'_>, ParseError>> {
        self.headers().typed::<Via<'_>>()
    }

    /// The top Via.
    pub fn top_via(&self) -> Result<Via<'_>, ParseError> {
        self.headers()
            .first::<Via<'_>>()
            .unwrap_or(Err(ParseError::MissingHeader { name: "Via" }))
    }

    /// The From header.
    pub fn from(&self) -> Result<FromHeader<'_>, ParseError> {
        self.headers().single::<FromHeader<'_>>()
    }

    /// The To header.
    pub fn to(&self) -> Result<ToHeader<'_>, ParseError> {
        self.headers().single::<ToHeader<'_>>()
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Result<CallId<'_>, ParseError> {
        self.headers().single::<CallId<'_>>()
    }

    /// The CSeq.
    pub fn cseq(&self) -> Result<Cseq, ParseError> {
        self.headers().single::<Cseq>()
    }

    /// All Contact values.
    pub fn contact(&self) -> impl Iterator<Item = Result<Contact<'_>, ParseError>> {
        self.headers().typed::<Contact<'_>>()
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Option<Result<MaxForwards, ParseError>> {
        optional_single(self.headers())
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Option<Result<ContentType<'_>, ParseError>> {
        optional_single(self.headers())
    }

    /// Checks what RFC 3261 §8.1.1 and §8.2 require before a UA acts on a message: version
    /// 2.0; Via, From, To, Call-ID and CSeq present, single where they must be, and well
    /// formed; Max-Forwards, Contact and Content-Type well formed when present; and, for a
    /// request, no headers in the Request-URI and a CSeq method equal to the request method. The error says what to put in the
    /// reason phrase of the 400 (or 505) a UAS answers.
    pub fn validate(&self) -> Result<(), ParseError> {
        let version = self.version();
        if version != Version::SIP_2_0 {
            return Err(ParseError::UnsupportedVersion {
                major: version.major,
                minor: version.minor,
            });
        }
        let h = self.headers();
        let mut vias = 0;
        for v in self.via() {
            v?;
            vias += 1;
        }
        if vias == 0 {
            return Err(ParseError::MissingHeader { name: "Via" });
        }
        self.from()?;
        self.to()?;
        self.call_id()?;
        let cseq = self.cseq()?;
        if let Some(mf) = self.max_forwards() {
            mf?;
        }
        for c in self.contact() {
            c?;
        }
        if let Some(ct) = self.content_type() {
            ct?;
        }
        if let Some(cl) = optional_single::<ContentLength>(h) {
            cl?;
        }
        if let Self::Request(r) = self {
            if r.uri.headers_str().is_some() {
                return Err(ParseError::RequestUri(
                    super::error::UriError::HeadersNotAllowed,
                ));
            }
            if cseq.method != r.method {
                return Err(ParseError::CseqMethodMismatch);
            }
        }
        Ok(())
    }
}

fn optional_single<'a, T: Header<'a>>(h: &'a Headers) -> Option<Result<T, ParseError>> {
    if !h.contains(T::NAME) {
        return None;
    }
    Some(h.single::<T>())
}

impl From<Request> for Message {
    fn from(r: Request) -> Self {
        Self::Request(r)
    }
}

impl From<Response> for Message {
    fn from(r: Response) -> Self {
        Self::Response(r)
    }
}

impl fmt::Display for Message {
    /// The serialized message; a body that is not UTF-8 is shown lossily.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl Request {
    pub(crate) fn from_parts(
        method: Method,
        uri: Uri<'static>,
        version: Version,
        headers: Headers,
        body: Bytes,
    ) -> Self {
        Self {
            method,
            uri,
            version,
            headers,
            body,
        }
    }

    /// A request with no headers and no body; see [`RequestBuilder`](super::RequestBuilder)
    /// for a complete one.
    pub fn new(method: Method, uri: Uri<'static>) -> Self {
        Self::from_parts(method, uri, Version::SIP_2_0, Headers::new(), Bytes::new())
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The Request-URI.
    pub fn uri(&self) -> &Uri<'static> {
        &self.uri
    }

    /// Replaces the Request-URI.
    pub fn set_uri(&mut self, uri: Uri<'static>) {
        self.uri = uri;
    }

    /// The SIP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, for changing.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and sets Content-Length (and Content-Type when given).
    pub fn set_body(&mut self, content_type: Option<&str>, body: Bytes) {
        set_body(&mut self.headers, &mut self.body, content_type, body);
    }

    /// Serializes the request.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.write_to(&mut out);
        out
    }

    pub(crate) fn encoded_len(&self) -> usize {
        // Method, SP, URI, SP, "SIP/2.0", CRLF.
        self.method.as_str().len()
            + self.uri.as_str().len()
            + 11
            + self.headers.encoded_len()
            + 2
            + self.body.len()
    }

    /// Appends the serialized request to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.uri.as_str().as_bytes());
        out.push(b' ');
        write_version(out, self.version);
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

impl Response {
    pub(crate) fn from_parts(
        version: Version,
        status: StatusCode,
        reason: String,
        headers: Headers,
        body: Bytes,
    ) -> Self {
        Self {
            version,
            status,
            reason,
            headers,
            body,
        }
    }

    /// A response with the canonical reason phrase, no headers and no body; see
    /// [`Response::for_request`] for one that answers a request.
    pub fn new(status: StatusCode) -> Self {
        Self::from_parts(
            Version::SIP_2_0,
            status,
            status.canonical_reason().to_owned(),
            Headers::new(),
            Bytes::new(),
        )
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The reason phrase as received or set.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Replaces the reason phrase; CR and LF are replaced by spaces.
    pub fn set_reason(&mut self, reason: &str) {
        self.reason = reason.replace(['\r', '\n'], " ");
    }

    /// The SIP version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The header fields.
    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The header fields, for changing.
    pub fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Replaces the body and sets Content-Length (and Content-Type when given).
    pub fn set_body(&mut self, content_type: Option<&str>, body: Bytes) {
        set_body(&mut self.headers, &mut self.body, content_type, body);
    }

    /// Serializes the response.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.reason.len() + 16 + self.headers.encoded_len() + 2 + self.body.len(),
        );
        self.write_to(&mut out);
        out
    }

    /// Appends the serialized response to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        write_version(out, self.version);
        out.push(b' ');
        let code = self.status.code();
        out.extend_from_slice(&[
            b'0' + (code / 100) as u8,
            b'0' + (code / 10 % 10) as u8,
            b'0' + (code % 10) as u8,
            b' ',
        ]);
        out.extend_from_slice(self.reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }
}

fn write_version(out: &mut Vec<u8>, v: Version) {
    if v == Version::SIP_2_0 {
        out.extend_from_slice(b"SIP/2.0");
    } else {
        out.extend_from_slice(v.to_string().as_bytes());
    }
}

fn set_body(headers: &mut Headers, slot: &mut Bytes, content_type: Option<&str>, body: Bytes) {
    if let Some(ct) = content_type {
        headers.set(HeaderName::ContentType, ct);
    } else if body.is_empty() {
        headers.remove(HeaderName::ContentType);
    }
    headers.set(HeaderName::ContentLength, &body.len().to_string());
    *slot = body;
}

#[cfg(test)]
mod encoded_len_tests {
    use super::Message;

    #[test]
    fn encoded_len_is_the_serialized_length() {
        for text in [
            &b"OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 2\r\n\r\nhi"[..],
            &b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nContent-Length: 0\r\n\r\n"[..],
        ] {
            let m = Message::parse(text).unwrap();
            assert_eq!(m.encoded_len(), m.to_bytes().len());
        }
    }
}
