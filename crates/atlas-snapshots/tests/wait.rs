//! `wait` on a paused clock with the in-memory executor: events once per change, in order;
//! timeouts carry the last snapshot; 429 backs off.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use atlas_snapshots::{Error, PollOutcome, SnapshotStatus, WaitEvent};
use common::{Memory, client, fixtures, ids, response, response_with, snapshot_body};
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
    assert_eq!(events[2].value, done);
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
    let Error::WaitTimeout {
        elapsed,
        polls,
        last,
        last_error,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    // Polls at 0, 10, 20 and 30; the pause after the last one is cut at the deadline.
    assert_eq!(*elapsed, Duration::from_secs(35));
    assert_eq!(*polls, 4);
    assert_eq!(mem.seen().len(), 4);
    assert_eq!(last.as_ref().unwrap().status_text(), Some("RUNNING"));
    assert!(last_error.is_none());
    assert_eq!(
        err.to_string(),
        "timed out after 35 s waiting for the snapshot (last status RUNNING; 4 polls)"
    );
    assert!(err.hint().unwrap().contains("still in progress"));
}

#[tokio::test(start_paused = true)]
async fn the_timeout_says_what_was_seen() {
    let (g, c, s) = ids();
    // Never a snapshot: every poll is a 503.
    let mem = Memory::with(|_| Ok(response(503, fixtures::E503_HTML)));
    let err = client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no poll succeeded in"), "{text}");
    assert!(
        text.contains("the last poll failed: Atlas server error 503"),
        "{text}"
    );
    let hint = err.hint().unwrap();
    assert!(!hint.contains("in progress"), "{hint}");
    let Error::WaitTimeout {
        last, last_error, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert!(last.is_none());
    assert!(matches!(last_error.as_deref(), Some(Error::Server { .. })));

    // A status this client does not know.
    let mem = Memory::with(|_| Ok(response(200, &snapshot_body("CANCELLED"))));
    let err = client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("last status CANCELLED, not a status this client knows"),
        "{err}"
    );
    assert!(err.hint().unwrap().contains("not one this client knows"));

    // A zero timeout: no poll at all.
    let mem = Memory::with(|_| Ok(response(200, &snapshot_body("RUNNING"))));
    let err = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .timeout(Duration::ZERO)
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no poll was made"), "{err}");
    assert!(mem.seen().is_empty());
}

#[tokio::test(start_paused = true)]
async fn rate_limits_back_off_at_least_retry_after_with_growing_jitter() {
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
        .max_backoff(Duration::from_secs(35))
        .on_change(on_change)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    let gaps: Vec<Duration> = mem.seen().windows(2).map(|w| w[1].at - w[0].at).collect();
    let secs = Duration::from_secs;
    // The interval; Retry-After 30 plus up to one interval, capped at 35; then the interval
    // plus up to 2 and 4 intervals, capped at 35; back to the interval.
    let bounds = [
        (secs(10), secs(10)),
        (secs(30), secs(35)),
        (secs(10), secs(30)),
        (secs(10), secs(35)),
        (secs(10), secs(10)),
    ];
    assert_eq!(gaps.len(), bounds.len());
    for (gap, (lo, hi)) in gaps.iter().zip(bounds) {
        assert!(*gap >= lo && *gap <= hi, "{gaps:?}");
    }
    let polls: Vec<u32> = events.lock().unwrap().iter().map(|e| e.polls).collect();
    assert_eq!(polls, [1, 5, 6]);
}

#[tokio::test(start_paused = true)]
async fn backoff_after_rate_limits_is_jittered() {
    let (g, c, s) = ids();
    let mem = Memory::with(|_| {
        Ok(response_with(
            429,
            r#"{"error":429,"errorCode":"RATE_LIMITED"}"#,
            &[("retry-after", "2")],
        ))
    });
    let _ = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(1))
        .max_backoff(Duration::from_secs(60))
        .timeout(Duration::from_secs(3600))
        .send()
        .await
        .unwrap_err();
    let gaps: std::collections::BTreeSet<Duration> =
        mem.seen().windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps.iter().all(|g| *g >= Duration::from_secs(2)));
    // Uniform random extras in nanoseconds: equal gaps would be a broken generator.
    assert!(gaps.len() > 10, "{gaps:?}");
}

