//! Bodies carried by SIP requests and responses that are not session descriptions: event
//! package documents and message fragments.
//!
//! - [`conference`]: RFC 4575 conference state (`application/conference-info+xml`), the body
//!   of `conference` event NOTIFYs: parsing, merging partial notifications into a full view
//!   (§4.6) and serializing.
//! - [`sipfrag`]: RFC 3420 message fragments (`message/sipfrag`), the body of REFER
//!   NOTIFYs (RFC 3515 §2.4.5): the status line that reports how the referred request fared.
//!
//! Parsers take the body bytes, never panic and return typed errors; each bounds the input it
//! accepts. The model types own their text: these bodies are small and off the hot path.

pub mod conference;
pub mod sipfrag;
