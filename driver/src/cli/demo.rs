//! `sipsimple demo`: two applications on loopback, with accounts in memory, exercise the SDK
//! against each other and print what happens. No server and no configuration are needed.
//!
//! Today the demo sends an instant message, places a call with a signalling-only audio
//! stream, holds and unholds it, and hangs up. Audio with SRTP and ICE, DTMF, chat, file
//! transfer and presence join as the SDK gains them.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Map, Value};
use sipsimple::configuration::{AccountId, AccountSettings};
use sipsimple::notification::{Notification, Observer};
use sipsimple::proto::endpoint::TransportKind;
use sipsimple::session::{MediaStream, SignalingStream};
use sipsimple::storage::{Document, MemoryStorage};
use sipsimple::{Account, Session, SipApplication, StartOptions};

use super::common::{fail, FAILED};

/// How long one step may take.
const STEP: Duration = Duration::from_secs(10);

/// Options of `sipsimple demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Print every notification, the transactions included.
    #[arg(long, short)]
    verbose: bool,
}

/// One of the two parties: an application with one account.
struct Party {
    name: &'static str,
    app: SipApplication,
    events: Observer,
    account: Account,
}

/// What the demo prints and checks.
struct Demo {
    started: Instant,
    verbose: bool,
    steps: Vec<(String, bool)>,
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
    )
}

fn party(name: &'static str) -> Result<Party, String> {
    let app = SipApplication::new();
    let events = app.notification_center().observe(None, None);
    let Value::Object(root) = json!({"SIPSimpleSettings": {"sip": {"transport_list": ["udp"]}}})
    else {
        unreachable!("json! of an object is an object")
    };
    let storage = MemoryStorage::with_document(Document::from_map(root));
    app.start_with(storage, StartOptions::loopback())
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    events
        .wait_for("SIPApplicationDidStart", STEP)
        .map_err(|_| format!("{name}: the application did not start"))?;
    let id = AccountId::new(format!("{name}@example.com")).map_err(|e| e.to_string())?;
    let mut settings = AccountSettings::new(id);
    settings.enabled = true;
    settings.display_name = Some(capitalized(name));
    settings.sip.register = false;
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
    let parties = party("alice").and_then(|a| party("bob").map(|b| (a, b)));
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
    };
    run_steps(&mut demo, &alice, &bob);
    alice.app.stop_and_wait();
    bob.app.stop_and_wait();
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
    println!("  (audio with SRTP and ICE, DTMF, chat, file transfer and presence are not part of the demo yet)");
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

    // A call.
    let alice_stream: Arc<dyn MediaStream> = Arc::new(SignalingStream::audio(40_000));
    let outgoing = Session::new(&alice.account);
    if outgoing
        .connect("\"Bob\" <sip:bob@example.com>", vec![alice_stream])
        .is_err()
    {
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
    let bob_stream: Arc<dyn MediaStream> = Arc::new(SignalingStream::audio(40_002));
    let answered = incoming.accept(vec![bob_stream]).is_ok();
    let started = answered
        && demo.wait_for(bob, "SIPSessionDidStart").is_some()
        && demo.wait_for(alice, "SIPSessionDidStart").is_some();
    if !demo.step("Alice calls Bob, Bob answers", started) {
        let _ = outgoing.end();
        return;
    }

    // Hold and unhold.
    let held = outgoing.hold().is_ok()
        && demo
            .wait_for(alice, "SIPSessionDidChangeHoldState")
            .is_some()
        && demo.wait_for(bob, "SIPSessionDidChangeHoldState").is_some()
        && incoming.on_hold();
    demo.step("Alice puts the call on hold", held);
    let resumed = outgoing.unhold().is_ok()
        && demo
            .wait_for(alice, "SIPSessionDidChangeHoldState")
            .is_some()
        && demo.wait_for(bob, "SIPSessionDidChangeHoldState").is_some()
        && !incoming.on_hold();
    demo.step("Alice takes it off hold", resumed);

    // Hang up.
    let ended = outgoing.end().is_ok()
        && demo.wait_for(alice, "SIPSessionDidEnd").is_some()
        && demo.wait_for(bob, "SIPSessionDidEnd").is_some();
    demo.step("Alice hangs up", ended);
}
