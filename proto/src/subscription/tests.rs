//! The subscriber against a notifier written here, over a lossless instant wire on a virtual
//! clock.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::*;
use crate::endpoint::{EndpointConfig, TransportKind};
use crate::rand::SeededRandom;
use crate::sip::headers::{Cseq, FromHeader, SubscriptionReason};

const A: &str = "192.0.2.1:5060";
const B: &str = "192.0.2.2:5060";

#[allow(clippy::disallowed_methods)]
fn origin() -> Instant {
    Instant::now()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// How the notifier answers SUBSCRIBEs, by CSeq order: one status per request (the last one
/// repeats); 2xx grants `grant` seconds.
struct Notifier {
    endpoint: Endpoint<SeededRandom>,
    answers: Vec<u16>,
    grant: u32,
    dialog: Option<Dialog>,
    /// Every SUBSCRIBE it got.
    subscribes: Vec<Request>,
    /// When set, 2xx answers wait here until [`Net::release`], so that NOTIFYs overtake them.
    held: Option<Vec<(ServerTxId, Response)>>,
}

struct Net {
    t0: Instant,
    now: Instant,
    subscriber: Endpoint<SeededRandom>,
    sub: Subscription,
    rng: SeededRandom,
    events: Vec<SubscriptionEvent>,
    notifier: Notifier,
    /// The statuses of the answers to the notifier's NOTIFYs.
    notify_answers: Vec<u16>,
}

impl Net {
    fn new(answers: &[u16], grant: u32, tweak: impl FnOnce(&mut SubscriptionConfig)) -> Self {
        let mut net = Self::unsettled(answers, grant, tweak);
        net.settle();
        net
    }

    /// A notifier that answers 200 but holds the 2xx back until [`Net::release`].
    fn held() -> Self {
        let mut net = Self::unsettled(&[200], 600, |_| {});
        net.notifier.held = Some(Vec::new());
        net.settle();
        net
    }

    fn unsettled(answers: &[u16], grant: u32, tweak: impl FnOnce(&mut SubscriptionConfig)) -> Self {
        let t0 = origin();
        let mut subscriber = Endpoint::new(EndpointConfig::default(), SeededRandom::new(1));
        subscriber.add_transport(TransportKind::Udp, addr(A));
        let mut n = Endpoint::new(EndpointConfig::default(), SeededRandom::new(2));
        n.add_transport(TransportKind::Udp, addr(B));
        let mut rng = SeededRandom::new(3);
        let mut config = SubscriptionConfig::new(
            Address::new("sip:alice@example.com".parse().unwrap()),
            Address::new("sip:conf@example.com".parse().unwrap()),
            format!("sip:alice@{A}").parse().unwrap(),
            Route {
                destination: addr(B),
                transport: TransportKind::Udp,
            },
            "conference",
        );
        config.accept = vec!["application/conference-info+xml".to_owned()];
        tweak(&mut config);
        let sub = Subscription::new(t0, &mut rng, config).unwrap();
        Self {
            t0,
            now: t0,
            subscriber,
            sub,
            rng,
            events: Vec::new(),
            notifier: Notifier {
                endpoint: n,
                answers: answers.to_vec(),
                grant,
                dialog: None,
                subscribes: Vec::new(),
                held: None,
            },
            notify_answers: Vec::new(),
        }
    }

    fn settle(&mut self) {
        let now = self.now;
        for _ in 0..100 {
            let mut moved = false;
            let _ = self.sub.drive(now, &mut self.subscriber);
            while let Some(e) = self.sub.poll_event() {
                self.events.push(e);
            }
            while let Some(ev) = self.subscriber.poll_event() {
                moved = true;
                self.sub.handle_event(now, &mut self.rng, &ev);
                let _ = self.sub.drive(now, &mut self.subscriber);
            }
            while let Some(ev) = self.notifier.endpoint.poll_event() {
                moved = true;
                match ev {
                    Event::Request { tx, request, .. } => self.answer(tx, &request),
                    Event::Response { response, .. } => {
                        self.notify_answers.push(response.status().code());
                    }
                    _ => {}
                }
            }
            for (from, to) in [(0, 1), (1, 0)] {
                loop {
                    let t = if from == 0 {
                        self.subscriber.poll_transmit()
                    } else {
                        self.notifier.endpoint.poll_transmit()
                    };
                    let Some(t) = t else { break };
                    moved = true;
                    let (source, target) = if to == 1 {
                        (addr(A), &mut self.notifier.endpoint)
                    } else {
                        (addr(B), &mut self.subscriber)
                    };
                    target.handle_message(now, source, TransportKind::Udp, None, &t.payload);
                }
            }
            if !moved {
                break;
            }
        }
    }

    /// The notifier answers a SUBSCRIBE: a 2xx forms (or keeps) its dialog.
    fn answer(&mut self, tx: ServerTxId, request: &Request) {
        let n = &mut self.notifier;
        let i = n.subscribes.len().min(n.answers.len() - 1);
        n.subscribes.push(request.clone());
        let status = StatusCode::new(n.answers[i]).unwrap();
        let mut response = Response::for_request(request, status).with_to_tag("notifier");
        if status.code() == 423 {
            response = response.with_header(&MinExpires(1200));
        }
        if status.code() == 401 {
            response.headers_mut().push(
                HeaderName::WwwAuthenticate,
                "Digest realm=\"example.com\", nonce=\"n0nce\", algorithm=MD5, qop=\"auth\"",
            );
        }
        if status.is_success() {
            let asked = request.headers().single::<Expires>().map_or(600, |e| e.0);
            response = response
                .with_header(&Expires(asked.min(n.grant)))
                .with_header(&Contact::new(format!("sip:conf@{B}").parse().unwrap()));
            if n.dialog.is_none() {
                let dialog = Dialog::uas(request, &response).unwrap();
                n.endpoint.add_dialog(dialog.id().clone());
                n.dialog = Some(dialog);
            }
            if let Some(held) = n.held.as_mut() {
                held.push((tx, response));
                return;
            }
        }
        n.endpoint.respond(self.now, tx, &response).unwrap();
    }

    /// Sends the 2xx answers held back.
    fn release(&mut self) {
        for (tx, response) in self.notifier.held.take().unwrap_or_default() {
            self.notifier
                .endpoint
                .respond(self.now, tx, &response)
                .unwrap();
        }
        self.settle();
    }

    /// The notifier sends a NOTIFY with `state` and `body`.
    fn notify(&mut self, state: SubscriptionState<'static>, body: &'static [u8]) {
        self.notify_with(state, body, |_| {});
    }

    /// The notifier sends a NOTIFY with `state` and `body`, changed by `tweak`.
    fn notify_with(
        &mut self,
        state: SubscriptionState<'static>,
        body: &'static [u8],
        tweak: impl FnOnce(&mut Request),
    ) {
        let n = &mut self.notifier;
        let mut notify = n
            .dialog
            .as_mut()
            .unwrap()
            .request(Method::Notify, None)
            .unwrap();
        notify
            .headers_mut()
            .push_typed(&EventHeader::new("conference").unwrap());
        notify.headers_mut().push_typed(&state);
        notify
            .headers_mut()
            .push_typed(&Contact::new(format!("sip:conf@{B}").parse().unwrap()));
        if !body.is_empty() {
            notify.set_body(
                Some("application/conference-info+xml"),
                Bytes::from_static(body),
            );
        }
        tweak(&mut notify);
        n.endpoint
            .send_request(self.now, notify, addr(A), TransportKind::Udp)
            .unwrap();
        self.settle();
    }

    fn run_until(&mut self, at: Duration) {
        let end = self.t0 + at;
        loop {
            let next = [
                self.sub.poll_timeout(),
                self.subscriber.poll_timeout(),
                self.notifier.endpoint.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    self.subscriber.handle_timeout(now);
                    self.notifier.endpoint.handle_timeout(now);
                    self.sub.handle_timeout(now, &mut self.rng);
                    self.settle();
                }
                _ => break,
            }
        }
        self.now = end;
        self.settle();
    }

    fn expires_asked(&self) -> Vec<u32> {
        self.notifier
            .subscribes
            .iter()
            .map(|r| r.headers().single::<Expires>().unwrap().0)
            .collect()
    }
}

