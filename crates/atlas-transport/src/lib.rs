//! `atlas-transport`: the HTTP executor for the MongoDB Atlas Admin API.
//!
//! [`Client`] executes an [`http::Request`] whose body is [`bytes::Bytes`] and returns an
//! [`http::Response`] with the body collected, on hyper 1 and hyper-util's pooled client:
//!
//! - **Connections**: keep-alive pool, HTTP/1.1 and HTTP/2 (chosen by ALPN), TLS through
//!   rustls with the ring provider (no OpenSSL); trust roots from `webpki-roots` by default, the
//!   system store as an option, and extra CA certificates from PEM.
//! - **HTTP Digest** (driven by [`atlas_digest`]): one session per origin. The first request to
//!   an origin goes out without credentials and pays the `401` challenge; every later request
//!   sends `Authorization` up front with the next nonce count, so the steady state is one round
//!   trip per request. Concurrent first requests share one challenge: exactly one probes, the
//!   others wait for it (if the probe is dropped or fails without a `401`, the next one probes).
//!   Each attempt holds an nc lease until its answer arrives, it fails, or the request is dropped;
//!   at most [`ClientConfig::nc_span`](atlas_digest::ClientConfig::nc_span) (32, within the
//!   server's replay window, 64 by default) nc values of a nonce are out at once, and further
//!   requests wait for a slot in order, so no request is refused for nc ordering. `stale=true`
//!   costs the request that got it one round trip, and one new nonce serves everyone; wrong
//!   credentials end in [`Error::AuthRejected`] after exactly one retry; `Authentication-Info`
//!   (`rspauth`) is verified when the server sends it. [`ClientBuilder::digest_config`] takes the
//!   digest settings (server window, MD5 refused, `rspauth` required ...).
//! - **Retries** (see [`RetryPolicy`]): connection failures, attempt timeouts and 429 / 502 /
//!   503 / 504, exponential back-off with full jitter, `Retry-After` honoured, bounded by
//!   attempts, by the sum of waits and by the total timeout.
//! - **Timeouts** (see [`Timeouts`]): connect, per attempt, total; each reported as
//!   [`Error::Timeout`] with its [`TimeoutKind`].
//! - **Body limit**: responses larger than [`ClientBuilder::body_limit`] (8 MiB by default)
//!   fail with [`Error::BodyTooLarge`].
//! - **Proxies** (see [`ProxyConfig`]): `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the
//!   environment or set explicitly, `CONNECT` tunnels for `https://`, Basic proxy credentials.
//! - **Safety**: credentials are never sent over plain `http://` to a host that is not loopback
//!   unless [`ClientBuilder::allow_insecure_http`] says so; redirects are not followed (a `3xx`
//!   is returned as it is); secrets never appear in `Debug` output or in logs.
//! - **Observability**: a `tracing` span per request (`method`, `path`, `status`, `attempts`,
//!   `challenged`, `elapsed_ms`) and per attempt (`attempt`, `authorized`, `status`,
//!   `elapsed_ms`), and [`Stats`] counters (requests, round trips, challenges, retries).
//!
//! - **Streaming without credentials**: [`StreamingClient`] hands a large body over chunk by
//!   chunk ([`BodyStream`]) with an idle timeout instead of a total one, for pre-signed
//!   download URLs; it holds no credentials and refuses requests that carry any.
//!
//! # What becomes an error
//!
//! A non-retryable status (200, 400, 403, 404, 500 ...) is `Ok(response)`: the caller decides
//! what it means. A retryable status that persists after the retry budget is
//! [`Error::RetriesExhausted`] with the last response; with [`RetryPolicy::none`] it is
//! `Ok(response)`. A `401` to our credentials is [`Error::AuthRejected`] with the server's
//! `reason` and the response. A transport failure (connect, TLS, timeout, I/O) that persists
//! after the retry budget is reported as itself, with the last failure.
//!
//! # Request bodies and the first challenge
//!
//! A request with a body that happens to be the first one to an origin is sent with its body,
//! and sent again after the `401`. Atlas answers the challenge without reading the body, the
//! bodies of the Admin API are small JSON documents, and this happens at most once per origin
//! and client (later requests authorize up front), so a separate probe request is not worth
//! its extra round trip.
//!
//! # Example
//!
//! ```no_run
//! use atlas_transport::Client;
//! use bytes::Bytes;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder()
//!     .credentials("PUBLIC_KEY", "PRIVATE_KEY")
//!     .user_agent_suffix("atlas-snapshots/0.1.0")
//!     .build()?;
//! let request = http::Request::get("https://cloud.mongodb.com/api/atlas/v2/groups")
//!     .header("accept", "application/vnd.atlas.2023-01-01+json")
//!     .body(Bytes::new())?;
//! let response = client.execute(request).await?;
//! println!("{} {:?}", response.status(), client.stats());
//! # Ok(())
//! # }
//! ```

mod attempt;
mod auth;
mod builder;
mod client;
mod cnonce;
mod config;
mod connector;
pub mod digest_session;
mod error;
pub mod oauth;
mod origin;
mod request;
mod retry;
mod stats;
mod stream;

pub use builder::{ClientBuilder, DEFAULT_BODY_LIMIT, USER_AGENT_PRODUCT};
pub use client::{Client, Executor};
pub use config::{ProxyConfig, RootCertificates, Timeouts};
pub use error::{BoxError, Error, TimeoutKind};
pub use retry::{Backoff, RetryPolicy, is_idempotent, is_retryable_status, retry_after};
pub use stats::Stats;
pub use stream::{
    BodyStream, StreamExecutor, StreamTimeouts, StreamingClient, StreamingClientBuilder,
};
