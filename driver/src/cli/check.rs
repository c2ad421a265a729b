//! `sipsimple check`: parse SIP messages and SDP bodies and report what is wrong with them.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use clap::Args;
use sipsimple_proto::sdp::Session;
use sipsimple_proto::sip::headers::check_field;
use sipsimple_proto::sip::{Frame, Framer, Message, ParseError};

/// Options of `sipsimple check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Files to check; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<String>,
    /// Each file is an SDP body rather than a SIP message.
    #[arg(long, conflicts_with = "stream")]
    sdp: bool,
    /// Each file is a TCP/TLS byte stream: frame it into messages and keep-alives.
    #[arg(long)]
    stream: bool,
}

/// What checking one input found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Valid,
    Invalid,
}

pub(crate) fn run(args: &CheckArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let mut all_valid = true;
    for file in &args.files {
        let data = match read(file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("sipsimple: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let verdict = if args.sdp {
            check_sdp(&mut out, file, &data)
        } else if args.stream {
            check_stream(&mut out, file, &data)
        } else {
            check_datagram(&mut out, file, &data)
        };
        all_valid &= verdict == Verdict::Valid;
    }
    // A closed pipe is not worth a panic: the verdict is in the exit status.
    let _ = out.flush();
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn read(file: &str) -> io::Result<Vec<u8>> {
    if file == "-" {
        let mut data = Vec::new();
        io::stdin().read_to_end(&mut data)?;
        Ok(data)
    } else {
        std::fs::read(file)
    }
}

fn check_datagram(out: &mut impl Write, file: &str, data: &[u8]) -> Verdict {
    match Message::parse(data) {
        Ok(m) => report_message(out, file, &m),
        Err(e) => {
            report_unparsed(out, file, &e);
            Verdict::Invalid
        }
    }
}

fn check_stream(out: &mut impl Write, file: &str, data: &[u8]) -> Verdict {
    let mut framer = Framer::new();
    framer.feed(data);
    let mut verdict = Verdict::Valid;
    let mut n = 0;
    while let Some(frame) = framer.next_frame() {
        n += 1;
        let label = format!("{file} #{n}");
        match frame {
            Ok(Frame::Message(m)) => {
                if report_message(out, &label, &m) == Verdict::Invalid {
                    verdict = Verdict::Invalid;
                }
            }
            Ok(Frame::Ping) => {
                let _ = writeln!(out, "{label}: keep-alive ping (answer: CRLF)");
            }
            Ok(Frame::Pong) => {
                let _ = writeln!(out, "{label}: keep-alive pong");
            }
            Err(e) => {
                let _ = writeln!(out, "{label}: {e}");
                verdict = Verdict::Invalid;
            }
        }
    }
    if framer.buffered() > 0 {
        let _ = writeln!(
            out,
            "{file}: {} trailing bytes do not complete a message",
            framer.buffered()
        );
        verdict = Verdict::Invalid;
    }
    verdict
}

fn report_unparsed(out: &mut impl Write, label: &str, e: &ParseError) {
    let _ = writeln!(out, "{label}: does not parse: {e}");
    let _ = writeln!(
        out,
        "  a UAS answers {} to such a request when it can, a response is dropped",
        e.status_code()
    );
}

fn report_message(out: &mut impl Write, label: &str, m: &Message) -> Verdict {
    let start = match m {
        Message::Request(r) => format!("request {} {}", r.method(), r.uri()),
        Message::Response(r) => format!("response {} {}", r.status(), r.reason()),
    };
    let _ = writeln!(out, "{label}: {start}");
    let content_type = m
        .headers()
        .get(sipsimple_proto::sip::headers::HeaderName::ContentType)
        .unwrap_or("-");
    let _ = writeln!(
        out,
        "  {} header fields, body {} bytes ({content_type})",
        m.headers().len(),
        m.body().len()
    );
    let mut verdict = Verdict::Valid;
    match m.validate() {
        Ok(()) => {
            let _ = writeln!(out, "  valid");
        }
        Err(e) => {
            verdict = Verdict::Invalid;
            let what = if m.is_request() {
                format!("a UAS answers {} {e}", e.status_code())
            } else {
                "the response is dropped".to_owned()
            };
            let _ = writeln!(out, "  invalid: {e} ({what})");
        }
    }
    for f in m.headers().iter() {
        if let Err(e) = check_field(&f) {
            verdict = Verdict::Invalid;
            let _ = writeln!(out, "  header {}: {e}", f.name_str);
        }
    }
    if let Some(Ok(ct)) = m.content_type() {
        if ct.is("application", "sdp") {
            match Session::parse(m.body()) {
                Ok(s) => describe_sdp(out, &s),
                Err(e) => {
                    verdict = Verdict::Invalid;
                    let _ = writeln!(out, "  sdp: {e}");
                }
            }
        }
    }
    verdict
}

fn check_sdp(out: &mut impl Write, file: &str, data: &[u8]) -> Verdict {
    match Session::parse(data) {
        Ok(s) => {
            let _ = writeln!(out, "{file}: valid SDP");
            describe_sdp(out, &s);
            Verdict::Valid
        }
        Err(e) => {
            let _ = writeln!(out, "{file}: does not parse: {e}");
            Verdict::Invalid
        }
    }
}

fn describe_sdp(out: &mut impl Write, s: &Session) {
    for (m, direction) in s.media().iter().zip(s.effective_directions()) {
        let codecs: Vec<String> = m.rtpmaps().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "  sdp: {} port {} {} {direction}{}{}",
            m.media_type(),
            m.port(),
            m.protocol(),
            if codecs.is_empty() {
                String::new()
            } else {
                format!(" [{}]", codecs.join(", "))
            },
            if m.crypto().next().is_some() {
                " srtp-sdes"
            } else {
                ""
            },
        );
        for bad in m.attributes().malformed() {
            let _ = writeln!(out, "  sdp: ignored malformed attribute: {}", bad.error);
        }
    }
}
