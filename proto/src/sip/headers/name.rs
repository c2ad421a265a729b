//! Header names.

// Generated table of the header names this crate knows; keep sorted by canonical name.
/// The name of a header field: one of the names this crate knows (matched case-insensitively,
/// compact forms included) or [`HeaderName::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Accept`.
    Accept,
    /// `Accept-Contact` (compact form `a`).
    AcceptContact,
    /// `Accept-Encoding`.
    AcceptEncoding,
    /// `Accept-Language`.
    AcceptLanguage,
    /// `Alert-Info`.
    AlertInfo,
    /// `Allow`.
    Allow,
    /// `Allow-Events` (compact form `u`).
    AllowEvents,
    /// `Authentication-Info`.
    AuthenticationInfo,
    /// `Authorization`.
    Authorization,
    /// `Call-ID` (compact form `i`).
    CallId,
    /// `Call-Info`.
    CallInfo,
    /// `Contact` (compact form `m`).
    Contact,
    /// `Content-Disposition`.
    ContentDisposition,
    /// `Content-Encoding` (compact form `e`).
    ContentEncoding,
    /// `Content-ID`.
    ContentId,
    /// `Content-Language`.
    ContentLanguage,
    /// `Content-Length` (compact form `l`).
    ContentLength,
    /// `Content-Transfer-Encoding`.
    ContentTransferEncoding,
    /// `Content-Type` (compact form `c`).
    ContentType,
    /// `CSeq`.
    CSeq,
    /// `Date`.
    Date,
    /// `Error-Info`.
    ErrorInfo,
    /// `Event` (compact form `o`).
    Event,
    /// `Expires`.
    Expires,
    /// `From` (compact form `f`).
    From,
    /// `Identity` (compact form `y`).
    Identity,
    /// `In-Reply-To`.
    InReplyTo,
    /// `Max-Forwards`.
    MaxForwards,
    /// `MIME-Version`.
    MimeVersion,
    /// `Min-Expires`.
    MinExpires,
    /// `Min-SE`.
    MinSe,
    /// `Organization`.
    Organization,
    /// `P-Asserted-Identity`.
    PAssertedIdentity,
    /// `P-Preferred-Identity`.
    PPreferredIdentity,
    /// `Path`.
    Path,
    /// `Priority`.
    Priority,
    /// `Privacy`.
    Privacy,
    /// `Proxy-Authenticate`.
    ProxyAuthenticate,
    /// `Proxy-Authorization`.
    ProxyAuthorization,
    /// `Proxy-Require`.
    ProxyRequire,
    /// `RAck`.
    RAck,
    /// `Reason`.
    Reason,
    /// `Record-Route`.
    RecordRoute,
    /// `Refer-Sub`.
    ReferSub,
    /// `Refer-To` (compact form `r`).
    ReferTo,
    /// `Referred-By` (compact form `b`).
    ReferredBy,
    /// `Reject-Contact` (compact form `j`).
    RejectContact,
    /// `Replaces`.
    Replaces,
    /// `Reply-To`.
    ReplyTo,
    /// `Request-Disposition` (compact form `d`).
    RequestDisposition,
    /// `Require`.
    Require,
    /// `Retry-After`.
    RetryAfter,
    /// `Route`.
    Route,
    /// `RSeq`.
    RSeq,
    /// `Server`.
    Server,
    /// `Service-Route`.
    ServiceRoute,
    /// `Session-Expires` (compact form `x`).
    SessionExpires,
    /// `SIP-ETag`.
    SipETag,
    /// `SIP-If-Match`.
    SipIfMatch,
    /// `Subject` (compact form `s`).
    Subject,
    /// `Subscription-State`.
    SubscriptionState,
    /// `Supported` (compact form `k`).
    Supported,
    /// `Timestamp`.
    Timestamp,
    /// `To` (compact form `t`).
    To,
    /// `Unsupported`.
    Unsupported,
    /// `User-Agent`.
    UserAgent,
    /// `Via` (compact form `v`).
    Via,
    /// `Warning`.
    Warning,
    /// `WWW-Authenticate`.
    WwwAuthenticate,
    /// A header this crate does not know; its name is kept as written.
    Other,
}

