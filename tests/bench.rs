//! The load loop of the bench programs and the summary line `cargo xtask bench` reads.
//!
//! A program sends COUNT requests, CONCURRENCY at a time, and prints one line on stdout:
//! `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s> cpu_s=<s>`, where `cpu_s` is
//! the CPU time of the whole process (every thread, user and system) spent during the loop
//! (`CLOCK_PROCESS_CPUTIME_ID`), so the start-up (runtime, TLS roots, building the client) is
//! not counted.
//!
//! In the paired form ([`drive_paired`]) one program holds an authenticated client and a floor
//! client and alternates between them block by block (in ABBA order, so that a drift in the
//! machine's speed hits both kinds alike); it prints one such line per kind, `kind=auth` and
//! `kind=floor`, each with `server_cpu_s=`, the server's CPU time during that kind's blocks, read
//! from `/proc/<pid>/task/*/schedstat` between blocks.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// CPU time used by this process so far: every thread, user and system.
pub fn process_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// CPU time used so far by every live thread of process `pid` (the kernel's run-time accounting
/// in `/proc/<pid>/task/*/schedstat`, nanoseconds).
///
/// A thread that is on a CPU at the reading is counted up to its last accounting update (its
/// last context switch or scheduler tick), so a reading can lag a running thread by a tick; the
/// lag is counted by the next reading, so the sum over consecutive blocks loses nothing.
pub fn other_process_cpu(pid: u32) -> std::io::Result<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        // A thread that ended since the listing has nothing more to add.
        if let Some(t) = task_cpu(&task?.path().join("schedstat"))? {
            total += t;
        }
    }
    Ok(total)
}

/// The run time in one task's `schedstat` file; `None` if the task has ended.
fn task_cpu(path: &std::path::Path) -> std::io::Result<Option<Duration>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(None);
    };
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: `{}`", path.display(), text.trim()),
            )
        })?;
    Ok(Some(Duration::from_nanos(ns)))
}

/// What one load run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Requests that succeeded.
    pub ok: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Wall time of the loop.
    pub elapsed: Duration,
    /// Process CPU time during the loop.
    pub cpu: Duration,
}

impl Outcome {
    /// The summary line, with the client's own round trip and challenge counts.
    pub fn line(&self, round_trips: u64, challenges: u64) -> String {
        format!(
            "ok={} failed={} round_trips={round_trips} challenges={challenges} elapsed_s={:.6} cpu_s={:.6}",
            self.ok,
            self.failed,
            self.elapsed.as_secs_f64(),
            self.cpu.as_secs_f64()
        )
    }
}

