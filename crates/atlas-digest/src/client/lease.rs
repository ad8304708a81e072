//! The nc lease and the single flight of the first challenge: which request may send now, with which
//! nc, and who waits -- a sans-IO state machine behind one short lock, woken through [`Waker`]s.
//!
//! # Model
//! - The adopted session keeps a *book*: the next nc to issue, the oldest unretired nc and a bitmap of
//!   the retired ones above it. An nc is issued only while fewer than `span` are unretired, so every
//!   request in flight lies within `span` consecutive nc values, inside the server's replay window.
//! - Without a session one request *probes* (sends without credentials); the others wait for its
//!   challenge. If the probe ends without one (its request state is dropped, or it is fed no 401),
//!   the first waiter becomes the prober.
//! - The request that adopts a challenge (the prober, or one answered `stale=true`) is issued the
//!   first nc of the new nonce at once and sends first on it, before any waiter: however small
//!   `max_nc` is, a prober is never sent back to probe by others using up the nonce it fetched.
//! - Waiters queue in FIFO order. A freed slot (or the probe role) is *granted* to the front waiters:
//!   a grant reserves the slot, so no newcomer can take it, and the grant stays with the waiter's
//!   request state until that state authorizes again, is dropped, or its wait is dropped before it
//!   saw the grant (then the grant passes on). A new session keeps the grants and grants more up to
//!   its span; dropping the session voids every grant and grants the probe role from the front.
//!
//! Invariants after every operation: with a session, `granted <= free` and, if `granted < free`, no
//! entry waits ungranted; without one, at most one entry is granted (the next prober) and, if none is
//! granted and nobody probes, no entry waits.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

use crate::client::pick::ProtectionSpace;
use crate::client::session::Session;
use crate::header::DigestChallenge;
use crate::target::Origin;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Waiting,
    /// Granted; the wait has not seen it yet.
    Granted,
    /// Granted and seen by the wait: the request state now holds it.
    Seen,
}

struct Entry {
    id: u64,
    status: Status,
    waker: Option<Waker>,
}

/// The nc book of the adopted session.
pub(crate) struct Book {
    pub(crate) session: Arc<Session>,
    /// The challenge the session was built from (what [`crate::DigestClient::export_session`]
    /// saves); `None` for a `nextnonce` adopted after the challenge's nonce was left.
    pub(crate) challenge: Option<DigestChallenge>,
    pub(crate) epoch: u64,
    /// Next nc to issue (u64: `max_nc` may be `u32::MAX`).
    pub(crate) next: u64,
    /// One past the last nc this client may issue on the nonce: `max_nc + 1`, the end of an
    /// imported block, or `next` once the nonce was handed over.
    end: u64,
    /// Another client may hold nc values of this nonce (it was imported, or handed over): once
    /// left, it is never counted on again.
    pub(crate) shared: bool,
    /// Lowest unretired nc (`next` when none is out).
    oldest: u64,
    /// Bit `i`: nc `oldest + i` is retired.
    retired: u128,
}

/// What [`Inner::take`] hands out.
pub(crate) enum Slot {
    Nc {
        session: Arc<Session>,
        epoch: u64,
        nc: u32,
    },
    Probe,
    Wait(u64),
}

pub(crate) struct Inner {
    pub(crate) current: Option<Book>,
    epoch: u64,
    /// The request state probing for the first challenge.
    probe: Option<u64>,
    queue: VecDeque<Entry>,
    granted: usize,
    next_id: u64,
    span: u32,
    max_nc: u32,
    /// The protection space: realm and strongest challenge adopted.
    pub(crate) pin: ProtectionSpace,
    /// The origin the client is bound to.
    pub(crate) origin: Option<Origin>,
    /// The next nc of recently left nonces (most recent last): a nonce adopted again (a server
    /// that repeats it after a refusal, or after `invalidate`) goes on counting instead of
    /// reusing nc values the server has seen.
    left: VecDeque<(String, u64)>,
}

