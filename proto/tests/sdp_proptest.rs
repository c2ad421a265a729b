//! Property tests for `sdp`: arbitrary models round-trip through serialization, and any input
//! that parses satisfies the fuzzing oracle `parse(serialize(parse(x))) == parse(x)`.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sipsimple_proto::sdp::{
    AddressType, Attribute, Bandwidth, BandwidthType, Candidate, CandidateType, ConnectionData,
    Crypto, CryptoSuite, Direction, EncryptionKey, FecOrder, FileDate, FileDateKind, FileHash,
    FileRange, FileSelector, Fmtp, InlineKey, KeyParam, Lifetime, MediaDescription, MediaType, Mki,
    NetType, Origin, Repeat, Rtcp, Rtpmap, Session, SessionParam, Setup, TcpConnection, TimeUnit,
    TimeZoneAdjustment, Timing, TransportProtocol, TypedTime,
};

/// One non-empty field without whitespace.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9+./_:;=*@-]{0,11}"
}

/// A token that may not hold `/` or `:`.
fn word() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9._-]{0,9}"
}

/// Free text for `s=`, `i=` and raw values: anything but CR, LF and NUL.
fn text() -> impl Strategy<Value = String> {
    prop_oneof!["[ -~]{0,24}", "[^\r\n\u{0}]{0,12}", Just(String::new()),]
}

fn net_type() -> impl Strategy<Value = NetType> {
    prop_oneof![
        Just(NetType::Internet),
        "x[A-Z]{1,4}".prop_map(NetType::Other)
    ]
}

fn origin() -> impl Strategy<Value = Origin> {
    (
        word(),
        any::<u64>(),
        any::<u64>(),
        net_type(),
        prop_oneof![
            Just(AddressType::Ip4),
            Just(AddressType::Ip6),
            "x[A-Z0-9]{1,4}".prop_map(AddressType::Other),
        ],
        token(),
    )
        .prop_map(
            |(username, session_id, session_version, net_type, address_type, address)| Origin {
                username,
                session_id,
                session_version,
                net_type,
                address_type,
                address,
            },
        )
}

fn connection() -> impl Strategy<Value = ConnectionData> {
    let address = "[A-Za-z0-9.:]{1,15}";
    prop_oneof![
        (
            net_type(),
            address,
            option::of((any::<u8>(), option::of(any::<u32>())))
        )
            .prop_map(|(net_type, address, multicast)| ConnectionData {
                net_type,
                address_type: AddressType::Ip4,
                address,
                ttl: multicast.map(|(ttl, _)| ttl),
                address_count: multicast.and_then(|(_, count)| count),
            }),
        (net_type(), address, option::of(any::<u32>())).prop_map(
            |(net_type, address, address_count)| ConnectionData {
                net_type,
                address_type: AddressType::Ip6,
                address,
                ttl: None,
                address_count,
            }
        ),
        (net_type(), "x[A-Z]{1,4}", token()).prop_map(|(net_type, kind, address)| {
            ConnectionData {
                net_type,
                address_type: AddressType::Other(kind),
                address,
                ttl: None,
                address_count: None,
            }
        }),
    ]
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    (
        prop_oneof![
            Just(BandwidthType::ApplicationSpecific),
            Just(BandwidthType::TransportIndependent),
            "X-[A-Z]{1,4}".prop_map(BandwidthType::Other),
        ],
        any::<u64>(),
    )
        .prop_map(|(bwtype, bandwidth)| Bandwidth::new(bwtype, bandwidth))
}

fn key() -> impl Strategy<Value = EncryptionKey> {
    ("[a-z]{1,6}", option::of(text())).prop_map(|(method, key)| EncryptionKey { method, key })
}

fn typed_time(signed: bool) -> impl Strategy<Value = TypedTime> {
    let value = if signed {
        any::<i64>().boxed()
    } else {
        (0..=i64::MAX).boxed()
    };
    let unit = option::of(prop_oneof![
        Just(TimeUnit::Days),
        Just(TimeUnit::Hours),
        Just(TimeUnit::Minutes),
        Just(TimeUnit::Seconds),
    ]);
    (value, unit).prop_map(|(value, unit)| TypedTime::new(value, unit))
}

