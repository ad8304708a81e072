//! `cargo xtask bench [--rounds N] [--quick]`: every benchmark side by side in one run, written to
//! `docs/benchmarks.md`.
//!
//! The method (issue 12): on a 2-vCPU machine where the kernel places threads decides a loopback
//! run by a factor of 3, every process is pinned with `taskset`, every side's CPU time is
//! measured, and every figure is the median of N interleaved rounds (default 7) with its spread.
//!
//! 1. Micro (criterion, pinned to CPU 1): `cargo bench -p atlas-digest -p atlas-model`; each
//!    benchmark beside the floor of its group (the benchmark named `*floor*` or `bare*`).
//! 2. Against `atlas-bench-mock` (release build, pinned to CPU 0; it reports its own process CPU
//!    time before and after each run) in two placements of the client: on CPU 0 with the server
//!    (wall time = both sides' CPU, no cross-CPU wake-ups) and on CPU 1 (split). Per round, for
//!    each placement: our transport (`atlas-bench-transport`) and library (`atlas-bench-client`),
//!    authenticated and against the `/noauth` floor, at 1 and 64 in flight; the peers on the same
//!    server (`reqwest` + `diqwest`, Python `requests`, curl). Each client reports the CPU time of
//!    its request loop; the server's is the difference of its two readings.
//!    Then, on one CPU, the two controls of the authentication cost (`controls`): the same
//!    paired method with nothing authenticated, and with only the work any Digest client does.
//! 3. Challenges: 5,000 authenticated requests at 1, 16, 64 and 256 in flight; the client's
//!    challenge and round-trip counts.
//! 4. The CLI: wall time and peak RSS of `atlas-snapshots get` against `curl --digest`.
//! 5. `--digest-session-cache`: 20 sequential `get` processes with and without the flag (wall
//!    time, requests and `401`s the mock counted); `--digest-cache-only` runs just this.
//!
//! Nothing here asserts a timing; it prints and records, and says plainly which target is missed.

mod cli;
mod controls;
mod digest_cache;
mod download;
mod instructions;
mod micro;
mod procs;
mod report;
mod stats;

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail, ensure};

use crate::util::{cargo, exec_in, root};
use procs::{
    Auth, Mock, PASSWORD, Placement, Sample, USER, measure, measure_paired, measure_silent, pinned,
};
use report::Report;

/// The sizes of one bench run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) rounds: usize,
    pub(crate) sequential: u64,
    pub(crate) concurrent: u64,
    pub(crate) processes: u64,
    pub(crate) python: u64,
    pub(crate) challenge_requests: u64,
    pub(crate) cli_runs: usize,
    pub(crate) quick: bool,
    /// Only the download section (the rest of the report is left out).
    pub(crate) downloads_only: bool,
    /// Only the digest session cache section.
    pub(crate) digest_cache_only: bool,
    /// Only the instruction counts (callgrind).
    pub(crate) instructions_only: bool,
}

/// `get` processes per series of the digest session cache section (the 20).
const DIGEST_CACHE_RUNS: usize = 20;

const USAGE: &str = "usage: cargo xtask bench [--rounds N] [--quick] [--downloads-only] [--digest-cache-only] [--instructions-only]";

