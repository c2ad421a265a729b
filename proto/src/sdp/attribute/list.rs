//! The ordered attribute list of a session or media description, with typed look-ups.

use std::ops::Deref;

use super::{
    Attribute, Candidate, Crypto, Direction, FileDate, FileRange, FileSelector, Fmtp,
    MalformedAttribute, Rtcp, Rtpmap, Setup, TcpConnection,
};

/// The `a=` lines of one level (session or media), in order.
///
/// Dereferences to a slice of [`Attribute`] for iteration. The typed look-ups return the first
/// attribute of their kind (or all of them, for the repeatable ones); a malformed attribute is
/// never returned by them, only by [`malformed`](Self::malformed) and by the raw look-ups
/// [`get`](Self::get) and [`all`](Self::all).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Attributes(Vec<Attribute>);

impl Attributes {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an attribute.
    pub fn push(&mut self, attribute: Attribute) {
        self.0.push(attribute);
    }

    /// Inserts an attribute at `index` (clamped to the length).
    pub fn insert(&mut self, index: usize, attribute: Attribute) {
        self.0.insert(index.min(self.0.len()), attribute);
    }

    /// Removes every attribute called `name`; returns how many were removed.
    pub fn remove_named(&mut self, name: &str) -> usize {
        let before = self.0.len();
        self.0.retain(|a| a.name() != name);
        before - self.0.len()
    }

    /// Keeps only the attributes for which `keep` returns true.
    pub fn retain(&mut self, keep: impl FnMut(&Attribute) -> bool) {
        self.0.retain(keep);
    }