fn timing() -> impl Strategy<Value = Timing> {
    let repeat = (
        typed_time(false),
        typed_time(false),
        vec(typed_time(false), 1..3),
    )
        .prop_map(|(interval, duration, offsets)| Repeat {
            interval,
            duration,
            offsets,
        });
    (any::<u64>(), any::<u64>(), vec(repeat, 0..2)).prop_map(|(start, stop, repeats)| Timing {
        start,
        stop,
        repeats,
    })
}

fn key_param() -> impl Strategy<Value = KeyParam> {
    let lifetime = option::of(prop_oneof![
        any::<u64>().prop_map(Lifetime::Packets),
        any::<u8>().prop_map(Lifetime::PowerOfTwo),
    ]);
    let mki =
        option::of((any::<u64>(), 1..=128u8).prop_map(|(value, length)| Mki { value, length }));
    prop_oneof![
        4 => (vec(any::<u8>(), 1..48), lifetime, mki).prop_map(|(bytes, lifetime, mki)| {
            let mut key = InlineKey::new(&bytes);
            key.lifetime = lifetime;
            key.mki = mki;
            KeyParam::Inline(key)
        }),
        1 => ("x[a-z]{0,4}", "[!-:<-~]{1,10}")
            .prop_map(|(method, info)| KeyParam::Other { method, info }),
    ]
}

fn session_param() -> impl Strategy<Value = SessionParam> {
    prop_oneof![
        (0..=24u8).prop_map(SessionParam::Kdr),
        Just(SessionParam::UnencryptedSrtp),
        Just(SessionParam::UnencryptedSrtcp),
        Just(SessionParam::UnauthenticatedSrtp),
        Just(SessionParam::FecOrder(FecOrder::FecSrtp)),
        Just(SessionParam::FecOrder(FecOrder::SrtpFec)),
        vec(key_param(), 1..3).prop_map(SessionParam::FecKey),
        (64..=u32::MAX).prop_map(SessionParam::Wsh),
        "x-[a-z]{1,5}(=[a-z0-9]{1,3})?".prop_map(SessionParam::Other),
    ]
}

fn crypto() -> impl Strategy<Value = Crypto> {
    let suite = prop_oneof![
        Just(CryptoSuite::AesCm128HmacSha1_80),
        Just(CryptoSuite::AesCm128HmacSha1_32),
        Just(CryptoSuite::AeadAes256Gcm),
        "[A-Z][A-Z0-9_]{0,20}".prop_map(CryptoSuite::Other),
    ];
    (
        0..=999_999_999u32,
        suite,
        vec(key_param(), 1..3),
        vec(session_param(), 0..4),
    )
        .prop_map(|(tag, suite, key_params, session_params)| Crypto {
            tag,
            suite,
            key_params,
            session_params,
        })
}

fn candidate() -> impl Strategy<Value = Candidate> {
    let kind = prop_oneof![
        Just(CandidateType::Host),
        Just(CandidateType::ServerReflexive),
        Just(CandidateType::PeerReflexive),
        Just(CandidateType::Relay),
        "[a-z]{1,6}".prop_map(CandidateType::Other),
    ];
    let extension_name = prop_oneof![
        Just("generation".to_owned()),
        Just("tcptype".to_owned()),
        Just("network-id".to_owned()),
        "x-[a-z]{1,5}",
    ];
    (
        (
            "[A-Za-z0-9+/]{1,32}",
            any::<u16>(),
            prop_oneof![Just("UDP".to_owned()), word()],
        ),
        (any::<u32>(), token(), any::<u16>(), kind),
        (option::of(token()), option::of(any::<u16>())),
        vec((extension_name, token()), 0..3),
    )
        .prop_map(
            |(
                (foundation, component, transport),
                (priority, address, port, kind),
                related,
                ext,
            )| {
                Candidate {
                    foundation,
                    component,
                    transport,
                    priority,
                    address,
                    port,
                    kind,
                    related_address: related.0,
                    related_port: related.1,
                    extensions: ext,
                }
            },
        )
}

