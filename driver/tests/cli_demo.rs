//! `sipsimple demo` as a user runs it: no configuration, no server, exit 0 with every step
//! reported as it happens and in the summary, the audio checks included.

use std::process::Command;

#[test]
fn the_demo_runs_every_step_on_loopback() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sipsimple"))
        .arg("demo")
        // The demo touches no configuration: an empty HOME proves it needs none.
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "MESSAGE from Alice to Bob",
        "Alice calls Bob, Bob answers",
        "the call's audio runs over SRTP and ICE",
        "DTMF 123# from Alice to Bob",
        "DTMF 9* from Bob to Alice",
        "Alice puts the call on hold",
        "Alice takes it off hold",
        "Alice hangs up",
        "Alice hears Bob's tone and not their own",
        "Alice hears silence on hold and the tone again after",
        "Bob hears Alice's tone and not their own",
        "Bob hears silence on hold and the tone again after",
    ] {
        assert!(stdout.contains(&format!("----- {step}: ok")), "{stdout}");
        assert!(stdout.contains(&format!("  ok       {step}")), "{stdout}");
    }
    for name in [
        "SIPEngineGotMessage",
        "SIPSessionNewIncoming",
        "SIPSessionDidStart",
        "SIPSessionDidChangeHoldState",
        "SIPSessionDidEnd",
        "AudioStreamICENegotiationDidSucceed",
        "AudioStreamGotDTMF",
    ] {
        assert!(stdout.contains(name), "{name} missing: {stdout}");
    }
    assert!(!stdout.contains("FAILED"), "{stdout}");
    assert!(stdout.contains("SRTP on, ICE on"), "{stdout}");
    assert!(
        stdout.contains(r#"DTMF received: Bob "123#", Alice "9*""#),
        "{stdout}"
    );
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}
