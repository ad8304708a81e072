//! Ratios to the bare hash floor, measured side by side in one run on a shared, noisy machine.
//!
//! Each round times a batch of every operation and of its floor back to back (interleaved, so that
//! frequency changes and neighbours hit all of them alike); per operation it reports the minimum
//! (least disturbed) and the median over the rounds, and the ratio of each to the floor's, with the
//! 10th-90th percentile spread of the per-round ratio. Pin it to one CPU:
//! `taskset -c 1 cargo bench -p atlas-digest --bench floor_ratios`.
//!
//! Operations (steady state, MD5 with Atlas's challenge shape and SHA-256):
//! - `verify`: the server's `verify` of a nonce it already tracks (2 hash calls) vs `bare_2`;
//! - `verify+info`: `verify` plus the `Authentication-Info` value (4 hash calls) vs `bare_4`;
//! - `client_info`: the client's `Authentication-Info` handling (2 hash calls) vs `bare_2_rspauth`;
//! - `authorize`: the client's steady-state `Authorization` (2 hash calls) vs `bare_2`;
//! - `client`: `authorize` + `client_info`, one request's client-side authentication CPU, vs
//!   `bare_2` + `bare_2_rspauth` (target: at most 1000 ns);
//! - `server`: `verify+info` again under the target's name (target: at most 1500 ns).
//!
//! Every `authorize` is checked to have produced credentials (a bench that measured a wait would
//! be measuring nothing).

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use atlas_digest::{
    Algorithm, Authorize, Credentials, DigestClient, DigestServer, InMemoryCredentials, NextNonce,
    RequestFacts, ServerConfig, Stale,
};
use sha2::Digest;

const URI: &str =
    "/api/atlas/v1.0/groups/5e2211c17a3e5a48f5497de3/clusters/c0/backup/tenant/snapshots";
/// 48 hex digits: the cnonce atlas-transport sends. `FLOOR_RATIOS_CNONCE_LEN=N` measures another
/// length (the block count of the response depends on it: see atlas-transport's `cnonce.rs`).
fn cnonce() -> &'static str {
    static CNONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CNONCE.get_or_init(|| {
        const HEX48: &str = "8c1f0e9d2b7a46e3915cd0f47a2b6e81d93c5a07f1e24b68";
        let len = std::env::var("FLOOR_RATIOS_CNONCE_LEN")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(48)
            .clamp(1, 480);
        HEX48.repeat(10)[..len].to_owned()
    })
}
const BATCH: usize = 1000;
const ROUNDS: usize = 80;

fn hex(d: &[u8], out: &mut [u8]) {
    const D: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(d) {
        pair[0] = D[usize::from(b >> 4)];
        pair[1] = D[usize::from(b & 15)];
    }
}

/// The two hash calls of a `qop=auth` response (`method` empty: `rspauth`), hex included.
fn bare<H: Digest, const N: usize>(method: &[u8], nonce: &str, cnonce: &str) -> [u8; N] {
    let mut x = H::new();
    x.update(method);
    x.update(b":");
    x.update(URI.as_bytes());
    let mut ha2 = [0u8; N];
    hex(&x.finalize(), &mut ha2);
    let mut x = H::new();
    x.update(black_box([b'a'; N]));
    x.update(b":");
    x.update(nonce.as_bytes());
    x.update(b":00000001:");
    x.update(cnonce.as_bytes());
    x.update(b":auth:");
    x.update(ha2);
    let mut out = [0u8; N];
    hex(&x.finalize(), &mut out);
    out
}

fn bare2(alg: Algorithm, method: &[u8], nonce: &str, cnonce: &str) {
    if alg == Algorithm::Md5 {
        black_box(bare::<md5::Md5, 32>(method, nonce, cnonce));
    } else {
        black_box(bare::<sha2::Sha256, 64>(method, nonce, cnonce));
    }
}

