//! The nc lease and single flight, step by step: who probes, who waits, in which order waiters are
//! served, that no wake-up is lost when a waiter or a prober gives up, the stale hand-over, and the
//! sync ways to wait.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use atlas_digest::{
    AuthorizationHeader, Authorize, ClientConfig, Credentials, DigestClient, NcLease, NcWait,
    RequestFacts, RequestState,
};

const CHALLENGE: &str = r#"Digest realm="r", qop="auth", algorithm=MD5, nonce="n1""#;
const STALE2: &str = r#"Digest realm="r", qop="auth", algorithm=MD5, nonce="n2", stale=true"#;

fn facts() -> RequestFacts<'static> {
    RequestFacts::new("GET", "/x")
}

fn client(span: u32) -> DigestClient {
    DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_nc_span(span),
    )
}

/// A client holding a nonce.
fn ready_client(span: u32) -> DigestClient {
    let c = client(span);
    let mut st = c.start();
    assert!(matches!(
        c.authorize(&mut st, &facts(), "c").unwrap(),
        Authorize::Probe
    ));
    c.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    c
}

struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A wait plus a waker that counts its wake-ups.
struct Probe {
    wait: NcWait,
    woken: Arc<Count>,
}

impl Probe {
    fn new(wait: NcWait) -> Probe {
        let mut p = Probe {
            wait,
            woken: Arc::new(Count(AtomicUsize::new(0))),
        };
        assert!(p.poll().is_pending(), "a fresh wait is pending");
        p
    }

    fn poll(&mut self) -> Poll<()> {
        let waker = Waker::from(self.woken.clone());
        Pin::new(&mut self.wait).poll(&mut Context::from_waker(&waker))
    }

    fn woken(&self) -> usize {
        self.woken.0.load(Ordering::SeqCst)
    }
}

fn send(c: &DigestClient, st: &mut RequestState, cnonce: &str) -> (String, NcLease) {
    match c.authorize(st, &facts(), cnonce).unwrap() {
        Authorize::Send { header, lease } => (header, lease),
        other => panic!("expected Send, got {other:?}"),
    }
}

fn wait(c: &DigestClient, st: &mut RequestState) -> Probe {
    match c.authorize(st, &facts(), "c").unwrap() {
        Authorize::Wait(w) => Probe::new(w),
        other => panic!("expected Wait, got {other:?}"),
    }
}

fn nc_of(header: &str) -> u32 {
    header.parse::<AuthorizationHeader>().unwrap().nc.unwrap()
}

#[test]
fn one_request_probes_the_others_wait_for_its_challenge() {
    let c = client(32);
    let (mut a, mut b, mut d) = (c.start(), c.start(), c.start());
    assert!(matches!(
        c.authorize(&mut a, &facts(), "a").unwrap(),
        Authorize::Probe
    ));
    let mut wb = wait(&c, &mut b);
    let mut wd = wait(&c, &mut d);
    // Authorizing again while probing (a retry after a network error) probes again.
    assert!(matches!(
        c.authorize(&mut a, &facts(), "a").unwrap(),
        Authorize::Probe
    ));
    c.on_unauthorized(&mut a, [CHALLENGE]).unwrap();
    assert_eq!((wb.woken(), wd.woken()), (1, 1));
    assert!(wb.poll().is_ready() && wd.poll().is_ready());
    let (hb, _lb) = send(&c, &mut b, "b");
    let (hd, _ld) = send(&c, &mut d, "d");
    let (ha, _la) = send(&c, &mut a, "a");
    // The prober was issued the first nc of the challenge it fetched.
    assert_eq!((nc_of(&hb), nc_of(&hd), nc_of(&ha)), (2, 3, 1));
}

