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
//! authorizes later requests up front (nonce reuse with nc incremented), so a request costs one round
//! trip. [`DigestClient::authorize`] says what to do with each request ([`Authorize`]): send it with
//! credentials and an [`NcLease`], send it without to fetch the first challenge (only one concurrent
//! request does; the others wait for its challenge), or wait on an [`NcWait`] future.
//!
//! ```
//! use atlas_digest::{Authorize, Credentials, DigestClient, RequestFacts};
//!
//! let client = DigestClient::new(Credentials::new("Mufasa", "Circle of Life"));
//! let facts = RequestFacts::new("GET", "/dir/index.html");
//!
//! let mut state = client.start();
//! // No nonce yet: this request fetches the challenge (send it without credentials).
//! assert!(matches!(client.authorize(&mut state, &facts, "cnonce-1")?, Authorize::Probe));
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
//! let Authorize::Send { header, lease } = client.authorize(&mut state, &facts, cnonce)? else {
//!     unreachable!("a nonce is held and nothing else is in flight")
//! };
//! assert!(header.ends_with(
//!     "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""));
//! // ... send it; on 200 feed Authentication-Info if present (verifies rspauth, adopts nextnonce):
//! // client.on_authentication_info(&state, value)?;
//! drop(lease); // the attempt is over: its nc is retired
//! assert!(client.has_nonce()); // later requests get credentials at once
//! # Ok::<(), atlas_digest::DigestError>(())
//! ```
//!
//! # Server
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use atlas_digest::{
//!     Authorize, Credentials, DigestClient, DigestServer, InMemoryCredentials, RequestFacts,
//!     ServerConfig, Stale,
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
//! let Authorize::Send { header, lease } = client.authorize(&mut st, &facts, "0a4f113b")? else {
//!     unreachable!()
//! };
//!
//! match server.verify(&header, &facts, now, &users) {
//!     Ok(v) => {
//!         assert_eq!(v.username, "Mufasa");
//!         // 200 with `Authentication-Info: {v.authentication_info()}` (optional)
//!         client.on_authentication_info(&st, &v.authentication_info())?;
//!     }
//!     // 401 with these; `e.stale()` is `Stale::True` for a stale nonce.
//!     Err(e) => { let _ = server.challenges(now, e.stale()); }
//! }
//! drop(lease);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | Feature | RFC | Where |
//! |---|---|---|
//! | Header grammar: several challenges per value and per header, any scheme, token68, quoted-string escapes, tolerant of empty elements, duplicates, unknown parameters | [RFC 9110 §11.2–11.6](https://www.rfc-editor.org/rfc/rfc9110#section-11.2) | [`parse_challenges`], [`Challenge`] |
//! | `MD5`, `MD5-sess`, `SHA-256`, `SHA-256-sess`, `SHA-512-256`, `SHA-512-256-sess`, names case-insensitive | [RFC 7616 §3.3, §6.1](https://www.rfc-editor.org/rfc/rfc7616#section-3.3) | [`Algorithm`] |
//! | Best challenge chosen: qop before none, then SHA-512-256 > SHA-256 > MD5; the strongest seen is pinned (downgrades refused) | [RFC 7616 §3.7](https://www.rfc-editor.org/rfc/rfc7616#section-3.7) | [`DigestClient::on_unauthorized`], [`Downgrade`] |
//! | `qop=auth`, `qop=auth-int` (when the body is known), no qop (RFC 2069) | [RFC 7616 §3.4.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.3), [RFC 2069 §2.1.2](https://www.rfc-editor.org/rfc/rfc2069#section-2.1.2) | [`Qop`], [`ClientConfig`] |
//! | Nonce reuse with `nc` 00000001, 00000002, ..., an nc lease keeping requests in flight within the server's window, one challenge for any number of concurrent first requests | [RFC 7616 §3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4) | [`DigestClient::authorize`], [`NcLease`], [`NcWait`] |
//! | `stale=true`: one retry; any other 401 after fresh credentials: [`DigestError::Rejected`] | [RFC 7616 §3.3](https://www.rfc-editor.org/rfc/rfc7616#section-3.3) | [`RequestState`] |
//! | `userhash`, `charset=UTF-8`, `username*` (RFC 8187 / 5987) | [RFC 7616 §3.4.4, §4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4.4) | [`DigestClient`], [`AuthorizationHeader`] |
//! | `Authentication-Info`: `rspauth` verified, `nextnonce` adopted | [RFC 7616 §3.5](https://www.rfc-editor.org/rfc/rfc7616#section-3.5) | [`DigestClient::on_authentication_info`] |
//! | `uri` = request-target, `algorithm`/`qop`/`nc` unquoted, `response` last | [RFC 7616 §3.4](https://www.rfc-editor.org/rfc/rfc7616#section-3.4) | [`AuthorizationHeader`] |
//! | Server: self-validating nonces (48 or 32 base64 characters), a clock that never goes backwards, stale on expiry, a sliding-bitmap replay window per nonce, bounded memory, stored H(A1), per-nonce caches of the MAC check and H(A1) | [RFC 7616 §3.3, §5.5](https://www.rfc-editor.org/rfc/rfc7616#section-5.5), [RFC 4303 §3.4.3](https://www.rfc-editor.org/rfc/rfc4303#section-3.4.3) | [`DigestServer`], [`ServerConfig`] |
//! | Atlas's challenge byte for byte (`domain=""`, no `opaque`, `stale=false`), and its documentation's `op="auth"` | | [`ServerConfig::mongodb_atlas`], [`QopParam`] |
//! | Strict typed parsing: no duplicate parameters, `nc` of 8 hex digits, at most 8 KiB | [RFC 9110 §11.2](https://www.rfc-editor.org/rfc/rfc9110#section-11.2) | [`ParseErrorKind`] |
//! | `uri` in absolute form (forward proxies), matched by resource on the server | [RFC 9112 §3.2](https://www.rfc-editor.org/rfc/rfc9112#section-3.2) | [`RequestFacts`] |
//! | Deterministic entry point (fixed cnonce) running the client's code | | [`DigestChallenge::respond`] |
//! | `http` feature: `HeaderValue` / `HeaderMap` helpers | | `http` module |
//! | `rand` feature: cnonces from ChaCha20 seeded once (by the caller or from the OS) | | `CnonceSource` |
//!
//! # Interoperability choices
//!
//! - `-sess` algorithms: H(A1) is fixed by the cnonce of the first request after the challenge
//!   (RFC 7616 section 3.4.2), and that session cnonce is sent with every request on the nonce, so
//!   servers that keep the first H(A1) and servers that recompute it from each request's cnonce
//!   (curl's and Python `requests`' peers) both accept every request. The server accepts all three
//!   habits.
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
//!   TLS, prefer SHA-256 or SHA-512-256 (the client always picks the strongest offered;
//!   [`Md5::Refuse`] refuses MD5 outright), and use long random passwords (API keys).
//! - **Mutual authentication**: a Digest `response` proves the client knows the password, but without
//!   `rspauth` nothing proves the *server* does: an impostor (or a TLS-intercepting proxy) can answer
//!   anything. The client verifies `rspauth` whenever it is present and reports a mismatch as
//!   [`DigestError::RspauthMismatch`]; [`Rspauth::Require`] makes it mandatory.
//!   `auth-int` additionally binds the body.
//! - **Downgrade**: an active attacker can strip strong challenges. The client never falls back to
//!   Basic, never answers in RFC 2069 form when a challenge offers qop, and pins the strongest
//!   challenge its protection space offered: a later weaker offer is [`DigestError::Downgrade`]
//!   unless [`Downgrade::Allow`]. [`Md5::Refuse`] limits it further.
//! - **Protection space**: a client is bound to one origin and realm; it never sends an answer
//!   computed for them elsewhere ([`DigestError::OriginMismatch`], [`DigestError::RealmMismatch`]).
//! - **Replay**: the server rejects a (nonce, nc) pair seen before and answers `stale` to nc values
//!   below its sliding window; its clock never goes backwards, so out-of-order `now` values cannot
//!   reopen an expired nonce; memory is bounded, and forgotten nonces are answered `stale`, never
//!   accepted twice.
//!   RFC 2069 mode (no qop) has no nc and so no replay protection: it is off in [`ServerConfig`] unless
//!   `qop` is emptied.
//! - **Timing**: responses, `rspauth`, nonce MACs and userhashes are compared in constant time
//!   (hand-written XOR fold). `UnknownUser` and `WrongResponse` take different paths: answer both with
//!   the same 401.
//! - **Secrets** never appear in `Debug` output ([`Credentials`], [`StoredSecret`], [`DigestServer`],
//!   [`Verified`] redact them) and there is no `Display` for them. Passwords, stored H(A1), cached
//!   H(A1) and the server secret are zeroized when dropped; `Credentials` and `StoredSecret` compare
//!   in constant time.
//! - **Randomness**: cnonces and the server secret must come from a CSPRNG. Without the `rand`
//!   feature this crate draws none itself; with it, `CnonceSource` is ChaCha20 seeded once (by the
//!   caller, or from the operating system once) and makes no system call per request.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod absorbed;
mod client;
#[cfg(feature = "rand")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand")))]
mod cnonce;
mod compute;
mod credentials;
mod error;
mod ha2_cache;
mod hash;
mod header;
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub mod http;
mod parse;
mod server;
mod target;

pub use client::{
    AuthInt, Authorize, AuthorizeInto, ClientConfig, DEFAULT_NC_SPAN, DigestClient, Downgrade,
    ImportError, MAX_SAVED_SESSION_LEN, Md5, NcBlock, NcLease, NcWait, RequestState, Rfc2069,
    Rspauth, SavedSession, SessionTextError,
};
#[cfg(feature = "rand")]
#[cfg_attr(docsrs, doc(cfg(feature = "rand")))]
pub use cnonce::{Cnonce, CnonceSource, OsRandomnessError};
pub use credentials::{Credentials, RequestFacts};
pub use error::{DigestError, InvalidInput, VerifyError};
pub use hash::{Algorithm, Qop, UnknownValueError};
pub use header::{AuthenticationInfo, AuthorizationHeader, DigestChallenge};
pub use parse::{
    Challenge, MAX_HEADER_LEN, ParseError, ParseErrorKind, format_challenges, parse_challenges,
    parse_credentials, parse_param_list,
};
pub use server::{
    Charset, CredentialStore, DEFAULT_REPLAY_WINDOW, DigestServer, InMemoryCredentials,
    MAX_REPLAY_WINDOW, NextNonce, NonceFormat, NonceScope, Opaque, QopParam, ServerConfig, Stale,
    StaleParam, StoredSecret, Userhash, Verified,
};
pub use target::Origin;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
