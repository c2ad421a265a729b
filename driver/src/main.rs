//! The `sipsimple` command-line tool: the way a user tries the SDK and the way tests drive it.

mod cli;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// SIP SIMPLE client SDK command-line tool.
///
/// Accounts and settings live in a configuration directory (--config-dir, default
/// ~/.sipsimple). Start with `sipsimple account add alice@example.com --password P`, then
/// `sipsimple register --once` and `sipsimple message bob@example.com "Hello"`.
///
/// Exit status: 0 on success, 1 when the network or the server said no (a failed
/// registration, an undelivered message, an invalid SIP message for `check`), 2 for bad
/// arguments, a damaged configuration or an unreadable file.
#[derive(Debug, Parser)]
#[command(name = "sipsimple", version, about, long_about)]
struct Args {
    /// The configuration directory (default: ~/.sipsimple).
    #[arg(long, global = true, value_name = "DIR")]
    config_dir: Option<PathBuf>,
    /// The local address to use; repeat it for one of each address family (default: the
    /// addresses of the interfaces that reach the outside, or loopback).
    #[arg(long, global = true, value_name = "IP")]
    bind: Vec<IpAddr>,
    /// A nameserver to ask instead of the system's (repeat for several); it is asked
    /// directly, without looking for the zone's own nameservers first.
    #[arg(long, global = true, value_name = "IP:PORT")]
    nameserver: Vec<SocketAddr>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the demo: two applications on loopback (accounts in memory, no server) exchange
    /// a MESSAGE, call each other, hold and unhold, and hang up, printing the notifications
    /// as they come and a summary. Status 0 when every step worked.
    Demo(cli::demo::DemoArgs),
    /// Parse and check SIP messages or SDP bodies, and say what a UAS would answer.
    ///
    /// Each FILE (or `-` for standard input) holds one SIP message, as a datagram carries it.
    /// With --stream, a file is a TCP/TLS byte stream that may hold several messages and
    /// keep-alives. With --sdp, each file is an SDP body. Exit status: 0 when everything is
    /// valid, 1 when something is not, 2 when a file cannot be read.
    Check(cli::check::CheckArgs),
    /// Add, list, change, show and delete accounts.
    Account(cli::account::AccountArgs),
    /// Register an account with its registrar and report the outcome.
    ///
    /// Starts the SIP stack on this machine's address with the transports of the settings,
    /// registers the enabled accounts and reports how the chosen one (--account, else the
    /// default) did. With --once it unregisters and exits at once: status 0 when registered,
    /// 1 with the reason when not. Without it, it stays registered until Enter is pressed.
    Register(cli::register::RegisterArgs),
    /// Send an instant message (SIP MESSAGE, RFC 3428) from an account.
    ///
    /// The message goes through the account's outbound proxy, else to the recipient's host,
    /// answering authentication challenges with the account's credentials. Status 0 when the
    /// recipient's side accepted it, 1 with the reason when not.
    Message(cli::message::MessageArgs),
    /// Place a call, or answer calls, and print what happens.
    ///
    /// With a URI, calls it from the account and waits for the answer; the call lasts until
    /// --duration seconds have passed, `hangup` is typed, standard input closes, or the other
    /// side hangs up. During the call, `hold` and `unhold` put it on hold and back, `dtmf
    /// DIGITS` sends DTMF in the call's audio (digits received are printed as
    /// `AudioStreamGotDTMF D`), and `transfer URI` transfers the other side to URI; a
    /// transfer the other side asks for is accepted. Without a URI, --auto-answer waits for
    /// calls and answers them.
    ///
    /// The audio goes through the sound cards of the audio.input_device and
    /// audio.output_device settings (or --device), or none with --null-audio; --play sends a
    /// WAV file instead of the microphone and --record records the call. When a call starts
    /// its codec, sample rate, SRTP and ICE state are printed, and its RTP counters when it
    /// ends. Status 0 when the call took place, 1 when it failed, 2 for bad arguments or a
    /// sound card or file that cannot be opened.
    Call(cli::call::CallArgs),
    /// The sound cards: `sipsimple audio devices` lists their names for --device and the
    /// audio.input_device and audio.output_device settings.
    ///
    /// Needs a build with the `cpal` feature; without it, says so and exits with status 2.
    Audio(cli::audio::AudioArgs),
    /// Find the SIP servers of a URI (RFC 3263: NAPTR, SRV, A/AAAA), or its MSRP relays,
    /// STUN servers or XCAP roots.
    ///
    /// Asks the system's nameservers, or those given with --nameserver. Prints one result
    /// per line in order of preference; status 0 when something was found, 1 when not.
    Lookup(cli::lookup::LookupArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    let place = cli::common::Place {
        config_dir: args.config_dir.clone(),
        bind: args.bind.clone(),
        nameservers: args.nameserver.clone(),
    };
    match &args.command {
        Command::Demo(a) => cli::demo::run(a),
        Command::Check(a) => cli::check::run(a),
        Command::Account(a) => cli::account::run(a, place.config_dir.as_ref()),
        Command::Register(a) => cli::register::run(a, &place),
        Command::Message(a) => cli::message::run(a, &place),
        Command::Lookup(a) => cli::lookup::run(a, &place),
        Command::Call(a) => cli::call::run(a, &place),
        Command::Audio(a) => cli::audio::run(a),
    }
}