fn per_op(t: Instant, n: usize) -> f64 {
    t.elapsed().as_nanos() as f64 / n as f64
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn run(alg: Algorithm) {
    let cnonce = cnonce();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
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
    users.insert("someone", "else");
    let nonce = server.new_nonce(now);
    let challenge = server.challenge_for(alg, nonce.clone(), Stale::False);
    let creds = Credentials::new("Mufasa", "Circle of Life");
    let facts = RequestFacts::new("GET", URI);
    // Headers with increasing nc, prepared outside the timing (two verify batches per round).
    let headers: Vec<String> = (1..=(2 * BATCH * ROUNDS + 1) as u32)
        .map(|nc| {
            challenge
                .respond(&creds, &facts, cnonce, nc)
                .expect("respond")
        })
        .collect();
    server
        .verify(&headers[0], &facts, now, &users)
        .expect("the first verification tracks the nonce");
    // The client side: one request out (on a nonce of its own), its Authentication-Info in.
    let client_challenge = server
        .challenge_for(alg, server.new_nonce(now), Stale::False)
        .to_string();
    let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
    let mut st = client.start();
    let _probe = client.authorize(&mut st, &facts, cnonce);
    client
        .on_unauthorized(&mut st, [client_challenge.as_str()])
        .expect("adopted");
    let Ok(Authorize::Send { header, lease }) = client.authorize(&mut st, &facts, cnonce) else {
        panic!("credentials expected")
    };
    let info = server
        .verify(&header, &facts, now, &users)
        .expect("verifies")
        .authentication_info();
    let other = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
    let mut ost = other.start();
    let _probe = other.authorize(&mut ost, &facts, cnonce);
    other
        .on_unauthorized(&mut ost, [challenge.to_string().as_str()])
        .expect("adopted");
    // The adopting request's reserved first nc goes back: it would otherwise stay unretired and
    // fill the span after 31 requests, and every later `authorize` would be a wait.
    drop(ost);
    let mut sent = 0usize;

    let names = [
        "bare_2",
        "bare_2_rspauth",
        "verify",
        "verify+info",
        "client_info",
        "authorize",
    ];
    let mut t: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut next = 1;
    for _ in 0..ROUNDS {
        let s = Instant::now();
        for _ in 0..BATCH {
            bare2(alg, b"GET", &nonce, cnonce);
        }
        t[0].push(per_op(s, BATCH));
        let s = Instant::now();
        for _ in 0..BATCH {
            bare2(alg, b"", &nonce, cnonce);
        }
        t[1].push(per_op(s, BATCH));
        let s = Instant::now();
        for h in &headers[next..next + BATCH] {
            black_box(server.verify(h, &facts, now, &users).is_ok());
        }
        t[2].push(per_op(s, BATCH));
        next += BATCH;
        let s = Instant::now();
        for h in &headers[next..next + BATCH] {
            let v = server.verify(h, &facts, now, &users).expect("verifies");
            black_box(v.authentication_info());
        }
        t[3].push(per_op(s, BATCH));
        next += BATCH;
        let s = Instant::now();
        for _ in 0..BATCH {
            black_box(client.on_authentication_info(&st, black_box(&info)).is_ok());
        }
        t[4].push(per_op(s, BATCH));
        let s = Instant::now();
        for _ in 0..BATCH {
            let mut st = other.start();
            let a = other.authorize(&mut st, black_box(&facts), cnonce);
            sent += usize::from(matches!(a, Ok(Authorize::Send { .. })));
            black_box(a.is_ok());
        }
        t[5].push(per_op(s, BATCH));
    }
    assert_eq!(sent, BATCH * ROUNDS, "every authorize produced credentials");
    drop(lease);
    let rounds = t[0].len();
    let client: Vec<f64> = (0..rounds).map(|r| t[5][r] + t[4][r]).collect();
    let server = t[3].clone();
    t.push(client);
    t.push(server);
    let names = [&names[..], &["client", "server"]].concat();
    // Floor of each operation, per round: bare_2 for verify and authorize, bare_2 + bare_2_rspauth for
    // verify+info, bare_2_rspauth for client_info.
    let floor = |op: usize, r: usize| match op {
        3 | 6 | 7 => t[0][r] + t[1][r],
        4 => t[1][r],
        _ => t[0][r],
    };
    println!(
        "{alg}, {}-character nonce, {}-character cnonce (ns per operation; ratio = operation / its floor, per round)",
        nonce.len(),
        cnonce.len()
    );
    for (op, name) in names.iter().enumerate() {
        let mut v = t[op].clone();
        let min = percentile(&mut v, 0.0);
        let med = percentile(&mut v, 0.5);
        if op < 2 {
            println!("  {name:<15} min {min:7.0}  median {med:7.0}");
            continue;
        }
        let mut ratios: Vec<f64> = (0..ROUNDS).map(|r| t[op][r] / floor(op, r)).collect();
        let mut floors: Vec<f64> = (0..ROUNDS).map(|r| floor(op, r)).collect();
        let fmin = percentile(&mut floors, 0.0);
        println!(
            "  {name:<15} min {min:7.0}  median {med:7.0}  ratio min/min {:.2}  per-round median {:.2} (p10 {:.2}, p90 {:.2})",
            min / fmin,
            percentile(&mut ratios, 0.5),
            percentile(&mut ratios, 0.1),
            percentile(&mut ratios, 0.9),
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this with nothing to prove.
    if std::env::args().any(|a| a == "--bench") {
        run(Algorithm::Md5);
        run(Algorithm::Sha256);
    }
}