#[test]
fn a_probe_that_ends_without_a_challenge_hands_over_to_the_first_waiter() {
    let c = client(32);
    let (mut a, mut b, mut d) = (c.start(), c.start(), c.start());
    assert!(matches!(
        c.authorize(&mut a, &facts(), "a").unwrap(),
        Authorize::Probe
    ));
    let mut wb = wait(&c, &mut b);
    let wd = wait(&c, &mut d);
    // The probe's future is dropped (network error, timeout, cancellation).
    drop(a);
    assert_eq!(
        (wb.woken(), wd.woken()),
        (1, 0),
        "only the first waiter is woken"
    );
    assert!(wb.poll().is_ready());
    assert!(matches!(
        c.authorize(&mut b, &facts(), "b").unwrap(),
        Authorize::Probe
    ));
    // A newcomer waits behind.
    let mut e = c.start();
    let _we = wait(&c, &mut e);
    // b's 401 had no usable challenge: the error releases the probe too.
    assert!(c.on_unauthorized(&mut b, [r#"Basic realm="r""#]).is_err());
    assert_eq!(wd.woken(), 1);
}

#[test]
fn the_span_bounds_unretired_ncs_and_waiters_are_served_in_order() {
    let c = ready_client(2);
    let (mut a, mut b, mut x, mut y) = (c.start(), c.start(), c.start(), c.start());
    let (_, la) = send(&c, &mut a, "a");
    let (_, lb) = send(&c, &mut b, "b");
    let mut wx = wait(&c, &mut x);
    let mut wy = wait(&c, &mut y);
    assert_eq!(c.load(), (2, 2));
    // nc 2 finishes first: the oldest (1) is still out, so nothing frees.
    drop(lb);
    assert_eq!((wx.woken(), wy.woken()), (0, 0));
    assert!(wx.poll().is_pending());
    // nc 1 finishes: two slots free, both waiters are woken, in order.
    la.complete();
    assert_eq!((wx.woken(), wy.woken()), (1, 1));
    // A newcomer cannot take a slot granted to a waiter.
    let mut z = c.start();
    let mut wz = wait(&c, &mut z);
    assert!(wx.poll().is_ready() && wy.poll().is_ready());
    let (hy, _ly) = send(&c, &mut y, "y");
    let (hx, lx) = send(&c, &mut x, "x");
    assert_eq!((nc_of(&hy), nc_of(&hx)), (3, 4));
    drop(lx);
    assert_eq!(wz.woken(), 0, "nc 3 is still out: the span is 3..=4");
    drop(_ly);
    assert_eq!(wz.woken(), 1);
    assert!(wz.poll().is_ready());
    let (hz, _lz) = send(&c, &mut z, "z");
    assert_eq!(nc_of(&hz), 5);
}

#[test]
fn a_woken_waiter_that_gives_up_passes_the_wake_up_on() {
    let c = ready_client(1);
    let (mut a, mut b, mut d) = (c.start(), c.start(), c.start());
    let (_, la) = send(&c, &mut a, "a");
    let wb = wait(&c, &mut b);
    let wd = wait(&c, &mut d);
    drop(la);
    assert_eq!((wb.woken(), wd.woken()), (1, 0));
    // b's future is dropped before it saw the wake-up.
    drop(wb);
    assert_eq!(wd.woken(), 1);
}

#[test]
fn a_waiter_that_saw_its_grant_and_then_drops_its_state_passes_it_on() {
    let c = ready_client(1);
    let (mut a, mut b, mut d) = (c.start(), c.start(), c.start());
    let (_, la) = send(&c, &mut a, "a");
    let mut wb = wait(&c, &mut b);
    let wd = wait(&c, &mut d);
    drop(la);
    assert!(wb.poll().is_ready());
    drop(wb);
    assert_eq!(wd.woken(), 0, "b holds the grant through its state");
    drop(b);
    assert_eq!(wd.woken(), 1);
}

#[test]
fn authorizing_again_or_feeding_a_401_retires_the_previous_nc() {
    let c = ready_client(1);
    let mut a = c.start();
    let (h1, l1) = send(&c, &mut a, "a");
    // The caller still holds l1 (a retry after a network error): no self-deadlock.
    let (h2, l2) = send(&c, &mut a, "a2");
    assert_eq!((nc_of(&h1), nc_of(&h2)), (1, 2));
    drop(l1);
    c.on_unauthorized(
        &mut a,
        [r#"Digest realm="r", qop="auth", algorithm=MD5, nonce="n1""#],
    )
    .unwrap();
    let mut b = c.start();
    let (h3, _l3) = send(&c, &mut b, "b");
    assert_eq!(nc_of(&h3), 3, "the same nonce repeated: nc goes on");
    drop(l2);
}

/// A stale=true answer costs its request one round trip; the waiters adopt the new nonce with it,
/// and a request in flight on the old nonce that gets stale too retries on the new one without
/// adopting anything.
#[test]
fn stale_moves_everyone_to_the_new_nonce_with_one_adoption() {
    let c = ready_client(2);
    let (mut a, mut b, mut d) = (c.start(), c.start(), c.start());
    let (_, _la) = send(&c, &mut a, "a");
    let (_, _lb) = send(&c, &mut b, "b");
    let mut wd = wait(&c, &mut d);
    c.on_unauthorized(&mut a, [STALE2]).unwrap();
    assert_eq!(c.current_nonce().unwrap().1, "n2");
    assert_eq!(wd.woken(), 1);
    assert!(wd.poll().is_ready());
    let (hd, _ld) = send(&c, &mut d, "d");
    let h: AuthorizationHeader = hd.parse().unwrap();
    // nc 1 of n2 is a's, which fetched n2.
    assert_eq!((h.nonce.as_str(), h.nc), ("n2", Some(2)));
    drop(_la);
    let (ha, _la2) = send(&c, &mut a, "a");
    let h: AuthorizationHeader = ha.parse().unwrap();
    assert_eq!((h.nonce.as_str(), h.nc), ("n2", Some(1)));
    // b's old-nonce request is answered stale with yet another nonce: no adoption, retry on n2
    // once the span frees.
    c.on_unauthorized(
        &mut b,
        [r#"Digest realm="r", qop="auth", algorithm=MD5, nonce="n3", stale=true"#],
    )
    .unwrap();
    assert_eq!(c.current_nonce().unwrap().1, "n2");
    let (hb, _lb2) = match c.authorize(&mut b, &facts(), "b").unwrap() {
        Authorize::Wait(w) => {
            drop(_la2);
            assert!(w.is_ready());
            send(&c, &mut b, "b")
        }
        other => panic!("the span (2) is full: expected Wait, got {other:?}"),
    };
    let h: AuthorizationHeader = hb.parse().unwrap();
    assert_eq!((h.nonce.as_str(), h.nc), ("n2", Some(3)));
}

#[test]
fn exhausting_nc_drops_the_nonce_and_probes() {
    let c = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_max_nc(2),
    );
    let mut st = c.start();
    assert!(matches!(
        c.authorize(&mut st, &facts(), "c").unwrap(),
        Authorize::Probe
    ));
    c.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    let (h1, _) = send(&c, &mut st, "c");
    let (h2, _) = send(&c, &mut c.start(), "c");
    assert_eq!((nc_of(&h1), nc_of(&h2)), (1, 2));
    assert!(matches!(
        c.authorize(&mut c.start(), &facts(), "c").unwrap(),
        Authorize::Probe
    ));
    assert!(!c.has_nonce());
}

#[test]
fn nc_reaches_u32_max_without_wrapping() {
    let c = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_max_nc(u32::MAX),
    );
    // Counting to u32::MAX takes too long; check the rendering of the largest nc instead through
    // the fixed entry point, and the book's arithmetic through max_nc = 1.
    let ch: atlas_digest::DigestChallenge = CHALLENGE.parse().unwrap();
    let v = ch
        .respond(&Credentials::new("u", "p"), &facts(), "c", u32::MAX)
        .unwrap();
    assert!(v.contains("nc=ffffffff"), "{v}");
    drop(c);
    let one = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_max_nc(1),
    );
    let mut st = one.start();
    let _ = one.authorize(&mut st, &facts(), "c").unwrap();
    one.on_unauthorized(&mut st, [CHALLENGE]).unwrap();
    let (h, _) = send(&one, &mut st, "c");
    assert_eq!(nc_of(&h), 1);
    assert!(matches!(
        one.authorize(&mut one.start(), &facts(), "c").unwrap(),
        Authorize::Probe
    ));
}

#[test]
fn sync_callers_can_ask_or_block() {
    let c = Arc::new(ready_client(1));
    let mut a = c.start();
    let (_, la) = send(&c, &mut a, "a");
    let mut b = c.start();
    let Authorize::Wait(w) = c.authorize(&mut b, &facts(), "b").unwrap() else {
        panic!("expected a wait")
    };
    assert!(!w.is_ready());
    let c2 = c.clone();
    let t = thread::spawn(move || {
        w.wait_blocking();
        let (h, _l) = send(&c2, &mut b, "b");
        nc_of(&h)
    });
    la.complete();
    assert_eq!(t.join().unwrap(), 2);
}

/// Threads hammering one client with span 4: waits block their thread, and every nc is issued once.
#[test]
fn threads_share_a_span() {
    let c = Arc::new(ready_client(4));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let c = c.clone();
            thread::spawn(move || {
                let mut ncs = Vec::new();
                for j in 0..200 {
                    let mut st = c.start();
                    loop {
                        match c.authorize(&mut st, &facts(), &format!("{i}-{j}")).unwrap() {
                            Authorize::Send { header, lease } => {
                                ncs.push(nc_of(&header));
                                assert!(c.load().0 <= 4);
                                drop(lease);
                                break;
                            }
                            Authorize::Wait(w) => w.wait_blocking(),
                            Authorize::Probe => panic!("a nonce is held"),
                        }
                    }
                }
                ncs
            })
        })
        .collect();
    let mut all: Vec<u32> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=1600).collect::<Vec<_>>());
}

