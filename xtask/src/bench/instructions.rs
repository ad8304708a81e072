//! Instructions per request, counted by callgrind: the one figure of the whole stack that other
//! work on the machine cannot move.
//!
//! CPU time per request on a shared 2-vCPU machine moves by several microseconds from round to
//! round, more than the authentication costs; an instruction count does not (beyond a few percent:
//! thread wake-ups and the allocator's paths still differ between runs). For each of our two
//! clients, authenticated and against the `/noauth` floor, callgrind counts the user-space
//! instructions of
//! - the client: the program run under callgrind twice, with a short and a long loop; the
//!   difference divided by the difference in requests leaves start-up, the first challenge and
//!   exit out;
//! - the server: `atlas-bench-mock` run under callgrind, serving the same two loops (the client
//!   runs natively), the same difference.
//!
//! Both clients are counted against the mock as Atlas answers (no `Authentication-Info`), and the
//! transport once more against the mock sending `Authentication-Info` (`rspauth`), the work a
//! server that sends it adds on both sides.
//!
//! Instructions are not time (a cache miss or an MD5 round costs more than a move), and the
//! kernel's share of the work (TCP on loopback) is not counted: this says where user-space work
//! goes and whether a change added or removed some, never whether a time target is met.
//!
//! Callgrind also simulates this CPU's first-level instruction cache (`--cache-sim=yes`; the
//! geometry it read off the CPU is printed with the table). The request path of either side is
//! far larger than that cache, so each distinct line of code a request runs misses about once:
//! the L1i misses per request say how much code authentication adds, which tracked the measured
//! microseconds better than instructions did (sessions 8 and 9). Also a count, not a time.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail, ensure};

use super::Ours;
use super::procs::{Auth, PASSWORD, USER};
use crate::util::have;

/// The two loop lengths (requests) whose difference is counted.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loops {
    pub(crate) short: u64,
    pub(crate) long: u64,
}

/// What the mock sends on an authenticated answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MockMode {
    /// As Atlas: no `Authentication-Info`.
    Atlas,
    /// `Authentication-Info` with `rspauth` on every authenticated answer.
    AuthenticationInfo,
}

impl MockMode {
    /// `atlas-bench-mock`'s arguments for this mode.
    fn args(self) -> &'static [&'static str] {
        match self {
            MockMode::Atlas => &[],
            MockMode::AuthenticationInfo => &["0", "--authentication-info"],
        }
    }

    fn label(self) -> &'static str {
        match self {
            MockMode::Atlas => "none (as Atlas)",
            MockMode::AuthenticationInfo => "`Authentication-Info`",
        }
    }
}

/// One client's counts, per request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) client: Ours,
    /// What the mock sent.
    pub(crate) mock: MockMode,
    /// Instructions (authenticated, floor) on the client.
    pub(crate) client_side: (f64, f64),
    /// Instructions (authenticated, floor) on the server.
    pub(crate) server_side: (f64, f64),
    /// L1i misses (authenticated, floor) on the client, if callgrind simulated the cache.
    pub(crate) client_i1: Option<(f64, f64)>,
    /// L1i misses (authenticated, floor) on the server.
    pub(crate) server_i1: Option<(f64, f64)>,
}

/// What one run under callgrind counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Instructions executed.
    pub(crate) ir: u64,
    /// First-level instruction cache misses (`None` without the cache simulation).
    pub(crate) i1mr: Option<u64>,
}

/// What this section measured, or why it did not.
#[derive(Debug, Clone, Default)]
pub(crate) struct Instructions {
    pub(crate) rows: Vec<Row>,
    pub(crate) loops: Option<Loops>,
    pub(crate) skipped: Option<String>,
    /// The simulated L1i, as callgrind describes it (`32768 B, 64 B, 8-way associative`).
    pub(crate) i1_cache: Option<String>,
}

