//! `WWW-Authenticate` parsing on arbitrary input: no panic; whatever parses formats to a value that
//! parses back to the same challenges; Digest challenges round-trip through their typed view; the
//! client state machine accepts or rejects the value with a typed error.
#![no_main]

use atlas_digest::{
    Challenge, Credentials, DigestChallenge, DigestClient, MAX_HEADER_LEN, RequestFacts,
    format_challenges, parse_challenges,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Split on newlines to also exercise several header values.
    let values: Vec<&str> = text.split('\n').collect();
    if let Ok(list) = parse_challenges(values.iter().copied()) {
        let formatted = format_challenges(&list);
        // Escaping may grow a value past the length limit; everything shorter must round-trip.
        if formatted.len() <= MAX_HEADER_LEN {
            let again: Vec<Challenge> =
                parse_challenges([formatted.as_str()]).expect("formatted challenges parse");
            assert_eq!(again, list, "format-then-parse changed {formatted:?}");
        }
        for c in &list {
            if let Ok(d) = DigestChallenge::from_challenge(c) {
                let shown = d.to_string();
                if shown.len() > MAX_HEADER_LEN {
                    continue;
                }
                if let Ok(back) = shown.parse::<DigestChallenge>() {
                    assert_eq!(back, d, "typed round trip changed {shown:?}");
                } else {
                    // Only values with control characters cannot be shown; the parser rejects those
                    // in quoted strings, so this cannot happen for parsed input.
                    panic!("typed challenge did not parse back: {shown:?}");
                }
                let _ = d.respond(
                    &Credentials::new("user", "pass"),
                    &RequestFacts::new("GET", "/").with_body(b"x"),
                    "cnonce",
                    1,
                );
            }
        }
    }
    let client = DigestClient::new(Credentials::new("user", "pass"));
    let mut state = client.start();
    let _ = client.authorize(&mut state, &RequestFacts::new("GET", "/"), "c");
    if client
        .on_unauthorized(&mut state, values.iter().copied())
        .is_ok()
    {
        // A challenge was adopted: authorizing must work or fail with a typed error, never panic.
        let _ = client.authorize(&mut state, &RequestFacts::new("GET", "/"), "c");
    }
});
