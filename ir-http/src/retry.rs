//! The one retry policy: exponential backoff with jitter, a cap on attempts and on total time,
//! and the server's own `Retry-After` and rate-limit reset headers.
//!
//! The loop around attempts lives here too: [`HttpClient::send`](crate::HttpClient::send)
//! hands each request to it, and it decides, attempt by attempt:
//!
//! | outcome | retried when |
//! |---|---|
//! | could not connect (refused, DNS, connect timeout) | always: the request never left |
//! | `429`, or `403` with `x-ratelimit-remaining: 0` or a `Retry-After` | always: the server refused it unprocessed; the wait is the server's (`Retry-After`, then the reset header), else the client's [throttle floor](crate::HttpClientBuilder::with_throttle_floor), never less than the backoff |
//! | `502`, `503`, `504`, or a 2xx the adapter [reads as an outage](crate::HttpClient::send_and_read) | only when the request is idempotent |
//! | attempt timed out, connection lost mid-request | only when the request is idempotent |
//! | anything else | never |

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::StatusCode;
use http::header::{HeaderMap, RETRY_AFTER};
use ir_core::{Error, ErrorKind, Result};

use crate::client::{Attempt, Body, HttpClient, Request, Response, human, is_tls_error, plural};
use crate::status::is_throttled;

/// How often and how long [`HttpClient`](crate::HttpClient) retries.
///
/// Two timeouts bound a call: the client's per-attempt timeout (one request and its whole body),
/// and this policy's [`total_timeout`](Self::with_total_timeout), the overall deadline across
/// every attempt and every wait between them.
///
/// ```
/// use std::time::Duration;
/// use ir_http::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_total_timeout(Duration::from_secs(20));
/// assert_eq!(policy.max_attempts(), 5);
/// // Without jitter the n-th wait is initial * 2^(n-1), capped.
/// let fixed = policy.with_jitter(false);
/// assert_eq!(fixed.backoff(1), Duration::from_millis(250));
/// assert_eq!(fixed.backoff(3), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    total_timeout: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// Four attempts, waits from 250 ms doubling up to 10 s, jitter on, 60 s overall.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(10),
            total_timeout: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that makes exactly one attempt (still bounded by the total timeout).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Caps the number of attempts (first try included); at least 1.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt; it doubles for each later one.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The longest computed wait between two attempts. A server's `Retry-After` may ask for
    /// longer; it is honoured as long as it fits in the total timeout. A server wait shorter
    /// than the computed one (`Retry-After: 0`, a reset time already past) gives way to it.
    pub fn with_max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The overall deadline of one call: every attempt and every wait. A wait that would end
    /// past it is not started; the last answer (or error) is returned instead. A timeout too
    /// long to add to a date (`Duration::MAX`) means no overall deadline.
    pub fn with_total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// Whether computed waits are randomised ("equal jitter": between half and all of the
    /// exponential wait), so many clients do not retry in step. Server-given waits are never
    /// shortened.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The cap on attempts.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The overall deadline.
    pub fn total_timeout(&self) -> Duration {
        self.total_timeout
    }

    /// The wait after failed attempt number `attempt` (1-based), when the server did not say.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(31);
        let raw = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        if self.jitter && !raw.is_zero() {
            let half = raw / 2;
            half + half.mul_f64(rand::random_range(0.0..=1.0))
        } else {
            raw
        }
    }
}

/// Whether to go again.
enum Verdict {
    Final,
    Retry {
        reason: &'static str,
        server_wait: Option<Duration>,
    },
}

/// What the call returns if it stops now: an attempt's outcome not yet read, or a reading.
enum Last<T> {
    Outcome(Attempt),
    Read(Result<T>),
}

