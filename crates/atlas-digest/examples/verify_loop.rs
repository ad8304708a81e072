//! `cargo run --release --example verify_loop -- N [info]`: N server verifications of a tracked
//! nonce in Atlas's shape (MD5, qop `auth`, 32-character nonce, no opaque, the seed endpoint's
//! URI), each with the next nc; with `info`, each also builds the `Authentication-Info` value.
//!
//! A fixed workload for instruction counts: the headers are built first, then `verify_all` (never
//! inlined) verifies them, so `valgrind --tool=callgrind --toggle-collect='*verify_all*'` counts
//! exactly the verifications.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, Credentials, DigestServer, InMemoryCredentials, NextNonce, RequestFacts,
    ServerConfig, Stale,
};

const URI: &str = "/api/atlas/v1.0/groups/5b69d0349b15c62cdfc38b78/clusters/M2AWS/backup/tenant/snapshots/5cc310ace5dc7ce369814bc8";

#[inline(never)]
fn verify_all(
    server: &DigestServer,
    headers: &[String],
    facts: &RequestFacts<'_>,
    now: SystemTime,
    users: &InMemoryCredentials,
    info: bool,
) -> usize {
    let mut ok = 0;
    for h in headers {
        let v = server
            .verify(black_box(h), facts, now, users)
            .expect("verifies");
        if info {
            black_box(v.authentication_info());
        }
        black_box(&v);
        ok += 1;
    }
    ok
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let info = args.next().as_deref() == Some("info");
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let config = ServerConfig::mongodb_atlas()
        .with_next_nonce(NextNonce::Never)
        .with_nonce_lifetime(Duration::from_secs(3600));
    let server = DigestServer::new(config, [3; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("bench", "bench-secret");
    let challenge = server.challenge_for(Algorithm::Md5, server.new_nonce(now), Stale::False);
    let creds = Credentials::new("bench", "bench-secret");
    let facts = RequestFacts::new("GET", URI);
    let headers: Vec<String> = (1..=n + 1)
        .map(|nc| {
            challenge
                .respond(&creds, &facts, "0a4f113b9c2d7e61", nc)
                .expect("credentials")
        })
        .collect();
    // The first verification tracks the nonce (MAC checked, H(A1) cached), as on a live connection.
    server
        .verify(&headers[0], &facts, now, &users)
        .expect("verifies");
    let ok = verify_all(&server, &headers[1..], &facts, now, &users, info);
    println!("verified {ok}");
}