fn file_selector() -> impl Strategy<Value = FileSelector> {
    let hash = ("sha-[0-9]{1,3}", vec(any::<u8>(), 1..21))
        .prop_map(|(algorithm, value)| FileHash { algorithm, value });
    (
        option::of("[^\r\n\u{0}]{1,16}"),
        option::of("[a-z]{1,6}/[a-z0-9.+-]{1,8}"),
        option::of(any::<u64>()),
        vec(hash, 0..2),
    )
        .prop_filter_map("valid selector", |(name, media_type, size, hashes)| {
            FileSelector::new(name.as_deref(), media_type.as_deref(), size, &hashes).ok()
        })
}

fn file_date() -> impl Strategy<Value = FileDate> {
    (
        proptest::sample::subsequence(
            vec![
                FileDateKind::Creation,
                FileDateKind::Modification,
                FileDateKind::Read,
            ],
            1..=3,
        )
        .prop_shuffle(),
        vec("[ !#-~]{1,24}", 3),
    )
        .prop_map(|(kinds, dates)| FileDate {
            dates: kinds.into_iter().zip(dates).collect(),
        })
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let rtpmap = (
        0..=127u8,
        "[A-Za-z0-9-]{1,10}",
        any::<u32>(),
        option::of("[a-z0-9/]{1,4}"),
    )
        .prop_map(
            |(payload_type, encoding_name, clock_rate, encoding_params)| {
                Attribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding_name,
                    clock_rate,
                    encoding_params,
                })
            },
        );
    let direction = prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive),
    ]
    .prop_map(Attribute::Direction);
    let setup = prop_oneof![
        Just(Setup::Active),
        Just(Setup::Passive),
        Just(Setup::Actpass),
        Just(Setup::Holdconn),
    ]
    .prop_map(Attribute::Setup);
    let tcp_connection = prop_oneof![Just(TcpConnection::New), Just(TcpConnection::Existing)]
        .prop_map(Attribute::Connection);
    let malformed = prop_oneof![
        Just("crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%%"),
        Just("rtpmap:999 x/1"),
        Just("candidate:1 2"),
        Just("sendonly:yes"),
        Just("ptime"),
        Just("file-date:when:\"x\""),
    ]
    .prop_map(Attribute::parse);
    prop_oneof![
        rtpmap,
        (token(), text()).prop_map(|(format, params)| Attribute::Fmtp(Fmtp::new(format, params))),
        (any::<u16>(), option::of(connection()))
            .prop_map(|(port, connection)| Attribute::Rtcp(Rtcp { port, connection })),
        Just(Attribute::RtcpMux),
        any::<u32>().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::MaxPtime),
        direction,
        crypto().prop_map(Attribute::Crypto),
        "[A-Za-z0-9+/]{1,12}".prop_map(Attribute::IceUfrag),
        "[A-Za-z0-9+/]{1,24}".prop_map(Attribute::IcePwd),
        Just(Attribute::IceLite),
        vec(token(), 1..3).prop_map(Attribute::IceOptions),
        candidate().prop_map(Attribute::Candidate),
        setup,
        tcp_connection,
        vec(token(), 1..3).prop_map(Attribute::Path),
        vec(token(), 1..3).prop_map(Attribute::AcceptTypes),
        vec(token(), 1..3).prop_map(Attribute::AcceptWrappedTypes),
        any::<u64>().prop_map(Attribute::MaxSize),
        file_selector().prop_map(Attribute::FileSelector),
        token().prop_map(Attribute::FileTransferId),
        token().prop_map(Attribute::FileDisposition),
        token().prop_map(Attribute::FileIcon),
        file_date().prop_map(Attribute::FileDate),
        (1..=u64::MAX, option::of(any::<u64>()))
            .prop_map(|(start, stop)| Attribute::FileRange(FileRange { start, stop })),
        text().prop_map(Attribute::Rfbsetup),
        ("x-[a-z0-9-]{1,8}", option::of(text()))
            .prop_map(|(name, value)| Attribute::other(name, value)),
        malformed,
    ]
}

