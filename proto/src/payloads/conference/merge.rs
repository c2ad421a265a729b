//! Partial notifications (RFC 4575 §4.6): ordering by version, then merging element by
//! element.
//!
//! The rules, shared by every level: an element with a `state` attribute is replaced when
//! `full`, removed when `deleted` and merged when `partial`; an element without one (the
//! description, host info, conference state, URI entries, media, dialog ids) is merged; merging
//! sets each child the update carries and keeps the others; keyed children are matched by key
//! and added when the view lacks them.

use std::collections::HashMap;

use super::{
    AvailableMedium, ConferenceDescription, ConferenceError, ConferenceInfo, ConferenceState,
    Endpoint, Execution, HostInfo, Media, SipDialogId, State, UriEntry, Uris, User,
};

pub(super) fn apply(
    view: &mut ConferenceInfo,
    update: ConferenceInfo,
) -> Result<(), ConferenceError> {
    if update.entity != view.entity {
        return Err(ConferenceError::EntityMismatch {
            current: view.entity.clone(),
            received: update.entity,
        });
    }
    match update.state {
        State::Full | State::Deleted => {
            if let (Some(current), Some(received)) = (view.version, update.version) {
                if received <= current {
                    return Err(ConferenceError::StaleVersion { current, received });
                }
            }
            *view = update;
        }
        State::Partial => {
            if view.state != State::Full {
                return Err(ConferenceError::NotFull);
            }
            let (Some(current), Some(received)) = (view.version, update.version) else {
                return Err(ConferenceError::MissingVersion);
            };
            if received <= current {
                return Err(ConferenceError::StaleVersion { current, received });
            }
            // A partial document only makes sense on top of the one before it: with versions
            // missing in between, the view would silently lack their changes.
            if received - current > 1 {
                return Err(ConferenceError::VersionGap { current, received });
            }
            merge_conference(view, update);
            view.version = Some(received);
        }
    }
    Ok(())
}

/// Merges the content of a `conference-type` (the root or a sidebar); identity, state and
/// version are the caller's.
fn merge_conference(view: &mut ConferenceInfo, update: ConferenceInfo) {
    merge_opt(&mut view.description, update.description);
    merge_opt(&mut view.host_info, update.host_info);
    merge_opt(&mut view.conference_state, update.conference_state);
    // A `<users>` list without its state cannot come from a parsed document; a built one is
    // taken as `full`, the schema's default.
    let users_state = update
        .users_state
        .or((!update.users.is_empty()).then_some(State::Full));
    match users_state {
        None => {}
        Some(State::Full) => {
            view.users_state = Some(State::Full);
            view.users = update.users;
        }
        Some(State::Deleted) => {
            view.users_state = None;
            view.users.clear();
        }
        Some(State::Partial) => {
            view.users_state = Some(State::Full);
            merge_stateful(&mut view.users, update.users);
        }
    }
    merge_uris(&mut view.sidebars_by_ref, update.sidebars_by_ref);
    if let Some(sidebars) = update.sidebars_by_val {
        match sidebars.state {
            State::Full => view.sidebars_by_val = Some(sidebars),
            State::Deleted => view.sidebars_by_val = None,
            State::Partial => {
                let list = view.sidebars_by_val.get_or_insert_with(Default::default);
                list.state = State::Full;
                merge_stateful(&mut list.entries, sidebars.entries);
            }
        }
    }
}

/// An element merged by setting the children an update carries.
trait Merge {
    fn merge(&mut self, update: Self);
}

/// A list element matched by a key.
trait Keyed: Merge {
    fn key(&self) -> &str;
}

/// A keyed list element with a `state` attribute.
trait Stateful: Keyed + Sized {
    fn state(&self) -> State;
    /// An element with only its key, into which a partial update for an element the view
    /// lacks is merged.
    fn with_key(key: String) -> Self;
}

fn set<T>(view: &mut Option<T>, update: Option<T>) {
    if update.is_some() {
        *view = update;
    }
}

fn merge_opt<T: Merge>(view: &mut Option<T>, update: Option<T>) {
    match (view.as_mut(), update) {
        (Some(v), Some(u)) => v.merge(u),
        (None, Some(u)) => *view = Some(u),
        (_, None) => {}
    }
}

/// Element lists without state in the schema (available media, URI entries, media): a child
/// is always merged, since it cannot say otherwise; an empty list sets nothing.
fn merge_keyed<T: Keyed>(view: &mut Vec<T>, update: Vec<T>) {
    // Indexed by key: a hostile document may hold tens of thousands of elements, and a scan
    // per update would be quadratic. With duplicate keys the first element counts.
    let mut index = HashMap::with_capacity(view.len());
    for (i, v) in view.iter().enumerate() {
        index.entry(v.key().to_owned()).or_insert(i);
    }
    for u in update {
        match index.get(u.key()) {
            Some(&i) => view[i].merge(u),
            None => {
                index.insert(u.key().to_owned(), view.len());
                view.push(u);
            }
        }
    }
}