/// Found by the `lease` fuzz target: a session dropped (credentials refused, or `invalidate`) and
/// the same nonce adopted again used to restart nc at 1, sending nc values the server had seen.
#[test]
fn a_nonce_adopted_again_goes_on_counting() {
    let c = ready_client(8);
    let mut a = c.start();
    let (h1, _) = send(&c, &mut a, "a");
    assert_eq!(nc_of(&h1), 1);
    c.invalidate();
    let mut b = c.start();
    assert!(matches!(
        c.authorize(&mut b, &facts(), "b").unwrap(),
        Authorize::Probe
    ));
    c.on_unauthorized(&mut b, [CHALLENGE]).unwrap();
    let (h2, _) = send(&c, &mut b, "b");
    assert_eq!(nc_of(&h2), 2, "n1 again: nc goes on");
    // After a refusal of credentials this request adopted, the server repeats the nonce.
    assert_eq!(
        c.on_unauthorized(&mut b, [CHALLENGE]),
        Err(atlas_digest::DigestError::Rejected)
    );
    let mut d = c.start();
    let _ = c.authorize(&mut d, &facts(), "d").unwrap();
    c.on_unauthorized(&mut d, [CHALLENGE]).unwrap();
    let (h3, _) = send(&c, &mut d, "d");
    assert_eq!(nc_of(&h3), 3);
}