fn notified(state: NotifyState, body: &'static [u8]) -> SubscriptionEvent {
    SubscriptionEvent::GotNotify {
        state,
        content_type: (!body.is_empty()).then(|| "application/conference-info+xml".to_owned()),
        body: Bytes::from_static(body),
    }
}

#[test]
fn subscribe_notify_refresh_and_a_terminating_notify() {
    let mut net = Net::new(&[200], 600, |_| {});
    assert_eq!(net.events, [SubscriptionEvent::DidStart { expires: 600 }]);
    assert_eq!(net.sub.state(), State::Active);
    let first = &net.notifier.subscribes[0];
    assert_eq!(first.headers().get(HeaderName::Event), Some("conference"));
    assert_eq!(
        first.headers().get(HeaderName::Accept),
        Some("application/conference-info+xml")
    );
    net.notify(SubscriptionState::active(600), b"<full/>");
    assert_eq!(net.notify_answers, [200]);
    assert_eq!(
        net.events.last(),
        Some(&notified(NotifyState::Active, b"<full/>"))
    );
    // Refreshed at half the granted time, in the dialog.
    net.run_until(secs(301));
    assert_eq!(net.expires_asked(), [600, 600]);
    let refresh = &net.notifier.subscribes[1];
    assert_eq!(refresh.headers().single::<Cseq>().unwrap().seq, 2);
    assert!(refresh
        .headers()
        .get(HeaderName::To)
        .unwrap()
        .contains("tag=notifier"));
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidRefresh { expires: 600 })
    );
    net.notify(
        SubscriptionState::terminated(Some(SubscriptionReason::Noresource)),
        b"",
    );
    assert_eq!(
        net.events[net.events.len() - 2..],
        [
            notified(NotifyState::Terminated, b""),
            SubscriptionEvent::DidEnd {
                reason: "noresource".to_owned()
            }
        ]
    );
    assert_eq!(net.sub.state(), State::Terminated);
    assert_eq!(net.sub.poll_timeout(), None);
    // The dialog is gone: a late NOTIFY gets 481 from the endpoint.
    net.notify(SubscriptionState::active(600), b"<late/>");
    assert_eq!(net.notify_answers.last(), Some(&481));
}

