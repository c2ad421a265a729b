//! `sipsimple check` as a user runs it: real process, real files, exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn vector(path: &str) -> String {
    format!("{}/../vectors/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipsimple"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sipsimple binary starts");
    let mut input = child.stdin.take().expect("piped stdin");
    input
        .write_all(stdin.unwrap_or_default())
        .expect("stdin accepts the input");
    drop(input);
    child.wait_with_output().expect("the process finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn valid_invite_with_sdp() {
    let o = run(&["check", &vector("bench/invite.sip")], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("request INVITE sip:bob@biloxi.example.com"));
    assert!(text.contains("  valid"));
    assert!(text.contains("PCMU/8000") && text.contains("srtp-sdes"));
}

#[test]
fn invalid_messages_say_what_a_uas_answers() {
    let o = run(&["check", &vector("sip/rfc4475/badvers.sip")], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("a UAS answers 505"));
    let o = run(&["check", &vector("sip/rfc4475/baddate.sip")], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("header Date:"));
    let o = run(&["check", &vector("sip/rfc4475/clerr.sip")], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("does not parse: Content-Length 9999"));
}

#[test]
fn stream_mode_frames_messages_and_keepalives() {
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend(std::fs::read(vector("bench/options.sip")).unwrap());
    stream.extend(b"\r\n");
    stream.extend(std::fs::read(vector("bench/register.sip")).unwrap());
    let o = run(&["check", "--stream", "-"], Some(&stream));
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(text.contains("#1: keep-alive ping"));
    assert!(text.contains("#2: request OPTIONS"));
    assert!(text.contains("#3: keep-alive pong"));
    assert!(text.contains("#4: request REGISTER"));
    stream.extend(b"INVITE sip:x@y SIP/2.0\r\n");
    let o = run(&["check", "--stream", "-"], Some(&stream));
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("trailing bytes"));
}

#[test]
fn sdp_mode() {
    let o = run(
        &["check", "--sdp", &vector("sdp/rfc4566-s5-example.sdp")],
        None,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("video port 51372 RTP/AVP recvonly"));
    let o = run(&["check", "--sdp", "-"], Some(b"v=0\r\nnot sdp\r\n"));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn unreadable_file_and_usage_errors() {
    let o = run(&["check", "/nonexistent/file.sip"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("/nonexistent/file.sip"));
    let o = run(&["check"], None);
    assert_eq!(o.status.code(), Some(2), "clap reports a usage error");
    let o = run(&["--help"], None);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("check"));
}
