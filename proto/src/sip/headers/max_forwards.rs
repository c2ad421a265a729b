//! Max-Forwards (RFC 3261 §20.22).

use super::HeaderName;

integer_header!(
    /// Max-Forwards: how many more hops the request may take (0..=255).
    MaxForwards,
    HeaderName::MaxForwards,
    u8
);
