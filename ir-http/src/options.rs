//! [`ClientOptions`]: the transport settings every HTTP adapter shares, so no adapter's config
//! carries its own copy of timeouts, retries or a clock.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::{Clock, SystemClock};
use ir_core::{Error, Result};

use crate::retry::RetryPolicy;

/// The user agent sent unless [`ClientOptions::with_user_agent`] sets another.
pub const DEFAULT_USER_AGENT: &str = concat!("ir/", env!("CARGO_PKG_VERSION"));

/// How an HTTP adapter talks to its service: the two timeouts, the retry policy, the clock
/// every wait and deadline reads, and the user agent.
///
/// Every HTTP adapter's config builder takes one (`.with_client_options(options)`), and
/// [`HttpClientBuilder::with_client_options`](crate::HttpClientBuilder::with_client_options)
/// applies it.
///
/// | setting | default |
/// |---|---|
/// | [`attempt_timeout`](Self::with_attempt_timeout): one request, its answer and its whole body | 30 s |
/// | [`connect_timeout`](Self::with_connect_timeout): TCP and TLS, never longer than the attempt timeout | 10 s |
/// | [`retry_policy`](Self::with_retry_policy): attempts, backoff, the overall deadline | [`RetryPolicy::default`]: 4 attempts, 250 ms doubling to 10 s, jitter, 60 s overall |
/// | [`clock`](Self::with_clock): attempt timeouts, retry waits, the overall deadline | [`SystemClock`] |
/// | [`user_agent`](Self::with_user_agent) | [`DEFAULT_USER_AGENT`] (`ir/<version>`) |
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ir_core::clock::ManualClock;
/// use ir_http::{ClientOptions, RetryPolicy};
///
/// let options = ClientOptions::default()
///     .with_attempt_timeout(Duration::from_secs(5))
///     .with_retry_policy(RetryPolicy::default().with_total_timeout(Duration::from_secs(20)))
///     .with_clock(Arc::new(ManualClock::at("2026-02-08T15:30:00Z".parse()?)));
/// assert_eq!(options.attempt_timeout(), Duration::from_secs(5));
/// assert_eq!(options.retry_policy().total_timeout(), Duration::from_secs(20));
/// options.validate()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ClientOptions {
    attempt_timeout: Duration,
    connect_timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    user_agent: String,
}

impl Default for ClientOptions {
    /// The defaults in the table above.
    fn default() -> Self {
        Self {
            attempt_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

impl ClientOptions {
    /// The per-attempt timeout: one request, its response and its whole body (default 30 s).
    /// An attempt cut by it is retried only when the request is idempotent.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// The TCP/TLS connect timeout (default 10 s; never longer than the attempt timeout).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The retry policy, which also holds the overall deadline (default
    /// [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The clock attempt timeouts, retry waits and the overall deadline are measured with
    /// (default [`SystemClock`]). On a [`ManualClock`](ir_core::clock::ManualClock) retry
    /// waits are instant and a deadline fires only when something moves the clock past it,
    /// so a test can time out an attempt without waiting.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The `User-Agent` (default [`DEFAULT_USER_AGENT`]).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The per-attempt timeout.
    pub fn attempt_timeout(&self) -> Duration {
        self.attempt_timeout
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The user agent.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Checks the options an adapter's `build()` should refuse.
    ///
    /// # Errors
    /// `Config` for a zero attempt, connect or overall timeout, or a user agent an HTTP header
    /// cannot carry.
    pub fn validate(&self) -> Result<()> {
        if self.attempt_timeout.is_zero()
            || self.connect_timeout.is_zero()
            || self.retry.total_timeout().is_zero()
        {
            return Err(Error::config("HTTP timeouts must be longer than zero"));
        }
        if http::HeaderValue::from_str(&self.user_agent).is_err() {
            return Err(Error::config(
                "the user agent contains characters an HTTP header cannot carry",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("attempt_timeout", &self.attempt_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("clock", &self.clock)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::ErrorKind;

    #[test]
    fn defaults_are_the_documented_ones() {
        let options = ClientOptions::default();
        assert_eq!(options.attempt_timeout(), Duration::from_secs(30));
        assert_eq!(options.connect_timeout(), Duration::from_secs(10));
        assert_eq!(options.retry_policy(), &RetryPolicy::default());
        assert_eq!(options.user_agent(), DEFAULT_USER_AGENT);
        assert!(options.validate().is_ok());
    }

    #[test]
    fn zero_timeouts_and_bad_user_agents_are_refused() {
        let cases = [
            ClientOptions::default().with_attempt_timeout(Duration::ZERO),
            ClientOptions::default().with_connect_timeout(Duration::ZERO),
            ClientOptions::default()
                .with_retry_policy(RetryPolicy::default().with_total_timeout(Duration::ZERO)),
            ClientOptions::default().with_user_agent("ir\n1"),
        ];
        for options in cases {
            let err = options.validate().err();
            assert_eq!(
                err.map(|e| e.kind()),
                Some(ErrorKind::Config),
                "{options:?}"
            );
        }
    }
}
