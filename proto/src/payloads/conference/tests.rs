use proptest::prelude::*;

use super::*;

const S7_1: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vectors/presence/rfc4575-s7.1-conference-info-basic-full.xml"
));
const S7_2: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vectors/presence/rfc4575-s7.2-conference-info-rich-partial.xml"
));

const CONF: &str = "sips:conf233@example.com";
const WHEN: &str = "2005-03-04T20:00:00Z";
const MIKE: &str = "sip:mike@example.com";

fn s(text: &str) -> Option<String> {
    Some(text.to_owned())
}

fn exec(reason: Option<&str>) -> Option<Execution> {
    Some(Execution {
        when: s(WHEN),
        reason: reason.map(str::to_owned),
        by: s(MIKE),
    })
}

fn entry(uri: &str, display_text: Option<&str>, purpose: Option<&str>) -> UriEntry {
    UriEntry {
        uri: uri.to_owned(),
        display_text: display_text.map(str::to_owned),
        purpose: purpose.map(str::to_owned),
        modified: None,
    }
}

fn uris(state: State, entries: Vec<UriEntry>) -> Option<Uris> {
    Some(Uris { state, entries })
}

fn main_audio(src_id: &str) -> Media {
    Media {
        id: "1".into(),
        display_text: s("main audio"),
        media_type: s("audio"),
        label: s("34567"),
        src_id: s(src_id),
        status: Some(MediaStatus::SendRecv),
    }
}

fn parse(xml: &str) -> Result<ConferenceInfo, ConferenceError> {
    ConferenceInfo::parse(xml.as_bytes())
}

/// A document in the default namespace around `body`.
fn doc(attrs: &str, body: &str) -> String {
    format!(
        "<conference-info xmlns=\"{NAMESPACE}\" entity=\"{CONF}\" {attrs}>{body}</conference-info>"
    )
}

/// RFC 4575 §7.1, every field it carries.
fn s7_1() -> ConferenceInfo {
    ConferenceInfo {
        entity: CONF.into(),
        state: State::Full,
        version: Some(1),
        description: Some(ConferenceDescription {
            subject: s("Agenda: This month's goals"),
            service_uris: uris(
                State::Full,
                vec![entry(
                    "http://sharepoint/salesgroup/",
                    None,
                    Some("web-page"),
                )],
            ),
            ..ConferenceDescription::default()
        }),
        host_info: None,
        conference_state: Some(ConferenceState {
            user_count: Some(33),
            active: None,
            locked: None,
        }),
        users_state: Some(State::Full),
        users: vec![
            User {
                entity: "sip:bob@example.com".into(),
                state: State::Full,
                display_text: s("Bob Hoskins"),
                endpoints: vec![Endpoint {
                    entity: "sip:bob@pc33.example.com".into(),
                    state: State::Full,
                    display_text: s("Bob's Laptop"),
                    status: Some(EndpointStatus::Disconnected),
                    disconnection_method: Some(DisconnectionMethod::Departed),
                    disconnection_info: exec(Some("bad voice quality")),
                    media: vec![main_audio("432424")],
                    ..Endpoint::default()
                }],
                ..User::default()
            },
            User {
                entity: "sip:alice@example.com".into(),
                state: State::Full,
                display_text: s("Alice"),
                endpoints: vec![Endpoint {
                    entity: "sip:4kfk4j392jsu@example.com;grid=433kj4j3u".into(),
                    state: State::Full,
                    status: Some(EndpointStatus::Connected),
                    joining_method: Some(JoiningMethod::DialedOut),
                    joining_info: exec(None),
                    media: vec![main_audio("534232")],
                    ..Endpoint::default()
                }],
                ..User::default()
            },
        ],
        sidebars_by_ref: None,
        sidebars_by_val: None,
    }
}

fn bob_7_2() -> User {
    User {
        entity: "sip:bob@example.com".into(),
        state: State::Full,
        display_text: s("Bob Hoskins"),
        associated_aors: uris(
            State::Full,
            vec![entry("mailto:bob@example.com", Some("email"), None)],
        ),
        roles: vec!["participant".into()],
        languages: vec!["en".into()],
        cascaded_focus: None,
        endpoints: vec![Endpoint {
            entity: "sip:bob@pc33.example.com".into(),
            state: State::Full,
            display_text: s("Bob's Laptop"),
            referred: exec(Some("expert required")),
            status: Some(EndpointStatus::Disconnecting),
            joining_method: Some(JoiningMethod::DialedOut),
            joining_info: exec(Some("invitation")),
            disconnection_method: Some(DisconnectionMethod::Booted),
            disconnection_info: exec(Some("bad voice quality")),
            media: vec![main_audio("432424")],
            call_info: Some(SipDialogId {
                display_text: s("full info"),
                call_id: s("hsjh8980vhsb78"),
                from_tag: s("vav738dvbs"),
                to_tag: s("8954jgjg8432"),
            }),
        }],
    }
}

