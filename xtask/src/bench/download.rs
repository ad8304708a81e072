//! Downloads: `atlas-snapshots download` against `curl -o` of the same pre-signed link, both served
//! by `atlas-snapshots mock` (its flex download route and object-store link), at two archive sizes.
//!
//! The mock is pinned to CPU 0 and both clients to CPU 1, alternating within each round and writing
//! to the same directory (`/dev/shm` when there is one, so the disk is not what is measured). Every
//! run goes through GNU `time`, which reports the client's wall time, user + system CPU and peak RSS.
//! `curl -o` fetches a link asked for once per mock (the harder comparison: curl's run is the bare
//! transfer); the CLI's run is what a user runs: its digest POST for a fresh link, the transfer to
//! `F.part`, the fsync and the rename. Ratios are computed within each round.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use super::procs::pinned;
use super::stats::{Direction, Spread, Verdict};

pub(super) const KEY: &str = "bench";
pub(super) const SECRET: &str = "bench-secret";
const SERVER_CPU: &str = "0";
const CLIENT_CPU: &str = "1";

/// One client's run: wall seconds, CPU seconds (user + system), peak RSS in KiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Run {
    wall_s: f64,
    cpu_s: f64,
    rss_kib: u64,
}

/// The two clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client {
    Curl,
    Ours,
}

impl Client {
    fn label(self) -> &'static str {
        match self {
            Client::Curl => "curl -o (the link only)",
            Client::Ours => "atlas-snapshots download (POST + transfer + fsync + rename)",
        }
    }
}

/// Every run of every size, per round.
#[derive(Debug, Default)]
pub(crate) struct Downloads {
    /// (archive MiB, round, curl run, our run)
    rounds: Vec<(u64, Run, Run)>,
    dir: String,
}

