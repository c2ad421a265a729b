//! `sipsimple lookup` as a user runs it, for what needs no nameserver: numeric hosts, bad
//! input. Lookups against a real DNS server are in the interop tests.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipsimple"))
        .args(args)
        .output()
        .expect("the sipsimple binary runs")
}

#[test]
fn a_numeric_host_needs_no_query() {
    let o = run(&[
        "lookup",
        "sip:127.0.0.1:5070;transport=tcp",
        "--nameserver",
        "127.0.0.1:9",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "tcp  sip:127.0.0.1:5070;transport=tcp\n"
    );
}

#[test]
fn bad_input_is_a_usage_error() {
    let o = run(&["lookup", "sip:", "--nameserver", "127.0.0.1:9"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad URI"));
    let o = run(&["lookup", "example.com", "--transports", "sctp"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown transport"));
}
