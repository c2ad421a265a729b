//! `sipsimple call [URI]`: place a call, or answer them, and print what happens.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use sipsimple::audio::AudioBackend;
use sipsimple::media::RtpStatistics;
use sipsimple::notification::Notification;
use sipsimple::session::{downcast_stream, stream_sender, AudioStream, MediaStream};
use sipsimple::Session;

use super::common::{fail, AudioSetup, Place, Running, FAILED};

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
    /// Send this WAV file to the other side in place of the microphone, looped until the
    /// call ends; no sound card is used (what the other side sends is not played).
    #[arg(long, value_name = "FILE.wav", conflicts_with = "device")]
    play: Option<PathBuf>,
    /// Record both sides of the call to this WAV file, from the answer to the hang-up (each
    /// answered call in turn writes it anew).
    #[arg(long, value_name = "FILE.wav")]
    record: Option<PathBuf>,
    /// Use no sound card: silence is sent and what the other side sends is discarded.
    #[arg(long, conflicts_with = "device")]
    null_audio: bool,
    /// The sound card to capture from and play to in this run, instead of the
    /// audio.input_device and audio.output_device settings (which are left as they are);
    /// `sipsimple audio devices` lists the names.
    #[arg(long, value_name = "NAME")]
    device: Option<String>,
    /// Print every notification, not only the session's.
    #[arg(long, short)]
    verbose: bool,
}

/// The devices of a call: the options say which.
fn audio_setup(args: &CallArgs) -> AudioSetup {
    let backend = match (&args.play, args.null_audio) {
        // The file replaces the microphone rather than joining the stream's bridge as a
        // player: it then reaches every call, whichever way it was set up, and never the
        // local speaker, since the device's capture only goes to the streams. A player in
        // the stream's bridge would be mixed into the speaker too.
        (Some(file), _) => AudioBackend::WavFiles {
            input: Some(file.clone()),
            output: None,
        },
        (None, true) => AudioBackend::Null,
        (None, false) => AudioBackend::Settings,
    };
    AudioSetup {
        backend,
        device: args.device.clone(),
    }
}

/// What every call of the run does besides talking.
struct CallOptions<'a> {
    /// Hang up after this many seconds.
    duration: Option<u64>,
    /// Record each call to this file.
    record: Option<&'a Path>,
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
    let (running, account) = match Running::start_with_account_and_audio(
        place,
        args.verbose,
        args.account.as_deref(),
        &audio_setup(args),
    ) {
        Ok(started) => started,
        Err(status) => return status,
    };
    let commands = stdin_commands();
    let call = CallOptions {
        duration: args.duration,
        record: args.record.as_deref(),
    };
    let outcome = match &args.to {
        Some(to) => place_call(&running, &account, to, &call, &commands),
        None => answer_calls(&running, &call, &commands),
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

/// An audio stream for a call the tool offers.
fn audio_stream(running: &Running) -> Result<Arc<AudioStream>, String> {
    AudioStream::new(&running.app).map_err(|e| format!("no audio: {e}"))
}

fn place_call(
    running: &Running,
    account: &sipsimple::Account,
    to: &str,
    call: &CallOptions<'_>,
    commands: &async_channel::Receiver<Command>,
) -> Result<(), String> {
    let to = sip_uri(to);
    let session = Session::new(account);
    let stream = audio_stream(running)?;
    session
        .connect(&to, vec![stream.clone() as Arc<dyn MediaStream>])
        .map_err(|e| e.to_string())?;
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
    converse(running, &session, Some(stream), call, commands, early);
    Ok(())
}

fn answer_calls(
    running: &Running,
    call: &CallOptions<'_>,
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
        // The streams of an offer come from the registry's AudioStreamFactory; an INVITE
        // without one is answered with an offer of our own stream.
        let proposed = session.proposed_streams();
        let (offered, ours) = if proposed.is_empty() {
            let stream = audio_stream(running)?;
            (vec![stream.clone() as Arc<dyn MediaStream>], Some(stream))
        } else {
            let ours = proposed.iter().find_map(downcast_stream::<AudioStream>);
            (proposed, ours)
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
        if started && converse(running, &session, ours, call, commands, Vec::new()) {
            return Ok(());
        }
    }
}

/// The call is up: until it ends, the duration passes or the user hangs up. Returns `true`
/// when standard input closed meanwhile, so that the caller stops too. A transfer the peer
/// asks for is accepted, and the conversation goes on in the session it makes. `early` holds
/// the commands typed before the call started; they run first. `stream` is the call's audio
/// stream when the tool made it: its media is described, recorded and measured.
fn converse(
    running: &Running,
    session: &Session,
    stream: Option<Arc<AudioStream>>,
    call: &CallOptions<'_>,
    commands: &async_channel::Receiver<Command>,
    early: Vec<Command>,
) -> bool {
    let until = call
        .duration
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut early = early.into_iter();
    let mut session = session.clone();
    let mut audio = CallAudio::started(stream, call.record);
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
            Some(Command::Dtmf(digit)) => send_dtmf(&session, *digit),
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
        audio.sample();
        let hang_up = matches!(command, Some(Command::Hangup | Command::Closed))
            || until.is_some_and(|t| Instant::now() >= t);
        if hang_up && !hung_up {
            hung_up = true;
            audio.stop_recording();
            let _ = session.end();
        }
        let Some(n) = running.next(Duration::from_millis(200)) else {
            // Its end was missed while following another session.
            if session.state() == sipsimple::session::SessionState::Terminated {
                audio.ended();
                return closed;
            }
            continue;
        };
        if n.sender != session.sender_id() {
            if n.name.starts_with("AudioStream") && from_a_stream_of(&session, &n) {
                print_session_event(running, &n);
            }
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
                audio.ended();
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
                        // The transfer's session made its own streams.
                        audio = CallAudio::started(None, None);
                    }
                    _ => return closed,
                }
            }
            _ => {}
        }
    }
}