#[tokio::test(start_paused = true)]
async fn every_poll_is_reported_with_what_it_got() {
    let (g, c, s) = ids();
    let mem = Memory::queue([
        ok("QUEUED"),
        ok("QUEUED"),
        Ok(response(503, fixtures::E503_HTML)),
        ok("COMPLETED"),
    ]);
    let polls = Arc::new(Mutex::new(Vec::new()));
    let sink = polls.clone();
    client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(10))
        .on_poll(move |p| {
            let what = match &p.outcome {
                PollOutcome::Value(snap) => snap.status.clone().unwrap().to_string(),
                PollOutcome::Retrying(e) => format!("retrying {}", e.status().unwrap().as_u16()),
                _ => "?".to_owned(),
            };
            sink.lock().unwrap().push((p.polls, what, p.next_poll_in));
        })
        .send()
        .await
        .unwrap();
    let polls = polls.lock().unwrap().clone();
    assert_eq!(
        polls
            .iter()
            .map(|p| (p.0, p.1.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "QUEUED"),
            (2, "QUEUED"),
            (3, "retrying 503"),
            (4, "COMPLETED")
        ]
    );
    assert_eq!(polls[0].2, Some(Duration::from_secs(10)));
    assert!(polls[2].2.unwrap() >= Duration::from_secs(10));
    assert_eq!(polls[3].2, None);
}

#[tokio::test(start_paused = true)]
async fn send_full_keeps_the_last_body_as_received() {
    let (g, c, s) = ids();
    let last = r#"{"id":"5cc310ace5dc7ce369814bc8","status":"completed","finishTime":"2026-11-28T09:14:40.120000Z"}"#;
    let mem = Memory::queue([ok("RUNNING"), Ok(response(200, last))]);
    let full = client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .send_full()
        .await
        .unwrap();
    assert_eq!(&full.body[..], last.as_bytes());
    assert_eq!(full.value.status, Some(SnapshotStatus::Completed));
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
        interval_ms in 1_000u64..60_000,
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

#[tokio::test(start_paused = true)]
async fn a_single_500_and_five_503s_do_not_end_the_wait() {
    let (g, c, s) = ids();
    let e500 = || {
        Ok(response(
            500,
            r#"{"error":500,"errorCode":"UNEXPECTED_ERROR"}"#,
        ))
    };
    let e503 = || Ok(response(503, fixtures::E503_HTML));
    let mem = Memory::queue([
        ok("QUEUED"),
        e500(),
        ok("RUNNING"),
        e503(),
        e503(),
        e503(),
        e503(),
        e503(),
        ok("COMPLETED"),
    ]);
    let done = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status, Some(SnapshotStatus::Completed));
    assert_eq!(mem.seen().len(), 9);
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_a_slow_poll() {
    let (g, c, s) = ids();
    // Every answer takes 20 s; the wait has 8 s.
    let mem = Memory::slow(|_| (Duration::from_secs(20), ok("RUNNING")));
    let start = tokio::time::Instant::now();
    let err = client(mem)
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .timeout(Duration::from_secs(8))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert!(
        start.elapsed() <= Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn the_timeout_bounds_a_rate_limited_wait() {
    let (g, c, s) = ids();
    let mem = Memory::with(|_| {
        Ok(response_with(
            429,
            r#"{"error":429,"errorCode":"RATE_LIMITED"}"#,
            &[("retry-after", "5")],
        ))
    });
    let start = tokio::time::Instant::now();
    let err = client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::from_secs(1))
        .timeout(Duration::from_secs(8))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::WaitTimeout { .. }), "{err:?}");
    assert!(
        start.elapsed() <= Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    // Never sooner than Retry-After.
    for w in mem.seen().windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_secs(5));
    }
    let hint = err.hint().unwrap();
    assert!(!hint.contains("still in progress"), "{hint}");
}

