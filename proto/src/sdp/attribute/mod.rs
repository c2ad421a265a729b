//! Attributes `a=` (RFC 4566 §5.13, §6) and their typed forms.
//!
//! Each `a=` line becomes an [`Attribute`]: a typed variant when its name is one this module
//! knows and its value parses, [`Attribute::Other`] when the name is unknown, and
//! [`Attribute::Malformed`] when the name is known but the value does not parse. A malformed
//! attribute never fails the session: a peer's bad `a=crypto` is kept as written, serialized
//! back unchanged, reported by [`Attributes::malformed`], and simply not seen by the typed
//! accessors such as [`Attributes::crypto`].
//!
//! Typed variants serialize to canonical text (single spaces, canonical case for ABNF
//! literals, numbers without leading zeros); an input already in that form is reproduced byte
//! for byte. Unknown and malformed attributes are always reproduced byte for byte.

mod crypto;
mod direction;
mod file;
mod fmtp;
mod ice;
mod list;
mod rtcp;
mod rtpmap;
mod setup;

use std::borrow::Cow;
use std::fmt;

pub use self::crypto::{
    Crypto, CryptoSuite, FecOrder, InlineKey, KeyParam, Lifetime, Mki, SessionParam,
};
pub use self::direction::Direction;
pub use self::file::{FileDate, FileDateKind, FileHash, FileRange, FileSelector};
pub use self::fmtp::Fmtp;
pub use self::ice::{Candidate, CandidateType};
pub use self::list::Attributes;
pub use self::rtcp::Rtcp;
pub use self::rtpmap::Rtpmap;
pub use self::setup::{Setup, TcpConnection};
use super::error::Fault;
use super::text;

/// One `a=` line: `a=<name>` (a property) or `a=<name>:<value>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attribute {
    /// `a=rtpmap` (RFC 4566 §6).
    Rtpmap(Rtpmap),
    /// `a=fmtp` (RFC 4566 §6).
    Fmtp(Fmtp),
    /// `a=rtcp` (RFC 3605).
    Rtcp(Rtcp),
    /// `a=rtcp-mux`: RTP and RTCP share one port (RFC 5761 §5.1.1).
    RtcpMux,
    /// `a=ptime`: packet duration in milliseconds (RFC 4566 §6).
    Ptime(u32),
    /// `a=maxptime`: maximum packet duration in milliseconds (RFC 4566 §6).
    MaxPtime(u32),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive` (RFC 4566 §6).
    Direction(Direction),
    /// `a=crypto` (RFC 4568).
    Crypto(Crypto),
    /// `a=ice-ufrag`: the ICE username fragment (RFC 8839 §5.4).
    IceUfrag(String),
    /// `a=ice-pwd`: the ICE password (RFC 8839 §5.4).
    IcePwd(String),
    /// `a=ice-lite`: the agent is an ICE lite implementation (RFC 8839 §5.3), session level.
    IceLite,
    /// `a=ice-options`: ICE option tags such as `trickle` (RFC 8839 §5.6).
    IceOptions(Vec<String>),
    /// `a=candidate` (RFC 8839 §5.1).
    Candidate(Candidate),
    /// `a=setup` (RFC 4145 §4).
    Setup(Setup),
    /// `a=connection` (RFC 4145 §5).
    Connection(TcpConnection),
    /// `a=path`: the MSRP URIs to reach this endpoint, in order (RFC 4975 §8.2).
    Path(Vec<String>),
    /// `a=accept-types`: media types accepted in MSRP `SEND`, `*` for any (RFC 4975 §8.6).
    AcceptTypes(Vec<String>),
    /// `a=accept-wrapped-types`: media types accepted inside wrappers such as `message/cpim`
    /// (RFC 4975 §8.6).
    AcceptWrappedTypes(Vec<String>),
    /// `a=max-size`: the largest MSRP message accepted, in octets (RFC 4975 §8.6).
    MaxSize(u64),
    /// `a=file-selector` (RFC 5547 §6).
    FileSelector(FileSelector),
    /// `a=file-transfer-id`: identifies one file transfer (RFC 5547 §6).
    FileTransferId(String),
    /// `a=file-disposition`: what to do with the file, such as `render` or `attachment`
    /// (RFC 5547 §6).
    FileDisposition(String),
    /// `a=file-date` (RFC 5547 §6).
    FileDate(FileDate),
    /// `a=file-icon`: a `cid:` URL of an icon for the file (RFC 5547 §6).
    FileIcon(String),
    /// `a=file-range` (RFC 5547 §6).
    FileRange(FileRange),
    /// `a=rfbsetup`: desktop sharing (VNC over MSRP) role; the value is kept as written.
    Rfbsetup(String),
    /// An attribute this module does not know, kept as written.
    Other(RawAttribute),
    /// An attribute with a known name whose value does not parse, kept as written with the
    /// reason.
    Malformed(MalformedAttribute),
}

/// An attribute as text: the name and, unless it is a property, the value after the first
/// `:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RawAttribute {
    /// The attribute name.
    pub name: String,
    /// The value, `None` for a property attribute (`a=name`), `Some("")` for `a=name:`.
    pub value: Option<String>,
}

