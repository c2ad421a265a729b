//! MESSAGE over TLS between two applications on loopback: the server presents a certificate
//! from a test CA, the client verifies it against the CA file of its settings and the name
//! of the URI it used; without the CA, or for another name, the connection fails and the
//! message with it. A CA file that cannot be used keeps TLS from starting, and says why.

use std::path::Path;
use std::time::Duration;

use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::Observer;
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::storage::MemoryStorage;
use sipsimple::{MessageError, SipApplication, StartOptions};

mod support;

const WAIT: Duration = Duration::from_secs(10);

/// A test CA and a server certificate it signed for `names` (DNS names or IP addresses),
/// written as `ca.pem` and `server.pem` (chain and key) in `dir`.
fn certificates(dir: &Path, names: &[&str]) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "sipsimple test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    for name in names {
        params.subject_alt_names.push(match name.parse() {
            Ok(ip) => rcgen::SanType::IpAddress(ip),
            Err(_) => rcgen::SanType::DnsName((*name).try_into().unwrap()),
        });
    }
    let cert = params.signed_by(&key, &ca_cert, &ca_key).unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(
        dir.join("server.pem"),
        format!("{}{}", cert.pem(), key.serialize_pem()),
    )
    .unwrap();
}

fn storage(settings: serde_json::Value) -> MemoryStorage {
    support::settings_storage(settings)
}

fn start(settings: serde_json::Value) -> (SipApplication, Observer) {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start_with(storage(settings), StartOptions::loopback())
        .unwrap();
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    (app, events)
}

/// Bob listens on TLS with the test certificate.
fn bob(dir: &Path) -> (SipApplication, Observer) {
    start(serde_json::json!({
        "sip": {"transport_list": ["tls"]},
        "tls": {"certificate": dir.join("server.pem")},
    }))
}

/// Alice, trusting `ca` (or only the system roots), sends to Bob's TLS port through
/// `proxy_host`.
fn alice_sends(
    ca: Option<&Path>,
    bob: &SipApplication,
    proxy_host: &str,
) -> Result<u16, MessageError> {
    let mut tls = serde_json::json!({});
    if let Some(ca) = ca {
        tls["ca_list"] = serde_json::json!(ca);
    }
    let (alice, _events) = start(serde_json::json!({
        "sip": {"transport_list": ["tls"]},
        "tls": tls,
    }));
    let port = bob.local_address(TransportKind::Tls).unwrap().port();
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    settings.sip.outbound_proxy = Some(format!("sip:{proxy_host}:{port};transport=tls"));
    let account = alice.account_manager().add_account(settings).unwrap();
    let result =
        smol::block_on(account.send_message("sip:bob@example.com", "text/plain", "over TLS"));
    alice.stop_and_wait();
    result.map(|d| d.code)
}

#[test]
fn a_verified_server_gets_the_message() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path(), &["127.0.0.1", "bob.sipsimple.test"]);
    let (bob, events) = bob(dir.path());
    assert_eq!(
        alice_sends(Some(&dir.path().join("ca.pem")), &bob, "127.0.0.1"),
        Ok(200)
    );
    let got = events.wait_for("SIPEngineGotMessage", WAIT).unwrap();
    assert_eq!(got.get_str("body"), Some("over TLS"));
    bob.stop_and_wait();
}

#[test]
fn an_untrusted_server_does_not() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path(), &["127.0.0.1"]);
    let (bob, events) = bob(dir.path());
    let result = alice_sends(None, &bob, "127.0.0.1");
    assert!(
        matches!(result, Err(MessageError::Failed { code: 503, .. })),
        "{result:?}"
    );
    assert!(events
        .wait_for("SIPEngineGotMessage", Duration::from_millis(300))
        .is_err());
    bob.stop_and_wait();
}

#[test]
fn a_certificate_for_another_name_does_not() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path(), &["other.sipsimple.test"]);
    let (bob, _events) = bob(dir.path());
    let result = alice_sends(Some(&dir.path().join("ca.pem")), &bob, "127.0.0.1");
    assert!(
        matches!(result, Err(MessageError::Failed { code: 503, .. })),
        "{result:?}"
    );
    bob.stop_and_wait();
}

