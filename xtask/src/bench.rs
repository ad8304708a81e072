//! `cargo xtask bench [--runs N] [--quick]`: every benchmark side by side in one run, written to
//! `docs/benchmarks.md`.
//!
//! 1. Micro (criterion): `cargo bench -p atlas-digest -p atlas-model --bench "*"`; each benchmark is reported
//!    beside the floor of its group (the benchmark whose name contains `floor`).
//! 2. Against `atlas-bench-mock` on loopback (release builds), each measurement repeated N times
//!    (default 3) and reported as the median:
//!    - round trips per request of N sequential gets on one client (the limit is 1 + 1/N);
//!    - throughput, sequential and 64 in flight, authenticated vs the `/noauth` floor, for our
//!      transport (`fetch` example) and for the whole library (`atlas-bench-client`);
//!    - peers on the same server: `curl --digest` (a process per request, and one process with many
//!      URLs), Python `requests` with `HTTPDigestAuth` over a session, and `reqwest` + `diqwest`;
//!      round trips are counted by the server (`/__mock/stats`);
//!    - the CLI: wall time and peak RSS of `atlas-snapshots get` against `curl --digest`.
//!
//! Nothing here asserts a timing; it prints and records.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::util::{cargo, exec_in, output_in, root};

const SEED_PATH: &str = "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots/5cc310ace5dc7ce369814bc8";
const USER: &str = "bench";
const PASSWORD: &str = "bench-secret";

#[derive(Debug, Clone, Copy)]
struct Sizes {
    runs: usize,
    sequential: usize,
    concurrent: usize,
    processes: usize,
    python: usize,
    cli_runs: usize,
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut sizes = Sizes {
        runs: 3,
        sequential: 2_000,
        concurrent: 10_000,
        processes: 100,
        python: 500,
        cli_runs: 20,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let v = it.next().context("--runs needs a number")?;
                sizes.runs = v.parse().with_context(|| format!("--runs: `{v}`"))?;
                ensure!(sizes.runs > 0, "--runs must be at least 1");
            }
            "--quick" => {
                sizes = Sizes {
                    runs: 1,
                    sequential: 200,
                    concurrent: 1_000,
                    processes: 20,
                    python: 100,
                    cli_runs: 5,
                };
            }
            other => {
                bail!("unknown argument `{other}`; usage: cargo xtask bench [--runs N] [--quick]")
            }
        }
    }
    let root = root();
    let release = root.join("target").join("release");
    build(&root)?;
    let micro = micro(&root)?;

    let mock = Mock::start(&release.join("atlas-bench-mock"))?;
    let mut report = Report::new(&root, sizes)?;
    report.micro = micro;
    report.round_trips = round_trips(&release, &mock, sizes)?;
    report.throughput = throughput(&release, &mock, sizes)?;
    report.peers = peers(&root, &release, &mock, sizes)?;
    report.cli = cli(&release, &mock, sizes)?;
    drop(mock);

    let path = root.join("docs").join("benchmarks.md");
    fs::create_dir_all(path.parent().expect("docs/ has a parent"))?;
    let text = report.render();
    fs::write(&path, &text)?;
    println!("{text}");
    eprintln!("xtask bench: wrote {}", path.display());
    Ok(())
}

fn build(root: &Path) -> Result<()> {
    exec_in(
        root,
        &mut cargo(&[
            "build",
            "--release",
            "--bin",
            "atlas-snapshots",
            "--bin",
            "atlas-bench-mock",
            "--bin",
            "atlas-bench-client",
            "--example",
            "fetch",
            "-p",
            "atlas-transport",
            "-p",
            "atlas-snapshots-cli",
            "-p",
            "atlas-integration-tests",
        ]),
    )?;
    let mut peers = cargo(&[
        "build",
        "--release",
        "--manifest-path",
        "bench/peers/Cargo.toml",
    ]);
    peers.env("CARGO_TARGET_DIR", root.join("target").join("peers"));
    exec_in(root, &mut peers)
}

/// One criterion result: group, name, median in nanoseconds.
#[derive(Debug, Clone)]
struct Micro {
    group: String,
    name: String,
    median_ns: f64,
}