/// RFC 4575 §7.2, every field it carries.
fn s7_2() -> ConferenceInfo {
    let bare_user = |entity: &str| User {
        entity: entity.into(),
        ..User::default()
    };
    ConferenceInfo {
        entity: CONF.into(),
        state: State::Partial,
        version: Some(5),
        description: Some(ConferenceDescription {
            display_text: s("Weekly Sales Meeting"),
            subject: s("Agenda: This month's goals"),
            free_text: s("We will start strict on time"),
            keywords: vec!["sales".into(), "meeting".into(), "weekly".into()],
            conf_uris: uris(
                State::Full,
                vec![
                    entry(
                        "tel:+18005671234",
                        Some("TTI Bridge"),
                        Some("participation"),
                    ),
                    entry("h323:conf545@h323.example.com", None, Some("participation")),
                    entry(
                        "http://real.streaming.com/54634/live.ram",
                        None,
                        Some("streaming"),
                    ),
                ],
            ),
            service_uris: uris(
                State::Full,
                vec![
                    entry("http://sharepoint/salesgroup/", None, Some("web-page")),
                    entry(
                        "http://quicktime.com/54634/recording.mov",
                        Some("Quicktime"),
                        Some("recording"),
                    ),
                ],
            ),
            maximum_user_count: Some(100),
            available_media: vec![
                AvailableMedium {
                    label: "34567".into(),
                    display_text: s("main audio"),
                    media_type: s("audio"),
                    status: Some(MediaStatus::SendRecv),
                },
                AvailableMedium {
                    label: "34569".into(),
                    display_text: s("main video"),
                    media_type: s("video"),
                    status: Some(MediaStatus::Inactive),
                },
            ],
        }),
        host_info: Some(HostInfo {
            display_text: s("Sales Host"),
            web_page: s("http://sharepoint/salesgroup/hosts/"),
            uris: uris(
                State::Full,
                vec![entry("sip:sales@example.com", None, None)],
            ),
        }),
        conference_state: Some(ConferenceState {
            user_count: Some(32),
            active: Some(true),
            locked: Some(false),
        }),
        users_state: Some(State::Full),
        users: vec![bob_7_2()],
        sidebars_by_ref: uris(
            State::Partial,
            vec![
                entry(
                    "sips:conf233@example.com;grid=45",
                    Some("sidebar with Carol"),
                    None,
                ),
                entry(
                    "sips:conf233@example.com;grid=21",
                    Some("private with Peter"),
                    None,
                ),
            ],
        ),
        sidebars_by_val: Some(Sidebars {
            state: State::Partial,
            entries: vec![ConferenceInfo {
                entity: "sips:conf233@example.com;grid=77".into(),
                state: State::Partial,
                users_state: Some(State::Full),
                users: vec![
                    bare_user("sip:bob@example.com"),
                    bare_user("sip:mark@example.com"),
                    bare_user("sip:dan@example.com"),
                ],
                ..ConferenceInfo::default()
            }],
        }),
    }
}

#[test]
fn rfc4575_s7_1_basic_full() {
    assert_eq!(ConferenceInfo::parse(S7_1).unwrap(), s7_1());
}

#[test]
fn rfc4575_s7_2_rich_partial() {
    assert_eq!(ConferenceInfo::parse(S7_2).unwrap(), s7_2());
}

#[test]
fn vectors_round_trip_through_to_xml() {
    for v in [S7_1, S7_2] {
        let info = ConferenceInfo::parse(v).unwrap();
        let xml = info.to_xml();
        assert_eq!(
            ConferenceInfo::parse(xml.as_bytes()).unwrap(),
            info,
            "{xml}"
        );
    }
}

#[test]
fn to_xml_writes_the_namespace_and_escapes() {
    let info = ConferenceInfo {
        entity: "sip:a&b@example.com;x=\"1\"".into(),
        version: Some(7),
        description: Some(ConferenceDescription {
            subject: s("<b>1 & 2</b> ]]> \"q\" 'a'\r\nnext"),
            ..ConferenceDescription::default()
        }),
        ..ConferenceInfo::default()
    };
    let xml = info.to_xml();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" \
         entity=\"sip:a&amp;b@example.com;x=&quot;1&quot;\" state=\"full\" version=\"7\">\
         <conference-description><subject>&lt;b&gt;1 &amp; 2&lt;/b&gt; ]]&gt; \"q\" 'a'&#13;\nnext\
         </subject></conference-description></conference-info>\n"
    );
    assert_eq!(ConferenceInfo::parse(xml.as_bytes()).unwrap(), info);
}

/// RFC 4575 §4.6 orders notifications by version: §7.2 (version 5) cannot follow §7.1
/// (version 1) without the versions between.
#[test]
fn rfc4575_s7_2_after_s7_1_is_a_version_gap() {
    let mut view = s7_1();
    let err = view.apply(s7_2()).unwrap_err();
    assert_eq!(
        err,
        ConferenceError::VersionGap {
            current: 1,
            received: 5
        }
    );
    assert!(err.to_string().contains("full refresh needed"));
    assert_eq!(view, s7_1(), "a refused update leaves the view alone");
}

/// §7.2 applied to §7.1 as if it were version 4. The RFC prints §7.2 as `partial`, but its
/// `<users>`, URI lists and description carry no `state`, so the schema's default `full`
/// holds for the lists: §7.2's user list replaces §7.1's (Alice leaves), its URI lists
/// replace §7.1's, and the description's children are all set from §7.2. The partial
/// sidebar lists start the view's lists. The result is §7.2's content as a full view.
#[test]
fn rfc4575_s7_2_applied_to_s7_1() {
    let mut view = ConferenceInfo::parse(S7_1).unwrap();
    view.version = Some(4);
    view.apply(ConferenceInfo::parse(S7_2).unwrap()).unwrap();
    let mut want = s7_2();
    want.state = State::Full;
    want.sidebars_by_ref.as_mut().unwrap().state = State::Full;
    let sidebars = want.sidebars_by_val.as_mut().unwrap();
    sidebars.state = State::Full;
    sidebars.entries[0].state = State::Full;
    assert_eq!(view, want);
}

