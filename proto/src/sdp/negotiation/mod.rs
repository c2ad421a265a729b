//! The RFC 3264 offer/answer model over [`Session`]s.
//!
//! # Model
//!
//! The local side describes each stream it can run as a [`LocalStream`]: media type,
//! transport protocol, port and connection address, formats ([`Codec`]s for RTP, plain
//! formats such as `*` for MSRP), the direction it is willing to use, and the attributes the
//! stream layer adds (SDES `a=crypto`, ICE, MSRP `a=path` and `a=accept-types`). Everything
//! here is a pure function of its arguments: no I/O, no clock, no randomness (session ids and
//! versions come from the caller).
//!
//! - [`build_offer`] writes an offer: one `m=` line per stream, static payload types where
//!   RFC 3551 has them and dynamic ones from 96 otherwise, `a=rtpmap` for every payload type,
//!   the `c=` line at session level (and at media level for a stream on another address).
//! - [`answer`] answers an offer (RFC 3264 §6): each `m=` line in order is accepted when an
//!   unused local stream of the same media type and protocol shares a format with it, and
//!   rejected with port 0 otherwise; the answer keeps the offered formats it supports in the
//!   offerer's order and under the offerer's payload type numbers (§6.1), keeps
//!   `telephone-event` only when both sides have it, and answers the direction by the §6.1
//!   table ([`Direction::answer`]). When every offered stream has to be rejected the result
//!   is [`NegotiationError::NoAcceptableStream`] and the caller answers `488`.
//! - [`process_answer`] checks an answer against the offer it answers (same number, order
//!   and media types of `m=` lines, same protocols, formats a subset of the offered ones
//!   mapped to the same codecs, directions allowed by §6.1) and yields the negotiated state.
//! - [`Reoffer`] builds the next offer of an established session from the last description
//!   sent (§8): unchanged `m=` lines are kept, streams are added at the end or removed by
//!   setting their port to 0 (the line stays, §8.2), held with `sendonly` (`inactive` when
//!   the peer already holds us) and resumed with `sendrecv` (§8.4), and the `o=` version is
//!   incremented by exactly one — or kept when nothing changed ([`set_version_after`], which
//!   also serves answers to re-offers).
//!
//! Both [`answer`] and [`process_answer`] return [`NegotiatedStreams`]: per `m=` line, accepted
//! or rejected, with the remote address and port, the codecs with their payload types, the
//! DTMF payload type, both directions, and the remote attributes for the stream layers.
//!
//! Not covered: SDES crypto selection and ICE processing (their attributes are passed
//! through for the stream layers), multicast streams (rejected when answering), and codec
//! parameter negotiation beyond passing each side's `a=fmtp` along.
//!
//! # Example
//!
//! ```
//! use sipsimple_proto::sdp::negotiation::{
//!     answer, build_offer, process_answer, Codec, LocalStream, Reoffer,
//! };
//! use sipsimple_proto::sdp::{Direction, Origin};
//!
//! let alice = "198.51.100.1".parse()?;
//! let bob = "203.0.113.9".parse()?;
//! // Alice offers opus, PCMU and DTMF: opus gets 96, PCMU its static 0, DTMF 97.
//! let codecs = [Codec::opus(), Codec::pcmu(), Codec::telephone_event()];
//! let offer = build_offer(
//!     &Origin::new("alice", 1, 1, alice),
//!     &[LocalStream::audio(alice, 49170, codecs)],
//! )?;
//! assert_eq!(offer.media()[0].formats(), ["96", "0", "97"]);
//!
//! // Bob has PCMA, PCMU and DTMF (which he would number 101): his answer keeps PCMU and DTMF
//! // under Alice's numbers.
//! let local = LocalStream::audio(
//!     bob,
//!     3456,
//!     [Codec::pcma(), Codec::pcmu(), Codec::telephone_event().with_payload_type(101)],
//! );
//! let (answer_sdp, at_bob) = answer(&offer, &Origin::new("bob", 7, 7, bob), &[local])?;
//! assert_eq!(answer_sdp.media()[0].formats(), ["0", "97"]);
//! let audio = at_bob.accepted(0).unwrap();
//! assert_eq!(audio.codecs[0].encoding_name, "PCMU");
//! assert_eq!(audio.dtmf_payload_type(), Some(97));
//!
//! // Alice checks the answer, then puts Bob on hold: version 2, `sendonly`.
//! let at_alice = process_answer(&offer, &answer_sdp)?;
//! assert_eq!(at_alice.accepted(0).unwrap().remote_port, 3456);
//! let hold = Reoffer::new(&offer, &at_alice)?.hold().build();
//! assert_eq!(hold.origin().session_version, 2);
//! assert_eq!(hold.media()[0].direction(), Some(Direction::SendOnly));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
mod error;
mod local;
mod negotiated;
mod reoffer;

