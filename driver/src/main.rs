//! The `sipsimple` command-line tool: the way a user tries the SDK and the way tests drive it.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// SIP SIMPLE client SDK command-line tool.
#[derive(Debug, Parser)]
#[command(name = "sipsimple", version, about, long_about = None)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check SIP messages or SDP bodies, and say what a UAS would answer.
    ///
    /// Each FILE (or `-` for standard input) holds one SIP message, as a datagram carries it.
    /// With --stream, a file is a TCP/TLS byte stream that may hold several messages and
    /// keep-alives. With --sdp, each file is an SDP body. Exit status: 0 when everything is
    /// valid, 1 when something is not, 2 when a file cannot be read.
    Check(cli::check::CheckArgs),
}

fn main() -> ExitCode {
    let args = Args::parse();
    match args.command {
        Command::Check(a) => cli::check::run(&a),
    }
}
