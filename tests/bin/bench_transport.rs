//! `atlas-bench-transport URL COUNT CONCURRENCY [USER PASSWORD]`: COUNT GETs of URL through one
//! `atlas_transport::Client` (no typed decoding: the transport alone), CONCURRENCY at a time, as
//! `cargo xtask bench` runs them; without USER and PASSWORD no credentials are sent. A request
//! succeeds on a 200. Prints `ok=<n> failed=<n> round_trips=<n> challenges=<n> elapsed_s=<s>
//! cpu_s=<s>` on stdout (see `atlas_integration_tests::bench`); exits 1 if a request failed.
//!
//! `atlas-bench-transport --paired FLOOR_URL BLOCK SERVER_PID URL COUNT CONCURRENCY USER
//! PASSWORD`: an authenticated client for URL and an unauthenticated one for FLOOR_URL, COUNT
//! requests each in alternating blocks of BLOCK; prints a `kind=auth` and a `kind=floor` line,
//! each with the CPU time of process SERVER_PID during that kind's blocks.
//!
//! With `--fixed-auth` first, the "authenticated" client has no credentials: each of its requests
//! carries an `Authorization` of the shape and length ours sends, whose `response` is computed
//! per request from a hash state prepared once (two MD5 compressions, as in our steady state), with
//! a counter for nc and cnonce. Sent to a `/noauth` URL, which ignores it, it measures the
//! client work any Digest client must do per request (the hash, the header's bytes through the
//! transport) without ours: the floor under the authentication CPU figures. With `--no-auth`
//! first instead, that client sends nothing of the kind: both kinds are the floor, and their
//! difference is the method's own error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use atlas_integration_tests::bench::{drive, drive_paired, number};
use atlas_transport::Client;
use bytes::Bytes;
use http::HeaderValue;
use md5::{Digest, Md5};

const USAGE: &str = "usage: atlas-bench-transport [--fixed-auth | --no-auth] [--paired FLOOR_URL BLOCK SERVER_PID] URL COUNT CONCURRENCY [USER PASSWORD]";

/// The per-request work of a Digest `Authorization` with none of our client's machinery: the
/// header's fixed parts rendered once, the hash of its fixed prefix (`H(A1) ":" nonce ":"`, 66
/// bytes) absorbed once; per request an nc and a cnonce from a counter, the response's hash
/// finished from a copy of that state (two compressions, as for ours), and the value assembled.
struct FixedAuth {
    head: String,
    prefix: Md5,
    ha2: [u8; 32],
    counter: AtomicU64,
}

impl FixedAuth {
    fn new(user: &str, password: &str, uri: &str) -> FixedAuth {
        let realm = "MMS Public API";
        let nonce = "Yw2nWjV5Q0Zl7wVmQ1FuR3pTZmpY4cBk";
        let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let ha1 = hex(&Md5::digest(format!("{user}:{realm}:{password}")));
        let mut ha2 = [0u8; 32];
        ha2.copy_from_slice(hex(&Md5::digest(format!("GET:{uri}"))).as_bytes());
        let mut prefix = Md5::new();
        prefix.update(format!("{ha1}:{nonce}:"));
        FixedAuth {
            head: format!(
                "Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", algorithm=MD5, qop=auth, nc="
            ),
            prefix,
            ha2,
            counter: AtomicU64::new(1),
        }
    }

    /// This request's value.
    fn value(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut nc = [0u8; 8];
        for (i, d) in nc.iter_mut().enumerate() {
            *d = HEX[((n >> (28 - 4 * i)) & 0xf) as usize];
        }
        // 48 hex digits: the counter's 16, three times (unique per request, not random: a floor).
        let mut cnonce = [0u8; 48];
        for (i, d) in cnonce.iter_mut().enumerate() {
            *d = HEX[((n >> (60 - 4 * (i % 16))) & 0xf) as usize];
        }
        let mut h = self.prefix.clone();
        h.update(nc);
        h.update(b":");
        h.update(cnonce);
        h.update(b":auth:");
        h.update(self.ha2);
        let digest = h.finalize();
        let mut response = [0u8; 32];
        for (pair, b) in response.chunks_exact_mut(2).zip(digest) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0xf)];
        }
        let mut v = Vec::with_capacity(self.head.len() + 8 + 11 + 48 + 13 + 32 + 1);
        v.extend_from_slice(self.head.as_bytes());
        v.extend_from_slice(&nc);
        v.extend_from_slice(b", cnonce=\"");
        v.extend_from_slice(&cnonce);
        v.extend_from_slice(b"\", response=\"");
        v.extend_from_slice(&response);
        v.push(b'"');
        let mut value = HeaderValue::from_maybe_shared(Bytes::from(v))
            .unwrap_or_else(|_| HeaderValue::from_static("Digest"));
        value.set_sensitive(true);
        value
    }
}

