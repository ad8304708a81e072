//! `atlas-bench-mock [PORT [--authentication-info]]`: the mock as `cargo xtask bench` runs it: on
//! 127.0.0.1 (port from the first argument, default 0), fixed keys `bench` / `bench-secret`, the
//! `/noauth` twin routes switched on (the unauthenticated floor), and no rate limit. Digest is
//! Atlas's: no `Authentication-Info` on authenticated answers, unless `--authentication-info`
//! follows the port (then every one carries it, with `rspauth`). It prints the usual banner and serves until its
//! standard input closes, so the bench ends it by dropping the pipe. Each line `cpu` it reads on
//! standard input is answered on standard output with `cpu_s=<s>`: the CPU time of the whole
//! process so far (every thread, user and system), which the bench reads before and after a run.

use std::io::{BufRead, Write};
use std::net::SocketAddr;

use atlas_integration_tests::bench::process_cpu;
use atlas_mock::{AuthenticationInfo, DigestSettings, ServeOptions};

const USAGE: &str = "usage: atlas-bench-mock [PORT [--authentication-info]]";

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .map_or(Ok(0), |p| p.parse())
        .unwrap_or_else(|_| usage());
    let info = match args.next().as_deref() {
        None => AuthenticationInfo::Omit,
        Some("--authentication-info") => AuthenticationInfo::Send,
        Some(_) => usage(),
    };
    if args.next().is_some() {
        usage();
    }
    let mut opts = ServeOptions::new(SocketAddr::from(([127, 0, 0, 1], port)));
    opts.digest = Some(DigestSettings::default().authentication_info(info));
    opts.public_key = Some("bench".into());
    opts.private_key = Some("bench-secret".into());
    opts.unauthenticated_route = true;
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| {
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if line.trim() == "cpu" {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "cpu_s={:.9}", process_cpu().as_secs_f64());
                    let _ = out.flush();
                }
            }
        })
        .await;
    };
    let mut out = std::io::stdout();
    if let Err(e) = atlas_mock::serve_until(opts, &mut out, stdin_closed).await {
        eprintln!("atlas-bench-mock: {e}");
        std::process::exit(1);
    }
}