fn media() -> impl Strategy<Value = MediaDescription> {
    let media_type = prop_oneof![
        Just(MediaType::Audio),
        Just(MediaType::Video),
        Just(MediaType::Message),
        "[a-z]{1,8}".prop_map(MediaType::Other),
    ];
    let protocol = prop_oneof![
        Just(TransportProtocol::RtpAvp),
        Just(TransportProtocol::RtpSavp),
        Just(TransportProtocol::UdpTlsRtpSavpf),
        Just(TransportProtocol::TcpMsrp),
        Just(TransportProtocol::TcpTlsMsrp),
        "[A-Z][A-Z/]{0,10}".prop_map(TransportProtocol::Other),
    ];
    (
        (
            media_type,
            any::<u16>(),
            option::of(any::<u16>()),
            protocol,
            vec(token(), 0..4),
        ),
        (
            option::of(text()),
            vec(connection(), 0..2),
            vec(bandwidth(), 0..2),
            option::of(key()),
        ),
        vec(attribute(), 0..8),
    )
        .prop_map(
            |((kind, port, count, protocol, formats), lines, attributes)| {
                let (information, connections, bandwidths, key) = lines;
                let mut media = MediaDescription::new(kind, port, protocol, formats);
                media
                    .set_port_count(count)
                    .set_information(information)
                    .set_key(key);
                *media.connections_mut() = connections;
                *media.bandwidths_mut() = bandwidths;
                media.attributes_mut().extend(attributes);
                media
            },
        )
}

fn session() -> impl Strategy<Value = Session> {
    let zone = (any::<u64>(), typed_time(true))
        .prop_map(|(time, offset)| TimeZoneAdjustment { time, offset });
    (
        (origin(), text(), option::of(text()), option::of(text())),
        (
            vec(text(), 0..2),
            vec(text(), 0..2),
            option::of(connection()),
            vec(bandwidth(), 0..2),
        ),
        (vec(timing(), 0..3), vec(zone, 0..3), option::of(key())),
        vec(attribute(), 0..6),
        vec(media(), 0..4),
    )
        .prop_map(|(head, contacts, times, attributes, media)| {
            let (origin, name, information, uri) = head;
            let (emails, phones, connection, bandwidths) = contacts;
            let (timings, zones, key) = times;
            let mut session = Session::new(origin, name);
            session
                .set_information(information)
                .set_uri(uri)
                .set_connection(connection)
                .set_key(key);
            *session.emails_mut() = emails;
            *session.phones_mut() = phones;
            *session.bandwidths_mut() = bandwidths;
            *session.timings_mut() = timings;
            *session.time_zones_mut() = zones;
            session.attributes_mut().extend(attributes);
            *session.media_mut() = media;
            session
        })
}

/// The fuzzing oracle: whatever parses re-parses, after serialization, to an equal model.
fn oracle(data: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(session) = Session::parse(data) {
        let bytes = session.to_bytes();
        let again = Session::parse(&bytes);
        prop_assert_eq!(
            again.as_ref(),
            Ok(&session),
            "serialized: {:?}",
            String::from_utf8_lossy(&bytes)
        );
        prop_assert_eq!(again.unwrap().to_bytes(), bytes);
    }
    Ok(())
}