impl HeaderName {
    /// The canonical spelling, or `None` for [`HeaderName::Other`].
    pub const fn canonical(self) -> Option<&'static str> {
        Some(match self {
            Self::Accept => "Accept",
            Self::AcceptContact => "Accept-Contact",
            Self::AcceptEncoding => "Accept-Encoding",
            Self::AcceptLanguage => "Accept-Language",
            Self::AlertInfo => "Alert-Info",
            Self::Allow => "Allow",
            Self::AllowEvents => "Allow-Events",
            Self::AuthenticationInfo => "Authentication-Info",
            Self::Authorization => "Authorization",
            Self::CallId => "Call-ID",
            Self::CallInfo => "Call-Info",
            Self::Contact => "Contact",
            Self::ContentDisposition => "Content-Disposition",
            Self::ContentEncoding => "Content-Encoding",
            Self::ContentId => "Content-ID",
            Self::ContentLanguage => "Content-Language",
            Self::ContentLength => "Content-Length",
            Self::ContentTransferEncoding => "Content-Transfer-Encoding",
            Self::ContentType => "Content-Type",
            Self::CSeq => "CSeq",
            Self::Date => "Date",
            Self::ErrorInfo => "Error-Info",
            Self::Event => "Event",
            Self::Expires => "Expires",
            Self::From => "From",
            Self::Identity => "Identity",
            Self::InReplyTo => "In-Reply-To",
            Self::MaxForwards => "Max-Forwards",
            Self::MimeVersion => "MIME-Version",
            Self::MinExpires => "Min-Expires",
            Self::MinSe => "Min-SE",
            Self::Organization => "Organization",
            Self::PAssertedIdentity => "P-Asserted-Identity",
            Self::PPreferredIdentity => "P-Preferred-Identity",
            Self::Path => "Path",
            Self::Priority => "Priority",
            Self::Privacy => "Privacy",
            Self::ProxyAuthenticate => "Proxy-Authenticate",
            Self::ProxyAuthorization => "Proxy-Authorization",
            Self::ProxyRequire => "Proxy-Require",
            Self::RAck => "RAck",
            Self::Reason => "Reason",
            Self::RecordRoute => "Record-Route",
            Self::ReferSub => "Refer-Sub",
            Self::ReferTo => "Refer-To",
            Self::ReferredBy => "Referred-By",
            Self::RejectContact => "Reject-Contact",
            Self::Replaces => "Replaces",
            Self::ReplyTo => "Reply-To",
            Self::RequestDisposition => "Request-Disposition",
            Self::Require => "Require",
            Self::RetryAfter => "Retry-After",
            Self::Route => "Route",
            Self::RSeq => "RSeq",
            Self::Server => "Server",
            Self::ServiceRoute => "Service-Route",
            Self::SessionExpires => "Session-Expires",
            Self::SipETag => "SIP-ETag",
            Self::SipIfMatch => "SIP-If-Match",
            Self::Subject => "Subject",
            Self::SubscriptionState => "Subscription-State",
            Self::Supported => "Supported",
            Self::Timestamp => "Timestamp",
            Self::To => "To",
            Self::Unsupported => "Unsupported",
            Self::UserAgent => "User-Agent",
            Self::Via => "Via",
            Self::Warning => "Warning",
            Self::WwwAuthenticate => "WWW-Authenticate",
            Self::Other => return None,
        })
    }

    /// The compact form (RFC 3261 §7.3.3 and later extensions), if the header has one.
    pub const fn compact(self) -> Option<char> {
        match self {
            Self::AcceptContact => Some('a'),
            Self::AllowEvents => Some('u'),
            Self::CallId => Some('i'),
            Self::Contact => Some('m'),
            Self::ContentEncoding => Some('e'),
            Self::ContentLength => Some('l'),
            Self::ContentType => Some('c'),
            Self::Event => Some('o'),
            Self::From => Some('f'),
            Self::Identity => Some('y'),
            Self::ReferTo => Some('r'),
            Self::ReferredBy => Some('b'),
            Self::RejectContact => Some('j'),
            Self::RequestDisposition => Some('d'),
            Self::SessionExpires => Some('x'),
            Self::Subject => Some('s'),
            Self::Supported => Some('k'),
            Self::To => Some('t'),
            Self::Via => Some('v'),
            _ => None,
        }
    }

    /// Classifies a header name as written (any case, compact forms included).
    pub fn from_name(name: &[u8]) -> Self {
        if name.len() == 1 {
            return match name[0].to_ascii_lowercase() {
                b'a' => Self::AcceptContact,
                b'u' => Self::AllowEvents,
                b'i' => Self::CallId,
                b'm' => Self::Contact,
                b'e' => Self::ContentEncoding,
                b'l' => Self::ContentLength,
                b'c' => Self::ContentType,
                b'o' => Self::Event,
                b'f' => Self::From,
                b'y' => Self::Identity,
                b'r' => Self::ReferTo,
                b'b' => Self::ReferredBy,
                b'j' => Self::RejectContact,
                b'd' => Self::RequestDisposition,
                b'x' => Self::SessionExpires,
                b's' => Self::Subject,
                b'k' => Self::Supported,
                b't' => Self::To,
                b'v' => Self::Via,
                _ => Self::Other,
            };
        }
        if name.len() < 3 {
            return if name.eq_ignore_ascii_case(b"to") {
                Self::To
            } else {
                Self::Other
            };
        }
        // A perfect hash of the known names (length, first, third and last letter, lowercased)
        // picks the one candidate; one case-insensitive comparison confirms it.
        let lower = |i: usize| usize::from(name[i] | 0x20);
        let slot = ((name.len() * 98)
            ^ (lower(0) * 252)
            ^ (lower(2) * 227)
            ^ (lower(name.len() - 1) * 162))
            & 0xff;
        let (kind, canonical) = NAME_TABLE[slot];
        // Most peers write the canonical spelling, which one word-wise comparison settles.
        if same_bytes(name, canonical) || name.eq_ignore_ascii_case(canonical) {
            return kind;
        }
        Self::Other
    }
}

