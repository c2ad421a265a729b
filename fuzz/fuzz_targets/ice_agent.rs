//! Fuzz target: see `sipsimple_proto::fuzz::ice_agent` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // One real instant as the origin of the target's virtual time.
    let t0 = std::time::Instant::now();
    sipsimple_proto::fuzz::ice_agent(t0, data);
});