impl RawAttribute {
    /// An attribute from its name and value.
    #[must_use]
    pub fn new(name: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        Self {
            name: name.into(),
            value: value.map(Into::into),
        }
    }
}

/// An attribute whose name is known but whose value did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MalformedAttribute {
    /// The attribute as written.
    pub raw: RawAttribute,
    /// Why its value did not parse.
    pub error: Fault,
}

impl Attribute {
    /// Reads the text after `a=`: the name up to the first `:` and the value after it.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((name, value)) => Self::from_parts(name, Some(value)),
            None => Self::from_parts(text, None),
        }
    }

    /// Classifies an attribute given by name and value: typed, [`Other`](Self::Other) or
    /// [`Malformed`](Self::Malformed). Names are compared case-sensitively.
    #[must_use]
    pub fn from_parts(name: &str, value: Option<&str>) -> Self {
        match decode(name, value) {
            Ok(Some(attribute)) => attribute,
            Ok(None) => Self::Other(RawAttribute::new(name, value)),
            Err(error) => Self::Malformed(MalformedAttribute {
                raw: RawAttribute::new(name, value),
                error,
            }),
        }
    }

    /// An attribute of any name kept as text, without classifying it. Use it for names this
    /// module does not know; a known name given this way is classified when parsed back.
    #[must_use]
    pub fn other(name: impl Into<String>, value: Option<impl Into<String>>) -> Self {
        Self::Other(RawAttribute::new(name, value))
    }

    /// The attribute name.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::Rtpmap(_) => "rtpmap",
            Self::Fmtp(_) => "fmtp",
            Self::Rtcp(_) => "rtcp",
            Self::RtcpMux => "rtcp-mux",
            Self::Ptime(_) => "ptime",
            Self::MaxPtime(_) => "maxptime",
            Self::Direction(d) => d.as_str(),
            Self::Crypto(_) => "crypto",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::IceLite => "ice-lite",
            Self::IceOptions(_) => "ice-options",
            Self::Candidate(_) => "candidate",
            Self::Setup(_) => "setup",
            Self::Connection(_) => "connection",
            Self::Path(_) => "path",
            Self::AcceptTypes(_) => "accept-types",
            Self::AcceptWrappedTypes(_) => "accept-wrapped-types",
            Self::MaxSize(_) => "max-size",
            Self::FileSelector(_) => "file-selector",
            Self::FileTransferId(_) => "file-transfer-id",
            Self::FileDisposition(_) => "file-disposition",
            Self::FileDate(_) => "file-date",
            Self::FileIcon(_) => "file-icon",
            Self::FileRange(_) => "file-range",
            Self::Rfbsetup(_) => "rfbsetup",
            Self::Other(raw) | Self::Malformed(MalformedAttribute { raw, .. }) => &raw.name,
        }
    }

    /// The value text, `None` for a property attribute. Typed attributes give their canonical
    /// text; unknown and malformed ones their text as written.
    #[must_use]
    pub fn value(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::RtcpMux | Self::IceLite | Self::Direction(_) => None,
            Self::FileSelector(s) if s.as_str().is_empty() => None,
            Self::Other(raw) | Self::Malformed(MalformedAttribute { raw, .. }) => {
                raw.value.as_deref().map(Cow::Borrowed)
            }
            Self::IceUfrag(s)
            | Self::IcePwd(s)
            | Self::FileTransferId(s)
            | Self::FileDisposition(s)
            | Self::FileIcon(s)
            | Self::Rfbsetup(s) => Some(Cow::Borrowed(s)),
            Self::FileSelector(s) => Some(Cow::Borrowed(s.as_str())),
            other => Some(Cow::Owned(ValueText(other).to_string())),
        }
    }

    /// The reason, for a known attribute whose value did not parse.
    #[must_use]
    pub fn malformed(&self) -> Option<&Fault> {
        match self {
            Self::Malformed(m) => Some(&m.error),
            _ => None,
        }
    }
}