/// How many left nonces keep their nc high-water mark.
const LEFT_NONCES: usize = 8;

/// The lock shared by a client, its request states, leases and waits.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Ids of request states (no lock needed to hand one out).
    states: AtomicU64,
    /// The current book's epoch (low 31 bits) and oldest unretired nc (below 2^33), packed:
    /// stored whenever the lock is released, read by [`Shared::retired`] without it.
    mark: AtomicU64,
}

const MARK_OLDEST_BITS: u32 = 33;
const MARK_OLDEST_MASK: u64 = (1 << MARK_OLDEST_BITS) - 1;
const MARK_EPOCH_MASK: u64 = (1 << (64 - MARK_OLDEST_BITS)) - 1;

impl Inner {
    /// [`Shared::mark`] for this state (0, which marks nothing retired, without a book).
    fn mark(&self) -> u64 {
        self.current.as_ref().map_or(0, |b| {
            (b.epoch & MARK_EPOCH_MASK) << MARK_OLDEST_BITS | b.oldest.min(MARK_OLDEST_MASK)
        })
    }
}

impl Shared {
    pub(crate) fn new(span: u32, max_nc: u32) -> Shared {
        Shared {
            inner: Mutex::new(Inner {
                current: None,
                epoch: 0,
                probe: None,
                queue: VecDeque::new(),
                granted: 0,
                next_id: 1,
                span: span.clamp(1, 128),
                max_nc: max_nc.max(1),
                pin: ProtectionSpace::default(),
                origin: None,
                left: VecDeque::new(),
            }),
            states: AtomicU64::new(1),
            mark: AtomicU64::new(0),
        }
    }

    /// True if nc `nc` of session `epoch` is known retired, seen without the lock (`false` when
    /// unknown): a lease or a success retires its nc only once, not twice under the lock.
    ///
    /// Sound because the mark only ever tells the truth at the time it was stored: within an epoch
    /// the oldest unretired nc only grows, and a match of a later epoch with the same low 31 bits
    /// means `epoch` is no longer current, where retiring does nothing anyway. The holder of an nc
    /// of `epoch` locked after its book was installed, so it reads that book's mark or a later one.
    pub(crate) fn retired(&self, epoch: u64, nc: u32) -> bool {
        let m = self.mark.load(Ordering::Acquire);
        m >> MARK_OLDEST_BITS == epoch & MARK_EPOCH_MASK && u64::from(nc) < m & MARK_OLDEST_MASK
    }

    /// A fresh request-state id.
    pub(crate) fn state_id(&self) -> u64 {
        self.states.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn lock(&self) -> Guard<'_> {
        Guard {
            inner: Some(self.inner.lock().unwrap_or_else(|e| e.into_inner())),
            wake: Wakes::default(),
            mark: &self.mark,
        }
    }
}

/// The lock held, plus the wakers to call once it is released: wakers never run under the lock.
pub(crate) struct Guard<'a> {
    /// `Some` until the guard drops.
    inner: Option<MutexGuard<'a, Inner>>,
    wake: Wakes,
    mark: &'a AtomicU64,
}

/// The wakers a guard calls once the lock is released. A retire frees one slot and so wakes one
/// waiter: that one is held inline, and only a second one (several slots freed at once, a new
/// nonce) allocates.
#[derive(Default)]
struct Wakes {
    first: Option<Waker>,
    more: Vec<Waker>,
}

impl Wakes {
    fn push(&mut self, w: Waker) {
        if self.first.is_none() {
            self.first = Some(w);
        } else {
            self.more.push(w);
        }
    }

    /// Calls every waker pushed, in the order pushed (the queue's). Most lock holders wake no one
    /// or one: the list beyond the first is drained out of line, so that the common drop of a
    /// guard touches only these few instructions.
    fn wake_all(&mut self) {
        if let Some(w) = self.first.take() {
            w.wake();
        }
        if !self.more.is_empty() {
            wake_more(&mut self.more);
        }
    }
}

