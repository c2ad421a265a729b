//! `sipsimple call [URI]`: place a call, or answer them, and print what happens.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use sipsimple::session::{MediaStream, SignalingStream};
use sipsimple::Session;

use super::common::{fail, Place, Running, FAILED};

/// Options of `sipsimple call`.
#[derive(Debug, Args)]
pub(crate) struct CallArgs {
    /// Whom to call: a SIP URI or user@domain. Without it, wait for calls (with
    /// --auto-answer).
    to: Option<String>,
    /// The account to call from or answer on (default: the default account).
    #[arg(long)]
    account: Option<String>,
    /// Answer incoming calls at once.
    #[arg(long)]
    auto_answer: bool,
    /// Hang up after this many seconds of conversation.
    #[arg(long, value_name = "SECONDS")]
    duration: Option<u64>,
    /// Print every notification, not only the session's.
    #[arg(long, short)]
    verbose: bool,
}

/// A line typed on standard input.
enum Command {
    Hangup,
    Hold,
    Unhold,
    /// `transfer URI`: a blind transfer of the peer to URI.
    Transfer(String),
    /// `dtmf D`: send the digit D in the call's media.
    Dtmf(char),
    Closed,
}

pub(crate) fn run(args: &CallArgs, place: &Place) -> ExitCode {
    if args.to.is_none() && !args.auto_answer {
        return fail(
            super::common::USAGE,
            "give a URI to call, or --auto-answer to wait for calls",
        );
    }
    let (running, account) =
        match Running::start_with_account(place, args.verbose, args.account.as_deref()) {
            Ok(started) => started,
            Err(status) => return status,
        };
    let commands = stdin_commands();
    let outcome = match &args.to {
        Some(to) => place_call(&running, &account, to, args.duration, &commands),
        None => answer_calls(&running, args.duration, &commands),
    };
    running.stop();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(FAILED, e),
    }
}

/// Reads `hangup` (or the end of input) from standard input on a thread of its own.
fn stdin_commands() -> async_channel::Receiver<Command> {
    let (tx, rx) = async_channel::bounded(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else {
                break;
            };
            match line.trim() {
                "hangup" | "bye" => {
                    let _ = tx.send_blocking(Command::Hangup);
                }
                "hold" => {
                    let _ = tx.send_blocking(Command::Hold);
                }
                "unhold" => {
                    let _ = tx.send_blocking(Command::Unhold);
                }
                "" => {}
                other => match other.split_once(char::is_whitespace) {
                    Some(("transfer", uri)) if !uri.trim().is_empty() => {
                        let _ = tx.send_blocking(Command::Transfer(sip_uri(uri.trim())));
                    }
                    Some(("dtmf", digits)) if is_dtmf(digits.trim()) => {
                        for digit in digits.trim().chars() {
                            let _ = tx.send_blocking(Command::Dtmf(digit));
                        }
                    }
                    _ => eprintln!(
                        "sipsimple: unknown command {other:?}; try `hold`, `unhold`, \
                         `dtmf DIGITS`, `transfer URI` or `hangup`"
                    ),
                },
            }
        }
        let _ = tx.send_blocking(Command::Closed);
    });
    rx
}

/// DTMF digits: `0`–`9`, `*`, `#`, `A`–`D`, at least one.
fn is_dtmf(digits: &str) -> bool {
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
}

/// `to` as a SIP URI: `user@domain` gets the `sip:` scheme.
fn sip_uri(to: &str) -> String {
    if to.contains(':') || to.contains('<') {
        to.to_owned()
    } else {
        format!("sip:{to}")
    }
}

/// A stream for a call: until the audio engine exists, calls negotiate audio but carry
/// none.
fn streams() -> Vec<Arc<dyn MediaStream>> {
    vec![Arc::new(SignalingStream::audio(50_000))]
}

