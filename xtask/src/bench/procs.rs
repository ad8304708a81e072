//! The processes of a network measurement: the bench mock (pinned to CPU 0, asked for its CPU time
//! before and after each run), and the clients (ours and the peers), each pinned by `taskset` to
//! the CPU its placement names.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Lines, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};

use crate::util::{output_in, root};

pub(crate) const SEED_PATH: &str = "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots/5cc310ace5dc7ce369814bc8";
pub(crate) const USER: &str = "bench";
pub(crate) const PASSWORD: &str = "bench-secret";

/// The seed snapshot's URL on the mock at `base` (under `/noauth` for the floor).
pub(crate) fn seed_url(base: &str, auth: Auth) -> String {
    match auth {
        Auth::Digest => format!("{base}{SEED_PATH}"),
        Auth::Floor => format!("{base}/noauth{SEED_PATH}"),
    }
}

/// The CPU the server is pinned to.
const SERVER_CPU: &str = "0";

/// Where the client runs relative to the server (which is always on CPU 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Placement {
    /// Client and server pinned to CPU 0: wall time is the sum of both sides' CPU time, with no
    /// cross-CPU wake-ups; the stable figure.
    OneCpu,
    /// Server on CPU 0, client on CPU 1: every request costs cross-CPU wake-ups.
    Split,
}

impl Placement {
    pub(crate) const fn client_cpu(self) -> &'static str {
        match self {
            Placement::OneCpu => "0",
            Placement::Split => "1",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Placement::OneCpu => "one CPU (both on 0)",
            Placement::Split => "split (server 0, client 1)",
        }
    }
}

/// `program` started under `taskset -c cpu`.
pub(crate) fn pinned(cpu: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("taskset");
    cmd.args(["-c", cpu]).arg(program);
    cmd
}

