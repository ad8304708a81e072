//! Retry policy: which failures are retried, and how long to wait in between.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, Method, StatusCode};
use tokio::time::Instant;

use crate::error::{Error, TimeoutKind};

/// When and how failed attempts are retried.
///
/// Retried: connection failures, attempt timeouts and the statuses 429, 502, 503 and 504, for
/// idempotent methods (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`, `TRACE`). For other methods
/// (`POST`, `PATCH`) only failures where the server certainly did not act are retried: a
/// connection that could not be established, and `429 Too Many Requests`; set
/// [`RetryPolicy::retry_non_idempotent`] to retry them like the others.
///
/// The wait before retry *n* (n = 1, 2, ...) is the server's `Retry-After` when present
/// (seconds or an HTTP date), otherwise "full jitter": a uniformly random duration between zero
/// and `min(max_backoff, initial_backoff * 2^(n-1))`. Retrying stops when `max_attempts`
/// attempts were made, or when the next wait would take the sum of waits past
/// `max_total_delay`, or past the client's total timeout.
///
/// ```
/// use std::time::Duration;
/// use atlas_transport::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_total_delay(Duration::from_secs(10));
/// assert_eq!(policy.get_max_attempts(), 5);
/// assert_eq!(RetryPolicy::none().get_max_attempts(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_total_delay: Duration,
    retry_non_idempotent: bool,
}

impl Default for RetryPolicy {
    /// 4 attempts, back-off from 250 ms up to 8 s, at most 30 s of waiting in all.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_total_delay: Duration::from_secs(30),
            retry_non_idempotent: false,
        }
    }
}

impl RetryPolicy {
    /// No retries: one attempt, a retryable status is returned as `Ok(response)`.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Attempts in all, the first one included (at least 1; 0 is taken as 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The back-off cap for the first retry; doubled for each further retry.
    pub fn initial_backoff(mut self, delay: Duration) -> Self {
        self.initial_backoff = delay;
        self
    }

    /// The largest back-off cap (a `Retry-After` from the server may be longer).
    pub fn max_backoff(mut self, delay: Duration) -> Self {
        self.max_backoff = delay;
        self
    }

    /// The largest sum of all waits for one request; a wait that would exceed it ends the
    /// retries instead.
    pub fn max_total_delay(mut self, delay: Duration) -> Self {
        self.max_total_delay = delay;
        self
    }

    /// Retry `POST` and `PATCH` on the same failures as idempotent methods.
    pub fn retry_non_idempotent(mut self, yes: bool) -> Self {
        self.retry_non_idempotent = yes;
        self
    }

    /// Attempts in all, the first one included.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// See [`RetryPolicy::initial_backoff`].
    pub fn get_initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// See [`RetryPolicy::max_backoff`].
    pub fn get_max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// See [`RetryPolicy::max_total_delay`].
    pub fn get_max_total_delay(&self) -> Duration {
        self.max_total_delay
    }

    /// See [`RetryPolicy::retry_non_idempotent`].
    pub fn get_retry_non_idempotent(&self) -> bool {
        self.retry_non_idempotent
    }

    /// A fresh back-off schedule for one logical request whose first attempt is under way.
    pub fn backoff(&self) -> Backoff {
        Backoff {
            policy: self.clone(),
            attempts: 1,
            total_delay: Duration::ZERO,
        }
    }

    /// Whether a response with `status` to `method` should be retried under this policy.
    pub fn retries_status(&self, method: &Method, status: StatusCode) -> bool {
        match status.as_u16() {
            429 => true,
            502..=504 => self.retry_non_idempotent || is_idempotent(method),
            _ => false,
        }
    }

    /// Whether a transport failure should be retried; `before_send` is true when the
    /// connection could not even be established, so the server cannot have acted.
    pub fn retries_failure(&self, method: &Method, before_send: bool) -> bool {
        before_send || self.retry_non_idempotent || is_idempotent(method)
    }
}

/// Whether `method` is idempotent by RFC 9110 section 9.2.2.
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// The retry schedule of one logical request; see [`RetryPolicy`].
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    attempts: u32,
    total_delay: Duration,
}

impl Backoff {
    /// Attempts made or under way so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The sum of the waits handed out so far.
    pub fn total_delay(&self) -> Duration {
        self.total_delay
    }

    /// After a failed attempt: how long to wait before the next one, or `None` when the budget
    /// is spent. `retry_after` is the server's `Retry-After`, if any; `random` is a uniformly
    /// random number that picks the jittered delay. On `Some`, the next attempt is counted.
    #[must_use]
    pub fn next_delay(&mut self, retry_after: Option<Duration>, random: u64) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        let delay = match retry_after {
            Some(d) => d,
            None => {
                let exp = self.attempts.saturating_sub(1).min(31);
                let cap = self
                    .policy
                    .initial_backoff
                    .saturating_mul(1u32 << exp)
                    .min(self.policy.max_backoff);
                let cap_nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
                Duration::from_nanos(match cap_nanos.checked_add(1) {
                    Some(m) => random % m,
                    None => random,
                })
            }
        };
        let total = self.total_delay.checked_add(delay)?;
        if total > self.policy.max_total_delay {
            return None;
        }
        self.total_delay = total;
        self.attempts += 1;
        Some(delay)
    }
}