fn place_call(
    running: &Running,
    account: &sipsimple::Account,
    to: &str,
    duration: Option<u64>,
    commands: &async_channel::Receiver<Command>,
) -> Result<(), String> {
    let to = sip_uri(to);
    let session = Session::new(account);
    session.connect(&to, streams()).map_err(|e| e.to_string())?;
    // Ringing may last: wait as long as it takes, unless the user hangs up. Other commands
    // typed meanwhile wait for the call.
    let mut early = Vec::new();
    loop {
        match commands.try_recv() {
            Ok(Command::Hangup | Command::Closed) => {
                let _ = session.end();
            }
            Ok(other) => early.push(other),
            Err(_) => {}
        }
        let Some(n) = running.next(Duration::from_millis(200)) else {
            continue;
        };
        if n.sender != session.sender_id() {
            continue;
        }
        print_session_event(running, &n);
        match &*n.name {
            "SIPSessionDidStart" => break,
            "SIPSessionDidFail" => {
                return Err(format!(
                    "the call failed: {} {}",
                    n.get_u64("code").unwrap_or(0),
                    n.get_str("reason").unwrap_or_default()
                ))
            }
            _ => {}
        }
    }
    converse(running, &session, duration, commands, early);
    Ok(())
}

fn answer_calls(
    running: &Running,
    duration: Option<u64>,
    commands: &async_channel::Receiver<Command>,
) -> Result<(), String> {
    println!(
        "waiting for calls; during one type `hold`, `unhold`, `dtmf DIGITS`, `transfer URI` or `hangup`; close standard input to stop"
    );
    loop {
        if let Ok(Command::Closed) = commands.try_recv() {
            return Ok(());
        }
        let Some(n) = running.next(Duration::from_millis(200)) else {
            continue;
        };
        if &*n.name != "SIPSessionNewIncoming" {
            continue;
        }
        print_session_event(running, &n);
        let Some(session) = n
            .get_u64("session")
            .and_then(|id| running.app.session_manager().get(id))
        else {
            continue;
        };
        let proposed = session.proposed_streams();
        let offered = if proposed.is_empty() {
            streams()
        } else {
            proposed
        };
        session.accept(offered).map_err(|e| e.to_string())?;
        let started = loop {
            let Some(n) = running.next(Duration::from_secs(60)) else {
                break false;
            };
            if n.sender != session.sender_id() {
                continue;
            }
            print_session_event(running, &n);
            match &*n.name {
                "SIPSessionDidStart" => break true,
                "SIPSessionDidFail" => break false,
                _ => {}
            }
        };
        if started && converse(running, &session, duration, commands, Vec::new()) {
            return Ok(());
        }
    }
}

