//! Content-Length (RFC 3261 §20.14).

use super::HeaderName;

integer_header!(
    /// Content-Length: the size of the body in bytes. The parser also frames by it.
    ContentLength,
    HeaderName::ContentLength,
    u32
);
