//! The conference-info writer: elements in schema order, text escaped so that the reader
//! gives back the same strings.

use std::fmt::Write as _;

use super::{
    ConferenceDescription, ConferenceInfo, Endpoint, Execution, Media, SipDialogId, State, Uris,
    User, NAMESPACE,
};

pub(super) fn document(info: &ConferenceInfo) -> String {
    let mut w = Writer {
        out: String::with_capacity(1024),
    };
    w.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    w.conference(info, "conference-info", true);
    w.out.push('\n');
    w.out
}

struct Writer {
    out: String,
}

impl Writer {
    /// Writes `<name attr="value"…>`; `None` values are left out.
    fn open(&mut self, name: &str, attrs: &[(&str, Option<&str>)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            if let Some(value) = value {
                self.out.push(' ');
                self.out.push_str(key);
                self.out.push_str("=\"");
                escape(&mut self.out, value, true);
                self.out.push('"');
            }
        }
        self.out.push('>');
    }

    fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn text(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.open(name, &[]);
            escape(&mut self.out, value, false);
            self.close(name);
        }
    }

    fn number(&mut self, name: &str, value: Option<u32>) {
        if let Some(n) = value {
            self.text(name, Some(&n.to_string()));
        }
    }

    fn boolean(&mut self, name: &str, value: Option<bool>) {
        self.text(name, value.map(|b| if b { "true" } else { "false" }));
    }

    fn list(&mut self, name: &str, items: &[String]) {
        if !items.is_empty() {
            self.text(name, Some(&items.join(" ")));
        }
    }

    fn conference(&mut self, c: &ConferenceInfo, name: &str, root: bool) {
        let version = c.version.map(|v| v.to_string());
        self.open(
            name,
            &[
                ("xmlns", root.then_some(NAMESPACE)),
                ("entity", Some(&c.entity)),
                // The root states it always, for the reader's sake; a sidebar when not `full`.
                ("state", state_attr(c.state, root)),
                ("version", version.as_deref()),
            ],
        );
        if let Some(d) = &c.description {
            self.description(d);
        }
        if let Some(h) = &c.host_info {
            self.open("host-info", &[]);
            self.text("display-text", h.display_text.as_deref());
            self.text("web-page", h.web_page.as_deref());
            self.uris("uris", h.uris.as_ref());
            self.close("host-info");
        }
        if let Some(s) = &c.conference_state {
            self.open("conference-state", &[]);
            self.number("user-count", s.user_count);
            self.boolean("active", s.active);
            self.boolean("locked", s.locked);
            self.close("conference-state");
        }
        if c.users_state.is_some() || !c.users.is_empty() {
            let state = c.users_state.unwrap_or_default();
            self.open("users", &[("state", state_attr(state, false))]);
            for u in &c.users {
                self.user(u);
            }
            self.close("users");
        }
        self.uris("sidebars-by-ref", c.sidebars_by_ref.as_ref());
        if let Some(s) = &c.sidebars_by_val {
            self.open("sidebars-by-val", &[("state", state_attr(s.state, false))]);
            for entry in &s.entries {
                self.conference(entry, "entry", false);
            }
            self.close("sidebars-by-val");
        }
        self.close(name);
    }

    fn description(&mut self, d: &ConferenceDescription) {
        self.open("conference-description", &[]);
        self.text("display-text", d.display_text.as_deref());
        self.text("subject", d.subject.as_deref());
        self.text("free-text", d.free_text.as_deref());
        self.list("keywords", &d.keywords);
        self.uris("conf-uris", d.conf_uris.as_ref());
        self.uris("service-uris", d.service_uris.as_ref());
        self.number("maximum-user-count", d.maximum_user_count);
        if !d.available_media.is_empty() {
            self.open("available-media", &[]);
            for m in &d.available_media {
                self.open("entry", &[("label", Some(&m.label))]);
                self.text("display-text", m.display_text.as_deref());
                self.text("type", m.media_type.as_deref());
                self.text("status", m.status.as_ref().map(|s| s.as_str()));
                self.close("entry");
            }
            self.close("available-media");
        }
        self.close("conference-description");
    }

    fn uris(&mut self, name: &str, uris: Option<&Uris>) {
        let Some(uris) = uris else {
            return;
        };
        self.open(name, &[("state", state_attr(uris.state, false))]);
        for e in &uris.entries {
            self.open("entry", &[]);
            self.text("uri", Some(&e.uri));
            self.text("display-text", e.display_text.as_deref());
            self.text("purpose", e.purpose.as_deref());
            self.execution("modified", e.modified.as_ref());
            self.close("entry");
        }
        self.close(name);
    }

    fn execution(&mut self, name: &str, x: Option<&Execution>) {
        let Some(x) = x else {
            return;
        };
        self.open(name, &[]);
        self.text("when", x.when.as_deref());
        self.text("reason", x.reason.as_deref());
        self.text("by", x.by.as_deref());
        self.close(name);
    }

    fn user(&mut self, u: &User) {
        self.open(
            "user",
            &[
                ("entity", Some(&u.entity)),
                ("state", state_attr(u.state, false)),
            ],
        );
        self.text("display-text", u.display_text.as_deref());
        self.uris("associated-aors", u.associated_aors.as_ref());
        if !u.roles.is_empty() {
            self.open("roles", &[]);
            for role in &u.roles {
                self.text("entry", Some(role));
            }
            self.close("roles");
        }
        self.list("languages", &u.languages);
        self.text("cascaded-focus", u.cascaded_focus.as_deref());
        for e in &u.endpoints {
            self.endpoint(e);
        }
        self.close("user");
    }

    fn endpoint(&mut self, e: &Endpoint) {
        self.open(
            "endpoint",
            &[
                ("entity", Some(&e.entity)),
                ("state", state_attr(e.state, false)),
            ],
        );
        self.text("display-text", e.display_text.as_deref());
        self.execution("referred", e.referred.as_ref());
        self.text("status", e.status.as_ref().map(|s| s.as_str()));
        self.text(
            "joining-method",
            e.joining_method.as_ref().map(|m| m.as_str()),
        );
        self.execution("joining-info", e.joining_info.as_ref());
        self.text(
            "disconnection-method",
            e.disconnection_method.as_ref().map(|m| m.as_str()),
        );
        self.execution("disconnection-info", e.disconnection_info.as_ref());
        for m in &e.media {
            self.media(m);
        }
        if let Some(d) = &e.call_info {
            self.sip_dialog(d);
        }
        self.close("endpoint");
    }

    fn media(&mut self, m: &Media) {
        self.open("media", &[("id", Some(&m.id))]);
        self.text("display-text", m.display_text.as_deref());
        self.text("type", m.media_type.as_deref());
        self.text("label", m.label.as_deref());
        self.text("src-id", m.src_id.as_deref());
        self.text("status", m.status.as_ref().map(|s| s.as_str()));
        self.close("media");
    }

    fn sip_dialog(&mut self, d: &SipDialogId) {
        self.open("call-info", &[]);
        self.open("sip", &[]);
        self.text("display-text", d.display_text.as_deref());
        self.text("call-id", d.call_id.as_deref());
        self.text("from-tag", d.from_tag.as_deref());
        self.text("to-tag", d.to_tag.as_deref());
        self.close("sip");
        self.close("call-info");
    }
}

/// The `state` attribute to write: the default `full` is left out unless `always`.
fn state_attr(state: State, always: bool) -> Option<&'static str> {
    (always || state != State::Full).then_some(state.as_str())
}

/// Escapes markup characters, and whatever the reader would otherwise change: CR in text (line
/// end normalization) and tab, LF and CR in attribute values (value normalization), written as
/// character references, which both normalizations leave alone.
fn escape(out: &mut String, text: &str, attribute: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' if attribute => {
                // Writing to a String cannot fail.
                let _ = write!(out, "&#{};", u32::from(c));
            }
            c => out.push(c),
        }
    }
}
