//! What the driver's end-to-end tests share: a registrar on a real loopback socket.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sipsimple::proto::endpoint::{Endpoint, EndpointConfig, Event, TransportKind};
use sipsimple::proto::rand::SeededRandom;
use sipsimple::proto::sip::auth::Algorithm;
use sipsimple::proto::sip::headers::{Contact, Expires};
use sipsimple::proto::sip::{Method, Response, StatusCode};
use sipsimple_tests::digest::DigestServer;

/// A registrar on 127.0.0.1: digest (MD5) for the password `secret`, grants what is asked
/// (at most 3600 s) and records the lifetime of every accepted REGISTER.
pub(crate) struct Registrar {
    pub(crate) addr: SocketAddr,
    accepted: Arc<Mutex<Vec<u32>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Registrar {
    pub(crate) fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = socket.local_addr().unwrap();
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (acc, halt) = (Arc::clone(&accepted), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut config = EndpointConfig::default();
            config.allow.push(Method::Register);
            let mut endpoint = Endpoint::new(config, SeededRandom::new(7));
            endpoint.add_transport(TransportKind::Udp, addr);
            let digest = DigestServer {
                realm: "example.com".to_owned(),
                nonce: "3bd9a0a5c1a2".to_owned(),
                algorithm: Algorithm::Md5,
                password: "secret".to_owned(),
            };
            let mut buf = vec![0u8; 65_535];
            while !halt.load(Ordering::Relaxed) {
                let now = Instant::now();
                if let Ok((n, from)) = socket.recv_from(&mut buf) {
                    endpoint.handle_message(now, from, TransportKind::Udp, None, &buf[..n]);
                }
                endpoint.handle_timeout(now);
                while let Some(ev) = endpoint.poll_event() {
                    let Event::Request { tx, request, .. } = ev else {
                        continue;
                    };
                    let answer = if !digest.verify(&request) {
                        digest.challenge(&request, "reg")
                    } else {
                        let asked = request
                            .headers()
                            .first::<Expires>()
                            .and_then(Result::ok)
                            .map_or(3600, |e| e.0)
                            .min(3600);
                        acc.lock().unwrap().push(asked);
                        let mut ok =
                            Response::for_request(&request, StatusCode::OK).with_to_tag("reg");
                        if asked > 0 {
                            if let Some(Ok(c)) = request.headers().first::<Contact<'_>>() {
                                let mut c = c.into_owned();
                                if let Some(a) = c.address_mut() {
                                    a.params.set("expires", Some(&asked.to_string()));
                                }
                                ok = ok.with_header(&c);
                            }
                        }
                        ok
                    };
                    let _ = endpoint.respond(now, tx, &answer);
                }
                while let Some(t) = endpoint.poll_transmit() {
                    let _ = socket.send_to(&t.payload, t.destination);
                }
            }
        });
        Self {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    pub(crate) fn accepted(&self) -> Vec<u32> {
        self.accepted.lock().unwrap().clone()
    }
}

impl Drop for Registrar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A storage whose `SIPSimpleSettings` are `settings` (a JSON object in the stored layout,
/// e.g. `{"sip": {"transport_list": ["udp"]}}`).
pub(crate) fn settings_storage(settings: serde_json::Value) -> sipsimple::storage::MemoryStorage {
    let serde_json::Value::Object(map) = serde_json::json!({ "SIPSimpleSettings": settings })
    else {
        unreachable!("json! of an object is an object")
    };
    sipsimple::storage::MemoryStorage::with_document(sipsimple::storage::Document::from_map(map))
}

/// The audio tests' engine rate (`audio.sample_rate`).
pub(crate) const AUDIO_RATE: u32 = 16_000;

/// One second of a sine at `hz` and -10.3 dBFS (10,000 of 32,767) at [`AUDIO_RATE`]: a whole
/// number of periods of every tone the tests use, so that it loops without a click.
pub(crate) fn write_sine(path: &std::path::Path, hz: f64) {
    sipsimple_audio::wave::write_tone(path, hz, -10.3, AUDIO_RATE, Duration::from_secs(1)).unwrap();
}

/// The samples of a mono WAV file at [`AUDIO_RATE`], such as a speaker file or a recording.
pub(crate) fn read_wav(path: &std::path::Path) -> Vec<i16> {
    let (samples, rate) = sipsimple_audio::wave::read_mono(path).unwrap();
    assert_eq!(rate, AUDIO_RATE, "{}", path.display());
    samples
}
