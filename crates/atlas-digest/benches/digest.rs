//! Each measured operation beside the bare work it cannot avoid (the floor), in the same criterion
//! group so that both are measured side by side in one run:
//!
//! - `authorization/<alg>`: the client's steady-state `Authorization` (H(A1) cached per challenge:
//!   two hash calls, H(A2) and the response) vs `bare_2_hashes`; `bare_3_hashes` adds H(A1) for
//!   comparison with clients that recompute it.
//! - `verify/<alg>`: the server's `verify` of a nonce it already tracks (MAC check and H(A1) cached:
//!   two hash calls) vs `bare_2_hashes`; `verify_and_authentication_info` adds the `rspauth` value
//!   (two more hash calls) vs `bare_4_hashes`.
//! - `authentication_info/<alg>`: the client's handling of `Authentication-Info` (parse, `rspauth`
//!   recomputed: two hash calls, compared) vs `bare_2_hashes`.
//! - `challenge_parse`: parsing two challenges vs one pass over the same bytes.
//!
//! The bare functions hash exactly the bytes the protocol hashes (hex included), nothing else.
//!
//! The MD5 rows of the client and server groups use what real Atlas sends (a 32-character nonce,
//! `qop="auth"`, no opaque: `ServerConfig::mongodb_atlas`), the case the per-request targets are
//! about; the nonce length decides how many MD5 blocks a request costs.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use atlas_digest::{
    Algorithm, Authorize, Credentials, DigestChallenge, DigestClient, DigestServer,
    InMemoryCredentials, NextNonce, Opaque, RequestFacts, ServerConfig, Stale, parse_challenges,
};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use md5::Md5;
use sha2::{Digest, Sha256};

const MD5_CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const SHA_CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
/// The challenge of real Atlas (32-character base64 nonce, `qop="auth"`, no opaque).
const ATLAS_MD5_CHALLENGE: &str = r#"Digest realm="MMS Public API", domain="", nonce="q1Xz+7bK/3fWm0pL8sT2vY9aE4cR6hJn", algorithm=MD5, qop="auth", stale=false"#;
const ATLAS_NONCE: &str = "q1Xz+7bK/3fWm0pL8sT2vY9aE4cR6hJn";
/// 48 hex digits, the length atlas-transport sends.
const CNONCE: &str = "8c1f0e9d2b7a46e3915cd0f47a2b6e81d93c5a07f1e24b68";
const URI: &str =
    "/api/atlas/v1.0/groups/5e2211c17a3e5a48f5497de3/clusters/c0/backup/tenant/snapshots";

fn hex<const N: usize>(bytes: &[u8], out: &mut [u8; N]) {
    const D: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = D[usize::from(b >> 4)];
        pair[1] = D[usize::from(b & 15)];
    }
}

/// The hash calls of one `qop=auth` response (or, with an empty method, `rspauth`), hex included
/// (as the protocol requires), nothing else.
fn bare<H: Digest, const N: usize>(
    with_ha1: bool,
    cached_ha1: &[u8; N],
    method: &[u8],
    nonce: &[u8],
) -> [u8; N] {
    let mut ha1 = *cached_ha1;
    if with_ha1 {
        let mut h = H::new();
        h.update(b"Mufasa:http-auth@example.org:Circle of Life");
        hex(&h.finalize(), &mut ha1);
    }
    let mut h = H::new();
    h.update(method);
    h.update(b":");
    h.update(URI.as_bytes());
    let mut ha2 = [0u8; N];
    hex(&h.finalize(), &mut ha2);
    let mut h = H::new();
    h.update(ha1);
    h.update(b":");
    h.update(nonce);
    h.update(b":00000001:");
    h.update(CNONCE.as_bytes());
    h.update(b":auth:");
    h.update(ha2);
    let mut out = [0u8; N];
    hex(&h.finalize(), &mut out);
    out
}

