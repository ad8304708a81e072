//! `--digest-session-cache`: a script's `atlas-snapshots get` run 20 times in a row, with and
//! without the flag, against `atlas-snapshots mock` (issue 14 point 7).
//!
//! The mock is pinned to CPU 0, every `get` process to CPU 1. Two mocks: one answering at once
//! (loopback: a round trip costs well under a millisecond), and one that holds every answer
//! [`LATENCY_MS`] (its `--fault latency=...`: a stand-in for the network between a script and
//! Atlas, which loopback does not have). A round runs both series on each, which goes first
//! alternating: a series is `runs` sequential processes, each a `get` of the seed
//! snapshot, from a fresh cache directory (so the first process of the cached series pays the
//! challenge, as a script's first run does). Per series: the wall time of the whole series
//! (process start-up included, what a script waits for), and the requests and `401`s the mock
//! journaled for it (`/__mock/stats` before, `/__mock/journal?since=` after). Ratios are
//! computed within each round, then summarised as median (lowest-highest).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, ensure};

use super::download::{KEY, MockProcess, SECRET};
use super::procs::pinned;
use super::stats::Spread;

const CLIENT_CPU: &str = "1";
const ADMIN: &str = "bench-admin-token";
/// The latency the second mock adds to every answer, challenges included.
pub(crate) const LATENCY_MS: u64 = 20;

/// One series: wall seconds for all its processes, requests and 401s the mock saw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Series {
    wall_s: f64,
    requests: u64,
    challenges: u64,
}

/// Every round: (latency added by the mock in ms, without the flag, with it).
#[derive(Debug, Default)]
pub(crate) struct DigestCache {
    runs: usize,
    rounds: Vec<(u64, Series, Series)>,
}

fn admin_get(base: &str, path: &str) -> Result<serde_json::Value> {
    let out = Command::new("curl")
        .args(["-sf", "-H", &format!("Authorization: Bearer {ADMIN}")])
        .arg(format!("{base}{path}"))
        .output()
        .context("curl for the mock's admin API")?;
    ensure!(out.status.success(), "GET {path} failed");
    serde_json::from_slice(&out.stdout).with_context(|| format!("GET {path}: not JSON"))
}