pub use self::codec::Codec;
pub use self::error::NegotiationError;
pub use self::local::LocalStream;
pub use self::negotiated::{
    AcceptedStream, NegotiatedCodec, NegotiatedStream, NegotiatedStreams, RejectedStream,
};
pub use self::reoffer::Reoffer;
use crate::sdp::{
    Attribute, Attributes, ConnectionData, Direction, Fmtp, MediaDescription, Origin, Session,
};

/// Builds an offer (RFC 3264 §5) with the given origin (session id and version chosen by the
/// caller) and one `m=` line per stream, in order.
///
/// RTP codecs get their [`Codec::payload_type`] when set, else their RFC 3551 static number,
/// else the next free dynamic number from 96; each gets an `a=rtpmap`, and its `a=fmtp` when
/// it has parameters. The first stream's connection goes to the session-level `c=` line (the
/// origin's address when there is no stream); a stream on another address gets its own.
/// Streams with a port of 0 are written disabled.
///
/// # Errors
///
/// [`NegotiationError::NoFormats`] for a stream without codecs or formats,
/// [`NegotiationError::PayloadTypesExhausted`] when payload types collide or run out.
pub fn build_offer(origin: &Origin, streams: &[LocalStream]) -> Result<Session, NegotiationError> {
    let connection = streams
        .first()
        .map_or_else(|| origin_connection(origin), |s| s.connection.clone());
    let mut session = Session::new(origin.clone(), "-").with_connection(connection.clone());
    for (index, stream) in streams.iter().enumerate() {
        session.push_media(offer_media(index, stream, Some(&connection))?);
    }
    Ok(session)
}

