//! Sans-IO HTTP Digest authentication, client and server:
//! [RFC 7616](https://www.rfc-editor.org/rfc/rfc7616) (which obsoletes
//! [RFC 2617](https://www.rfc-editor.org/rfc/rfc2617)) with the
//! [RFC 2069](https://www.rfc-editor.org/rfc/rfc2069) compatibility mode, parsed by the
//! [RFC 9110 section 11](https://www.rfc-editor.org/rfc/rfc9110#section-11) (formerly RFC 7235) grammar.
//!
//! The crate does no IO, reads no clock and draws no randomness: the caller supplies the request facts
//! (method, request-target, optionally the body), the time (server side) and the cnonce (client side).
//! Its only dependencies are the RustCrypto `md-5` and `sha2` crates (and `http` behind a feature).
//!
//! # Client
//!
//! One [`DigestClient`] per (origin, credentials), shared via `Arc`. After the first challenge it
//! authorizes later requests up front (nonce reuse with nc incremented), so a request costs one round trip.
//!
//! ```
//! use atlas_digest::{Credentials, DigestClient, RequestFacts};
//!
//! let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
//! let facts = RequestFacts::new("GET", "/dir/index.html");
//!
//! let mut state = client.start();
//! // No nonce yet: send the request without credentials.
//! assert_eq!(client.authorization(&mut state, &facts, "cnonce-1")?, None);
//! // The server answers 401 with one or more WWW-Authenticate values.
//! client.on_unauthorized(&mut state, [
//!     "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
//!      nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
//!      opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
//!     "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=MD5, \
//!      nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", \
//!      opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
//! ])?;
//! // Retry with credentials (SHA-256 was chosen over MD5).
//! let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"; // from your RNG
//! let value = client.authorization(&mut state, &facts, cnonce)?.expect("a nonce is held");
//! assert!(value.ends_with(
//!     "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
//! // On 200, feed Authentication-Info if present: verifies rspauth, adopts nextnonce.
//! // client.on_authentication_info(&state, value)?;
//! assert!(client.has_nonce()); // later requests get credentials at once
//! # Ok::<(), atlas_digest::DigestError>(())
//! ```
//!
//! # Server
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use atlas_digest::{
//!     Credentials, DigestClient, DigestServer, InMemoryCredentials, RequestFacts, ServerConfig, Stale,
//! };
//!
//! let server = DigestServer::new(ServerConfig::new("api@example.org"), [7u8; 32]); // secret: random
//! let mut users = InMemoryCredentials::new();
//! users.insert("Mufasa", "Circle of Life");
//! let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 401 with these WWW-Authenticate values (SHA-256 first, then MD5):
//! let challenges = server.challenges(now, Stale::False);
//!
//! // ... the client answers ...
//! let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
//! let facts = RequestFacts::new("GET", "/groups/1?page=2");
//! let mut st = client.start();
//! client.on_unauthorized(&mut st, challenges.iter().map(String::as_str))?;
//! let authorization = client.authorization(&mut st, &facts, "0a4f113b")?.unwrap();
//!
//! match server.verify(&authorization, &facts, now, &users) {
//!     Ok(v) => {
//!         assert_eq!(v.username, "Mufasa");
//!         // 200 with `Authentication-Info: {v.authentication_info()}` (optional)
//!         client.on_authentication_info(&st, &v.authentication_info())?;
//!     }
//!     // 401 with these; `e.stale()` is `Stale::True` for a stale nonce.
//!     Err(e) => { let _ = server.challenges(now, e.stale()); }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | Feature | RFC | Where |
//! |---|---|---|
//! | Header grammar: several challenges per value and per header, any scheme, token68, quoted-string escapes, tolerant of empty elements, duplicates, unknown parameters | [RFC 9110 §11.2–11.6](https://www.rfc-editor.org/rfc/rfc9110#section-11.2) | [`parse_challenges`], [`Challenge`] |
//! | `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`, `SHA-512-256`, `SHA-512-256-sess`, names case-insensitive | [RFC 7616 §3.3, §6.1](https://www.rfc-editor.org/rfc/rfc7616#section-3.3) | [`Algorithm`] |
//! | Strongest challenge chosen (SHA-512-256 > SHA-256 > MD5) | [RFC 7616 §3.7](https://www.rfc-editor.org/rfc/rfc7616#section-3.7) | [`DigestClient::on_unauthorized`] |
//! | `qop=auth`, `qop=auth-int` (when the body is known), no qop (RFC 2069) | [RFC 7616 §3.4.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.3), [RFC 2069 §2.1.2](https://www.rfc-editor.org/rfc/rfc2069#section-2.1.2) | [`Qop`], [`ClientConfig`] |
//! | Nonce reuse with `nc` 00000001, 00000002, ... atomically, overflow handled | [RFC 7616 §3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4) | [`DigestClient`] |
//! | `stale=true`: one retry; any other 401 after fresh credentials: [`DigestError::Rejected`] | [RFC 7616 §3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3) | [`RequestState`] |
//! | `userhash`, `charset=UTF-8`, `username*` (RFC 8187 / 5987) | [RFC 7616 §3.4.4, §4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.4) | [`DigestClient`], [`AuthorizationHeader`] |
//! | `Authentication-Info`: `rspauth` verified, `nextnonce` adopted | [RFC 7616 §3.5](https://www.rfc-editor.org/rfc/rfc7616#section-3.5) | [`DigestClient::on_authentication_info`] |
//! | `uri` = request-target, `algorithm`/`qop`/`nc` unquoted, `response` last | [RFC 7616 §3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4) | [`AuthorizationHeader`] |
//! | Server: self-validating nonces, `opaque`, stale on expiry, replay window with bounded memory, stored H(A1) | [RFC 7616 §3.3, §5.5](https://www.rfc-editor.org/rfc/rfc7616#section-5.5) | [`DigestServer`] |
//! | Deterministic entry point (fixed cnonce) running the client's code | | [`DigestChallenge::respond`] |
//! | `http` feature: `HeaderValue` / `HeaderMap` helpers | | `http` module |
//!
//! # Interoperability choices
//!
//! - `-sess` algorithms: H(A1) is recomputed with the cnonce of each request (as curl and Python
//!   `requests` do, and as servers that verify each request independently expect), rather than frozen
//!   at the first cnonce after a challenge.
//! - Non-ASCII usernames go as `username*=UTF-8''...` when the challenge says `charset=UTF-8`; otherwise
//!   as raw UTF-8 inside the quoted string (what servers predating RFC 7616 compare), and as
//!   `username*` whenever the name holds control characters.
//! - A 401 to credentials computed from a nonce cached by an earlier request is answered once more
//!   with the new challenge even without `stale=true` (servers forget nonces on restart without saying
//!   stale); a 401 to credentials computed from a challenge of the same request is final
//!   ([`DigestError::Rejected`]) unless it says `stale=true`.
//! - Among challenges of the same strength the first one wins; the plain variant of a hash ranks above
//!   its `-sess` variant.
//!
//! # Security considerations
//!
//! - **MD5 is broken** as a hash, and Digest with any hash lets an observer of one exchange run an
//!   offline dictionary attack on the password. Digest authenticates; it does not encrypt. Use it over
//!   TLS, prefer SHA-256 or SHA-512-256 (the client always picks the strongest offered; set
//!   [`ClientConfig::allow_md5`] to `false` to refuse MD5 outright), and use long random passwords
//!   (API keys).
//! - **Mutual authentication**: a Digest `response` proves the client knows the password, but without
//!   `rspauth` nothing proves the *server* does: an impostor (or a TLS-intercepting proxy) can answer
//!   anything. The client verifies `rspauth` whenever it is present and reports a mismatch as
//!   [`DigestError::RspauthMismatch`]; [`ClientConfig::require_rspauth`] makes it mandatory.
//!   `auth-int` additionally binds the body.
//! - **Downgrade**: an active attacker can strip strong challenges. Never falling back to Basic and
//!   [`ClientConfig::allow_md5`] limit what a downgrade can achieve.
//! - **Replay**: the server rejects a (nonce, nc) pair seen before and nc values too far below the
//!   highest seen; memory is bounded, and forgotten nonces are answered `stale`, never accepted twice.
//!   RFC 2069 mode (no qop) has no nc and so no replay protection: it is off in [`ServerConfig`] unless
//!   `qop` is emptied.
//! - **Timing**: responses, `rspauth`, nonce MACs and userhashes are compared in constant time
//!   (hand-written XOR fold). `UnknownUser` and `WrongResponse` take different paths: answer both with
//!   the same 401.
//! - **Secrets** never appear in `Debug` output ([`Credentials`], [`StoredSecret`], [`DigestServer`],
//!   [`Verified`] redact them) and there is no `Display` for them.
//! - **Randomness**: cnonces and the server secret must come from a CSPRNG; this crate draws none itself.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod compute;
mod credentials;
mod error;
mod hash;
mod header;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod parse;
mod server;
mod target;

pub use client::{ClientConfig, DigestClient, RequestState};
pub use credentials::{Credentials, RequestFacts};
pub use error::{DigestError, VerifyError};
pub use hash::{Algorithm, Qop, UnknownValueError};
pub use header::{AuthenticationInfo, AuthorizationHeader, DigestChallenge};
pub use parse::{
    Challenge, ParseError, format_challenges, parse_challenges, parse_credentials, parse_param_list,
};
pub use server::{
    Charset, CredentialStore, DEFAULT_REPLAY_WINDOW, DigestServer, InMemoryCredentials,
    MAX_REPLAY_WINDOW, NextNonce, NonceFormat, NonceScope, Opaque, QopParam, ServerConfig, Stale,
    StaleParam, StoredSecret, Userhash, Verified,
};
pub use target::Origin;
