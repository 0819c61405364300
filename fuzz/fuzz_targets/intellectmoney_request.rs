//! See `paysandbox::fuzzing::intellectmoney` for what runs and what is asserted.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| paysandbox::fuzzing::intellectmoney(data));
