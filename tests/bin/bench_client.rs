//! `atlas-bench-client BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]`: COUNT typed gets of the
//! seed snapshot through one `AtlasClient`, CONCURRENCY at a time, as `cargo xtask bench` runs them.
//! Without keys it sends no credentials (for the mock's `/noauth` floor: pass `BASE_URL/noauth`).
//! Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<seconds>` on stdout.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use atlas_model::{ClusterName, GroupId, SnapshotId};
use atlas_snapshots::AtlasClient;

const USAGE: &str = "usage: atlas-bench-client BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]";

fn fail(msg: &str) -> ! {
    eprintln!("atlas-bench-client: {msg}\n{USAGE}");
    std::process::exit(2)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 && args.len() != 5 {
        fail("wrong number of arguments");
    }
    let count: u64 = args[1]
        .parse()
        .unwrap_or_else(|_| fail("COUNT is not a number"));
    let concurrency: u64 = args[2]
        .parse()
        .unwrap_or_else(|_| fail("CONCURRENCY is not a number"));
    let mut builder = AtlasClient::builder().base_url(&args[0]);
    if args.len() == 5 {
        builder = builder.credentials(&args[3], &args[4]);
    }
    let client = builder.build().unwrap_or_else(|e| fail(&e.to_string()));
    let group: GroupId = atlas_mock::seed::GROUP_ID.parse().expect("seed id");
    let cluster: ClusterName = atlas_mock::seed::CLUSTER_NAME.parse().expect("seed name");
    let snapshot: SnapshotId = atlas_mock::seed::SNAPSHOT_ID.parse().expect("seed id");
    let ids = Arc::new((group, cluster, snapshot));
    let next = Arc::new(AtomicU64::new(0));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, ids, next, ok, failed) = (
            client.clone(),
            ids.clone(),
            next.clone(),
            ok.clone(),
            failed.clone(),
        );
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < count {
                match client
                    .tenant_snapshots()
                    .get(&ids.0, &ids.1, &ids.2)
                    .send()
                    .await
                {
                    Ok(snap) if snap.id.is_some() => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => failed.fetch_add(1, Ordering::Relaxed),
                    Err(e) => {
                        eprintln!("atlas-bench-client: {e}");
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let stats = client.stats().expect("the built-in transport keeps stats");
    println!(
        "ok={} failed={} round_trips={} challenges={} elapsed_s={elapsed:.6}",
        ok.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
        stats.round_trips,
        stats.challenges
    );
    if failed.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
