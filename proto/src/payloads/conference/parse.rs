//! The conference-info reader: a recursive descent over `quick-xml` events, one function per
//! schema type, with the depth bounded before any recursion.

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use quick_xml::XmlVersion;

use super::{
    AvailableMedium, ConferenceDescription, ConferenceError, ConferenceInfo, ConferenceState,
    DisconnectionMethod, Endpoint, EndpointStatus, Execution, HostInfo, JoiningMethod, Media,
    MediaStatus, SipDialogId, State, UriEntry, Uris, User, MAX_DEPTH, MAX_SIZE, NAMESPACE,
};

/// Parses a whole document.
pub(super) fn document(body: &[u8]) -> Result<ConferenceInfo, ConferenceError> {
    if body.len() > MAX_SIZE {
        return Err(ConferenceError::TooLarge {
            size: body.len(),
            limit: MAX_SIZE,
        });
    }
    let mut r = Reader::new(body);
    let root = r.prolog()?;
    if !root.ours || root.start.local_name().as_ref() != b"conference-info" {
        return Err(ConferenceError::WrongRoot {
            namespace: root.namespace,
            name: String::from_utf8_lossy(root.start.local_name().as_ref()).into_owned(),
        });
    }
    let info = r.conference(root, "conference-info")?;
    r.epilog()?;
    Ok(info)
}

/// A start tag (or empty-element tag) just read.
struct Element<'i> {
    start: BytesStart<'i>,
    /// `<x/>`: no content and no end tag follow.
    empty: bool,
    /// Whether the element is in the conference-info namespace.
    ours: bool,
    /// The element's namespace, kept only for the root (for [`ConferenceError::WrongRoot`]).
    namespace: Option<String>,
}

impl Element<'_> {
    /// The local name when the element is ours; other namespaces' elements match nothing.
    fn name(&self) -> &[u8] {
        if self.ours {
            self.start.local_name().into_inner()
        } else {
            b""
        }
    }
}

/// What [`Reader::next`] found.
enum Item<'i> {
    Element(Element<'i>),
    /// The end tag of the current element.
    End,
    /// Character data: text, CDATA or a resolved reference.
    Text(String),
    /// A comment or processing instruction.
    Ignored,
}

struct Reader<'i> {
    xml: NsReader<&'i [u8]>,
    /// Open elements.
    depth: usize,
}

impl<'i> Reader<'i> {
    fn new(body: &'i [u8]) -> Self {
        let mut xml = NsReader::from_reader(body);
        // `--` inside comments is not well-formed; the check costs nothing on these sizes.
        xml.config_mut().check_comments = true;
        // Every element name is looked up through the declarations in scope; a few per
        // element are plenty, and the bound keeps that lookup short on hostile input.
        xml.resolver_mut().set_max_declarations_per_element(16);
        Self { xml, depth: 0 }
    }

    fn malformed(&self, reason: impl std::fmt::Display) -> ConferenceError {
        ConferenceError::NotWellFormed {
            position: self.xml.buffer_position(),
            reason: reason.to_string(),
        }
    }

    fn xml_error(&self, e: quick_xml::Error) -> ConferenceError {
        ConferenceError::NotWellFormed {
            position: self.xml.error_position(),
            reason: e.to_string(),
        }
    }

