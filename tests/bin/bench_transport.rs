//! `atlas-bench-transport URL COUNT CONCURRENCY [USER PASSWORD]`: COUNT GETs of URL through one
//! `atlas_transport::Client` (no typed decoding: the transport alone), CONCURRENCY at a time, as
//! `cargo xtask bench` runs them; without USER and PASSWORD no credentials are sent. A request
//! succeeds on a 200. Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s>
//! cpu_s=<s>` on stdout (see `atlas_integration_tests::bench`); exits 1 if a request failed.
//!
//! `atlas-bench-transport --paired FLOOR_URL BLOCK SERVER_PID URL COUNT CONCURRENCY USER
//! PASSWORD`: an authenticated client for URL and an unauthenticated one for FLOOR_URL, COUNT
//! requests each in alternating blocks of BLOCK; prints a `kind=auth` and a `kind=floor` line,
//! each with the CPU time of process SERVER_PID during that kind's blocks.

use atlas_integration_tests::bench::{drive, drive_paired, number};
use atlas_transport::Client;
use bytes::Bytes;

const USAGE: &str = "usage: atlas-bench-transport [--paired FLOOR_URL BLOCK SERVER_PID] URL COUNT CONCURRENCY [USER PASSWORD]";

fn client(credentials: Option<(&str, &str)>) -> Client {
    let mut builder = Client::builder().user_agent_suffix("atlas-bench-transport");
    if let Some((user, password)) = credentials {
        builder = builder.credentials(user, password);
    }
    builder.build().unwrap_or_else(|e| {
        eprintln!("atlas-bench-transport: {e}\n{USAGE}");
        std::process::exit(2)
    })
}

/// One GET of `url`; whether it answered 200.
async fn get(client: Client, url: String) -> bool {
    let request = match http::Request::get(url.as_str())
        .header(http::header::ACCEPT, "application/json")
        .body(Bytes::new())
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("atlas-bench-transport: invalid URL: {e}");
            return false;
        }
    };
    match client.execute(request).await {
        Ok(r) => r.status() == http::StatusCode::OK,
        Err(e) => {
            eprintln!("atlas-bench-transport: {e}");
            false
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let paired = if args.first().map(String::as_str) == Some("--paired") {
        if args.len() != 9 {
            eprintln!("atlas-bench-transport: wrong number of arguments\n{USAGE}");
            std::process::exit(2);
        }
        let floor_url = args[1].clone();
        let block = number(args.get(2), "BLOCK", USAGE);
        let pid = number(args.get(3), "SERVER_PID", USAGE);
        args.drain(..4);
        Some((floor_url, block, u32::try_from(pid).unwrap_or(u32::MAX)))
    } else {
        None
    };
    if args.len() != 3 && args.len() != 5 {
        eprintln!("atlas-bench-transport: wrong number of arguments\n{USAGE}");
        std::process::exit(2);
    }
    let url = args[0].clone();
    let count = number(args.get(1), "COUNT", USAGE);
    let concurrency = number(args.get(2), "CONCURRENCY", USAGE);
    let credentials = (args.len() == 5).then(|| (args[3].as_str(), args[4].as_str()));
    let authed = client(credentials);
    // The request of a client to a URL, as `drive` calls it.
    let one = |c: &Client, u: &str| {
        let (c, u) = (c.clone(), u.to_owned());
        move || get(c.clone(), u.clone())
    };
    let failed = match paired {
        None => {
            let out = drive(count, concurrency, one(&authed, &url)).await;
            let stats = authed.stats();
            println!("{}", out.line(stats.round_trips, stats.challenges));
            out.failed
        }
        Some((floor_url, block, pid)) => {
            let floor = client(None);
            let kinds = drive_paired(
                count,
                block,
                concurrency,
                pid,
                one(&authed, &url),
                one(&floor, &floor_url),
            )
            .await
            .unwrap_or_else(|e| {
                eprintln!("atlas-bench-transport: cannot read the server's CPU time: {e}");
                std::process::exit(2)
            });
            for (kind, c, out) in [("auth", &authed, &kinds[0]), ("floor", &floor, &kinds[1])] {
                let stats = c.stats();
                println!("{}", out.line(kind, stats.round_trips, stats.challenges));
            }
            kinds[0].outcome.failed + kinds[1].outcome.failed
        }
    };
    if failed > 0 {
        std::process::exit(1);
    }
}
