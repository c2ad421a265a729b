//! Conference state documents (RFC 4575, `application/conference-info+xml`).
//!
//! # Model
//!
//! A [`ConferenceInfo`] is the `<conference-info>` element: the conference URI (`entity`), the
//! document [`State`] and `version`, then the parts a client displays: the
//! [`ConferenceDescription`] (subject, dial-in and service URIs, available media), the
//! [`HostInfo`], the [`ConferenceState`] (user count, active, locked), the [`User`]s with
//! their [`Endpoint`]s and each endpoint's [`Media`] streams and SIP dialog
//! ([`SipDialogId`]), and the sidebars (by reference as [`Uris`], by value as nested
//! [`ConferenceInfo`]s in [`Sidebars`]). Enumerated values ([`EndpointStatus`],
//! [`JoiningMethod`], [`DisconnectionMethod`], [`MediaStatus`]) keep unknown text as `Other`.
//!
//! Fields are `Option` or empty when the document leaves the element out. Lists that carry a
//! `state` attribute in the schema (`<users>`, every URI list, `<sidebars-by-val>`) keep it,
//! because a partial notification means something else by `full`, `partial` and `deleted`.
//!
//! # Parsing
//!
//! [`ConferenceInfo::parse`] never panics. It accepts UTF-8 documents whose root is
//! `conference-info` in the [`NAMESPACE`], whether the namespace is the default one or bound to
//! a prefix. RFC 4575 is extensible (§5.11), so elements of other namespaces, unknown elements
//! of this one and unknown attributes are skipped. Refused, with a [`ConferenceError`]:
//! documents over [`MAX_SIZE`] or nesting deeper than [`MAX_DEPTH`], XML that is not
//! well-formed (as far as `quick-xml` checks, plus unbound prefixes, undefined entities and
//! characters XML cannot carry), a document type declaration, the wrong root, a missing key
//! attribute (`entity` of the conference, users and endpoints, `id` of media, `label` of
//! available media, the `<uri>` of a URI entry), and a bad state, number or boolean.
//!
//! Text content is trimmed of surrounding XML white space (pretty-printed documents wrap it)
//! and line ends are normalized; attribute values are normalized as XML prescribes. A repeated
//! element where the schema allows one: the last one counts. Times (`<when>`) are kept as the
//! `xs:dateTime` text.
//!
//! # Partial notifications
//!
//! [`ConferenceInfo::apply`] folds a later document into a view built from a full one
//! (RFC 4575 §4.6): by version, with `full` replacing and `partial` merging per element.
//!
//! # Serializing
//!
//! [`ConferenceInfo::to_xml`] writes a compact UTF-8 document that parses back to an equal
//! value, for a focus that builds NOTIFY bodies.
//!
//! ```
//! use sipsimple_proto::payloads::conference::{ConferenceInfo, EndpointStatus, State};
//!
//! let body = br#"<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
//!     entity="sip:conf@example.com" state="full" version="1">
//!   <users><user entity="sip:bob@example.com">
//!     <endpoint entity="sip:bob@pc33.example.com"><status>connected</status></endpoint>
//!   </user></users>
//! </conference-info>"#;
//! let mut view = ConferenceInfo::parse(body)?;
//! assert_eq!(view.users[0].endpoints[0].status, Some(EndpointStatus::Connected));
//!
//! let update = ConferenceInfo::parse(br#"<conference-info
//!     xmlns="urn:ietf:params:xml:ns:conference-info"
//!     entity="sip:conf@example.com" state="partial" version="2">
//!   <users state="partial"><user entity="sip:bob@example.com" state="deleted"/></users>
//! </conference-info>"#)?;
//! view.apply(update)?;
//! assert!(view.users.is_empty());
//! assert_eq!((view.state, view.version), (State::Full, Some(2)));
//! # Ok::<(), sipsimple_proto::payloads::conference::ConferenceError>(())
//! ```

mod merge;
mod parse;
mod write;

#[cfg(test)]
mod tests;

/// The XML namespace of conference-info documents (RFC 4575 §5.1).
pub const NAMESPACE: &str = "urn:ietf:params:xml:ns:conference-info";

/// The MIME type of conference-info documents (RFC 4575 §3.4).
pub const CONTENT_TYPE: &str = "application/conference-info+xml";