/// A partial notification built by hand on top of §7.1, since the RFC has none that
/// merges: per-element state on users, endpoints and lists, and keyed media.
#[test]
fn partial_notifications_merge_per_element() {
    let mut view = ConferenceInfo::parse(S7_1).unwrap();
    let v2 = doc(
        "state=\"partial\" version=\"2\"",
        r#"<conference-state><user-count>34</user-count></conference-state>
        <users state="partial">
          <user entity="sip:bob@example.com" state="partial">
            <endpoint entity="sip:bob@pc33.example.com" state="partial">
              <status>connected</status>
              <media id="1"><status>recvonly</status></media>
              <media id="2"><type>video</type></media>
            </endpoint>
            <endpoint entity="sip:bob@phone.example.com" state="partial">
              <status>alerting</status>
            </endpoint>
          </user>
          <user entity="sip:carol@example.com">
            <display-text>Carol</display-text>
            <endpoint entity="sip:carol@pc.example.com" state="deleted"/>
          </user>
        </users>"#,
    );
    view.apply(parse(&v2).unwrap()).unwrap();

    let mut want = s7_1();
    want.version = Some(2);
    want.conference_state.as_mut().unwrap().user_count = Some(34);
    let bob = &mut want.users[0];
    let laptop = &mut bob.endpoints[0];
    laptop.status = Some(EndpointStatus::Connected);
    laptop.media[0].status = Some(MediaStatus::RecvOnly);
    laptop.media.push(Media {
        id: "2".into(),
        media_type: s("video"),
        ..Media::default()
    });
    bob.endpoints.push(Endpoint {
        entity: "sip:bob@phone.example.com".into(),
        status: Some(EndpointStatus::Alerting),
        ..Endpoint::default()
    });
    want.users.push(User {
        entity: "sip:carol@example.com".into(),
        display_text: s("Carol"),
        ..User::default()
    });
    assert_eq!(view, want);

    // Version 3 removes Alice and Bob's laptop and empties the service URIs.
    let v3 = doc(
        "state=\"partial\" version=\"3\"",
        r#"<conference-description><service-uris state="deleted"/></conference-description>
        <users state="partial">
          <user entity="sip:alice@example.com" state="deleted"/>
          <user entity="sip:bob@example.com" state="partial">
            <endpoint entity="sip:bob@pc33.example.com" state="deleted"/>
          </user>
        </users>"#,
    );
    view.apply(parse(&v3).unwrap()).unwrap();
    want.version = Some(3);
    want.description.as_mut().unwrap().service_uris = None;
    want.users.remove(1);
    want.users[0].endpoints.remove(0);
    assert_eq!(view, want);

    // The same notification again is stale, a later one skips a version: neither applies.
    assert_eq!(
        view.apply(parse(&v3).unwrap()),
        Err(ConferenceError::StaleVersion {
            current: 3,
            received: 3
        })
    );
    let v5 = doc("state=\"partial\" version=\"5\"", "");
    assert_eq!(
        view.apply(parse(&v5).unwrap()),
        Err(ConferenceError::VersionGap {
            current: 3,
            received: 5
        })
    );
    assert_eq!(view, want);

    // A full user replaces Bob whole; a full document replaces everything, gaps allowed.
    let v4 = doc(
        "state=\"partial\" version=\"4\"",
        r#"<users state="partial"><user entity="sip:bob@example.com"/></users>"#,
    );
    view.apply(parse(&v4).unwrap()).unwrap();
    want.users[0] = User {
        entity: "sip:bob@example.com".into(),
        ..User::default()
    };
    want.version = Some(4);
    assert_eq!(view, want);
    let v9 = doc("state=\"full\" version=\"9\"", "");
    view.apply(parse(&v9).unwrap()).unwrap();
    assert_eq!(view, parse(&v9).unwrap());
    assert_eq!(view.users_state, None);
}

