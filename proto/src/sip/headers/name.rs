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
        // Dispatch on length and first and last letter, then confirm with one comparison.
        match (
            name.len(),
            first.to_ascii_lowercase(),
            last.to_ascii_lowercase(),
        ) {
            (2, b't', b'o') => {
                if name == b"To" || name.eq_ignore_ascii_case(b"To") {
                    return Self::To;
                }
            }
            (3, b'v', b'a') => {
                if name == b"Via" || name.eq_ignore_ascii_case(b"Via") {
                    return Self::Via;
                }
            }
            (4, b'c', b'q') => {
                if name == b"CSeq" || name.eq_ignore_ascii_case(b"CSeq") {
                    return Self::CSeq;
                }
            }
            (4, b'd', b'e') => {
                if name == b"Date" || name.eq_ignore_ascii_case(b"Date") {
                    return Self::Date;
                }
            }
            (4, b'f', b'm') => {
                if name == b"From" || name.eq_ignore_ascii_case(b"From") {
                    return Self::From;
                }
            }
            (4, b'p', b'h') => {
                if name == b"Path" || name.eq_ignore_ascii_case(b"Path") {
                    return Self::Path;
                }
            }
            (4, b'r', b'k') => {
                if name == b"RAck" || name.eq_ignore_ascii_case(b"RAck") {
                    return Self::RAck;
                }
            }
            (4, b'r', b'q') => {
                if name == b"RSeq" || name.eq_ignore_ascii_case(b"RSeq") {
                    return Self::RSeq;
                }
            }
            (5, b'a', b'w') => {
                if name == b"Allow" || name.eq_ignore_ascii_case(b"Allow") {
                    return Self::Allow;
                }
            }
            (5, b'e', b't') => {
                if name == b"Event" || name.eq_ignore_ascii_case(b"Event") {
                    return Self::Event;
                }
            }
            (5, b'r', b'e') => {
                if name == b"Route" || name.eq_ignore_ascii_case(b"Route") {
                    return Self::Route;
                }
            }
            (6, b'a', b't') => {
                if name == b"Accept" || name.eq_ignore_ascii_case(b"Accept") {
                    return Self::Accept;
                }
            }
            (6, b'm', b'e') => {
                if name == b"Min-SE" || name.eq_ignore_ascii_case(b"Min-SE") {
                    return Self::MinSe;
                }
            }
            (6, b'r', b'n') => {
                if name == b"Reason" || name.eq_ignore_ascii_case(b"Reason") {
                    return Self::Reason;
                }
            }
            (6, b's', b'r') => {
                if name == b"Server" || name.eq_ignore_ascii_case(b"Server") {
                    return Self::Server;
                }
            }
            (7, b'c', b'd') => {
                if name == b"Call-ID" || name.eq_ignore_ascii_case(b"Call-ID") {
                    return Self::CallId;
                }
            }
            (7, b'c', b't') => {
                if name == b"Contact" || name.eq_ignore_ascii_case(b"Contact") {
                    return Self::Contact;
                }
            }
            (7, b'e', b's') => {
                if name == b"Expires" || name.eq_ignore_ascii_case(b"Expires") {
                    return Self::Expires;
                }
            }
            (7, b'p', b'y') => {
                if name == b"Privacy" || name.eq_ignore_ascii_case(b"Privacy") {
                    return Self::Privacy;
                }
            }
            (7, b'r', b'e') => {
                if name == b"Require" || name.eq_ignore_ascii_case(b"Require") {
                    return Self::Require;
                }
            }
            (7, b's', b't') => {
                if name == b"Subject" || name.eq_ignore_ascii_case(b"Subject") {
                    return Self::Subject;
                }
            }
            (7, b'w', b'g') => {
                if name == b"Warning" || name.eq_ignore_ascii_case(b"Warning") {
                    return Self::Warning;
                }
            }
            (8, b'i', b'y') => {
                if name == b"Identity" || name.eq_ignore_ascii_case(b"Identity") {
                    return Self::Identity;
                }
            }
            (8, b'p', b'y') => {
                if name == b"Priority" || name.eq_ignore_ascii_case(b"Priority") {
                    return Self::Priority;
                }
            }
            (8, b'r', b'o') => {
                if name == b"Refer-To" || name.eq_ignore_ascii_case(b"Refer-To") {
                    return Self::ReferTo;
                }
                if name == b"Reply-To" || name.eq_ignore_ascii_case(b"Reply-To") {
                    return Self::ReplyTo;
                }
            }
            (8, b'r', b's') => {
                if name == b"Replaces" || name.eq_ignore_ascii_case(b"Replaces") {
                    return Self::Replaces;
                }
            }
            (8, b's', b'g') => {
                if name == b"SIP-ETag" || name.eq_ignore_ascii_case(b"SIP-ETag") {
                    return Self::SipETag;
                }
            }
            (9, b'c', b'o') => {
                if name == b"Call-Info" || name.eq_ignore_ascii_case(b"Call-Info") {
                    return Self::CallInfo;
                }
            }
            (9, b'r', b'b') => {
                if name == b"Refer-Sub" || name.eq_ignore_ascii_case(b"Refer-Sub") {
                    return Self::ReferSub;
                }
            }
            (9, b's', b'd') => {
                if name == b"Supported" || name.eq_ignore_ascii_case(b"Supported") {
                    return Self::Supported;
                }
            }
            (9, b't', b'p') => {
                if name == b"Timestamp" || name.eq_ignore_ascii_case(b"Timestamp") {
                    return Self::Timestamp;
                }
            }
            (10, b'a', b'o') => {
                if name == b"Alert-Info" || name.eq_ignore_ascii_case(b"Alert-Info") {
                    return Self::AlertInfo;
                }
            }
            (10, b'c', b'd') => {
                if name == b"Content-ID" || name.eq_ignore_ascii_case(b"Content-ID") {
                    return Self::ContentId;
                }
            }
            (10, b'e', b'o') => {
                if name == b"Error-Info" || name.eq_ignore_ascii_case(b"Error-Info") {
                    return Self::ErrorInfo;
                }
            }
            (10, b'u', b't') => {
                if name == b"User-Agent" || name.eq_ignore_ascii_case(b"User-Agent") {
                    return Self::UserAgent;
                }
            }
            (11, b'i', b'o') => {
                if name == b"In-Reply-To" || name.eq_ignore_ascii_case(b"In-Reply-To") {
                    return Self::InReplyTo;
                }
            }
            (11, b'm', b's') => {
                if name == b"Min-Expires" || name.eq_ignore_ascii_case(b"Min-Expires") {
                    return Self::MinExpires;
                }
            }
            (11, b'r', b'r') => {
                if name == b"Retry-After" || name.eq_ignore_ascii_case(b"Retry-After") {
                    return Self::RetryAfter;
                }
            }
            (11, b'r', b'y') => {
                if name == b"Referred-By" || name.eq_ignore_ascii_case(b"Referred-By") {
                    return Self::ReferredBy;
                }
            }
            (11, b'u', b'd') => {
                if name == b"Unsupported" || name.eq_ignore_ascii_case(b"Unsupported") {
                    return Self::Unsupported;
                }
            }
            (12, b'a', b's') => {
                if name == b"Allow-Events" || name.eq_ignore_ascii_case(b"Allow-Events") {
                    return Self::AllowEvents;
                }
            }
            (12, b'c', b'e') => {
                if name == b"Content-Type" || name.eq_ignore_ascii_case(b"Content-Type") {
                    return Self::ContentType;
                }
            }
            (12, b'm', b'n') => {
                if name == b"MIME-Version" || name.eq_ignore_ascii_case(b"MIME-Version") {
                    return Self::MimeVersion;
                }
            }
            (12, b'm', b's') => {
                if name == b"Max-Forwards" || name.eq_ignore_ascii_case(b"Max-Forwards") {
                    return Self::MaxForwards;
                }
            }
            (12, b'o', b'n') => {
                if name == b"Organization" || name.eq_ignore_ascii_case(b"Organization") {
                    return Self::Organization;
                }
            }
            (12, b'r', b'e') => {
                if name == b"Record-Route" || name.eq_ignore_ascii_case(b"Record-Route") {
                    return Self::RecordRoute;
                }
            }
            (12, b's', b'h') => {
                if name == b"SIP-If-Match" || name.eq_ignore_ascii_case(b"SIP-If-Match") {
                    return Self::SipIfMatch;
                }
            }
            (13, b'a', b'n') => {
                if name == b"Authorization" || name.eq_ignore_ascii_case(b"Authorization") {
                    return Self::Authorization;
                }
            }
            (13, b'p', b'e') => {
                if name == b"Proxy-Require" || name.eq_ignore_ascii_case(b"Proxy-Require") {
                    return Self::ProxyRequire;
                }
            }
            (13, b's', b'e') => {
                if name == b"Service-Route" || name.eq_ignore_ascii_case(b"Service-Route") {
                    return Self::ServiceRoute;
                }
            }
            (14, b'a', b't') => {
                if name == b"Accept-Contact" || name.eq_ignore_ascii_case(b"Accept-Contact") {
                    return Self::AcceptContact;
                }
            }
            (14, b'c', b'h') => {
                if name == b"Content-Length" || name.eq_ignore_ascii_case(b"Content-Length") {
                    return Self::ContentLength;
                }
            }
            (14, b'r', b't') => {
                if name == b"Reject-Contact" || name.eq_ignore_ascii_case(b"Reject-Contact") {
                    return Self::RejectContact;
                }
            }
            (15, b'a', b'e') => {
                if name == b"Accept-Language" || name.eq_ignore_ascii_case(b"Accept-Language") {
                    return Self::AcceptLanguage;
                }
            }
            (15, b'a', b'g') => {
                if name == b"Accept-Encoding" || name.eq_ignore_ascii_case(b"Accept-Encoding") {
                    return Self::AcceptEncoding;
                }
            }
            (15, b's', b's') => {
                if name == b"Session-Expires" || name.eq_ignore_ascii_case(b"Session-Expires") {
                    return Self::SessionExpires;
                }
            }
            (16, b'c', b'e') => {
                if name == b"Content-Language" || name.eq_ignore_ascii_case(b"Content-Language") {
                    return Self::ContentLanguage;
                }
            }
            (16, b'c', b'g') => {
                if name == b"Content-Encoding" || name.eq_ignore_ascii_case(b"Content-Encoding") {
                    return Self::ContentEncoding;
                }
            }
            (16, b'w', b'e') => {
                if name == b"WWW-Authenticate" || name.eq_ignore_ascii_case(b"WWW-Authenticate") {
                    return Self::WwwAuthenticate;
                }
            }
            (18, b'p', b'e') => {
                if name == b"Proxy-Authenticate" || name.eq_ignore_ascii_case(b"Proxy-Authenticate") {
                    return Self::ProxyAuthenticate;
                }
            }
            (18, b's', b'e') => {
                if name == b"Subscription-State" || name.eq_ignore_ascii_case(b"Subscription-State") {
                    return Self::SubscriptionState;
                }
            }
            (19, b'a', b'o') => {
                if name == b"Authentication-Info" || name.eq_ignore_ascii_case(b"Authentication-Info") {
                    return Self::AuthenticationInfo;
                }
            }
            (19, b'c', b'n') => {
                if name == b"Content-Disposition" || name.eq_ignore_ascii_case(b"Content-Disposition") {
                    return Self::ContentDisposition;
                }
            }
            (19, b'p', b'n') => {
                if name == b"Proxy-Authorization" || name.eq_ignore_ascii_case(b"Proxy-Authorization") {
                    return Self::ProxyAuthorization;
                }
            }
            (19, b'p', b'y') => {
                if name == b"P-Asserted-Identity" || name.eq_ignore_ascii_case(b"P-Asserted-Identity") {
                    return Self::PAssertedIdentity;
                }
            }
            (19, b'r', b'n') => {
                if name == b"Request-Disposition" || name.eq_ignore_ascii_case(b"Request-Disposition") {
                    return Self::RequestDisposition;
                }
            }
            (20, b'p', b'y') => {
                if name == b"P-Preferred-Identity" || name.eq_ignore_ascii_case(b"P-Preferred-Identity") {
                    return Self::PPreferredIdentity;
                }
            }
            (25, b'c', b'g') => {
                if name == b"Content-Transfer-Encoding" || name.eq_ignore_ascii_case(b"Content-Transfer-Encoding") {
                    return Self::ContentTransferEncoding;
                }
            }
            _ => {}
        }
        Self::Other
    }
}