fn series(cli: &Path, base: &str, home: &Path, cached: bool, runs: usize) -> Result<Series> {
    let _ = fs::remove_dir_all(home);
    fs::create_dir_all(home)?;
    let before = admin_get(base, "/__mock/stats")?["requests"]
        .as_u64()
        .context("requests in /__mock/stats")?;
    let start = Instant::now();
    for _ in 0..runs {
        let mut cmd = pinned(CLIENT_CPU, cli);
        cmd.env_clear()
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home)
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", KEY)
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", SECRET)
            .args(["get", "--base-url", base])
            .args(["--group-id", "5b69d0349b15c62cdfc38b78"])
            .args(["--cluster-name", "M2AWS"])
            .args(["--snapshot-id", "5cc310ace5dc7ce369814bc8", "-o", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if cached {
            cmd.arg("--digest-session-cache");
        }
        let st = cmd.status().context("running atlas-snapshots get")?;
        ensure!(st.success(), "atlas-snapshots get exited with {st}");
    }
    let wall_s = start.elapsed().as_secs_f64();
    let journal = admin_get(base, &format!("/__mock/journal?since={before}"))?;
    let entries = journal.as_array().context("the journal is an array")?;
    let challenges = entries
        .iter()
        .filter(|e| e["status"].as_u64() == Some(401))
        .count() as u64;
    Ok(Series {
        wall_s,
        requests: entries.len() as u64,
        challenges,
    })
}

fn scratch() -> Result<PathBuf> {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("atlas-bench-digest-cache-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) fn run(release: &Path, rounds: usize, runs: usize) -> Result<DigestCache> {
    let dir = scratch()?;
    let result = measure(&release.join("atlas-snapshots"), &dir, rounds, runs);
    let _ = fs::remove_dir_all(&dir);
    result
}

fn measure(cli: &Path, dir: &Path, rounds: usize, runs: usize) -> Result<DigestCache> {
    let common = ["--admin-token", ADMIN, "--journal-capacity", "100000"];
    let latency = format!("latency={LATENCY_MS}ms");
    let mut with_latency = common.to_vec();
    with_latency.extend(["--fault", latency.as_str()]);
    let mocks = [
        (
            0,
            MockProcess::start_with(cli, &dir.join("mock.json"), &common)?,
        ),
        (
            LATENCY_MS,
            MockProcess::start_with(cli, &dir.join("mock-latency.json"), &with_latency)?,
        ),
    ];
    let mut out = DigestCache {
        runs,
        rounds: Vec::new(),
    };
    for round in 0..rounds {
        eprintln!(
            "xtask bench: digest session cache, round {} of {rounds}",
            round + 1
        );
        for (ms, mock) in &mocks {
            let base = mock.field(&["url"])?;
            let home = dir.join("home");
            let (without, with) = if round % 2 == 0 {
                let a = series(cli, &base, &home, false, runs)?;
                (a, series(cli, &base, &home, true, runs)?)
            } else {
                let b = series(cli, &base, &home, true, runs)?;
                (series(cli, &base, &home, false, runs)?, b)
            };
            out.rounds.push((*ms, without, with));
        }
    }
    Ok(out)
}

impl DigestCache {
    fn spread(&self, ms: u64, f: impl Fn(&Series, &Series) -> f64) -> Option<Spread> {
        Spread::of(
            self.rounds
                .iter()
                .filter(|r| r.0 == ms)
                .map(|(_, without, with)| f(without, with)),
        )
    }

    fn latencies(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.rounds.iter().map(|r| r.0).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The section of `docs/benchmarks.md`.
    pub(crate) fn render(&self, s: &mut String) {
        if self.rounds.is_empty() {
            return;
        }
        let rounds = self.rounds.len() / self.latencies().len().max(1);
        let _ = writeln!(
            s,
            "\n## `--digest-session-cache`: {runs} sequential `get` processes\n\n`atlas-snapshots mock` on CPU 0; {runs} `atlas-snapshots get` processes of the seed snapshot one after another on CPU 1, from a fresh cache directory (the first process of the cached series pays the challenge, as a script's first run does), against a mock that answers at once (loopback) and one that holds every answer {LATENCY_MS} ms (`--fault latency={LATENCY_MS}ms`, a stand-in for the network to Atlas). {rounds} interleaved rounds (which series goes first alternates). Wall time of the whole series, process start-up included; requests and `401`s as the mock journaled them. Median (lowest-highest) over the rounds; the ratio is computed within each round.\n\n| mock | series | wall s ({runs} runs) | ms per `get` | requests | `401`s |\n|---|---|---|---|---|---|",
            runs = self.runs,
        );
        let n = self.runs as f64;
        let dash = || "-".to_owned();
        for ms in self.latencies() {
            let mock = if ms == 0 {
                "loopback".to_owned()
            } else {
                format!("+{ms} ms per answer")
            };
            for (label, cached) in [
                ("without the flag", false),
                ("`--digest-session-cache`", true),
            ] {
                let show = |f: &dyn Fn(&Series) -> f64, d: usize| {
                    self.spread(ms, |a, b| f(if cached { b } else { a }))
                        .map_or_else(dash, |x| x.show(d))
                };
                let _ = writeln!(
                    s,
                    "| {mock} | {label} | {} | {} | {} | {} |",
                    show(&|x| x.wall_s, 3),
                    show(&|x| x.wall_s * 1e3 / n, 2),
                    show(&|x| x.requests as f64, 0),
                    show(&|x| x.challenges as f64, 0),
                );
            }
        }
        let _ = writeln!(s);
        for ms in self.latencies() {
            if let Some(r) = self.spread(ms, |a, b| b.wall_s / a.wall_s) {
                let mock = if ms == 0 {
                    "loopback".to_owned()
                } else {
                    format!("+{ms} ms per answer")
                };
                let _ = writeln!(
                    s,
                    "- {mock}: wall time with the flag / without {}; requests {} / {} per series.",
                    r.show(2),
                    self.spread(ms, |_, b| b.requests as f64)
                        .map_or_else(dash, |x| x.show(0)),
                    self.spread(ms, |a, _| a.requests as f64)
                        .map_or_else(dash, |x| x.show(0)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_shows_medians_and_the_per_round_ratio() {
        let series = |wall_s, requests, challenges| Series {
            wall_s,
            requests,
            challenges,
        };
        let d = DigestCache {
            runs: 20,
            rounds: vec![
                (0, series(1.0, 40, 20), series(0.8, 21, 1)),
                (20, series(4.0, 40, 20), series(2.0, 21, 1)),
                (0, series(2.0, 40, 20), series(1.0, 21, 1)),
                (0, series(1.0, 40, 20), series(0.9, 21, 1)),
            ],
        };
        let mut s = String::new();
        d.render(&mut s);
        assert!(s.contains("| loopback | without the flag | 1.000 (1.000-2.000) | 50.00 (50.00-100.00) | 40 (40-40) | 20 (20-20) |"), "{s}");
        assert!(s.contains("| loopback | `--digest-session-cache` | 0.900 (0.800-1.000) | 45.00 (40.00-50.00) | 21 (21-21) | 1 (1-1) |"), "{s}");
        assert!(
            s.contains("- loopback: wall time with the flag / without 0.80 (0.50-0.90)"),
            "{s}"
        );
        assert!(
            s.contains("- +20 ms per answer: wall time with the flag / without 0.50 (0.50-0.50)"),
            "{s}"
        );
        let mut empty = String::new();
        DigestCache::default().render(&mut empty);
        assert!(empty.is_empty());
    }
}