/// Largest document [`ConferenceInfo::parse`] accepts, in bytes. A conference of a few hundred
/// users with rich endpoint data stays well below it.
pub const MAX_SIZE: usize = 1024 * 1024;

/// Deepest element nesting [`ConferenceInfo::parse`] accepts, the root counting as 1. The
/// deepest path RFC 4575 defines is 9 levels (a sidebar by value down to a dialog's
/// `<display-text>`); the margin leaves room for extensions while bounding the recursion.
pub const MAX_DEPTH: usize = 32;

/// The `state` attribute (RFC 4575 §5.1 `state-type`): whether an element carries all of its
/// content, only what changed, or announces its removal. It defaults to `full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum State {
    /// `full`: the element holds its complete state and replaces any earlier one.
    #[default]
    Full,
    /// `partial`: the element holds changes to be merged into the earlier state.
    Partial,
    /// `deleted`: the element is removed.
    Deleted,
}

impl State {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Partial => "partial",
            Self::Deleted => "deleted",
        }
    }

    /// Reads an attribute value; the schema's enumeration is case-sensitive.
    fn from_value(value: &str) -> Option<Self> {
        match value {
            "full" => Some(Self::Full),
            "partial" => Some(Self::Partial),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A conference-info document (`<conference-info>`, RFC 4575 §5.1), or a sidebar held by
/// value (`<sidebars-by-val>` entries share the type, §5.10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConferenceInfo {
    /// The conference URI (`entity` attribute, required).
    pub entity: String,
    /// Whether this document is a full or a partial notification (`state`, default `full`).
    pub state: State,
    /// The document version, one more in each notification of a subscription (`version`).
    pub version: Option<u32>,
    /// `<conference-description>`.
    pub description: Option<ConferenceDescription>,
    /// `<host-info>`.
    pub host_info: Option<HostInfo>,
    /// `<conference-state>`.
    pub conference_state: Option<ConferenceState>,
    /// The `state` attribute of `<users>`; `None` when the document has no `<users>` element.
    /// A `<users>` element without the attribute is `full`, in partial documents too.
    pub users_state: Option<State>,
    /// The users (`<users>` children).
    pub users: Vec<User>,
    /// `<sidebars-by-ref>`: sidebar conference URIs.
    pub sidebars_by_ref: Option<Uris>,
    /// `<sidebars-by-val>`: sidebars described in full.
    pub sidebars_by_val: Option<Sidebars>,
}

/// `<conference-description>` (RFC 4575 §5.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConferenceDescription {
    /// `<display-text>`: the conference's name for display.
    pub display_text: Option<String>,
    /// `<subject>`.
    pub subject: Option<String>,
    /// `<free-text>`.
    pub free_text: Option<String>,
    /// `<keywords>`, split at white space (an `xs:list`).
    pub keywords: Vec<String>,
    /// `<conf-uris>`: URIs to join the conference.
    pub conf_uris: Option<Uris>,
    /// `<service-uris>`: URIs of auxiliary services (web page, recording…).
    pub service_uris: Option<Uris>,
    /// `<maximum-user-count>`.
    pub maximum_user_count: Option<u32>,
    /// `<available-media>` entries: the media the conference offers.
    pub available_media: Vec<AvailableMedium>,
}

/// An `<available-media>` entry (RFC 4575 §5.3.6), keyed by `label`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AvailableMedium {
    /// The `label` attribute (required): the SDP `a=label` of the stream.
    pub label: String,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<type>`: the SDP media type (`audio`, `video`…).
    pub media_type: Option<String>,
    /// `<status>`: the direction of the medium.
    pub status: Option<MediaStatus>,
}

/// `<host-info>` (RFC 4575 §5.4): who hosts the conference.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostInfo {
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<web-page>`.
    pub web_page: Option<String>,
    /// `<uris>`: the host's URIs.
    pub uris: Option<Uris>,
}

/// `<conference-state>` (RFC 4575 §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConferenceState {
    /// `<user-count>`: how many users are in the conference.
    pub user_count: Option<u32>,
    /// `<active>`: whether the conference is in progress.
    pub active: Option<bool>,
    /// `<locked>`: whether new users may join.
    pub locked: Option<bool>,
}

