//! `Authentication-Info` parsing and the client's handling of it on arbitrary input: no panic;
//! whatever parses formats to a value that parses back to the same info.
#![no_main]

use atlas_digest::{
    AuthenticationInfo, Authorize, Credentials, DigestClient, MAX_HEADER_LEN, RequestFacts,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(info) = text.parse::<AuthenticationInfo>() {
        let shown = info.to_string();
        if shown.len() <= MAX_HEADER_LEN {
            let back: AuthenticationInfo =
                shown.parse().expect("formatted Authentication-Info parses");
            assert_eq!(back, info, "format-then-parse changed {shown:?}");
        }
    }
    let client = DigestClient::new(Credentials::new("Mufasa", "Circle Of Life"));
    let mut state = client.start();
    let challenge = "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
        nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    let facts = RequestFacts::new("GET", "/dir/index.html");
    let _ = client.authorize(&mut state, &facts, "0a4f113b");
    if client.on_unauthorized(&mut state, [challenge]).is_ok() {
        if let Ok(Authorize::Send { lease, .. }) = client.authorize(&mut state, &facts, "0a4f113b") {
            let _ = client.on_authentication_info(&state, &text);
            let _ = client.on_authentication_info_with_body(&state, &text, Some(data));
            drop(lease);
        }
    }
});