fn parse(args: &[String]) -> Result<Sizes> {
    let mut sizes = Sizes {
        rounds: 7,
        sequential: 5_000,
        concurrent: 20_000,
        processes: 100,
        python: 500,
        challenge_requests: 5_000,
        cli_runs: 20,
        quick: false,
        downloads_only: false,
        digest_cache_only: false,
        instructions_only: false,
    };
    let mut rounds = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // `--runs` is the old name.
            "--rounds" | "--runs" => {
                let v = it.next().context("--rounds needs a number")?;
                let n: usize = v.parse().with_context(|| format!("--rounds: `{v}`"))?;
                ensure!(n > 0, "--rounds must be at least 1");
                rounds = Some(n);
            }
            "--downloads-only" => sizes.downloads_only = true,
            "--digest-cache-only" => sizes.digest_cache_only = true,
            "--instructions-only" => sizes.instructions_only = true,
            "--quick" => {
                sizes = Sizes {
                    rounds: 3,
                    sequential: 300,
                    concurrent: 1_500,
                    processes: 10,
                    python: 100,
                    challenge_requests: 1_000,
                    cli_runs: 5,
                    quick: true,
                    downloads_only: sizes.downloads_only,
                    digest_cache_only: sizes.digest_cache_only,
                    instructions_only: sizes.instructions_only,
                };
            }
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    if let Some(n) = rounds {
        sizes.rounds = n;
    }
    Ok(sizes)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    let sizes = parse(args)?;
    procs::require_taskset()?;
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    ensure!(
        cpus >= 2,
        "the bench pins the server to CPU 0 and the split client to CPU 1: it needs 2 CPUs"
    );
    let root = root();
    let release = root.join("target").join("release");
    build(&root)?;
    // Downloads use `atlas-snapshots mock` (its flex download route), one per archive size.
    let archive_mib: &[u64] = if sizes.quick { &[16, 64] } else { &[64, 1024] };
    let download_rounds = sizes.rounds.min(5);
    if sizes.downloads_only {
        let d = download::run(&release, archive_mib, download_rounds)?;
        let mut text = String::new();
        d.render(&mut text);
        for (target, at, measured, verdict) in d.targets() {
            text.push_str(&format!(
                "\n- {target}, {at}: {measured}, {}",
                verdict.word()
            ));
        }
        println!("{text}");
        eprintln!("xtask bench: downloads only; docs/benchmarks.md left as it was");
        return Ok(());
    }
    if sizes.digest_cache_only {
        let d = digest_cache::run(&release, sizes.rounds, DIGEST_CACHE_RUNS)?;
        let mut text = String::new();
        d.render(&mut text);
        println!("{text}");
        eprintln!("xtask bench: digest session cache only; docs/benchmarks.md left as it was");
        return Ok(());
    }
    let loops = if sizes.quick {
        instructions::Loops {
            short: 100,
            long: 500,
        }
    } else {
        instructions::Loops {
            short: 500,
            long: 2500,
        }
    };
    if sizes.instructions_only {
        let i = instructions::run(&release, loops)?;
        let mut text = String::new();
        i.render(&mut text);
        println!("{text}");
        eprintln!("xtask bench: instructions only; docs/benchmarks.md left as it was");
        return Ok(());
    }
    let mut report = Report::new(&root, sizes)?;
    report.instructions = instructions::run(&release, loops)?;
    report.micro = micro::run(&root, Placement::Split.client_cpu(), sizes.quick)?;
    report.floor_ratios = micro::floor_ratios(&root, Placement::Split.client_cpu())?;

    let mut mock = Mock::start(&release.join("atlas-bench-mock"))?;
    let peers_bin = root
        .join("target")
        .join("peers")
        .join("release")
        .join("atlas-bench-peers");
    for round in 0..sizes.rounds {
        eprintln!("xtask bench: round {} of {}", round + 1, sizes.rounds);
        for placement in [Placement::OneCpu, Placement::Split] {
            for (in_flight, count) in [(1, sizes.sequential), (64, sizes.concurrent)] {
                for client in [Ours::Transport, Ours::Library] {
                    // Authenticated and floor in one process, block by block, so that drift
                    // hits both alike.
                    let cmd = client.paired_command(&release, &mock, placement, count, in_flight);
                    let (authed, floor) = measure_paired(cmd, count)?;
                    report
                        .ours
                        .push(((client, placement, in_flight, Auth::Digest), authed));
                    report
                        .ours
                        .push(((client, placement, in_flight, Auth::Floor), floor));
                }
                let s = peer_diqwest(&mut mock, &peers_bin, placement, count, in_flight)?;
                report
                    .peers
                    .push(((Peer::Diqwest, placement, in_flight), s));
            }
            let s = peer_python(&root, &mut mock, placement, sizes.python)?;
            report.peers.push(((Peer::Python, placement, 1), s));
            let s = curl_many(&mut mock, placement, sizes.python)?;
            report.peers.push(((Peer::CurlMany, placement, 1), s));
            let s = curl_processes(&mut mock, placement, sizes.processes)?;
            report.peers.push(((Peer::CurlProcesses, placement, 1), s));
        }
        // The controls of the authentication cost, in the same round (one CPU).
        for (in_flight, count) in [(1, sizes.sequential), (64, sizes.concurrent)] {
            for control in controls::Control::ALL {
                let cmd = control.command(&release, &mock, count, in_flight);
                let pair = measure_paired(cmd, count)?;
                report.controls.runs.push(((control, in_flight), pair));
            }
        }
    }
    for in_flight in [1u64, 16, 64, 256] {
        for client in [Ours::Transport, Ours::Library] {
            let n = sizes.challenge_requests;
            let cmd = client.command(
                &release,
                &mock,
                Placement::Split,
                Auth::Digest,
                n,
                in_flight,
            );
            let s = measure(&mut mock, cmd, n, false, false)?;
            report.challenges.push(((client, in_flight), s));
        }
    }
    report.cli = cli::run(&release, &mock, sizes.rounds.min(3), sizes.cli_runs)?;
    drop(mock);
    report.digest_cache = digest_cache::run(&release, sizes.rounds, DIGEST_CACHE_RUNS)?;
    report.downloads = download::run(&release, archive_mib, download_rounds)?;
    report.finish();

    let path = root.join("docs").join("benchmarks.md");
    std::fs::create_dir_all(path.parent().expect("docs/ has a parent"))?;
    let text = report.render();
    std::fs::write(&path, &text)?;
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
            "--bin",
            "atlas-bench-transport",
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

/// Our two load programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ours {
    /// `atlas-bench-transport`: `atlas_transport::Client`, no decoding.
    Transport,
    /// `atlas-bench-client`: typed gets through `AtlasClient`.
    Library,
}

