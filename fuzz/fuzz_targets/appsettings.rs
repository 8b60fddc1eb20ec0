//! Fuzz target `appsettings`: see `fuzz/targets.rs`.
#![no_main]

include!("../targets.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| run("appsettings", data));
