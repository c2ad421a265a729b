//! The seed's `ConferenceHandler`: participants of a conference the peer hosts (RFC 4579).

use super::{Session, SessionError};
use crate::engine::Input;

/// Adds and removes participants of the conference hosted by a session's peer, a focus
/// (its Contact carries `isfocus`): a REFER to the focus in the session's dialog asks it to
/// invite the participant, or to send it a BYE (RFC 4579 §5.5, §5.10). One REFER is out at
/// a time; later requests wait their turn. The outcome comes as
/// `SIPConferenceGotAddParticipantProgress` / `SIPConferenceDidAddParticipant` /
/// `SIPConferenceDidNotAddParticipant` (and the `Remove` equivalents), each with the
/// `participant` and, for progress and failures, `code` and `reason`; the session is their
/// sender. Get one with [`Session::conference`].
#[derive(Debug, Clone)]
pub struct ConferenceHandler {
    session: Session,
}

impl ConferenceHandler {
    /// Asks the focus to invite `participant_uri` into the conference.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless the session is connected.
    pub fn add_participant(&self, participant_uri: &str) -> Result<(), SessionError> {
        self.request(participant_uri, true)
    }

    /// Asks the focus to remove `participant_uri` from the conference.
    ///
    /// # Errors
    ///
    /// [`SessionError`] unless the session is connected.
    pub fn remove_participant(&self, participant_uri: &str) -> Result<(), SessionError> {
        self.request(participant_uri, false)
    }

    fn request(&self, participant: &str, add: bool) -> Result<(), SessionError> {
        self.session.expect_established()?;
        self.session.send(Input::ConferenceParticipant {
            id: self.session.id,
            participant: participant.to_owned(),
            add,
        })
    }
}

impl Session {
    /// Whether the peer is a conference focus (its Contact carries `isfocus`, RFC 4579).
    pub fn remote_focus(&self) -> bool {
        self.read(|s| s.remote_focus).unwrap_or(false)
    }

    /// The state of the peer's conference as its `conference` NOTIFYs built it (full
    /// documents replace it, partial ones are merged in); `None` before the first.
    pub fn conference_info(&self) -> Option<sipsimple_proto::payloads::conference::ConferenceInfo> {
        self.read(|s| s.conference_info.clone()).flatten()
    }

    /// The handler of the conference the peer hosts, when it is a focus
    /// ([`Session::remote_focus`]).
    pub fn conference(&self) -> Option<ConferenceHandler> {
        self.remote_focus().then(|| ConferenceHandler {
            session: self.clone(),
        })
    }
}