/// Lines of every type, mostly near-valid, with values mixing the characters SDP grammars
/// split on, behind a valid header: reaches deeper into the line parsers than random bytes.
fn line_soup() -> impl Strategy<Value = Vec<u8>> {
    let attribute_name = proptest::sample::select(vec![
        "rtpmap",
        "fmtp",
        "crypto",
        "candidate",
        "file-selector",
        "file-date",
        "file-range",
        "rtcp",
        "setup",
        "ptime",
        "path",
        "sendonly",
        "rtcp-mux",
        "ice-ufrag",
        "x-any",
    ]);
    let line = prop_oneof![
        6 => (attribute_name, "(:[ 0-9a-zA-Z/:*=.;|^\"+-]{0,40})?")
            .prop_map(|(name, value)| format!("a={name}{value}")),
        2 => "m=(audio|message) [0-9/]{1,7} [A-Z/]{1,12}( [0-9*]{1,3}){0,3}",
        1 => "c=IN IP[46x] [0-9.:/]{1,20}",
        1 => "b=[A-Z]{1,4}:[0-9]{1,5}",
        1 => "t=[0-9]{1,3} [0-9]{1,3}",
        1 => "r=[0-9]{1,3}[dhms]? [0-9]{1,3}[dhms]?( -?[0-9]{1,3}[dhms]?){0,3}",
        1 => "z=([0-9]{1,3} -?[0-9]{1,3}[dhms]? ?){0,3}",
        1 => "[iuepk]=[ -~]{0,10}",
        1 => "[a-z]=[ 0-9a-zA-Z/:*=.;|^\"-]{0,30}",
    ];
    let end = proptest::sample::select(vec!["\r\n", "\n"]);
    (vec((line, end), 0..24), any::<bool>()).prop_map(|(lines, last_unterminated)| {
        let mut body = String::from("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n");
        for (line, end) in &lines {
            body.push_str(line);
            body.push_str(end);
        }
        if last_unterminated {
            body.truncate(body.trim_end().len());
        }
        body.into_bytes()
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (
            any::<usize>(),
            prop_oneof![
                vec(any::<u8>(), 1..6),
                proptest::sample::select(vec![
                    b" ".to_vec(),
                    b"\r\n".to_vec(),
                    b"\n".to_vec(),
                    b":".to_vec(),
                    b"/".to_vec(),
                    b"\"".to_vec(),
                    b"|".to_vec(),
                    b"a=".to_vec(),
                    b"m=audio 0 RTP/AVP 0\r\n".to_vec(),
                    b"9999999999999999999999".to_vec(),
                ]),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1..16usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn mutate(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match m {
            Mutation::Flip(at, b) => {
                if !data.is_empty() {
                    data[at % len] ^= b;
                }
            }
            Mutation::Insert(at, bytes) => {
                let at = at % (data.len() + 1);
                data.splice(at..at, bytes.iter().copied());
            }
            Mutation::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(data.len());
                if at < end {
                    data.drain(at..end);
                }
            }
            Mutation::DuplicateLine(i) | Mutation::SwapLines(i, _) => {
                let mut lines: Vec<Vec<u8>> = data
                    .split_inclusive(|b| *b == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let a = i % lines.len();
                if let Mutation::SwapLines(_, j) = m {
                    let b = j % lines.len();
                    lines.swap(a, b);
                } else {
                    let copy = lines[a].clone();
                    lines.insert(a, copy);
                }
                data = lines.concat();
            }
        }
    }
    data
}

fn vector_seeds() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/sdp");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .expect("vectors/sdp exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .map(|p| std::fs::read(p).expect("vector readable"))
        .collect();
    seeds.sort();
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn model_round_trips(session in session()) {
        let bytes = session.to_bytes();
        let parsed = Session::parse(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&session), "{}", String::from_utf8_lossy(&bytes));
        prop_assert_eq!(session.to_string().into_bytes(), bytes);
    }

    #[test]
    fn typed_attributes_round_trip_alone(attribute in attribute()) {
        prop_assert_eq!(Attribute::parse(&attribute.to_string()), attribute);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..512)) {
        oracle(&data)?;
    }

    #[test]
    fn line_soup_satisfies_oracle(data in line_soup()) {
        oracle(&data)?;
    }

    #[test]
    fn mutated_models_satisfy_oracle(
        session in session(),
        mutations in vec(mutation(), 1..4),
    ) {
        oracle(&mutate(session.to_bytes(), &mutations))?;
    }

    #[test]
    fn mutated_vectors_satisfy_oracle(
        index in any::<usize>(),
        mutations in vec(mutation(), 1..5),
    ) {
        let seeds = vector_seeds();
        let seed = seeds[index % seeds.len()].clone();
        oracle(&mutate(seed, &mutations))?;
    }
}
