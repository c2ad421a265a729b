//! The DNS wire format (RFC 1035 §4) through `simple-dns`: queries out, answers in, as owned
//! values the lookup machine and its traces can keep.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use simple_dns::rdata::RData;
use simple_dns::{
    Name, Packet, PacketFlag, Question, ResourceRecord, CLASS, QCLASS, QTYPE, RCODE, TYPE,
};

use super::error::AnswerError;

/// The record types the lookups ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RecordType {
    /// An IPv4 address (RFC 1035).
    A,
    /// An IPv6 address (RFC 3596).
    Aaaa,
    /// A naming authority pointer (RFC 3403).
    Naptr,
    /// The authoritative nameservers of a zone (RFC 1035).
    Ns,
    /// A service location (RFC 2782).
    Srv,
    /// Text strings (RFC 1035).
    Txt,
}

impl RecordType {
    /// The type's mnemonic, as the `query_type` of a `DNSLookupTrace`: `"A"`, `"AAAA"`,
    /// `"NAPTR"`, `"NS"`, `"SRV"` or `"TXT"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::Aaaa => "AAAA",
            Self::Naptr => "NAPTR",
            Self::Ns => "NS",
            Self::Srv => "SRV",
            Self::Txt => "TXT",
        }
    }

    fn to_wire(self) -> TYPE {
        match self {
            Self::A => TYPE::A,
            Self::Aaaa => TYPE::AAAA,
            Self::Naptr => TYPE::NAPTR,
            Self::Ns => TYPE::NS,
            Self::Srv => TYPE::SRV,
            Self::Txt => TYPE::TXT,
        }
    }

    fn from_wire(t: TYPE) -> Option<Self> {
        Some(match t {
            TYPE::A => Self::A,
            TYPE::AAAA => Self::Aaaa,
            TYPE::NAPTR => Self::Naptr,
            TYPE::NS => Self::Ns,
            TYPE::SRV => Self::Srv,
            TYPE::TXT => Self::Txt,
            _ => return None,
        })
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The RCODE of an answer (RFC 1035 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseCode {
    /// No error.
    NoError,
    /// The server could not interpret the query.
    FormatError,
    /// The server failed to process the query.
    ServerFailure,
    /// NXDOMAIN: the name does not exist.
    NameError,
    /// The server does not support this kind of query.
    NotImplemented,
    /// The server refuses to answer.
    Refused,
    /// Any other code, by number.
    Other(u16),
}

impl ResponseCode {
    fn from_wire(code: RCODE) -> Self {
        match code {
            RCODE::NoError => Self::NoError,
            RCODE::FormatError => Self::FormatError,
            RCODE::ServerFailure => Self::ServerFailure,
            RCODE::NameError => Self::NameError,
            RCODE::NotImplemented => Self::NotImplemented,
            RCODE::Refused => Self::Refused,
            other => Self::Other(other as u16),
        }
    }
}

impl fmt::Display for ResponseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoError => f.write_str("NOERROR"),
            Self::FormatError => f.write_str("FORMERR"),
            Self::ServerFailure => f.write_str("SERVFAIL"),
            Self::NameError => f.write_str("NXDOMAIN"),
            Self::NotImplemented => f.write_str("NOTIMP"),
            Self::Refused => f.write_str("REFUSED"),
            Self::Other(n) => write!(f, "RCODE {n}"),
        }
    }
}

/// One resource record of an answer, owned. Names are lower-case, without the final dot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The owner name.
    pub name: String,
    /// The time to live, in seconds.
    pub ttl: u32,
    /// The data.
    pub data: RecordData,
}

/// The data of a [`Record`], for the types the lookups use.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// An alias: the canonical name.
    Cname(String),
    /// An authoritative nameserver's name.
    Ns(String),
    /// A naming authority pointer (RFC 3403 §4.1).
    Naptr {
        /// Lower is tried first.
        order: u16,
        /// Among equal `order`, lower is tried first.
        preference: u16,
        /// The flags, such as `S` (the replacement names SRV records).
        flags: String,
        /// The service, such as `SIP+D2U`.
        services: String,
        /// The regular expression (unused by SIP, RFC 3263 §4.1).
        regexp: String,
        /// The next name to look up.
        replacement: String,
    },
    /// A service location (RFC 2782).
    Srv {
        /// Lower is tried first.
        priority: u16,
        /// Relative weight among equal priorities.
        weight: u16,
        /// The port of the service.
        port: u16,
        /// The host name of the server; empty for `.` ("not available here").
        target: String,
    },
    /// The character strings of a TXT record, in order.
    Txt(Vec<String>),
}

impl RecordData {
    /// The type of this data; `None` for CNAME, which is never asked for directly.
    pub fn record_type(&self) -> Option<RecordType> {
        Some(match self {
            Self::A(_) => RecordType::A,
            Self::Aaaa(_) => RecordType::Aaaa,
            Self::Cname(_) => return None,
            Self::Ns(_) => RecordType::Ns,
            Self::Naptr { .. } => RecordType::Naptr,
            Self::Srv { .. } => RecordType::Srv,
            Self::Txt(_) => RecordType::Txt,
        })
    }
}

