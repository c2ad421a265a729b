//! New offers within an established session (RFC 3264 §8).

use super::{offer_media, set_version_after, LocalStream, NegotiatedStreams, NegotiationError};
use crate::sdp::{Attribute, ConnectionData, Direction, MediaDescription, Session};

/// Builds the next offer of an established session from the last description the local side
/// sent (its offer or its answer) and the negotiated state (RFC 3264 §8).
///
/// The new offer starts as the previous description, with the `m=` lines that were rejected
/// turned into disabled ones (port 0, no attributes, §8.2). The methods then change it:
///
/// - [`hold`](Self::hold) / [`hold_stream`](Self::hold_stream): `sendonly`, or `inactive`
///   when the peer does not receive (it holds us) or we did not send (§8.4);
/// - [`unhold`](Self::unhold) / [`unhold_stream`](Self::unhold_stream): `sendrecv`;
/// - [`add_stream`](Self::add_stream): a new `m=` line at the end (§8.1);
/// - [`remove_stream`](Self::remove_stream): port 0, the line stays (§8.2);
/// - [`set_port`](Self::set_port), [`set_connection`](Self::set_connection),
///   [`set_direction`](Self::set_direction): a changed transport or direction (§8.3).
///
/// [`build`](Self::build) gives the offer with the previous origin, its version incremented by
/// exactly one when anything changed, the same version otherwise ([`set_version_after`]).
#[derive(Debug, Clone)]
pub struct Reoffer<'a> {
    previous: &'a Session,
    state: &'a NegotiatedStreams,
    media: Vec<MediaDescription>,
}

impl<'a> Reoffer<'a> {
    /// Starts a re-offer from the last description sent and the negotiated state.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::StateMismatch`] when the state does not have one stream per `m=`
    /// line of `previous`.
    pub fn new(
        previous: &'a Session,
        state: &'a NegotiatedStreams,
    ) -> Result<Self, NegotiationError> {
        if previous.media().len() != state.len() {
            return Err(NegotiationError::StateMismatch {
                previous: previous.media().len(),
                state: state.len(),
            });
        }
        let media = previous
            .media()
            .iter()
            .zip(state.streams())
            .map(|(media, stream)| {
                let mut media = media.clone();
                if !stream.is_accepted() && !media.is_rejected() {
                    disable(&mut media);
                }
                media
            })
            .collect();
        Ok(Self {
            previous,
            state,
            media,
        })
    }

    /// The `m=` lines as they stand.
    #[must_use]
    pub fn media(&self) -> &[MediaDescription] {
        &self.media
    }

    /// Puts every active stream on hold (RFC 3264 §8.4).
    pub fn hold(&mut self) -> &mut Self {
        for index in 0..self.media.len() {
            self.hold_at(index);
        }
        self
    }

    /// Resumes every active stream: `sendrecv` (RFC 3264 §8.4).
    pub fn unhold(&mut self) -> &mut Self {
        for index in 0..self.media.len() {
            self.direct(index, Direction::SendRecv);
        }
        self
    }

    /// Puts one stream on hold: `sendonly` if it was sending and the peer receives, else
    /// `inactive` (RFC 3264 §8.4). A disabled stream is left alone.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn hold_stream(&mut self, index: usize) -> Result<&mut Self, NegotiationError> {
        self.check(index)?;
        self.hold_at(index);
        Ok(self)
    }

    /// Resumes one stream: `sendrecv`. A disabled stream is left alone.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn unhold_stream(&mut self, index: usize) -> Result<&mut Self, NegotiationError> {
        self.set_direction(index, Direction::SendRecv)
    }

    /// Sets the direction of one stream. A disabled stream is left alone.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn set_direction(
        &mut self,
        index: usize,
        direction: Direction,
    ) -> Result<&mut Self, NegotiationError> {
        self.check(index)?;
        self.direct(index, direction);
        Ok(self)
    }

    /// Adds a stream at the end (RFC 3264 §8.1) and returns its `m=` line index.
    ///
    /// # Errors
    ///
    /// What [`build_offer`](super::build_offer) refuses of a stream.
    pub fn add_stream(&mut self, stream: &LocalStream) -> Result<usize, NegotiationError> {
        let index = self.media.len();
        let media = offer_media(index, stream, self.previous.connection())?;
        self.media.push(media);
        Ok(index)
    }

    /// Removes a stream: port 0 and no attributes; the `m=` line stays so that the others
    /// keep their indexes (RFC 3264 §8.2).
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn remove_stream(&mut self, index: usize) -> Result<&mut Self, NegotiationError> {
        self.check(index)?;
        disable(&mut self.media[index]);
        Ok(self)
    }

    /// Changes the port of an active stream (RFC 3264 §8.3.1); 0 removes it.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn set_port(&mut self, index: usize, port: u16) -> Result<&mut Self, NegotiationError> {
        self.check(index)?;
        if port == 0 {
            disable(&mut self.media[index]);
        } else {
            self.media[index].set_port(port);
        }
        Ok(self)
    }

    /// Changes the address of a stream (RFC 3264 §8.3.1): a media-level `c=` line, or none
    /// when it is the session-level one.
    ///
    /// # Errors
    ///
    /// [`NegotiationError::NoSuchStream`] for an index past the last `m=` line.
    pub fn set_connection(
        &mut self,
        index: usize,
        connection: ConnectionData,
    ) -> Result<&mut Self, NegotiationError> {
        self.check(index)?;
        let media = &mut self.media[index];
        media.connections_mut().clear();
        if self.previous.connection() != Some(&connection) {
            media.connections_mut().push(connection);
        }
        Ok(self)
    }

    /// The new offer: the previous description with these `m=` lines, under the previous
    /// origin with the version incremented by one if anything changed (RFC 3264 §8).
    #[must_use]
    pub fn build(&self) -> Session {
        let mut offer = self.previous.clone();
        *offer.media_mut() = self.media.clone();
        set_version_after(self.previous, &mut offer);
        offer
    }

    fn check(&self, index: usize) -> Result<(), NegotiationError> {
        if index < self.media.len() {
            Ok(())
        } else {
            Err(NegotiationError::NoSuchStream { index })
        }
    }

    fn hold_at(&mut self, index: usize) {
        let current = self.media[index].effective_direction(self.previous);
        let peer_receives = self
            .state
            .accepted(index)
            .is_none_or(|s| s.remote_direction.receives());
        self.direct(
            index,
            Direction::from_flags(current.sends() && peer_receives, false),
        );
    }

    /// Sets the direction of an active `m=` line, written at media level unless it is the
    /// one the session level gives.
    fn direct(&mut self, index: usize, direction: Direction) {
        let default = self.previous.direction().unwrap_or_default();
        let media = &mut self.media[index];
        if media.is_rejected() || media.effective_direction(self.previous) == direction {
            return;
        }
        media
            .attributes_mut()
            .retain(|a| !matches!(a, Attribute::Direction(_)));
        if direction != default {
            media.push_attribute(Attribute::Direction(direction));
        }
    }
}

/// Disables an `m=` line: port 0, no `c=`, no attributes (RFC 3264 §8.2).
fn disable(media: &mut MediaDescription) {
    media.reject();
    media.connections_mut().clear();
    media.attributes_mut().retain(|_| false);
}