/// Whether a failed attempt may be retried under `policy`: a connection that was never made
/// always may (the server cannot have acted), an I/O failure or attempt timeout after sending only
/// for idempotent methods (or with [`RetryPolicy::retry_non_idempotent`]); nothing else may.
pub(crate) fn retries_error(policy: &RetryPolicy, method: &Method, e: &Error) -> bool {
    let before_send = matches!(
        e,
        Error::Connect { .. }
            | Error::Timeout {
                kind: TimeoutKind::Connect,
                ..
            }
    );
    let after_send = matches!(
        e,
        Error::Io { .. }
            | Error::Timeout {
                kind: TimeoutKind::Attempt,
                ..
            }
    );
    (before_send || after_send) && policy.retries_failure(method, before_send)
}

/// The next back-off delay of `backoff`, or `None` if the policy or the total `deadline` forbids
/// another attempt (a wait that would end at or past the deadline is not taken).
pub(crate) fn next_delay_within(
    backoff: &mut Backoff,
    retry_after: Option<Duration>,
    deadline: Option<Instant>,
) -> Option<Duration> {
    let mut probe = backoff.clone();
    let delay = probe.next_delay(retry_after, crate::cnonce::random_u64())?;
    if deadline.is_some_and(|d| Instant::now() + delay >= d) {
        return None;
    }
    *backoff = probe;
    Some(delay)
}

/// Whether `status` is one of those the executor may retry (429, 502, 503, 504).
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502..=504)
}

/// Reads `Retry-After` as delta-seconds or an HTTP date (a date in the past means now).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn retry_after_one_second_waits_exactly_one_second() {
        let mut h = HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
        let ra = retry_after(&h, SystemTime::now());
        assert_eq!(ra, Some(Duration::from_secs(1)));
        let mut b = RetryPolicy::default().backoff();
        assert_eq!(b.next_delay(ra, 12345), Some(Duration::from_secs(1)));
        assert_eq!(b.attempts(), 2);
    }

    #[test]
    fn retry_after_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        let mut h = HeaderMap::new();
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(&later).unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        h.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from_str(&past).unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert(http::header::RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn none_never_retries() {
        let mut b = RetryPolicy::none().backoff();
        assert_eq!(b.next_delay(None, 0), None);
        assert_eq!(b.next_delay(Some(Duration::ZERO), 0), None);
    }

    #[test]
    fn long_retry_after_ends_the_retries() {
        let mut b = RetryPolicy::default()
            .max_total_delay(Duration::from_secs(5))
            .backoff();
        assert_eq!(b.next_delay(Some(Duration::from_secs(6)), 0), None);
    }

    #[test]
    fn which_failures_are_retried() {
        let p = RetryPolicy::default();
        let url = || "https://h/".to_owned();
        let connect = Error::Connect {
            url: url(),
            source: "refused".into(),
        };
        let io = Error::Io {
            url: url(),
            source: "reset".into(),
        };
        let attempt = Error::Timeout {
            url: url(),
            kind: TimeoutKind::Attempt,
        };
        let total = Error::Timeout {
            url: url(),
            kind: TimeoutKind::Total,
        };
        assert!(retries_error(&p, &Method::POST, &connect));
        assert!(!retries_error(&p, &Method::POST, &io));
        assert!(retries_error(&p, &Method::GET, &io));
        assert!(retries_error(&p, &Method::GET, &attempt));
        assert!(!retries_error(&p, &Method::GET, &total));
        let tls = Error::Tls {
            url: url(),
            source: "bad cert".into(),
        };
        assert!(!retries_error(&p, &Method::GET, &tls));
    }

    #[tokio::test(start_paused = true)]
    async fn no_wait_ends_past_the_deadline() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_secs(1))
            .max_backoff(Duration::from_secs(1));
        let mut b = policy.backoff();
        let soon = Some(Instant::now() + Duration::from_secs(2));
        assert_eq!(
            next_delay_within(&mut b, Some(Duration::from_secs(3)), soon),
            None
        );
        assert_eq!(b.attempts(), 1, "a refused wait is not counted");
        assert_eq!(
            next_delay_within(&mut b, Some(Duration::from_secs(1)), soon),
            Some(Duration::from_secs(1))
        );
        assert_eq!(b.attempts(), 2);
    }

    #[test]
    fn statuses_and_methods() {
        let p = RetryPolicy::default();
        assert!(p.retries_status(&Method::GET, StatusCode::SERVICE_UNAVAILABLE));
        assert!(!p.retries_status(&Method::POST, StatusCode::SERVICE_UNAVAILABLE));
        assert!(p.retries_status(&Method::POST, StatusCode::TOO_MANY_REQUESTS));
        assert!(!p.retries_status(&Method::GET, StatusCode::INTERNAL_SERVER_ERROR));
        assert!(p.retries_failure(&Method::POST, true));
        assert!(!p.retries_failure(&Method::POST, false));
        assert!(
            p.clone()
                .retry_non_idempotent(true)
                .retries_failure(&Method::POST, false)
        );
    }
}
