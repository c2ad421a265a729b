//! Whole applications on virtual time (`VirtualRuntime`): the same engine as on real sockets,
//! but the clock jumps to the next timer whenever nothing runs, so a 32-second Timer F and
//! an hour of registration refreshes take milliseconds and happen exactly on time.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::future;
use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::{Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple::proto::rand::SeededRandom;
use sipsimple::proto::request::Route;
use sipsimple::proto::sip::headers::{Contact, Expires};
use sipsimple::proto::sip::{Address, Method, Response, StatusCode};
use sipsimple::runtime::{DatagramSocket, Runtime, VirtualRuntime};
use sipsimple::{MessageError, SipApplication, StartOptions};

/// Real time the tests allow for anything; virtual time is another matter.
mod support;

const WAIT: Duration = Duration::from_secs(10);
const LATENCY: Duration = Duration::from_millis(20);

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn start(runtime: &VirtualRuntime, transports: &[&str]) -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let options = StartOptions {
        runtime: Some(Arc::new(runtime.clone())),
        nameservers: Some(Vec::new()),
        ..StartOptions::loopback()
    };
    let storage =
        support::settings_storage(serde_json::json!({"sip": {"transport_list": transports}}));
    app.start_with(storage, options).unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    (app, events)
}

fn addr(uri: &str) -> Address<'static> {
    Address::new(uri.parse().unwrap())
}

#[test]
fn two_applications_exchange_messages_on_the_virtual_network() {
    let runtime = VirtualRuntime::new(origin(), LATENCY);
    let (alice, _a) = start(&runtime, &["udp", "tcp"]);
    let (bob, bob_events) = start(&runtime, &["udp", "tcp"]);
    for transport in [TransportKind::Udp, TransportKind::Tcp] {
        let delivery = smol::block_on(alice.send_message(
            addr("sip:alice@example.com"),
            addr("sip:bob@example.com"),
            "text/plain",
            "virtually yours",
            vec![Route {
                destination: bob.local_address(transport).unwrap(),
                transport,
            }],
            None,
        ))
        .unwrap();
        assert_eq!(delivery.code, 200, "{transport:?}");
        let got = bob_events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
        assert_eq!(got.get_str("body"), Some("virtually yours"));
    }
    alice.stop_and_wait();
    bob.stop_and_wait();
    runtime.shutdown();
}

#[test]
fn a_silent_peer_times_out_after_exactly_64_t1() {
    let t0 = origin();
    let runtime = VirtualRuntime::new(t0, LATENCY);
    let (alice, _events) = start(&runtime, &["udp"]);
    // Nothing is bound there on the virtual network: every datagram is lost.
    let silent: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let real = std::time::Instant::now();
    let sent_at = runtime.elapsed_since(t0);
    let result = smol::block_on(alice.send_message(
        addr("sip:alice@example.com"),
        addr("sip:nobody@example.com"),
        "text/plain",
        "hello?",
        vec![Route {
            destination: silent,
            transport: TransportKind::Udp,
        }],
        None,
    ));
    let waited = runtime.elapsed_since(t0) - sent_at;
    assert!(
        matches!(result, Err(MessageError::Failed { code: 408, .. })),
        "{result:?}"
    );
    // Timer F is 64·T1 = 32 s of virtual time; in real time it took a blink.
    assert!(
        waited >= Duration::from_secs(32) && waited < Duration::from_secs(33),
        "timed out after {waited:?} of virtual time"
    );
    assert!(real.elapsed() < Duration::from_secs(5));
    alice.stop_and_wait();
    runtime.shutdown();
}

/// A registrar on the virtual network: grants what is asked and notes, in virtual time,
/// when each REGISTER arrived and the lifetime it asked for.
async fn registrar(
    runtime: VirtualRuntime,
    socket: Box<dyn DatagramSocket>,
    log: Arc<Mutex<Vec<(Duration, u32)>>>,
    t0: Instant,
) {
    let local = socket.local_addr().unwrap();
    let mut config = EndpointConfig::default();
    config.allow.push(Method::Register);
    let mut endpoint = Endpoint::new(config, SeededRandom::new(3));
    endpoint.add_transport(TransportKind::Udp, local);
    let mut buf = vec![0u8; 65_535];
    loop {
        let received = match endpoint.poll_timeout() {
            Some(at) => {
                let sleep = runtime.sleep_until(at);
                future::or(async { Some(socket.recv_from(&mut buf).await) }, async {
                    sleep.await;
                    None
                })
                .await
            }
            None => Some(socket.recv_from(&mut buf).await),
        };
        let now = runtime.now();
        if let Some(Ok((n, from))) = received {
            endpoint.handle_message(now, from, TransportKind::Udp, None, &buf[..n]);
        }
        endpoint.handle_timeout(now);
        while let Some(event) = endpoint.poll_event() {
            let Event::Request { tx, request, .. } = event else {
                continue;
            };
            let asked = request
                .headers()
                .first::<Expires>()
                .and_then(Result::ok)
                .map_or(3600, |e| e.0);
            log.lock().unwrap().push((now - t0, asked));
            let mut ok = Response::for_request(&request, StatusCode::OK).with_to_tag("reg");
            if let Some(Ok(c)) = request.headers().first::<Contact<'_>>() {
                let mut c = c.into_owned();
                if let Some(a) = c.address_mut() {
                    a.params.set("expires", Some(&asked.to_string()));
                }
                ok = ok.with_header(&c);
            }
            let _ = endpoint.respond(now, tx, &ok);
        }
        while let Some(t) = endpoint.poll_transmit() {
            let _ = socket.send_to(&t.payload, t.destination).await;
        }
    }
}

