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
    /// (authenticated, floor) on the client.
    pub(crate) client_side: (f64, f64),
    /// (authenticated, floor) on the server.
    pub(crate) server_side: (f64, f64),
}

/// What this section measured, or why it did not.
#[derive(Debug, Clone, Default)]
pub(crate) struct Instructions {
    pub(crate) rows: Vec<Row>,
    pub(crate) loops: Option<Loops>,
    pub(crate) skipped: Option<String>,
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
        // (client, server) instructions per request of one kind.
        let per_request = |auth: Auth| -> Result<(f64, f64)> {
            let (mut on_client, mut on_server) = ([0u64; 2], [0u64; 2]);
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
            let per = |c: [u64; 2]| c[1].saturating_sub(c[0]) as f64 / span;
            Ok((per(on_client), per(on_server)))
        };
        let (client_auth, server_auth) = per_request(Auth::Digest)?;
        let (client_floor, server_floor) = per_request(Auth::Floor)?;
        rows.push(Row {
            client,
            mock: mode,
            client_side: (client_auth, client_floor),
            server_side: (server_auth, server_floor),
        });
    }
    Ok(Instructions {
        rows,
        loops: Some(loops),
        skipped: None,
    })
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

/// Runs `cmd` under callgrind; the instructions it executed.
fn counted(cmd: Command, dir: &Path) -> Result<u64> {
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
        format!(
            "--callgrind-out-file={}",
            dir.join("callgrind.out").display()
        ),
        format!("--log-file={}", log.display()),
    ]
}

/// The `Collected : N` line of a callgrind log.
fn collected(log: &Path) -> Result<u64> {
    let text =
        std::fs::read_to_string(log).with_context(|| format!("reading {}", log.display()))?;
    parse_collected(&text).with_context(|| format!("no instruction count in {}", log.display()))
}

fn parse_collected(text: &str) -> Option<u64> {
    text.lines()
        .filter_map(|l| l.split_once("Collected :"))
        .filter_map(|(_, n)| n.trim().parse().ok())
        .next_back()
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

    /// Ends the mock (its standard input closes) and reads its count.
    fn stop_and_count(mut self, log: &Path) -> Result<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_the_last_collected_line() {
        let log = "==1== Callgrind\n==1== Events    : Ir\n==1== Collected : 164262308\n==1==\n";
        assert_eq!(parse_collected(log), Some(164_262_308));
        assert_eq!(parse_collected("no count"), None);
        assert_eq!(parse_collected("==1== Collected : x"), None);
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
            }],
            loops: Some(Loops {
                short: 500,
                long: 2500,
            }),
            skipped: None,
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
        let mut s = String::new();
        Instructions {
            skipped: Some("valgrind is not installed".into()),
            ..Instructions::default()
        }
        .render(&mut s);
        assert!(s.contains("Not measured: valgrind is not installed."));
    }
}