/// Counts both clients, authenticated and floor, on both sides.
pub(crate) fn run(release: &Path, loops: Loops) -> Result<Instructions> {
    if !have("valgrind", "--version") {
        return Ok(Instructions {
            skipped: Some("valgrind is not installed (apt-get install valgrind)".into()),
            ..Instructions::default()
        });
    }
    ensure!(loops.long > loops.short, "the long loop must be longer");
    let dir = release.join("callgrind");
    std::fs::create_dir_all(&dir)?;
    let span = (loops.long - loops.short) as f64;
    let mut rows = Vec::new();
    for (client, mode) in [
        (Ours::Transport, MockMode::Atlas),
        (Ours::Library, MockMode::Atlas),
        (Ours::Transport, MockMode::AuthenticationInfo),
    ] {
        // (client, server) counts per request of one kind.
        let per_request = |auth: Auth| -> Result<(PerRequest, PerRequest)> {
            let (mut on_client, mut on_server) = ([Counts::default(); 2], [Counts::default(); 2]);
            for (j, n) in [loops.short, loops.long].into_iter().enumerate() {
                eprintln!(
                    "xtask bench: callgrind, {} {auth:?}, {n} requests",
                    client.label()
                );
                // The client counted, against a native server.
                let mock = Served::start(release, mode, None)?;
                on_client[j] = counted(client_command(release, client, &mock.base, auth, n), &dir)?;
                drop(mock);
                // The server counted, serving a native client.
                let log = dir.join("server.log");
                let mock = Served::start(release, mode, Some(&log))?;
                let status = client_command(release, client, &mock.base, auth, n)
                    .stdout(Stdio::null())
                    .status()?;
                ensure!(status.success(), "{} failed ({status})", client.label());
                on_server[j] = mock.stop_and_count(&log)?;
            }
            let per = |c: [Counts; 2]| PerRequest {
                ir: c[1].ir.saturating_sub(c[0].ir) as f64 / span,
                i1mr: c[0]
                    .i1mr
                    .zip(c[1].i1mr)
                    .map(|(a, b)| b.saturating_sub(a) as f64 / span),
            };
            Ok((per(on_client), per(on_server)))
        };
        let (client_auth, server_auth) = per_request(Auth::Digest)?;
        let (client_floor, server_floor) = per_request(Auth::Floor)?;
        rows.push(Row {
            client,
            mock: mode,
            client_side: (client_auth.ir, client_floor.ir),
            server_side: (server_auth.ir, server_floor.ir),
            client_i1: client_auth.i1mr.zip(client_floor.i1mr),
            server_i1: server_auth.i1mr.zip(server_floor.i1mr),
        });
    }
    let i1_cache = std::fs::read_to_string(dir.join("callgrind.out"))
        .ok()
        .and_then(|out| parse_i1_cache(&out));
    Ok(Instructions {
        rows,
        loops: Some(loops),
        skipped: None,
        i1_cache,
    })
}

/// Counts per request of one kind on one side.
#[derive(Debug, Clone, Copy)]
struct PerRequest {
    ir: f64,
    i1mr: Option<f64>,
}

/// `client`'s bench program, `n` sequential requests to the mock at `base` (not pinned: callgrind
/// runs one thread at a time anyway).
fn client_command(release: &Path, client: Ours, base: &str, auth: Auth, n: u64) -> Command {
    let mut cmd = Command::new(release.join(client.program()));
    cmd.args([client.url(base, auth), n.to_string(), "1".into()]);
    if auth == Auth::Digest {
        cmd.args([USER, PASSWORD]);
    }
    cmd
}

/// Runs `cmd` under callgrind; what it counted.
fn counted(cmd: Command, dir: &Path) -> Result<Counts> {
    let log = dir.join("client.log");
    let mut v = Command::new("valgrind");
    v.args(callgrind_args(dir, &log)).arg(cmd.get_program());
    v.args(cmd.get_args()).stdout(Stdio::null());
    let status = v.status().context("starting valgrind")?;
    ensure!(
        status.success(),
        "the client under callgrind failed ({status})"
    );
    collected(&log)
}

fn callgrind_args(dir: &Path, log: &Path) -> Vec<String> {
    vec![
        "--tool=callgrind".into(),
        "--cache-sim=yes".into(),
        format!(
            "--callgrind-out-file={}",
            dir.join("callgrind.out").display()
        ),
        format!("--log-file={}", log.display()),
    ]
}

/// The counts of a callgrind log's last `Collected :` line.
fn collected(log: &Path) -> Result<Counts> {
    let text =
        std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    parse_collected(&text).with_context(|| format!("no instruction count in {}", log.display()))
}