/// A probe answered without a challenge (the resource needs no authentication) ends the probe when
/// the success is fed, not only when the request state goes away.
#[test]
fn a_probe_answered_with_a_success_hands_over_at_once() {
    let c = client(32);
    let (mut a, mut b) = (c.start(), c.start());
    assert!(matches!(
        c.authorize(&mut a, &facts(), "a").unwrap(),
        Authorize::Probe
    ));
    let wb = wait(&c, &mut b);
    c.on_success_without_info(&a).unwrap();
    assert_eq!(wb.woken(), 1);
    drop(wb);
    assert!(matches!(
        c.authorize(&mut b, &facts(), "b").unwrap(),
        Authorize::Probe
    ));
    let mut d = c.start();
    let wd = wait(&c, &mut d);
    c.on_authentication_info(&b, "nextnonce=\"x\"").unwrap();
    assert_eq!(wd.woken(), 1);
    drop(a);
}

/// The request that fetched a challenge sends first on it: waiters granted the new nonce cannot use
/// up its nc values before the prober, so a prober is never starved into `AttemptsExhausted`, however
/// small `max_nc` is and however the others are scheduled.
#[test]
fn the_prober_sends_first_on_the_nonce_it_fetched() {
    let c = DigestClient::with_config(
        Credentials::new("u", "p"),
        ClientConfig::default().with_max_nc(1),
    );
    let mut a = c.start();
    for round in 0..8 {
        assert!(
            matches!(
                c.authorize(&mut a, &facts(), "a").unwrap(),
                Authorize::Probe
            ),
            "round {round}: a probes"
        );
        // Another request arrives while `a` probes and is granted a slot of the new nonce.
        let mut b = c.start();
        let mut wb = wait(&c, &mut b);
        let challenge = format!(r#"Digest realm="r", qop="auth", nonce="n{round}""#);
        c.on_unauthorized(&mut a, [challenge.as_str()]).unwrap();
        assert!(wb.poll().is_ready());
        // `b` runs first, but the nonce's only nc is `a`'s.
        assert!(matches!(
            c.authorize(&mut b, &facts(), "b").unwrap(),
            Authorize::Probe
        ));
        let (ha, la) = send(&c, &mut a, "a");
        assert_eq!(nc_of(&ha), 1);
        drop(la);
        // `b` now probes; `a` is done and a new request takes its place.
        drop(b);
        a = c.start();
    }
}
