//! `wait` on a paused clock with the in-memory executor: events once per change, in order;
//! timeouts carry the last snapshot; 429 backs off.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_snapshots::{Error, SnapshotStatus, WaitEvent};
use common::{Memory, client, ids, response, response_with, snapshot_body};
use proptest::prelude::*;

fn ok(status: &str) -> common::Answer {
    Ok(response(200, &snapshot_body(status)))
}

fn recorder() -> (
    Arc<Mutex<Vec<WaitEvent>>>,
    impl FnMut(&WaitEvent) + Send + 'static,
) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    (events, move |e: &WaitEvent| {
        sink.lock().unwrap().push(e.clone())
    })
}

#[tokio::test(start_paused = true)]
async fn queued_running_completed_emits_three_events_in_order() {
    let (g, c, s) = ids();
    let mem = Memory::queue(
        [
            "QUEUED",
            "QUEUED",
            "RUNNING",
            "RUNNING",
            "RUNNING",
            "COMPLETED",
            "FAILED",
        ]
        .map(ok),
    );
    let client = client(mem.clone());
    let (events, on_change) = recorder();
    let done = client
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(10))
        .on_change(on_change)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    let events = events.lock().unwrap().clone();
    let statuses: Vec<_> = events.iter().map(|e| e.status.clone().unwrap()).collect();
    assert_eq!(
        statuses,
        [
            SnapshotStatus::Queued,
            SnapshotStatus::Running,
            SnapshotStatus::Completed
        ]
    );
    assert_eq!(
        events.iter().map(|e| e.polls).collect::<Vec<_>>(),
        [1, 3, 6]
    );
    // On the paused clock, polls are exactly one interval apart.
    assert_eq!(
        events
            .iter()
            .map(|e| e.elapsed.as_secs())
            .collect::<Vec<_>>(),
        [0, 20, 50]
    );
    assert_eq!(events[2].snapshot, done);
    let seen = mem.seen();
    assert_eq!(seen.len(), 6, "no poll after the terminal status");
    for pair in seen.windows(2) {
        assert_eq!(pair[1].at - pair[0].at, Duration::from_secs(10));
    }
}

#[tokio::test(start_paused = true)]
async fn an_already_finished_snapshot_returns_after_one_poll() {
    let (g, c, s) = ids();
    let mem = Memory::queue(["FAILED"].map(ok));
    let (events, on_change) = recorder();
    let done = client(mem.clone())
        .flex_snapshots()
        .wait(&g, &c, &s)
        .on_change(on_change)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Failed));
    assert_eq!(events.lock().unwrap().len(), 1);
    assert_eq!(mem.seen().len(), 1);
    assert!(mem.last().path().contains("/flexClusters/"));
}

#[tokio::test(start_paused = true)]
async fn timeout_carries_the_last_snapshot() {
    let (g, c, s) = ids();
    let mem = Memory::with(|_| Ok(response(200, &snapshot_body("RUNNING"))));
    let err = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(10))
        .timeout(Duration::from_secs(35))
        .send()
        .await
        .unwrap_err();
    let Error::WaitTimeout { elapsed, last } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*elapsed, Duration::from_secs(35));
    assert_eq!(last.as_ref().unwrap().status, Some(SnapshotStatus::Running));
    // Polls at 0, 10, 20, 30 and the last one at the deadline.
    assert_eq!(mem.seen().len(), 5);
    assert!(err.to_string().contains("RUNNING"), "{err}");
    assert!(err.hint().is_some());
}

#[tokio::test(start_paused = true)]
async fn rate_limits_back_off_with_retry_after_or_doubling() {
    let (g, c, s) = ids();
    let limited = |retry_after: Option<&str>| {
        let headers: Vec<(&str, &str)> = retry_after
            .map(|v| ("retry-after", v))
            .into_iter()
            .collect();
        Ok(response_with(
            429,
            r#"{"error":429,"errorCode":"RATE_LIMITED"}"#,
            &headers,
        ))
    };
    let mem = Memory::queue([
        ok("QUEUED"),
        limited(Some("30")),
        limited(None),
        limited(None),
        ok("RUNNING"),
        ok("COMPLETED"),
    ]);
    let (events, on_change) = recorder();
    let done = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(10))
        .max_backoff(Duration::from_secs(100))
        .on_change(on_change)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    let gaps: Vec<u64> = mem
        .seen()
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs())
        .collect();
    // interval, Retry-After 30, doubled 60, doubled 120 capped at 100, back to the interval.
    assert_eq!(gaps, [10, 30, 60, 100, 10]);
    let polls: Vec<u32> = events.lock().unwrap().iter().map(|e| e.polls).collect();
    assert_eq!(polls, [1, 5, 6]);
}

#[tokio::test(start_paused = true)]
async fn other_errors_end_the_wait() {
    let (g, c, s) = ids();
    let gone = r#"{"error":410,"errorCode":"VERSION_GONE"}"#;
    let mem = Memory::queue([ok("QUEUED"), Ok(response(410, gone))]);
    let err = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Gone { .. }), "{err:?}");
    assert_eq!(mem.seen().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn missing_and_unknown_statuses_are_changes_but_not_terminal() {
    let (g, c, s) = ids();
    let no_status = r#"{"id":"5cc310ace5dc7ce369814bc8"}"#;
    let mem = Memory::queue([
        Ok(response(200, no_status)),
        ok("ARCHIVING"),
        ok("archiving"),
        ok("completed"),
    ]);
    let (events, on_change) = recorder();
    let done = client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .on_change(on_change)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    let statuses: Vec<_> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| e.status.clone())
        .collect();
    assert_eq!(
        statuses,
        [
            None,
            Some(SnapshotStatus::Unknown("ARCHIVING".into())),
            Some(SnapshotStatus::Unknown("archiving".into())),
            Some(SnapshotStatus::Completed),
        ]
    );
}

fn status_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["PENDING", "QUEUED", "RUNNING", "SOMETHING_NEW"])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// For any sequence of non-terminal statuses followed by a terminal one, `wait` returns the
    /// terminal snapshot and reports each change exactly once, in order.
    #[test]
    fn any_sequence_ending_in_a_terminal_status(
        prefix in prop::collection::vec(status_name(), 0..12),
        terminal in prop::sample::select(vec!["COMPLETED", "FAILED"]),
        interval_ms in 1u64..60_000,
    ) {
        let mut sequence: Vec<&str> = prefix.clone();
        sequence.push(terminal);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let (g, c, s) = ids();
        let mem = Memory::queue(sequence.iter().map(|st| ok(st)));
        let client = client(mem.clone());
        let (events, on_change) = recorder();
        let done = rt.block_on(
            client
                .tenant_snapshots()
                .wait(&g, &c, &s)
                .interval(Duration::from_millis(interval_ms))
                .timeout(Duration::from_secs(24 * 3600))
                .on_change(on_change)
                .send(),
        ).unwrap();
        prop_assert_eq!(done.status, Some(SnapshotStatus::from(terminal)));
        let mut expected: Vec<SnapshotStatus> = sequence.iter().map(|st| SnapshotStatus::from(*st)).collect();
        expected.dedup();
        let seen: Vec<SnapshotStatus> = events.lock().unwrap().iter().map(|e| e.status.clone().unwrap()).collect();
        prop_assert_eq!(seen, expected);
        prop_assert_eq!(mem.seen().len(), sequence.len());
        let polls: Vec<u32> = events.lock().unwrap().iter().map(|e| e.polls).collect();
        prop_assert!(polls.windows(2).all(|w| w[0] < w[1]));
    }
}
