//! Fuzz target: see `sipsimple_proto::fuzz::stun` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // One real instant as the origin of the target's virtual time.
    let t0 = std::time::Instant::now();
    sipsimple_proto::fuzz::stun(t0, data);
});
