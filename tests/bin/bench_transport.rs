//! `atlas-bench-transport URL COUNT CONCURRENCY [USER PASSWORD]`: COUNT GETs of URL through one
//! `atlas_transport::Client` (no typed decoding: the transport alone), CONCURRENCY at a time, as
//! `cargo xtask bench` runs them; without USER and PASSWORD no credentials are sent. A request
//! succeeds on a 200. Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s>
//! cpu_s=<s>` on stdout (see `atlas_integration_tests::bench`); exits 1 if a request failed.

use atlas_integration_tests::bench::{drive, number};
use atlas_transport::Client;
use bytes::Bytes;

const USAGE: &str = "usage: atlas-bench-transport URL COUNT CONCURRENCY [USER PASSWORD]";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 && args.len() != 5 {
        eprintln!("atlas-bench-transport: wrong number of arguments\n{USAGE}");
        std::process::exit(2);
    }
    let url = args[0].clone();
    let count = number(args.get(1), "COUNT", USAGE);
    let concurrency = number(args.get(2), "CONCURRENCY", USAGE);
    let mut builder = Client::builder().user_agent_suffix("atlas-bench-transport");
    if args.len() == 5 {
        builder = builder.credentials(args[3].clone(), args[4].clone());
    }
    let client = builder.build().unwrap_or_else(|e| {
        eprintln!("atlas-bench-transport: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let c = client.clone();
    let out = drive(count, concurrency, move || {
        let (client, url) = (c.clone(), url.clone());
        async move {
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
    })
    .await;
    let stats = client.stats();
    println!("{}", out.line(stats.round_trips, stats.challenges));
    if out.failed > 0 {
        std::process::exit(1);
    }
}