/// The value text of a typed attribute (empty for properties).
struct ValueText<'a>(&'a Attribute);

impl fmt::Display for ValueText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list(f: &mut fmt::Formatter<'_>, items: &[String]) -> fmt::Result {
            f.write_str(&items.join(" "))
        }
        match self.0 {
            Attribute::Rtpmap(v) => v.fmt(f),
            Attribute::Fmtp(v) => v.fmt(f),
            Attribute::Rtcp(v) => v.fmt(f),
            Attribute::Ptime(v) | Attribute::MaxPtime(v) => v.fmt(f),
            Attribute::Crypto(v) => v.fmt(f),
            Attribute::IceOptions(v)
            | Attribute::Path(v)
            | Attribute::AcceptTypes(v)
            | Attribute::AcceptWrappedTypes(v) => list(f, v),
            Attribute::Candidate(v) => v.fmt(f),
            Attribute::Setup(v) => v.fmt(f),
            Attribute::Connection(v) => v.fmt(f),
            Attribute::MaxSize(v) => v.fmt(f),
            Attribute::FileSelector(v) => v.fmt(f),
            Attribute::FileDate(v) => v.fmt(f),
            Attribute::FileRange(v) => v.fmt(f),
            Attribute::IceUfrag(s)
            | Attribute::IcePwd(s)
            | Attribute::FileTransferId(s)
            | Attribute::FileDisposition(s)
            | Attribute::FileIcon(s)
            | Attribute::Rfbsetup(s) => f.write_str(s),
            Attribute::Other(raw) | Attribute::Malformed(MalformedAttribute { raw, .. }) => {
                f.write_str(raw.value.as_deref().unwrap_or_default())
            }
            Attribute::RtcpMux | Attribute::IceLite | Attribute::Direction(_) => Ok(()),
        }
    }
}

/// The text after `a=`: `name` or `name:value`.
impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        let has_value = match self {
            Self::RtcpMux | Self::IceLite | Self::Direction(_) => false,
            Self::FileSelector(s) => !s.as_str().is_empty(),
            Self::Other(raw) | Self::Malformed(MalformedAttribute { raw, .. }) => {
                raw.value.is_some()
            }
            _ => true,
        };
        if has_value {
            write!(f, ":{}", ValueText(self))?;
        }
        Ok(())
    }
}

