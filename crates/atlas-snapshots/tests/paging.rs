//! `ListSnapshots::stream`: next links, page numbers, the stopping rules and the bound.

mod common;

use atlas_snapshots::{Error, ListWarning};
use common::{GROUP, Memory, client, ids, response};
use futures_util::{StreamExt, TryStreamExt};
use proptest::prelude::*;

const LIST: &str =
    "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots";

/// Snapshot ids 0..total, `per_page` per page; `links` adds Atlas-style next links on `host`.
fn paged(total: usize, link_host: Option<&'static str>) -> std::sync::Arc<Memory> {
    Memory::with(move |req| {
        let q = req.uri().query().unwrap_or("");
        let param = |name: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(|v| v.parse::<usize>().unwrap())
        };
        let per = param("itemsPerPage").unwrap_or(100);
        let page = param("pageNum").unwrap_or(1);
        let start = (page - 1) * per;
        let ids: Vec<String> = (start..total.min(start + per))
            .map(|i| format!(r#"{{"id":"{i:024x}","status":"COMPLETED"}}"#))
            .collect();
        let mut links = Vec::new();
        if let Some(host) = link_host {
            if start + per < total {
                links.push(format!(
                    r#"{{"href":"{host}{LIST}?pageNum={}&itemsPerPage={per}","rel":"next"}}"#,
                    page + 1
                ));
            }
        }
        let body = format!(
            r#"{{"results":[{}],"links":[{}],"totalCount":{total}}}"#,
            ids.join(","),
            links.join(",")
        );
        Ok(response(200, &body))
    })
}

fn id_numbers(snaps: &[atlas_snapshots::TenantSnapshot]) -> Vec<u64> {
    snaps
        .iter()
        .map(|s| u64::from_str_radix(s.id.as_ref().unwrap().as_str(), 16).unwrap())
        .collect()
}

#[tokio::test]
async fn follows_next_links_on_the_same_origin_across_three_pages() {
    let (g, c, _) = ids();
    let mem = paged(5, Some("https://cloud.mongodb.com"));
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .pretty()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [0, 1, 2, 3, 4]);
    let seen = mem.seen();
    let queries: Vec<_> = seen.iter().map(|s| s.query().unwrap().to_owned()).collect();
    assert_eq!(
        queries,
        [
            "pretty=true&itemsPerPage=2&pageNum=1",
            // The link verbatim, with our pretty flag added back.
            "pageNum=2&itemsPerPage=2&pretty=true",
            "pageNum=3&itemsPerPage=2&pretty=true",
        ]
    );
    assert!(seen.iter().all(|s| s.path() == LIST));
}

#[tokio::test]
async fn links_to_another_host_are_not_followed_page_numbers_are_used() {
    let (g, c, _) = ids();
    let mem = paged(5, Some("https://evil.example"));
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [0, 1, 2, 3, 4]);
    for s in mem.seen() {
        assert_eq!(s.uri.host(), Some("cloud.mongodb.com"));
    }
    assert_eq!(mem.seen().len(), 3);
}

#[tokio::test]
async fn without_links_walks_page_numbers_until_a_short_page() {
    let (g, c, _) = ids();
    let mem = paged(7, None);
    let all: Vec<_> = client(mem.clone())
        .flex_snapshots()
        .list(&g, &c)
        .items_per_page(3)
        .without_total_count()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), (0..7).collect::<Vec<_>>());
    let pages: Vec<_> = mem
        .seen()
        .iter()
        .map(|s| s.query().unwrap().to_owned())
        .collect();
    assert_eq!(
        pages,
        [
            "itemsPerPage=3&pageNum=1&includeCount=false",
            "itemsPerPage=3&pageNum=2&includeCount=false",
            "itemsPerPage=3&pageNum=3&includeCount=false",
        ]
    );
}

#[tokio::test]
async fn an_exact_multiple_ends_on_total_count_or_an_empty_page() {
    let (g, c, _) = ids();
    // totalCount says 6: two pages of 3, no third request.
    let mem = paged(6, None);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(3)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(mem.seen().len(), 2);

    // Without totalCount the third, empty page ends it.
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"}]}"#,
        )),
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000002"}]}"#,
        )),
        Ok(response(200, r#"{"results":[]}"#)),
    ]);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2]);
    assert_eq!(mem.seen().len(), 3);
}

