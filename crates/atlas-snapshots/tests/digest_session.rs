//! API key sessions kept between clients, against `atlas-mock` over loopback: a second client
//! sharing the store gets a snapshot in one round trip, and no (nonce, nc) pair reaches the mock
//! twice.

use std::collections::HashSet;
use std::sync::Arc;

use atlas_mock::{MockAtlas, MockHandle, seed};
use atlas_snapshots::digest_session::{DigestSessionStore, MemoryDigestSessionStore};
use atlas_snapshots::{AtlasClient, ClusterName, GroupId, SnapshotId};

fn client_for(mock: &MockHandle, store: &Arc<MemoryDigestSessionStore>) -> AtlasClient {
    AtlasClient::builder()
        .base_url(mock.base_url())
        .credentials(mock.public_key(), mock.private_key())
        .digest_session_store(store.clone() as Arc<dyn DigestSessionStore>)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_second_client_gets_in_one_round_trip() {
    let mock = MockAtlas::builder().start().await.unwrap();
    let store = Arc::new(MemoryDigestSessionStore::new());
    let group: GroupId = seed::GROUP_ID.parse().unwrap();
    let cluster: ClusterName = seed::CLUSTER_NAME.parse().unwrap();
    let id: SnapshotId = seed::SNAPSHOT_ID.parse().unwrap();
    for expected in [(2, 1), (1, 0), (1, 0)] {
        let client = client_for(&mock, &store);
        client
            .tenant_snapshots()
            .get(&group, &cluster, &id)
            .send()
            .await
            .unwrap();
        let s = client.stats().unwrap();
        assert_eq!((s.round_trips, s.challenges), expected);
    }
    let mut pairs = HashSet::new();
    for e in mock.journal() {
        if let Some(a) = e.auth.as_ref().filter(|a| a.nc.is_some()) {
            assert!(pairs.insert((a.nonce.clone(), a.nc)), "{a:?} twice");
        }
    }
    assert_eq!(pairs.len(), 3);
}