/// Calls and removes the wakers beyond a guard's first, in order.
#[cold]
#[inline(never)]
fn wake_more(more: &mut Vec<Waker>) {
    for w in more.drain(..) {
        w.wake();
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            // Under the lock: every change of the book is published before the next lock holder.
            self.mark.store(inner.mark(), Ordering::Release);
            drop(inner);
        }
        self.wake.wake_all();
    }
}

impl std::ops::Deref for Guard<'_> {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        self.inner
            .as_deref()
            .unwrap_or_else(|| unreachable!("the lock is held until the guard drops"))
    }
}

impl std::ops::DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Inner {
        self.inner
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("the lock is held until the guard drops"))
    }
}

impl Guard<'_> {
    pub(crate) fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Where the entry `id` is in the queue. Entries are pushed at the back with ids that only
    /// grow and removing keeps the order, so the queue is sorted by distinct ids, and an entry is
    /// at most `id - front id` from the front, less one for each entry between that left out of
    /// turn (a granted waiter that ran before the one ahead of it). So the search walks back from
    /// there: a step or two, where a scan from the front walked the whole queue.
    fn position(&self, id: u64) -> Option<usize> {
        let front = self.queue.front()?.id;
        let guess = usize::try_from(id.checked_sub(front)?).unwrap_or(usize::MAX);
        let last = guess.min(self.queue.len() - 1);
        for (i, e) in self.queue.range(..=last).enumerate().rev() {
            if e.id <= id {
                return (e.id == id).then_some(i);
            }
        }
        None
    }

    fn remove(&mut self, at: usize) {
        if let Some(e) = self.queue.remove(at) {
            if e.status != Status::Waiting {
                self.granted -= 1;
            }
        }
    }

    fn free(book: &Book, span: u32) -> usize {
        usize::try_from(u64::from(span).saturating_sub(book.next - book.oldest)).unwrap_or(0)
    }

    /// Grants freed slots (or the probe role) to the front waiters.
    fn grant(&mut self) {
        let Guard { inner, wake, .. } = self;
        let Some(inner) = inner.as_deref_mut() else {
            return;
        };
        // Every waiter already holds its grant (or none waits): nothing to hand out.
        if inner.granted >= inner.queue.len() {
            return;
        }
        let limit = match &inner.current {
            Some(book) => Self::free(book, inner.span),
            None if inner.probe.is_none() => 1,
            None => 0,
        };
        for e in inner.queue.iter_mut() {
            if inner.granted >= limit {
                break;
            }
            if e.status == Status::Waiting {
                e.status = Status::Granted;
                inner.granted += 1;
                if let Some(w) = e.waker.take() {
                    wake.push(w);
                }
            }
        }
    }

    /// Every grant is void (a new session, or none): grant again from the front.
    fn regrant(&mut self) {
        for e in self.queue.iter_mut() {
            e.status = Status::Waiting;
        }
        self.granted = 0;
        self.grant();
    }

    /// The slot for the request state `state` (holding the queue ticket `ticket`, if any).
    pub(crate) fn take(&mut self, state: u64, ticket: &mut Option<u64>) -> Slot {
        let pos = ticket.and_then(|id| self.position(id));
        if pos.is_none() {
            *ticket = None;
        }
        let granted = pos.is_some_and(|p| self.queue[p].status != Status::Waiting);
        if self.current.as_ref().is_some_and(|b| b.next >= b.end) {
            // nc exhausted for this nonce (or for this client's block of it): drop it; the next
            // request fetches a fresh challenge.
            self.leave();
            self.regrant();
        }
        let span = self.span;
        let queue_empty = self.queue.is_empty();
        let mine_or_first = if pos.is_some() { granted } else { queue_empty };
        match self.current.as_ref().map(|b| Self::free(b, span)) {
            Some(free) => {
                if free > 0 && mine_or_first {
                    if let Some(p) = pos {
                        self.remove(p);
                    }
                    *ticket = None;
                    if let Some(slot) = self.issue() {
                        return slot;
                    }
                }
            }
            None => match self.probe {
                Some(owner) if owner == state => return Slot::Probe,
                Some(_) => {}
                None => {
                    if mine_or_first {
                        if let Some(p) = pos {
                            self.remove(p);
                        }
                        *ticket = None;
                        self.probe = Some(state);
                        return Slot::Probe;
                    }
                }
            },
        }
        let id = match pos {
            Some(p) => {
                if self.queue[p].status != Status::Waiting {
                    self.queue[p].status = Status::Waiting;
                    self.granted -= 1;
                }
                self.queue[p].id
            }
            None => {
                let id = self.new_id();
                self.queue.push_back(Entry {
                    id,
                    status: Status::Waiting,
                    waker: None,
                });
                *ticket = Some(id);
                id
            }
        };
        self.grant();
        Slot::Wait(id)
    }

    fn issue(&mut self) -> Option<Slot> {
        let book = self.current.as_mut()?;
        let nc = u32::try_from(book.next).ok()?;
        book.next += 1;
        Some(Slot::Nc {
            session: book.session.clone(),
            epoch: book.epoch,
            nc,
        })
    }

    /// Adopts a new session: nc restarts at 1, the probe (if any) is over, the adopter is issued the
    /// first nc if `reserve` (returned beside the epoch; `None` if the nonce has none left; a
    /// `nextnonce` is adopted by a request that is done, without one), and waiters are
    /// granted slots of the new nonce from the front.
    pub(crate) fn adopt(
        &mut self,
        session: Arc<Session>,
        challenge: Option<DigestChallenge>,
        reserve: bool,
    ) -> (u64, Option<u32>) {
        let end = u64::from(self.max_nc) + 1;
        let epoch = self.install(session, challenge, 1, end, false);
        self.probe = None;
        // The adopter's nc, issued before any grant: the request that fetched the challenge sends
        // first on it, so waiters granted the new nonce cannot use it up first (with a small
        // `max_nc` that would send the adopter back to probing, and could starve it).
        let reserved = match self.current.as_ref() {
            Some(book) if reserve && book.next < book.end => match self.issue() {
                Some(Slot::Nc { nc, .. }) => Some(nc),
                _ => None,
            },
            _ => None,
        };
        // Grants stay valid: at most `span` were granted (or one, the next prober), and the new
        // nonce has `span` slots free, less the adopter's. Grant the rest up to the span.
        self.grant();
        (epoch, reserved)
    }

    /// Makes `session` current with nc from `first` (or further, if this client left the same
    /// nonce at a higher nc) up to `end`: a new epoch, the old session left, the probe over.
    fn install(
        &mut self,
        session: Arc<Session>,
        challenge: Option<DigestChallenge>,
        first: u64,
        end: u64,
        shared: bool,
    ) -> u64 {
        self.epoch += 1;
        let epoch = self.epoch;
        self.leave();
        let next = match self.left.iter().position(|(n, _)| *n == session.nonce) {
            Some(at) => self
                .left
                .remove(at)
                .map_or(first, |(_, next)| next.max(first)),
            None => first,
        };
        self.current = Some(Book {
            session,
            challenge,
            epoch,
            next,
            end: end.min(u64::from(self.max_nc) + 1),
            oldest: next,
            retired: 0,
            shared,
        });
        epoch
    }

    /// Takes up a session imported from another client with the nc block `[first, end)`; no
    /// request is issued an nc yet, waiters are granted slots of it.
    pub(crate) fn import(
        &mut self,
        session: Arc<Session>,
        challenge: DigestChallenge,
        first: u64,
        end: u64,
    ) {
        self.install(session, Some(challenge), first, end, true);
        self.probe = None;
        self.grant();
    }

    /// Hands the current nonce over to another client: returns its challenge and the first nc
    /// never issued, and issues no further nc on it (the next request fetches a fresh
    /// challenge). `None` when there is no nonce, it came from another client, or no nc is left.
    pub(crate) fn hand_over(&mut self) -> Option<(DigestChallenge, u64)> {
        let book = self.current.as_mut()?;
        if book.shared || book.next >= book.end {
            return None;
        }
        let challenge = book.challenge.clone()?;
        book.shared = true;
        book.end = book.next;
        Some((challenge, book.next))
    }

    /// True while a request probes for the first challenge.
    pub(crate) fn probing(&self) -> bool {
        self.probe.is_some()
    }

    /// Drops the session `epoch` (or any, for `None`) if it is the current one.
    pub(crate) fn drop_session(&mut self, epoch: Option<u64>) {
        if self
            .current
            .as_ref()
            .is_some_and(|b| epoch.is_none_or(|g| g == b.epoch))
        {
            self.leave();
            self.regrant();
        }
    }

    /// Leaves the current session (if any), remembering how far its nonce counted.
    fn leave(&mut self) {
        if let Some(book) = self.current.take() {
            self.left.retain(|(n, _)| *n != book.session.nonce);
            if self.left.len() == LEFT_NONCES {
                self.left.pop_front();
            }
            // A nonce another client holds nc values of is never counted on again.
            let next = if book.shared {
                u64::from(u32::MAX) + 1
            } else {
                book.next
            };
            self.left.push_back((book.session.nonce.clone(), next));
        }
    }

    /// Retires `nc` of session `epoch` (idempotent; no effect on an older session).
    pub(crate) fn retire(&mut self, epoch: u64, nc: u32) {
        let Some(book) = self.current.as_mut() else {
            return;
        };
        let nc = u64::from(nc);
        if book.epoch != epoch || nc < book.oldest || nc >= book.next {
            return;
        }
        // At most `span` (<= 128) values are unretired, so the offset fits the bitmap.
        book.retired |= 1u128
            .checked_shl(u32::try_from(nc - book.oldest).unwrap_or(u32::MAX))
            .unwrap_or(0);
        let advance = book.retired.trailing_ones();
        if advance == 0 {
            return;
        }
        book.retired = if advance >= 128 {
            0
        } else {
            book.retired >> advance
        };
        book.oldest += u64::from(advance);
        self.grant();
    }

    /// Gives back `nc` of session `epoch`, issued but never sent: if it is the last one issued on
    /// the current nonce it is issued again later (no gap for a request cancelled between
    /// adopting a challenge and sending), otherwise it is retired.
    pub(crate) fn unissue(&mut self, epoch: u64, nc: u32) {
        if let Some(book) = self.current.as_mut() {
            let nc = u64::from(nc);
            if book.epoch == epoch && nc >= book.oldest && book.next == nc + 1 {
                book.next = nc;
                self.grant();
                return;
            }
        }
        self.retire(epoch, nc);
    }

    /// The probe of `state` ended without a challenge: the next waiter probes.
    pub(crate) fn release_probe(&mut self, state: u64) {
        if self.probe == Some(state) {
            self.probe = None;
            self.grant();
        }
    }

    /// True if `state` is probing.
    pub(crate) fn is_prober(&self, state: u64) -> bool {
        self.probe == Some(state)
    }

    /// A request state goes away: its probe and its place in the queue (with any grant) pass on.
    pub(crate) fn abandon(&mut self, state: u64, ticket: Option<u64>) {
        if let Some(p) = ticket.and_then(|id| self.position(id)) {
            self.remove(p);
        }
        if self.probe == Some(state) {
            self.probe = None;
        }
        self.grant();
    }

    fn poll_wait(&mut self, id: u64, waker: &Waker) -> Poll<()> {
        let Some(p) = self.position(id) else {
            return Poll::Ready(());
        };
        let e = &mut self.queue[p];
        match e.status {
            Status::Waiting => {
                if !e.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
                    e.waker = Some(waker.clone());
                }
                Poll::Pending
            }
            Status::Granted | Status::Seen => {
                e.status = Status::Seen;
                e.waker = None;
                Poll::Ready(())
            }
        }
    }

    fn ready(&self, id: u64) -> bool {
        self.position(id)
            .is_none_or(|p| self.queue[p].status != Status::Waiting)
    }

    /// A wait is dropped before it saw its grant: leave the queue, pass the grant on.
    fn cancel_wait(&mut self, id: u64) {
        if let Some(p) = self.position(id) {
            if self.queue[p].status != Status::Seen {
                self.remove(p);
                self.grant();
            }
        }
    }

    /// (unretired nc values of the current session, waiting requests).
    pub(crate) fn load(&self) -> (u32, usize) {
        let out = self
            .current
            .as_ref()
            .map_or(0, |b| u32::try_from(b.next - b.oldest).unwrap_or(u32::MAX));
        (out, self.queue.len())
    }
}