/// Fails with the way out when `taskset` (util-linux) is missing.
pub(crate) fn require_taskset() -> Result<()> {
    let ok = Command::new("taskset")
        .args(["-c", "0", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    ensure!(
        ok,
        "pinning needs `taskset` (apt-get install util-linux) and CPU 0"
    );
    Ok(())
}

/// The bench mock, pinned to CPU 0, ended when dropped (its standard input closes).
pub(crate) struct Mock {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
    pub(crate) base: String,
}

impl Mock {
    pub(crate) fn start(bin: &Path) -> Result<Mock> {
        let mut child = pinned(SERVER_CPU, bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("mock stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().context("the mock printed nothing")??;
        let base = first
            .strip_prefix("atlas-mock listening on ")
            .with_context(|| format!("unexpected mock banner: {first}"))?
            .trim()
            .to_owned();
        Ok(Mock {
            child,
            stdin,
            lines,
            base,
        })
    }

    pub(crate) fn url(&self, auth: Auth) -> String {
        seed_url(&self.base, auth)
    }

    /// The server's process id (`taskset` runs it in its own place).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's process CPU seconds so far (it answers `cpu` on its stdin).
    pub(crate) fn cpu(&mut self) -> Result<f64> {
        let stdin = self.stdin.as_mut().context("mock stdin closed")?;
        stdin.write_all(b"cpu\n")?;
        stdin.flush()?;
        for line in self.lines.by_ref() {
            let line = line?;
            if let Some(v) = line.trim().strip_prefix("cpu_s=") {
                return v.parse().with_context(|| format!("mock said `{line}`"));
            }
        }
        bail!("the mock ended before telling its CPU time")
    }

    /// Requests the mock has answered so far (admin routes excluded).
    pub(crate) fn requests(&self) -> Result<u64> {
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
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Authenticated (digest) or the unauthenticated floor (the mock's `/noauth` twin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Auth {
    Digest,
    Floor,
}

/// One measured run of a client.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Sample {
    pub(crate) requests: u64,
    pub(crate) failed: u64,
    pub(crate) wall_s: f64,
    /// The client's own CPU time during its loop, if it reports one.
    pub(crate) client_cpu_s: Option<f64>,
    pub(crate) server_cpu_s: f64,
    pub(crate) round_trips: f64,
    pub(crate) challenges: Option<u64>,
}

impl Sample {
    /// Successful requests per second.
    pub(crate) fn per_second(&self) -> f64 {
        (self.requests.saturating_sub(self.failed)) as f64 / self.wall_s.max(1e-9)
    }
    pub(crate) fn client_us(&self) -> Option<f64> {
        self.client_cpu_s
            .map(|c| c * 1e6 / self.requests.max(1) as f64)
    }
    pub(crate) fn server_us(&self) -> f64 {
        self.server_cpu_s * 1e6 / self.requests.max(1) as f64
    }
    pub(crate) fn trips_per_request(&self) -> f64 {
        self.round_trips / self.requests.max(1) as f64
    }
}

/// `key=value` pairs of a summary line.
pub(crate) fn fields(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

/// Runs `cmd` (one of our bench programs or a peer that prints a summary line on stdout) between
/// two readings of the server's CPU clock. With `server_counts`, round trips are counted by the
/// server (for peers that do not count them); otherwise the summary's `round_trips=` is used.
/// `must_succeed`: our programs must; a peer's failures are recorded as a result.
pub(crate) fn measure(
    mock: &mut Mock,
    mut cmd: Command,
    requests: u64,
    server_counts: bool,
    must_succeed: bool,
) -> Result<Sample> {
    let name = cmd.get_args().nth(2).map_or_else(
        || cmd.get_program().to_string_lossy().into_owned(),
        |a| a.to_string_lossy().into_owned(),
    );
    let before = if server_counts { mock.requests()? } else { 0 };
    let cpu0 = mock.cpu()?;
    let t0 = Instant::now();
    let out = cmd.output().with_context(|| format!("running {name}"))?;
    let wall = t0.elapsed().as_secs_f64();
    let cpu1 = mock.cpu()?;
    let after = if server_counts { mock.requests()? } else { 0 };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        !must_succeed || out.status.success(),
        "{name} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let f = fields(stdout.lines().last().unwrap_or_default());
    let num = |k: &str| {
        f.get(k)
            .and_then(|v| v.trim_end_matches('s').parse::<f64>().ok())
    };
    let failed = f
        .get("failed")
        .and_then(|v| v.parse().ok())
        .with_context(|| {
            format!(
                "{name} printed no summary ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    let round_trips = if server_counts {
        (after - before) as f64
    } else {
        num("round_trips").with_context(|| format!("round_trips= in the summary of {name}"))?
    };
    Ok(Sample {
        requests,
        failed,
        // The program's own loop time when it reports one (start-up excluded), else ours.
        wall_s: num("elapsed_s").unwrap_or(wall),
        client_cpu_s: num("cpu_s"),
        server_cpu_s: cpu1 - cpu0,
        round_trips,
        challenges: f.get("challenges").and_then(|v| v.parse().ok()),
    })
}

/// Runs a paired program (ours with `--paired`): its `kind=auth` and `kind=floor` lines, each
/// with the server's CPU time over that kind's blocks as the program read it. `(auth, floor)`.
pub(crate) fn measure_paired(mut cmd: Command, requests: u64) -> Result<(Sample, Sample)> {
    let name = cmd.get_args().nth(2).map_or_else(
        || cmd.get_program().to_string_lossy().into_owned(),
        |a| a.to_string_lossy().into_owned(),
    );
    let out = cmd.output().with_context(|| format!("running {name}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(
        out.status.success(),
        "{name} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let kind = |k: &str| -> Result<Sample> {
        let line = stdout
            .lines()
            .find(|l| fields(l).get("kind") == Some(&k))
            .with_context(|| format!("{name} printed no kind={k} line: {stdout}"))?;
        paired_sample(line, requests).with_context(|| format!("{name}: `{line}`"))
    };
    Ok((kind("auth")?, kind("floor")?))
}

/// One `kind=` line of a paired program.
fn paired_sample(line: &str, requests: u64) -> Result<Sample> {
    let f = fields(line);
    let num = |k: &str| -> Result<f64> {
        f.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .with_context(|| format!("no {k}="))
    };
    Ok(Sample {
        requests,
        failed: num("failed")? as u64,
        wall_s: num("elapsed_s")?,
        client_cpu_s: Some(num("cpu_s")?),
        server_cpu_s: num("server_cpu_s")?,
        round_trips: num("round_trips")?,
        challenges: Some(num("challenges")? as u64),
    })
}

/// A peer without a summary line (curl): its wall time, round trips counted by the server.
pub(crate) fn measure_silent(
    mock: &mut Mock,
    requests: u64,
    run: impl FnOnce() -> Result<()>,
) -> Result<Sample> {
    let before = mock.requests()?;
    let cpu0 = mock.cpu()?;
    let t0 = Instant::now();
    run()?;
    let wall_s = t0.elapsed().as_secs_f64();
    let cpu1 = mock.cpu()?;
    let after = mock.requests()?;
    Ok(Sample {
        requests,
        failed: 0,
        wall_s,
        client_cpu_s: None,
        server_cpu_s: cpu1 - cpu0,
        round_trips: (after - before) as f64,
        challenges: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_and_fields() {
        let s = Sample {
            requests: 1000,
            failed: 0,
            wall_s: 0.5,
            client_cpu_s: Some(0.02),
            server_cpu_s: 0.03,
            round_trips: 1001.0,
            challenges: Some(1),
        };
        assert!((s.per_second() - 2000.0).abs() < 1e-9);
        assert!((s.client_us().unwrap() - 20.0).abs() < 1e-9);
        assert!((s.server_us() - 30.0).abs() < 1e-9);
        assert!((s.trips_per_request() - 1.001).abs() < 1e-9);
        let f = fields("a=1 b=x c");
        assert_eq!(
            (f.get("a"), f.get("b"), f.get("c")),
            (Some(&"1"), Some(&"x"), None)
        );
        assert_eq!(Placement::OneCpu.client_cpu(), SERVER_CPU);
        let p = paired_sample(
            "kind=auth ok=10 failed=0 round_trips=11 challenges=1 elapsed_s=0.5 cpu_s=0.25 server_cpu_s=0.125",
            10,
        )
        .unwrap();
        assert_eq!(
            (
                p.failed,
                p.wall_s,
                p.client_cpu_s,
                p.server_cpu_s,
                p.round_trips,
                p.challenges
            ),
            (0, 0.5, Some(0.25), 0.125, 11.0, Some(1))
        );
        assert!(paired_sample("kind=auth ok=10", 10).is_err());
        assert_ne!(Placement::Split.client_cpu(), SERVER_CPU);
    }
}
