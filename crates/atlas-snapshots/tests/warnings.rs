//! Deprecation and Sunset warnings are logged once per client.
//!
//! This test lives in its own binary: tracing caches each callsite's interest process-wide, and a
//! test in the same binary that hits the same `warn!` callsites on another thread, before this one
//! installs its subscriber, could make the count flaky.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Memory, client, fixtures, ids, response_with};

/// Counts `WARN` events.
struct WarnCounter(Arc<AtomicUsize>);

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn deprecation_and_sunset_are_logged_once_per_client() {
    let warnings = Arc::new(AtomicUsize::new(0));
    let _guard = tracing::subscriber::set_default(WarnCounter(warnings.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let (g, c, s) = ids();
        let headers = [
            ("deprecation", "true"),
            ("sunset", "Thu, 22 Jan 2026 00:00:00 GMT"),
        ];
        let make =
            move || Memory::with(move |_| Ok(response_with(200, fixtures::SEED_V1, &headers)));
        let first = client(make());
        for _ in 0..3 {
            first
                .tenant_snapshots()
                .get(&g, &c, &s)
                .send()
                .await
                .unwrap();
        }
        // One warning for Deprecation, one for Sunset, however many requests.
        assert_eq!(warnings.load(Ordering::SeqCst), 2);
        // Clones share the client; a new client warns again.
        first
            .clone()
            .tenant_snapshots()
            .get(&g, &c, &s)
            .send()
            .await
            .unwrap();
        assert_eq!(warnings.load(Ordering::SeqCst), 2);
        client(make())
            .tenant_snapshots()
            .get(&g, &c, &s)
            .send()
            .await
            .unwrap();
        assert_eq!(warnings.load(Ordering::SeqCst), 4);
        // No headers, no warning.
        client(Memory::always(200, fixtures::SEED_V1))
            .tenant_snapshots()
            .get(&g, &c, &s)
            .send()
            .await
            .unwrap();
        assert_eq!(warnings.load(Ordering::SeqCst), 4);
    });
}
