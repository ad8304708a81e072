//! One request's authentication work in a loop, for instruction and allocation counters (valgrind),
//! which do not depend on what else the machine runs -- unlike timings on a shared 2-core machine.
//! Not a timing benchmark (`floor_ratios` and `digest` are); it prints a rough time only.
//!
//! `PER_REQUEST_SIDE=client`: the client's `authorize` and `on_authentication_info` for each of N
//! requests (the server answers in between); `server`: `verify` of N prepared headers and each
//! `Authentication-Info` value. `PER_REQUEST_ALG=md5|sha256` (MD5 with Atlas's challenge shape:
//! 32-character nonce), `PER_REQUEST_CNONCE_LEN` (default 48, what atlas-transport sends),
//! `PER_REQUEST_N` (default 20000). Count one side only, e.g.:
//!
//! ```text
//! PER_REQUEST_SIDE=client valgrind --tool=callgrind --toggle-collect='*per_request::measured*' \
//!     target/release/deps/per_request-* --bench
//! ```
//!
//! (`measured_*` are the only functions that run the measured calls, kept out of line so the
//! counter can be switched on around them whatever the crate inlines.)
//!
//! then `callgrind_annotate` (instructions; `md5::compress` runs about 660 per 64-byte block) and the
//! `calls=` of `malloc` in the output file (allocations), each divided by N.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use atlas_digest::{
    Algorithm, Authorize, Credentials, DigestClient, DigestError, DigestServer,
    InMemoryCredentials, NextNonce, RequestFacts, RequestState, ServerConfig, Stale,
};

#[inline(never)]
fn measured_authorize(
    client: &DigestClient,
    st: &mut RequestState,
    facts: &RequestFacts<'_>,
    cnonce: &str,
) -> Result<Authorize, DigestError> {
    client.authorize(st, facts, cnonce)
}

#[inline(never)]
fn measured_authentication_info(
    client: &DigestClient,
    st: &RequestState,
    info: &str,
) -> Result<(), DigestError> {
    client.on_authentication_info(st, info)
}

#[inline(never)]
fn measured_verify_and_info(
    server: &DigestServer,
    header: &str,
    facts: &RequestFacts<'_>,
    now: SystemTime,
    users: &InMemoryCredentials,
) -> String {
    server
        .verify(header, facts, now, users)
        .expect("verifies")
        .authentication_info()
}

const URI: &str =
    "/api/atlas/v1.0/groups/5e2211c17a3e5a48f5497de3/clusters/c0/backup/tenant/snapshots";
const HEX: &str = "8c1f0e9d2b7a46e3915cd0f47a2b6e81d93c5a07f1e24b688c1f0e9d2b7a46e3915cd0f4";

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
    let alg = match env("PER_REQUEST_ALG", String::from("md5")).as_str() {
        "sha256" => Algorithm::Sha256,
        _ => Algorithm::Md5,
    };
    let cnonce = &HEX[..env("PER_REQUEST_CNONCE_LEN", 48usize).clamp(1, HEX.len())];
    let n: u32 = env("PER_REQUEST_N", 20_000);
    let config = match alg {
        Algorithm::Md5 => ServerConfig::mongodb_atlas().with_realm("http-auth@example.org"),
        _ => ServerConfig::new("http-auth@example.org")
            .with_algorithms([alg])
            .with_next_nonce(NextNonce::Never),
    }
    .with_nonce_lifetime(Duration::from_secs(3600));
    let server = DigestServer::new(config, [3; 32]);
    let mut users = InMemoryCredentials::new();
    users.insert("Mufasa", "Circle of Life");
    let challenge = server.challenge_for(alg, server.new_nonce(now), Stale::False);
    let facts = RequestFacts::new("GET", URI);
    if env("PER_REQUEST_SIDE", String::from("server")) == "client" {
        let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
        let mut st = client.start();
        let _probe = client.authorize(&mut st, &facts, cnonce);
        client
            .on_unauthorized(&mut st, [challenge.to_string().as_str()])
            .expect("adopted");
        drop(st);
        let mut spent = Duration::ZERO;
        for _ in 0..n {
            let mut st = client.start();
            let t = Instant::now();
            let Ok(Authorize::Send { header, lease }) =
                measured_authorize(&client, &mut st, &facts, cnonce)
            else {
                panic!("credentials expected")
            };
            spent += t.elapsed();
            let info = server
                .verify(&header, &facts, now, &users)
                .expect("verifies")
                .authentication_info();
            let t = Instant::now();
            measured_authentication_info(&client, &st, &info).expect("rspauth verifies");
            spent += t.elapsed();
            drop(lease);
        }
        eprintln!(
            "{alg} client: {:.0} ns per authorize + Authentication-Info (rough)",
            spent.as_nanos() as f64 / f64::from(n)
        );
    } else {
        let creds = Credentials::new("Mufasa", "Circle of Life");
        let headers: Vec<String> = (1..=n)
            .map(|nc| {
                challenge
                    .respond(&creds, &facts, cnonce, nc)
                    .expect("respond")
            })
            .collect();
        let t = Instant::now();
        for h in &headers {
            black_box(measured_verify_and_info(&server, h, &facts, now, &users));
        }
        eprintln!(
            "{alg} server: {:.0} ns per verify + Authentication-Info (rough)",
            t.elapsed().as_nanos() as f64 / f64::from(n)
        );
    }
}
