//! The load loop of the bench programs and the summary line `cargo xtask bench` reads.
//!
//! A program sends COUNT requests, CONCURRENCY at a time, and prints one line on stdout:
//! `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s> cpu_s=<s>`, where `cpu_s` is
//! the CPU time of the whole process (every thread, user and system) spent during the loop
//! (`CLOCK_PROCESS_CPUTIME_ID`), so the start-up (runtime, TLS roots, building the client) is
//! not counted.

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
