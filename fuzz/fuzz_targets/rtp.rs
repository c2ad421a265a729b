//! Fuzz target: see `sipsimple_proto::fuzz::rtp` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sipsimple_proto::fuzz::rtp(std::time::Instant::now(), data)
});