#[test]
fn an_unusable_ca_file_keeps_tls_from_starting() {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    app.start_with(
        storage(serde_json::json!({
            "sip": {"transport_list": ["tls", "udp"]},
            "tls": {"ca_list": "/nonexistent/ca.pem"},
        })),
        StartOptions::loopback(),
    )
    .unwrap();
    let failed = events
        .wait_for("SIPApplicationFailedToStartTLS", WAIT)
        .unwrap();
    assert!(
        failed
            .get_str("error")
            .unwrap()
            .contains("/nonexistent/ca.pem"),
        "{failed}"
    );
    events.wait_for("SIPApplicationDidStart", WAIT).unwrap();
    assert!(app.local_address(TransportKind::Tls).is_none());
    assert!(app.local_address(TransportKind::Udp).is_some());
    app.stop_and_wait();
}

#[test]
fn without_a_certificate_a_self_signed_one_is_used() {
    let (app, _events) = start(serde_json::json!({"sip": {"transport_list": ["tls"]}}));
    assert!(app.local_address(TransportKind::Tls).is_some());
    app.stop_and_wait();
}

/// A TLS server that demands a client certificate from the test CA: answers one MESSAGE
/// with 200 and says whether the client presented a certificate; `None` when the handshake
/// failed.
fn demanding_server(dir: &Path) -> (std::net::SocketAddr, std::thread::JoinHandle<Option<bool>>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::io::{Read, Write};

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        std::sync::Arc::clone(&provider),
    )
    .build()
    .unwrap();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.pem")).unwrap();
    let config = std::sync::Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .unwrap(),
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(WAIT)).unwrap();
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut framer = sipsimple::proto::sip::Framer::new();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match tls.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => n,
            };
            framer.feed(&buf[..n]);
            if let Some(Ok(sipsimple::proto::sip::Frame::Message(
                sipsimple::proto::sip::Message::Request(r),
            ))) = framer.next_frame()
            {
                let presented = tls.conn.peer_certificates().is_some_and(|c| !c.is_empty());
                let ok = sipsimple::proto::sip::Response::for_request(
                    &r,
                    sipsimple::proto::sip::StatusCode::OK,
                )
                .with_to_tag("srv");
                tls.write_all(&ok.to_bytes()).unwrap();
                tls.flush().unwrap();
                return Some(presented);
            }
        }
    });
    (addr, thread)
}

fn send_to(app: &SipApplication, to: std::net::SocketAddr) -> Result<u16, MessageError> {
    let mut settings = AccountSettings::new(AccountId::new("alice@example.com").unwrap());
    settings.enabled = true;
    settings.sip.register = false;
    settings.sip.outbound_proxy = Some(format!("sip:{to};transport=tls"));
    let account = app.account_manager().add_account(settings).unwrap();
    smol::block_on(account.send_message("sip:bob@example.com", "text/plain", "who am I?"))
        .map(|d| d.code)
}

#[test]
fn the_configured_certificate_identifies_the_client() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path(), &["127.0.0.1"]);
    let (to, server) = demanding_server(dir.path());
    let (alice, _events) = start(serde_json::json!({
        "sip": {"transport_list": ["tls"]},
        "tls": {"ca_list": dir.path().join("ca.pem"), "certificate": dir.path().join("server.pem")},
    }));
    assert_eq!(send_to(&alice, to), Ok(200));
    assert_eq!(server.join().unwrap(), Some(true));
    alice.stop_and_wait();

    // Without a certificate, the server refuses the handshake.
    let (to, server) = demanding_server(dir.path());
    let (alice, _events) = start(serde_json::json!({
        "sip": {"transport_list": ["tls"]},
        "tls": {"ca_list": dir.path().join("ca.pem")},
    }));
    let result = send_to(&alice, to);
    assert!(
        matches!(result, Err(MessageError::Failed { code: 503, .. })),
        "{result:?}"
    );
    assert_eq!(server.join().unwrap(), None);
    alice.stop_and_wait();
}
