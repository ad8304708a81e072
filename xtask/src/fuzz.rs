//! `cargo xtask fuzz [--seconds N] [--target NAME] [--sanitizer NAME]`: every cargo-fuzz target of
//! the workspace.
//!
//! Fuzz packages live beside their crate (`crates/<crate>/fuzz/`, each its own workspace). Each
//! target runs for N seconds (default 20) on a fresh corpus in `fuzz/corpus/<target>` seeded from
//! the committed `fuzz/seeds/<target>/`. A crash fails the task and names the reproducer in
//! `fuzz/artifacts/<target>/`; turn it into a regression test.
//!
//! Targets are built with AddressSanitizer unless `--sanitizer` names another of cargo-fuzz's
//! (`none`, `leak`, ...). Our crates forbid `unsafe`, so ASan only watches the dependencies' unsafe
//! code under our parsers; a panic is caught either way. `.ci/run`'s short pass uses `none`: the
//! mock's fuzz package (hyper, tokio, rustls) builds in 173 s instead of 238 on 2 cores.
//!
//! cargo-fuzz needs nightly-only compiler flags; on the stable toolchain this task sets
//! `RUSTC_BOOTSTRAP=1` for the fuzz builds only. It installs cargo-fuzz if it is missing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::util::{cargo, exec_in, have, output_in, root};

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut seconds: u64 = 20;
    let mut only: Option<String> = None;
    let mut sanitizer = String::from("address");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                let v = it.next().context("--seconds needs a number")?;
                seconds = v
                    .parse()
                    .with_context(|| format!("--seconds: `{v}` is not a number"))?;
                ensure!(seconds > 0, "--seconds must be at least 1");
            }
            "--target" => only = Some(it.next().context("--target needs a name")?.clone()),
            "--sanitizer" => {
                let v = it.next().context("--sanitizer needs a name")?;
                ensure!(
                    SANITIZERS.contains(&v.as_str()),
                    "--sanitizer: `{v}` is not one of {}",
                    SANITIZERS.join(", ")
                );
                sanitizer = v.clone();
            }
            other => bail!(
                "unknown argument `{other}`; usage: cargo xtask fuzz [--seconds N] [--target NAME] [--sanitizer NAME]"
            ),
        }
    }
    if !have("cargo-fuzz", "--version") {
        exec_in(&root(), &mut cargo(&["install", "cargo-fuzz", "--locked"]))?;
    }
    let packages = fuzz_packages(&root())?;
    ensure!(!packages.is_empty(), "no fuzz packages under crates/*/fuzz");
    let target_dir = root().join("target").join("fuzz");
    let mut ran = 0;
    for dir in packages {
        let list = output_in(&dir, fuzz_cmd(&target_dir).arg("list"))?;
        for target in list.lines().map(str::trim).filter(|t| !t.is_empty()) {
            if only.as_deref().is_some_and(|o| o != target) {
                continue;
            }
            let corpus = dir.join("corpus").join(target);
            fs::create_dir_all(&corpus)?;
            let seeds = dir.join("seeds").join(target);
            let mut cmd = fuzz_cmd(&target_dir);
            cmd.args(["run", "--sanitizer", &sanitizer, target])
                .arg(&corpus);
            if seeds.is_dir() {
                cmd.arg(&seeds);
            }
            cmd.args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
            ]);
            exec_in(&dir, &mut cmd).with_context(|| {
                format!(
                    "fuzz target {target} failed; the reproducer is in {}",
                    dir.join("artifacts").join(target).display()
                )
            })?;
            ran += 1;
        }
    }
    ensure!(ran > 0, "no fuzz target matched");
    eprintln!("\nxtask fuzz: {ran} targets ran {seconds} s each without a crash");
    Ok(())
}

/// cargo-fuzz's sanitizers (`cargo fuzz run --sanitizer`).
const SANITIZERS: &[&str] = &["address", "leak", "memory", "thread", "none"];

fn fuzz_cmd(target_dir: &Path) -> Command {
    let mut cmd = cargo(&["fuzz"]);
    cmd.env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", target_dir);
    cmd
}

/// `crates/*/fuzz` directories that hold a cargo-fuzz package.
fn fuzz_packages(root: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(root.join("crates"))? {
        let fuzz = entry?.path().join("fuzz");
        if fs::read_to_string(fuzz.join("Cargo.toml"))
            .is_ok_and(|m| m.contains("cargo-fuzz = true"))
        {
            dirs.push(fuzz);
        }
    }
    dirs.sort();
    Ok(dirs)
}
