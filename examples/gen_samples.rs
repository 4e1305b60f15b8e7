//! Writes the sample data under `policies/samples/` from fixed seeds.
//! `cargo run --example gen_samples`; `tests/samples.rs` checks that the
//! committed files are exactly what this produces.

#[path = "../tests/support/samples.rs"]
mod samples;

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/samples");
    std::fs::create_dir_all(&dir)?;
    for (name, text) in samples::all() {
        std::fs::write(dir.join(name), text)?;
    }
    Ok(())
}
