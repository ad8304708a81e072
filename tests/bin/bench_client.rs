//! `atlas-bench-client BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]`: COUNT typed gets of the
//! seed snapshot through one `AtlasClient`, CONCURRENCY at a time, as `cargo xtask bench` runs them.
//! Without keys it sends no credentials (for the mock's `/noauth` floor: pass `BASE_URL/noauth`).
//! Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s> cpu_s=<s>` on stdout
//! (see `atlas_integration_tests::bench`); exits 1 if a request failed.
//!
//! `atlas-bench-client --paired FLOOR_BASE_URL BLOCK SERVER_PID BASE_URL COUNT CONCURRENCY
//! PUBLIC_KEY PRIVATE_KEY`: an authenticated client for BASE_URL and an unauthenticated one for
//! FLOOR_BASE_URL, COUNT gets each in alternating blocks of BLOCK; prints a `kind=auth` and a
//! `kind=floor` line, each with the CPU time of process SERVER_PID during that kind's blocks.

use std::sync::Arc;

use atlas_integration_tests::bench::{drive, drive_paired, number};
use atlas_model::{ClusterName, GroupId, SnapshotId};
use atlas_snapshots::AtlasClient;

const USAGE: &str = "usage: atlas-bench-client [--paired FLOOR_BASE_URL BLOCK SERVER_PID] BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]";

type Ids = Arc<(GroupId, ClusterName, SnapshotId)>;

fn client(base: &str, keys: Option<(&str, &str)>) -> AtlasClient {
    let mut builder = AtlasClient::builder().base_url(base);
    if let Some((public, private)) = keys {
        builder = builder.credentials(public, private);
    }
    builder.build().unwrap_or_else(|e| {
        eprintln!("atlas-bench-client: {e}\n{USAGE}");
        std::process::exit(2)
    })
}

/// One typed get of the seed snapshot; whether it decoded.
async fn get(client: AtlasClient, ids: Ids) -> bool {
    match client
        .tenant_snapshots()
        .get(&ids.0, &ids.1, &ids.2)
        .send()
        .await
    {
        Ok(snap) => snap.id.is_some(),
        Err(e) => {
            eprintln!("atlas-bench-client: {e}");
            false
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let paired = if args.first().map(String::as_str) == Some("--paired") {
        if args.len() != 9 {
            eprintln!("atlas-bench-client: wrong number of arguments\n{USAGE}");
            std::process::exit(2);
        }
        let floor_base = args[1].clone();
        let block = number(args.get(2), "BLOCK", USAGE);
        let pid = number(args.get(3), "SERVER_PID", USAGE);
        args.drain(..4);
        Some((floor_base, block, u32::try_from(pid).unwrap_or(u32::MAX)))
    } else {
        None
    };
    if args.len() != 3 && args.len() != 5 {
        eprintln!("atlas-bench-client: wrong number of arguments\n{USAGE}");
        std::process::exit(2);
    }
    let count = number(args.get(1), "COUNT", USAGE);
    let concurrency = number(args.get(2), "CONCURRENCY", USAGE);
    let keys = (args.len() == 5).then(|| (args[3].as_str(), args[4].as_str()));
    let authed = client(&args[0], keys);
    let group: GroupId = atlas_mock::seed::GROUP_ID.parse().expect("seed id");
    let cluster: ClusterName = atlas_mock::seed::CLUSTER_NAME.parse().expect("seed name");
    let snapshot: SnapshotId = atlas_mock::seed::SNAPSHOT_ID.parse().expect("seed id");
    let ids: Ids = Arc::new((group, cluster, snapshot));
    // The get of a client, as `drive` calls it.
    let one = |c: &AtlasClient| {
        let (c, ids) = (c.clone(), ids.clone());
        move || get(c.clone(), ids.clone())
    };
    let stats = |c: &AtlasClient| c.stats().expect("the built-in transport keeps stats");
    let failed = match paired {
        None => {
            let out = drive(count, concurrency, one(&authed)).await;
            let s = stats(&authed);
            println!("{}", out.line(s.round_trips, s.challenges));
            out.failed
        }
        Some((floor_base, block, pid)) => {
            let floor = client(&floor_base, None);
            let kinds = drive_paired(count, block, concurrency, pid, one(&authed), one(&floor))
                .await
                .unwrap_or_else(|e| {
                    eprintln!("atlas-bench-client: cannot read the server's CPU time: {e}");
                    std::process::exit(2)
                });
            for (kind, c, out) in [("auth", &authed, &kinds[0]), ("floor", &floor, &kinds[1])] {
                let s = stats(c);
                println!("{}", out.line(kind, s.round_trips, s.challenges));
            }
            kinds[0].outcome.failed + kinds[1].outcome.failed
        }
    };
    if failed > 0 {
        std::process::exit(1);
    }
}
