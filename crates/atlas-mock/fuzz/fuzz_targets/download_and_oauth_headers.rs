//! A download link's `Range` header and the token endpoint's `Authorization: Basic` on arbitrary
//! input: the first 8 bytes are the archive size, the rest the header value. No input may panic,
//! and a range is always inside the archive.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let size = u64::from_le_bytes(data[..8].try_into().unwrap_or_default());
    let value = String::from_utf8_lossy(&data[8..]);
    if let Err(e) = atlas_mock::fuzzing::download_and_oauth_headers(&value, size) {
        panic!("{e}");
    }
});
