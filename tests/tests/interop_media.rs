//! Interop of the media cores with real third-party implementations, on loopback:
//!
//! - SRTP and SRTCP against libsrtp 2 (through pylibsrtp, `interop/srtp/peer.py`): packets we
//!   protect are unprotected there and the other way round, for every suite both support,
//!   across a rollover-counter wrap;
//! - ICE against aioice (a full RFC 8445 agent, `interop/ice/peer.py`): our agent on a real
//!   UDP socket connects to it in either role and exchanges data over the selected pair.
//!
//! They need `interop/.venv` (`interop/install.sh peers`), so they are ignored by default;
//! `.ci/run` runs them with `--ignored`.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use sipsimple_proto::ice::{Candidate, IceAgent, IceConfig, IceEvent, IceState, Role};
use sipsimple_proto::rand::{Random, SeededRandom};
use sipsimple_proto::sdp::Candidate as SdpCandidate;
use sipsimple_proto::srtp::{MasterKey, Profile, SrtpContext};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A peer script of `interop/` speaking lines on stdio.
struct Peer {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Peer {
    fn start(script: &str, args: &[&str]) -> Self {
        let mut child = Command::new(repo().join("interop/.venv/bin/python"))
            .arg(repo().join(script))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("interop/.venv (interop/install.sh peers)");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Self {
            child,
            input,
            output,
        }
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.output.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    fn send(&mut self, line: &str) {
        writeln!(self.input, "{line}").unwrap();
        self.input.flush().unwrap();
    }

    /// Sends one command and returns the bytes of its `OK` answer, or the `ERR` text.
    fn ask(&mut self, command: &str, packet: &[u8]) -> Result<Vec<u8>, String> {
        self.send(&format!("{command} {}", hex(packet)));
        let answer = self.line();
        match answer.split_once(' ') {
            Some(("OK", h)) => Ok(unhex(h)),
            _ => Err(answer),
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// An RTP packet: PCMU, sequence `seq`, with CSRCs and a header extension on some.
fn rtp(seq: u16, ssrc: u32, payload_len: usize) -> Vec<u8> {
    let csrcs = usize::from(seq % 3 == 0) * 2;
    let extension = seq % 5 == 0;
    let mut p = vec![
        0x80 | u8::from(extension) << 4 | csrcs as u8,
        0,
        (seq >> 8) as u8,
        seq as u8,
    ];
    p.extend(u32::from(seq).wrapping_mul(160).to_be_bytes());
    p.extend(ssrc.to_be_bytes());
    for k in 0..csrcs {
        p.extend((0x1000_0000u32 + k as u32).to_be_bytes());
    }
    if extension {
        // RFC 8285 one-byte header: one element of 3 bytes.
        p.extend([0xbe, 0xde, 0, 1, 0x12, 0xaa, 0xbb, 0xcc]);
    }
    p.extend((0..payload_len).map(|i| (i as u8) ^ (seq as u8)));
    p
}

/// An RTCP receiver report with one report block.
fn rtcp_rr(ssrc: u32, n: u32) -> Vec<u8> {
    let mut p = vec![0x81, 201, 0, 7];
    p.extend(ssrc.to_be_bytes());
    p.extend(0x5555_0000u32.to_be_bytes());
    p.extend([0, 0, 0, 1]);
    p.extend((65_000 + n).to_be_bytes());
    p.extend([0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0]);
    p
}

fn suites_of_peer() -> Vec<String> {
    let mut peer = Peer::start("interop/srtp/peer.py", &["--suites"]);
    let mut suites = Vec::new();
    loop {
        let line = peer.line();
        if line.is_empty() {
            break;
        }
        suites.push(line);
    }
    suites
}

#[test]
#[ignore = "needs interop/.venv with pylibsrtp (interop/install.sh peers)"]
fn srtp_with_libsrtp_both_ways() {
    let theirs = suites_of_peer();
    let mut rng = SeededRandom::new(3711);
    let mut tested = Vec::new();
    for profile in Profile::ALL {
        let name = profile.suite().to_string();
        if !theirs.contains(&name) {
            continue;
        }
        let mut key = vec![0; profile.master_key_len()];
        let mut salt = vec![0; profile.master_salt_len()];
        rng.fill(&mut key);
        rng.fill(&mut salt);
        let master = MasterKey::new(profile, &key, &salt).unwrap();
        let inline = format!("inline:{}", master.to_inline_key().unwrap().key_salt);
        let mut peer = Peer::start(
            "interop/srtp/peer.py",
            &["--suite", &name, "--key", &inline],
        );
        let mut ours_tx = SrtpContext::new(profile, vec![master.clone()]).unwrap();
        let mut ours_rx = SrtpContext::new(profile, vec![master]).unwrap();
        // Sequence numbers cross 65535 → 0, so both sides roll their ROC over.
        for (n, seq) in (65_500u16..=65_535).chain(0..40).enumerate() {
            let plain = rtp(seq, 0xdead_beef, 20 + n % 200);
            // Ours → libsrtp.
            let mut packet = plain.clone();
            ours_tx.protect_rtp(&mut packet).unwrap();
            assert_eq!(
                peer.ask("unprotect", &packet),
                Ok(plain.clone()),
                "{name} seq {seq}"
            );
            // libsrtp → ours (another SSRC, so the two directions stay apart).
            let plain = rtp(seq, 0x0bad_cafe, 20 + n % 200);
            let mut packet = peer.ask("protect", &plain).unwrap();
            ours_rx.unprotect_rtp(&mut packet).unwrap();
            assert_eq!(packet, plain, "{name} seq {seq}");
        }
        for n in 0..10 {
            let plain = rtcp_rr(0xdead_beef, n);
            let mut packet = plain.clone();
            ours_tx.protect_rtcp(&mut packet).unwrap();
            assert_eq!(
                peer.ask("unprotect-rtcp", &packet),
                Ok(plain),
                "{name} RTCP {n}"
            );
            let plain = rtcp_rr(0x0bad_cafe, n);
            let mut packet = peer.ask("protect-rtcp", &plain).unwrap();
            ours_rx.unprotect_rtcp(&mut packet).unwrap();
            assert_eq!(packet, plain, "{name} RTCP {n}");
        }
        // A tampered packet of ours is refused there too.
        let mut packet = rtp(100, 0xdead_beef, 160);
        ours_tx.protect_rtp(&mut packet).unwrap();
        packet[20] ^= 1;
        assert!(peer.ask("unprotect", &packet).is_err(), "{name}");
        tested.push(name);
    }
    eprintln!("SRTP interop with libsrtp: {tested:?}");
    assert_eq!(tested.len(), 4, "suites of pylibsrtp: {theirs:?}");
}

/// Our description for aioice: credentials and candidates as SDP attribute lines.
fn describe(agent: &IceAgent<SeededRandom>) -> Vec<String> {
    let (ufrag, pwd) = agent.local_credentials();
    let mut lines = vec![format!("a=ice-ufrag:{ufrag}"), format!("a=ice-pwd:{pwd}")];
    lines.extend(
        agent
            .local_candidates()
            .iter()
            .map(|c| format!("a=candidate:{}", c.to_sdp())),
    );
    lines.push("a=end-of-candidates".to_owned());
    lines.push(".".to_owned());
    lines
}

/// Connects our agent, in `role`, to aioice in the other role; sends `pings` datagrams and
/// expects them echoed, answering aioice's consent checks meanwhile.
fn ice_with_aioice(role: Role, seed: u64) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(10)))
        .unwrap();
    let local = socket.local_addr().unwrap();
    let their_role = match role {
        Role::Controlling => "controlled",
        Role::Controlled => "controlling",
    };
    #[allow(clippy::disallowed_methods)]
    let t0 = Instant::now();
    let mut agent = IceAgent::new(t0, SeededRandom::new(seed), IceConfig::new(role, 1));
    agent.add_host(1, local).unwrap();
    agent.gather(t0);
    let echo = if role == Role::Controlling {
        vec!["--echo", "6"]
    } else {
        vec!["--send", "5"]
    };
    let mut args = vec!["--role", their_role];
    args.extend(echo);
    let mut peer = Peer::start("interop/ice/peer.py", &args);
    // Their description first, then ours.
    let mut ufrag = String::new();
    let mut pwd = String::new();
    let mut candidates = Vec::new();
    loop {
        let line = peer.line();
        if line == "." || line.is_empty() {
            break;
        }
        let line = line.trim_start_matches("a=");
        if let Some(v) = line.strip_prefix("ice-ufrag:") {
            ufrag = v.to_owned();
        } else if let Some(v) = line.strip_prefix("ice-pwd:") {
            pwd = v.to_owned();
        } else if let Some(v) = line.strip_prefix("candidate:") {
            let c: SdpCandidate = v.parse().unwrap();
            if let Ok(c) = Candidate::from_sdp(&c) {
                candidates.push(c);
            }
        }
    }
    for line in describe(&agent) {
        peer.send(&line);
    }
    #[allow(clippy::disallowed_methods)]
    let now = Instant::now();
    agent
        .set_remote(now, &ufrag, &pwd, false, candidates)
        .unwrap();

    let mut buf = [0u8; 1500];
    let mut events = Vec::new();
    let mut echoes = 0;
    let mut sent = 0;
    let deadline = t0 + Duration::from_secs(20);
    loop {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        assert!(now < deadline, "no ICE with aioice: {events:#?}");
        if agent.poll_timeout().is_some_and(|t| t <= now) {
            agent.handle_timeout(now);
        }
        while let Some(t) = agent.poll_transmit() {
            socket.send_to(&t.payload, t.to).unwrap();
        }
        while let Some(e) = agent.poll_event() {
            events.push(e);
        }
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            if !agent.handle_packet(now, local, from, &buf[..n]) {
                // Media: aioice's pings (echo them) or its echoes of ours.
                let data = &buf[..n];
                if let Some(ping) = data.strip_prefix(b"echo:") {
                    assert!(ping.starts_with(b"ping "), "{data:?}");
                    echoes += 1;
                } else {
                    let mut answer = b"echo:".to_vec();
                    answer.extend_from_slice(data);
                    socket.send_to(&answer, from).unwrap();
                    echoes += 1;
                }
            }
        }
        if agent.state() == IceState::Completed {
            let (_, remote) = agent.selected(1).unwrap();
            let to: SocketAddr = remote.address;
            if role == Role::Controlling && sent < 5 {
                socket
                    .send_to(format!("ping {sent}").as_bytes(), to)
                    .unwrap();
                sent += 1;
            }
            if echoes >= 5 {
                break;
            }
        }
    }
    assert!(events
        .iter()
        .any(|e| matches!(e, IceEvent::Completed { .. })));
    // Read only now: blocking on the peer while it still needs our answers would stall both.
    let line = peer.line();
    let (local_seen, remote_seen) = agent.selected(1).map(|(l, r)| (l.base, r.address)).unwrap();
    // aioice names the same pair, from its side.
    assert_eq!(
        line,
        format!("connected {remote_seen} {local_seen}"),
        "{events:#?}"
    );
    if role == Role::Controlled {
        assert_eq!(peer.line(), "done", "aioice's pings all came back");
    }
}

#[test]
#[ignore = "needs interop/.venv with aioice (interop/install.sh peers)"]
fn ice_with_aioice_controlling() {
    ice_with_aioice(Role::Controlling, 1);
}

#[test]
#[ignore = "needs interop/.venv with aioice (interop/install.sh peers)"]
fn ice_with_aioice_controlled() {
    ice_with_aioice(Role::Controlled, 2);
}
