//! `cargo xtask stress [--runs N] [--load K] [--only NAME] [--list]`: the concurrency-, time- and
//! network-sensitive test binaries, run N times each (default 50) with K CPU-bound load processes
//! beside them (default: one per CPU).
//!
//! A test that passes by scheduling luck fails here: the load processes take the CPUs away from the
//! test at arbitrary moments, so every interleaving the tests allow gets its chance. The task builds
//! the test binaries once (`cargo test --workspace --no-run`, the build `cargo xtask ci` makes, so
//! after it nothing is rebuilt), runs each listed binary N times, prints passes/runs per binary and
//! the output of every failed run, and fails if any run failed or hung (a run is given
//! [`RUN_LIMIT`]; a hang is a failure, never a retry).
//!
//! The list of stressed binaries is [`STRESSED`], the one place to add a test binary.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::util::{cargo, root, show};

/// One stressed test binary: an integration test target (`tests/<test>.rs`) or a crate's unit tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stressed {
    /// The package (`cargo test -p <package>`).
    pub(crate) package: &'static str,
    /// The integration test target name, or [`UNIT`] for the library's own unit tests.
    pub(crate) test: &'static str,
    /// Arguments for the test binary (a test name filter, for instance); usually none.
    pub(crate) args: &'static [&'static str],
    /// What makes it sensitive to scheduling (shown by `--list`).
    pub(crate) why: &'static str,
}

/// [`Stressed::test`] for the unit tests of a package's library.
pub(crate) const UNIT: &str = "lib";

/// Every test binary `cargo xtask stress` runs. Add a binary here when its tests touch concurrency,
/// time or the network; keep the reason short.
pub(crate) const STRESSED: &[Stressed] = &[
    Stressed {
        package: "atlas-digest",
        test: "saved_session",
        args: &[],
        why: "clients sharing a saved session in any order: no (nonce, nc) pair twice",
    },
    Stressed {
        package: "atlas-transport",
        test: "digest_session",
        args: &[],
        why: "clients sharing a digest session store at once against a loopback server",
    },
    Stressed {
        package: "atlas-snapshots-cli",
        test: "digest_session_cache",
        args: &[],
        why: "--digest-session-cache: processes at once on one cache file (flock), the mock's journal",
    },
    Stressed {
        package: "atlas-mock",
        test: "flex_backups",
        args: &[],
        why: "restore lifecycles on the mock clock, download links, cut transfers, concurrent readers",
    },
    Stressed {
        package: "atlas-mock",
        test: "oauth",
        args: &[],
        why: "token expiry, the live-token limit and the token rate limit on the mock clock",
    },
    Stressed {
        package: "atlas-mock",
        test: "dedicated",
        args: &[],
        why: "on-demand snapshot lifecycles on the mock clock, curl on loopback",
    },
    Stressed {
        package: "atlas-mock",
        test: "foreign_downloads",
        args: &[],
        why: "curl and Python cut mid-transfer and resuming against a loopback mock",
    },
    Stressed {
        package: "atlas-snapshots",
        test: "mock_backups",
        args: &[],
        why: "the flex client against atlas-mock: a cut download resumed, a restore waited for",
    },
    Stressed {
        package: "atlas-snapshots-cli",
        test: "mock_command",
        args: &[],
        why: "the mock command as a child process: ready file, signals, curl and Python clients",
    },
    Stressed {
        package: "atlas-digest",
        test: "proptests",
        args: &["nc_is_unique_and_increasing_across_threads"],
        why: "threads sharing one digest client: nc unique, increasing, no request starved",
    },
    Stressed {
        package: "atlas-digest",
        test: "lease",
        args: &[],
        why: "the nc lease step by step, and threads blocking on a shared span",
    },
    Stressed {
        package: "atlas-integration-tests",
        test: "full_stack",
        args: &[],
        why: "the whole stack against atlas-mock: concurrent first requests, 64 tasks in steady state",
    },
    Stressed {
        package: "atlas-transport",
        test: "digest_concurrency",
        args: &[],
        why: "the nc lease: 1..1024 concurrent first requests, steady state, stale, cancellation",
    },
    Stressed {
        package: "atlas-transport",
        test: "lease_props",
        args: &[],
        why: "property: any requests dropped in flight or waiting, the queue never wedges",
    },
    Stressed {
        package: "atlas-transport",
        test: "digest",
        args: &[],
        why: "digest round trips, stale nonces, rejections against a loopback server",
    },
    Stressed {
        package: "atlas-transport",
        test: "limits",
        args: &[],
        why: "timeouts against hanging servers, connection reuse",
    },
    Stressed {
        package: "atlas-transport",
        test: "retries",
        args: &[],
        why: "back-off and Retry-After on a paused clock, connection refused",
    },
    Stressed {
        package: "atlas-transport",
        test: "proxy",
        args: &[],
        why: "CONNECT tunnels and forward proxies on loopback, connection reuse",
    },
    Stressed {
        package: "atlas-transport",
        test: "observability",
        args: &[],
        why: "spans of concurrent attempts",
    },
    Stressed {
        package: "atlas-snapshots",
        test: "mock_dedicated",
        args: &[],
        why: "dedicated clusters against atlas-mock: a wait on a manual mock clock, the lookup, roles",
    },
    Stressed {
        package: "atlas-snapshots",
        test: "dedicated",
        args: &[],
        why: "dedicated waits and lookups on a paused clock and an in-memory executor",
    },
    Stressed {
        package: "atlas-snapshots-cli",
        test: "dedicated_mock",
        args: &[],
        why: "the dedicated commands against atlas-mock on a stepped clock: take --wait, wait, delete on a pty",
    },
    Stressed {
        package: "atlas-snapshots-cli",
        test: "flex_mock",
        args: &[],
        why: "download (cut and resumed, expired link) and restores wait against atlas-mock, stepped clock",
    },
    Stressed {
        package: "atlas-transport",
        test: UNIT,
        args: &[],
        why: "the session table and the authenticator",
    },
    Stressed {
        package: "atlas-transport",
        test: "oauth",
        args: &[],
        why: "token single flight (1..1024 first requests, gated), renewal and 429 on a paused clock",
    },
    Stressed {
        package: "atlas-transport",
        test: "oauth_logs",
        args: &[],
        why: "no secret or token in the log through fetch, refusal and revocation",
    },
    Stressed {
        package: "atlas-integration-tests",
        test: "service_account",
        args: &[],
        why: "service account against atlas-mock: concurrent first gets, renewal on a paused clock, 429",
    },
    Stressed {
        package: "atlas-snapshots-cli",
        test: "service_account",
        args: &[],
        why: "token cache: many processes at once (flock), atomic replace, two runs in a row",
    },
];