#[test]
fn a_refused_subscribe_fails_and_a_423_is_retried_with_min_expires() {
    let net = Net::new(&[404], 600, |_| {});
    assert_eq!(
        net.events,
        [SubscriptionEvent::DidFail {
            code: 404,
            reason: "Not Found".to_owned()
        }]
    );
    assert_eq!(net.sub.state(), State::Terminated);

    let net = Net::new(&[423, 200], 3600, |_| {});
    assert_eq!(net.expires_asked(), [600, 1200]);
    let seqs: Vec<u32> = net
        .notifier
        .subscribes
        .iter()
        .map(|r| r.headers().single::<Cseq>().unwrap().seq)
        .collect();
    assert_eq!(seqs, [1, 2]);
    assert_eq!(net.events, [SubscriptionEvent::DidStart { expires: 1200 }]);
}

#[test]
fn a_shorter_grant_is_kept_and_a_refresh_answered_481_ends_it() {
    let mut net = Net::new(&[200, 481], 100, |_| {});
    assert_eq!(net.events, [SubscriptionEvent::DidStart { expires: 100 }]);
    net.run_until(secs(51));
    assert_eq!(net.expires_asked(), [600, 600]);
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidEnd {
            reason: "481 Call/Transaction Does Not Exist".to_owned()
        })
    );
}