/// A ready signal for a request told to wait ([`crate::Authorize::Wait`]): a plain
/// [`Future`] with no runtime behind it, woken through the task's [`Waker`] when an nc slot frees,
/// the probe for the first challenge fails, or a new nonce is adopted. Then call
/// [`crate::DigestClient::authorize`] again with the same request state.
///
/// Waits are served in FIFO order. Dropping a wait gives up its place; if it had already been woken,
/// the wake-up passes to the next waiter (none is lost). Sync callers use [`NcWait::is_ready`] or
/// [`NcWait::wait_blocking`].
#[must_use = "a wait does nothing unless awaited (or polled with is_ready / wait_blocking)"]
pub struct NcWait {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: u64,
    pub(crate) done: bool,
}

impl fmt::Debug for NcWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NcWait")
            .field("id", &self.id)
            .field("ready", &self.is_ready())
            .finish()
    }
}

impl NcWait {
    /// True once the request may call [`crate::DigestClient::authorize`] again (never blocks).
    pub fn is_ready(&self) -> bool {
        self.done || self.shared.lock().ready(self.id)
    }

    /// Blocks the calling thread until ready (for sync callers; parks the thread, no busy loop, no
    /// thread of its own).
    pub fn wait_blocking(mut self) {
        struct Unpark(Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        while Pin::new(&mut self).poll(&mut cx).is_pending() {
            thread::park();
        }
    }
}

impl Future for NcWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let r = self.shared.lock().poll_wait(self.id, cx.waker());
        if r.is_ready() {
            self.done = true;
        }
        r
    }
}

