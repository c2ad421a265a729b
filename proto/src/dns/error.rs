//! The errors of DNS lookups.

use thiserror::Error;

use super::wire::{RecordType, ResponseCode};

/// Why a lookup failed: the `error` of a `DNSLookupDidFail`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LookupError {
    /// `supported_transports` was empty.
    #[error("no transports are supported")]
    NoTransports,
    /// The URI asks for a transport (by its `transport` parameter, or TLS by `sips:`) that is
    /// not among the supported transports, or that is unknown.
    #[error("transport {0} dictated by the URI is not supported")]
    UnsupportedTransport(String),
    /// A `sips:` URI with a `transport` parameter other than TLS.
    #[error("SIPS URI requested with the {0} transport")]
    InsecureTransportForSips(String),
    /// The URI's host is an IP address, and the lookup needs a domain (XCAP servers).
    #[error("cannot perform a DNS query because the host {0} is an IP address")]
    HostIsAddress(String),
    /// The URI has no usable host.
    #[error("invalid domain name {0:?}")]
    InvalidName(String),
    /// No nameserver was given to the lookup.
    #[error("no nameservers are configured")]
    NoNameservers,
    /// The nameservers did not answer in time, or the lifetime of the lookup ran out.
    #[error("timeout in lookup for {what}")]
    Timeout {
        /// What was looked for, such as `routes for SIP URI sip:example.com`.
        what: String,
    },
    /// The lookup completed without a result.
    #[error("no {what} found")]
    NotFound {
        /// What was looked for, such as `routes for SIP URI sip:example.com`.
        what: String,
    },
}

/// Why one query of a lookup got no records: the `error` of a `DNSLookupTrace`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No nameserver answered within the timeout, or the lifetime ran out.
    #[error("the DNS operation timed out")]
    Timeout,
    /// NXDOMAIN: the name does not exist.
    #[error("the DNS query name does not exist")]
    NxDomain,
    /// The name exists but has no records of the type asked for.
    #[error("the DNS response does not contain an answer to the question")]
    NoAnswer,
    /// Every nameserver answered with an error code (the last one is given).
    #[error("all nameservers failed to answer the query ({0})")]
    ServerFailure(ResponseCode),
}

/// Why [`DnsLookup::handle_answer`](super::DnsLookup::handle_answer) ignored some bytes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The bytes are not a DNS message.
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// The message is a query, not a response.
    #[error("the DNS message is not a response")]
    NotAResponse,
    /// No query is waiting for an answer.
    #[error("no query is in flight")]
    NoQueryInFlight,
    /// The id is not the one of the query in flight.
    #[error("answer id {got} does not match query id {expected}")]
    IdMismatch {
        /// The id of the query in flight.
        expected: u16,
        /// The id of the answer.
        got: u16,
    },
    /// A truncated answer while the query waits for its answer over TCP.
    #[error("truncated answer while waiting for the answer over TCP")]
    Truncated,
    /// The question section does not repeat the question asked.
    #[error("the answer is not for {record_type} {name}")]
    QuestionMismatch {
        /// The name asked for.
        name: String,
        /// The type asked for.
        record_type: RecordType,
    },
}

/// Misuse of a [`DnsLookup`](super::DnsLookup).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// A lookup is already running on this object.
    #[error("a lookup is already in progress")]
    LookupInProgress,
}