fn client_for(challenge: &str) -> DigestClient {
    let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
    let mut st = client.start();
    let _probe = client.authorize(&mut st, &RequestFacts::new("GET", URI), CNONCE);
    client
        .on_unauthorized(&mut st, [challenge])
        .expect("challenge adopted");
    client
}

/// `bare_2_hashes` (the response with `method`, or `rspauth` with an empty one) and `bare_4_hashes`
/// (response and rspauth).
fn floors(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    alg: Algorithm,
    nonce: &str,
    method: &'static [u8],
) {
    let n = nonce.as_bytes();
    match alg {
        Algorithm::Md5 => {
            let cached = [b'a'; 32];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Md5, 32>(false, black_box(&cached), method, n)))
            });
            g.bench_function("bare_4_hashes", |b| {
                b.iter(|| {
                    (
                        black_box(bare::<Md5, 32>(false, black_box(&cached), b"GET", n)),
                        black_box(bare::<Md5, 32>(false, black_box(&cached), b"", n)),
                    )
                })
            });
        }
        _ => {
            let cached = [b'a'; 64];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Sha256, 64>(false, black_box(&cached), method, n)))
            });
            g.bench_function("bare_4_hashes", |b| {
                b.iter(|| {
                    (
                        black_box(bare::<Sha256, 64>(false, black_box(&cached), b"GET", n)),
                        black_box(bare::<Sha256, 64>(false, black_box(&cached), b"", n)),
                    )
                })
            });
        }
    }
}

fn authorization(c: &mut Criterion) {
    let facts = RequestFacts::new("GET", URI);
    for (name, challenge, nonce) in [
        ("md5_auth", ATLAS_MD5_CHALLENGE, ATLAS_NONCE),
        ("sha256_auth", SHA_CHALLENGE, NONCE),
    ] {
        let mut g = c.benchmark_group(format!("authorization/{name}"));
        let client = client_for(challenge);
        g.bench_function("client_steady_state", |b| {
            b.iter(|| {
                let mut st = client.start();
                // The lease drops at once: its nc is retired, the span never fills.
                black_box(client.authorize(&mut st, black_box(&facts), black_box(CNONCE)))
            })
        });
        let parsed: DigestChallenge = challenge.parse().expect("challenge parses");
        let creds = Credentials::new("Mufasa", "Circle of Life");
        g.bench_function("respond_fixed_cnonce_from_scratch", |b| {
            b.iter(|| black_box(parsed.respond(&creds, black_box(&facts), CNONCE, 1)))
        });
        let n = nonce.as_bytes();
        if name == "md5_auth" {
            let cached = [b'a'; 32];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Md5, 32>(false, black_box(&cached), b"GET", n)))
            });
            g.bench_function("bare_3_hashes", |b| {
                b.iter(|| black_box(bare::<Md5, 32>(true, black_box(&cached), b"GET", n)))
            });
        } else {
            let cached = [b'a'; 64];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Sha256, 64>(false, black_box(&cached), b"GET", n)))
            });
            g.bench_function("bare_3_hashes", |b| {
                b.iter(|| black_box(bare::<Sha256, 64>(true, black_box(&cached), b"GET", n)))
            });
        }
        g.finish();
    }
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// The server `verify` of a nonce it already tracks, each iteration with the next nc (the header is
/// built outside the timing).
fn verify(c: &mut Criterion) {
    for (name, alg) in [
        ("md5_auth", Algorithm::Md5),
        ("sha256_auth", Algorithm::Sha256),
    ] {
        let mut g = c.benchmark_group(format!("verify/{name}"));
        // Atlas's shape for MD5 (32-character nonce, no opaque); the default shape for SHA-256.
        let config = match alg {
            Algorithm::Md5 => ServerConfig::mongodb_atlas().with_realm("http-auth@example.org"),
            _ => ServerConfig::new("http-auth@example.org")
                .with_algorithms([alg])
                .with_opaque(Opaque::Send),
        }
        .with_next_nonce(NextNonce::Never)
        .with_nonce_lifetime(Duration::from_secs(3600));
        let server = DigestServer::new(config, [3; 32]);
        let mut users = InMemoryCredentials::new();
        users.insert("Mufasa", "Circle of Life");
        users.insert("someone", "else");
        let nonce = server.new_nonce(now());
        let challenge = server.challenge_for(alg, nonce.clone(), Stale::False);
        let creds = Credentials::new("Mufasa", "Circle of Life");
        let facts = RequestFacts::new("GET", URI);
        let nc = Cell::new(1u32);
        let next = || {
            let n = nc.get();
            nc.set(n + 1);
            challenge
                .respond(&creds, &facts, CNONCE, n)
                .expect("credentials")
        };
        // Track the nonce (MAC checked, H(A1) cached) before measuring.
        server
            .verify(&next(), &facts, now(), &users)
            .expect("verifies");
        g.bench_function("server_verify_known_nonce", |b| {
            b.iter_batched(
                next,
                |a| black_box(server.verify(black_box(&a), &facts, now(), &users)),
                BatchSize::SmallInput,
            )
        });
        g.bench_function("verify_and_authentication_info", |b| {
            b.iter_batched(
                next,
                |a| {
                    let v = server
                        .verify(black_box(&a), &facts, now(), &users)
                        .expect("verifies");
                    black_box(v.authentication_info())
                },
                BatchSize::SmallInput,
            )
        });
        floors(&mut g, alg, &nonce, b"GET");
        g.finish();
    }
}