fn client(credentials: Option<(&str, &str)>) -> Client {
    let mut builder = Client::builder().user_agent_suffix("atlas-bench-transport");
    if let Some((user, password)) = credentials {
        builder = builder.credentials(user, password);
    }
    builder.build().unwrap_or_else(|e| {
        eprintln!("atlas-bench-transport: {e}\n{USAGE}");
        std::process::exit(2)
    })
}

/// One GET of `url` (with a fixed-shape `Authorization` from `fixed`, if given); whether it
/// answered 200.
async fn get(client: Client, url: String, fixed: Option<Arc<FixedAuth>>) -> bool {
    let mut request =
        http::Request::get(url.as_str()).header(http::header::ACCEPT, "application/json");
    if let Some(f) = &fixed {
        request = request.header(http::header::AUTHORIZATION, f.value());
    }
    let request = match request.body(Bytes::new()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("atlas-bench-transport: invalid URL: {e}");
            return false;
        }
    };
    match client.execute(request).await {
        Ok(r) => r.status() == http::StatusCode::OK,
        Err(e) => {
            eprintln!("atlas-bench-transport: {e}");
            false
        }
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let fixed_auth = args.first().map(String::as_str) == Some("--fixed-auth");
    let no_auth = args.first().map(String::as_str) == Some("--no-auth");
    if fixed_auth || no_auth {
        args.remove(0);
    }
    let paired = if args.first().map(String::as_str) == Some("--paired") {
        if args.len() != 9 {
            eprintln!("atlas-bench-transport: wrong number of arguments\n{USAGE}");
            std::process::exit(2);
        }
        let floor_url = args[1].clone();
        let block = number(args.get(2), "BLOCK", USAGE);
        let pid = number(args.get(3), "SERVER_PID", USAGE);
        args.drain(..4);
        Some((floor_url, block, u32::try_from(pid).unwrap_or(u32::MAX)))
    } else {
        None
    };
    if args.len() != 3 && args.len() != 5 {
        eprintln!("atlas-bench-transport: wrong number of arguments\n{USAGE}");
        std::process::exit(2);
    }
    let url = args[0].clone();
    let count = number(args.get(1), "COUNT", USAGE);
    let concurrency = number(args.get(2), "CONCURRENCY", USAGE);
    let credentials = (args.len() == 5).then(|| (args[3].as_str(), args[4].as_str()));
    let fixed = match (fixed_auth, credentials) {
        (false, _) => None,
        (true, Some((user, password))) => {
            let path = url.find("/api/").map_or("/", |at| &url[at..]);
            Some(Arc::new(FixedAuth::new(user, password, path)))
        }
        (true, None) => {
            eprintln!("atlas-bench-transport: --fixed-auth needs USER and PASSWORD\n{USAGE}");
            std::process::exit(2)
        }
    };
    let authed = client(if fixed.is_some() || no_auth {
        None
    } else {
        credentials
    });
    // The request of a client to a URL, as `drive` calls it.
    let one = |c: &Client, u: &str, f: Option<Arc<FixedAuth>>| {
        let (c, u) = (c.clone(), u.to_owned());
        move || get(c.clone(), u.clone(), f.clone())
    };
    let failed = match paired {
        None => {
            let out = drive(count, concurrency, one(&authed, &url, fixed.clone())).await;
            let stats = authed.stats();
            println!("{}", out.line(stats.round_trips, stats.challenges));
            out.failed
        }
        Some((floor_url, block, pid)) => {
            let floor = client(None);
            let kinds = drive_paired(
                count,
                block,
                concurrency,
                pid,
                one(&authed, &url, fixed.clone()),
                one(&floor, &floor_url, None),
            )
            .await
            .unwrap_or_else(|e| {
                eprintln!("atlas-bench-transport: cannot read the server's CPU time: {e}");
                std::process::exit(2)
            });
            for (kind, c, out) in [("auth", &authed, &kinds[0]), ("floor", &floor, &kinds[1])] {
                let stats = c.stats();
                println!("{}", out.line(kind, stats.round_trips, stats.challenges));
            }
            kinds[0].outcome.failed + kinds[1].outcome.failed
        }
    };
    if failed > 0 {
        std::process::exit(1);
    }
}
