//! Fuzz target: see `sipsimple_proto::fuzz::rtcp` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsimple_proto::fuzz::rtcp(data));