#[test]
fn an_unrefreshed_subscription_expires() {
    // The refresh is refused with 500: the subscription runs out at the granted time.
    let mut net = Net::new(&[200, 500], 100, |_| {});
    net.run_until(secs(99));
    assert_eq!(net.sub.state(), State::Active);
    net.run_until(secs(101));
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidEnd {
            reason: "expired".to_owned()
        })
    );
}

#[test]
fn unsubscribing_waits_for_the_final_notify_or_64_t1() {
    let mut net = Net::new(&[200], 600, |_| {});
    net.sub.unsubscribe(net.now, &mut net.rng).unwrap();
    net.settle();
    assert_eq!(net.expires_asked(), [600, 0]);
    assert_eq!(net.sub.state(), State::Unsubscribing);
    net.notify(
        SubscriptionState::terminated(Some(SubscriptionReason::Timeout)),
        b"",
    );
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidEnd {
            reason: "unsubscribed".to_owned()
        })
    );
    assert_eq!(
        net.sub.unsubscribe(net.now, &mut net.rng),
        Err(Error::Terminated)
    );

    // No final NOTIFY: it ends 64·T1 after the unsubscribe.
    let mut net = Net::new(&[200], 600, |_| {});
    net.sub.unsubscribe(net.now, &mut net.rng).unwrap();
    net.settle();
    net.run_until(secs(31));
    assert_eq!(net.sub.state(), State::Unsubscribing);
    net.run_until(secs(33));
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidEnd {
            reason: "unsubscribed".to_owned()
        })
    );
}

#[test]
fn unsubscribing_before_the_answer_waits_for_it() {
    let t0 = origin();
    let mut rng = SeededRandom::new(3);
    let config = SubscriptionConfig::new(
        Address::new("sip:alice@example.com".parse().unwrap()),
        Address::new("sip:conf@example.com".parse().unwrap()),
        format!("sip:alice@{A}").parse().unwrap(),
        Route {
            destination: addr(B),
            transport: TransportKind::Udp,
        },
        "conference",
    );
    let mut sub = Subscription::new(t0, &mut rng, config).unwrap();
    sub.unsubscribe(t0, &mut rng).unwrap();
    assert_eq!(sub.state(), State::Subscribing);
    // The endpoint is told first to pass up NOTIFYs that may come before the answer.
    assert!(matches!(
        sub.poll_action(),
        Some(Action::AddFormingDialog { .. })
    ));
    let Some(Action::SendRequest { request, .. }) = sub.poll_action() else {
        panic!("no SUBSCRIBE");
    };
    assert_eq!(request.headers().single::<Expires>().unwrap().0, 600);
    assert!(
        sub.poll_action().is_none(),
        "nothing more before the answer"
    );
}

#[test]
fn notifies_of_another_event_or_malformed_are_refused() {
    let mut net = Net::new(&[200], 600, |_| {});
    let n = &mut net.notifier;
    let mut other = n
        .dialog
        .as_mut()
        .unwrap()
        .request(Method::Notify, None)
        .unwrap();
    other
        .headers_mut()
        .push_typed(&EventHeader::new("presence").unwrap());
    other
        .headers_mut()
        .push_typed(&SubscriptionState::active(600));
    n.endpoint
        .send_request(net.now, other, addr(A), TransportKind::Udp)
        .unwrap();
    net.settle();
    assert_eq!(net.notify_answers, [489]);
    let n = &mut net.notifier;
    let mut bad = n
        .dialog
        .as_mut()
        .unwrap()
        .request(Method::Notify, None)
        .unwrap();
    bad.headers_mut()
        .push_typed(&EventHeader::new("conference").unwrap());
    n.endpoint
        .send_request(net.now, bad, addr(A), TransportKind::Udp)
        .unwrap();
    net.settle();
    assert_eq!(net.notify_answers, [489, 400]);
    assert_eq!(net.events, [SubscriptionEvent::DidStart { expires: 600 }]);
    assert_eq!(net.sub.state(), State::Active);
}

