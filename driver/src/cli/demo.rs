//! `sipsimple demo`: two applications on loopback, with accounts in memory, exercise the SDK
//! against each other and print what happens. No server and no configuration are needed.
//!
//! Today the demo sends an instant message, then places an audio call with SRTP and ICE in
//! which each side's microphone is a generated WAV of a sine at its own frequency and its
//! speaker a WAV file; it sends DTMF both ways, holds and unholds, and hangs up. At the end
//! it measures the tones in what each side heard (Goertzel): the peer's tone while talking
//! and after unhold, silence on hold, never its own. Chat, file transfer and presence join
//! as the SDK gains them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Map, Value};
use sipsimple::audio::AudioBackend;
use sipsimple::configuration::SrtpEncryption;
use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::{Notification, Observer};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{AudioStream, AudioStreamFactory, MediaStream};
use sipsimple::storage::{Document, MemoryStorage};
use sipsimple::{Account, Session, SipApplication, StartOptions};
use sipsimple_audio::goertzel::tone_level;
use sipsimple_audio::wave::{read_mono, write_tone};

use super::common::{fail, FAILED};

/// How long one step may take.
const STEP: Duration = Duration::from_secs(10);
/// The rate the audio engines run at.
const RATE: u32 = 16_000;
/// Alice's and Bob's microphone tones, in Hz, and their level.
const ALICE_HZ: f64 = 440.0;
const BOB_HZ: f64 = 1_000.0;
const TONE_DBFS: f64 = -10.0;
/// How long each phase of the call lasts.
const PHASE: Duration = Duration::from_millis(1500);

/// Options of `sipsimple demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Print every notification, the transactions included.
    #[arg(long, short)]
    verbose: bool,
}

/// One of the two parties: an application with one account, whose microphone is a WAV
/// file of a sine at `tone` Hz and whose speaker is the WAV file `heard`.
struct Party {
    name: &'static str,
    app: SipApplication,
    events: Observer,
    account: Account,
    tone: f64,
    heard: PathBuf,
    /// When the speaker file started, near enough to cut it into the demo's phases.
    started: Instant,
}

/// What the demo prints and checks.
struct Demo {
    started: Instant,
    verbose: bool,
    steps: Vec<(String, bool)>,
    /// Lines of the summary beside the steps: codec, SRTP, ICE, digits, tones.
    facts: Vec<String>,
    phases: Phases,
}

/// When the call's phases began, from Alice's start: what the tone check cuts the speaker
/// files at.
#[derive(Default)]
struct Phases {
    talk: Option<Duration>,
    hold: Option<Duration>,
    unhold: Option<Duration>,
}