/// Decodes a known attribute: `Ok(None)` for an unknown name, `Err` for a bad value.
fn decode(name: &str, value: Option<&str>) -> Result<Option<Attribute>, Fault> {
    let property = |attribute| match value {
        None => Ok(Some(attribute)),
        Some(_) => Err(Fault::UnexpectedValue),
    };
    if let Some(direction) = Direction::from_name(name) {
        return property(Attribute::Direction(direction));
    }
    match name {
        "rtcp-mux" => return property(Attribute::RtcpMux),
        "ice-lite" => return property(Attribute::IceLite),
        // RFC 5547 §6: the selector list is optional.
        "file-selector" => {
            return value
                .unwrap_or_default()
                .parse()
                .map(|s| Some(Attribute::FileSelector(s)))
        }
        _ => {}
    }
    let known = matches!(
        name,
        "rtpmap"
            | "fmtp"
            | "rtcp"
            | "ptime"
            | "maxptime"
            | "crypto"
            | "ice-ufrag"
            | "ice-pwd"
            | "ice-options"
            | "candidate"
            | "setup"
            | "connection"
            | "path"
            | "accept-types"
            | "accept-wrapped-types"
            | "max-size"
            | "file-transfer-id"
            | "file-disposition"
            | "file-date"
            | "file-icon"
            | "file-range"
            | "rfbsetup"
    );
    if !known {
        return Ok(None);
    }
    let v = value.ok_or(Fault::MissingValue)?;
    let attribute = match name {
        "rtpmap" => Attribute::Rtpmap(v.parse()?),
        "fmtp" => Attribute::Fmtp(v.parse()?),
        "rtcp" => Attribute::Rtcp(v.parse()?),
        "ptime" => Attribute::Ptime(text::parse_u32(v.trim(), "ptime")?),
        "maxptime" => Attribute::MaxPtime(text::parse_u32(v.trim(), "maxptime")?),
        "crypto" => Attribute::Crypto(v.parse()?),
        "ice-ufrag" => Attribute::IceUfrag(ice::parse_credential(v, "ice-ufrag")?),
        "ice-pwd" => Attribute::IcePwd(ice::parse_credential(v, "ice-pwd")?),
        "ice-options" => Attribute::IceOptions(text::token_list(v, "ice-option")?),
        "candidate" => Attribute::Candidate(v.parse()?),
        "setup" => Attribute::Setup(v.parse()?),
        "connection" => Attribute::Connection(v.parse()?),
        "path" => Attribute::Path(text::token_list(v, "MSRP URI")?),
        "accept-types" => Attribute::AcceptTypes(text::token_list(v, "media type")?),
        "accept-wrapped-types" => Attribute::AcceptWrappedTypes(text::token_list(v, "media type")?),
        "max-size" => Attribute::MaxSize(text::parse_u64(v.trim(), "max-size")?),
        "file-transfer-id" => Attribute::FileTransferId(text::single_token(v, "file-transfer-id")?),
        "file-disposition" => {
            Attribute::FileDisposition(text::single_token(v, "file-disposition")?)
        }
        "file-date" => Attribute::FileDate(v.parse()?),
        "file-icon" => Attribute::FileIcon(text::single_token(v, "file-icon")?),
        "file-range" => Attribute::FileRange(v.parse()?),
        _ => Attribute::Rfbsetup(v.to_owned()),
    };
    Ok(Some(attribute))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_attributes_keep_their_form() {
        for text in [
            "foo",
            "foo:",
            "foo:bar",
            "foo:bar:baz",
            "X-nat:0",
            "foo: spaced ",
        ] {
            let a = Attribute::parse(text);
            assert!(matches!(a, Attribute::Other(_)), "{text}");
            assert_eq!(a.to_string(), text);
        }
        assert_eq!(Attribute::parse("foo").value(), None);
        assert_eq!(Attribute::parse("foo:").value().as_deref(), Some(""));
        assert_eq!(Attribute::parse("foo:a:b").value().as_deref(), Some("a:b"));
    }

    #[test]
    fn bad_known_attributes_are_malformed_not_errors() {
        let cases = [
            (
                "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:!!!",
                Fault::Invalid("key||salt"),
            ),
            ("rtcp-mux:1", Fault::UnexpectedValue),
            ("sendonly:", Fault::UnexpectedValue),
            ("ptime", Fault::MissingValue),
            ("ptime:20.5", Fault::Invalid("ptime")),
            ("ice-ufrag:a_b", Fault::Invalid("ice-ufrag")),
            ("path:", Fault::Missing("MSRP URI")),
            (
                "max-size:99999999999999999999",
                Fault::OutOfRange("max-size"),
            ),
            ("rfbsetup", Fault::MissingValue),
        ];
        for (text, fault) in cases {
            let a = Attribute::parse(text);
            assert_eq!(a.malformed(), Some(&fault), "{text}");
            assert_eq!(a.to_string(), text);
        }
    }

    #[test]
    fn typed_attributes_print_canonically() {
        let cases = [
            ("rtpmap:0  PCMU/8000", "rtpmap:0 PCMU/8000"),
            ("ptime:020", "ptime:20"),
            ("setup:ACTPASS", "setup:actpass"),
            (
                "accept-types:text/plain  message/cpim",
                "accept-types:text/plain message/cpim",
            ),
            ("file-selector:", "file-selector"),
            ("sendrecv", "sendrecv"),
            ("rfbsetup: keep this ", "rfbsetup: keep this "),
        ];
        for (input, canonical) in cases {
            let a = Attribute::parse(input);
            assert_eq!(a.malformed(), None, "{input}");
            assert_eq!(a.to_string(), canonical);
            assert_eq!(Attribute::parse(canonical), a);
        }
        assert_eq!(Attribute::parse("ptime:20").value().as_deref(), Some("20"));
        assert_eq!(Attribute::Direction(Direction::SendOnly).name(), "sendonly");
    }
}
