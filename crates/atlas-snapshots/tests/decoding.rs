//! Every fixture decoded through the client, and what `send_full` surfaces.

mod common;

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
        .pretty()
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
        .envelope()
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
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.total_count, Some(5));
    assert_eq!(
        page.items[1].value().status,
        Some(SnapshotStatus::Completed)
    );
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
            .envelope()
            .send()
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2, "{body}");
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