    /// Reads the next item inside an element, tracking depth and namespaces.
    fn next(&mut self) -> Result<Item<'i>, ConferenceError> {
        let (ns, event) = match self.xml.read_resolved_event() {
            Ok((ns, event)) => (resolve(ns), event),
            Err(e) => return Err(self.xml_error(e)),
        };
        match event {
            Event::Start(_) | Event::Empty(_) if self.depth >= MAX_DEPTH => {
                Err(ConferenceError::TooDeep { limit: MAX_DEPTH })
            }
            Event::Start(start) => {
                self.depth += 1;
                self.element(ns, start, false)
            }
            Event::Empty(start) => self.element(ns, start, true),
            Event::End(_) => {
                // quick-xml checks that end tags match their start tags.
                self.depth = self.depth.saturating_sub(1);
                Ok(Item::End)
            }
            Event::Text(t) => {
                let text = t.xml10_content().map_err(|e| self.malformed(e))?;
                Ok(Item::Text(self.checked(text.into_owned())?))
            }
            Event::CData(t) => {
                let text = t.xml10_content().map_err(|e| self.malformed(e))?;
                Ok(Item::Text(self.checked(text.into_owned())?))
            }
            Event::GeneralRef(r) => Ok(Item::Text(self.reference(&r)?)),
            Event::Comment(_) | Event::PI(_) => Ok(Item::Ignored),
            Event::Decl(_) => Err(self.malformed("XML declaration inside the document")),
            Event::DocType(_) => Err(ConferenceError::Doctype),
            Event::Eof => Err(self.malformed("document ends inside an element")),
        }
    }

    fn element(
        &self,
        ns: Result<Option<&'static str>, Vec<u8>>,
        start: BytesStart<'i>,
        empty: bool,
    ) -> Result<Item<'i>, ConferenceError> {
        let ours = match ns {
            Ok(ns) => ns == Some(NAMESPACE),
            Err(prefix) => return Err(self.unbound(&prefix)),
        };
        Ok(Item::Element(Element {
            start,
            empty,
            ours,
            namespace: None,
        }))
    }

    fn unbound(&self, prefix: &[u8]) -> ConferenceError {
        self.malformed(format_args!(
            "namespace prefix `{}` is not declared",
            String::from_utf8_lossy(prefix)
        ))
    }

    /// Resolves `&name;` and `&#n;`: only the predefined entities exist without a DTD.
    fn reference(&self, r: &BytesRef<'_>) -> Result<String, ConferenceError> {
        match r.resolve_char_ref() {
            Ok(Some(c)) => self.checked(c.to_string()),
            Ok(None) => {
                let name = r.decode().map_err(|e| self.malformed(e))?;
                match quick_xml::escape::resolve_predefined_entity(&name) {
                    Some(text) => Ok(text.to_owned()),
                    None => Err(self.malformed(format_args!("undefined entity `&{name};`"))),
                }
            }
            Err(e) => Err(self.xml_error(e)),
        }
    }

    /// Refuses characters outside the XML `Char` production, which `quick-xml` lets through.
    fn checked(&self, text: String) -> Result<String, ConferenceError> {
        let bad = |c: char| matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}');
        match text.chars().find(|&c| bad(c)) {
            Some(c) => {
                Err(self.malformed(format_args!("character U+{:04X} is not allowed", c as u32)))
            }
            None => Ok(text),
        }
    }

    /// Reads up to the root element: the XML declaration, comments, processing instructions
    /// and white space may precede it.
    fn prolog(&mut self) -> Result<Element<'i>, ConferenceError> {
        loop {
            let (ns, event) = match self.xml.read_resolved_event() {
                Ok((ns, event)) => (resolve_any(ns), event),
                Err(e) => return Err(self.xml_error(e)),
            };
            let (start, empty) = match event {
                Event::Start(start) => (start, false),
                Event::Empty(start) => (start, true),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => continue,
                Event::Text(t) if is_blank(&t) => continue,
                Event::DocType(_) => return Err(ConferenceError::Doctype),
                Event::Eof => return Err(self.malformed("no root element")),
                _ => return Err(self.malformed("content before the root element")),
            };
            if !empty {
                self.depth = 1;
            }
            let namespace = match ns {
                Ok(ns) => ns,
                Err(prefix) => return Err(self.unbound(&prefix)),
            };
            return Ok(Element {
                start,
                empty,
                ours: namespace.as_deref() == Some(NAMESPACE),
                namespace,
            });
        }
    }

    /// Reads after the root element: only comments, processing instructions and white space
    /// may follow it.
    fn epilog(&mut self) -> Result<(), ConferenceError> {
        loop {
            match self.xml.read_event() {
                Ok(Event::Eof) => return Ok(()),
                Ok(Event::Comment(_) | Event::PI(_)) => {}
                Ok(Event::Text(t)) if is_blank(&t) => {}
                Ok(_) => return Err(self.malformed("content after the root element")),
                Err(e) => return Err(self.xml_error(e)),
            }
        }
    }

    /// The next child element of the current element, `None` at its end tag. Character data
    /// between children is ignored (the schema has no mixed content).
    fn child(&mut self) -> Result<Option<Element<'i>>, ConferenceError> {
        loop {
            match self.next()? {
                Item::Element(e) => return Ok(Some(e)),
                Item::End => return Ok(None),
                Item::Text(_) | Item::Ignored => {}
            }
        }
    }

    /// Skips an element and everything in it: elements this reader does not know.
    fn skip(&mut self, el: &Element<'i>) -> Result<(), ConferenceError> {
        if el.empty {
            return Ok(());
        }
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Item::Element(e) if !e.empty => open += 1,
                Item::End => open -= 1,
                _ => {}
            }
        }
        Ok(())
    }

    /// The text content of a simple element, trimmed of surrounding XML white space. Child
    /// elements (extensions) are skipped.
    fn text(&mut self, el: &Element<'i>) -> Result<String, ConferenceError> {
        let mut out = String::new();
        if el.empty {
            return Ok(out);
        }
        loop {
            match self.next()? {
                // References only shrink, so the text stays within the document's size.
                Item::Text(t) => out.push_str(&t),
                Item::Element(e) => self.skip(&e)?,
                Item::Ignored => {}
                Item::End => break,
            }
        }
        Ok(trim(&out).to_owned())
    }

    /// The value of an unqualified attribute (RFC 4575's attributes have no namespace).
    fn attribute(
        &self,
        el: &Element<'_>,
        name: &'static str,
    ) -> Result<Option<String>, ConferenceError> {
        let mut found = None;
        for attr in el.start.attributes() {
            let attr = attr.map_err(|e| self.malformed(e))?;
            if attr.key.as_namespace_binding().is_some() {
                continue;
            }
            if let Some(prefix) = attr.key.prefix() {
                if let ResolveResult::Unknown(p) =
                    self.xml.resolver().resolve_prefix(Some(prefix), false)
                {
                    return Err(self.unbound(&p));
                }
                continue;
            }
            if attr.key.as_ref() == name.as_bytes() {
                let value = attr
                    .normalized_value(XmlVersion::Implicit1_0)
                    .map_err(|e| self.xml_error(e))?;
                found = Some(self.checked(value.into_owned())?);
            }
        }
        Ok(found)
    }

    fn required(
        &self,
        el: &Element<'_>,
        element: &'static str,
        attribute: &'static str,
    ) -> Result<String, ConferenceError> {
        self.attribute(el, attribute)?
            .ok_or(ConferenceError::MissingAttribute { element, attribute })
    }

    fn state(&self, el: &Element<'_>) -> Result<State, ConferenceError> {
        match self.attribute(el, "state")? {
            None => Ok(State::Full),
            Some(v) => State::from_value(&v).ok_or(ConferenceError::BadState { value: v }),
        }
    }

    fn number(&mut self, el: &Element<'i>, field: &'static str) -> Result<u32, ConferenceError> {
        let text = self.text(el)?;
        number(text, field)
    }

    fn boolean(&mut self, el: &Element<'i>, field: &'static str) -> Result<bool, ConferenceError> {
        let text = self.text(el)?;
        match text.as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(ConferenceError::BadBoolean { field, value: text }),
        }
    }

    /// A white-space separated list (`xs:list`).
    fn list(&mut self, el: &Element<'i>) -> Result<Vec<String>, ConferenceError> {
        let text = self.text(el)?;
        Ok(text
            .split(is_xml_space)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect())
    }

    /// `conference-type`: the root, or a `<sidebars-by-val>` entry (`element` names it for
    /// errors).
    fn conference(
        &mut self,
        el: Element<'i>,
        element: &'static str,
    ) -> Result<ConferenceInfo, ConferenceError> {
        let mut info = ConferenceInfo {
            entity: self.required(&el, element, "entity")?,
            state: self.state(&el)?,
            version: match self.attribute(&el, "version")? {
                Some(v) => Some(number(v, "version")?),
                None => None,
            },
            ..ConferenceInfo::default()
        };
        if el.empty {
            return Ok(info);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"conference-description" => info.description = Some(self.description(&child)?),
                b"host-info" => info.host_info = Some(self.host_info(&child)?),
                b"conference-state" => info.conference_state = Some(self.conf_state(&child)?),
                b"users" => {
                    info.users_state = Some(self.state(&child)?);
                    info.users = self.users(&child)?;
                }
                b"sidebars-by-ref" => info.sidebars_by_ref = Some(self.uris(&child)?),
                b"sidebars-by-val" => {
                    let state = self.state(&child)?;
                    let mut entries = Vec::new();
                    if !child.empty {
                        while let Some(entry) = self.child()? {
                            if entry.name() == b"entry" {
                                entries.push(self.conference(entry, "entry")?);
                            } else {
                                self.skip(&entry)?;
                            }
                        }
                    }
                    info.sidebars_by_val = Some(super::Sidebars { state, entries });
                }
                _ => self.skip(&child)?,
            }
        }
        Ok(info)
    }

    fn description(&mut self, el: &Element<'i>) -> Result<ConferenceDescription, ConferenceError> {
        let mut d = ConferenceDescription::default();
        if el.empty {
            return Ok(d);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => d.display_text = Some(self.text(&child)?),
                b"subject" => d.subject = Some(self.text(&child)?),
                b"free-text" => d.free_text = Some(self.text(&child)?),
                b"keywords" => d.keywords = self.list(&child)?,
                b"conf-uris" => d.conf_uris = Some(self.uris(&child)?),
                b"service-uris" => d.service_uris = Some(self.uris(&child)?),
                b"maximum-user-count" => {
                    d.maximum_user_count = Some(self.number(&child, "maximum-user-count")?);
                }
                b"available-media" => d.available_media = self.available_media(&child)?,
                _ => self.skip(&child)?,
            }
        }
        Ok(d)
    }

    fn available_media(
        &mut self,
        el: &Element<'i>,
    ) -> Result<Vec<AvailableMedium>, ConferenceError> {
        let mut out = Vec::new();
        if el.empty {
            return Ok(out);
        }
        while let Some(entry) = self.child()? {
            if entry.name() != b"entry" {
                self.skip(&entry)?;
                continue;
            }
            let mut m = AvailableMedium {
                label: self.required(&entry, "entry", "label")?,
                ..AvailableMedium::default()
            };
            if !entry.empty {
                while let Some(child) = self.child()? {
                    match child.name() {
                        b"display-text" => m.display_text = Some(self.text(&child)?),
                        b"type" => m.media_type = Some(self.text(&child)?),
                        b"status" => m.status = Some(MediaStatus::from_text(self.text(&child)?)),
                        _ => self.skip(&child)?,
                    }
                }
            }
            out.push(m);
        }
        Ok(out)
    }

    fn host_info(&mut self, el: &Element<'i>) -> Result<HostInfo, ConferenceError> {
        let mut h = HostInfo::default();
        if el.empty {
            return Ok(h);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => h.display_text = Some(self.text(&child)?),
                b"web-page" => h.web_page = Some(self.text(&child)?),
                b"uris" => h.uris = Some(self.uris(&child)?),
                _ => self.skip(&child)?,
            }
        }
        Ok(h)
    }

    fn conf_state(&mut self, el: &Element<'i>) -> Result<ConferenceState, ConferenceError> {
        let mut s = ConferenceState::default();
        if el.empty {
            return Ok(s);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"user-count" => s.user_count = Some(self.number(&child, "user-count")?),
                b"active" => s.active = Some(self.boolean(&child, "active")?),
                b"locked" => s.locked = Some(self.boolean(&child, "locked")?),
                _ => self.skip(&child)?,
            }
        }
        Ok(s)
    }

    /// `uris-type`.
    fn uris(&mut self, el: &Element<'i>) -> Result<Uris, ConferenceError> {
        let mut uris = Uris {
            state: self.state(el)?,
            entries: Vec::new(),
        };
        if el.empty {
            return Ok(uris);
        }
        while let Some(entry) = self.child()? {
            if entry.name() != b"entry" {
                self.skip(&entry)?;
                continue;
            }
            let mut uri = None;
            let mut e = UriEntry::default();
            if !entry.empty {
                while let Some(child) = self.child()? {
                    match child.name() {
                        b"uri" => uri = Some(self.text(&child)?),
                        b"display-text" => e.display_text = Some(self.text(&child)?),
                        b"purpose" => e.purpose = Some(self.text(&child)?),
                        b"modified" => e.modified = Some(self.execution(&child)?),
                        _ => self.skip(&child)?,
                    }
                }
            }
            e.uri = uri.ok_or(ConferenceError::MissingElement {
                parent: "entry",
                element: "uri",
            })?;
            uris.entries.push(e);
        }
        Ok(uris)
    }

    /// `execution-type`.
    fn execution(&mut self, el: &Element<'i>) -> Result<Execution, ConferenceError> {
        let mut x = Execution::default();
        if el.empty {
            return Ok(x);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"when" => x.when = Some(self.text(&child)?),
                b"reason" => x.reason = Some(self.text(&child)?),
                b"by" => x.by = Some(self.text(&child)?),
                _ => self.skip(&child)?,
            }
        }
        Ok(x)
    }

    fn users(&mut self, el: &Element<'i>) -> Result<Vec<User>, ConferenceError> {
        let mut users = Vec::new();
        if el.empty {
            return Ok(users);
        }
        while let Some(child) = self.child()? {
            if child.name() == b"user" {
                users.push(self.user(&child)?);
            } else {
                self.skip(&child)?;
            }
        }
        Ok(users)
    }

    fn user(&mut self, el: &Element<'i>) -> Result<User, ConferenceError> {
        let mut u = User {
            entity: self.required(el, "user", "entity")?,
            state: self.state(el)?,
            ..User::default()
        };
        if el.empty {
            return Ok(u);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => u.display_text = Some(self.text(&child)?),
                b"associated-aors" => u.associated_aors = Some(self.uris(&child)?),
                b"roles" => {
                    u.roles.clear();
                    if !child.empty {
                        while let Some(entry) = self.child()? {
                            if entry.name() == b"entry" {
                                u.roles.push(self.text(&entry)?);
                            } else {
                                self.skip(&entry)?;
                            }
                        }
                    }
                }
                b"languages" => u.languages = self.list(&child)?,
                b"cascaded-focus" => u.cascaded_focus = Some(self.text(&child)?),
                b"endpoint" => u.endpoints.push(self.endpoint(&child)?),
                _ => self.skip(&child)?,
            }
        }
        Ok(u)
    }

    fn endpoint(&mut self, el: &Element<'i>) -> Result<Endpoint, ConferenceError> {
        let mut e = Endpoint {
            entity: self.required(el, "endpoint", "entity")?,
            state: self.state(el)?,
            ..Endpoint::default()
        };
        if el.empty {
            return Ok(e);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => e.display_text = Some(self.text(&child)?),
                b"referred" => e.referred = Some(self.execution(&child)?),
                b"status" => e.status = Some(EndpointStatus::from_text(self.text(&child)?)),
                b"joining-method" => {
                    e.joining_method = Some(JoiningMethod::from_text(self.text(&child)?));
                }
                b"joining-info" => e.joining_info = Some(self.execution(&child)?),
                b"disconnection-method" => {
                    e.disconnection_method =
                        Some(DisconnectionMethod::from_text(self.text(&child)?));
                }
                b"disconnection-info" => e.disconnection_info = Some(self.execution(&child)?),
                b"media" => e.media.push(self.media(&child)?),
                b"call-info" => {
                    // `call-type` is a choice of `<sip>` or an extension; only `<sip>` counts.
                    if !child.empty {
                        while let Some(call) = self.child()? {
                            if call.name() == b"sip" {
                                e.call_info = Some(self.sip_dialog(&call)?);
                            } else {
                                self.skip(&call)?;
                            }
                        }
                    }
                }
                _ => self.skip(&child)?,
            }
        }
        Ok(e)
    }

    fn media(&mut self, el: &Element<'i>) -> Result<Media, ConferenceError> {
        let mut m = Media {
            id: self.required(el, "media", "id")?,
            ..Media::default()
        };
        if el.empty {
            return Ok(m);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => m.display_text = Some(self.text(&child)?),
                b"type" => m.media_type = Some(self.text(&child)?),
                b"label" => m.label = Some(self.text(&child)?),
                b"src-id" => m.src_id = Some(self.text(&child)?),
                b"status" => m.status = Some(MediaStatus::from_text(self.text(&child)?)),
                _ => self.skip(&child)?,
            }
        }
        Ok(m)
    }

    fn sip_dialog(&mut self, el: &Element<'i>) -> Result<SipDialogId, ConferenceError> {
        let mut d = SipDialogId::default();
        if el.empty {
            return Ok(d);
        }
        while let Some(child) = self.child()? {
            match child.name() {
                b"display-text" => d.display_text = Some(self.text(&child)?),
                b"call-id" => d.call_id = Some(self.text(&child)?),
                b"from-tag" => d.from_tag = Some(self.text(&child)?),
                b"to-tag" => d.to_tag = Some(self.text(&child)?),
                _ => self.skip(&child)?,
            }
        }
        Ok(d)
    }
}

