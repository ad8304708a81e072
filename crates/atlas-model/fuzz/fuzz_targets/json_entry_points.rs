//! Every JSON entry point of atlas-model on arbitrary bytes: no panic, and whatever decodes
//! re-serialises and decodes again to the same value.
#![no_main]

use atlas_model::{
    ApiError, Envelope, TenantSnapshot, parse_cloud_snapshot, parse_cloud_snapshot_page,
    parse_snapshot, parse_snapshot_page,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = parse_snapshot(data) {
        let again = serde_json::to_vec(&snapshot).expect("a snapshot always serialises");
        assert_eq!(parse_snapshot(&again).expect("re-serialised snapshot decodes"), snapshot);
    }
    let _ = parse_snapshot_page(data);
    if let Ok(snapshot) = parse_cloud_snapshot(data) {
        let again = serde_json::to_vec(&snapshot).expect("a cloud snapshot always serialises");
        assert_eq!(
            parse_cloud_snapshot(&again).expect("re-serialised cloud snapshot decodes"),
            snapshot
        );
    }
    let _ = parse_cloud_snapshot_page(data);
    if let Ok(envelope) = Envelope::parse(data) {
        let _ = envelope.into_result::<TenantSnapshot>();
    }
    let error = ApiError::from_body(500, data);
    let _ = error.to_string();
});