fn merge_stateful<T: Stateful>(view: &mut Vec<T>, update: Vec<T>) {
    if update.is_empty() {
        return;
    }
    // Removed elements leave a hole until the end, so that indexes stay valid.
    let mut slots: Vec<Option<T>> = std::mem::take(view).into_iter().map(Some).collect();
    let mut index = HashMap::with_capacity(slots.len());
    for (i, v) in slots.iter().enumerate() {
        if let Some(v) = v {
            index.entry(v.key().to_owned()).or_insert(i);
        }
    }
    for u in update {
        match (u.state(), index.get(u.key()).copied()) {
            (State::Deleted, Some(i)) => {
                slots[i] = None;
                index.remove(u.key());
            }
            (State::Deleted, None) => {}
            (State::Full, Some(i)) => slots[i] = Some(u),
            (State::Partial, Some(i)) => {
                if let Some(v) = slots[i].as_mut() {
                    v.merge(u);
                }
            }
            (State::Full | State::Partial, None) => {
                // Merging into a bare element drops what the new one marks deleted and leaves
                // the view's element `full`.
                let mut fresh = T::with_key(u.key().to_owned());
                fresh.merge(u);
                index.insert(fresh.key().to_owned(), slots.len());
                slots.push(Some(fresh));
            }
        }
    }
    *view = slots.into_iter().flatten().collect();
}

/// A URI list (`uris-type`, which has a state).
fn merge_uris(view: &mut Option<Uris>, update: Option<Uris>) {
    let Some(update) = update else {
        return;
    };
    match update.state {
        State::Full => *view = Some(update),
        State::Deleted => *view = None,
        State::Partial => {
            let list = view.get_or_insert_with(Uris::default);
            list.state = State::Full;
            merge_keyed(&mut list.entries, update.entries);
        }
    }
}

/// A list of plain values (keywords, roles, languages): the update's list replaces the view's
/// when it has any element; an empty one cannot be told from an absent one.
fn set_list(view: &mut Vec<String>, update: Vec<String>) {
    if !update.is_empty() {
        *view = update;
    }
}

impl Merge for ConferenceDescription {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.subject, u.subject);
        set(&mut self.free_text, u.free_text);
        set_list(&mut self.keywords, u.keywords);
        merge_uris(&mut self.conf_uris, u.conf_uris);
        merge_uris(&mut self.service_uris, u.service_uris);
        set(&mut self.maximum_user_count, u.maximum_user_count);
        merge_keyed(&mut self.available_media, u.available_media);
    }
}

impl Merge for AvailableMedium {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.media_type, u.media_type);
        set(&mut self.status, u.status);
    }
}

impl Keyed for AvailableMedium {
    fn key(&self) -> &str {
        &self.label
    }
}

impl Merge for HostInfo {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.web_page, u.web_page);
        merge_uris(&mut self.uris, u.uris);
    }
}

impl Merge for ConferenceState {
    fn merge(&mut self, u: Self) {
        set(&mut self.user_count, u.user_count);
        set(&mut self.active, u.active);
        set(&mut self.locked, u.locked);
    }
}

impl Merge for UriEntry {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.purpose, u.purpose);
        merge_opt(&mut self.modified, u.modified);
    }
}

impl Keyed for UriEntry {
    fn key(&self) -> &str {
        &self.uri
    }
}

impl Merge for Execution {
    fn merge(&mut self, u: Self) {
        set(&mut self.when, u.when);
        set(&mut self.reason, u.reason);
        set(&mut self.by, u.by);
    }
}

impl Merge for User {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        merge_uris(&mut self.associated_aors, u.associated_aors);
        set_list(&mut self.roles, u.roles);
        set_list(&mut self.languages, u.languages);
        set(&mut self.cascaded_focus, u.cascaded_focus);
        merge_stateful(&mut self.endpoints, u.endpoints);
    }
}

impl Merge for Endpoint {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        merge_opt(&mut self.referred, u.referred);
        set(&mut self.status, u.status);
        set(&mut self.joining_method, u.joining_method);
        merge_opt(&mut self.joining_info, u.joining_info);
        set(&mut self.disconnection_method, u.disconnection_method);
        merge_opt(&mut self.disconnection_info, u.disconnection_info);
        merge_keyed(&mut self.media, u.media);
        merge_opt(&mut self.call_info, u.call_info);
    }
}

/// Users and endpoints are keyed by their `entity` and carry a `state` of their own.
macro_rules! entity_element {
    ($($ty:ty),*) => {$(
        impl Keyed for $ty {
            fn key(&self) -> &str {
                &self.entity
            }
        }

        impl Stateful for $ty {
            fn state(&self) -> State {
                self.state
            }

            fn with_key(entity: String) -> Self {
                Self {
                    entity,
                    ..Self::default()
                }
            }
        }
    )*};
}

entity_element!(User, Endpoint);

impl Merge for Media {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.media_type, u.media_type);
        set(&mut self.label, u.label);
        set(&mut self.src_id, u.src_id);
        set(&mut self.status, u.status);
    }
}

impl Keyed for Media {
    fn key(&self) -> &str {
        &self.id
    }
}

impl Merge for SipDialogId {
    fn merge(&mut self, u: Self) {
        set(&mut self.display_text, u.display_text);
        set(&mut self.call_id, u.call_id);
        set(&mut self.from_tag, u.from_tag);
        set(&mut self.to_tag, u.to_tag);
    }
}

/// A sidebar by value: a conference of its own, merged by the same rules.
impl Merge for ConferenceInfo {
    fn merge(&mut self, u: Self) {
        set(&mut self.version, u.version);
        merge_conference(self, u);
    }
}

impl Keyed for ConferenceInfo {
    fn key(&self) -> &str {
        &self.entity
    }
}

impl Stateful for ConferenceInfo {
    fn state(&self) -> State {
        self.state
    }

    fn with_key(entity: String) -> Self {
        Self {
            entity,
            ..Self::default()
        }
    }
}