/// The call is up: until it ends, the duration passes or the user hangs up. Returns `true`
/// when standard input closed meanwhile, so that the caller stops too. A transfer the peer
/// asks for is accepted, and the conversation goes on in the session it makes. `early` holds
/// the commands typed before the call started; they run first.
fn converse(
    running: &Running,
    session: &Session,
    duration: Option<u64>,
    commands: &async_channel::Receiver<Command>,
    early: Vec<Command>,
) -> bool {
    let until = duration.map(|s| Instant::now() + Duration::from_secs(s));
    let mut early = early.into_iter();
    let mut session = session.clone();
    let mut hung_up = false;
    let mut closed = false;
    loop {
        let command = early.next().or_else(|| commands.try_recv().ok());
        closed |= matches!(command, Some(Command::Closed));
        match &command {
            Some(Command::Transfer(uri)) => {
                if let Err(e) = session.transfer(uri, None) {
                    eprintln!("sipsimple: cannot transfer: {e}");
                }
            }
            Some(Command::Dtmf(digit)) => {
                // The first stream that carries DTMF sends it (the audio stream).
                let mut refusals = Vec::new();
                let sent = session.streams().iter().any(|s| match s.send_dtmf(*digit) {
                    Ok(()) => true,
                    Err(why) => {
                        refusals.push(why);
                        false
                    }
                });
                if !sent {
                    eprintln!(
                        "sipsimple: cannot send DTMF {digit}: {}",
                        refusals.join("; ")
                    );
                }
            }
            Some(Command::Hold) => {
                if let Err(e) = session.hold() {
                    eprintln!("sipsimple: cannot hold: {e}");
                }
            }
            Some(Command::Unhold) => {
                if let Err(e) = session.unhold() {
                    eprintln!("sipsimple: cannot unhold: {e}");
                }
            }
            _ => {}
        }
        let hang_up = matches!(command, Some(Command::Hangup | Command::Closed))
            || until.is_some_and(|t| Instant::now() >= t);
        if hang_up && !hung_up {
            hung_up = true;
            let _ = session.end();
        }
        let Some(n) = running.next(Duration::from_millis(200)) else {
            // Its end was missed while following another session.
            if session.state() == sipsimple::session::SessionState::Terminated {
                return closed;
            }
            continue;
        };
        if n.sender != session.sender_id() {
            continue;
        }
        print_session_event(running, &n);
        match &*n.name {
            "SIPSessionTransferNewIncoming" => {
                if let Err(e) = session.accept_transfer() {
                    eprintln!("sipsimple: cannot accept the transfer: {e}");
                }
            }
            "SIPSessionDidEnd" | "SIPSessionDidFail" => {
                // Transferred: carry on with the call the transfer made.
                let next = session
                    .transfer_handler()
                    .filter(|h| h.direction == sipsimple::session::Direction::Incoming)
                    .filter(|h| h.state != sipsimple::session::TransferState::Failed)
                    .and_then(|h| h.new_session)
                    .filter(|s| s.state() != sipsimple::session::SessionState::Terminated);
                match next {
                    Some(next) if !hung_up => {
                        println!("transferred: session {} goes on", next.id());
                        session = next;
                    }
                    _ => return closed,
                }
            }
            _ => {}
        }
    }
}

fn print_session_event(running: &Running, n: &sipsimple::notification::Notification) {
    if running.verbose() {
        // Already printed as it came.
        return;
    }
    let detail = match &*n.name {
        "SIPSessionNewIncoming" | "SIPSessionNewOutgoing" | "SIPSessionDidStart" => n
            .get("streams")
            .map(|s| format!("streams {s}"))
            .unwrap_or_default(),
        "SIPSessionGotProvisionalResponse" | "SIPSessionDidFail" => format!(
            "{} {}",
            n.get_u64("code").unwrap_or(0),
            n.get_str("reason").unwrap_or_default()
        ),
        "SIPSessionDidChangeHoldState" => format!(
            "{} by {}",
            if n.get("on_hold") == Some(&serde_json::Value::Bool(true)) {
                "on hold"
            } else {
                "off hold"
            },
            n.get_str("originator").unwrap_or("?")
        ),
        "SIPSessionTransferNewIncoming" | "SIPSessionTransferNewOutgoing" => format!(
            "to {} from {}",
            n.get_str("transfer_destination").unwrap_or("?"),
            n.get_str("transfer_source").unwrap_or("?")
        ),
        "SIPSessionTransferGotProgress" | "SIPSessionTransferDidFail" => format!(
            "{} {}",
            n.get_u64("code").unwrap_or(0),
            n.get_str("reason").unwrap_or_default()
        ),
        "SIPSessionDidProcessTransaction" => format!(
            "{} {} {} ({})",
            n.get_str("method").unwrap_or("?"),
            n.get_u64("code").unwrap_or(0),
            n.get_str("reason").unwrap_or_default(),
            n.get_str("originator").unwrap_or("?")
        ),
        "SIPSessionDidEnd" => format!(
            "by {} ({})",
            n.get_str("originator").unwrap_or("?"),
            n.get_str("end_reason").unwrap_or_default()
        ),
        _ => String::new(),
    };
    println!("{} {detail}", n.name);
}