/// Sends `request` through `client`, attempt after attempt, until an answer is final, the
/// attempts run out, or the next wait would pass the overall deadline; the final answer goes
/// through `read`. Every timeout and wait is measured on the client's clock.
pub(crate) async fn send<T>(
    client: &HttpClient,
    request: &Request,
    mut read: impl FnMut(Response) -> Result<T>,
) -> Result<T> {
    let options = client.client_options();
    let policy = options.retry_policy();
    let attempt_timeout = options.attempt_timeout();
    let clock = client.clock();
    let started = clock.now();
    let total = policy.total_timeout();
    // A total timeout too long for a date (`Duration::MAX`) means no deadline.
    let deadline = chrono::Duration::from_std(total)
        .ok()
        .and_then(|total| started.checked_add_signed(total));
    let span = tracing::Span::current();
    let mut attempt_no: u32 = 0;
    loop {
        attempt_no += 1;
        span.record("attempts", attempt_no);
        let remaining = time_left(deadline, clock.now());
        if remaining.is_zero() {
            return Err(deadline_error(client, request, attempt_no - 1, total));
        }
        let budget = attempt_timeout.min(remaining);
        let outcome = client.attempt_within(request, budget, Body::Whole).await;
        if let Attempt::Answered(response) = &outcome {
            span.record("status", response.status().as_u16());
        }
        let now = clock.now();
        let cut_by_deadline = budget < attempt_timeout;
        let stop = |last: Last<T>, read: &mut dyn FnMut(Response) -> Result<T>| match last {
            Last::Outcome(outcome) => {
                finish(client, request, outcome, attempt_no, cut_by_deadline, read)
            }
            Last::Read(result) => result,
        };
        let (reason, server_wait, last) =
            match verdict(&outcome, request, now, client.throttle_floor()) {
                Verdict::Retry {
                    reason,
                    server_wait,
                } => (reason, server_wait, Last::Outcome(outcome)),
                Verdict::Final => match outcome {
                    // An answer that reads as an outage is retried like a 503.
                    Attempt::Answered(response)
                        if request.is_idempotent() && response.is_success() =>
                    {
                        let server_wait = retry_after(response.headers(), now);
                        match read(response) {
                            Err(e) if e.kind() == ErrorKind::Unavailable => (
                                "the answer reports an outage",
                                server_wait,
                                Last::Read(Err(e)),
                            ),
                            result => return result,
                        }
                    }
                    outcome => return stop(Last::Outcome(outcome), &mut read),
                },
            };
        if attempt_no >= policy.max_attempts() {
            return stop(last, &mut read);
        }
        // The server may ask for longer than the backoff, never for less: a `Retry-After: 0`
        // or a reset time already past must not turn into retries in a tight loop.
        let backoff = policy.backoff(attempt_no);
        let wait = server_wait.map_or(backoff, |asked| asked.max(backoff));
        if wait >= time_left(deadline, now) {
            tracing::warn!(
                attempt = attempt_no,
                reason,
                wait_ms = millis(wait),
                "not retrying: the wait would pass the overall deadline"
            );
            return stop(last, &mut read);
        }
        tracing::warn!(
            attempt = attempt_no,
            max_attempts = policy.max_attempts(),
            reason,
            wait_ms = millis(wait),
            "retrying"
        );
        clock.sleep(wait).await;
    }
}

/// The last attempt's outcome as the call's result.
fn finish<T>(
    client: &HttpClient,
    request: &Request,
    outcome: Attempt,
    attempts: u32,
    cut_by_deadline: bool,
    read: &mut dyn FnMut(Response) -> Result<T>,
) -> Result<T> {
    let options = client.client_options();
    match outcome {
        Attempt::Answered(response) => read(response),
        Attempt::TimedOut if cut_by_deadline => {
            let total = options.retry_policy().total_timeout();
            let error = deadline_error(client, request, attempts, total);
            if request.is_idempotent() {
                Err(error)
            } else {
                Err(error.with_effect_unknown())
            }
        }
        Attempt::TimedOut => {
            let within = human(options.attempt_timeout());
            let tries = plural(attempts, "attempt");
            if request.is_idempotent() {
                let message = format!("no answer within {within} ({tries})");
                Err(client.error(ErrorKind::Timeout, message, request))
            } else {
                let message = format!("no answer within {within} ({tries}; not repeated)");
                Err(client
                    .error(ErrorKind::Timeout, message, request)
                    .with_effect_unknown())
            }
        }
        Attempt::TooLarge => Err(client.error(
            ErrorKind::Protocol,
            format!(
                "response body larger than {} bytes",
                client.max_body_bytes()
            ),
            request,
        )),
        Attempt::Transport(e) => Err(client.transport_error(request, e, attempts)),
    }
}

