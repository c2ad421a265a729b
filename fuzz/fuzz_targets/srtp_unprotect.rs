//! Fuzz target: see `sipsimple_proto::fuzz::srtp_unprotect` for the oracle.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipsimple_proto::fuzz::srtp_unprotect(data));