/// Classifies an element's namespace: `Ok(Some(NAMESPACE))` for ours, `Ok(None)` for any
/// other or none, `Err(prefix)` for an undeclared prefix.
fn resolve(ns: ResolveResult<'_>) -> Result<Option<&'static str>, Vec<u8>> {
    match ns {
        ResolveResult::Bound(n) if n.as_ref() == NAMESPACE.as_bytes() => Ok(Some(NAMESPACE)),
        ResolveResult::Bound(_) | ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(prefix),
    }
}

/// Like [`resolve`], keeping any namespace's name (for the root).
fn resolve_any(ns: ResolveResult<'_>) -> Result<Option<String>, Vec<u8>> {
    match ns {
        ResolveResult::Bound(n) => Ok(Some(String::from_utf8_lossy(n.as_ref()).into_owned())),
        ResolveResult::Unbound => Ok(None),
        ResolveResult::Unknown(prefix) => Err(prefix),
    }
}

fn number(text: String, field: &'static str) -> Result<u32, ConferenceError> {
    // `u32::from_str` alone would also take a sign.
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = text.parse() {
            return Ok(n);
        }
    }
    Err(ConferenceError::BadNumber { field, value: text })
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Trims XML white space only: other Unicode spaces are content.
pub(super) fn trim(s: &str) -> &str {
    s.trim_matches(is_xml_space)
}

fn is_blank(text: &[u8]) -> bool {
    text.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}