/// A list of URIs with its `state` (RFC 4575 `uris-type`): `<conf-uris>`, `<service-uris>`,
/// `<uris>` of the host, `<associated-aors>` and `<sidebars-by-ref>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Uris {
    /// The list's `state` attribute (default `full`).
    pub state: State,
    /// The `<entry>` children, keyed by their URI.
    pub entries: Vec<UriEntry>,
}

/// An `<entry>` of a URI list (RFC 4575 `uri-type`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UriEntry {
    /// `<uri>` (required).
    pub uri: String,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<purpose>`: `participation`, `streaming`, `web-page`, `recording`… (RFC 4575 §5.3.4).
    pub purpose: Option<String>,
    /// `<modified>`: when, why and by whom the entry last changed.
    pub modified: Option<Execution>,
}

/// `<sidebars-by-val>` (RFC 4575 §5.10): sidebars described as conferences of their own.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sidebars {
    /// The list's `state` attribute (default `full`).
    pub state: State,
    /// The `<entry>` children, keyed by `entity`; their `version` is usually absent.
    pub entries: Vec<ConferenceInfo>,
}

/// A `<user>` (RFC 4575 §5.6), keyed by `entity`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct User {
    /// The user's URI (`entity` attribute, required here: it keys partial updates).
    pub entity: String,
    /// The element's `state` (default `full`).
    pub state: State,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<associated-aors>`: other addresses of the user.
    pub associated_aors: Option<Uris>,
    /// `<roles>` entries (`participant`, `moderator`…).
    pub roles: Vec<String>,
    /// `<languages>`, split at white space (an `xs:list` of language tags).
    pub languages: Vec<String>,
    /// `<cascaded-focus>`: the focus URI of a conference this user cascades.
    pub cascaded_focus: Option<String>,
    /// The user's `<endpoint>`s.
    pub endpoints: Vec<Endpoint>,
}

/// An `<endpoint>` of a user (RFC 4575 §5.7), keyed by `entity`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoint {
    /// The endpoint's URI, usually its contact or GRUU (`entity` attribute, required here).
    pub entity: String,
    /// The element's `state` (default `full`).
    pub state: State,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<referred>`: who referred the endpoint to the conference.
    pub referred: Option<Execution>,
    /// `<status>`.
    pub status: Option<EndpointStatus>,
    /// `<joining-method>`.
    pub joining_method: Option<JoiningMethod>,
    /// `<joining-info>`.
    pub joining_info: Option<Execution>,
    /// `<disconnection-method>`.
    pub disconnection_method: Option<DisconnectionMethod>,
    /// `<disconnection-info>`.
    pub disconnection_info: Option<Execution>,
    /// The endpoint's `<media>` streams.
    pub media: Vec<Media>,
    /// The `<sip>` dialog of `<call-info>`: the endpoint's dialog with the focus.
    pub call_info: Option<SipDialogId>,
}

/// `when`, `reason` and `by` of an event (RFC 4575 `execution-type`): `<referred>`,
/// `<joining-info>`, `<disconnection-info>`, `<modified>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Execution {
    /// `<when>`, the `xs:dateTime` text.
    pub when: Option<String>,
    /// `<reason>`.
    pub reason: Option<String>,
    /// `<by>`: the URI of who acted.
    pub by: Option<String>,
}

