//! A small `curl --digest`:
//!
//! ```text
//! cargo run --release -p atlas-transport --example fetch -- \
//!     [--user USER:PASSWORD] [--count N] [--concurrency C] [--cacert PEM] URL
//! ```
//!
//! Sends N GET requests (default 1) over one client, C at a time (default 1), prints the last
//! response body to stdout and one summary line to stderr (requests, statuses, round trips,
//! challenges, elapsed time). Exits with status 1 if any request failed (transport error or a
//! status of 400 or more), 2 on bad arguments.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use atlas_transport::Client;
use bytes::Bytes;

const USAGE: &str =
    "usage: fetch [--user USER:PASSWORD] [--count N] [--concurrency C] [--cacert PEM] URL";

struct Args {
    user: Option<(String, String)>,
    count: usize,
    concurrency: usize,
    cacert: Option<String>,
    url: String,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut user = None;
    let mut count = 1usize;
    let mut concurrency = 1usize;
    let mut cacert = None;
    let mut url = None;
    let number = |name: &str, v: Option<String>| -> Result<usize, String> {
        let v = v.ok_or_else(|| format!("{name} needs a value"))?;
        match v.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{name} must be a positive integer, got {v:?}")),
        }
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-u" | "--user" => {
                let v = it.next().ok_or("--user needs USER:PASSWORD")?;
                let (u, p) = v.split_once(':').ok_or("--user must be USER:PASSWORD")?;
                user = Some((u.to_owned(), p.to_owned()));
            }
            "-n" | "--count" => count = number("--count", it.next())?,
            "-c" | "--concurrency" => concurrency = number("--concurrency", it.next())?,
            "--cacert" => cacert = Some(it.next().ok_or("--cacert needs a PEM file")?),
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with('-') => return Err(format!("unknown option {s}")),
            s => {
                if url.replace(s.to_owned()).is_some() {
                    return Err("only one URL".into());
                }
            }
        }
    }
    let url = url.ok_or("a URL is required")?;
    Ok(Args {
        user,
        count,
        concurrency: concurrency.min(count),
        cacert,
        url,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("fetch: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };

    let mut builder = Client::builder().user_agent_suffix("fetch-example");
    if let Some((u, p)) = &args.user {
        builder = builder.credentials(u.clone(), p.clone());
    }
    if let Some(pem) = &args.cacert {
        builder = builder.add_root_pem_file(pem);
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fetch: {}", error_chain(&e));
            return ExitCode::from(2);
        }
    };

    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let statuses = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let last_body = Arc::new(Mutex::new((0usize, Bytes::new())));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, next) = (client.clone(), args.url.clone(), next.clone());
        let (statuses, last_body, failed) = (statuses.clone(), last_body.clone(), failed.clone());
        let count = args.count;
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    break;
                }
                let request = match http::Request::get(&url).body(Bytes::new()) {
                    Ok(r) => r,
                    Err(e) => {
                        eprintln!("fetch: invalid URL: {e}");
                        failed.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                };
                let key = match client.execute(request).await {
                    Ok(response) => {
                        if response.status().as_u16() >= 400 {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                        let mut last = last_body.lock().unwrap_or_else(|p| p.into_inner());
                        if i >= last.0 {
                            *last = (i, response.body().clone());
                        }
                        response.status().as_u16().to_string()
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::SeqCst);
                        eprintln!("fetch: request {}: {}", i + 1, error_chain(&e));
                        if let Some(r) = e.response() {
                            let mut last = last_body.lock().unwrap_or_else(|p| p.into_inner());
                            if i >= last.0 {
                                *last = (i, r.body().clone());
                            }
                        }
                        error_kind(&e)
                    }
                };
                *statuses
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(key)
                    .or_default() += 1;
            }
        }));
    }
    for w in workers {
        if w.await.is_err() {
            failed.fetch_add(1, Ordering::SeqCst);
        }
    }
    let elapsed = started.elapsed();

    let body = last_body
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .1
        .clone();
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&body);
    if !body.ends_with(b"\n") && !body.is_empty() {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();

    let stats = client.stats();
    let statuses: Vec<String> = statuses
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(s, n)| format!("{s}x{n}"))
        .collect();
    eprintln!(
        "requests={} statuses={} round_trips={} challenges={} retries={} elapsed={:.3}s",
        stats.requests,
        statuses.join(","),
        stats.round_trips,
        stats.challenges,
        stats.retries,
        elapsed.as_secs_f64()
    );
    if failed.load(Ordering::SeqCst) > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn error_kind(e: &atlas_transport::Error) -> String {
    use atlas_transport::Error as E;
    match e {
        E::AuthRejected { .. } => "auth-rejected".into(),
        E::RetriesExhausted {
            last_status: Some(s),
            ..
        } => format!("{}-exhausted", s.as_u16()),
        E::Timeout { kind, .. } => format!("{kind}-timeout"),
        E::Connect { .. } => "connect-error".into(),
        E::Tls { .. } => "tls-error".into(),
        E::Proxy { .. } => "proxy-error".into(),
        E::BodyTooLarge { .. } => "too-large".into(),
        _ => "error".into(),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
