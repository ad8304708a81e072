//! Load: 10,000 requests from 64 concurrent connections, no errors, tables within their bounds.

mod common;

use std::time::Instant;

use anyhow::Result;
use atlas_mock::{DEFAULT_JOURNAL_CAPACITY, MockAtlas, seed};
use common::*;
use http::StatusCode;

const REQUESTS: usize = 10_000;
const CONNECTIONS: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_from_64_connections() -> Result<()> {
    let mock = MockAtlas::builder().start().await?;
    let targets = [
        (
            v1_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID),
            None,
        ),
        (
            format!(
                "{}?itemsPerPage=2&pageNum=2",
                v1_list(seed::GROUP_ID, seed::CLUSTER_NAME)
            ),
            None,
        ),
        (
            v2_snapshot(seed::GROUP_ID, seed::CLUSTER_NAME, seed::SNAPSHOT_ID),
            Some(V2_TENANT),
        ),
        (
            flex_snapshot(
                seed::GROUP_ID,
                seed::FLEX_CLUSTER_NAME,
                seed::FLEX_SNAPSHOT_ID,
            ),
            Some(V2_FLEX),
        ),
    ];
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CONNECTIONS {
        let n = REQUESTS / CONNECTIONS + usize::from(i < REQUESTS % CONNECTIONS);
        let mut client = Client::new(&mock).await?;
        let targets = targets.clone();
        tasks.spawn(async move {
            let mut errors = Vec::new();
            for k in 0..n {
                let (target, accept) = &targets[(i + k) % targets.len()];
                let headers: Vec<(&str, &str)> = accept.iter().copied().collect();
                let r = client.get_with(target, &headers).await?;
                if r.status != StatusCode::OK {
                    errors.push(format!("{target}: {} {}", r.status, r.text()));
                }
            }
            anyhow::Ok((n, errors))
        });
    }
    let mut done = 0;
    while let Some(r) = tasks.join_next().await {
        let (n, errors) = r??;
        assert!(errors.is_empty(), "{errors:?}");
        done += n;
    }
    let elapsed = started.elapsed();
    assert_eq!(done, REQUESTS);
    eprintln!(
        "load: {REQUESTS} digest-authenticated requests over {CONNECTIONS} connections in {:.2?} ({:.0} req/s, debug build)",
        elapsed,
        REQUESTS as f64 / elapsed.as_secs_f64()
    );

    let stats = mock.stats();
    eprintln!("load: {stats:?}");
    // Every request was journaled (plus one challenge per connection), the journal kept its cap.
    assert_eq!(stats.requests, (REQUESTS + CONNECTIONS) as u64);
    assert_eq!(stats.journal_capacity, DEFAULT_JOURNAL_CAPACITY);
    assert_eq!(stats.journal_len, DEFAULT_JOURNAL_CAPACITY);
    assert_eq!(mock.journal().len(), DEFAULT_JOURNAL_CAPACITY);
    assert!(stats.journal_bytes <= stats.journal_max_bytes, "{stats:?}");
    // The newest entries are the ones kept, without gaps.
    let seqs: Vec<u64> = mock.journal().iter().map(|e| e.seq).collect();
    assert_eq!(*seqs.last().unwrap(), stats.requests);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1));
    // One nonce per client, nothing more: the replay table holds 64 entries, far below its bound.
    assert_eq!(stats.digest_nonces, CONNECTIONS);
    assert!(stats.digest_nonces <= stats.digest_nonce_capacity);
    // Nothing but answers and the 64 initial challenges (without credentials).
    let j = mock.journal();
    assert!(
        j.iter()
            .all(|e| e.status == 200 || (e.status == 401 && !e.had_credentials))
    );
    assert!(j.iter().filter(|e| e.status == 401).count() <= CONNECTIONS);
    mock.shutdown().await;
    Ok(())
}
