//! The HTTP [`HealthProbe`]: the runbook's `curl -I https://.../health`, as a report.
//!
//! A probe never retries: it reports what one request saw (status, latency, the first bytes of
//! the body), and a refused connection, a TLS failure or a timeout is a report too, not an
//! error. The request is one attempt of an [`HttpClient`], the same code every adapter's calls
//! go through, with no credential and no retry.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use http::Method;
use ir_core::model::{HealthOutcome, HealthReport};
use ir_core::ports::HealthProbe;
use ir_core::redact::redact;
use ir_core::{Error, Result};
use tracing::Instrument;
use url::Url;

use crate::client::{Attempt, Body, HttpClient, Request, human, tls_error_text};
use crate::options::ClientOptions;
use crate::retry::RetryPolicy;

/// Whether the probe follows redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectPolicy {
    /// Report the 3xx itself, as `curl -I` does without `-L` (the default). A 3xx counts as
    /// healthy.
    Report,
    /// Follow up to this many redirects and report the final answer.
    Follow(usize),
}

/// Configuration of an [`HttpHealthProbe`]: the service's base URL and how to ask it.
#[derive(Clone)]
pub struct HealthProbeConfig {
    base_url: Url,
    timeout: Duration,
    redirects: RedirectPolicy,
    method: Method,
    excerpt_bytes: usize,
    options: ClientOptions,
}

impl HealthProbeConfig {
    /// A builder for the service at `base_url` (`https://www.example.com`).
    pub fn builder(base_url: impl Into<String>) -> HealthProbeConfigBuilder {
        HealthProbeConfigBuilder {
            base_url: base_url.into(),
            timeout: Duration::from_secs(10),
            redirects: RedirectPolicy::Report,
            method: Method::GET,
            excerpt_bytes: 512,
            options: ClientOptions::default(),
        }
    }

    /// The base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The whole-check timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The transport settings the probe uses (clock, connect timeout, user agent).
    pub fn client_options(&self) -> &ClientOptions {
        &self.options
    }

    /// `base_url` joined with `path` (which may carry a query).
    ///
    /// # Errors
    /// `Config` when `path` is an absolute URL or the result is not a URL of the same origin.
    pub fn url_for(&self, path: &str) -> Result<Url> {
        let invalid = || {
            Error::config(format!(
                "`{path}` is not a path of {}",
                redact(self.base_url.as_str())
            ))
        };
        if path.contains("://") || path.starts_with("//") {
            return Err(invalid());
        }
        let joined = format!(
            "{}/{}",
            self.base_url.as_str().trim_end_matches('/'),
            path.trim_start_matches('/')
        );
        let url = Url::parse(&joined).map_err(|e| invalid().with_source(e))?;
        if url.origin() != self.base_url.origin() {
            return Err(invalid());
        }
        Ok(url)
    }
}

impl fmt::Debug for HealthProbeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut base = self.base_url.clone();
        let _ = base.set_password(None);
        f.debug_struct("HealthProbeConfig")
            .field("base_url", &base.as_str())
            .field("timeout", &self.timeout)
            .field("redirects", &self.redirects)
            .field("method", &self.method)
            .field("excerpt_bytes", &self.excerpt_bytes)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Builds a [`HealthProbeConfig`].
#[derive(Clone)]
pub struct HealthProbeConfigBuilder {
    base_url: String,
    timeout: Duration,
    redirects: RedirectPolicy,
    method: Method,
    excerpt_bytes: usize,
    options: ClientOptions,
}

impl fmt::Debug for HealthProbeConfigBuilder {
    /// The base URL without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthProbeConfigBuilder")
            .field("base_url", &redact(&self.base_url))
            .field("timeout", &self.timeout)
            .field("redirects", &self.redirects)
            .field("method", &self.method)
            .field("excerpt_bytes", &self.excerpt_bytes)
            .field("options", &self.options)
            .finish()
    }
}

impl HealthProbeConfigBuilder {
    /// The deadline for the whole check: connect, TLS, answer and excerpt (default 10 s),
    /// measured on the [`ClientOptions`]' clock. It takes the place of the options' attempt
    /// timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether to follow redirects (default [`RedirectPolicy::Report`]).
    pub fn with_redirects(mut self, redirects: RedirectPolicy) -> Self {
        self.redirects = redirects;
        self
    }

    /// `HEAD` (exactly `curl -I`, no body excerpt) or `GET` (the default, with an excerpt).
    pub fn with_method(mut self, method: Method) -> Self {
        self.method = method;
        self
    }

    /// How many bytes of the body to keep (default 512). The rest is not downloaded, and the
    /// excerpt, once decoded as UTF-8 (invalid bytes replaced), is at most this many bytes.
    pub fn with_excerpt_bytes(mut self, bytes: usize) -> Self {
        self.excerpt_bytes = bytes;
        self
    }