/// Answers `offer` (RFC 3264 §6) from the given local streams, under `origin`.
///
/// Each offered `m=` line, in order, takes the first unused local stream of the same media
/// type and transport protocol that shares a format with it; a local stream serves one `m=`
/// line at most, and one with port 0 serves none. Accepted lines list the shared formats in the offerer's order under the
/// offerer's payload types (§6.1), with `a=rtpmap` as the offer describes them, the local
/// `a=fmtp` parameters and attributes, and the direction [`Direction::answer`] gives for the
/// offered direction and the local one (written only when not `sendrecv`). `telephone-event`
/// is kept when both sides have it at the same clock rate, but never accepts a stream by
/// itself. MSRP streams whose `a=accept-types` share no type are not accepted. Lines that are
/// offered with port 0, use multicast, or find no local stream are answered with port 0 and
/// the offered formats. The answer always has as many `m=` lines as the offer.
///
/// For an answer to a re-offer, pass the previous answer's origin, or fix the version
/// afterwards with [`set_version_after`].
///
/// # Errors
///
/// [`NegotiationError::NoAcceptableStream`] when the offer has active streams and none can be
/// accepted, [`NegotiationError::MissingConnection`] when an active offered stream has no
/// `c=` line: the caller answers `488 Not Acceptable Here`.
pub fn answer(
    offer: &Session,
    origin: &Origin,
    streams: &[LocalStream],
) -> Result<(Session, NegotiatedStreams), NegotiationError> {
    let mut used = vec![false; streams.len()];
    let mut media = Vec::with_capacity(offer.media().len());
    let mut negotiated = Vec::with_capacity(offer.media().len());
    let mut offered_active = false;
    for (index, offered) in offer.media().iter().enumerate() {
        let connection = if offered.is_rejected() {
            None
        } else {
            offered_active = true;
            let connection = offered
                .effective_connection(offer)
                .ok_or(NegotiationError::MissingConnection { index })?;
            (!connection.is_multicast()).then_some(connection)
        };
        let found = connection.and_then(|connection| {
            streams
                .iter()
                .enumerate()
                .filter(|(i, local)| {
                    !used[*i]
                        && local.port != 0
                        && local.media_type == *offered.media_type()
                        && local.protocol == *offered.protocol()
                })
                .find_map(|(i, local)| {
                    match_stream(offered, local).map(|matched| (i, local, matched, connection))
                })
        });
        let Some((i, local, matched, connection)) = found else {
            media.push((rejected_media(offered), None));
            negotiated.push(rejected(offered));
            continue;
        };
        used[i] = true;
        let remote_direction = remote_direction(offered, offer, connection);
        let direction = Direction::answer(remote_direction, local.direction);
        let mut answered = MediaDescription::new(
            offered.media_type().clone(),
            local.port,
            offered.protocol().clone(),
            matched.formats.iter().cloned(),
        );
        for (pt, offered_codec, local_codec) in &matched.codecs {
            answered.push_attribute(Attribute::Rtpmap(offered_codec.rtpmap(*pt)));
            if let Some(params) = &local_codec.fmtp {
                answered.push_attribute(Attribute::Fmtp(Fmtp::new(pt.to_string(), params)));
            }
        }
        for attribute in &local.attributes {
            answered.push_attribute(attribute.clone());
        }
        if direction != Direction::SendRecv {
            answered.push_attribute(Attribute::Direction(direction));
        }
        let (codecs, dtmf) =
            negotiated_codecs(matched.codecs.iter().map(|(pt, codec, _)| (*pt, codec)));
        negotiated.push(NegotiatedStream::Accepted(Box::new(AcceptedStream {
            media_type: offered.media_type().clone(),
            protocol: offered.protocol().clone(),
            local_port: local.port,
            remote_connection: connection.clone(),
            remote_port: offered.port(),
            codecs,
            dtmf,
            formats: matched.formats,
            local_direction: direction,
            remote_direction,
            remote_attributes: with_session_ice(offered.attributes(), offer.attributes()),
        })));
        media.push((answered, Some(&local.connection)));
    }
    if offered_active && !negotiated.iter().any(NegotiatedStream::is_accepted) {
        return Err(NegotiationError::NoAcceptableStream);
    }
    let connection = media
        .iter()
        .find_map(|(_, c)| c.cloned())
        .unwrap_or_else(|| origin_connection(origin));
    let mut session = Session::new(origin.clone(), "-").with_connection(connection.clone());
    for (mut m, c) in media {
        if let Some(c) = c.filter(|c| **c != connection) {
            m = m.with_connection(c.clone());
        }
        session.push_media(m);
    }
    let negotiated = NegotiatedStreams {
        streams: negotiated,
        remote_session_attributes: offer.attributes().clone(),
    };
    Ok((session, negotiated))
}