fn deadline_error(client: &HttpClient, request: &Request, attempts: u32, total: Duration) -> Error {
    client.error(
        ErrorKind::Timeout,
        format!(
            "gave up at the overall deadline of {} after {}",
            human(total),
            plural(attempts, "attempt")
        ),
        request,
    )
}

/// The retry table in the module docs.
///
/// A throttled answer that names no wait of its own waits `throttle_floor` when set.
fn verdict(
    outcome: &Attempt,
    request: &Request,
    now: DateTime<Utc>,
    throttle_floor: Option<Duration>,
) -> Verdict {
    let idempotent = request.is_idempotent();
    match outcome {
        Attempt::Answered(response) => {
            let status = response.status();
            if is_throttled(status, response.headers()) {
                Verdict::Retry {
                    reason: "rate limited",
                    server_wait: server_wait(response.headers(), now).or(throttle_floor),
                }
            } else if idempotent
                && matches!(
                    status,
                    StatusCode::BAD_GATEWAY
                        | StatusCode::SERVICE_UNAVAILABLE
                        | StatusCode::GATEWAY_TIMEOUT
                )
            {
                Verdict::Retry {
                    reason: "server unavailable",
                    server_wait: retry_after(response.headers(), now),
                }
            } else {
                Verdict::Final
            }
        }
        // The request never reached the server: safe to repeat whatever it does.
        Attempt::Transport(e) if e.is_connect() && !is_tls_error(e) => Verdict::Retry {
            reason: "could not connect",
            server_wait: None,
        },
        Attempt::Transport(e) if idempotent && !is_tls_error(e) => Verdict::Retry {
            reason: "connection lost",
            server_wait: None,
        },
        Attempt::TimedOut if idempotent => Verdict::Retry {
            reason: "attempt timed out",
            server_wait: None,
        },
        _ => Verdict::Final,
    }
}

/// The time until `deadline`; unbounded without one.
fn time_left(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    match deadline {
        Some(deadline) => (deadline - now).to_std().unwrap_or(Duration::ZERO),
        None => Duration::MAX,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// How long the server asked us to wait, from `Retry-After` (delay-seconds or an HTTP date).
///
/// ```
/// use http::header::{HeaderMap, HeaderValue, RETRY_AFTER};
/// use std::time::Duration;
///
/// let now = "2026-02-08T15:30:00Z".parse()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
/// assert_eq!(ir_http::retry_after(&headers, now), Some(Duration::from_secs(7)));
/// headers.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 08 Feb 2026 15:30:30 GMT"));
/// assert_eq!(ir_http::retry_after(&headers, now), Some(Duration::from_secs(30)));
/// # Ok::<(), chrono::ParseError>(())
/// ```
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(until(DateTime::<Utc>::from(at), now))
}

/// How long until the rate-limit window resets, from `X-RateLimit-Reset` (or the IETF draft's
/// `RateLimit-Reset`, or Sentry's `X-Sentry-Rate-Limit-Reset`).
///
/// Providers disagree on the unit: GitHub sends epoch seconds, others a delay in seconds. A
/// value above 1,000,000,000 is read as epoch seconds, anything smaller as a delay.
pub fn rate_limit_reset(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers
        .get("x-ratelimit-reset")
        .or_else(|| headers.get("ratelimit-reset"))
        .or_else(|| headers.get("x-sentry-rate-limit-reset"))?
        .to_str()
        .ok()?
        .trim();
    let number: f64 = value.parse().ok()?;
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    if number >= 1_000_000_000.0 {
        // Whole seconds are enough here; the fraction of a second is dropped on purpose.
        let at = DateTime::<Utc>::from_timestamp(number as i64, 0)?;
        Some(until(at, now))
    } else {
        Some(Duration::from_secs_f64(number))
    }
}

/// Whether the response carries a `Retry-After` header (whatever its value).
pub(crate) fn retry_after_present(headers: &HeaderMap) -> bool {
    headers.contains_key(RETRY_AFTER)
}

/// Whether the response says the rate limit is exhausted (`x-ratelimit-remaining: 0`).
pub(crate) fn rate_limit_exhausted(headers: &HeaderMap) -> bool {
    headers
        .get("x-ratelimit-remaining")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "0")
}