/// The last `Collected :` line's numbers, named by the last `Events :` line before it (only `Ir`
/// without the cache simulation; `Ir Dr Dw I1mr ...` with it). `None` without an `Ir` count.
fn parse_collected(text: &str) -> Option<Counts> {
    let mut events: Vec<&str> = vec!["Ir"];
    let mut last = None;
    for line in text.lines() {
        if let Some((_, names)) = line.split_once("Events    :") {
            events = names.split_whitespace().collect();
        } else if let Some((_, numbers)) = line.split_once("Collected :") {
            let numbers: Option<Vec<u64>> =
                numbers.split_whitespace().map(|n| n.parse().ok()).collect();
            let get = |name: &str| {
                let at = events.iter().position(|e| *e == name)?;
                numbers.as_ref()?.get(at).copied()
            };
            if let Some(ir) = get("Ir") {
                last = Some(Counts {
                    ir,
                    i1mr: get("I1mr"),
                });
            }
        }
    }
    last
}

/// The simulated L1i of a callgrind output file (`desc: I1 cache: 32768 B, 64 B, 8-way associative`).
fn parse_i1_cache(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix("desc: I1 cache:"))
        .map(|d| d.trim().to_owned())
}

/// `atlas-bench-mock`, natively or under callgrind (logging to `log`), ended when dropped.
struct Served {
    child: std::process::Child,
    /// Kept open: the mock ends when its standard output does.
    _stdout: BufReader<std::process::ChildStdout>,
    base: String,
}

impl Served {
    fn start(release: &Path, mode: MockMode, callgrind_log: Option<&PathBuf>) -> Result<Served> {
        let bin = release.join("atlas-bench-mock");
        let mut cmd = match callgrind_log {
            Some(log) => {
                let mut v = Command::new("valgrind");
                let dir = log.parent().context("a log directory")?;
                v.args(callgrind_args(dir, log)).arg(&bin);
                v
            }
            None => Command::new(&bin),
        };
        let mut child = cmd
            .args(mode.args())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("mock stdout")?;
        let mut stdout = BufReader::new(stdout);
        let mut first = String::new();
        stdout.read_line(&mut first)?;
        let Some(base) = first.strip_prefix("atlas-mock listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            bail!("unexpected mock banner: {first}");
        };
        Ok(Served {
            base: base.trim().to_owned(),
            child,
            _stdout: stdout,
        })
    }