/// Checks `answer` against the `offer` it answers (RFC 3264 §6) and gives the negotiated
/// state from the offerer's side.
///
/// The answer must have one `m=` line per offered one with the same media type; an accepted
/// line must answer an active offered one, use its protocol, have a `c=` line, list only
/// offered formats (and at least one), map offered payload types to the offered codecs, and
/// carry a direction §6.1 allows for the offered one. The codecs of the result follow the
/// answer's order and are described as the offer describes them, with the answerer's
/// `a=fmtp` parameters.
///
/// # Errors
///
/// The first fault found, as a [`NegotiationError`] naming the `m=` line.
pub fn process_answer(
    offer: &Session,
    answer: &Session,
) -> Result<NegotiatedStreams, NegotiationError> {
    if offer.media().len() != answer.media().len() {
        return Err(NegotiationError::MediaCountMismatch {
            offered: offer.media().len(),
            answered: answer.media().len(),
        });
    }
    let mut streams = Vec::with_capacity(offer.media().len());
    for (index, (offered, answered)) in offer.media().iter().zip(answer.media()).enumerate() {
        if offered.media_type() != answered.media_type() {
            return Err(NegotiationError::MediaTypeMismatch {
                index,
                offered: offered.media_type().clone(),
                answered: answered.media_type().clone(),
            });
        }
        if answered.is_rejected() {
            streams.push(rejected(offered));
            continue;
        }
        if offered.is_rejected() {
            return Err(NegotiationError::AcceptedDisabledStream { index });
        }
        if offered.protocol() != answered.protocol() {
            return Err(NegotiationError::ProtocolMismatch {
                index,
                offered: offered.protocol().clone(),
                answered: answered.protocol().clone(),
            });
        }
        if answered.formats().is_empty() {
            return Err(NegotiationError::NoFormats { index });
        }
        if let Some(format) = answered
            .formats()
            .iter()
            .find(|f| !offered.formats().contains(f))
        {
            return Err(NegotiationError::UnofferedFormat {
                index,
                format: format.clone(),
            });
        }
        let mut codecs = Vec::new();
        if offered.protocol().is_rtp() {
            for pt in answered.payload_types() {
                let Some(mut codec) = Codec::from_media(offered, pt) else {
                    continue;
                };
                if Codec::from_media(answered, pt).is_some_and(|a| !a.same_format(&codec)) {
                    return Err(NegotiationError::FormatMismatch {
                        index,
                        payload_type: pt,
                    });
                }
                codec.fmtp = answered.fmtp(&pt.to_string()).map(|f| f.params.clone());
                codecs.push((pt, codec));
            }
        }
        let connection = answered
            .effective_connection(answer)
            .ok_or(NegotiationError::MissingConnection { index })?;
        let offered_direction = offered.effective_direction(offer);
        let answered_direction = answered.effective_direction(answer);
        if Direction::answer(offered_direction, answered_direction) != answered_direction {
            return Err(NegotiationError::DirectionMismatch {
                index,
                offered: offered_direction,
                answered: answered_direction,
            });
        }
        let (codecs, dtmf) = negotiated_codecs(codecs.iter().map(|(pt, c)| (*pt, c)));
        streams.push(NegotiatedStream::Accepted(Box::new(AcceptedStream {
            media_type: offered.media_type().clone(),
            protocol: offered.protocol().clone(),
            local_port: offered.port(),
            remote_connection: connection.clone(),
            remote_port: answered.port(),
            codecs,
            dtmf,
            formats: answered.formats().to_vec(),
            local_direction: offered_direction,
            remote_direction: remote_direction(answered, answer, connection),
            remote_attributes: with_session_ice(answered.attributes(), answer.attributes()),
        })));
    }
    Ok(NegotiatedStreams {
        streams,
        remote_session_attributes: answer.attributes().clone(),
    })
}

/// Gives `next` the origin of `previous` (username, session id, address) with the version
/// incremented by exactly one when `next` differs from `previous` in anything else, and the
/// same version when it does not (RFC 3264 §8: a description sent again unchanged keeps its
/// version; a changed one takes the next).
pub fn set_version_after(previous: &Session, next: &mut Session) {
    *next.origin_mut() = previous.origin().clone();
    if next != previous {
        next.origin_mut().increment_version();
    }
}

/// The offered formats a local stream takes, and for RTP the payload types with the offered
/// and the local codec.
struct Matched<'a> {
    formats: Vec<String>,
    codecs: Vec<(u8, Codec, &'a Codec)>,
}

