//! Fuzz target `compose`: see `fuzz/targets.rs`.
#![no_main]

include!("../targets.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run("compose", data));