#[test]
fn bad_configurations_are_errors() {
    let config = |event: &str, accept: &str| {
        let mut c = SubscriptionConfig::new(
            Address::new("sip:alice@example.com".parse().unwrap()),
            Address::new("sip:conf@example.com".parse().unwrap()),
            format!("sip:alice@{A}").parse().unwrap(),
            Route {
                destination: addr(B),
                transport: TransportKind::Udp,
            },
            event,
        );
        c.accept = vec![accept.to_owned()];
        c
    };
    let mut rng = SeededRandom::new(1);
    assert!(matches!(
        Subscription::new(origin(), &mut rng, config("bad event", "a/b")),
        Err(Error::BadEvent(_))
    ));
    assert!(matches!(
        Subscription::new(origin(), &mut rng, config("conference", "nonsense")),
        Err(Error::BadAccept(_))
    ));
}

#[test]
fn a_challenge_is_answered_once_with_the_credentials() {
    let net = Net::new(&[401, 200], 600, |c| {
        c.credentials = Some(Credentials {
            username: "alice".to_owned(),
            password: "secret".to_owned(),
            realm: None,
        });
    });
    assert_eq!(net.events, [SubscriptionEvent::DidStart { expires: 600 }]);
    let second = &net.notifier.subscribes[1];
    assert_eq!(second.headers().single::<Cseq>().unwrap().seq, 2);
    assert!(second
        .headers()
        .get(HeaderName::Authorization)
        .unwrap()
        .contains("username=\"alice\""));

    // Without credentials, or challenged twice, it fails with the challenge.
    let net = Net::new(&[401], 600, |_| {});
    assert_eq!(
        net.events,
        [SubscriptionEvent::DidFail {
            code: 401,
            reason: "Unauthorized".to_owned()
        }]
    );
    let net = Net::new(&[401, 401], 600, |c| {
        c.credentials = Some(Credentials {
            username: "alice".to_owned(),
            password: "wrong".to_owned(),
            realm: None,
        });
    });
    assert_eq!(net.notifier.subscribes.len(), 2);
    assert!(matches!(
        net.events[..],
        [SubscriptionEvent::DidFail { code: 401, .. }]
    ));
}

#[test]
fn a_day_of_refreshes_keeps_the_transaction_list_short() {
    let mut net = Net::new(&[200], 600, |_| {});
    net.run_until(secs(24 * 3600));
    assert_eq!(net.notifier.subscribes.len(), 1 + 24 * 12);
    assert!(net.sub.txs.len() <= 1, "{}", net.sub.txs.len());
    assert_eq!(net.sub.state(), State::Active);
}

