//! Fuzz target: see `sipsimple_proto::fuzz::endpoint` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    sipsimple_proto::fuzz::endpoint(std::time::Instant::now(), data)
});