/// Sends `digit` through the first stream of the call that carries DTMF (its audio
/// stream), or says why none could.
fn send_dtmf(session: &Session, digit: char) {
    let mut refusals = Vec::new();
    let sent = session.streams().iter().any(|s| match s.send_dtmf(digit) {
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

/// Whether `n` comes from one of the streams of `session` (a received DTMF digit, ICE).
fn from_a_stream_of(session: &Session, n: &Notification) -> bool {
    session
        .streams()
        .iter()
        .any(|s| stream_sender(s) == n.sender)
}

/// The audio of a started call, as far as the tool holds its stream.
struct CallAudio {
    stream: Option<Arc<AudioStream>>,
    /// The file being recorded to.
    recording: Option<PathBuf>,
    /// The last RTP counters read: the stream drops them when it ends.
    statistics: Option<RtpStatistics>,
    /// Whether the end was reported.
    ended: bool,
}

impl CallAudio {
    /// Describes the negotiated media of `stream` and starts recording to `record`.
    fn started(stream: Option<Arc<AudioStream>>, record: Option<&Path>) -> Self {
        if let Some(stream) = &stream {
            println!("{}", describe(stream));
        }
        let recording = record.and_then(|file| match &stream {
            Some(stream) => match stream.start_recording(Some(file.to_path_buf())) {
                Ok(file) => {
                    println!("recording to {}", file.display());
                    Some(file)
                }
                Err(e) => {
                    eprintln!("sipsimple: cannot record to {}: {e}", file.display());
                    None
                }
            },
            None => {
                eprintln!("sipsimple: cannot record this call: it has no audio stream");
                None
            }
        });
        Self {
            stream,
            recording,
            statistics: None,
            ended: false,
        }
    }

    /// Keeps the stream's latest counters.
    fn sample(&mut self) {
        if let Some(stats) = self.stream.as_ref().and_then(|s| s.statistics()) {
            self.statistics = Some(stats);
        }
    }

    /// Closes the recording's file, which the end of the stream would do too.
    fn stop_recording(&mut self) {
        let (Some(stream), Some(file)) = (&self.stream, self.recording.take()) else {
            return;
        };
        match stream.stop_recording() {
            // Already closed when the stream ended.
            Ok(()) | Err(sipsimple::session::AudioStreamError::NotRecording) => {
                println!("recorded {}", file.display());
            }
            Err(e) => eprintln!("sipsimple: the recording {} failed: {e}", file.display()),
        }
    }

    /// The call ended: the recording's name and the RTP counters.
    fn ended(&mut self) {
        if std::mem::replace(&mut self.ended, true) {
            return;
        }
        self.stop_recording();
        if let Some(s) = &self.statistics {
            println!(
                "RTP statistics: {} packets sent, {} received, {} lost",
                s.packets_sent, s.packets_received, s.packets_lost
            );
        }
    }
}

/// One line on the negotiated media: codec, rate, SRTP, ICE and the RTP addresses.
fn describe(stream: &AudioStream) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    let address = |ip: Option<std::net::IpAddr>, port: Option<u16>| match (ip, port) {
        (Some(ip), Some(port)) => std::net::SocketAddr::new(ip, port).to_string(),
        _ => "?".to_owned(),
    };
    format!(
        "audio: {} at {} Hz, SRTP {}, ICE {}, RTP {} -> {}",
        stream.codec().unwrap_or("no codec"),
        stream.sample_rate().unwrap_or(0),
        on(stream.srtp_active()),
        on(stream.ice_active()),
        address(stream.local_rtp_address(), stream.local_rtp_port()),
        address(
            stream.remote_rtp_address_sdp(),
            stream.remote_rtp_port_sdp()
        ),
    )
}

fn print_session_event(running: &Running, n: &Notification) {
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
        "AudioStreamGotDTMF" => n.get_str("digit").unwrap_or("?").to_owned(),
        "AudioStreamICENegotiationDidFail" | "AudioStreamICENegotiationStateDidChange" => n
            .get_str("reason")
            .or_else(|| n.get_str("state"))
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    println!("{} {detail}", n.name);
}
