//! `atlas-bench-peers URL USER PASSWORD COUNT CONCURRENCY`: sends COUNT GET requests with
//! reqwest + diqwest over one client and one cached digest session, CONCURRENCY at a time, and
//! prints `ok=<n> failed=<n> elapsed_s=<seconds> cpu_s=<seconds>` on stdout, `cpu_s` being the
//! process CPU time (every thread) during the loop. Round trips are counted by the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use diqwest::{DigestAuthSession, WithDigestAuth};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 5 {
        eprintln!("usage: atlas-bench-peers URL USER PASSWORD COUNT CONCURRENCY");
        std::process::exit(2);
    }
    let url = args[0].clone();
    let count: u64 = args[3].parse().expect("COUNT is a number");
    let concurrency: u64 = args[4].parse().expect("CONCURRENCY is a number");
    let client = reqwest::Client::new();
    let session = Arc::new(DigestAuthSession::new(args[1].as_str(), args[2].as_str()));
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let cpu0 = process_cpu();
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, session, url) = (client.clone(), session.clone(), url.clone());
        let (next, ok, failed) = (next.clone(), ok.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                let result = client
                    .get(&url)
                    .header("Accept", "application/json")
                    .send_digest_auth(&*session)
                    .await;
                match result {
                    Ok(resp) if resp.status().is_success() => {
                        let _ = resp.bytes().await;
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = process_cpu() - cpu0;
    println!(
        "ok={} failed={} elapsed_s={elapsed:.6} cpu_s={cpu:.6}",
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
}

/// CPU seconds used by this process so far (every thread, user and system).
fn process_cpu() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}