#[tokio::test]
async fn starts_at_page_num_and_sends_the_default_page_size() {
    let (g, c, _) = ids();
    let mem = paged(250, None);
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .page_num(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), (100..250).collect::<Vec<_>>());
    let pages: Vec<_> = mem
        .seen()
        .iter()
        .map(|s| s.query().unwrap().to_owned())
        .collect();
    assert_eq!(
        pages,
        ["itemsPerPage=100&pageNum=2", "itemsPerPage=100&pageNum=3"]
    );
}

#[tokio::test]
async fn the_stream_is_bounded() {
    let (g, c, _) = ids();
    // A server that always claims there is more, with a new snapshot on every page, and a next
    // link elsewhere (reported once, not followed).
    let served = std::sync::atomic::AtomicU64::new(0);
    let mem = Memory::with(move |_| {
        let n = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        Ok(response(
            200,
            &format!(
                r#"{{"results":[{{"id":"{n:024x}"}}],"links":[{{"rel":"next","href":"https://cloud.mongodb.com/elsewhere"}}]}}"#
            ),
        ))
    });
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = warnings.clone();
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .max_pages(4)
        .on_warning(move |w| sink.lock().unwrap().push(w.clone()))
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 5);
    assert!(items[..4].iter().all(Result::is_ok));
    assert!(
        matches!(items[4], Err(Error::TooManyPages { limit: 4 })),
        "{:?}",
        items[4]
    );
    assert_eq!(mem.seen().len(), 4);
    assert!(mem.seen().iter().all(|s| s.path() == LIST));
    let warnings = warnings.lock().unwrap().clone();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        matches!(&warnings[0], ListWarning::NextLinkNotFollowed { page_num: 1, href } if href.ends_with("/elsewhere")),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn an_error_ends_the_stream_after_the_items_before_it() {
    let (g, c, _) = ids();
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"}]}"#,
        )),
        Ok(response(
            500,
            r#"{"error":500,"errorCode":"UNEXPECTED_ERROR"}"#,
        )),
    ]);
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert!(matches!(items[1], Err(Error::Server { .. })));
    assert_eq!(mem.seen().len(), 2);
}

#[tokio::test]
async fn enveloped_pages_and_an_enveloped_error() {
    let (g, c, _) = ids();
    let mem = Memory::queue([
        Ok(response(
            200,
            r#"{"status":200,"content":{"results":[{"id":"000000000000000000000001"},{"id":"000000000000000000000002"}],"totalCount":3}}"#,
        )),
        Ok(response(
            200,
            &format!(
                r#"{{"status":404,"content":{{"error":404,"errorCode":"GROUP_NOT_FOUND","detail":"No group with ID {GROUP} exists."}}}}"#
            ),
        )),
    ]);
    let items: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .envelope()
        .stream()
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(matches!(
        items[2],
        Err(Error::NotFound {
            resource: atlas_snapshots::NotFoundResource::Group,
            ..
        })
    ));
    assert!(
        mem.seen()
            .iter()
            .all(|s| s.query().unwrap().contains("envelope=true"))
    );
}

#[tokio::test]
async fn the_stream_is_static_and_send() {
    let (g, c, _) = ids();
    let client = client(paged(3, None));
    let stream = client
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream();
    drop(client);
    let handle = tokio::spawn(async move { stream.try_collect::<Vec<_>>().await });
    assert_eq!(handle.await.unwrap().unwrap().len(), 3);
}