impl Ours {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Ours::Transport => "atlas-transport",
            Ours::Library => "atlas-snapshots (AtlasClient)",
        }
    }

    /// The bench program (in the release directory).
    pub(crate) fn program(self) -> &'static str {
        match self {
            Ours::Transport => "atlas-bench-transport",
            Ours::Library => "atlas-bench-client",
        }
    }

    /// What the program is pointed at on the mock at `base`: the seed snapshot's URL for the
    /// transport, the base URL for the library (each under `/noauth` for the floor).
    pub(crate) fn url(self, base: &str, auth: Auth) -> String {
        match (self, auth) {
            (Ours::Transport, _) => procs::seed_url(base, auth),
            (Ours::Library, Auth::Digest) => base.to_owned(),
            (Ours::Library, Auth::Floor) => format!("{base}/noauth"),
        }
    }

    /// The paired form of the program: authenticated and floor clients in alternating blocks
    /// (see `atlas_integration_tests::bench::drive_paired`), `count` requests of each.
    fn paired_command(
        self,
        release: &Path,
        mock: &Mock,
        placement: Placement,
        count: u64,
        in_flight: u64,
    ) -> Command {
        let bin = self.program();
        let (authed, floor) = (
            self.url(&mock.base, Auth::Digest),
            self.url(&mock.base, Auth::Floor),
        );
        let mut cmd = pinned(placement.client_cpu(), release.join(bin));
        paired_args(&mut cmd, mock, &floor, &authed, count, in_flight);
        cmd
    }

    fn command(
        self,
        release: &Path,
        mock: &Mock,
        placement: Placement,
        auth: Auth,
        count: u64,
        in_flight: u64,
    ) -> Command {
        let (bin, target) = (self.program(), self.url(&mock.base, auth));
        let mut cmd = pinned(placement.client_cpu(), release.join(bin));
        cmd.args([target, count.to_string(), in_flight.to_string()]);
        if auth == Auth::Digest {
            cmd.args([USER, PASSWORD]);
        }
        cmd
    }
}

