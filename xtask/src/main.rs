//! Project chores, run as `cargo xtask <task>`:
//!
//! - `ci`: formatting, lints, every test, docs; stops at the first failure and names it.
//! - `bench`: benchmarks side by side, written to `docs/benchmarks.md`.
//! - `fuzz [--seconds N] [--target NAME] [--sanitizer NAME]`: every cargo-fuzz target for N seconds.
//! - `release <version> [--dry-run]`: version bump, changelog, packaging checks, tag.
//! - `stress [--runs N] [--load K]`: the scheduling-sensitive tests N times beside CPU load.
//!
//! Each task lives in its own module. Dependencies are kept to `anyhow` and std.

mod bench;
mod ci;
mod fuzz;
mod release;
mod stress;
mod util;

use anyhow::{Result, bail};

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  ci                         fmt --check, clippy -D warnings, tests, docs -D warnings
  bench [--runs N] [--quick] [--downloads-only]
                             benchmarks side by side, written to docs/benchmarks.md
  fuzz [--seconds N] [--target NAME] [--sanitizer NAME]
                             every cargo-fuzz target for N seconds (default 20)
  release <version> [--dry-run] [--skip-ci] [--no-verify]
                             bump, changelog, package checks, publish dry run, commit + tag
  stress [--runs N] [--load K] [--only NAME] [--list]
                             the concurrency-sensitive test binaries N times (default 50)
                             beside K CPU-bound processes (default: one per CPU)
";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((t, rest)) => (t.as_str(), rest),
        None => {
            eprint!("{USAGE}");
            bail!("no task given");
        }
    };
    match task {
        "ci" => ci::run(rest),
        "bench" => bench::run(rest),
        "fuzz" => fuzz::run(rest),
        "release" => release::run(rest),
        "stress" => stress::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            bail!("unknown task `{other}`")
        }
    }
}