#[test]
fn a_notify_overtaking_the_2xx_forms_the_dialog() {
    let mut net = Net::held();
    assert!(net.events.is_empty());
    assert_eq!(net.notifier.subscribes.len(), 1);
    net.notify(SubscriptionState::active(600), b"<full/>");
    assert_eq!(net.notify_answers, [200]);
    assert_eq!(net.events, [notified(NotifyState::Active, b"<full/>")]);
    assert_eq!(net.sub.state(), State::Subscribing);
    let dialog = net.sub.dialog().expect("formed by the NOTIFY");
    assert_eq!(dialog.id().remote_tag(), "notifier");
    assert_eq!(dialog.remote_target().to_string(), format!("sip:conf@{B}"));
    net.release();
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidStart { expires: 600 })
    );
    assert_eq!(net.sub.state(), State::Active);
    net.notify(SubscriptionState::active(600), b"<partial/>");
    assert_eq!(net.notify_answers, [200, 200]);
    // The refresh goes on in the dialog, with the CSeq after the SUBSCRIBE's.
    net.run_until(secs(301));
    assert_eq!(net.expires_asked(), [600, 600]);
    let refresh = &net.notifier.subscribes[1];
    assert_eq!(refresh.headers().single::<Cseq>().unwrap().seq, 2);
    assert!(refresh
        .headers()
        .get(HeaderName::To)
        .unwrap()
        .contains("tag=notifier"));
    assert_eq!(
        net.events.last(),
        Some(&SubscriptionEvent::DidRefresh { expires: 600 })
    );
    // A NOTIFY of another fork of the SUBSCRIBE (another From tag) is refused with 481,
    // which ends that fork's subscription.
    net.notify_with(SubscriptionState::active(600), b"<fork/>", |r| {
        let from = r
            .headers()
            .single::<FromHeader<'_>>()
            .unwrap()
            .0
            .into_owned();
        let other = Address::new(from.uri().clone()).with_tag("fork2");
        r.headers_mut().set_typed(&FromHeader(other));
    });
    assert_eq!(net.notify_answers.last(), Some(&481));
    assert_eq!(net.events.len(), 4, "{:?}", net.events);
}

#[test]
fn an_overtaking_notify_that_terminates_ends_the_subscription() {
    let mut net = Net::held();
    net.notify(
        SubscriptionState::terminated(Some(SubscriptionReason::Rejected)),
        b"",
    );
    assert_eq!(net.notify_answers, [200]);
    assert_eq!(
        net.events,
        [
            notified(NotifyState::Terminated, b""),
            SubscriptionEvent::DidEnd {
                reason: "rejected".to_owned()
            }
        ]
    );
    // The 2xx that follows changes nothing, and the dialog is forgotten by the endpoint.
    net.release();
    assert_eq!(net.events.len(), 2);
    assert_eq!(net.sub.state(), State::Terminated);
    net.notify(SubscriptionState::active(600), b"<late/>");
    assert_eq!(net.notify_answers.last(), Some(&481));
}

#[test]
fn an_overtaking_notify_without_contact_is_refused_and_a_failed_one_forgotten() {
    let mut net = Net::held();
    net.notify_with(SubscriptionState::active(600), b"", |r| {
        r.headers_mut().remove(HeaderName::Contact);
    });
    assert_eq!(net.notify_answers, [400]);
    assert!(net.events.is_empty());
    assert!(net.sub.dialog().is_none());
    // A refused SUBSCRIBE stops the endpoint passing up requests of the dialog it was forming.
    let mut net = Net::new(&[403], 600, |_| {});
    assert!(matches!(
        net.events[..],
        [SubscriptionEvent::DidFail { code: 403, .. }]
    ));
    let call_id = net.notifier.subscribes[0]
        .headers()
        .single::<crate::sip::headers::CallId<'_>>()
        .unwrap()
        .as_str()
        .to_owned();
    let from = net.notifier.subscribes[0]
        .headers()
        .single::<FromHeader<'_>>()
        .unwrap()
        .0
        .into_owned();
    let mut notify = RequestBuilder::new(Method::Notify, format!("sip:alice@{A}").parse().unwrap())
        .from(Address::new(format!("sip:conf@{B}").parse().unwrap()).with_tag("n"))
        .to(from)
        .call_id(&call_id)
        .cseq(1)
        .contact(&Contact::new(format!("sip:conf@{B}").parse().unwrap()))
        .build();
    notify
        .headers_mut()
        .push_typed(&EventHeader::new("conference").unwrap());
    notify
        .headers_mut()
        .push_typed(&SubscriptionState::active(600));
    net.notifier
        .endpoint
        .send_request(net.now, notify, addr(A), TransportKind::Udp)
        .unwrap();
    net.settle();
    assert_eq!(net.notify_answers, [481]);
}
