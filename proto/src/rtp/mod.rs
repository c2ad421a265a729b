//! RTP and RTCP (RFC 3550) with RFC 8285 header extensions, and RFC 4733 telephone events.
//!
//! # Packets
//!
//! [`RtpPacket::parse`] is a zero-copy view of a datagram: it checks the version, the CSRC
//! list, the header extension and the padding once, then its accessors are plain reads.
//! [`HeaderExtension::elements`] walks RFC 8285 one-byte and two-byte elements with bounds
//! checks. [`RtpBuilder`] writes a packet (CSRCs, extension, padding) into a caller's slice
//! or `BytesMut` without allocating.
//!
//! RTCP datagrams are parsed whole by [`Compound::parse`] into [`RtcpPacket`]s (SR, RR,
//! SDES, BYE, APP; other types come out as [`RtcpPacket::Unknown`]); reduced-size RTCP
//! (RFC 5506) is accepted. [`RtcpWriter`] writes a compound in the order RFC 3550 §6.1
//! requires.
//!
//! # Receiving
//!
//! [`SequenceTracker`] is RFC 3550 Appendix A.1: probation of new sources, extended sequence
//! numbers across wrap-around, restarts after a large jump. [`ReceiveStats`] adds the
//! interarrival jitter (A.8) and the loss counts (A.3) and produces the [`ReportBlock`] of a
//! report. [`timestamp_is_newer`] and [`sequence_is_newer`] compare across wrap-around.
//!
//! # Timing
//!
//! [`RtcpTimer`] is the RTCP transmission interval of RFC 3550 §6.2 and A.7 as a sans-IO
//! timer: randomized with the injected generator, halved before the first report, with
//! timer reconsideration, reverse reconsideration, and BYE reconsideration when leaving.
//!
//! # Telephone events
//!
//! [`TelephoneEvent`] is the RFC 4733 payload, [`DtmfDigit`] the DTMF event codes,
//! [`EventSet`] the `telephone-event` fmtp value. [`DtmfSender`] turns digits into the
//! packets of RFC 4733 §2.5.1 (start, updates, three end packets; events longer than the
//! 16-bit duration field are refused) and [`DtmfReceiver`] reports each received event
//! exactly once, joining the segments of a long event (§2.5.1.3).

mod dtmf;
mod error;
mod interval;
mod packet;
mod rtcp;
mod seq;
mod stats;

pub use dtmf::{
    DtmfDigit, DtmfReceiver, DtmfReceiverConfig, DtmfSender, DtmfSenderConfig, DtmfTransmit,
    EventEnd, EventSet, ReceivedEvent, TelephoneEvent,
};
pub use error::{BuildError, DtmfError, RtcpError, RtpError};
pub use interval::{
    deterministic_interval, IntervalConfig, IntervalEvent, RtcpTimer, RTCP_MIN_TIME,
};
pub use packet::{
    Extension, ExtensionElement, ExtensionElements, ExtensionForm, HeaderExtension, RtpBuilder,
    RtpPacket, HEADER_LEN, ONE_BYTE_PROFILE, TWO_BYTE_PROFILE,
};
pub use rtcp::{
    App, Bye, Compound, ReceiverReport, ReportBlock, RtcpPacket, RtcpWriter, Sdes, SdesChunk,
    SdesChunks, SdesItem, SdesType, SenderInfo, SenderReport, UnknownPacket, APP, BYE, RR, SDES,
    SR,
};
pub use seq::{
    sequence_is_newer, timestamp_diff, timestamp_is_newer, SequenceStatus, SequenceTracker,
    MAX_DROPOUT, MAX_MISORDER, MIN_SEQUENTIAL,
};
pub use stats::ReceiveStats;

#[cfg(test)]
mod tests;