#[test]
fn partial_lists_merge_by_key() {
    let mut view = parse(&doc(
        "version=\"1\"",
        r#"<conference-description>
          <conf-uris>
            <entry><uri>tel:+1</uri><display-text>one</display-text><purpose>participation</purpose></entry>
            <entry><uri>tel:+2</uri></entry>
          </conf-uris>
          <available-media><entry label="a"><type>audio</type><status>sendrecv</status></entry></available-media>
          <keywords>old words</keywords>
        </conference-description>
        <host-info><display-text>Host</display-text></host-info>
        <users><user entity="sip:u@x"><roles><entry>participant</entry></roles></user></users>
        <sidebars-by-val>
          <entry entity="sip:side@x"><users><user entity="sip:u@x"/></users></entry>
          <entry entity="sip:gone@x"/>
        </sidebars-by-val>"#,
    ))
    .unwrap();
    let update = parse(&doc(
        "state=\"partial\" version=\"2\"",
        r#"<conference-description>
          <conf-uris state="partial">
            <entry><uri>tel:+1</uri><display-text>first</display-text></entry>
            <entry><uri>tel:+3</uri></entry>
          </conf-uris>
          <available-media><entry label="a"><status>inactive</status></entry>
            <entry label="b"><type>video</type></entry></available-media>
          <keywords>new</keywords>
        </conference-description>
        <host-info><web-page>http://h</web-page></host-info>
        <users state="partial"><user entity="sip:u@x" state="partial">
          <roles><entry>moderator</entry><entry>participant</entry></roles>
          <languages>en fr</languages>
        </user></users>
        <sidebars-by-val state="partial">
          <entry entity="sip:side@x" state="partial">
            <users state="partial"><user entity="sip:v@x"/></users>
          </entry>
          <entry entity="sip:gone@x" state="deleted"/>
        </sidebars-by-val>"#,
    ))
    .unwrap();
    view.apply(update).unwrap();

    let d = view.description.as_ref().unwrap();
    assert_eq!(
        d.conf_uris,
        uris(
            State::Full,
            vec![
                entry("tel:+1", Some("first"), Some("participation")),
                entry("tel:+2", None, None),
                entry("tel:+3", None, None),
            ]
        )
    );
    assert_eq!(
        d.available_media,
        vec![
            AvailableMedium {
                label: "a".into(),
                media_type: s("audio"),
                status: Some(MediaStatus::Inactive),
                ..AvailableMedium::default()
            },
            AvailableMedium {
                label: "b".into(),
                media_type: s("video"),
                ..AvailableMedium::default()
            },
        ]
    );
    assert_eq!(d.keywords, ["new"]);
    assert_eq!(
        view.host_info,
        Some(HostInfo {
            display_text: s("Host"),
            web_page: s("http://h"),
            uris: None
        })
    );
    assert_eq!(view.users[0].roles, ["moderator", "participant"]);
    assert_eq!(view.users[0].languages, ["en", "fr"]);
    let sidebars = view.sidebars_by_val.as_ref().unwrap();
    assert_eq!(sidebars.entries.len(), 1);
    let users: Vec<_> = sidebars.entries[0]
        .users
        .iter()
        .map(|u| u.entity.as_str())
        .collect();
    assert_eq!(users, ["sip:u@x", "sip:v@x"]);
}

#[test]
fn apply_refusals_leave_the_view_alone() {
    let full = parse(&doc("version=\"1\"", "")).unwrap();
    let other =
        parse(&doc("state=\"partial\" version=\"2\"", "").replace(CONF, "sip:other@example.com"))
            .unwrap();
    let mut view = full.clone();
    assert_eq!(
        view.apply(other),
        Err(ConferenceError::EntityMismatch {
            current: CONF.into(),
            received: "sip:other@example.com".into()
        })
    );
    // A partial document needs a full view, and versions on both sides.
    let partial = parse(&doc("state=\"partial\" version=\"2\"", "")).unwrap();
    let mut not_full = partial.clone();
    assert_eq!(
        not_full.apply(parse(&doc("state=\"partial\" version=\"3\"", "")).unwrap()),
        Err(ConferenceError::NotFull)
    );
    let unversioned = parse(&doc("state=\"partial\"", "")).unwrap();
    assert_eq!(
        view.apply(unversioned),
        Err(ConferenceError::MissingVersion)
    );
    let mut no_version = parse(&doc("", "")).unwrap();
    assert_eq!(
        no_version.apply(partial.clone()),
        Err(ConferenceError::MissingVersion)
    );
    // A full document no newer than the view is stale too.
    assert_eq!(
        view.apply(parse(&doc("version=\"1\"", "")).unwrap()),
        Err(ConferenceError::StaleVersion {
            current: 1,
            received: 1
        })
    );
    assert_eq!(view, full);
    // `deleted` ends the conference's view; a later partial needs a full one again.
    view.apply(parse(&doc("state=\"deleted\" version=\"2\"", "")).unwrap())
        .unwrap();
    assert_eq!(view.state, State::Deleted);
    assert_eq!(
        view.apply(parse(&doc("state=\"partial\" version=\"3\"", "")).unwrap()),
        Err(ConferenceError::NotFull)
    );
    // Without versions, a full document still replaces the view.
    let mut unversioned_view = parse(&doc("", "")).unwrap();
    let replacement = parse(&doc("", "<users/>")).unwrap();
    unversioned_view.apply(replacement.clone()).unwrap();
    assert_eq!(unversioned_view, replacement);
}

#[test]
fn prefixed_namespace_reads_like_the_default_one() {
    let default = parse(&doc(
        "version=\"3\"",
        r#"<users><user entity="sip:a@x"><display-text>A</display-text></user></users>"#,
    ))
    .unwrap();
    let prefixed = parse(&format!(
        r#"<ci:conference-info xmlns:ci="{NAMESPACE}" entity="{CONF}" version="3">
          <ci:users><ci:user entity="sip:a@x"><ci:display-text>A</ci:display-text></ci:user></ci:users>
        </ci:conference-info>"#
    ))
    .unwrap();
    assert_eq!(prefixed, default);
    // The prefix may be declared on the root and the default namespace switched inside.
    let mixed = parse(&format!(
        r#"<c:conference-info xmlns:c="{NAMESPACE}" entity="{CONF}" version="3">
          <users xmlns="{NAMESPACE}"><c:user entity="sip:a@x"><display-text>A</display-text></c:user></users>
        </c:conference-info>"#
    ))
    .unwrap();
    assert_eq!(mixed, default);
}

#[test]
fn unknown_content_is_ignored() {
    let plain = parse(&doc(
        "",
        r#"<users><user entity="sip:a@x"><display-text>A</display-text></user></users>"#,
    ))
    .unwrap();
    let extended = parse(&format!(
        r#"<?xml version="1.0"?>
        <!-- a comment --><?pi data?>
        <conference-info xmlns="{NAMESPACE}" xmlns:ext="urn:example:ext" entity="{CONF}"
            ext:flag="1" unknown="x">
          <ext:info><users><user entity="sip:wrong@x"/></users></ext:info>
          <future-element a="b"><users><user entity="sip:wrong@x"/></users></future-element>
          <users ext:note="n">
            <user entity="sip:a@x" colour="blue">
              <display-text>A<ext:markup>ignored</ext:markup></display-text>
              <ext:endpoint entity="sip:wrong@x"/>
            </user>
            <other:user xmlns:other="urn:example:other" entity="sip:wrong@x"/>
            text between elements
          </users>
        </conference-info>
        <!-- trailing comment -->
        "#
    ))
    .unwrap();
    assert_eq!(extended, plain);
}

