//! The command line: wall time and peak RSS of one `atlas-snapshots get` against `curl --digest`,
//! both pinned to the client CPU of the split placement.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Instant;

use anyhow::{Context, Result, ensure};

use super::procs::{Auth, Mock, PASSWORD, Placement, USER, pinned};

#[derive(Debug, Default)]
pub(crate) struct Cli {
    /// (command, median wall seconds, peak RSS KiB)
    pub(crate) rows: Vec<(String, f64, u64)>,
}

/// The CPU the commands run on.
const CPU: &str = Placement::Split.client_cpu();

/// Median wall time over `runs` runs of `argv` (spawned directly), and its peak RSS in KiB as GNU
/// `time` reports it (`%M`) for one more run. GNU time forks from a small process, so the figure is
/// the program's own; a wrapper in Python would count the interpreter's pages in its forked child.
fn wall_and_rss(argv: &[String], env: &[(&str, &str)], runs: usize) -> Result<(f64, u64)> {
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = pinned(CPU, &argv[0])
            .args(&argv[1..])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .status()
            .with_context(|| format!("running {}", argv[0]))?;
        walls.push(start.elapsed().as_secs_f64());
        ensure!(status.success(), "{} exited with {status}", argv[0]);
    }
    walls.sort_by(f64::total_cmp);
    let time = Path::new("/usr/bin/time");
    ensure!(
        time.exists(),
        "peak RSS needs GNU time: apt-get install time"
    );
    let out = pinned(CPU, time)
        .args(["-f", "%M"])
        .args(argv)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .output()?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .context("GNU time printed no %M")?;
    Ok((walls[walls.len() / 2], rss))
}

pub(crate) fn run(release: &Path, mock: &Mock, rounds: usize, runs: usize) -> Result<Cli> {
    let ours: Vec<String> = [
        release.join("atlas-snapshots").display().to_string(),
        "get".into(),
        "--base-url".into(),
        mock.base.clone(),
        "--group-id".into(),
        "5b69d0349b15c62cdfc38b78".into(),
        "--cluster-name".into(),
        "M2AWS".into(),
        "--snapshot-id".into(),
        "5cc310ace5dc7ce369814bc8".into(),
        "-o".into(),
        "json".into(),
    ]
    .into();
    let env = [
        ("MONGODB_ATLAS_PUBLIC_API_KEY", USER),
        ("MONGODB_ATLAS_PRIVATE_API_KEY", PASSWORD),
    ];
    let curl: Vec<String> = [
        "curl",
        "-sf",
        "--digest",
        "-u",
        &format!("{USER}:{PASSWORD}"),
        "-H",
        "Accept: application/json",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([mock.url(Auth::Digest)])
    .collect();
    let mut c = Cli::default();
    // Interleave the two commands, then take the median of the medians.
    let mut walls: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut rss: BTreeMap<&str, u64> = BTreeMap::new();
    for _ in 0..rounds {
        for (name, argv, env) in [
            ("atlas-snapshots get", &ours, &env[..]),
            ("curl --digest", &curl, &[][..]),
        ] {
            let (w, r) = wall_and_rss(argv, env, runs)?;
            walls.entry(name).or_default().push(w);
            let peak = rss.entry(name).or_default();
            *peak = (*peak).max(r);
        }
    }
    for (name, mut w) in walls {
        w.sort_by(f64::total_cmp);
        c.rows.push((name.to_owned(), w[w.len() / 2], rss[name]));
    }
    Ok(c)
}