fn micro(root: &Path) -> Result<Vec<Micro>> {
    let criterion = root.join("target").join("criterion");
    let _ = fs::remove_dir_all(&criterion);
    exec_in(
        root,
        &mut cargo(&[
            "bench",
            "-p",
            "atlas-digest",
            "-p",
            "atlas-model",
            "--bench",
            "*",
            "--",
            "--warm-up-time",
            "1",
            "--measurement-time",
            "3",
            "--noplot",
        ]),
    )?;
    let mut out = Vec::new();
    collect_criterion(&criterion, &mut out)?;
    out.sort_by(|a, b| (&a.group, &a.name).cmp(&(&b.group, &b.name)));
    ensure!(
        !out.is_empty(),
        "criterion wrote no results under {}",
        criterion.display()
    );
    Ok(out)
}

fn collect_criterion(dir: &Path, out: &mut Vec<Micro>) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let bench: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(path.join("benchmark.json"))?)?;
            let est: serde_json::Value =
                serde_json::from_str(&fs::read_to_string(path.join("estimates.json"))?)?;
            let group = bench["group_id"].as_str().unwrap_or("?").to_owned();
            let full = bench["full_id"].as_str().unwrap_or("?");
            let name = full
                .strip_prefix(&format!("{group}/"))
                .unwrap_or(full)
                .to_owned();
            let median_ns = est["median"]["point_estimate"]
                .as_f64()
                .context("median in estimates.json")?;
            out.push(Micro {
                group,
                name,
                median_ns,
            });
        } else {
            collect_criterion(&path, out)?;
        }
    }
    Ok(())
}

/// The bench mock, ended when dropped (its standard input closes).
struct Mock {
    child: Child,
    base: String,
}