#[test]
fn defaults_and_text_handling() {
    let info = parse(&format!(
        "<conference-info xmlns=\"{NAMESPACE}\" entity=\"{CONF}\">\r\n\
         <conference-description>\
           <display-text>  Tom &amp; Jerry&#33; &#x263A; </display-text>\
           <subject><![CDATA[<raw> & text]]></subject>\
           <free-text>line one\r\nline two&#13;</free-text>\
           <keywords>  a\tb\n c  </keywords>\
           <maximum-user-count> 007 </maximum-user-count>\
         </conference-description>\
         <conference-state><active>1</active><locked>0</locked></conference-state>\
         <users><user entity=\"sip:a@x\"><endpoint entity=\"e\"><status>napping</status>\
           <joining-method>teleported</joining-method><disconnection-method>vanished\
           </disconnection-method><media id=\"m\"><status>sideways</status></media>\
         </endpoint></user></users>\
         </conference-info>"
    ))
    .unwrap();
    assert_eq!((info.state, info.version), (State::Full, None));
    let d = info.description.unwrap();
    assert_eq!(d.display_text.as_deref(), Some("Tom & Jerry! \u{263a}"));
    assert_eq!(d.subject.as_deref(), Some("<raw> & text"));
    // CRLF is normalized to LF; a CR written as a reference is kept (then trimmed here).
    assert_eq!(d.free_text.as_deref(), Some("line one\nline two"));
    assert_eq!(d.keywords, ["a", "b", "c"]);
    assert_eq!(d.maximum_user_count, Some(7));
    let state = info.conference_state.unwrap();
    assert_eq!((state.active, state.locked), (Some(true), Some(false)));
    let e = &info.users[0].endpoints[0];
    assert_eq!(e.state, State::Full);
    assert_eq!(e.status, Some(EndpointStatus::Other("napping".into())));
    assert_eq!(
        e.joining_method,
        Some(JoiningMethod::Other("teleported".into()))
    );
    assert_eq!(
        e.disconnection_method,
        Some(DisconnectionMethod::Other("vanished".into()))
    );
    assert_eq!(
        e.media[0].status,
        Some(MediaStatus::Other("sideways".into()))
    );
    assert_eq!(e.media[0].status.as_ref().unwrap().as_str(), "sideways");
    // Enumerations are case-sensitive, as in the schema.
    let e = parse(&doc(
        "",
        r#"<users><user entity="u"><endpoint entity="e"><status>Connected</status></endpoint></user></users>"#,
    ))
    .unwrap();
    assert_eq!(
        e.users[0].endpoints[0].status,
        Some(EndpointStatus::Other("Connected".into()))
    );
}

#[test]
fn attribute_values_are_normalized() {
    let info = parse(&format!(
        "<conference-info xmlns=\"{NAMESPACE}\" entity='sip:a\tb\nc&amp;&#10;d' version='12'/>"
    ))
    .unwrap();
    assert_eq!(info.entity, "sip:a b c&\nd");
    assert_eq!(info.version, Some(12));
    assert_eq!(
        ConferenceInfo::parse(info.to_xml().as_bytes()).unwrap(),
        info
    );
}

#[test]
fn root_and_namespace_errors() {
    let wrong_ns = parse(&format!(
        "<conference-info xmlns=\"urn:other\" entity=\"{CONF}\"/>"
    ));
    assert_eq!(
        wrong_ns,
        Err(ConferenceError::WrongRoot {
            namespace: s("urn:other"),
            name: "conference-info".into()
        })
    );
    assert_eq!(
        parse(&format!("<conference-info entity=\"{CONF}\"/>")),
        Err(ConferenceError::WrongRoot {
            namespace: None,
            name: "conference-info".into()
        })
    );
    assert_eq!(
        parse(&format!(
            "<presence xmlns=\"{NAMESPACE}\" entity=\"{CONF}\"/>"
        )),
        Err(ConferenceError::WrongRoot {
            namespace: s(NAMESPACE),
            name: "presence".into()
        })
    );
    assert!(matches!(
        parse(&format!("<ci:conference-info xmlns=\"{NAMESPACE}\" entity=\"{CONF}\"/>")),
        Err(ConferenceError::NotWellFormed { reason, .. }) if reason.contains("`ci`")
    ));
    assert!(matches!(
        parse(&doc("", "<users><x:user entity=\"u\"/></users>")),
        Err(ConferenceError::NotWellFormed { reason, .. }) if reason.contains("`x`")
    ));
    assert!(matches!(
        parse(&doc("bad:attr=\"1\"", "")),
        Err(ConferenceError::NotWellFormed { reason, .. }) if reason.contains("`bad`")
    ));
}