    /// The transport settings (default [`ClientOptions::default`]): the clock the timeout is
    /// measured on, the connect timeout and the user agent. A probe makes one attempt, so the
    /// options' retry policy is not used, and [`with_timeout`](Self::with_timeout) stands for
    /// their attempt timeout.
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `Config` for a base URL that is not `http`/`https`, has a query or fragment, a zero
    /// timeout, a method other than `GET`/`HEAD`, or invalid [`ClientOptions`].
    pub fn build(self) -> Result<HealthProbeConfig> {
        let shown = redact(&self.base_url);
        let base_url = Url::parse(&self.base_url).map_err(|e| {
            Error::config(format!("health base URL `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host().is_none() {
            return Err(Error::config(format!(
                "health base URL `{shown}` must be http(s)://host"
            )));
        }
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::config(format!(
                "health base URL `{shown}` must not have a query or fragment"
            )));
        }
        if self.timeout.is_zero() {
            return Err(Error::config(
                "the health check timeout must be longer than zero",
            ));
        }
        if !matches!(self.method, Method::GET | Method::HEAD) {
            return Err(Error::config(format!(
                "a health check is a GET or a HEAD, not a {}",
                self.method
            )));
        }
        let options = self.options.with_attempt_timeout(self.timeout);
        options.validate()?;
        Ok(HealthProbeConfig {
            base_url,
            timeout: self.timeout,
            redirects: self.redirects,
            method: self.method,
            excerpt_bytes: self.excerpt_bytes,
            options,
        })
    }
}

/// Checks a path of the service over HTTP: `curl -I https://www.example.com/health`.
///
/// ```no_run
/// use ir_core::ports::HealthProbe;
/// use ir_http::{HealthProbeConfig, HttpHealthProbe};
///
/// # async fn run() -> Result<(), ir_core::Error> {
/// let probe = HttpHealthProbe::new(HealthProbeConfig::builder("https://www.example.com").build()?)?;
/// let report = probe.check("/health").await?;
/// println!("{:?} {:?} in {:?}: {}", report.outcome, report.status, report.latency, report.body_excerpt);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpHealthProbe {
    client: HttpClient,
    config: HealthProbeConfig,
}