#[tokio::test]
async fn a_short_page_with_a_next_link_is_followed() {
    // A server that caps the page size below what was asked, but links the next page.
    let (g, c, _) = ids();
    let mem = Memory::with(|req| {
        let q = req.uri().query().unwrap_or("");
        let page: usize = q
            .split('&')
            .find_map(|kv| kv.strip_prefix("pageNum="))
            .map_or(1, |v| v.parse().unwrap());
        let ids = [2 * page - 1, 2 * page]
            .map(|i| format!(r#"{{"id":"{i:024x}"}}"#))
            .join(",");
        let next = if page < 3 {
            format!(
                r#"{{"rel":"next","href":"https://cloud.mongodb.com{LIST}?pageNum={}&itemsPerPage=5"}}"#,
                page + 1
            )
        } else {
            String::new()
        };
        Ok(response(
            200,
            &format!(r#"{{"results":[{ids}],"links":[{next}]}}"#),
        ))
    });
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(5)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2, 3, 4, 5, 6]);
    assert_eq!(mem.seen().len(), 3);
}

/// `total` snapshots in pages of `per` with Atlas-style next links on our origin, and whatever
/// `totalCount` the test wants to claim.
fn linked(total: usize, claimed: Option<u64>) -> std::sync::Arc<Memory> {
    Memory::with(move |req| {
        let q = req.uri().query().unwrap_or("");
        let param = |name: &str| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(|v| v.parse::<usize>().unwrap())
        };
        let per = param("itemsPerPage").unwrap_or(100);
        let page = param("pageNum").unwrap_or(1);
        let start = (page - 1) * per;
        let ids: Vec<String> = (start..total.min(start + per))
            .map(|i| format!(r#"{{"id":"{:024x}"}}"#, i + 1))
            .collect();
        let next = if start + per < total {
            format!(
                r#"{{"rel":"next","href":"https://cloud.mongodb.com{LIST}?pageNum={}&itemsPerPage={per}"}}"#,
                page + 1
            )
        } else {
            String::new()
        };
        let count = claimed.map_or(String::new(), |c| format!(r#","totalCount":{c}"#));
        Ok(response(
            200,
            &format!(
                r#"{{"results":[{}],"links":[{next}]{count}}}"#,
                ids.join(",")
            ),
        ))
    })
}

fn recorder() -> (
    std::sync::Arc<std::sync::Mutex<Vec<ListWarning>>>,
    impl Fn(&ListWarning) + Send + Sync + 'static,
) {
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = warnings.clone();
    (warnings, move |w: &ListWarning| {
        sink.lock().unwrap().push(w.clone())
    })
}

#[tokio::test]
async fn next_links_win_over_a_low_total_count() {
    // Three pages with next links, six snapshots, totalCount 2 (Atlas says it is an estimate).
    let (g, c, _) = ids();
    let mem = linked(6, Some(2));
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2, 3, 4, 5, 6]);
    assert_eq!(mem.seen().len(), 3);
    // Without links the count ends the walk: page 1 holds the two it announces.
    let mem = Memory::with(|_| {
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"},{"id":"000000000000000000000002"}],"totalCount":2}"#,
        ))
    });
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2]);
    assert_eq!(mem.seen().len(), 1);
}

#[tokio::test]
async fn a_server_that_ignores_page_num_is_stopped_at_the_first_repeat_with_a_warning() {
    // Full pages, no count, no link, always the same ids.
    let (g, c, _) = ids();
    let mem = Memory::with(|_| {
        Ok(response(
            200,
            r#"{"results":[{"id":"000000000000000000000001"},{"id":"000000000000000000000002"}]}"#,
        ))
    });
    let (warnings, on_warning) = recorder();
    let all: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(2)
        .on_warning(on_warning)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(id_numbers(&all), [1, 2]);
    assert_eq!(
        mem.seen().len(),
        2,
        "the second page repeats the first: stop"
    );
    let warnings = warnings.lock().unwrap().clone();
    let [ListWarning::RepeatedPage { page_num: 2, url }] = &warnings[..] else {
        panic!("{warnings:?}")
    };
    assert!(url.contains("pageNum=2"), "{url}");
    assert!(warnings[0].to_string().contains("ignores the page number"));

    // The same with a next link that the server keeps sending (on our origin).
    let mem = Memory::with(|_| {
        Ok(response(
            200,
            &format!(
                r#"{{"results":[{{"id":"000000000000000000000001"}}],"links":[{{"rel":"next","href":"https://cloud.mongodb.com{LIST}?pageNum=2&itemsPerPage=1"}}]}}"#
            ),
        ))
    });
    let pages: Vec<_> = client(mem.clone())
        .tenant_snapshots()
        .list(&g, &c)
        .items_per_page(1)
        .pages()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(mem.seen().len(), 2);
}