#[test]
fn not_well_formed_documents() {
    let cases = [
        "",
        "   ",
        "not xml",
        "<conference-info",
        &doc("", "<users>"),
        &doc("", "<users></user>"),
        &doc("", "&nbsp;"),
        &doc(
            "",
            "<users><user entity=\"u\"><display-text>&unknown;</display-text></user></users>",
        ),
        &doc(
            "",
            "<users><user entity=\"u\"><display-text>&#1;</display-text></user></users>",
        ),
        &doc(
            "",
            "<users><user entity=\"u\"><display-text>a\u{1}b</display-text></user></users>",
        ),
        &doc(
            "",
            "<users><user entity=\"u\"><display-text>&#0;</display-text></user></users>",
        ),
        &doc(
            "",
            "<users><user entity=\"u\"><display-text>a & b</display-text></user></users>",
        ),
        &doc("entity=\"twice\"", ""),
        &doc("state=full", ""),
        &doc("", "<!-- a -- b -->"),
        &format!("{}<conference-info/>", doc("", "")),
        &format!("{}trailing", doc("", "")),
        &format!("text{}", doc("", "")),
        &format!(
            "{}<?xml version=\"1.0\"?>",
            doc("", "").replace("</conference-info>", "")
        ),
    ];
    for xml in cases {
        assert!(
            matches!(parse(xml), Err(ConferenceError::NotWellFormed { .. })),
            "{xml:?}: {:?}",
            parse(xml)
        );
    }
    let mut not_utf8 = doc(
        "",
        "<users><user entity=\"u\"><display-text>X</display-text></user></users>",
    )
    .into_bytes();
    let x = not_utf8.iter().position(|&b| b == b'X').unwrap();
    not_utf8[x] = 0xff;
    assert!(matches!(
        ConferenceInfo::parse(&not_utf8),
        Err(ConferenceError::NotWellFormed { .. })
    ));
    assert_eq!(
        parse(&format!(
            "<!DOCTYPE conference-info [<!ENTITY a \"b\">]>{}",
            doc("", "")
        )),
        Err(ConferenceError::Doctype)
    );
}

#[test]
fn missing_keys_and_bad_values() {
    let missing =
        |element, attribute| Err(ConferenceError::MissingAttribute { element, attribute });
    assert_eq!(
        parse(&format!("<conference-info xmlns=\"{NAMESPACE}\"/>")),
        missing("conference-info", "entity")
    );
    assert_eq!(
        parse(&doc("", "<users><user/></users>")),
        missing("user", "entity")
    );
    assert_eq!(
        parse(&doc(
            "",
            "<users><user entity=\"u\"><endpoint/></user></users>"
        )),
        missing("endpoint", "entity")
    );
    assert_eq!(
        parse(&doc(
            "",
            "<users><user entity=\"u\"><endpoint entity=\"e\"><media/></endpoint></user></users>"
        )),
        missing("media", "id")
    );
    assert_eq!(
        parse(&doc(
            "",
            "<conference-description><available-media><entry/></available-media></conference-description>"
        )),
        missing("entry", "label")
    );
    assert_eq!(
        parse(&doc("", "<sidebars-by-val><entry/></sidebars-by-val>")),
        missing("entry", "entity")
    );
    assert_eq!(
        parse(&doc(
            "",
            "<host-info><uris><entry><display-text>x</display-text></entry></uris></host-info>"
        )),
        Err(ConferenceError::MissingElement {
            parent: "entry",
            element: "uri"
        })
    );
    assert_eq!(
        parse(&doc("state=\"Full\"", "")),
        Err(ConferenceError::BadState {
            value: "Full".into()
        })
    );
    assert_eq!(
        parse(&doc("", "<users state=\"gone\"/>")),
        Err(ConferenceError::BadState {
            value: "gone".into()
        })
    );
    for bad in ["x", "-1", "+3", "1.0", "", "4294967296"] {
        assert_eq!(
            parse(&doc(&format!("version=\"{bad}\""), "")),
            Err(ConferenceError::BadNumber {
                field: "version",
                value: bad.into()
            })
        );
        assert_eq!(
            parse(&doc(
                "",
                &format!("<conference-state><user-count>{bad}</user-count></conference-state>")
            )),
            Err(ConferenceError::BadNumber {
                field: "user-count",
                value: bad.into()
            })
        );
    }
    assert_eq!(
        parse(&doc("version=\"4294967295\"", "")).unwrap().version,
        Some(u32::MAX)
    );
    assert_eq!(
        parse(&doc(
            "",
            "<conference-state><locked>yes</locked></conference-state>"
        )),
        Err(ConferenceError::BadBoolean {
            field: "locked",
            value: "yes".into()
        })
    );
}

#[test]
fn size_and_depth_are_bounded() {
    let mut big = doc("", "").into_bytes();
    let pad = vec![b' '; MAX_SIZE];
    big.splice(big.len() - 18..big.len() - 18, pad);
    assert_eq!(
        ConferenceInfo::parse(&big),
        Err(ConferenceError::TooLarge {
            size: big.len(),
            limit: MAX_SIZE
        })
    );
    // The root and MAX_DEPTH - 1 nested unknown elements pass; one more level does not.
    let nested = |levels: usize| {
        doc(
            "",
            &format!("{}{}", "<x>".repeat(levels), "</x>".repeat(levels)),
        )
    };
    assert!(parse(&nested(MAX_DEPTH - 1)).is_ok());
    assert_eq!(
        parse(&nested(MAX_DEPTH)),
        Err(ConferenceError::TooDeep { limit: MAX_DEPTH })
    );
    let empty_at_limit = doc(
        "",
        &format!(
            "{}<x/>{}",
            "<x>".repeat(MAX_DEPTH - 1),
            "</x>".repeat(MAX_DEPTH - 1)
        ),
    );
    assert_eq!(
        parse(&empty_at_limit),
        Err(ConferenceError::TooDeep { limit: MAX_DEPTH })
    );
    // Deep nesting inside text content and known elements is bounded the same way.
    let in_text = doc(
        "",
        &format!(
            "<conference-description><subject>{}{}</subject></conference-description>",
            "<b>".repeat(MAX_DEPTH),
            "</b>".repeat(MAX_DEPTH)
        ),
    );
    assert_eq!(
        parse(&in_text),
        Err(ConferenceError::TooDeep { limit: MAX_DEPTH })
    );
    let mut nested_sidebars = String::new();
    for _ in 0..MAX_DEPTH {
        nested_sidebars.push_str("<sidebars-by-val><entry entity=\"s\">");
    }
    assert_eq!(
        parse(&doc("", &nested_sidebars)),
        Err(ConferenceError::TooDeep { limit: MAX_DEPTH })
    );
}