    /// Mutable access to each attribute, in order.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, Attribute> {
        self.0.iter_mut()
    }

    /// The first attribute called `name` (typed, unknown or malformed).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.0.iter().find(|a| a.name() == name)
    }

    /// Every attribute called `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> + 'a {
        self.0.iter().filter(move |a| a.name() == name)
    }

    /// True if an attribute called `name` is present (a property such as `rtcp-mux`, or any
    /// other).
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The known attributes whose value did not parse.
    pub fn malformed(&self) -> impl Iterator<Item = &MalformedAttribute> {
        self.0.iter().filter_map(|a| match a {
            Attribute::Malformed(m) => Some(m),
            _ => None,
        })
    }

    /// The direction attribute of this level, if any (the first one if several).
    #[must_use]
    pub fn direction(&self) -> Option<Direction> {
        self.0.iter().find_map(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// Replaces the direction attributes of this level with `direction`, keeping the position
    /// of the first one (or appending).
    pub fn set_direction(&mut self, direction: Direction) {
        let at = self
            .0
            .iter()
            .position(|a| matches!(a, Attribute::Direction(_)));
        self.0.retain(|a| !matches!(a, Attribute::Direction(_)));
        let at = at.unwrap_or(self.0.len());
        self.0.insert(at, Attribute::Direction(direction));
    }

    /// Every `a=rtpmap`.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap> {
        self.0.iter().filter_map(|a| match a {
            Attribute::Rtpmap(v) => Some(v),
            _ => None,
        })
    }

    /// The `a=rtpmap` of a payload type.
    #[must_use]
    pub fn rtpmap(&self, payload_type: u8) -> Option<&Rtpmap> {
        self.rtpmaps().find(|r| r.payload_type == payload_type)
    }

    /// Every `a=fmtp`.
    pub fn fmtps(&self) -> impl Iterator<Item = &Fmtp> {
        self.0.iter().filter_map(|a| match a {
            Attribute::Fmtp(v) => Some(v),
            _ => None,
        })
    }

    /// The `a=fmtp` of a format.
    #[must_use]
    pub fn fmtp(&self, format: &str) -> Option<&Fmtp> {
        self.fmtps().find(|f| f.format == format)
    }

    /// `a=rtcp`.
    #[must_use]
    pub fn rtcp(&self) -> Option<&Rtcp> {
        self.0.iter().find_map(|a| match a {
            Attribute::Rtcp(v) => Some(v),
            _ => None,
        })
    }

    /// True if `a=rtcp-mux` is present.
    #[must_use]
    pub fn rtcp_mux(&self) -> bool {
        self.0.iter().any(|a| matches!(a, Attribute::RtcpMux))
    }

    /// `a=ptime`, in milliseconds.
    #[must_use]
    pub fn ptime(&self) -> Option<u32> {
        self.0.iter().find_map(|a| match a {
            Attribute::Ptime(v) => Some(*v),
            _ => None,
        })
    }

    /// `a=maxptime`, in milliseconds.
    #[must_use]
    pub fn maxptime(&self) -> Option<u32> {
        self.0.iter().find_map(|a| match a {
            Attribute::MaxPtime(v) => Some(*v),
            _ => None,
        })
    }

    /// Every well-formed `a=crypto`, in offer order.
    pub fn crypto(&self) -> impl Iterator<Item = &Crypto> {
        self.0.iter().filter_map(|a| match a {
            Attribute::Crypto(v) => Some(v),
            _ => None,
        })
    }

    /// `a=ice-ufrag`.
    #[must_use]
    pub fn ice_ufrag(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::IceUfrag(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// `a=ice-pwd`.
    #[must_use]
    pub fn ice_pwd(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::IcePwd(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// True if `a=ice-lite` is present.
    #[must_use]
    pub fn ice_lite(&self) -> bool {
        self.0.iter().any(|a| matches!(a, Attribute::IceLite))
    }

    /// `a=ice-options`.
    #[must_use]
    pub fn ice_options(&self) -> Option<&[String]> {
        self.0.iter().find_map(|a| match a {
            Attribute::IceOptions(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// Every well-formed `a=candidate`.
    pub fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.0.iter().filter_map(|a| match a {
            Attribute::Candidate(v) => Some(v),
            _ => None,
        })
    }

    /// `a=setup`.
    #[must_use]
    pub fn setup(&self) -> Option<Setup> {
        self.0.iter().find_map(|a| match a {
            Attribute::Setup(v) => Some(*v),
            _ => None,
        })
    }

    /// `a=connection`.
    #[must_use]
    pub fn connection(&self) -> Option<TcpConnection> {
        self.0.iter().find_map(|a| match a {
            Attribute::Connection(v) => Some(*v),
            _ => None,
        })
    }

    /// `a=path`: the MSRP URIs.
    #[must_use]
    pub fn path(&self) -> Option<&[String]> {
        self.0.iter().find_map(|a| match a {
            Attribute::Path(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `a=accept-types`.
    #[must_use]
    pub fn accept_types(&self) -> Option<&[String]> {
        self.0.iter().find_map(|a| match a {
            Attribute::AcceptTypes(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `a=accept-wrapped-types`.
    #[must_use]
    pub fn accept_wrapped_types(&self) -> Option<&[String]> {
        self.0.iter().find_map(|a| match a {
            Attribute::AcceptWrappedTypes(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    /// `a=max-size`, in octets.
    #[must_use]
    pub fn max_size(&self) -> Option<u64> {
        self.0.iter().find_map(|a| match a {
            Attribute::MaxSize(v) => Some(*v),
            _ => None,
        })
    }

    /// `a=file-selector`.
    #[must_use]
    pub fn file_selector(&self) -> Option<&FileSelector> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileSelector(v) => Some(v),
            _ => None,
        })
    }

    /// `a=file-transfer-id`.
    #[must_use]
    pub fn file_transfer_id(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileTransferId(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// `a=file-disposition`.
    #[must_use]
    pub fn file_disposition(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileDisposition(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// `a=file-date`.
    #[must_use]
    pub fn file_date(&self) -> Option<&FileDate> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileDate(v) => Some(v),
            _ => None,
        })
    }

    /// `a=file-icon`.
    #[must_use]
    pub fn file_icon(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileIcon(v) => Some(v.as_str()),
            _ => None,
        })
    }

    /// `a=file-range`.
    #[must_use]
    pub fn file_range(&self) -> Option<FileRange> {
        self.0.iter().find_map(|a| match a {
            Attribute::FileRange(v) => Some(*v),
            _ => None,
        })
    }

    /// `a=rfbsetup`.
    #[must_use]
    pub fn rfbsetup(&self) -> Option<&str> {
        self.0.iter().find_map(|a| match a {
            Attribute::Rfbsetup(v) => Some(v.as_str()),
            _ => None,
        })
    }
}

impl Deref for Attributes {
    type Target = [Attribute];

    fn deref(&self) -> &[Attribute] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = &'a Attribute;
    type IntoIter = std::slice::Iter<'a, Attribute>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Attributes {
    type Item = Attribute;
    type IntoIter = std::vec::IntoIter<Attribute>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<Vec<Attribute>> for Attributes {
    fn from(list: Vec<Attribute>) -> Self {
        Self(list)
    }
}

impl FromIterator<Attribute> for Attributes {
    fn from_iter<I: IntoIterator<Item = Attribute>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<Attribute> for Attributes {
    fn extend<I: IntoIterator<Item = Attribute>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lookups_skip_malformed() {
        let list: Attributes = [
            "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%%%",
            "crypto:2 AES_CM_128_HMAC_SHA1_80 inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk",
            "sendonly",
            "x-unknown:1",
        ]
        .into_iter()
        .map(Attribute::parse)
        .collect();
        assert_eq!(list.crypto().map(|c| c.tag).collect::<Vec<_>>(), [2]);
        assert_eq!(list.malformed().count(), 1);
        assert_eq!(list.all("crypto").count(), 2);
        assert_eq!(
            list.get("x-unknown").and_then(Attribute::value).as_deref(),
            Some("1")
        );
        assert_eq!(list.direction(), Some(Direction::SendOnly));
    }

    #[test]
    fn set_direction_replaces_in_place() {
        let mut list: Attributes = ["a", "recvonly", "b", "inactive"]
            .into_iter()
            .map(Attribute::parse)
            .collect();
        list.set_direction(Direction::SendRecv);
        let names: Vec<_> = list.iter().map(Attribute::name).collect();
        assert_eq!(names, ["a", "sendrecv", "b"]);
        assert_eq!(list.remove_named("a"), 1);
        let mut empty = Attributes::new();
        empty.set_direction(Direction::Inactive);
        assert_eq!(empty.direction(), Some(Direction::Inactive));
    }
}
