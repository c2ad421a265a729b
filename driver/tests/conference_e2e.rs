//! `ConferenceHandler` against a conference focus on a real loopback socket: the focus (a
//! `proto` endpoint and INVITE session in this test, its Contact marked `isfocus`) answers
//! the call, takes the REFERs that add and remove participants and reports each outcome
//! with sipfrag NOTIFYs, and answers the `conference` subscription with a full then a
//! partial conference-info document; the application posts the `SIPConference*` and
//! `SIPSessionGotConferenceInfo` notifications and unsubscribes when the call ends.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::proto::dialog::Dialog;
use sipsimple::proto::endpoint::{Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple::proto::invite::{IncomingConfig, InviteSession, SessionEvent};
use sipsimple::proto::rand::SeededRandom;
use sipsimple::proto::request::Route;
use sipsimple::proto::sdp::negotiation::answer;
use sipsimple::proto::sdp::{Origin, Session as Sdp};
use sipsimple::proto::sip::headers::{Contact, Expires, HeaderName};
use sipsimple::proto::sip::{Method, Response, StatusCode};
use sipsimple::session::{MediaStream, SignalingStream};
use sipsimple::{Session, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

/// The focus's first conference document: full, version 1, Alice alone.
const FULL: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
    entity="sip:conference@focus.example" state="full" version="1">
  <conference-description><subject>Weekly sync</subject></conference-description>
  <conference-state><user-count>1</user-count><active>true</active></conference-state>
  <users>
    <user entity="sip:alice@example.com" state="full">
      <display-text>Alice</display-text>
      <endpoint entity="sip:alice@127.0.0.1" state="full">
        <status>connected</status>
        <media id="1"><type>audio</type><status>sendrecv</status></media>
      </endpoint>
    </user>
  </users>
</conference-info>"#;

/// The second: partial, version 2, Bob joins.
const PARTIAL: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?>
<conference-info xmlns="urn:ietf:params:xml:ns:conference-info"
    entity="sip:conference@focus.example" state="partial" version="2">
  <conference-state><user-count>2</user-count></conference-state>
  <users state="partial">
    <user entity="sip:bob@example.com" state="full">
      <display-text>Bob</display-text>
      <endpoint entity="sip:bob@192.0.2.7" state="full"><status>dialing-out</status></endpoint>
    </user>
  </users>
</conference-info>"#;

/// A conference focus on 127.0.0.1: answers one call with audio, accepts every REFER and
/// reports `180 Ringing` then `200 OK` for it — or `486 Busy Here` when the participant's
/// user is `busy`. Records the Refer-To of each REFER.
struct Focus {
    addr: SocketAddr,
    refers: Arc<Mutex<Vec<String>>>,
    /// The Expires of every SUBSCRIBE to the conference.
    subscribes: Arc<Mutex<Vec<u32>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Focus {
    fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let refers = Arc::new(Mutex::new(Vec::new()));
        let subscribes = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, halt) = (Arc::clone(&refers), Arc::clone(&stop));
        let subscribed = Arc::clone(&subscribes);
        let thread = std::thread::spawn(move || {
            let mut config = EndpointConfig::default();
            config.supported.push("timer".to_owned());
            let mut endpoint = Endpoint::new(config, SeededRandom::new(9));
            endpoint.add_transport(TransportKind::Udp, addr);
            let mut rng = SeededRandom::new(10);
            let mut session: Option<InviteSession> = None;
            let mut watcher: Option<Dialog> = None;
            let mut buf = vec![0u8; 65_535];
            while !halt.load(Ordering::Relaxed) {
                let now = Instant::now();
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    endpoint.handle_message(now, from, TransportKind::Udp, None, &buf[..n]);
                }
                endpoint.handle_timeout(now);
                if let Some(s) = session.as_mut() {
                    s.handle_timeout(now, &mut rng);
                }
                while let Some(ev) = endpoint.poll_event() {
                    if session
                        .as_mut()
                        .is_some_and(|s| s.handle_event(now, &mut rng, &ev))
                    {
                        continue;
                    }
                    if let Event::Request {
                        tx,
                        request,
                        source,
                        transport,
                    } = ev
                    {
                        if *request.method() == Method::Subscribe {
                            let expires =
                                request.headers().single::<Expires>().map_or(600, |e| e.0);
                            subscribed.lock().unwrap().push(expires);
                            let ok = Response::for_request(&request, StatusCode::OK)
                                .with_to_tag("focus-watch")
                                .with_header(&Expires(expires.min(600)))
                                .with_header(&Contact::new(
                                    format!("sip:conference@{addr}").parse().unwrap(),
                                ));
                            let _ = endpoint.respond(now, tx, &ok);
                            if watcher.is_none() {
                                let dialog = Dialog::uas(&request, &ok).unwrap();
                                endpoint.add_dialog(dialog.id().clone());
                                watcher = Some(dialog);
                            }
                            let d = watcher.as_mut().unwrap();
                            let notifies: &[(&str, &[u8])] = if expires == 0 {
                                &[("terminated;reason=timeout", b"")]
                            } else if subscribed.lock().unwrap().len() == 1 {
                                &[
                                    ("active;expires=600", FULL),
                                    ("active;expires=600", PARTIAL),
                                ]
                            } else {
                                &[]
                            };
                            for (state, body) in notifies {
                                let mut notify = d.request(Method::Notify, None).unwrap();
                                let h = notify.headers_mut();
                                h.push(HeaderName::Event, "conference");
                                h.push(HeaderName::SubscriptionState, state);
                                h.push(HeaderName::Contact, &format!("<sip:conference@{addr}>"));
                                if !body.is_empty() {
                                    notify.set_body(
                                        Some("application/conference-info+xml"),
                                        Bytes::from_static(body),
                                    );
                                }
                                let to = Route {
                                    destination: source,
                                    transport,
                                };
                                let _ = endpoint.send_request(
                                    now,
                                    notify,
                                    to.destination,
                                    to.transport,
                                );
                            }
                        } else if *request.method() == Method::Invite {
                            let mut config = IncomingConfig::new(
                                format!("sip:conference@{addr}").parse().unwrap(),
                            );
                            config.focus = true;
                            let route = Route {
                                destination: source,
                                transport,
                            };
                            session =
                                InviteSession::incoming(now, &mut rng, config, tx, request, route)
                                    .ok();
                        }
                    }
                }
                if let Some(s) = session.as_mut() {
                    let _ = s.drive(now, &mut endpoint);
                    while let Some(event) = s.poll_event() {
                        match event {
                            SessionEvent::NewIncoming { offer: Some(offer) } => {
                                let offer = Sdp::parse(&offer).unwrap();
                                let ip = addr.ip();
                                let media = SignalingStream::audio(44_000).get_local_media(ip);
                                let origin = Origin::new("-", 1, 1, ip);
                                let (sdp, _) = answer(&offer, &origin, &[media]).unwrap();
                                let _ = s.accept(now, Some(Bytes::from(sdp.to_bytes())));
                            }
                            SessionEvent::GotRefer { refer_to, .. } => {
                                let busy = refer_to.uri().user() == Some("busy");
                                seen.lock().unwrap().push(refer_to.to_string());
                                let _ = s.accept_refer(now);
                                let _ = s.notify_refer(now, 180, "Ringing");
                                let _ = if busy {
                                    s.notify_refer(now, 486, "Busy Here")
                                } else {
                                    s.notify_refer(now, 200, "OK")
                                };
                            }
                            _ => {}
                        }
                    }
                    let _ = s.drive(now, &mut endpoint);
                }
                while let Some(t) = endpoint.poll_transmit() {
                    let _ = socket.send_to(&t.payload, t.destination);
                }
            }
        });
        Self {
            addr,
            refers,
            subscribes,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Focus {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[test]
fn participants_are_added_and_removed_through_the_focus() {
    let focus = Focus::start();
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    app.account_manager().add_account(settings).unwrap();
    let account = app.account_manager().default_account().unwrap();

    let session = Session::new(&account);
    let stream: Arc<dyn MediaStream> = Arc::new(SignalingStream::audio(41_000));
    session
        .connect(&format!("sip:conference@{}", focus.addr), vec![stream])
        .unwrap();
    events.wait_for("SIPSessionDidStart", WAIT).unwrap();
    assert!(session.remote_focus());
    let conference = session.conference().expect("the peer is a focus");

    // The conference subscription: the full document, then Bob joining.
    let first = events
        .wait_for("SIPSessionGotConferenceInfo", WAIT)
        .unwrap();
    assert_eq!(first.sender, session.sender_id());
    let info = first.get("conference_info").unwrap();
    assert_eq!(info["subject"], "Weekly sync");
    assert_eq!(info["user_count"], 1);
    assert_eq!(info["users"][0]["entity"], "sip:alice@example.com");
    assert_eq!(info["users"][0]["endpoints"][0]["status"], "connected");
    assert_eq!(
        info["users"][0]["endpoints"][0]["media"][0]["type"],
        "audio"
    );
    let second = events
        .wait_for("SIPSessionGotConferenceInfo", WAIT)
        .unwrap();
    let info = second.get("conference_info").unwrap();
    assert_eq!(info["version"], 2);
    assert_eq!(info["user_count"], 2);
    assert_eq!(
        info["subject"], "Weekly sync",
        "kept from the full document"
    );
    let users: Vec<&str> = info["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["entity"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["sip:alice@example.com", "sip:bob@example.com"]);
    let typed = session.conference_info().unwrap();
    assert_eq!(typed.users.len(), 2);
    assert_eq!(typed.users[1].display_text.as_deref(), Some("Bob"));

    // Three requests at once: they go one REFER at a time, in order.
    conference.add_participant("sip:bob@example.com").unwrap();
    conference.add_participant("sip:busy@example.com").unwrap();
    conference
        .remove_participant("sip:bob@example.com")
        .unwrap();
    let mut seen = Vec::new();
    while seen.len() < 6 {
        let n = events.recv_timeout(WAIT).unwrap();
        if !n.name.starts_with("SIPConference") {
            continue;
        }
        assert_eq!(n.sender, session.sender_id());
        seen.push((
            n.name.to_string(),
            n.get_str("participant").unwrap().to_owned(),
            n.get_u64("code"),
        ));
    }
    let row = |name: &str, who: &str, code: Option<u64>| (name.to_owned(), who.to_owned(), code);
    assert_eq!(
        seen,
        [
            row(
                "SIPConferenceGotAddParticipantProgress",
                "sip:bob@example.com",
                Some(100)
            ),
            row(
                "SIPConferenceGotAddParticipantProgress",
                "sip:bob@example.com",
                Some(180)
            ),
            row(
                "SIPConferenceDidAddParticipant",
                "sip:bob@example.com",
                None
            ),
            row(
                "SIPConferenceGotAddParticipantProgress",
                "sip:busy@example.com",
                Some(100)
            ),
            row(
                "SIPConferenceGotAddParticipantProgress",
                "sip:busy@example.com",
                Some(180)
            ),
            row(
                "SIPConferenceDidNotAddParticipant",
                "sip:busy@example.com",
                Some(486)
            ),
        ]
    );
    let removed = events
        .wait_for("SIPConferenceDidRemoveParticipant", WAIT)
        .unwrap();
    assert_eq!(removed.get_str("participant"), Some("sip:bob@example.com"));
    assert_eq!(
        *focus.refers.lock().unwrap(),
        [
            "<sip:bob@example.com>",
            "<sip:busy@example.com>",
            "<sip:bob@example.com;method=BYE>",
        ]
    );
    // The call goes on: conference requests do not end it.
    assert_eq!(session.state(), sipsimple::session::SessionState::Connected);
    session.end().unwrap();
    events.wait_for("SIPSessionDidEnd", WAIT).unwrap();
    // The subscription ends with the call: a SUBSCRIBE with Expires 0.
    let deadline = Instant::now() + WAIT;
    while focus.subscribes.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "no unsubscribe");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*focus.subscribes.lock().unwrap(), [600, 0]);
    app.stop_and_wait();
}

#[test]
fn a_peer_that_is_no_focus_has_no_conference() {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": ["udp"]}}));
    app.start_with(storage, StartOptions::loopback()).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    app.account_manager().add_account(settings).unwrap();
    let account = app.account_manager().default_account().unwrap();
    let session = Session::new(&account);
    assert!(!session.remote_focus());
    assert!(session.conference().is_none());
    app.stop_and_wait();
}
