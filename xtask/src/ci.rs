//! `cargo xtask ci`: the whole test gate, in order, stopping at the first failure.
//!
//! 1. the foreign tools the interop tests drive (curl, Python with `requests`) are present;
//! 2. `cargo fmt --all -- --check`;
//! 3. `cargo clippy --workspace --all-targets -- -D warnings`;
//! 4. `cargo test --workspace --no-fail-fast` (every failing test is reported, then it stops);
//! 5. `cargo doc --workspace --no-deps` with `RUSTDOCFLAGS=-D warnings`;
//! 6. the feature-gated crate's docs as docs.rs builds them (`--cfg docsrs`, all features).

use anyhow::{Result, bail};

use crate::util::{cargo, exec, have};

pub(crate) fn run(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask ci` takes no arguments (got `{extra}`)");
    }
    preflight()?;
    exec(cargo(&["fmt", "--all", "--", "--check"]))?;
    exec(cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    exec(cargo(&["test", "--workspace", "--no-fail-fast"]))?;
    let mut doc = cargo(&["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    exec(doc)?;
    // docs.rs builds with nightly and `--cfg docsrs`; RUSTC_BOOTSTRAP gives stable the same switch.
    let mut docsrs = cargo(&["doc", "-p", "atlas-digest", "--all-features", "--no-deps"]);
    docsrs
        .env("RUSTDOCFLAGS", "--cfg docsrs -D warnings")
        .env("RUSTC_BOOTSTRAP", "1");
    exec(docsrs)?;
    eprintln!("\nxtask ci: all checks passed");
    Ok(())
}

/// The interop tests start real curl and Python clients; say clearly what is missing.
fn preflight() -> Result<()> {
    let mut missing = Vec::new();
    if !have("curl", "--version") {
        missing.push("curl (apt-get install curl)");
    }
    if !have("python3", "--version") {
        missing.push("python3 (apt-get install python3)");
    } else if !std::process::Command::new("python3")
        .args(["-c", "import requests"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
    {
        missing.push("the Python package `requests` (python3 -m pip install requests)");
    }
    if !missing.is_empty() {
        bail!(
            "the interop tests need tools that are missing: {}; `.ci/run` installs them",
            missing.join(", ")
        );
    }
    Ok(())
}