/// The wait a throttled response asks for: `Retry-After` first, then the reset header.
pub(crate) fn server_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    retry_after(headers, now).or_else(|| rate_limit_reset(headers, now))
}

fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_770_564_600, 0).unwrap_or_default() // 2026-02-08T15:30:00Z
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn backoff_doubles_and_caps_without_jitter() {
        let policy = RetryPolicy::default()
            .with_jitter(false)
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(500));
        let waits: Vec<_> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 500, 500]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(500));
    }

    #[test]
    fn jitter_stays_between_half_and_full_wait() {
        let policy = RetryPolicy::default().with_initial_backoff(Duration::from_millis(400));
        for _ in 0..200 {
            let wait = policy.backoff(2);
            assert!(wait >= Duration::from_millis(400), "{wait:?}");
            assert!(wait <= Duration::from_millis(800), "{wait:?}");
        }
    }

    #[test]
    fn max_attempts_is_at_least_one() {
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
        assert_eq!(RetryPolicy::none().max_attempts(), 1);
    }

    #[test]
    fn retry_after_seconds_date_and_garbage() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", " 12 ")]), now()),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Sun, 08 Feb 2026 15:31:00 GMT")]),
                now()
            ),
            Some(Duration::from_secs(60))
        );
        // A date in the past means "now".
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Sun, 08 Feb 2026 15:00:00 GMT")]),
                now()
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "soon")]), now()),
            None
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "-3")]), now()), None);
        assert_eq!(retry_after(&HeaderMap::new(), now()), None);
    }

    #[test]
    fn reset_header_as_epoch_or_delay() {
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "1770564645")]), now()),
            Some(Duration::from_secs(45))
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "20")]), now()),
            Some(Duration::from_secs(20))
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("ratelimit-reset", "1.5")]), now()),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            rate_limit_reset(
                &headers(&[("x-sentry-rate-limit-reset", "1770564612")]),
                now()
            ),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "NaN")]), now()),
            None
        );
        assert_eq!(
            rate_limit_reset(&headers(&[("x-ratelimit-reset", "later")]), now()),
            None
        );
    }

    #[test]
    fn retry_after_wins_over_reset() {
        let both = headers(&[("retry-after", "3"), ("x-ratelimit-reset", "40")]);
        assert_eq!(server_wait(&both, now()), Some(Duration::from_secs(3)));
        let reset_only = headers(&[("x-ratelimit-reset", "40")]);
        assert_eq!(
            server_wait(&reset_only, now()),
            Some(Duration::from_secs(40))
        );
    }

    #[test]
    fn exhausted_only_on_zero() {
        assert!(rate_limit_exhausted(&headers(&[(
            "x-ratelimit-remaining",
            "0"
        )])));
        assert!(!rate_limit_exhausted(&headers(&[(
            "x-ratelimit-remaining",
            "10"
        )])));
        assert!(!rate_limit_exhausted(&HeaderMap::new()));
    }
}
