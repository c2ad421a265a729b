//! Replays every fuzz target over its corpus (`fuzz/corpus/<target>/`, minimized and committed)
//! and over the vectors it was seeded from, on stable Rust without libFuzzer. A crash a fuzzer
//! once found stays fixed once its input is in the corpus.

use std::path::Path;

use sipsimple_proto::fuzz;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn replay(target: &str, seeds: &[&str], run: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut n = 0;
    let mut dirs = vec![
        root.join("fuzz/corpus").join(target),
        root.join("fuzz/regressions").join(target),
    ];
    dirs.extend(seeds.iter().map(|s| root.join("vectors").join(s)));
    for dir in dirs {
        for f in files(&dir) {
            // A running fuzzer may replace files under the corpus as we read it.
            let Ok(data) = std::fs::read(&f) else {
                continue;
            };
            let result = std::panic::catch_unwind(|| run(&data));
            assert!(result.is_ok(), "{target} fails on {}", f.display());
            n += 1;
        }
    }
    n
}

#[test]
fn sip_message_corpus() {
    assert!(
        replay(
            "sip_message",
            &["sip", "bench", "mwi", "presence"],
            fuzz::sip_message
        ) > 250
    );
}

#[test]
fn sip_framer_corpus() {
    assert!(replay("sip_framer", &["sip", "bench"], fuzz::sip_framer) > 250);
}

#[test]
fn sdp_corpus() {
    assert!(replay("sdp", &["sdp"], fuzz::sdp) > 5);
}

#[test]
fn conference_info_corpus() {
    // The presence vectors hold the RFC 4575 documents and, for the error paths, other XML.
    assert!(replay("conference_info", &["presence"], fuzz::conference_info) > 30);
}

#[test]
fn endpoint_corpus() {
    // The SIP vectors double as datagram operations for the stateful target.
    fn run(data: &[u8]) {
        // One real instant as the origin of the target's virtual time.
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        fuzz::endpoint(t0, data);
    }
    assert!(replay("endpoint", &["sip", "bench"], run) > 250);
}

#[test]
fn dns_lookup_corpus() {
    fn run(data: &[u8]) {
        // One real instant as the origin of the target's virtual time.
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        fuzz::dns_lookup(t0, data);
    }
    assert!(replay("dns_lookup", &[], run) >= 4);
}

#[test]
fn stun_corpus() {
    fn run(data: &[u8]) {
        // One real instant as the origin of the target's virtual time.
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        fuzz::stun(t0, data);
    }
    assert!(replay("stun", &["stun"], run) >= 5);
}

#[test]
fn srtp_unprotect_corpus() {
    // The SRTP vector files double as arbitrary bytes.
    assert!(replay("srtp_unprotect", &["srtp"], fuzz::srtp_unprotect) >= 10);
}

#[test]
fn rtp_corpus() {
    fn run(data: &[u8]) {
        // One real instant as the origin of the target's virtual time.
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        fuzz::rtp(t0, data);
    }
    assert!(replay("rtp", &[], run) >= 5);
}

#[test]
fn rtcp_corpus() {
    assert!(replay("rtcp", &[], fuzz::rtcp) >= 5);
}

#[test]
fn ice_agent_corpus() {
    fn run(data: &[u8]) {
        // One real instant as the origin of the target's virtual time.
        #[allow(clippy::disallowed_methods)]
        let t0 = std::time::Instant::now();
        fuzz::ice_agent(t0, data);
    }
    assert!(replay("ice_agent", &["stun"], run) >= 6);
}