impl Drop for NcWait {
    fn drop(&mut self) {
        if !self.done {
            self.shared.lock().cancel_wait(self.id);
        }
    }
}

/// The right to one nc of a nonce for one attempt ([`crate::Authorize::Send`]). Hold it until the
/// response has arrived (or the attempt is abandoned); completing or dropping it retires the nc and
/// lets a waiting request have a slot. Feeding the response to the client
/// ([`crate::DigestClient::on_unauthorized`], [`crate::DigestClient::on_authentication_info`]) or
/// authorizing again with the same request state retires it too (retiring twice is harmless).
#[must_use = "dropping the lease at once retires its nc while the request may still be in flight"]
pub struct NcLease {
    pub(crate) shared: Arc<Shared>,
    pub(crate) epoch: u64,
    pub(crate) nc: u32,
}

impl fmt::Debug for NcLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NcLease").field("nc", &self.nc).finish()
    }
}

impl NcLease {
    /// The nc this lease holds.
    pub fn nc(&self) -> u32 {
        self.nc
    }

    /// Retires the nc (the same as dropping the lease, said explicitly).
    pub fn complete(self) {}
}

impl Drop for NcLease {
    fn drop(&mut self) {
        // Usually retired already, when the answer was fed back: then no lock.
        if !self.shared.retired(self.epoch, self.nc) {
            self.shared.lock().retire(self.epoch, self.nc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::config::ClientConfig;
    use crate::credentials::Credentials;

    fn session(nonce: &str) -> Arc<Session> {
        let c: DigestChallenge =
            format!("Digest realm=\"r\", nonce=\"{nonce}\", qop=\"auth\", algorithm=SHA-256")
                .parse()
                .unwrap();
        Arc::new(Session::new(&c, &Credentials::new("u", "p"), &ClientConfig::default()).unwrap())
    }

    fn take(shared: &Shared) -> u32 {
        match shared.lock().take(99, &mut None) {
            Slot::Nc { nc, .. } => nc,
            _ => panic!("a slot is free"),
        }
    }

    #[test]
    fn the_lock_free_mark_says_retired_only_for_retired_nc_of_its_epoch() {
        let shared = Shared::new(4, 1000);
        assert!(!shared.retired(0, 0));
        let (epoch, reserved) = shared.lock().adopt(session("a"), None, true);
        let nc1 = reserved.unwrap();
        assert!(!shared.retired(epoch, nc1));
        let nc2 = take(&shared);
        // Retired out of order: the oldest stays, so the mark cannot tell (false = lock).
        shared.lock().retire(epoch, nc2);
        assert!(!shared.retired(epoch, nc2));
        shared.lock().retire(epoch, nc1);
        assert!(shared.retired(epoch, nc1) && shared.retired(epoch, nc2));
        assert!(!shared.retired(epoch + 1, nc1));
        let nc3 = take(&shared);
        assert!(!shared.retired(epoch, nc3));
        // A new nonce: nothing of the old epoch is marked (retiring it does nothing anyway).
        let (e2, r2) = shared.lock().adopt(session("b"), None, true);
        assert!(!shared.retired(epoch, nc1));
        assert!(!shared.retired(e2, r2.unwrap()));
        // Retiring under the lock what the mark leaves unknown still works.
        shared.lock().retire(e2, r2.unwrap());
        assert!(shared.retired(e2, r2.unwrap()));
    }

    proptest::proptest! {
        /// `position` finds every waiting entry and nothing else, before any left the queue and
        /// after each one left (in turn from the front, or out of turn from anywhere).
        #[test]
        fn position_finds_each_entry_after_any_removals(
            n in 1usize..40,
            leaves in proptest::collection::vec(0usize..40, 0..40),
        ) {
            let shared = Shared::new(1, 1000);
            let (_epoch, reserved) = shared.lock().adopt(session("a"), None, true);
            proptest::prop_assert!(reserved.is_some());
            let mut ids = Vec::new();
            for state in 0..n {
                let mut ticket = None;
                match shared.lock().take(1000 + state as u64, &mut ticket) {
                    Slot::Wait(id) => ids.push(id),
                    _ => proptest::prop_assert!(false, "the one slot is held"),
                }
            }
            {
                let g = shared.lock();
                for (i, &id) in ids.iter().enumerate() {
                    proptest::prop_assert_eq!(g.position(id), Some(i));
                }
            }
            let mut gone = Vec::new();
            for at in leaves {
                if ids.is_empty() {
                    break;
                }
                let id = ids.remove(at % ids.len());
                shared.lock().cancel_wait(id);
                gone.push(id);
                let g = shared.lock();
                for (i, &id) in ids.iter().enumerate() {
                    proptest::prop_assert_eq!(g.position(id), Some(i));
                }
                for &id in &gone {
                    proptest::prop_assert_eq!(g.position(id), None);
                }
                proptest::prop_assert_eq!(g.position(0), None);
                proptest::prop_assert_eq!(g.position(u64::MAX), None);
            }
        }
    }
}