#[tokio::test]
async fn one_bad_entry_is_reported_and_the_others_are_kept() {
    let (g, c, _) = ids();
    let body = r#"{"results":[{"id":"000000000000000000000001","status":"completed"},{"id":"not-an-id","status":"COMPLETED"},{"id":"000000000000000000000003","startTime":"2026-11-28T09:14:40.120000Z"}],"totalCount":3}"#;
    let (warnings, on_warning) = recorder();
    let items: Vec<_> = client(Memory::always(200, body))
        .tenant_snapshots()
        .list(&g, &c)
        .on_warning(on_warning)
        .stream()
        .collect()
        .await;
    let ok: Vec<_> = items.iter().map(|r| r.as_ref().unwrap().clone()).collect();
    assert_eq!(id_numbers(&ok), [1, 3]);
    let warnings = warnings.lock().unwrap().clone();
    let [ListWarning::Rejected(entry)] = &warnings[..] else {
        panic!("{warnings:?}")
    };
    assert_eq!((entry.page_num, entry.index), (1, 1));
    assert_eq!(entry.id_text().as_deref(), Some("not-an-id"));
    assert_eq!(
        entry.json.get(),
        r#"{"id":"not-an-id","status":"COMPLETED"}"#
    );
    assert!(
        entry.error.to_string().contains("snapshot id"),
        "{}",
        entry.error
    );

    // One page: the same split, the raw JSON of each entry as received.
    for page in [
        client(Memory::always(200, body))
            .tenant_snapshots()
            .list(&g, &c)
            .send()
            .await
            .unwrap(),
        client(Memory::always(200, body))
            .tenant_snapshots()
            .list(&g, &c)
            .pages()
            .try_collect::<Vec<_>>()
            .await
            .unwrap()
            .remove(0),
    ] {
        assert_eq!(page.entry_count(), 3);
        assert_eq!(page.rejected[0].index, 1);
        assert_eq!(
            page.items[0].json(),
            r#"{"id":"000000000000000000000001","status":"completed"}"#
        );
        assert!(page.items[1].json().contains(".120000Z"));
        assert_eq!(
            page.items[0].value().status,
            Some(atlas_snapshots::SnapshotStatus::Completed)
        );
    }
}

#[tokio::test]
async fn raw_entries_of_enveloped_and_flat_pages() {
    let (g, c, _) = ids();
    let entry = r#"{"id":"000000000000000000000001", "status" : "completed"}"#;
    for body in [
        format!(r#"{{"status":200,"content":{{"results":[{entry}],"totalCount":1}}}}"#),
        format!(r#"{{"status":200,"results":[{entry}],"totalCount":1}}"#),
    ] {
        let page = client(Memory::always_owned(200, body.clone()))
            .tenant_snapshots()
            .list(&g, &c)
            .envelope()
            .send()
            .await
            .unwrap();
        assert_eq!(page.items[0].json(), entry, "{body}");
        assert!(page.extra.is_empty(), "{body}");
    }
}

fn claimed_count() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (0u64..40).prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever `totalCount` claims, a walk over linked pages yields every snapshot once, in
    /// order, with one request per page.
    #[test]
    fn linked_pages_yield_every_snapshot_once(
        total in 0usize..30,
        per in 1u32..8,
        claimed in claimed_count(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let (g, c, _) = ids();
        let mem = linked(total, claimed);
        let all: Vec<_> = rt.block_on(
            client(mem.clone())
                .tenant_snapshots()
                .list(&g, &c)
                .items_per_page(per)
                .stream()
                .try_collect(),
        ).unwrap();
        prop_assert_eq!(id_numbers(&all), (1..=total as u64).collect::<Vec<_>>());
        let pages = total.div_ceil(per as usize).max(1);
        // A last full page without a link may cost one more (empty) request when no count
        // says it was the last.
        let requests = mem.seen().len();
        prop_assert!(requests == pages || requests == pages + 1, "{} requests for {} pages", requests, pages);
    }
}