/// A `<media>` stream of an endpoint (RFC 4575 §5.7.4), keyed by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Media {
    /// The `id` attribute (required), unique within the endpoint.
    pub id: String,
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<type>`: the SDP media type.
    pub media_type: Option<String>,
    /// `<label>`: the SDP `a=label` that ties the stream to an available medium.
    pub label: Option<String>,
    /// `<src-id>`: the stream's synchronization source (the RTP SSRC), as text.
    pub src_id: Option<String>,
    /// `<status>`: the direction of the stream.
    pub status: Option<MediaStatus>,
}

/// The SIP dialog of an endpoint (`<call-info><sip>`, RFC 4575 §5.7.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SipDialogId {
    /// `<display-text>`.
    pub display_text: Option<String>,
    /// `<call-id>`.
    pub call_id: Option<String>,
    /// `<from-tag>`.
    pub from_tag: Option<String>,
    /// `<to-tag>`.
    pub to_tag: Option<String>,
}

/// Declares an enumeration of element text that keeps unknown values.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value the RFC does not define, as written (trimmed).
            Other(String),
        }

        impl $name {
            /// The element text.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }

            /// Reads element text; the schema's enumerations are case-sensitive.
            fn from_text(text: String) -> Self {
                match text.as_str() {
                    $($text => Self::$variant,)*
                    _ => Self::Other(text),
                }
            }
        }
    };
}

text_enum! {
    /// `<status>` of an endpoint (RFC 4575 §5.7.2).
    EndpointStatus {
        /// `pending`: the focus has not yet contacted the endpoint.
        Pending = "pending",
        /// `dialing-out`: the focus is calling the endpoint.
        DialingOut = "dialing-out",
        /// `dialing-in`: the endpoint is calling the focus.
        DialingIn = "dialing-in",
        /// `alerting`: the endpoint is ringing.
        Alerting = "alerting",
        /// `on-hold`: the endpoint is in the conference but on hold.
        OnHold = "on-hold",
        /// `connected`: the endpoint is in the conference.
        Connected = "connected",
        /// `muted-via-focus`: the focus does not mix the endpoint's media.
        MutedViaFocus = "muted-via-focus",
        /// `disconnecting`: the focus is disconnecting the endpoint.
        Disconnecting = "disconnecting",
        /// `disconnected`: the endpoint has left.
        Disconnected = "disconnected",
    }
}

text_enum! {
    /// `<joining-method>` of an endpoint (RFC 4575 §5.7.3).
    JoiningMethod {
        /// `dialed-in`: the endpoint called the focus.
        DialedIn = "dialed-in",
        /// `dialed-out`: the focus called the endpoint.
        DialedOut = "dialed-out",
        /// `focus-owner`: the endpoint is the focus itself.
        FocusOwner = "focus-owner",
    }
}

text_enum! {
    /// `<disconnection-method>` of an endpoint (RFC 4575 §5.7.3).
    DisconnectionMethod {
        /// `departed`: the endpoint hung up.
        Departed = "departed",
        /// `booted`: the endpoint was removed by someone else.
        Booted = "booted",
        /// `failed`: the focus could not reach the endpoint.
        Failed = "failed",
        /// `busy`: the endpoint was busy.
        Busy = "busy",
    }
}

text_enum! {
    /// `<status>` of a medium (RFC 4575 `media-status-type`), seen from the focus.
    MediaStatus {
        /// `recvonly`.
        RecvOnly = "recvonly",
        /// `sendonly`.
        SendOnly = "sendonly",
        /// `sendrecv`.
        SendRecv = "sendrecv",
        /// `inactive`.
        Inactive = "inactive",
    }
}

/// Why a conference-info document was refused, or could not be applied to a view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConferenceError {
    /// The document is larger than [`MAX_SIZE`].
    #[error("conference-info document of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The document's size.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Elements nest deeper than [`MAX_DEPTH`].
    #[error("elements nested deeper than {limit} levels")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
    /// The document is not well-formed XML (or not UTF-8).
    #[error("not well-formed XML at byte {position}: {reason}")]
    NotWellFormed {
        /// Byte offset in the document where the fault was found.
        position: u64,
        /// What is wrong, in the XML parser's words.
        reason: String,
    },
    /// The document has a document type declaration. Conference-info documents have no
    /// DTD, and refusing one rules out entity expansion tricks.
    #[error("document type declarations are not accepted")]
    Doctype,
    /// The root element is not `conference-info` in the [`NAMESPACE`].
    #[error(
        "root element `{name}` in namespace {} is not conference-info in {NAMESPACE}",
        namespace.as_deref().unwrap_or("(none)")
    )]
    WrongRoot {
        /// The root's namespace, `None` when it has none.
        namespace: Option<String>,
        /// The root's local name.
        name: String,
    },
    /// A required attribute is absent.
    #[error("<{element}> lacks its `{attribute}` attribute")]
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// A required child element is absent.
    #[error("<{parent}> lacks its <{element}> child")]
    MissingElement {
        /// The element that lacks a child.
        parent: &'static str,
        /// The missing child.
        element: &'static str,
    },
    /// A `state` attribute that is not `full`, `partial` or `deleted`.
    #[error("state {value:?} is not full, partial or deleted")]
    BadState {
        /// The value found.
        value: String,
    },
    /// A number that is not a decimal `xs:unsignedInt`.
    #[error("{field} {value:?} is not an unsigned 32-bit number")]
    BadNumber {
        /// The attribute or element.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// A boolean that is not `true`, `false`, `1` or `0`.
    #[error("{field} {value:?} is not a boolean")]
    BadBoolean {
        /// The element.
        field: &'static str,
        /// The value found.
        value: String,
    },
    /// [`ConferenceInfo::apply`]: the update describes another conference.
    #[error("document of conference {received:?} does not apply to {current:?}")]
    EntityMismatch {
        /// The view's conference URI.
        current: String,
        /// The update's conference URI.
        received: String,
    },
    /// [`ConferenceInfo::apply`]: a partial update needs a view built from a full document;
    /// refresh the subscription to get one.
    #[error("a partial document needs a full view to apply to; refresh the subscription")]
    NotFull,
    /// [`ConferenceInfo::apply`]: the view or the partial update has no version, so the
    /// order of notifications cannot be checked; refresh the subscription.
    #[error("a partial document without versions cannot be ordered; refresh the subscription")]
    MissingVersion,
    /// [`ConferenceInfo::apply`]: the update is not newer than the view (a duplicate or a
    /// late notification); discard it (RFC 4575 §4.6).
    #[error("stale document: version {received} is not newer than {current}; discard it")]
    StaleVersion {
        /// The view's version.
        current: u32,
        /// The update's version.
        received: u32,
    },
    /// [`ConferenceInfo::apply`]: versions between the view and this partial update were
    /// never received, so merging it would give a wrong view; the view is left unchanged and
    /// a full refresh is needed: refresh the subscription (RFC 4575 §4.6).
    #[error("version {received} follows {current}: notifications were lost; full refresh needed")]
    VersionGap {
        /// The view's version.
        current: u32,
        /// The update's version.
        received: u32,
    },
}

impl ConferenceInfo {
    /// Parses a conference-info document; see the [module docs](self) for what is accepted.
    pub fn parse(body: &[u8]) -> Result<Self, ConferenceError> {
        parse::document(body)
    }

    /// Applies a later document of the same subscription to this view (RFC 4575 §4.6).
    ///
    /// - A `full` (or `deleted`) document replaces the view, unless its version is not newer
    ///   ([`ConferenceError::StaleVersion`]). A new subscription may start its versions
    ///   anywhere: take its first document as the new view instead of applying it.
    /// - A `partial` document needs a full view ([`ConferenceError::NotFull`]) and the next
    ///   version: an older or equal one is [`ConferenceError::StaleVersion`] (discard it), a
    ///   later one means notifications were lost, [`ConferenceError::VersionGap`] (refresh
    ///   the subscription). It is merged element by element: lists with a `state` (users,
    ///   endpoints, URI lists, sidebars) are replaced when `full`, removed when `deleted`, and
    ///   merged by key when `partial` (users and endpoints by `entity`, URI entries by URI,
    ///   media by `id`, available media by `label`, sidebars by `entity`), each keyed element
    ///   being replaced (`full`), removed (`deleted`) or merged (`partial`, or no state in the
    ///   schema). Merging an element sets each child the update carries and keeps the others;
    ///   a keyed element the view lacks is added. The view stays `full` and takes the
    ///   update's version.
    ///
    /// On error the view is unchanged.
    pub fn apply(&mut self, update: Self) -> Result<(), ConferenceError> {
        merge::apply(self, update)
    }

    /// Serializes the document: UTF-8 with an XML declaration, the default namespace, no
    /// indentation. `state` attributes equal to the default are left out except on the root.
    ///
    /// The output parses back to an equal value when the value could have come from
    /// [`ConferenceInfo::parse`]: text without surrounding white space, without characters
    /// XML cannot carry (NUL and the other C0 controls but tab, LF and CR; U+FFFE, U+FFFF),
    /// key fields present, keywords and languages without white space, `users` only with a
    /// `users_state`, and `Other` enumeration values that are not one of the known ones.
    pub fn to_xml(&self) -> String {
        write::document(self)
    }
}
