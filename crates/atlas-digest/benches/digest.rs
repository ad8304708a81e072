//! `Authorization` generation (MD5 qop=auth, SHA-256 qop=auth) and challenge parsing, each beside the
//! bare work it cannot avoid (the floor): the hash calls of the protocol, or one pass over the bytes.
//!
//! In steady state the client has H(A1) cached from the adopted challenge, so a request needs two hash
//! calls (H(A2) and the response); `bare_3_hashes` adds H(A1) for comparison with clients that
//! recompute it.

// criterion_group! generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;

use atlas_digest::{Credentials, DigestChallenge, DigestClient, RequestFacts, parse_challenges};
use criterion::{Criterion, criterion_group, criterion_main};
use md5::Md5;
use sha2::{Digest, Sha256};

const MD5_CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const SHA_CHALLENGE: &str = r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;
const NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
const URI: &str =
    "/api/atlas/v1.0/groups/5e2211c17a3e5a48f5497de3/clusters/c0/backup/tenant/snapshots";

fn hex<const N: usize>(bytes: &[u8], out: &mut [u8; N]) {
    const D: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = D[usize::from(b >> 4)];
        pair[1] = D[usize::from(b & 15)];
    }
}

/// The hash calls of one `qop=auth` response, hex included (as the protocol requires), nothing else.
fn bare<H: Digest, const N: usize>(with_ha1: bool, cached_ha1: &[u8; N]) -> [u8; N] {
    let mut ha1 = *cached_ha1;
    if with_ha1 {
        let mut h = H::new();
        h.update(b"Mufasa:http-auth@example.org:Circle of Life");
        hex(&h.finalize(), &mut ha1);
    }
    let mut h = H::new();
    h.update(b"GET:");
    h.update(URI.as_bytes());
    let mut ha2 = [0u8; N];
    hex(&h.finalize(), &mut ha2);
    let mut h = H::new();
    h.update(ha1);
    h.update(b":");
    h.update(NONCE.as_bytes());
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

fn authorization(c: &mut Criterion) {
    let facts = RequestFacts::new("GET", URI);
    for (name, challenge) in [("md5_auth", MD5_CHALLENGE), ("sha256_auth", SHA_CHALLENGE)] {
        let mut g = c.benchmark_group(format!("authorization/{name}"));
        let client = client_for(challenge);
        g.bench_function("client_steady_state", |b| {
            b.iter(|| {
                let mut st = client.start();
                black_box(client.authorize(&mut st, black_box(&facts), black_box(CNONCE)))
            })
        });
        let parsed: DigestChallenge = challenge.parse().expect("challenge parses");
        let creds = Credentials::new("Mufasa", "Circle of Life");
        g.bench_function("respond_fixed_cnonce_from_scratch", |b| {
            b.iter(|| black_box(parsed.respond(&creds, black_box(&facts), CNONCE, 1)))
        });
        if name == "md5_auth" {
            let cached = [b'a'; 32];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Md5, 32>(false, black_box(&cached))))
            });
            g.bench_function("bare_3_hashes", |b| {
                b.iter(|| black_box(bare::<Md5, 32>(true, black_box(&cached))))
            });
        } else {
            let cached = [b'a'; 64];
            g.bench_function("bare_2_hashes", |b| {
                b.iter(|| black_box(bare::<Sha256, 64>(false, black_box(&cached))))
            });
            g.bench_function("bare_3_hashes", |b| {
                b.iter(|| black_box(bare::<Sha256, 64>(true, black_box(&cached))))
            });
        }
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

criterion_group!(benches, authorization, challenge_parsing);
criterion_main!(benches);