#[test]
fn many_users_merge_in_linear_time() {
    // A hostile-sized view and update; with a scan per element this would take minutes.
    let users: String = (0..20_000)
        .map(|i| format!("<user entity=\"sip:{i}@x\"/>"))
        .collect();
    let mut view = parse(&doc("version=\"1\"", &format!("<users>{users}</users>"))).unwrap();
    let update = parse(&doc(
        "state=\"partial\" version=\"2\"",
        &format!(
            "<users state=\"partial\">{}</users>",
            users.replace("/>", " state=\"deleted\"/>")
        ),
    ))
    .unwrap();
    view.apply(update).unwrap();
    assert!(view.users.is_empty());
    assert_eq!(view.users_state, Some(State::Full));
}

// Property tests: any value the parser can produce survives to_xml → parse.

fn text() -> impl Strategy<Value = String> {
    // Markup characters, quotes, CR/LF/tab, non-ASCII and a no-break space (not XML white
    // space, so never trimmed).
    "[a-zA-Z0-9 <>&\"':;=@./\r\n\t\u{e9}\u{20ac}\u{a0}-]{0,12}"
        .prop_map(|t| parse::trim(&t).to_owned())
}

/// Keys are attributes or (URI entries) element text, which is trimmed.
fn key() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 <>&\"':;=@./\r\n\t\u{e9}-]{1,10}".prop_map(|t| parse::trim(&t).to_owned())
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(text())
}

fn tokens() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("[a-zA-Z0-9-]{1,6}", 0..3)
}

fn state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::Full),
        Just(State::Partial),
        Just(State::Deleted)
    ]
}

/// Unknown values that cannot be mistaken for a known one (none ends in `x`).
fn other() -> impl Strategy<Value = String> {
    "[a-z-]{0,6}x"
}

fn media_status() -> impl Strategy<Value = MediaStatus> {
    prop_oneof![
        Just(MediaStatus::RecvOnly),
        Just(MediaStatus::SendOnly),
        Just(MediaStatus::SendRecv),
        Just(MediaStatus::Inactive),
        other().prop_map(MediaStatus::Other),
    ]
}

fn endpoint_status() -> impl Strategy<Value = EndpointStatus> {
    prop_oneof![
        Just(EndpointStatus::Pending),
        Just(EndpointStatus::DialingOut),
        Just(EndpointStatus::DialingIn),
        Just(EndpointStatus::Alerting),
        Just(EndpointStatus::OnHold),
        Just(EndpointStatus::Connected),
        Just(EndpointStatus::MutedViaFocus),
        Just(EndpointStatus::Disconnecting),
        Just(EndpointStatus::Disconnected),
        other().prop_map(EndpointStatus::Other),
    ]
}

fn joining() -> impl Strategy<Value = JoiningMethod> {
    prop_oneof![
        Just(JoiningMethod::DialedIn),
        Just(JoiningMethod::DialedOut),
        Just(JoiningMethod::FocusOwner),
        other().prop_map(JoiningMethod::Other),
    ]
}

fn disconnection() -> impl Strategy<Value = DisconnectionMethod> {
    prop_oneof![
        Just(DisconnectionMethod::Departed),
        Just(DisconnectionMethod::Booted),
        Just(DisconnectionMethod::Failed),
        Just(DisconnectionMethod::Busy),
        other().prop_map(DisconnectionMethod::Other),
    ]
}

fn execution() -> impl Strategy<Value = Option<Execution>> {
    proptest::option::of(
        (opt_text(), opt_text(), opt_text()).prop_map(|(when, reason, by)| Execution {
            when,
            reason,
            by,
        }),
    )
}

fn uri_list() -> impl Strategy<Value = Option<Uris>> {
    let entry = (key(), opt_text(), opt_text(), execution()).prop_map(
        |(uri, display_text, purpose, modified)| UriEntry {
            uri,
            display_text,
            purpose,
            modified,
        },
    );
    proptest::option::of(
        (state(), proptest::collection::vec(entry, 0..3))
            .prop_map(|(state, entries)| Uris { state, entries }),
    )
}

fn media() -> impl Strategy<Value = Media> {
    (
        key(),
        opt_text(),
        opt_text(),
        opt_text(),
        opt_text(),
        proptest::option::of(media_status()),
    )
        .prop_map(
            |(id, display_text, media_type, label, src_id, status)| Media {
                id,
                display_text,
                media_type,
                label,
                src_id,
                status,
            },
        )
}