impl Mock {
    fn start(bin: &Path) -> Result<Mock> {
        let mut child = Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("mock stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().context("the mock printed nothing")??;
        let base = first
            .strip_prefix("atlas-mock listening on ")
            .with_context(|| format!("unexpected mock banner: {first}"))?
            .trim()
            .to_owned();
        // Keep draining the banner so the mock never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Mock { child, base })
    }

    fn url(&self, noauth: bool) -> String {
        format!(
            "{}{}{SEED_PATH}",
            self.base,
            if noauth { "/noauth" } else { "" }
        )
    }

    /// Requests the mock has answered so far (admin routes excluded).
    fn requests(&self) -> Result<u64> {
        let out = output_in(
            &root(),
            Command::new("curl").args(["-sf", &format!("{}/__mock/stats", self.base)]),
        )?;
        let v: serde_json::Value = serde_json::from_str(&out)?;
        v["requests"].as_u64().context("requests in /__mock/stats")
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// One throughput-style measurement.
#[derive(Debug, Clone, Default)]
struct Run {
    /// Requests sent (successful and failed).
    requests: u64,
    /// Requests that did not end in a 200.
    failed: u64,
    seconds: f64,
    round_trips: f64,
}

impl Run {
    /// Successful requests per second.
    fn per_second(&self) -> f64 {
        (self.requests - self.failed) as f64 / self.seconds.max(1e-9)
    }
    fn trips_per_request(&self) -> f64 {
        self.round_trips / self.requests.max(1) as f64
    }
}

fn median_by(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    runs[runs.len() / 2].clone()
}

/// `key=value` pairs of a summary line.
fn fields(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

/// Our transport: the `fetch` example.
fn fetch(
    release: &Path,
    mock: &Mock,
    noauth: bool,
    count: usize,
    concurrency: usize,
) -> Result<Run> {
    let mut cmd = Command::new(release.join("examples").join("fetch"));
    if !noauth {
        cmd.args(["--user", &format!("{USER}:{PASSWORD}")]);
    }
    cmd.args([
        "--count",
        &count.to_string(),
        "--concurrency",
        &concurrency.to_string(),
    ]);
    cmd.arg(mock.url(noauth));
    // fetch prints its summary on stderr, `elapsed=1.234s`.
    own_program(cmd, count, Summary::Stderr, "elapsed")
}

/// Where one of our programs prints its `key=value` summary line.
#[derive(Debug, Clone, Copy)]
enum Summary {
    Stdout,
    Stderr,
}

/// Runs one of our load programs, which must succeed, and reads the elapsed seconds (under
/// `elapsed_key`, an `s` suffix allowed) and `round_trips` from the last line of its summary.
fn own_program(mut cmd: Command, count: usize, summary: Summary, elapsed_key: &str) -> Result<Run> {
    let name = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().with_context(|| format!("running {name}"))?;
    ensure!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(match summary {
        Summary::Stdout => &out.stdout,
        Summary::Stderr => &out.stderr,
    })
    .into_owned();
    let f = fields(text.lines().last().unwrap_or_default());
    let seconds: f64 = f
        .get(elapsed_key)
        .and_then(|s| s.trim_end_matches('s').parse().ok())
        .with_context(|| format!("{elapsed_key}= in the summary of {name}"))?;
    let round_trips: f64 = f
        .get("round_trips")
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("round_trips= in the summary of {name}"))?;
    Ok(Run {
        requests: count as u64,
        failed: 0,
        seconds,
        round_trips,
    })
}

/// Our library: `atlas-bench-client` (typed gets through `AtlasClient`).
fn library(
    release: &Path,
    mock: &Mock,
    noauth: bool,
    count: usize,
    concurrency: usize,
) -> Result<Run> {
    let base = if noauth {
        format!("{}/noauth", mock.base)
    } else {
        mock.base.clone()
    };
    let mut cmd = Command::new(release.join("atlas-bench-client"));
    cmd.args([&base, &count.to_string(), &concurrency.to_string()]);
    if !noauth {
        cmd.args([USER, PASSWORD]);
    }
    own_program(cmd, count, Summary::Stdout, "elapsed_s")
}

#[derive(Debug, Default)]
struct RoundTrips {
    n: usize,
    transport: f64,
    library: f64,
}

fn round_trips(release: &Path, mock: &Mock, sizes: Sizes) -> Result<RoundTrips> {
    let n = 100.min(sizes.sequential);
    Ok(RoundTrips {
        n,
        transport: fetch(release, mock, false, n, 1)?.trips_per_request(),
        library: library(release, mock, false, n, 1)?.trips_per_request(),
    })
}

#[derive(Debug, Default)]
struct Throughput {
    /// (what, concurrency, authenticated, floor)
    rows: Vec<(String, usize, Run, Run)>,
}

fn throughput(release: &Path, mock: &Mock, sizes: Sizes) -> Result<Throughput> {
    let mut t = Throughput::default();
    for (concurrency, count) in [(1, sizes.sequential), (64, sizes.concurrent)] {
        for what in ["transport (fetch)", "library (AtlasClient)"] {
            let mut auth = Vec::new();
            let mut floor = Vec::new();
            // Interleave authenticated and floor runs so drift on a shared machine hits both.
            for _ in 0..sizes.runs {
                let measure = |noauth| {
                    if what.starts_with("transport") {
                        fetch(release, mock, noauth, count, concurrency)
                    } else {
                        library(release, mock, noauth, count, concurrency)
                    }
                };
                auth.push(measure(false)?);
                floor.push(measure(true)?);
            }
            t.rows.push((
                what.to_owned(),
                concurrency,
                median_by(auth),
                median_by(floor),
            ));
        }
    }
    Ok(t)
}

#[derive(Debug, Default)]
struct Peers {
    /// (client, concurrency, run)
    rows: Vec<(String, usize, Run)>,
}

/// Runs `f` and measures the requests the mock saw while it ran.
fn server_counted(mock: &Mock, requests: usize, f: impl FnOnce() -> Result<()>) -> Result<Run> {
    let before = mock.requests()?;
    let start = Instant::now();
    f()?;
    let seconds = start.elapsed().as_secs_f64();
    let after = mock.requests()?;
    Ok(Run {
        requests: requests as u64,
        failed: 0,
        seconds,
        round_trips: (after - before) as f64,
    })
}

/// Runs a peer program that prints `ok=<n> failed=<n> ...`; its failures are recorded, not fatal
/// (a peer that cannot keep up with the server is a result).
fn peer_program(mock: &Mock, n: usize, mut cmd: Command) -> Result<Run> {
    let mut printed = String::new();
    let mut run = server_counted(mock, n, || {
        let out = cmd.output()?;
        printed = String::from_utf8_lossy(&out.stdout).into_owned();
        ensure!(
            printed.contains("ok="),
            "peer {} printed no summary ({}): {}",
            cmd.get_program().to_string_lossy(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    })?;
    let f = fields(printed.lines().last().unwrap_or_default());
    run.failed = f
        .get("failed")
        .and_then(|v| v.parse().ok())
        .context("failed=")?;
    Ok(run)
}

fn peers(root: &Path, release: &Path, mock: &Mock, sizes: Sizes) -> Result<Peers> {
    let mut p = Peers::default();
    let url = mock.url(false);
    let user = format!("{USER}:{PASSWORD}");
    let mut add = |name: &str,
                   concurrency: usize,
                   mut f: Box<dyn FnMut() -> Result<Run> + '_>|
     -> Result<()> {
        let mut runs = Vec::new();
        for _ in 0..sizes.runs {
            runs.push(f()?);
        }
        p.rows.push((name.to_owned(), concurrency, median_by(runs)));
        Ok(())
    };
    add(
        "atlas-transport (fetch)",
        1,
        Box::new(|| fetch(release, mock, false, sizes.sequential, 1)),
    )?;
    add(
        "atlas-transport (fetch)",
        64,
        Box::new(|| fetch(release, mock, false, sizes.concurrent, 64)),
    )?;
    add(
        "curl --digest, a process per request",
        1,
        Box::new(|| {
            server_counted(mock, sizes.processes, || {
                for _ in 0..sizes.processes {
                    let st = Command::new("curl")
                        .args([
                            "-sf",
                            "-o",
                            "/dev/null",
                            "--digest",
                            "-u",
                            &user,
                            "-H",
                            "Accept: application/json",
                            &url,
                        ])
                        .status()?;
                    ensure!(st.success(), "curl failed");
                }
                Ok(())
            })
        }),
    )?;
    add(
        "curl --digest, one process, many URLs",
        1,
        Box::new(|| {
            let n = sizes.python;
            server_counted(mock, n, || {
                let mut cmd = Command::new("curl");
                cmd.args([
                    "-sf",
                    "--digest",
                    "-u",
                    &user,
                    "-H",
                    "Accept: application/json",
                ]);
                for _ in 0..n {
                    cmd.args(["-o", "/dev/null", &url]);
                }
                ensure!(cmd.status()?.success(), "curl failed");
                Ok(())
            })
        }),
    )?;
    add(
        "Python requests + HTTPDigestAuth (Session)",
        1,
        Box::new(|| {
            let n = sizes.python;
            let script = root.join("bench").join("peers").join("python_requests.py");
            let mut cmd = Command::new("python3");
            cmd.arg(&script)
                .args([&url, USER, PASSWORD, &n.to_string()]);
            peer_program(mock, n, cmd)
        }),
    )?;
    let diqwest = root
        .join("target")
        .join("peers")
        .join("release")
        .join("atlas-bench-peers");
    for (concurrency, n) in [(1, sizes.sequential), (64, sizes.concurrent)] {
        add(
            "reqwest + diqwest (cached session)",
            concurrency,
            Box::new(|| {
                let mut cmd = Command::new(&diqwest);
                cmd.args([
                    &url,
                    USER,
                    PASSWORD,
                    &n.to_string(),
                    &concurrency.to_string(),
                ]);
                peer_program(mock, n, cmd)
            }),
        )?;
    }
    Ok(p)
}

#[derive(Debug, Default)]
struct Cli {
    /// (command, median wall seconds, peak RSS KiB)
    rows: Vec<(String, f64, u64)>,
}

/// Median wall time over `runs` runs of `argv` (spawned directly), and its peak RSS in KiB as GNU
/// `time` reports it (`%M`) for one more run. GNU time forks from a small process, so the figure is
/// the program's own; a wrapper in Python would count the interpreter's pages in its forked child.
fn wall_and_rss(argv: &[String], env: &[(&str, &str)], runs: usize) -> Result<(f64, u64)> {
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(&argv[0])
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
    let out = Command::new(time)
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

fn cli(release: &Path, mock: &Mock, sizes: Sizes) -> Result<Cli> {
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
    .chain([mock.url(false)])
    .collect();
    let mut c = Cli::default();
    // Interleave the two commands, then take the median of the medians.
    let mut walls: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut rss: BTreeMap<&str, u64> = BTreeMap::new();
    for _ in 0..sizes.runs {
        for (name, argv, env) in [
            ("atlas-snapshots get", &ours, &env[..]),
            ("curl --digest", &curl, &[][..]),
        ] {
            let (w, r) = wall_and_rss(argv, env, sizes.cli_runs)?;
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

struct Report {
    header: String,
    sizes: Sizes,
    micro: Vec<Micro>,
    round_trips: RoundTrips,
    throughput: Throughput,
    peers: Peers,
    cli: Cli,
}

impl Report {
    fn new(root: &Path, sizes: Sizes) -> Result<Report> {
        let commit = output_in(
            root,
            Command::new("git").args(["rev-parse", "--short", "HEAD"]),
        )
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into());
        let dirty = output_in(
            root,
            Command::new("git").args(["status", "--porcelain", "--", ".", ":!docs/benchmarks.md"]),
        )
        .map(|s| {
            if s.trim().is_empty() {
                ""
            } else {
                " (with uncommitted changes)"
            }
        })
        .unwrap_or("");
        let cpu = fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let mem = fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| {
                s.lines()
                    .next()
                    .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
            })
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or("?".into(), |kb| format!("{} GiB", kb / 1024 / 1024));
        let rustc = output_in(root, Command::new("rustc").arg("--version")).unwrap_or_default();
        let date = output_in(
            root,
            Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]),
        )
        .unwrap_or_default();
        let header = format!(
            "- date: {}\n- commit: {commit}{dirty}\n- machine: {cpu}, {cores} cores, {mem}; {}\n- everything on loopback against `atlas-bench-mock` (release builds); client and server share the machine",
            date.trim(),
            rustc.trim()
        );
        Ok(Report {
            header,
            sizes,
            micro: Vec::new(),
            round_trips: RoundTrips::default(),
            throughput: Throughput::default(),
            peers: Peers::default(),
            cli: Cli::default(),
        })
    }

    fn render(&self) -> String {
        let mut s = String::new();
        let z = &self.sizes;
        let _ = writeln!(
            s,
            "# Benchmarks\n\nWritten by `cargo xtask bench`; every number below comes from the same run.\n\n{}",
            self.header
        );
        let _ = writeln!(
            s,
            "- each network measurement ran {} time(s); the median run is shown. Sizes: {} sequential requests, {} requests at 64 in flight, {} curl processes, {} requests for Python and for curl with many URLs, {} CLI runs per sample.\n",
            z.runs, z.sequential, z.concurrent, z.processes, z.python, z.cli_runs
        );

        let _ = writeln!(
            s,
            "## Micro benchmarks (criterion, median)\n\nEach row beside the floor of its group: the bare hash calls an `Authorization` needs, or `serde_json::from_slice` into `serde_json::Value`.\n\n| group | benchmark | median | ratio to each floor |\n|---|---|---|---|"
        );
        // Floors: benchmarks named `*floor*` or `bare_*` (the bare hash calls, a bare parse).
        let is_floor = |name: &str| name.contains("floor") || name.starts_with("bare");
        let mut floors: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
        for m in self.micro.iter().filter(|m| is_floor(&m.name)) {
            floors
                .entry(m.group.as_str())
                .or_default()
                .push((m.name.as_str(), m.median_ns));
        }
        for m in &self.micro {
            let ratio = match floors.get(m.group.as_str()) {
                _ if is_floor(&m.name) => "floor".to_owned(),
                Some(fs) => fs
                    .iter()
                    // `case/name` benchmarks compare with the floors of the same case only.
                    .filter(
                        |(name, _)| match (name.split_once('/'), m.name.split_once('/')) {
                            (Some((a, _)), Some((b, _))) => a == b,
                            _ => true,
                        },
                    )
                    .map(|(name, f)| format!("{:.2}x {name}", m.median_ns / f))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => "-".into(),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {ratio} |",
                m.group,
                m.name,
                human_ns(m.median_ns)
            );
        }

        let r = &self.round_trips;
        let _ = writeln!(
            s,
            "\n## Round trips per request\n\n{} sequential gets on one fresh client; the limit is 1 + 1/N = {:.3}.\n\n| client | round trips per request |\n|---|---|\n| atlas-transport (`fetch`) | {:.3} |\n| atlas-snapshots (`AtlasClient::get`) | {:.3} |",
            r.n,
            1.0 + 1.0 / r.n.max(1) as f64,
            r.transport,
            r.library
        );

        let _ = writeln!(
            s,
            "\n## Throughput: authenticated against the unauthenticated floor\n\nSame client, same server, same body; the floor is the mock's `/noauth` twin route. Target: ratio at least 0.95.\n\n| client | in flight | authenticated req/s | floor req/s | ratio |\n|---|---|---|---|---|"
        );
        for (what, c, auth, floor) in &self.throughput.rows {
            let _ = writeln!(
                s,
                "| {what} | {c} | {:.0} | {:.0} | {:.3} |",
                auth.per_second(),
                floor.per_second(),
                auth.per_second() / floor.per_second()
            );
        }

        let _ = writeln!(
            s,
            "\n## Peers on the same digest server\n\nRound trips are counted by the server. The last column is our throughput at the same concurrency divided by the peer's (targets: at least 8x Python `requests`, 1.3x `reqwest` + `diqwest`).\n\n| client | in flight | req/s (successful) | failed requests | round trips per request | ours / peer |\n|---|---|---|---|---|---|"
        );
        let ours: BTreeMap<usize, f64> = self
            .peers
            .rows
            .iter()
            .filter(|(n, _, _)| n.starts_with("atlas-transport"))
            .map(|(_, c, r)| (*c, r.per_second()))
            .collect();
        for (name, c, run) in &self.peers.rows {
            let ratio = if name.starts_with("atlas-transport") {
                "1.00x (ours)".to_owned()
            } else {
                ours.get(c)
                    .map_or("-".into(), |o| format!("{:.2}x", o / run.per_second()))
            };
            let _ = writeln!(
                s,
                "| {name} | {c} | {:.0} | {} of {} | {:.3} | {ratio} |",
                run.per_second(),
                run.failed,
                run.requests,
                run.trips_per_request()
            );
        }

        let _ = writeln!(
            s,
            "\n## The command line: one `get` of the seed snapshot\n\nMedian wall time over {} runs per sample (the median of {} samples, the two commands interleaved) and peak RSS. Targets: wall time no worse than `curl --digest`, peak RSS under 12 MiB.\n\n| command | wall time | peak RSS |\n|---|---|---|",
            z.cli_runs, z.runs
        );
        for (name, wall, rss) in &self.cli.rows {
            let _ = writeln!(
                s,
                "| {name} | {:.2} ms | {:.1} MiB |",
                wall * 1e3,
                *rss as f64 / 1024.0
            );
        }
        let wall_of = |name: &str| self.cli.rows.iter().find(|r| r.0 == name).map(|r| r.1);
        if let (Some(ours), Some(curl)) = (wall_of("atlas-snapshots get"), wall_of("curl --digest"))
        {
            let _ = writeln!(
                s,
                "\n`atlas-snapshots get` / `curl --digest` wall time: {:.2}",
                ours / curl
            );
        }
        s
    }
}

fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn summaries_of_our_programs_are_read_from_the_right_stream() {
        let run = own_program(
            sh("echo body; echo 'requests=3 statuses=200x3 round_trips=4 challenges=1 elapsed=0.500s' >&2"),
            3,
            Summary::Stderr,
            "elapsed",
        )
        .unwrap();
        assert_eq!((run.requests, run.round_trips, run.seconds), (3, 4.0, 0.5));
        assert!((run.per_second() - 6.0).abs() < 1e-9);
        let run = own_program(
            sh("echo 'ok=2 failed=0 round_trips=2 challenges=0 elapsed_s=0.25'"),
            2,
            Summary::Stdout,
            "elapsed_s",
        )
        .unwrap();
        assert_eq!((run.round_trips, run.seconds), (2.0, 0.25));
        assert!(own_program(sh("echo nothing"), 1, Summary::Stdout, "elapsed_s").is_err());
        assert!(own_program(sh("exit 3"), 1, Summary::Stdout, "elapsed_s").is_err());
    }

    #[test]
    fn medians_and_fields() {
        let run = |seconds| Run {
            requests: 10,
            failed: 0,
            seconds,
            round_trips: 10.0,
        };
        assert_eq!(median_by(vec![run(1.0), run(4.0), run(2.0)]).seconds, 2.0);
        let f = fields("a=1 b=x c");
        assert_eq!(
            (f.get("a"), f.get("b"), f.get("c")),
            (Some(&"1"), Some(&"x"), None)
        );
    }
}