/// Appends a paired run's arguments to a bench program's command: `first` (the authenticated
/// kind, or a control's) against `floor`, `count` requests each at `in_flight`, reading the CPU
/// time of `mock` between blocks.
pub(crate) fn paired_args(
    cmd: &mut Command,
    mock: &Mock,
    floor: &str,
    first: &str,
    count: u64,
    in_flight: u64,
) {
    cmd.arg("--paired").arg(floor);
    cmd.args([paired_block(count).to_string(), mock.pid().to_string()]);
    cmd.arg(first)
        .args([count.to_string(), in_flight.to_string()]);
    cmd.args([USER, PASSWORD]);
}

/// The block of a paired run of `count` requests per kind: 20 blocks of each kind.
fn paired_block(count: u64) -> u64 {
    count.div_ceil(PAIRED_BLOCKS).max(1)
}

/// Blocks of each kind in a paired run.
const PAIRED_BLOCKS: u64 = 20;

/// The peers on the same server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Peer {
    Diqwest,
    Python,
    CurlMany,
    CurlProcesses,
}

impl Peer {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Peer::Diqwest => "reqwest + diqwest (cached session)",
            Peer::Python => "Python requests + HTTPDigestAuth (Session)",
            Peer::CurlMany => "curl --digest, one process, many URLs",
            Peer::CurlProcesses => "curl --digest, a process per request",
        }
    }
}

fn peer_diqwest(
    mock: &mut Mock,
    bin: &Path,
    placement: Placement,
    count: u64,
    in_flight: u64,
) -> Result<Sample> {
    let mut cmd = pinned(placement.client_cpu(), bin);
    cmd.args([
        mock.url(Auth::Digest),
        USER.into(),
        PASSWORD.into(),
        count.to_string(),
        in_flight.to_string(),
    ]);
    measure(mock, cmd, count, true, false)
}

fn peer_python(root: &Path, mock: &mut Mock, placement: Placement, count: u64) -> Result<Sample> {
    let script = root.join("bench").join("peers").join("python_requests.py");
    let mut cmd = pinned(placement.client_cpu(), "python3");
    cmd.arg(&script).args([
        mock.url(Auth::Digest),
        USER.into(),
        PASSWORD.into(),
        count.to_string(),
    ]);
    measure(mock, cmd, count, true, false)
}

fn curl_args() -> Vec<String> {
    [
        "-sf",
        "--digest",
        "-u",
        &format!("{USER}:{PASSWORD}"),
        "-H",
        "Accept: application/json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn curl_many(mock: &mut Mock, placement: Placement, count: u64) -> Result<Sample> {
    let url = mock.url(Auth::Digest);
    measure_silent(mock, count, || {
        let mut cmd = pinned(placement.client_cpu(), "curl");
        cmd.args(curl_args());
        for _ in 0..count {
            cmd.args(["-o", "/dev/null", &url]);
        }
        ensure!(cmd.status()?.success(), "curl failed");
        Ok(())
    })
}

fn curl_processes(mock: &mut Mock, placement: Placement, count: u64) -> Result<Sample> {
    let url = mock.url(Auth::Digest);
    measure_silent(mock, count, || {
        for _ in 0..count {
            let st = pinned(placement.client_cpu(), "curl")
                .args(curl_args())
                .args(["-o", "/dev/null", &url])
                .status()?;
            ensure!(st.success(), "curl failed");
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse(&args(&[])).unwrap().rounds, 7);
        let q = parse(&args(&["--rounds", "9", "--quick"])).unwrap();
        assert!(q.quick);
        assert_eq!(q.rounds, 9, "--rounds wins over --quick's default");
        assert_eq!(parse(&args(&["--runs", "8"])).unwrap().rounds, 8);
        assert!(parse(&args(&["--rounds", "0"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        assert_eq!(paired_block(5_000), 250);
        assert_eq!(paired_block(20_001), 1_001);
        assert_eq!(paired_block(3), 1);
        assert!(
            parse(&args(&["--digest-cache-only"]))
                .unwrap()
                .digest_cache_only
        );
    }
}