impl Demo {
    /// Drains `party`'s notifications, printing them, until `name` comes (returned) or the
    /// step's time runs out.
    fn wait_for(&mut self, party: &Party, name: &str) -> Option<Notification> {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let n = party.events.recv_timeout(left).ok()?;
            self.print(party.name, &n);
            if &*n.name == name {
                return Some(n);
            }
        }
    }

    fn print(&self, who: &str, n: &Notification) {
        let quiet = matches!(
            &*n.name,
            "SIPSessionDidProcessTransaction" | "CFGSettingsObjectDidChange"
        );
        if quiet && !self.verbose {
            return;
        }
        let data: Map<String, Value> = n
            .data
            .iter()
            .filter(|(k, v)| !v.is_null() && (self.verbose || shown(k)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let ms = self.started.elapsed().as_millis();
        if data.is_empty() {
            println!("{ms:>6} ms  {who:<5} {}", n.name);
        } else {
            println!("{ms:>6} ms  {who:<5} {} {}", n.name, Value::Object(data));
        }
    }

    fn step(&mut self, what: &str, ok: bool) -> bool {
        println!(
            "{:>6} ms  ----- {what}: {}",
            self.started.elapsed().as_millis(),
            if ok { "ok" } else { "FAILED" }
        );
        self.steps.push((what.to_owned(), ok));
        ok
    }
}

/// The data fields worth a line; the rest shows with --verbose.
fn shown(key: &str) -> bool {
    matches!(
        key,
        "originator"
            | "code"
            | "reason"
            | "failure_reason"
            | "streams"
            | "on_hold"
            | "partial"
            | "body"
            | "from_header"
            | "type"
            | "end_reason"
            | "digit"
            | "filename"
            | "state"
            | "chosen_local_candidates"
            | "chosen_remote_candidates"
    )
}

fn party(name: &'static str, tone: f64, dir: &Path) -> Result<Party, String> {
    let microphone = dir.join(format!("{name}-microphone.wav"));
    let heard = dir.join(format!("{name}-heard.wav"));
    write_tone(&microphone, tone, TONE_DBFS, RATE, Duration::from_secs(1))
        .map_err(|e| format!("{name}: {e}"))?;
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let Value::Object(root) = json!({"SIPSimpleSettings": {
        "sip": {"transport_list": ["udp"]},
        "audio": {"sample_rate": RATE},
    }}) else {
        unreachable!("json! of an object is an object")
    };
    let storage = MemoryStorage::with_document(Document::from_map(root));
    let mut options = StartOptions::loopback();
    options.audio = AudioBackend::WavFiles {
        input: Some(microphone),
        output: Some(heard.clone()),
    };
    let started = Instant::now();
    app.start_with(storage, options)
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    events
        .wait_for("SIPApplicationDidStart", STEP)
        .map_err(|_| format!("{name}: the application did not start"))?;
    app.media_stream_registry()
        .register(Arc::new(AudioStreamFactory::new(&app)));
    let id = AccountId::new(format!("{name}@example.com")).map_err(|e| e.to_string())?;
    let mut settings = AccountSettings::new(id);
    settings.enabled = true;
    settings.display_name = Some(capitalized(name));
    settings.sip.register = false;
    settings.rtp.srtp_encryption = SrtpEncryption::Mandatory;
    // The demo signals over UDP on loopback; a real deployment would use TLS for the keys.
    settings.rtp.use_srtp_without_tls = true;
    settings.nat_traversal.use_ice = true;
    // Loopback needs no STUN server, and the demo must not look one up in DNS.
    settings.nat_traversal.stun_server_list = Some(Vec::new());
    let manager = app.account_manager();
    manager.add_account(settings).map_err(|e| e.to_string())?;
    let account = manager
        .get_account(&format!("{name}@example.com"))
        .ok_or_else(|| format!("{name}: the account is missing"))?;
    Ok(Party {
        name,
        app,
        events,
        account,
        tone,
        heard,
        started,
    })
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Sends everything `from`'s account sends to `to`'s application.
fn route(from: &Party, to: &Party) -> Result<(), String> {
    let address = to
        .app
        .local_address(TransportKind::Udp)
        .ok_or("no UDP address")?;
    let mut settings = from.account.settings().ok_or("the account is gone")?;
    settings.sip.outbound_proxy = Some(format!("sip:{address}"));
    from.account.save(&settings).map_err(|e| e.to_string())
}

pub(crate) fn run(args: &DemoArgs) -> ExitCode {
    println!("sipsimple demo: Alice and Bob, two applications on 127.0.0.1, no server.");
    let dir = std::env::temp_dir().join(format!("sipsimple-demo-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(FAILED, format!("{}: {e}", dir.display()));
    }
    let status = run_in(args, &dir);
    // The sounds were only for the demo's own checks.
    let _ = std::fs::remove_dir_all(&dir);
    status
}

fn run_in(args: &DemoArgs, dir: &Path) -> ExitCode {
    let parties =
        party("alice", ALICE_HZ, dir).and_then(|a| party("bob", BOB_HZ, dir).map(|b| (a, b)));
    let (alice, bob) = match parties {
        Ok(p) => p,
        Err(e) => return fail(FAILED, e),
    };
    if let Err(e) = route(&alice, &bob).and_then(|()| route(&bob, &alice)) {
        return fail(FAILED, e);
    }
    let mut demo = Demo {
        started: Instant::now(),
        verbose: args.verbose,
        steps: Vec::new(),
        facts: Vec::new(),
        phases: Phases::default(),
    };
    run_steps(&mut demo, &alice, &bob);
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
    check_tones(&mut demo, &alice, &bob);
    let failed: Vec<&str> = demo
        .steps
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(s, _)| s.as_str())
        .collect();
    println!();
    println!("summary:");
    for (what, ok) in &demo.steps {
        println!("  {:<8} {what}", if *ok { "ok" } else { "FAILED" });
    }
    for fact in &demo.facts {
        println!("  {fact}");
    }
    println!("  (chat, file transfer and presence are not part of the demo yet)");
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        fail(FAILED, format!("failed: {}", failed.join(", ")))
    }
}

fn run_steps(demo: &mut Demo, alice: &Party, bob: &Party) {
    // An instant message.
    let text = "Hello Bob, this is the sipsimple demo.";
    let sent = smol::block_on(alice.account.send_message(
        "sip:bob@example.com",
        "text/plain",
        text.as_bytes().to_vec(),
    ));
    let got = demo.wait_for(bob, "SIPEngineGotMessage");
    let delivered = sent.is_ok() && got.is_some_and(|n| n.get_str("body") == Some(text));
    demo.step("MESSAGE from Alice to Bob", delivered);

    // An audio call with SRTP and ICE.
    let alice_stream = match AudioStream::new(&alice.app) {
        Ok(s) => s,
        Err(e) => {
            demo.step(&format!("Alice's audio stream ({e})"), false);
            return;
        }
    };
    let outgoing = Session::new(&alice.account);
    let placed = outgoing.connect(
        "\"Bob\" <sip:bob@example.com>",
        vec![Arc::clone(&alice_stream) as Arc<dyn MediaStream>],
    );
    if placed.is_err() {
        demo.step("Alice calls Bob", false);
        return;
    }
    let incoming = demo
        .wait_for(bob, "SIPSessionNewIncoming")
        .and_then(|n| n.get_u64("session"))
        .and_then(|id| bob.app.session_manager().get(id));
    let Some(incoming) = incoming else {
        demo.step("Bob sees the call", false);
        return;
    };
    let answered = incoming.accept(incoming.proposed_streams()).is_ok();
    let started = answered
        && demo.wait_for(bob, "SIPSessionDidStart").is_some()
        && demo.wait_for(alice, "SIPSessionDidStart").is_some();
    if !demo.step("Alice calls Bob, Bob answers", started) {
        let _ = outgoing.end();
        return;
    }
    let ice = demo
        .wait_for(alice, "AudioStreamICENegotiationDidSucceed")
        .is_some();
    demo.phases.talk = Some(alice.started.elapsed());
    let secure = alice_stream.srtp_active() && alice_stream.ice_active();
    demo.step("the call's audio runs over SRTP and ICE", ice && secure);
    demo.facts.push(format!(
        "codec {} at {} Hz, SRTP {}, ICE {} ({} candidate to {} candidate, {}:{} -> {}:{})",
        alice_stream.codec().unwrap_or("none"),
        alice_stream.sample_rate().unwrap_or(0),
        if alice_stream.srtp_active() {
            "on"
        } else {
            "off"
        },
        if alice_stream.ice_active() {
            "on"
        } else {
            "off"
        },
        alice_stream.local_rtp_candidate_type().unwrap_or_default(),
        alice_stream.remote_rtp_candidate_type().unwrap_or_default(),
        show(alice_stream.local_rtp_address()),
        alice_stream.local_rtp_port().unwrap_or(0),
        show(alice_stream.remote_rtp_address_received()),
        alice_stream.remote_rtp_port_received().unwrap_or(0),
    ));
    std::thread::sleep(PHASE);

    // DTMF both ways.
    let bob_stream = incoming.streams().into_iter().next();
    let to_bob = send_digits(demo, alice_stream.as_ref(), bob, "123#");
    let to_alice = bob_stream.map_or(Err("Bob has no stream".to_owned()), |s| {
        send_digits(demo, s.as_ref(), alice, "9*")
    });
    demo.facts.push(format!(
        "DTMF received: Bob {}, Alice {}",
        digits_fact(&to_bob),
        digits_fact(&to_alice)
    ));
    demo.step(
        "DTMF 123# from Alice to Bob",
        to_bob.as_deref() == Ok("123#"),
    );
    demo.step("DTMF 9* from Bob to Alice", to_alice.as_deref() == Ok("9*"));

    // Hold and unhold.
    let held = outgoing.hold().is_ok()
        && demo
            .wait_for(alice, "SIPSessionDidChangeHoldState")
            .is_some()
        && demo.wait_for(bob, "SIPSessionDidChangeHoldState").is_some()
        && incoming.on_hold();
    demo.phases.hold = Some(alice.started.elapsed());
    demo.step("Alice puts the call on hold", held);
    std::thread::sleep(PHASE);
    let resumed = outgoing.unhold().is_ok()
        && demo
            .wait_for(alice, "SIPSessionDidChangeHoldState")
            .is_some()
        && demo.wait_for(bob, "SIPSessionDidChangeHoldState").is_some()
        && !incoming.on_hold();
    demo.phases.unhold = Some(alice.started.elapsed());
    demo.step("Alice takes it off hold", resumed);
    std::thread::sleep(PHASE);

    // Hang up.
    let ended = outgoing.end().is_ok()
        && demo.wait_for(alice, "SIPSessionDidEnd").is_some()
        && demo.wait_for(bob, "SIPSessionDidEnd").is_some();
    demo.step("Alice hangs up", ended);
}

fn show(ip: Option<std::net::IpAddr>) -> String {
    ip.map_or_else(|| "?".to_owned(), |ip| ip.to_string())
}

fn digits_fact(got: &Result<String, String>) -> String {
    match got {
        Ok(d) => format!("\"{d}\""),
        Err(e) => format!("none ({e})"),
    }
}

/// Sends `digits` on `stream`, one `AudioStreamGotDTMF` awaited at `to` for each.
fn send_digits(
    demo: &mut Demo,
    stream: &dyn MediaStream,
    to: &Party,
    digits: &str,
) -> Result<String, String> {
    let mut got = String::new();
    for digit in digits.chars() {
        stream.send_dtmf(digit)?;
        let n = demo
            .wait_for(to, "AudioStreamGotDTMF")
            .ok_or_else(|| format!("no digit after {got:?}"))?;
        got.push_str(n.get_str("digit").unwrap_or("?"));
    }
    Ok(got)
}

/// Reads what each party heard and checks each phase: the peer's tone and not ours while
/// talking and after unhold, neither on hold.
fn check_tones(demo: &mut Demo, alice: &Party, bob: &Party) {
    let (Some(talk), Some(hold), Some(unhold)) =
        (demo.phases.talk, demo.phases.hold, demo.phases.unhold)
    else {
        return;
    };
    let margin = Duration::from_millis(400);
    let end = PHASE.saturating_sub(Duration::from_millis(100));
    for (party, peer) in [(alice, bob), (bob, alice)] {
        let (samples, rate) = match read_mono(&party.heard) {
            Ok(read) => read,
            Err(e) => {
                demo.step(&format!("{} heard something ({e})", party.name), false);
                continue;
            }
        };
        // Each party's speaker started with its own application, after Alice's.
        let shift = party.started.duration_since(alice.started);
        let window = |at: Duration| {
            let index = |d: Duration| {
                let d = d.saturating_sub(shift);
                ((d.as_secs_f64() * f64::from(rate)) as usize).min(samples.len())
            };
            &samples[index(at + margin)..index(at + end)]
        };
        let level = |w: &[i16], hz: f64| tone_level(w, rate, hz);
        let talking = window(talk);
        let (theirs, ours) = (level(talking, peer.tone), level(talking, party.tone));
        let resumed = level(window(unhold), peer.tone);
        let on_hold = level(window(hold), peer.tone).max(level(window(hold), party.tone));
        let name = capitalized(party.name);
        demo.facts.push(format!(
            "{name} heard {} Hz at {theirs:.1} dBFS (own {} Hz: {ours:.1}), {on_hold:.1} dBFS on hold, {resumed:.1} dBFS after unhold",
            peer.tone, party.tone
        ));
        demo.step(
            &format!(
                "{name} hears {}'s tone and not their own",
                capitalized(peer.name)
            ),
            theirs > TONE_DBFS - 6.0 && ours < theirs - 25.0,
        );
        demo.step(
            &format!("{name} hears silence on hold and the tone again after"),
            on_hold < -45.0 && resumed > TONE_DBFS - 6.0,
        );
    }
}
