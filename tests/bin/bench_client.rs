//! `atlas-bench-client BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]`: COUNT typed gets of the
//! seed snapshot through one `AtlasClient`, CONCURRENCY at a time, as `cargo xtask bench` runs them.
//! Without keys it sends no credentials (for the mock's `/noauth` floor: pass `BASE_URL/noauth`).
//! Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s> cpu_s=<s>` on stdout
//! (see `atlas_integration_tests::bench`); exits 1 if a request failed.

use std::sync::Arc;

use atlas_integration_tests::bench::{drive, number};
use atlas_model::{ClusterName, GroupId, SnapshotId};
use atlas_snapshots::AtlasClient;

const USAGE: &str = "usage: atlas-bench-client BASE_URL COUNT CONCURRENCY [PUBLIC_KEY PRIVATE_KEY]";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 3 && args.len() != 5 {
        eprintln!("atlas-bench-client: wrong number of arguments\n{USAGE}");
        std::process::exit(2);
    }
    let count = number(args.get(1), "COUNT", USAGE);
    let concurrency = number(args.get(2), "CONCURRENCY", USAGE);
    let mut builder = AtlasClient::builder().base_url(&args[0]);
    if args.len() == 5 {
        builder = builder.credentials(&args[3], &args[4]);
    }
    let client = builder.build().unwrap_or_else(|e| {
        eprintln!("atlas-bench-client: {e}\n{USAGE}");
        std::process::exit(2)
    });
    let group: GroupId = atlas_mock::seed::GROUP_ID.parse().expect("seed id");
    let cluster: ClusterName = atlas_mock::seed::CLUSTER_NAME.parse().expect("seed name");
    let snapshot: SnapshotId = atlas_mock::seed::SNAPSHOT_ID.parse().expect("seed id");
    let ids = Arc::new((group, cluster, snapshot));
    let c = client.clone();
    let out = drive(count, concurrency, move || {
        let (client, ids) = (c.clone(), ids.clone());
        async move {
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
    })
    .await;
    let stats = client.stats().expect("the built-in transport keeps stats");
    println!("{}", out.line(stats.round_trips, stats.challenges));
    if out.failed > 0 {
        std::process::exit(1);
    }
}
