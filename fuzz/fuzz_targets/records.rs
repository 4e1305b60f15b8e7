//! `cargo fuzz run records`: the body is shared with the bounded replay in
//! `tests/fuzz.rs` (see `tests/support/fuzz_targets.rs`).
#![no_main]

#[path = "../../tests/support/fuzz_targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = targets::records(data);
});