#[test]
fn an_hour_of_refreshes_in_virtual_time() {
    let t0 = origin();
    let runtime = VirtualRuntime::new(t0, LATENCY);
    let socket = runtime.bind_udp("127.0.0.1:5060".parse().unwrap()).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    runtime.spawn(Box::pin(registrar(
        runtime.clone(),
        socket,
        Arc::clone(&log),
        t0,
    )));
    let (app, events) = start(&runtime, &["udp"]);
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.outbound_proxy = Some("sip:127.0.0.1:5060".to_owned());
    settings.sip.register_interval = 600;
    // Observed before the account exists: on virtual time it registers at once.
    let mine = app
        .notification_center()
        .observe(Some("SIPAccountRegistrationDidSucceed"), None);
    app.account_manager().add_account(settings).unwrap();
    let real = std::time::Instant::now();
    for _ in 0..7 {
        mine.recv_timeout(WAIT).unwrap();
    }
    app.stop_and_wait();
    drop(events);
    runtime.shutdown();
    let log = log.lock().unwrap().clone();
    // The registration, six refreshes 540 s apart (90 % of 600 s), …
    let times: Vec<Duration> = log.iter().map(|(t, _)| *t).collect();
    assert!(log.len() >= 8, "{log:?}");
    for pair in times.windows(2).take(6) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_secs(540) && gap < Duration::from_secs(541),
            "refreshed {gap:?} after the previous one: {log:?}"
        );
    }
    assert!(log[..7].iter().all(|(_, asked)| *asked == 600), "{log:?}");
    // … and the removal at stop.
    assert_eq!(log.last().unwrap().1, 0, "{log:?}");
    // Over an hour of virtual time went by in a few real seconds at most.
    assert!(times[6] >= Duration::from_secs(3240), "{log:?}");
    assert!(
        real.elapsed() < Duration::from_secs(5),
        "{:?}",
        real.elapsed()
    );
}

#[test]
fn a_network_change_registers_again_at_once() {
    let t0 = origin();
    // No latency and the clock held: the registration and everything after it happen at
    // one instant, and no refresh can come in between.
    let runtime = VirtualRuntime::new(t0, Duration::ZERO);
    runtime.set_paused(true);
    let socket = runtime.bind_udp("127.0.0.1:5060".parse().unwrap()).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    runtime.spawn(Box::pin(registrar(
        runtime.clone(),
        socket,
        Arc::clone(&log),
        t0,
    )));
    let (app, _events) = start(&runtime, &["udp"]);
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.outbound_proxy = Some("sip:127.0.0.1:5060".to_owned());
    // Observed before the account exists: on virtual time it registers at once.
    let mine = app
        .notification_center()
        .observe(Some("SIPAccountRegistrationDidSucceed"), None);
    app.account_manager().add_account(settings).unwrap();
    mine.recv_timeout(WAIT).unwrap();
    assert_eq!(log.lock().unwrap().len(), 1);
    app.network_changed();
    mine.recv_timeout(WAIT).unwrap();
    let times: Vec<Duration> = log.lock().unwrap().iter().map(|(t, _)| *t).collect();
    // Registered again at once, with the clock still where it was.
    assert_eq!(times, [Duration::ZERO, Duration::ZERO]);
    runtime.set_paused(false);
    app.stop_and_wait();
    runtime.shutdown();
}

/// An application on `runtime` with account `user` (not registering) whose requests go to
/// `proxy`.
fn caller_app(
    runtime: &VirtualRuntime,
    user: &str,
    proxy: Option<String>,
) -> (SipApplication, Observer) {
    let (app, events) = start(runtime, &["udp"]);
    let mut settings = AccountSettings::new(AccountId::new(format!("{user}@example.com")).unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    settings.sip.outbound_proxy = proxy;
    app.account_manager().add_account(settings).unwrap();
    (app, events)
}

#[test]
fn an_unanswered_call_is_given_up_after_the_invite_timeout() {
    let t0 = origin();
    let runtime = VirtualRuntime::new(t0, LATENCY);
    let (bob, bob_events) = caller_app(&runtime, "bob", None);
    let bob_addr = bob.local_address(TransportKind::Udp).unwrap();
    let (alice, alice_events) = caller_app(&runtime, "alice", Some(format!("sip:{bob_addr}")));
    let account = alice
        .account_manager()
        .get_account("alice@example.com")
        .unwrap();
    let session = sipsimple::Session::new(&account);
    let stream: Arc<dyn sipsimple::session::MediaStream> =
        Arc::new(sipsimple::session::SignalingStream::audio(40_000));
    let real = std::time::Instant::now();
    let called_at = runtime.elapsed_since(t0);
    session
        .connect("sip:bob@example.com", vec![stream])
        .unwrap();
    // Bob is told of the call but never answers it: after sip.invite_timeout (90 s from the
    // INVITE), Alice cancels. (Without the timeout the call would ring for ever: nothing
    // else would end it.)
    bob_events.wait_for("SIPSessionNewIncoming", WAIT).unwrap();
    let failed = alice_events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    // The clock may have moved on since (Timer D), so only the lower bound is exact.
    let waited = runtime.elapsed_since(t0) - called_at;
    assert_eq!(failed.get_u64("code"), Some(487), "{failed}");
    assert_eq!(failed.get_str("failure_reason"), Some("no answer"));
    assert!(
        waited >= Duration::from_secs(90),
        "gave up after {waited:?}"
    );
    bob_events.wait_for("SIPSessionDidFail", WAIT).unwrap();
    assert!(real.elapsed() < Duration::from_secs(5));
    alice.stop_and_wait();
    bob.stop_and_wait();
    runtime.shutdown();
}