/// Failed runs whose output is shown per binary; the others are summarised by failing test.
const SHOWN_FAILURES: usize = 2;
/// Lines shown of a failed run's output (its end, where the failures are listed).
const SHOWN_LINES: usize = 120;

/// The longest one run of a test binary may take before it counts as hung.
pub(crate) const RUN_LIMIT: Duration = Duration::from_secs(300);

const USAGE: &str = "usage: cargo xtask stress [--runs N] [--load K] [--only NAME] [--list]";

#[derive(Debug)]
struct Options {
    runs: usize,
    load: usize,
    only: Vec<String>,
    list: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut o = Options {
        runs: 50,
        load: cpus,
        only: Vec::new(),
        list: false,
    };
    let mut it = args.iter();
    let number = |name: &str, v: Option<&String>| -> Result<usize> {
        let v = v.with_context(|| format!("{name} needs a number; {USAGE}"))?;
        v.parse()
            .with_context(|| format!("{name}: `{v}` is not a number"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                o.runs = number("--runs", it.next())?;
                ensure!(o.runs > 0, "--runs must be at least 1");
            }
            "--load" => o.load = number("--load", it.next())?,
            "--only" => o
                .only
                .push(it.next().context("--only needs a name")?.clone()),
            "--list" => o.list = true,
            other => bail!("unknown argument `{other}`; {USAGE}"),
        }
    }
    Ok(o)
}

/// `package/test`, the name a binary is reported under and `--only` matches (on either part too).
fn label(s: &Stressed) -> String {
    format!("{}/{}", s.package, s.test)
}

fn selected(o: &Options) -> Result<Vec<Stressed>> {
    let chosen: Vec<Stressed> = STRESSED
        .iter()
        .copied()
        .filter(|s| {
            o.only.is_empty()
                || o.only
                    .iter()
                    .any(|n| *n == label(s) || n == s.test || n == s.package)
        })
        .collect();
    ensure!(
        !chosen.is_empty(),
        "no stressed binary matches {:?}; see `cargo xtask stress --list`",
        o.only
    );
    Ok(chosen)
}