#[tokio::test(start_paused = true)]
async fn the_interval_has_a_floor_of_one_second() {
    let (g, c, s) = ids();
    let mem = Memory::queue(["QUEUED", "QUEUED", "QUEUED", "COMPLETED"].map(ok));
    client(mem.clone())
        .tenant_snapshots()
        .wait(&g, &c, &s)
        .interval(Duration::ZERO)
        .send()
        .await
        .unwrap();
    for w in mem.seen().windows(2) {
        assert!(w[1].at - w[0].at >= Duration::from_secs(1));
    }
}

/// One scripted answer: what, and after how long.
#[derive(Debug, Clone)]
enum Scripted {
    InProgress(u64),
    RateLimited { delay_ms: u64, retry_after_s: u64 },
    Unavailable(u64),
}

fn scripted() -> impl Strategy<Value = Scripted> {
    prop_oneof![
        (0u64..30_000).prop_map(Scripted::InProgress),
        (0u64..5_000, 0u64..120).prop_map(|(delay_ms, retry_after_s)| Scripted::RateLimited {
            delay_ms,
            retry_after_s
        }),
        (0u64..60_000).prop_map(Scripted::Unavailable),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Whatever the server does (slow answers, 429 with any Retry-After, 503), the wait never
    /// lasts longer than its timeout, never polls sooner than the interval after an answer, and
    /// never sooner than Retry-After after a 429.
    #[test]
    fn the_timeout_is_a_bound_and_retry_after_is_honoured(
        script in prop::collection::vec(scripted(), 1..40),
        timeout_s in 0u64..600,
        interval_s in 1u64..30,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let (g, c, s) = ids();
        let queue = Arc::new(Mutex::new(std::collections::VecDeque::from(script.clone())));
        let mem = Memory::slow(move |_| {
            let next = queue.lock().unwrap().pop_front().unwrap_or(Scripted::InProgress(0));
            match next {
                Scripted::InProgress(ms) => (Duration::from_millis(ms), ok("RUNNING")),
                Scripted::RateLimited { delay_ms, retry_after_s } => (
                    Duration::from_millis(delay_ms),
                    Ok(response_with(
                        429,
                        r#"{"error":429,"errorCode":"RATE_LIMITED"}"#,
                        &[("retry-after", &retry_after_s.to_string())],
                    )),
                ),
                Scripted::Unavailable(ms) => (Duration::from_millis(ms), Ok(response(503, fixtures::E503_HTML))),
            }
        });
        let timeout = Duration::from_secs(timeout_s);
        let interval = Duration::from_secs(interval_s);
        let (result, elapsed) = rt.block_on(async {
            let start = tokio::time::Instant::now();
            let r = client(mem.clone())
                .tenant_snapshots()
                .wait(&g, &c, &s)
                .interval(interval)
                .timeout(timeout)
                .send()
                .await;
            (r, start.elapsed())
        });
        let is_timeout = matches!(result, Err(Error::WaitTimeout { .. }));
        prop_assert!(is_timeout, "{:?}", result);
        prop_assert!(elapsed <= timeout, "{:?} > {:?}", elapsed, timeout);
        let seen = mem.seen();
        for (i, w) in seen.windows(2).enumerate() {
            let gap = w[1].at - w[0].at;
            let (delay, min_pause) = match &script.get(i) {
                Some(Scripted::InProgress(ms)) => (Duration::from_millis(*ms), interval),
                Some(Scripted::RateLimited { delay_ms, retry_after_s }) => (
                    Duration::from_millis(*delay_ms),
                    interval.max(Duration::from_secs(*retry_after_s)),
                ),
                Some(Scripted::Unavailable(ms)) => (Duration::from_millis(*ms), interval),
                None => (Duration::ZERO, interval),
            };
            prop_assert!(gap >= delay + min_pause, "gap {} {:?} < {:?} + {:?}", i, gap, delay, min_pause);
        }
    }
}
