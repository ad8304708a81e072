//! Drives this crate's client against its server in memory, on a caller-given clock.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use atlas_digest::{
    Authorize, CredentialStore, DigestClient, DigestError, DigestServer, Qop, RequestFacts,
    RequestState, Stale, Verified,
};

/// A fixed instant to start simulated clocks at.
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// A distinct cnonce per call (tests need uniqueness, not unpredictability).
pub fn cnonce() -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "{:016x}",
        N.fetch_add(1, Ordering::Relaxed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
    )
}

/// The outcome of one logical request.
#[derive(Debug)]
pub struct Done {
    pub state: RequestState,
    pub verified: Verified,
    /// HTTP round trips the request took.
    pub round_trips: u32,
}

/// `authorize` for sequential tests: `Some(header)` to send (the lease is dropped at once, which
/// retires the nc), `None` to send without credentials; a wait is a test failure here.
pub fn authz(
    client: &DigestClient,
    state: &mut RequestState,
    facts: &RequestFacts<'_>,
    cnonce: &str,
) -> Result<Option<String>, DigestError> {
    match client.authorize(state, facts, cnonce)? {
        Authorize::Send { header, lease } => {
            lease.complete();
            Ok(Some(header))
        }
        Authorize::Probe => Ok(None),
        Authorize::Wait(w) => panic!("unexpected wait in a sequential test: {w:?}"),
    }
}

/// One logical request: the loop a transport runs, with the server answering in memory (waits block
/// the calling thread).
pub fn request<S: CredentialStore + ?Sized>(
    client: &DigestClient,
    server: &DigestServer,
    store: &S,
    facts: &RequestFacts<'_>,
    now: SystemTime,
) -> Result<Done, DigestError> {
    let mut state = client.start();
    let mut round_trips = 0;
    loop {
        assert!(round_trips < 10, "the client state machine looped");
        let (authorization, lease) = match client.authorize(&mut state, facts, &cnonce())? {
            Authorize::Send { header, lease } => (Some(header), Some(lease)),
            Authorize::Probe => (None, None),
            Authorize::Wait(w) => {
                w.wait_blocking();
                continue;
            }
        };
        round_trips += 1;
        let outcome = authorization
            .as_deref()
            .map(|a| server.verify(a, facts, now, store));
        match outcome {
            Some(Ok(verified)) => {
                let body = (state.qop() == Some(Qop::AuthInt)).then_some(&b""[..]);
                client.on_authentication_info_with_body(
                    &state,
                    &verified.authentication_info(),
                    body,
                )?;
                drop(lease);
                return Ok(Done {
                    state,
                    verified,
                    round_trips,
                });
            }
            Some(Err(e)) => {
                let challenges = server.challenges(now, e.stale());
                client.on_unauthorized(&mut state, challenges.iter().map(String::as_str))?;
            }
            None => {
                let challenges = server.challenges(now, Stale::False);
                client.on_unauthorized(&mut state, challenges.iter().map(String::as_str))?;
            }
        }
    }
}