/// What `local` accepts of `offered` (same media type and protocol already checked): `None`
/// when nothing, or only `telephone-event`.
fn match_stream<'a>(offered: &MediaDescription, local: &'a LocalStream) -> Option<Matched<'a>> {
    if local.is_rtp() {
        let mut codecs: Vec<(u8, Codec, &Codec)> = Vec::new();
        for pt in offered.payload_types() {
            if codecs.iter().any(|(p, ..)| *p == pt) {
                continue;
            }
            let Some(offered_codec) = Codec::from_media(offered, pt) else {
                continue;
            };
            if let Some(local_codec) = local.codecs.iter().find(|c| c.same_format(&offered_codec)) {
                codecs.push((pt, offered_codec, local_codec));
            }
        }
        if codecs.iter().all(|(_, c, _)| c.is_telephone_event()) {
            return None;
        }
        let formats = codecs.iter().map(|(pt, ..)| pt.to_string()).collect();
        return Some(Matched { formats, codecs });
    }
    let any = local.formats.iter().any(|f| f == "*");
    let mut formats: Vec<String> = Vec::new();
    for format in offered.formats() {
        if (any || local.formats.contains(format)) && !formats.contains(format) {
            formats.push(format.clone());
        }
    }
    if formats.is_empty() {
        return None;
    }
    if local.protocol.is_msrp() {
        if let (Some(ours), Some(theirs)) =
            (local.accept_types(), offered.attributes().accept_types())
        {
            let shared = ours
                .iter()
                .any(|a| theirs.iter().any(|b| codec::media_types_match(a, b)));
            if !shared {
                return None;
            }
        }
    }
    Some(Matched {
        formats,
        codecs: Vec::new(),
    })
}

/// The `m=` line of one local stream in an offer; a `c=` line of its own when its connection
/// is not the session-level one.
fn offer_media(
    index: usize,
    stream: &LocalStream,
    session_connection: Option<&ConnectionData>,
) -> Result<MediaDescription, NegotiationError> {
    let mut media = if stream.is_rtp() {
        let payload_types = assign_payload_types(index, &stream.codecs)?;
        let mut media = MediaDescription::new(
            stream.media_type.clone(),
            stream.port,
            stream.protocol.clone(),
            payload_types.iter().map(u8::to_string),
        );
        for (pt, codec) in payload_types.iter().zip(&stream.codecs) {
            media.push_attribute(Attribute::Rtpmap(codec.rtpmap(*pt)));
            if let Some(params) = &codec.fmtp {
                media.push_attribute(Attribute::Fmtp(Fmtp::new(pt.to_string(), params)));
            }
        }
        media
    } else {
        if stream.formats.is_empty() {
            return Err(NegotiationError::NoFormats { index });
        }
        MediaDescription::new(
            stream.media_type.clone(),
            stream.port,
            stream.protocol.clone(),
            stream.formats.iter().cloned(),
        )
    };
    if session_connection != Some(&stream.connection) {
        media = media.with_connection(stream.connection.clone());
    }
    for attribute in &stream.attributes {
        media.push_attribute(attribute.clone());
    }
    if stream.direction != Direction::SendRecv {
        media.push_attribute(Attribute::Direction(stream.direction));
    }
    Ok(media)
}

/// Payload types for codecs to offer: the requested ones, then static ones, then free
/// dynamic ones from 96.
fn assign_payload_types(index: usize, codecs: &[Codec]) -> Result<Vec<u8>, NegotiationError> {
    let exhausted = NegotiationError::PayloadTypesExhausted { index };
    if codecs.is_empty() {
        return Err(NegotiationError::NoFormats { index });
    }
    let mut assigned: Vec<Option<u8>> = codecs.iter().map(|c| c.payload_type).collect();
    let mut taken = [false; 128];
    for pt in assigned.iter().flatten() {
        let slot = taken.get_mut(usize::from(*pt)).ok_or(exhausted.clone())?;
        if *slot {
            return Err(exhausted);
        }
        *slot = true;
    }
    for (slot, codec) in assigned.iter_mut().zip(codecs) {
        if slot.is_none() {
            if let Some(pt) = codec.static_payload_type() {
                if !taken[usize::from(pt)] {
                    taken[usize::from(pt)] = true;
                    *slot = Some(pt);
                }
            }
        }
    }
    let mut next = 96_u8;
    for slot in &mut assigned {
        if slot.is_none() {
            while next <= 127 && taken[usize::from(next)] {
                next += 1;
            }
            if next > 127 {
                return Err(exhausted);
            }
            taken[usize::from(next)] = true;
            *slot = Some(next);
        }
    }
    Ok(assigned.into_iter().flatten().collect())
}