/// A DNS answer, parsed: the header fields that matter and the records of the types in
/// [`RecordData`] (others are skipped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The query id it answers.
    pub id: u16,
    /// The RCODE.
    pub response_code: ResponseCode,
    /// The AA bit: the server is an authority for the name.
    pub authoritative: bool,
    /// The TC bit: the answer did not fit and must be asked again over TCP.
    pub truncated: bool,
    /// The question section: names (normalized like [`Record::name`]) and types (`None` for a
    /// type the lookups never ask for).
    pub questions: Vec<(String, Option<RecordType>)>,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authority: Vec<Record>,
    /// The additional section.
    pub additional: Vec<Record>,
}

impl Answer {
    /// Parses an answer. Anything that is not a well-formed DNS response is an error.
    pub fn parse(bytes: &[u8]) -> Result<Self, AnswerError> {
        let packet = Packet::parse(bytes).map_err(|e| AnswerError::Malformed(e.to_string()))?;
        if !packet.has_flags(PacketFlag::RESPONSE) {
            return Err(AnswerError::NotAResponse);
        }
        let questions = packet
            .questions
            .iter()
            .filter(|q| q.qclass == QCLASS::CLASS(CLASS::IN))
            .map(|q| {
                let t = match q.qtype {
                    QTYPE::TYPE(t) => RecordType::from_wire(t),
                    _ => None,
                };
                (normalize(&q.qname.to_string()), t)
            })
            .collect();
        let section = |rrs: &[ResourceRecord<'_>]| rrs.iter().filter_map(record).collect();
        Ok(Self {
            id: packet.id(),
            response_code: ResponseCode::from_wire(packet.rcode()),
            authoritative: packet.has_flags(PacketFlag::AUTHORITATIVE_ANSWER),
            truncated: packet.has_flags(PacketFlag::TRUNCATION),
            questions,
            answers: section(&packet.answers),
            authority: section(&packet.name_servers),
            additional: section(&packet.additional_records),
        })
    }
}

/// The header of an answer, read without parsing the rest: id, QR and TC. A truncated UDP
/// answer may be cut anywhere after the header, so the machine looks at these first.
pub(super) fn peek_header(bytes: &[u8]) -> Option<(u16, bool, bool)> {
    let header = bytes.get(..4)?;
    let id = u16::from_be_bytes([header[0], header[1]]);
    let response = header[2] & 0x80 != 0;
    let truncated = header[2] & 0x02 != 0;
    Some((id, response, truncated))
}

/// Builds a recursive query (RD set) for `name` and `record_type` in class IN with the id
/// `id`. Fails when `name` is not a valid domain name (an empty or over-long label, a name
/// over 255 octets).
pub fn encode_query(id: u16, name: &str, record_type: RecordType) -> Result<Vec<u8>, NameError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(NameError(name.to_owned()));
    }
    let qname = Name::new(name).map_err(|_| NameError(name.to_owned()))?;
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    packet.questions.push(Question::new(
        qname,
        QTYPE::TYPE(record_type.to_wire()),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    packet
        .build_bytes_vec()
        .map_err(|_| NameError(name.to_owned()))
}

/// A name that cannot be put in a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid domain name {0:?}")]
pub struct NameError(pub String);

/// Lower-cases a domain name and removes its final dot.
pub(super) fn normalize(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

fn record(rr: &ResourceRecord<'_>) -> Option<Record> {
    if rr.class != CLASS::IN {
        return None;
    }
    let data = match &rr.rdata {
        RData::A(a) => RecordData::A(Ipv4Addr::from(a.address)),
        RData::AAAA(a) => RecordData::Aaaa(Ipv6Addr::from(a.address)),
        RData::CNAME(c) => RecordData::Cname(normalize(&c.0.to_string())),
        RData::NS(n) => RecordData::Ns(normalize(&n.0.to_string())),
        RData::NAPTR(n) => RecordData::Naptr {
            order: n.order,
            preference: n.preference,
            flags: n.flags.to_string(),
            services: n.services.to_string(),
            regexp: n.regexp.to_string(),
            replacement: normalize(&n.replacement.to_string()),
        },
        RData::SRV(s) => RecordData::Srv {
            priority: s.priority,
            weight: s.weight,
            port: s.port,
            target: normalize(&s.target.to_string()),
        },
        RData::TXT(t) => RecordData::Txt(
            t.iter_raw()
                .map(|(key, value)| {
                    let mut s = String::from_utf8_lossy(key).into_owned();
                    if let Some(v) = value {
                        s.push('=');
                        s.push_str(&String::from_utf8_lossy(v));
                    }
                    s
                })
                .collect(),
        ),
        _ => return None,
    };
    Some(Record {
        name: normalize(&rr.name.to_string()),
        ttl: rr.ttl,
        data,
    })
}