impl fmt::Debug for HttpHealthProbe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpHealthProbe")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HttpHealthProbe {
    /// A probe of the service `config` names.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: HealthProbeConfig) -> Result<Self> {
        let options = config
            .options
            .clone()
            .with_retry_policy(RetryPolicy::none());
        let mut builder = HttpClient::builder("http").with_client_options(options);
        // No credential travels with a probe, so following a redirect leaks nothing.
        if let RedirectPolicy::Follow(max) = config.redirects {
            builder = builder.follow_redirects(max);
        }
        Ok(Self {
            client: builder.build()?,
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HealthProbeConfig {
        &self.config
    }
}

#[async_trait]
impl HealthProbe for HttpHealthProbe {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        let url = self.config.url_for(path)?;
        // `HealthReport` masks the URL's password and token parameters itself.
        let shown = url.to_string();
        let span = tracing::info_span!(
            "health_check",
            provider = "http",
            operation = "health_check",
            path = %url.path(),
            status = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        async {
            let request =
                Request::new(self.config.method.clone(), url).with_operation("health_check");
            // Latency is a measurement of real I/O, not a timer: it reads the wall clock.
            let started = Instant::now();
            let attempt = self
                .client
                .attempt_within(
                    &request,
                    self.config.timeout,
                    Body::Excerpt(self.config.excerpt_bytes),
                )
                .await;
            let latency = started.elapsed();
            let report = match attempt {
                Attempt::Answered(response) => HealthReport::answered(
                    shown.as_str(),
                    response.status().as_u16(),
                    latency,
                    utf8_excerpt(response.body().to_vec(), self.config.excerpt_bytes),
                ),
                Attempt::TimedOut => {
                    HealthReport::failed(shown.as_str(), latency, HealthOutcome::Timeout)
                }
                Attempt::Transport(e) => {
                    HealthReport::failed(shown.as_str(), latency, failure_outcome(&e, &self.config))
                }
                // An excerpt is cut, never refused; kept for completeness.
                Attempt::TooLarge => HealthReport::failed(
                    shown.as_str(),
                    latency,
                    HealthOutcome::Unreachable("the answer was too large".into()),
                ),
            };
            let span = tracing::Span::current();
            if let Some(status) = report.status {
                span.record("status", status);
            }
            span.record("outcome", tracing::field::debug(&report.outcome));
            Ok(report)
        }
        .instrument(span)
        .await
    }
}

fn failure_outcome(e: &reqwest::Error, config: &HealthProbeConfig) -> HealthOutcome {
    if let Some(tls) = tls_error_text(e) {
        return HealthOutcome::TlsError(tls);
    }
    if e.is_timeout() {
        return HealthOutcome::Timeout;
    }
    if e.is_redirect() {
        let max = match config.redirects {
            RedirectPolicy::Follow(max) => max,
            RedirectPolicy::Report => 0,
        };
        return HealthOutcome::Unreachable(format!("stopped after {max} redirects"));
    }
    HealthOutcome::Unreachable(root_cause(e, config.timeout))
}

/// The innermost error's text ("Connection refused (os error 111)", "dns error: ..."), which
/// is what a person wants to read in a report.
fn root_cause(e: &(dyn std::error::Error + 'static), timeout: Duration) -> String {
    let mut last: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = last.to_string();
    if text.is_empty() {
        format!("no connection within {}", human(timeout))
    } else {
        text
    }
}

/// The bytes as UTF-8, a multi-byte character cut at the end dropped, other invalid bytes
/// replaced, and the text cut to at most `cap` bytes on a character boundary: each invalid
/// byte becomes a three-byte U+FFFD, so the decoded text can be longer than the bytes read.
fn utf8_excerpt(mut bytes: Vec<u8>, cap: usize) -> String {
    if let Err(e) = std::str::from_utf8(&bytes) {
        if e.error_len().is_none() {
            bytes.truncate(e.valid_up_to());
        }
    }
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if text.len() > cap {
        let mut end = cap;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str) -> HealthProbeConfig {
        HealthProbeConfig::builder(base)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn joins_paths_onto_the_base() {
        let c = config("https://www.example.com");
        assert_eq!(
            c.url_for("/health").ok().map(String::from),
            Some("https://www.example.com/health".into())
        );
        assert_eq!(
            c.url_for("health").ok().map(String::from),
            Some("https://www.example.com/health".into())
        );
        let nested = config("https://example.com/app/");
        assert_eq!(
            nested
                .url_for("/api/auth/session?x=1")
                .ok()
                .map(String::from),
            Some("https://example.com/app/api/auth/session?x=1".into())
        );
    }

    #[test]
    fn refuses_paths_that_leave_the_base() {
        let c = config("https://www.example.com");
        for path in ["https://evil.example/health", "//evil.example/health"] {
            let err = c
                .url_for(path)
                .err()
                .unwrap_or_else(|| panic!("{path} accepted"));
            assert_eq!(err.kind(), ir_core::ErrorKind::Config);
        }
    }

    #[test]
    fn rejects_bad_base_urls() {
        for base in ["ftp://example.com", "not a url", "https://example.com/?q=1"] {
            let result = HealthProbeConfig::builder(base).build();
            assert!(result.is_err(), "{base} accepted");
        }
        let zero = HealthProbeConfig::builder("https://example.com")
            .with_timeout(Duration::ZERO)
            .build();
        assert!(zero.is_err());
        let post = HealthProbeConfig::builder("https://example.com")
            .with_method(Method::POST)
            .build();
        assert!(post.is_err());
    }

    #[test]
    fn excerpt_drops_a_cut_character() {
        let mut bytes = "ok é".as_bytes().to_vec();
        bytes.pop(); // cut the two-byte é in half
        assert_eq!(utf8_excerpt(bytes, 512), "ok ");
        assert_eq!(utf8_excerpt(vec![b'a', 0xff, b'b'], 512), "a\u{fffd}b");
    }

    #[test]
    fn excerpt_of_invalid_bytes_stays_within_its_cap() {
        // 64 invalid bytes decode to 64 three-byte U+FFFD: 192 bytes before the cap.
        let excerpt = utf8_excerpt(vec![0xff; 64], 64);
        assert!(excerpt.len() <= 64, "{} bytes", excerpt.len());
        assert_eq!(excerpt, "\u{fffd}".repeat(21));
        // The cut falls on a character boundary, never inside a U+FFFD.
        assert_eq!(utf8_excerpt(vec![b'a', 0xff, 0xff], 5), "a\u{fffd}");
    }

    #[test]
    fn config_errors_and_builders_hide_the_url_password() {
        for base in [
            "https://admin:s3cret@example.com/?x=1",
            "ftp://admin:s3cret@example.com",
            "https://admin:s3cret@exa mple.com",
            "https://admin:s3cret@example.com#frag",
        ] {
            let builder = HealthProbeConfig::builder(base);
            assert!(!format!("{builder:?}").contains("s3cret"), "{builder:?}");
            let err = builder
                .build()
                .err()
                .unwrap_or_else(|| panic!("{base} accepted"));
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("s3cret"), "{shown}");
            assert!(
                shown.contains("admin:<redacted>@"),
                "the URL is still named: {shown}"
            );
        }
        let c = config("https://admin:s3cret@example.com");
        let err = c
            .url_for("//elsewhere.example/")
            .err()
            .unwrap_or_else(|| panic!("another host accepted"));
        assert!(!format!("{err} {err:?}").contains("s3cret"), "{err}");
    }

    #[test]
    fn debug_hides_url_password() {
        let c = config("https://user:hunter2@example.com");
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