/// `atlas-snapshots mock` on CPU 0, killed when dropped.
pub(super) struct MockProcess {
    child: Child,
    info: serde_json::Value,
}

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl MockProcess {
    fn start(cli: &Path, dir: &Path, archive_mib: u64) -> Result<MockProcess> {
        let ready = dir.join(format!("mock-{archive_mib}.json"));
        let size = format!("{archive_mib}MiB");
        MockProcess::start_with(cli, &ready, &["--archive-size", &size])
    }

    /// `atlas-snapshots mock` with the bench key pair and `extra` arguments, its ready file at
    /// `ready`.
    pub(super) fn start_with(cli: &Path, ready: &Path, extra: &[&str]) -> Result<MockProcess> {
        let _ = fs::remove_file(ready);
        let mut child = pinned(SERVER_CPU, cli)
            .args(["mock", "--listen", "127.0.0.1:0", "--ready-file"])
            .arg(ready)
            .args(["--public-key", KEY, "--private-key", SECRET])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting atlas-snapshots mock")?;
        // The ready file appears (whole: the mock writes it under a temporary name and renames
        // it) once the mock listens.
        let start = Instant::now();
        let text = loop {
            if let Ok(text) = fs::read_to_string(ready) {
                break text;
            }
            if let Some(status) = child.try_wait()? {
                bail!("atlas-snapshots mock ended before it was ready: {status}");
            }
            ensure!(
                start.elapsed() < Duration::from_secs(30),
                "atlas-snapshots mock wrote no ready file in 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let info = serde_json::from_str(&text).context("the mock's ready file")?;
        Ok(MockProcess { child, info })
    }

    pub(super) fn field(&self, path: &[&str]) -> Result<String> {
        let mut v = &self.info;
        for key in path {
            v = &v[*key];
        }
        v.as_str()
            .map(str::to_owned)
            .with_context(|| format!("{} in the mock's ready file", path.join(".")))
    }

    /// A fresh pre-signed link, asked for with curl (digest), as a script would.
    fn link(&self) -> Result<String> {
        let url = format!(
            "{}/api/atlas/v2/groups/{}/flexClusters/{}/backup/download",
            self.field(&["url"])?,
            self.field(&["flex", "groupId"])?,
            self.field(&["flex", "clusterName"])?
        );
        let body = format!(
            "{{\"snapshotId\":\"{}\"}}",
            self.field(&["flex", "snapshotId"])?
        );
        let out = Command::new("curl")
            .args(["-sf", "--digest", "-u", &format!("{KEY}:{SECRET}")])
            .args(["-H", "Accept: application/vnd.atlas.2024-11-13+json"])
            .args(["-H", "Content-Type: application/vnd.atlas.2024-11-13+json"])
            .args(["--data", &body, &url])
            .output()
            .context("curl for a download link")?;
        ensure!(
            out.status.success(),
            "curl POST {url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let job: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        job["snapshotUrl"]
            .as_str()
            .map(str::to_owned)
            .context("snapshotUrl in the download job")
    }
}

/// `argv` pinned to the client CPU under GNU time: (wall, user + system, peak RSS).
fn timed(argv: &[String], env: &[(&str, &str)], dir: &Path) -> Result<Run> {
    let report = dir.join("time.txt");
    let started = Instant::now();
    let out = pinned(CLIENT_CPU, "/usr/bin/time")
        .args(["-o"])
        .arg(&report)
        .args(["-f", "%U %S %M"])
        .args(argv)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("running {}", argv[0]))?;
    let wall_s = started.elapsed().as_secs_f64();
    ensure!(
        out.status.success(),
        "{} failed: {}",
        argv[0],
        String::from_utf8_lossy(&out.stderr)
    );
    let text = fs::read_to_string(&report)?;
    let f: Vec<&str> = text
        .lines()
        .last()
        .context("GNU time wrote nothing")?
        .split_whitespace()
        .collect();
    let num = |i: usize| -> Result<f64> {
        f.get(i)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("GNU time said `{text}`"))
    };
    Ok(Run {
        wall_s,
        cpu_s: num(0)? + num(1)?,
        rss_kib: num(2)? as u64,
    })
}

/// Where the archives go: tmpfs when there is one.
fn scratch() -> Result<PathBuf> {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("atlas-bench-download-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

pub(crate) fn run(release: &Path, sizes_mib: &[u64], rounds: usize) -> Result<Downloads> {
    ensure!(
        Path::new("/usr/bin/time").exists(),
        "the download bench needs GNU time: apt-get install time"
    );
    let cli = release.join("atlas-snapshots");
    let dir = scratch()?;
    let result = measure(&cli, &dir, sizes_mib, rounds);
    let _ = fs::remove_dir_all(&dir);
    let mut d = result?;
    d.dir = if dir.starts_with("/dev/shm") {
        "/dev/shm".into()
    } else {
        "a temporary directory".into()
    };
    Ok(d)
}

fn measure(cli: &Path, dir: &Path, sizes_mib: &[u64], rounds: usize) -> Result<Downloads> {
    let mut d = Downloads::default();
    let file = dir.join("snapshot.tgz");
    let f = file.display().to_string();
    for &mib in sizes_mib {
        let mock = MockProcess::start(cli, dir, mib)?;
        let link = mock.link()?;
        let curl: Vec<String> = ["curl", "-sf", "-o", &f, &link].map(str::to_owned).into();
        let ours: Vec<String> = vec![
            cli.display().to_string(),
            "download".into(),
            "--base-url".into(),
            mock.field(&["url"])?,
            "--group-id".into(),
            mock.field(&["flex", "groupId"])?,
            "--cluster-name".into(),
            mock.field(&["flex", "clusterName"])?,
            "--snapshot-id".into(),
            mock.field(&["flex", "snapshotId"])?,
            "--output-file".into(),
            f.clone(),
            "--force".into(),
        ];
        let env = [
            ("MONGODB_ATLAS_PUBLIC_API_KEY", KEY),
            ("MONGODB_ATLAS_PRIVATE_API_KEY", SECRET),
        ];
        for round in 0..rounds {
            eprintln!(
                "xtask bench: downloads, {mib} MiB, round {} of {rounds}",
                round + 1
            );
            // Alternate which client goes first, so neither always meets a warm page cache.
            let (c, o) = if round % 2 == 0 {
                let c = timed(&curl, &[], dir)?;
                check_size(&file, mib)?;
                let o = timed(&ours, &env, dir)?;
                check_size(&file, mib)?;
                (c, o)
            } else {
                let o = timed(&ours, &env, dir)?;
                check_size(&file, mib)?;
                let c = timed(&curl, &[], dir)?;
                check_size(&file, mib)?;
                (c, o)
            };
            let _ = fs::remove_file(&file);
            d.rounds.push((mib, c, o));
        }
    }
    Ok(d)
}

/// A run that wrote a short file measured nothing.
fn check_size(file: &Path, mib: u64) -> Result<()> {
    let len = fs::metadata(file)
        .with_context(|| format!("{} after a download", file.display()))?
        .len();
    ensure!(
        len == mib << 20,
        "{} holds {len} bytes, not {mib} MiB",
        file.display()
    );
    Ok(())
}

impl Downloads {
    fn sizes(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.rounds.iter().map(|r| r.0).collect();
        v.dedup();
        v
    }

    fn of(&self, mib: u64) -> impl Iterator<Item = &(u64, Run, Run)> {
        self.rounds.iter().filter(move |r| r.0 == mib)
    }

    /// Per round: our throughput / curl's (= curl's wall / ours).
    fn ratio(&self, mib: u64) -> Option<Spread> {
        Spread::of(self.of(mib).map(|(_, c, o)| c.wall_s / o.wall_s))
    }

    fn peak_rss_mib(&self, mib: u64, client: Client) -> f64 {
        self.of(mib)
            .map(|(_, c, o)| match client {
                Client::Curl => c.rss_kib,
                Client::Ours => o.rss_kib,
            })
            .max()
            .unwrap_or(0) as f64
            / 1024.0
    }

    /// Rows for the targets table: (target, where, measured, verdict).
    pub(crate) fn targets(&self) -> Vec<(String, String, String, Verdict)> {
        let mut rows = Vec::new();
        for mib in self.sizes() {
            if let Some(r) = self.ratio(mib) {
                rows.push((
                    "download throughput >= 0.9x `curl -o`".to_owned(),
                    format!("{mib} MiB archive from atlas-snapshots mock, client on CPU 1"),
                    r.show(2),
                    Verdict::judge(&r, 0.9, Direction::AtLeast),
                ));
            }
            let peaks = Spread::of(self.of(mib).map(|(_, _, o)| o.rss_kib as f64 / 1024.0));
            if let Some(p) = peaks {
                rows.push((
                    "download peak RSS < 24 MiB".to_owned(),
                    format!("{mib} MiB archive"),
                    format!("{:.1} MiB (largest of {} runs)", p.max, p.n),
                    if p.max < 24.0 {
                        Verdict::Met
                    } else {
                        Verdict::Missed
                    },
                ));
            }
        }
        rows
    }

    pub(crate) fn render(&self, s: &mut String) {
        if self.rounds.is_empty() {
            return;
        }
        let _ = writeln!(
            s,
            "\n## Downloads: `atlas-snapshots download` against `curl -o`\n\n`atlas-snapshots mock --archive-size N` on CPU 0 serves the flex download route and the pre-signed link; both clients run on CPU 1, alternating (which goes first alternates too), writing to {}. Wall time per run on the monotonic clock around the process (GNU `time`'s own has 10 ms steps, a sixth of a 64 MiB run), CPU (user + system, in 10 ms steps) and peak RSS from GNU `time`; throughput = archive size / wall time. curl fetches a link asked for once (the bare transfer); the CLI's run includes its digest POST for a fresh link, the fsync and the rename. Ratio = our throughput / curl's, per round. Median (lowest-highest) over the rounds.\n\n| archive | client | MiB/s | wall s | CPU s | peak RSS MiB |\n|---|---|---|---|---|---|",
            self.dir
        );
        for mib in self.sizes() {
            for client in [Client::Curl, Client::Ours] {
                let runs: Vec<Run> = self
                    .of(mib)
                    .map(|(_, c, o)| match client {
                        Client::Curl => *c,
                        Client::Ours => *o,
                    })
                    .collect();
                let show = |f: &dyn Fn(&Run) -> f64, d: usize| {
                    Spread::of(runs.iter().map(f)).map_or("-".into(), |x| x.show(d))
                };
                let _ = writeln!(
                    s,
                    "| {mib} MiB | {} | {} | {} | {} | {:.1} |",
                    client.label(),
                    show(&|r| mib as f64 / r.wall_s, 0),
                    show(&|r| r.wall_s, 3),
                    show(&|r| r.cpu_s, 3),
                    self.peak_rss_mib(mib, client)
                );
            }
            if let Some(r) = self.ratio(mib) {
                let _ = writeln!(
                    s,
                    "| {mib} MiB | ratio (ours / curl) | {}x | | | |",
                    r.show(2)
                );
            }
        }
    }
}