    /// Ends the mock (its standard input closes) and reads its counts.
    fn stop_and_count(mut self, log: &Path) -> Result<Counts> {
        drop(self.child.stdin.take());
        let status = self.child.wait()?;
        ensure!(
            status.success(),
            "the mock under callgrind failed ({status})"
        );
        collected(log)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

impl Instructions {
    /// The section of `docs/benchmarks.md`.
    pub(crate) fn render(&self, s: &mut String) {
        s.push_str("\n## Instructions per request (callgrind, user space)\n\n");
        if let Some(why) = &self.skipped {
            let _ = writeln!(s, "Not measured: {why}.");
            return;
        }
        let Some(loops) = self.loops else { return };
        let _ = writeln!(
            s,
            "Counted, not timed: the one whole-stack figure that other work on the machine cannot move (the same build still moves by a few percent between runs: thread wake-ups and the allocator's paths differ). Each side is run under callgrind for a loop of {} and of {} sequential requests (the other side native); the difference over {} requests leaves start-up, the first challenge and exit out. User space only (the kernel's TCP work is not counted), and an instruction is not a unit of time: for where the work goes, not for the time targets.\n",
            loops.short,
            loops.long,
            loops.long - loops.short
        );
        s.push_str("| client | mock sends | side | authenticated | floor | authentication | authenticated / floor |\n|---|---|---|---|---|---|---|\n");
        for r in &self.rows {
            for (side, (auth, floor)) in [
                ("client", r.client_side),
                ("server (atlas-bench-mock)", r.server_side),
            ] {
                let _ = writeln!(
                    s,
                    "| {} | {} | {side} | {:.0} | {:.0} | {:.0} | {:.2} |",
                    r.client.label(),
                    r.mock.label(),
                    auth,
                    floor,
                    auth - floor,
                    auth / floor.max(1.0)
                );
            }
        }
        s.push('\n');
        self.render_i1(s);
        for both in self.rows.iter().filter(|r| r.client == Ours::Transport) {
            let auth = both.client_side.0 + both.server_side.0;
            let floor = both.client_side.1 + both.server_side.1;
            let _ = writeln!(
                s,
                "- {}, mock sending {}, both sides: {:.0} instructions per authenticated request against {:.0} on the floor (floor / authenticated {:.3}: the user-space share of the one-CPU throughput ratio).",
                both.client.label(),
                both.mock.label(),
                auth,
                floor,
                floor / auth.max(1.0)
            );
        }
    }
}

impl Instructions {
    /// The L1i table, when the cache was simulated.
    fn render_i1(&self, s: &mut String) {
        if self
            .rows
            .iter()
            .all(|r| r.client_i1.is_none() && r.server_i1.is_none())
        {
            return;
        }
        let _ = writeln!(
            s,
            "L1i misses per request, from the same runs (callgrind's simulation of this CPU's first-level instruction cache: {}). Either side's request path is far larger than that cache, so nearly every line of code a request runs misses once: the authenticated minus floor column is about how many lines of code authentication adds. A count, not a time.\n",
            self.i1_cache.as_deref().unwrap_or("geometry not reported")
        );
        s.push_str("| client | mock sends | side | authenticated | floor | authentication |\n|---|---|---|---|---|---|\n");
        for r in &self.rows {
            for (side, counts) in [
                ("client", r.client_i1),
                ("server (atlas-bench-mock)", r.server_i1),
            ] {
                let Some((auth, floor)) = counts else {
                    continue;
                };
                let _ = writeln!(
                    s,
                    "| {} | {} | {side} | {auth:.0} | {floor:.0} | {:.0} |",
                    r.client.label(),
                    r.mock.label(),
                    auth - floor
                );
            }
        }
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_the_last_collected_line() {
        let log = "==1== Callgrind\n==1== Events    : Ir\n==1== Collected : 164262308\n==1==\n";
        assert_eq!(
            parse_collected(log),
            Some(Counts {
                ir: 164_262_308,
                i1mr: None
            })
        );
        assert_eq!(parse_collected("no count"), None);
        assert_eq!(parse_collected("==1== Collected : x"), None);
    }

    #[test]
    fn with_the_cache_simulation_columns_are_read_by_name() {
        let log = "==7== Events    : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n\
                   ==7== Collected : 126545 27880 11769 1082 989 580 1064 780 548\n\
                   ==7== I   refs:      126,545\n";
        assert_eq!(
            parse_collected(log),
            Some(Counts {
                ir: 126_545,
                i1mr: Some(1082)
            })
        );
        let out =
            "version: 1\ndesc: I1 cache: 32768 B, 64 B, 8-way associative\ndesc: D1 cache: 1 B\n";
        assert_eq!(
            parse_i1_cache(out).as_deref(),
            Some("32768 B, 64 B, 8-way associative")
        );
        assert_eq!(parse_i1_cache("desc: D1 cache: x"), None);
    }

    #[test]
    fn the_table_says_the_difference() {
        let mut s = String::new();
        Instructions {
            rows: vec![Row {
                client: Ours::Transport,
                mock: MockMode::Atlas,
                client_side: (54_000.0, 41_000.0),
                server_side: (97_000.0, 68_000.0),
                client_i1: Some((2600.0, 2230.0)),
                server_i1: None,
            }],
            loops: Some(Loops {
                short: 500,
                long: 2500,
            }),
            skipped: None,
            i1_cache: Some("32768 B, 64 B, 8-way associative".into()),
        }
        .render(&mut s);
        assert!(
            s.contains(
                "| atlas-transport | none (as Atlas) | client | 54000 | 41000 | 13000 | 1.32 |"
            ),
            "{s}"
        );
        assert!(
            s.contains(
                "| atlas-transport | none (as Atlas) | server (atlas-bench-mock) | 97000 | 68000 | 29000 | 1.43 |"
            ),
            "{s}"
        );
        assert!(
            s.contains("151000 instructions per authenticated request against 109000"),
            "{s}"
        );
        assert!(s.contains("32768 B, 64 B, 8-way associative"), "{s}");
        assert!(
            s.contains("| atlas-transport | none (as Atlas) | client | 2600 | 2230 | 370 |"),
            "{s}"
        );
        // A side without the simulation gets no row.
        assert_eq!(s.matches("| 2600 |").count(), 1, "{s}");
        let mut s = String::new();
        Instructions {
            skipped: Some("valgrind is not installed".into()),
            ..Instructions::default()
        }
        .render(&mut s);
        assert!(s.contains("Not measured: valgrind is not installed."));
    }
}
