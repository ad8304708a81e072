//! Every fixture decoded through the client, and what `send_full` surfaces.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use atlas_snapshots::{SnapshotStatus, TenantSnapshot};
use common::{Memory, client, fixtures, ids, response, response_with};
use http::StatusCode;

fn seed() -> TenantSnapshot {
    atlas_model::parse_snapshot(fixtures::SEED_V1).unwrap()
}

#[tokio::test]
async fn seed_v1_body_decodes_and_is_kept_verbatim() {
    let (g, c, s) = ids();
    let mem = Memory::queue([Ok(response(200, fixtures::SEED_V1))]);
    let full = client(mem)
        .tenant_snapshots()
        .get(&g, &c, &s)
        .pretty(true)
        .send_full()
        .await
        .unwrap();
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.value, seed());
    assert_eq!(full.value.status, Some(SnapshotStatus::Failed));
    assert_eq!(full.value.mongodb_version.as_deref(), Some("4.2.7"));
    assert_eq!(
        full.value.finish_time.unwrap().to_rfc3339(),
        "2019-04-26T14:08:07+00:00"
    );
    assert_eq!(&full.body[..], fixtures::SEED_V1.as_bytes());
    assert_eq!(full.deprecation, None);
    assert_eq!(full.sunset, None);
    assert_eq!(full.headers["content-type"], "application/json");
}

#[tokio::test]
async fn flex_fixture_with_links_offsets_and_unknown_fields() {
    let (g, _, _) = ids();
    let id = "32b6e34b3d91647abb20e7b8".parse().unwrap();
    let mem = Memory::queue([Ok(response(200, fixtures::FLEX))]);
    let snap = client(mem)
        .flex_snapshots()
        .get(&g, &"Flex0".parse().unwrap(), &id)
        .send()
        .await
        .unwrap();
    assert_eq!(snap.id.as_ref(), Some(&id));
    assert_eq!(snap.status, Some(SnapshotStatus::Completed));
    assert_eq!(snap.links.len(), 2);
    assert_eq!(snap.links[0].rel, "self");
    assert_eq!(
        snap.start_time.unwrap().to_rfc3339(),
        "2026-11-28T09:14:40.500+00:00"
    );
    assert_eq!(snap.extra["sizeBytes"], 123456789);
    assert!(snap.expiration.is_some());
}

#[tokio::test]
async fn envelope_ok_fixture_unwraps_to_the_seed_and_keeps_the_envelope_body() {
    let (g, c, s) = ids();
    let mem = Memory::queue([Ok(response(200, fixtures::ENVELOPE_OK))]);
    let full = client(mem)
        .tenant_snapshots()
        .get(&g, &c, &s)
        .envelope(true)
        .send_full()
        .await
        .unwrap();
    assert_eq!(full.value, seed());
    assert_eq!(&full.body[..], fixtures::ENVELOPE_OK.as_bytes());
}

#[tokio::test]
async fn page_fixture_decodes_with_links_and_count() {
    let (g, c, _) = ids();
    let mem = Memory::queue([Ok(response(200, fixtures::PAGE_1))]);
    let page = client(mem)
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.results.len(), 2);
    assert_eq!(page.total_count, Some(5));
    assert_eq!(page.results[1].status, Some(SnapshotStatus::Completed));
    assert!(page.next_href().unwrap().contains("pageNum=2"));
}

#[tokio::test]
async fn list_envelopes_in_both_shapes() {
    let (g, c, _) = ids();
    let nested = format!(r#"{{"status":200,"content":{}}}"#, fixtures::PAGE_1);
    let flat = format!(r#"{{"status":200,{}"#, &fixtures::PAGE_1.trim()[1..]);
    for body in [nested, flat] {
        let mem = Memory::queue([Ok(response(200, &body))]);
        let page = client(mem)
            .tenant_snapshots()
            .list(&g, &c)
            .envelope(true)
            .send()
            .await
            .unwrap();
        assert_eq!(page.results.len(), 2, "{body}");
        assert_eq!(page.total_count, Some(5));
    }
}

#[tokio::test]
async fn deprecation_and_sunset_headers_are_surfaced() {
    let (g, c, s) = ids();
    let headers = [
        ("deprecation", "@1735689600"),
        ("sunset", "Thu, 22 Jan 2026 00:00:00 GMT"),
    ];
    let mem = Memory::with(move |_| Ok(response_with(200, fixtures::SEED_V1, &headers)));
    let client = client(mem);
    let full = client
        .tenant_snapshots()
        .get(&g, &c, &s)
        .api_version(atlas_snapshots::ApiVersion::V2)
        .send_full()
        .await
        .unwrap();
    assert_eq!(full.deprecation.as_deref(), Some("@1735689600"));
    assert_eq!(
        full.sunset.as_deref(),
        Some("Thu, 22 Jan 2026 00:00:00 GMT")
    );
}

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
