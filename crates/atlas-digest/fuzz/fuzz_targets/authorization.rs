//! `Authorization` parsing and server verification on arbitrary input: no panic; whatever parses
//! formats to a value that parses back to the same header.
#![no_main]

use std::time::{Duration, SystemTime};

use atlas_digest::{
    AuthorizationHeader, DigestServer, InMemoryCredentials, MAX_HEADER_LEN, RequestFacts,
    ServerConfig,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(h) = text.parse::<AuthorizationHeader>() {
        let shown = h.to_string();
        // Escaping may grow a value past the length limit; everything shorter must round-trip.
        if shown.len() <= MAX_HEADER_LEN {
            let mut back: AuthorizationHeader =
                shown.parse().expect("formatted Authorization parses");
            // Formatting may switch to `username*` when the username needs it.
            back.username_extended = h.username_extended;
            assert_eq!(back, h, "format-then-parse changed {shown:?}");
        }
    }
    let server = DigestServer::new(ServerConfig::new("testrealm@host.com"), [0; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("Mufasa", "Circle Of Life");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let _ = server.verify(
        &text,
        &RequestFacts::new("GET", "/dir/index.html"),
        now,
        &users,
    );
});