fn endpoint() -> impl Strategy<Value = Endpoint> {
    let dialog = proptest::option::of((opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
        |(display_text, call_id, from_tag, to_tag)| SipDialogId {
            display_text,
            call_id,
            from_tag,
            to_tag,
        },
    ));
    (
        (key(), state(), opt_text(), execution()),
        (
            proptest::option::of(endpoint_status()),
            proptest::option::of(joining()),
            execution(),
            proptest::option::of(disconnection()),
            execution(),
        ),
        proptest::collection::vec(media(), 0..3),
        dialog,
    )
        .prop_map(
            |(
                (entity, state, display_text, referred),
                (status, joining_method, joining_info, disconnection_method, disconnection_info),
                media,
                call_info,
            )| Endpoint {
                entity,
                state,
                display_text,
                referred,
                status,
                joining_method,
                joining_info,
                disconnection_method,
                disconnection_info,
                media,
                call_info,
            },
        )
}

fn user() -> impl Strategy<Value = User> {
    (
        (key(), state(), opt_text(), uri_list()),
        (
            proptest::collection::vec(text(), 0..3),
            tokens(),
            opt_text(),
            proptest::collection::vec(endpoint(), 0..3),
        ),
    )
        .prop_map(
            |(
                (entity, state, display_text, associated_aors),
                (roles, languages, cascaded_focus, endpoints),
            )| User {
                entity,
                state,
                display_text,
                associated_aors,
                roles,
                languages,
                cascaded_focus,
                endpoints,
            },
        )
}

fn description() -> impl Strategy<Value = Option<ConferenceDescription>> {
    let medium = (
        key(),
        opt_text(),
        opt_text(),
        proptest::option::of(media_status()),
    )
        .prop_map(
            |(label, display_text, media_type, status)| AvailableMedium {
                label,
                display_text,
                media_type,
                status,
            },
        );
    proptest::option::of(
        (
            (opt_text(), opt_text(), opt_text(), tokens()),
            (
                uri_list(),
                uri_list(),
                proptest::option::of(any::<u32>()),
                proptest::collection::vec(medium, 0..3),
            ),
        )
            .prop_map(
                |(
                    (display_text, subject, free_text, keywords),
                    (conf_uris, service_uris, maximum_user_count, available_media),
                )| ConferenceDescription {
                    display_text,
                    subject,
                    free_text,
                    keywords,
                    conf_uris,
                    service_uris,
                    maximum_user_count,
                    available_media,
                },
            ),
    )
}

/// A conference; `sidebars` says whether it may hold sidebars by value (one level deep).
fn conference(sidebars: bool) -> BoxedStrategy<ConferenceInfo> {
    let host = proptest::option::of((opt_text(), opt_text(), uri_list()).prop_map(
        |(display_text, web_page, uris)| HostInfo {
            display_text,
            web_page,
            uris,
        },
    ));
    let conf_state = proptest::option::of(
        (
            proptest::option::of(any::<u32>()),
            proptest::option::of(any::<bool>()),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(|(user_count, active, locked)| ConferenceState {
                user_count,
                active,
                locked,
            }),
    );
    // A `<users>` element is written whenever there are users, so users need a state.
    let users =
        proptest::option::of((state(), proptest::collection::vec(user(), 0..3))).prop_map(|u| {
            match u {
                Some((state, users)) => (Some(state), users),
                None => (None, Vec::new()),
            }
        });
    let by_val: BoxedStrategy<Option<Sidebars>> = if sidebars {
        proptest::option::of(
            (state(), proptest::collection::vec(conference(false), 0..2))
                .prop_map(|(state, entries)| Sidebars { state, entries }),
        )
        .boxed()
    } else {
        Just(None).boxed()
    };
    (
        (key(), state(), proptest::option::of(any::<u32>())),
        (description(), host, conf_state),
        users,
        (uri_list(), by_val),
    )
        .prop_map(
            |(
                (entity, state, version),
                (description, host_info, conference_state),
                (users_state, users),
                (sidebars_by_ref, sidebars_by_val),
            )| ConferenceInfo {
                entity,
                state,
                version,
                description,
                host_info,
                conference_state,
                users_state,
                users,
                sidebars_by_ref,
                sidebars_by_val,
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn to_xml_then_parse_is_identity(info in conference(true)) {
        let xml = info.to_xml();
        let again = ConferenceInfo::parse(xml.as_bytes());
        prop_assert_eq!(again.as_ref(), Ok(&info), "{}", xml);
    }

    #[test]
    fn apply_never_panics_and_keeps_the_view_full(
        view in conference(true),
        update in conference(true),
    ) {
        let mut view = ConferenceInfo { state: State::Full, version: Some(1), ..view };
        let update = ConferenceInfo {
            entity: view.entity.clone(),
            state: State::Partial,
            version: Some(2),
            ..update
        };
        // Users whose last mention in a partial list is `deleted` must be gone (when the
        // view's keys are unique: with duplicates, the first one is the one matched).
        let mut last = std::collections::HashMap::new();
        if update.users_state == Some(State::Partial) {
            for u in &update.users {
                last.insert(u.entity.clone(), u.state);
            }
        }
        let mut keys: Vec<_> = view.users.iter().map(|u| &u.entity).collect();
        keys.sort();
        let unique = keys.windows(2).all(|w| w[0] != w[1]);
        view.apply(update).unwrap();
        prop_assert_eq!((view.state, view.version), (State::Full, Some(2)));
        if unique {
            for (key, state) in last {
                if state == State::Deleted {
                    prop_assert!(view.users.iter().all(|u| u.entity != key), "{} kept", key);
                }
            }
        }
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = ConferenceInfo::parse(&bytes);
    }
}