/// The client's handling of `Authentication-Info` for a request it sent (parse, rspauth recomputed
/// and compared in constant time).
fn authentication_info(c: &mut Criterion) {
    for (name, alg) in [
        ("md5_auth", Algorithm::Md5),
        ("sha256_auth", Algorithm::Sha256),
    ] {
        let mut g = c.benchmark_group(format!("authentication_info/{name}"));
        let config = match alg {
            Algorithm::Md5 => ServerConfig::mongodb_atlas().with_realm("http-auth@example.org"),
            _ => ServerConfig::new("http-auth@example.org")
                .with_algorithms([alg])
                .with_next_nonce(NextNonce::Never),
        };
        let server = DigestServer::new(config, [4; 32]);
        let mut users = InMemoryCredentials::new();
        users.insert("Mufasa", "Circle of Life");
        let nonce = server.new_nonce(now());
        let challenge = server
            .challenge_for(alg, nonce.clone(), Stale::False)
            .to_string();
        let client = client_for(&challenge);
        let facts = RequestFacts::new("GET", URI);
        let mut st = client.start();
        let Ok(Authorize::Send { header, lease }) = client.authorize(&mut st, &facts, CNONCE)
        else {
            panic!("credentials expected")
        };
        let info = server
            .verify(&header, &facts, now(), &users)
            .expect("verifies")
            .authentication_info();
        g.bench_function("client_on_authentication_info", |b| {
            b.iter(|| black_box(client.on_authentication_info(&st, black_box(&info))))
        });
        floors(&mut g, alg, &nonce, b"");
        drop(lease);
        g.finish();
    }
}

fn challenge_parsing(c: &mut Criterion) {
    let mut g = c.benchmark_group("challenge_parse");
    let two = [SHA_CHALLENGE, MD5_CHALLENGE];
    g.bench_function("parse_challenges_two_values", |b| {
        b.iter(|| black_box(parse_challenges(black_box(two))))
    });
    g.bench_function("digest_challenge_typed", |b| {
        b.iter(|| black_box(black_box(SHA_CHALLENGE).parse::<DigestChallenge>()))
    });
    // Floor: one pass over the same bytes (what any parser must at least do).
    g.bench_function("bare_byte_scan_two_values", |b| {
        b.iter(|| {
            black_box(two)
                .iter()
                .map(|v| v.bytes().filter(|&c| c == b',' || c == b'"').count())
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    authorization,
    verify,
    authentication_info,
    challenge_parsing
);
criterion_main!(benches);