/// Runs `count` calls of `one`, `concurrency` at a time on spawned tasks; `one` says whether
/// the request succeeded.
pub async fn drive<F, Fut>(count: u64, concurrency: u64, one: F) -> Outcome
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu0 = process_cpu();
    let t0 = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (next, ok, failed, one) = (next.clone(), ok.clone(), failed.clone(), one.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                if one().await {
                    ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for w in workers {
        if w.await.is_err() {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
    Outcome {
        ok: ok.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        elapsed: t0.elapsed(),
        cpu: process_cpu().saturating_sub(cpu0),
    }
}

/// One kind's share of a paired run: its blocks' totals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedOutcome {
    /// Requests, wall time and client CPU over this kind's blocks.
    pub outcome: Outcome,
    /// The server's CPU time over this kind's blocks.
    pub server_cpu: Duration,
}

impl PairedOutcome {
    /// The summary line of kind `kind` (`auth` or `floor`).
    pub fn line(&self, kind: &str, round_trips: u64, challenges: u64) -> String {
        format!(
            "kind={kind} {} server_cpu_s={:.6}",
            self.outcome.line(round_trips, challenges),
            self.server_cpu.as_secs_f64()
        )
    }
}

/// `count` calls of `a` and `count` of `b`, in alternating blocks of `block` calls
/// (`concurrency` at a time within a block; pairs of blocks in the order ab, ba, ab, ...), with
/// the CPU time of the server process `server_pid` read between blocks. The two totals, `a`'s
/// first.
pub async fn drive_paired<A, AF, B, BF>(
    count: u64,
    block: u64,
    concurrency: u64,
    server_pid: u32,
    a: A,
    b: B,
) -> std::io::Result<[PairedOutcome; 2]>
where
    A: Fn() -> AF + Clone + Send + 'static,
    AF: Future<Output = bool> + Send,
    B: Fn() -> BF + Clone + Send + 'static,
    BF: Future<Output = bool> + Send,
{
    let block = block.max(1);
    let zero = Outcome {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        cpu: Duration::ZERO,
    };
    let mut totals = [PairedOutcome {
        outcome: zero,
        server_cpu: Duration::ZERO,
    }; 2];
    let mut left = [count, count];
    let mut pair = 0u64;
    while left[0] > 0 || left[1] > 0 {
        let order = if pair % 2 == 0 { [0, 1] } else { [1, 0] };
        for kind in order {
            let n = left[kind].min(block);
            if n == 0 {
                continue;
            }
            left[kind] -= n;
            let server0 = other_process_cpu(server_pid)?;
            let out = if kind == 0 {
                drive(n, concurrency, a.clone()).await
            } else {
                drive(n, concurrency, b.clone()).await
            };
            let server1 = other_process_cpu(server_pid)?;
            let t = &mut totals[kind];
            t.outcome.ok += out.ok;
            t.outcome.failed += out.failed;
            t.outcome.elapsed += out.elapsed;
            t.outcome.cpu += out.cpu;
            t.server_cpu += server1.saturating_sub(server0);
        }
        pair += 1;
    }
    Ok(totals)
}

/// Parses a positive count argument or exits with status 2 and the usage.
pub fn number(arg: Option<&String>, name: &str, usage: &str) -> u64 {
    match arg.map(|a| a.parse::<u64>()) {
        Some(Ok(n)) if n > 0 => n,
        _ => {
            eprintln!("{name} must be a positive number\n{usage}");
            std::process::exit(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_clock_counts_work_on_other_threads() {
        let thread_cpu = || {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
        };
        let before = process_cpu();
        // The thread spins until its own CPU clock has advanced 30 ms, however it is scheduled.
        let spent = std::thread::spawn(move || {
            let t0 = thread_cpu();
            let mut x = 1u64;
            while thread_cpu() - t0 < Duration::from_millis(30) {
                x = std::hint::black_box(x.wrapping_mul(3));
            }
            thread_cpu() - t0
        })
        .join()
        .unwrap();
        // The thread has exited; its CPU time still counts.
        assert!(process_cpu() - before >= spent, "{spent:?}");
    }

    /// Context switches of thread `tid` of this process so far (voluntary and not), from
    /// `/proc/self/task/<tid>/status`.
    fn switches(tid: i32) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
        status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
            .sum()
    }

    /// The sum counts a live thread's CPU time. Deterministic on any schedule: the spinning
    /// thread's own entry is read only after it has been switched out at least once since its
    /// spin ended (the kernel brings a thread's run time up to date when it leaves the CPU, so
    /// the entry then covers the whole spin); and the sum is compared with that entry, not with
    /// an earlier sum, so other tests' threads ending meanwhile cannot make it smaller.
    #[test]
    fn another_process_clock_counts_its_live_threads() {
        let thread_cpu = || {
            let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
            Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
        };
        let pid = std::process::id();
        let (spun, done) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
        let t = std::thread::spawn(move || {
            // `/proc/thread-self` links to `<pid>/task/<tid>`.
            let link = std::fs::read_link("/proc/thread-self").unwrap();
            let tid: i32 = link.file_name().unwrap().to_str().unwrap().parse().unwrap();
            let t0 = thread_cpu();
            let mut x = 1u64;
            while thread_cpu() - t0 < Duration::from_millis(30) {
                x = std::hint::black_box(x.wrapping_mul(3));
            }
            let spent = thread_cpu() - t0;
            spun.0.send((tid, spent, switches(tid))).unwrap();
            // Alive until the readings are taken: an ended thread leaves the task list.
            let _ = done.1.recv();
        });
        let (tid, spent, switched) = spun.1.recv().unwrap();
        // Not a timing: the thread blocks on `done` (it cannot end first), so it is switched out;
        // the deadline only turns a broken kernel interface into a failure instead of a hang.
        let deadline = Instant::now() + Duration::from_secs(60);
        while switches(tid) <= switched {
            assert!(
                Instant::now() < deadline,
                "thread {tid} was never switched out"
            );
            std::thread::yield_now();
        }
        let own = task_cpu(format!("/proc/{pid}/task/{tid}/schedstat").as_ref())
            .unwrap()
            .expect("the spinning thread is alive");
        let all = other_process_cpu(pid).unwrap();
        drop(done.0);
        t.join().unwrap();
        assert!(own >= spent, "its own entry {own:?} < {spent:?} it spun");
        assert!(all >= own, "the sum {all:?} < its own entry {own:?}");
        // A process that is gone has no task list.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        assert!(other_process_cpu(gone).is_err());
    }

    #[tokio::test]
    async fn paired_blocks_alternate_and_count_every_request() {
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (la, lb) = (log.clone(), log.clone());
        let pid = std::process::id();
        let [a, b] = drive_paired(
            10,
            4,
            1,
            pid,
            move || {
                let l = la.clone();
                async move {
                    l.lock().unwrap().push('a');
                    true
                }
            },
            move || {
                let l = lb.clone();
                async move {
                    l.lock().unwrap().push('b');
                    false
                }
            },
        )
        .await
        .unwrap();
        assert_eq!((a.outcome.ok, a.outcome.failed), (10, 0));
        assert_eq!((b.outcome.ok, b.outcome.failed), (0, 10));
        let order: String = log.lock().unwrap().iter().collect();
        assert_eq!(order, "aaaabbbbbbbbaaaaaabb");
        let line = a.line("auth", 11, 1);
        assert!(
            line.starts_with("kind=auth ok=10 failed=0 round_trips=11 challenges=1 "),
            "{line}"
        );
        assert!(line.contains(" server_cpu_s="), "{line}");
    }

    #[tokio::test]
    async fn drive_counts_every_request_once() {
        let calls = Arc::new(AtomicU64::new(0));
        let c = calls.clone();
        let out = drive(101, 7, move || {
            let c = c.clone();
            async move { c.fetch_add(1, Ordering::SeqCst) % 10 != 0 }
        })
        .await;
        assert_eq!(calls.load(Ordering::SeqCst), 101);
        assert_eq!((out.ok, out.failed), (90, 11));
        let line = out.line(5, 1);
        assert!(line.starts_with("ok=90 failed=11 round_trips=5 challenges=1 elapsed_s="));
        assert!(line.contains(" cpu_s="));
    }
}