/// Byte equality of two short slices in two loads a side: the first and last two, four or
/// eight bytes, which overlap and so cover every length up to twice their size (header names
/// are short; this avoids a library call and a loop).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn w2(s: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([s[at], s[at + 1]])
    }
    fn w4(s: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(s[at..at + 4].try_into().expect("a four-byte slice"))
    }
    fn w8(s: &[u8], at: usize) -> u64 {
        u64::from_le_bytes(s[at..at + 8].try_into().expect("an eight-byte slice"))
    }
    match n {
        0 => true,
        1 => a[0] == b[0],
        2..=3 => w2(a, 0) == w2(b, 0) && w2(a, n - 2) == w2(b, n - 2),
        4..=7 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        8..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        _ => a == b,
    }
}

/// The known names (three letters or more) by their hash slot, canonically spelled; see
/// [`HeaderName::from_name`].
static NAME_TABLE: [(HeaderName, &[u8]); 256] = [
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Timestamp, b"Timestamp"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Subject, b"Subject"),
    (HeaderName::Organization, b"Organization"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::AlertInfo, b"Alert-Info"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Allow, b"Allow"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::UserAgent, b"User-Agent"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ProxyAuthenticate, b"Proxy-Authenticate"),
    (HeaderName::ContentDisposition, b"Content-Disposition"),
    (HeaderName::AcceptEncoding, b"Accept-Encoding"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::PPreferredIdentity, b"P-Preferred-Identity"),
    (HeaderName::Other, b""),
    (HeaderName::SipIfMatch, b"SIP-If-Match"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ServiceRoute, b"Service-Route"),
    (HeaderName::Other, b""),
    (HeaderName::ContentLanguage, b"Content-Language"),
    (HeaderName::Other, b""),
    (HeaderName::MinExpires, b"Min-Expires"),
    (HeaderName::Other, b""),
    (HeaderName::Contact, b"Contact"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ReferSub, b"Refer-Sub"),
    (HeaderName::ProxyRequire, b"Proxy-Require"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (
        HeaderName::ContentTransferEncoding,
        b"Content-Transfer-Encoding",
    ),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ReplyTo, b"Reply-To"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Server, b"Server"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Require, b"Require"),
    (HeaderName::Other, b""),
    (HeaderName::Identity, b"Identity"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Expires, b"Expires"),
    (HeaderName::Other, b""),
    (HeaderName::CallId, b"Call-ID"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::SipETag, b"SIP-ETag"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Supported, b"Supported"),
    (HeaderName::Other, b""),
    (HeaderName::MinSe, b"Min-SE"),
    (HeaderName::Event, b"Event"),
    (HeaderName::ContentId, b"Content-ID"),
    (HeaderName::Other, b""),
    (HeaderName::ReferTo, b"Refer-To"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Privacy, b"Privacy"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::WwwAuthenticate, b"WWW-Authenticate"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Via, b"Via"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ContentLength, b"Content-Length"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::From, b"From"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::MaxForwards, b"Max-Forwards"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::AcceptContact, b"Accept-Contact"),
    (HeaderName::Other, b""),
    (HeaderName::RecordRoute, b"Record-Route"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Route, b"Route"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ContentType, b"Content-Type"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ErrorInfo, b"Error-Info"),
    (HeaderName::Accept, b"Accept"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::PAssertedIdentity, b"P-Asserted-Identity"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Unsupported, b"Unsupported"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Warning, b"Warning"),
    (HeaderName::InReplyTo, b"In-Reply-To"),
    (HeaderName::Other, b""),
    (HeaderName::SessionExpires, b"Session-Expires"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::RSeq, b"RSeq"),
    (HeaderName::Replaces, b"Replaces"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Path, b"Path"),
    (HeaderName::Other, b""),
    (HeaderName::Authorization, b"Authorization"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Date, b"Date"),
    (HeaderName::RAck, b"RAck"),
    (HeaderName::Other, b""),
    (HeaderName::RequestDisposition, b"Request-Disposition"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::AuthenticationInfo, b"Authentication-Info"),
    (HeaderName::Priority, b"Priority"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::SubscriptionState, b"Subscription-State"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::AcceptLanguage, b"Accept-Language"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::AllowEvents, b"Allow-Events"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Reason, b"Reason"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::ReferredBy, b"Referred-By"),
    (HeaderName::MimeVersion, b"MIME-Version"),
    (HeaderName::ContentEncoding, b"Content-Encoding"),
    (HeaderName::CSeq, b"CSeq"),
    (HeaderName::RejectContact, b"Reject-Contact"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::RetryAfter, b"Retry-After"),
    (HeaderName::ProxyAuthorization, b"Proxy-Authorization"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::CallInfo, b"Call-Info"),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
    (HeaderName::Other, b""),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_sees_a_difference_at_any_position_of_any_length() {
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "{n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} {at}");
            }
            let mut longer = a.clone();
            longer.push(b'x');
            assert!(!same_bytes(&a, &longer), "{n}");
        }
    }

    #[test]
    fn every_known_name_and_compact_form_is_classified() {
        let mut known = 0;
        for slot in NAME_TABLE.iter().filter(|(k, _)| *k != HeaderName::Other) {
            let (kind, spelled) = *slot;
            let canonical = kind.canonical().expect("known names have a spelling");
            assert_eq!(canonical.as_bytes(), spelled);
            assert_eq!(HeaderName::from_name(spelled), kind);
            assert_eq!(
                HeaderName::from_name(canonical.to_ascii_lowercase().as_bytes()),
                kind
            );
            assert_eq!(
                HeaderName::from_name(canonical.to_ascii_uppercase().as_bytes()),
                kind
            );
            if let Some(c) = kind.compact() {
                assert_eq!(HeaderName::from_name(&[c as u8]), kind);
                assert_eq!(HeaderName::from_name(&[c.to_ascii_uppercase() as u8]), kind);
            }
            known += 1;
        }
        assert_eq!(HeaderName::from_name(b"TO"), HeaderName::To);
        assert_eq!(known + 1, 69, "every known name but To sits in the table");
    }

    #[test]
    fn near_misses_are_other() {
        for n in [
            &b""[..],
            b"Q",
            b"Vi",
            b"Viaa",
            b"Cal-ID",
            b"Call\rID",
            b"Call-IE",
            b"Refer-Tx",
            b"Contac",
            b"C%6Fntact",
            b"Content-Lengthy",
            b"\xff\xff\xff",
        ] {
            assert_eq!(HeaderName::from_name(n), HeaderName::Other, "{n:?}");
        }
    }
}