/// The answer to an `m=` line that is not accepted: port 0, the offered formats (RFC 3264
/// §6: at least one must be present), nothing under it.
fn rejected_media(offered: &MediaDescription) -> MediaDescription {
    let formats = if offered.formats().is_empty() {
        vec!["0".to_owned()]
    } else {
        offered.formats().to_vec()
    };
    MediaDescription::new(
        offered.media_type().clone(),
        0,
        offered.protocol().clone(),
        formats,
    )
}

/// The negotiated state of an `m=` line that is not in use.
fn rejected(offered: &MediaDescription) -> NegotiatedStream {
    NegotiatedStream::Rejected(RejectedStream {
        media_type: offered.media_type().clone(),
        protocol: offered.protocol().clone(),
    })
}

/// The direction of a remote `m=` line, with the RFC 2543 hold address `0.0.0.0` read as
/// "does not receive" (RFC 3264 §8.4).
fn remote_direction(
    media: &MediaDescription,
    session: &Session,
    connection: &ConnectionData,
) -> Direction {
    let direction = media.effective_direction(session);
    if connection.is_unspecified() {
        Direction::from_flags(direction.sends(), false)
    } else {
        direction
    }
}

/// Splits negotiated RTP formats into codecs and the first `telephone-event`.
fn negotiated_codecs<'a>(
    codecs: impl Iterator<Item = (u8, &'a Codec)>,
) -> (Vec<NegotiatedCodec>, Option<NegotiatedCodec>) {
    let mut out = Vec::new();
    let mut dtmf = None;
    for (payload_type, codec) in codecs {
        let negotiated = NegotiatedCodec {
            payload_type,
            encoding_name: codec.encoding_name.clone(),
            clock_rate: codec.clock_rate,
            channels: codec.channels,
            remote_fmtp: codec.fmtp.clone(),
        };
        if !codec.is_telephone_event() {
            out.push(negotiated);
        } else if dtmf.is_none() {
            dtmf = Some(negotiated);
        }
    }
    (out, dtmf)
}

/// The `c=` line naming the origin's address.
fn origin_connection(origin: &Origin) -> ConnectionData {
    ConnectionData {
        net_type: origin.net_type.clone(),
        address_type: origin.address_type.clone(),
        address: origin.address.clone(),
        ttl: None,
        address_count: None,
    }
}

#[cfg(test)]
mod tests;

/// The ICE attributes that may stand at session level (RFC 8839 §5.3–5.6): a media
/// description without its own takes the session's.
const SESSION_ICE: [&str; 4] = ["ice-ufrag", "ice-pwd", "ice-lite", "ice-options"];

/// A media description's attributes with the session-level ICE credentials, lite flag and
/// options it does not override, so that a stream finds them all in one place.
fn with_session_ice(media: &Attributes, session: &Attributes) -> Attributes {
    let mut merged = media.clone();
    for name in SESSION_ICE {
        if !media.iter().any(|a| a.name() == name) {
            for a in session.iter().filter(|a| a.name() == name) {
                merged.push(a.clone());
            }
        }
    }
    merged
}

/// The media descriptions of `session`, each with the session-level ICE attributes it does
/// not override: what a stream made from one `m=` line of an offer needs to answer it.
#[must_use]
pub fn media_with_session_ice(session: &Session) -> Vec<MediaDescription> {
    session
        .media()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            for name in SESSION_ICE {
                if !m.attributes().iter().any(|a| a.name() == name) {
                    for a in session.attributes().iter().filter(|a| a.name() == name) {
                        m.push_attribute(a.clone());
                    }
                }
            }
            m
        })
        .collect()
}