pub(crate) fn run(args: &[String]) -> Result<()> {
    // The load processes are this program started again with a hidden argument.
    if args.first().map(String::as_str) == Some(SPIN_ARG) {
        spin();
    }
    let o = parse(args)?;
    let chosen = selected(&o)?;
    if o.list {
        for s in &chosen {
            println!("{:40} {}", label(s), s.why);
        }
        return Ok(());
    }
    let binaries = build(&chosen)?;
    eprintln!(
        "\nxtask stress: {} binaries x {} runs, {} CPU-bound load processes beside them",
        chosen.len(),
        o.runs,
        o.load
    );
    let load = Load::start(o.load)?;
    let mut results = Vec::new();
    for s in &chosen {
        let bin = &binaries[&(s.package, s.test)];
        let r = stress_one(s, bin, o.runs)?;
        eprintln!("{}", r.line());
        results.push(r);
    }
    drop(load);

    let failed: Vec<&Outcome> = results.iter().filter(|r| r.failures > 0).collect();
    for r in &failed {
        // The first few failed runs in full (their last lines); the rest are counted per test.
        for (run, output) in r.failed_outputs.iter().take(SHOWN_FAILURES) {
            eprintln!(
                "\n---- {} run {run} of {} failed; the end of its output ----\n{}",
                r.label,
                r.runs,
                tail(output, SHOWN_LINES)
            );
        }
    }
    println!(
        "\nxtask stress: passes/runs per binary ({} load processes)",
        o.load
    );
    for r in &results {
        println!("  {}", r.line());
        for (test, n) in r.failed_tests() {
            println!("      {n:>4} x {test}");
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} stressed binaries failed at least once: {}",
            failed.len(),
            results.len(),
            failed
                .iter()
                .map(|r| r.label.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}

/// Builds every test binary of the workspace once and returns the paths of the chosen ones.
fn build(chosen: &[Stressed]) -> Result<BTreeMap<(&'static str, &'static str), Binary>> {
    let mut cmd = cargo(&[
        "test",
        "--workspace",
        "--no-run",
        "--message-format=json-render-diagnostics",
    ]);
    eprintln!("\n$ {}", show(&cmd));
    let out = cmd
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .context("could not start cargo test --no-run")?;
    ensure!(
        out.status.success(),
        "building the test binaries failed ({})",
        out.status
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let found = executables(&text);
    let mut map = BTreeMap::new();
    for s in chosen {
        let path = found
            .get(&(s.package.to_owned(), s.test.to_owned()))
            .with_context(|| format!("cargo built no test binary for {}", label(s)))?;
        map.insert((s.package, s.test), path.clone());
    }
    Ok(map)
}

/// A built test binary and the directory `cargo test` runs it in (its package's).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Binary {
    exe: PathBuf,
    dir: PathBuf,
}

/// (package, test target) -> binary, from cargo's JSON messages. A library's unit tests are listed
/// under [`UNIT`].
fn executables(json_lines: &str) -> BTreeMap<(String, String), Binary> {
    let mut out = BTreeMap::new();
    for line in json_lines.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(exe) = v["executable"].as_str() else {
            continue;
        };
        if v["profile"]["test"] != true {
            continue;
        }
        let id = v["package_id"].as_str().unwrap_or_default();
        let package = package_name(id);
        let manifest = PathBuf::from(v["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().map_or_else(root, Path::to_path_buf);
        let kinds = &v["target"]["kind"];
        let is_lib = kinds
            .as_array()
            .is_some_and(|k| k.iter().any(|k| k == "lib" || k == "rlib"));
        let test = if is_lib {
            UNIT.to_owned()
        } else {
            v["target"]["name"].as_str().unwrap_or_default().to_owned()
        };
        out.insert(
            (package, test),
            Binary {
                exe: PathBuf::from(exe),
                dir,
            },
        );
    }
    out
}

/// The package name in a cargo package id: `path+file:///w/tests#name@0.1.0`, or
/// `path+file:///w/crates/name#0.1.0` when the name is the directory's, or `name 0.1.0 (...)`
/// from old cargo versions.
fn package_name(id: &str) -> String {
    match id.rsplit_once('#') {
        Some((url, fragment)) => match fragment.split_once('@') {
            Some((name, _)) => name.to_owned(),
            None => url.rsplit('/').next().unwrap_or(url).to_owned(),
        },
        None => id.split(' ').next().unwrap_or(id).to_owned(),
    }
}

#[derive(Debug)]
struct Outcome {
    label: String,
    runs: usize,
    failures: usize,
    /// Wall seconds per run, sorted.
    walls: Vec<f64>,
    /// (run number, output) of each failed run.
    failed_outputs: Vec<(usize, String)>,
}

impl Outcome {
    /// How often each test failed, from the libtest `failures:` lists of the failed runs (a run
    /// that failed without naming a test, a crash or a hang, counts under its exit line).
    fn failed_tests(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for (_, output) in &self.failed_outputs {
            let names = failed_test_names(output);
            if names.is_empty() {
                let last = output
                    .lines()
                    .last()
                    .unwrap_or("(no output)")
                    .trim()
                    .to_owned();
                *counts.entry(last).or_default() += 1;
            }
            for n in names {
                *counts.entry(n).or_default() += 1;
            }
        }
        counts
    }

    fn line(&self) -> String {
        let median = self.walls.get(self.walls.len() / 2).copied().unwrap_or(0.0);
        let max = self.walls.last().copied().unwrap_or(0.0);
        format!(
            "{:40} {:>4}/{} passed  (wall per run: median {median:.2} s, max {max:.2} s){}",
            self.label,
            self.runs - self.failures,
            self.runs,
            if self.failures > 0 { "  FAILED" } else { "" }
        )
    }
}

fn stress_one(s: &Stressed, bin: &Binary, runs: usize) -> Result<Outcome> {
    let mut outcome = Outcome {
        label: label(s),
        runs,
        failures: 0,
        walls: Vec::with_capacity(runs),
        failed_outputs: Vec::new(),
    };
    for run in 1..=runs {
        let started = Instant::now();
        let (ok, output) = run_once(bin, s.args)?;
        outcome.walls.push(started.elapsed().as_secs_f64());
        if !ok {
            outcome.failures += 1;
            outcome.failed_outputs.push((run, output));
        }
    }
    outcome.walls.sort_by(f64::total_cmp);
    Ok(outcome)
}

/// Runs the binary once in its package directory (as `cargo test` does, so relative fixture paths
/// resolve) with a hang limit; returns whether it passed and its output.
fn run_once(bin: &Binary, args: &[&str]) -> Result<(bool, String)> {
    let mut child = Command::new(&bin.exe)
        .args(args)
        .current_dir(&bin.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", bin.exe.display()))?;
    // Drain both pipes on threads so a chatty test never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + RUN_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut text = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    text.push_str(&String::from_utf8_lossy(&err.join().unwrap_or_default()));
    match status {
        Some(s) if s.success() => Ok((true, text)),
        Some(s) => Ok((false, format!("{text}\n(exit: {s})"))),
        None => Ok((
            false,
            format!("{text}\n(hung: killed after {} s)", RUN_LIMIT.as_secs()),
        )),
    }
}

/// The names under the last `failures:` heading of libtest's output.
fn failed_test_names(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().collect();
    let Some(start) = lines.iter().rposition(|l| l.trim_end() == "failures:") else {
        return Vec::new();
    };
    lines[start + 1..]
        .iter()
        .map(|l| l.trim())
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    let mut out = String::new();
    if from > 0 {
        out.push_str(&format!("[... {from} lines before]\n"));
    }
    out.push_str(&lines[from..].join("\n"));
    out
}

/// The hidden argument that turns this program into a load process.
const SPIN_ARG: &str = "__stress-spin";

/// K busy processes that exit with the guard, and on their own if this process dies (they watch
/// their parent), so a killed `cargo xtask stress` never leaves them behind.
struct Load {
    children: Vec<Child>,
}

impl Load {
    fn start(k: usize) -> Result<Load> {
        let exe = std::env::current_exe().context("the path of xtask")?;
        let mut children = Vec::with_capacity(k);
        for _ in 0..k {
            children.push(
                Command::new(&exe)
                    .args(["stress", SPIN_ARG])
                    .stdin(Stdio::null())
                    .spawn()
                    .context("starting a load process")?,
            );
        }
        Ok(Load { children })
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Burns one CPU until the parent process goes away.
fn spin() -> ! {
    let parent = std::os::unix::process::parent_id();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    loop {
        for _ in 0..5_000_000 {
            // xorshift: work the optimiser cannot remove.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        std::hint::black_box(x);
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_read_from_cargo_messages() {
        let lines = concat!(
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/crates/atlas-transport#0.1.0","manifest_path":"/w/crates/atlas-transport/Cargo.toml","target":{"kind":["lib"],"name":"atlas_transport"},"profile":{"test":true},"executable":"/t/atlas_transport-1"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"path+file:///w/tests#atlas-integration-tests@0.0.0","manifest_path":"/w/tests/Cargo.toml","target":{"kind":["test"],"name":"full_stack"},"profile":{"test":true},"executable":"/t/full_stack-2"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","package_id":"registry+https://x#serde@1.0.0","manifest_path":"/r/serde/Cargo.toml","target":{"kind":["lib"],"name":"serde"},"profile":{"test":false},"executable":null}"#,
            "\n",
            "not json\n",
        );
        let found = executables(lines);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[&("atlas-integration-tests".into(), "full_stack".into())],
            Binary {
                exe: "/t/full_stack-2".into(),
                dir: "/w/tests".into()
            }
        );
        assert_eq!(
            found[&("atlas-transport".into(), UNIT.into())].dir,
            PathBuf::from("/w/crates/atlas-transport")
        );
        assert_eq!(
            package_name("atlas-mock 0.1.0 (path+file:///w)"),
            "atlas-mock"
        );
    }

    /// The directory of a workspace package, found by the `name` in its manifest.
    fn package_dir(package: &str) -> Option<PathBuf> {
        let root = root();
        let mut dirs = vec![root.join("tests")];
        dirs.extend(
            std::fs::read_dir(root.join("crates"))
                .ok()?
                .flatten()
                .map(|e| e.path()),
        );
        dirs.into_iter().find(|d| {
            std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| {
                t.lines()
                    .find_map(|l| l.trim().strip_prefix("name = "))
                    .is_some_and(|n| n.trim_matches('"') == package)
            })
        })
    }

    #[test]
    fn the_list_names_real_targets() {
        for s in STRESSED {
            let dir = package_dir(s.package).unwrap_or_else(|| panic!("no package {}", s.package));
            let file = if s.test == UNIT {
                dir.join("src").join("lib.rs")
            } else {
                dir.join("tests").join(format!("{}.rs", s.test))
            };
            assert!(file.exists(), "{}: no {}", label(s), file.display());
        }
    }

    #[test]
    fn failed_tests_are_counted_from_libtest_output() {
        let out = "running 3 tests\n---- a stdout ----\npanicked\n\nfailures:\n    a\n    b::c\n\ntest result: FAILED. 1 passed; 2 failed\n";
        assert_eq!(failed_test_names(out), ["a", "b::c"]);
        assert!(failed_test_names("test result: ok").is_empty());
        let o = Outcome {
            label: "p/t".into(),
            runs: 3,
            failures: 2,
            walls: vec![1.0, 2.0, 3.0],
            failed_outputs: vec![
                (1, out.into()),
                (3, "boom\n(hung: killed after 300 s)".into()),
            ],
        };
        let counts = o.failed_tests();
        assert_eq!(counts["a"], 1);
        assert_eq!(counts["(hung: killed after 300 s)"], 1);
        assert!(o.line().contains("1/3 passed") && o.line().contains("FAILED"));
        assert_eq!(tail("1\n2\n3", 2), "[... 1 lines before]\n2\n3");
    }

    #[test]
    fn options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse(&args(&[
            "--runs",
            "3",
            "--only",
            "full_stack",
            "--load",
            "0",
        ]))
        .unwrap();
        assert_eq!((o.runs, o.load, o.only.len()), (3, 0, 1));
        assert_eq!(selected(&o).unwrap().len(), 1);
        assert!(parse(&args(&["--runs", "0"])).is_err());
        assert!(parse(&args(&["--runs"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        assert!(selected(&parse(&args(&["--only", "nothing-like-it"])).unwrap()).is_err());
    }
}
