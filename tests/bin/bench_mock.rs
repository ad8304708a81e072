//! `atlas-bench-mock`: the mock as `cargo xtask bench` runs it: on 127.0.0.1 (port from the first
//! argument, default 0), fixed keys `bench` / `bench-secret`, the `/noauth` twin routes switched on
//! (the unauthenticated floor), and no rate limit. It prints the usual banner and serves until its
//! standard input closes, so the bench ends it by dropping the pipe.

use std::io::Read;
use std::net::SocketAddr;

use atlas_mock::ServeOptions;

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .map_or(Ok(0), |p| p.parse())
        .unwrap_or_else(|_| {
            eprintln!("usage: atlas-bench-mock [PORT]");
            std::process::exit(2)
        });
    let mut opts = ServeOptions::new(SocketAddr::from(([127, 0, 0, 1], port)));
    opts.public_key = Some("bench".into());
    opts.private_key = Some("bench-secret".into());
    opts.unauthenticated_route = true;
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
    };
    let mut out = std::io::stdout();
    if let Err(e) = atlas_mock::serve_until(opts, &mut out, stdin_closed).await {
        eprintln!("atlas-bench-mock: {e}");
        std::process::exit(1);
    }
}
