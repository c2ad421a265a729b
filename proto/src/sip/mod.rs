//! SIP messages (RFC 3261 §7, §20, §25).
//!
//! - [`Message`] parses a datagram ([`Message::parse`]) and serializes
//!   ([`Message::to_bytes`]); [`Framer`] cuts a TCP/TLS byte stream into messages.
//! - [`Headers`](headers::Headers) keeps every header field's exact text; typed headers in
//!   [`headers`] decode on demand and borrow from it.
//! - [`Uri`], [`NameAddr`] and [`Address`] are the addressing types; [`Params`] the header
//!   parameters.
//! - [`RequestBuilder`] and [`Response::for_request`] build messages; [`multipart`] handles
//!   multipart bodies.
//!
//! ```
//! use sipsimple_proto::sip::Message;
//!
//! let bytes = b"SIP/2.0 200 OK\r\n\
//!     Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds\r\n\
//!     To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n\
//!     From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
//!     Call-ID: a84b4c76e66710\r\n\
//!     CSeq: 314159 INVITE\r\n\
//!     Content-Length: 0\r\n\r\n";
//! let msg = Message::parse(bytes).unwrap();
//! msg.validate().unwrap();
//! assert_eq!(msg.to()?.tag(), Some("a6c85cf"));
//! assert_eq!(msg.cseq()?.seq, 314159);
//! assert_eq!(msg.to_bytes(), bytes);
//! # Ok::<(), sipsimple_proto::sip::ParseError>(())
//! ```

pub mod auth;
pub(crate) mod builder;
mod error;
mod framer;
pub mod headers;
mod message;
mod method;
pub mod multipart;
mod name_addr;
mod params;
mod parse;
pub mod text;
mod uri;

pub use self::builder::RequestBuilder;
pub use self::error::{HeaderError, ParseError, UriError};
pub use self::framer::{Frame, Framer, FramerError};
pub use self::message::{Message, Request, Response, Version};
pub use self::method::{ExtensionMethod, Method, StatusCode};
pub use self::name_addr::{Address, NameAddr};
pub use self::params::{Param, ParamIter, Params};
pub(crate) use self::parse::parse_fragment;
pub use self::parse::ParseLimits;
pub use self::uri::{Host, Scheme, Uri};
