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
        let (Some(&first), Some(&last)) = (name.first(), name.last()) else {
            return Self::Other;
        };
        // Dispatch on length, first and last letter (and one more where that is not
        // enough), then confirm with one case-insensitive comparison. `| 0x20` lowercases
        // ASCII letters; a non-letter that it maps onto a letter or `-` only picks the
        // candidate, which the comparison then refuses.
        let (kind, lower): (Self, &[u8]) = match (name.len(), first | 0x20, last | 0x20) {
            (2, b't', b'o') => (Self::To, b"to"),
            (3, b'v', b'a') => (Self::Via, b"via"),
            (4, b'c', b'q') => (Self::CSeq, b"cseq"),
            (4, b'd', b'e') => (Self::Date, b"date"),
            (4, b'f', b'm') => (Self::From, b"from"),
            (4, b'p', b'h') => (Self::Path, b"path"),
            (4, b'r', b'k') => (Self::RAck, b"rack"),
            (4, b'r', b'q') => (Self::RSeq, b"rseq"),
            (5, b'a', b'w') => (Self::Allow, b"allow"),
            (5, b'e', b't') => (Self::Event, b"event"),
            (5, b'r', b'e') => (Self::Route, b"route"),
            (6, b'a', b't') => (Self::Accept, b"accept"),
            (6, b'm', b'e') => (Self::MinSe, b"min-se"),
            (6, b'r', b'n') => (Self::Reason, b"reason"),
            (6, b's', b'r') => (Self::Server, b"server"),
            (7, b'c', b'd') => (Self::CallId, b"call-id"),
            (7, b'c', b't') => (Self::Contact, b"contact"),
            (7, b'e', b's') => (Self::Expires, b"expires"),
            (7, b'p', b'y') => (Self::Privacy, b"privacy"),
            (7, b'r', b'e') => (Self::Require, b"require"),
            (7, b's', b't') => (Self::Subject, b"subject"),
            (7, b'w', b'g') => (Self::Warning, b"warning"),
            (8, b'i', b'y') => (Self::Identity, b"identity"),
            (8, b'p', b'y') => (Self::Priority, b"priority"),
            (8, b'r', b'o') => match name[2] | 0x20 {
                b'f' => (Self::ReferTo, b"refer-to"),
                b'p' => (Self::ReplyTo, b"reply-to"),
                _ => return Self::Other,
            },
            (8, b'r', b's') => (Self::Replaces, b"replaces"),
            (8, b's', b'g') => (Self::SipETag, b"sip-etag"),
            (9, b'c', b'o') => (Self::CallInfo, b"call-info"),
            (9, b'r', b'b') => (Self::ReferSub, b"refer-sub"),
            (9, b's', b'd') => (Self::Supported, b"supported"),
            (9, b't', b'p') => (Self::Timestamp, b"timestamp"),
            (10, b'a', b'o') => (Self::AlertInfo, b"alert-info"),
            (10, b'c', b'd') => (Self::ContentId, b"content-id"),
            (10, b'e', b'o') => (Self::ErrorInfo, b"error-info"),
            (10, b'u', b't') => (Self::UserAgent, b"user-agent"),
            (11, b'i', b'o') => (Self::InReplyTo, b"in-reply-to"),
            (11, b'm', b's') => (Self::MinExpires, b"min-expires"),
            (11, b'r', b'r') => (Self::RetryAfter, b"retry-after"),
            (11, b'r', b'y') => (Self::ReferredBy, b"referred-by"),
            (11, b'u', b'd') => (Self::Unsupported, b"unsupported"),
            (12, b'a', b's') => (Self::AllowEvents, b"allow-events"),
            (12, b'c', b'e') => (Self::ContentType, b"content-type"),
            (12, b'm', b'n') => (Self::MimeVersion, b"mime-version"),
            (12, b'm', b's') => (Self::MaxForwards, b"max-forwards"),
            (12, b'o', b'n') => (Self::Organization, b"organization"),
            (12, b'r', b'e') => (Self::RecordRoute, b"record-route"),
            (12, b's', b'h') => (Self::SipIfMatch, b"sip-if-match"),
            (13, b'a', b'n') => (Self::Authorization, b"authorization"),
            (13, b'p', b'e') => (Self::ProxyRequire, b"proxy-require"),
            (13, b's', b'e') => (Self::ServiceRoute, b"service-route"),
            (14, b'a', b't') => (Self::AcceptContact, b"accept-contact"),
            (14, b'c', b'h') => (Self::ContentLength, b"content-length"),
            (14, b'r', b't') => (Self::RejectContact, b"reject-contact"),
            (15, b'a', b'e') => (Self::AcceptLanguage, b"accept-language"),
            (15, b'a', b'g') => (Self::AcceptEncoding, b"accept-encoding"),
            (15, b's', b's') => (Self::SessionExpires, b"session-expires"),
            (16, b'c', b'e') => (Self::ContentLanguage, b"content-language"),
            (16, b'c', b'g') => (Self::ContentEncoding, b"content-encoding"),
            (16, b'w', b'e') => (Self::WwwAuthenticate, b"www-authenticate"),
            (18, b'p', b'e') => (Self::ProxyAuthenticate, b"proxy-authenticate"),
            (18, b's', b'e') => (Self::SubscriptionState, b"subscription-state"),
            (19, b'a', b'o') => (Self::AuthenticationInfo, b"authentication-info"),
            (19, b'c', b'n') => (Self::ContentDisposition, b"content-disposition"),
            (19, b'p', b'n') => (Self::ProxyAuthorization, b"proxy-authorization"),
            (19, b'p', b'y') => (Self::PAssertedIdentity, b"p-asserted-identity"),
            (19, b'r', b'n') => (Self::RequestDisposition, b"request-disposition"),
            (20, b'p', b'y') => (Self::PPreferredIdentity, b"p-preferred-identity"),
            (25, b'c', b'g') => (Self::ContentTransferEncoding, b"content-transfer-encoding"),
            _ => return Self::Other,
        };
        let diff = name
            .iter()
            .zip(lower)
            .fold(0u8, |acc, (&a, &b)| acc | (a.to_ascii_lowercase() ^ b));
        if diff == 0 {
            return kind;
        }
        Self::Other
    }
}
