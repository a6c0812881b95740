//! The HTTP [`HealthProbe`]: the runbook's `curl -I https://.../health`, as a report.
//!
//! A probe never retries: it reports what one request saw (status, latency, the first bytes of
//! the body), and a refused connection, a TLS failure or a timeout is a report too, not an
//! error.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use ir_core::model::{HealthOutcome, HealthReport};
use ir_core::ports::HealthProbe;
use ir_core::{Error, Result};
use reqwest::{Method, Url};
use tracing::Instrument;

use crate::client::{DEFAULT_USER_AGENT, human, tls_error_text};
use ir_core::redact::redact;

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
    user_agent: String,
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
            user_agent: DEFAULT_USER_AGENT.to_owned(),
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
    user_agent: String,
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
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

impl HealthProbeConfigBuilder {
    /// The deadline for the whole check: connect, TLS, answer and excerpt (default 10 s).
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

    /// How many bytes of the body to keep (default 512). The rest is not downloaded.
    pub fn with_excerpt_bytes(mut self, bytes: usize) -> Self {
        self.excerpt_bytes = bytes;
        self
    }

    /// The `User-Agent` (default `ir/<version>`).
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `Config` for a base URL that is not `http`/`https`, has a query or fragment, or a zero
    /// timeout.
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
        Ok(HealthProbeConfig {
            base_url,
            timeout: self.timeout,
            redirects: self.redirects,
            method: self.method,
            excerpt_bytes: self.excerpt_bytes,
            user_agent: self.user_agent,
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
    http: reqwest::Client,
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
        let redirect = match config.redirects {
            RedirectPolicy::Report => reqwest::redirect::Policy::none(),
            RedirectPolicy::Follow(max) => reqwest::redirect::Policy::limited(max),
        };
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .redirect(redirect)
            .build()
            .map_err(|e| {
                Error::config("the health probe's HTTP client could not be built").with_source(e)
            })?;
        Ok(Self { http, config })
    }

    /// The configuration.
    pub fn config(&self) -> &HealthProbeConfig {
        &self.config
    }

    async fn answer(&self, url: &Url) -> std::result::Result<(u16, Vec<u8>), reqwest::Error> {
        let mut response = self
            .http
            .request(self.config.method.clone(), url.clone())
            .send()
            .await?;
        let status = response.status().as_u16();
        let mut excerpt = Vec::new();
        while excerpt.len() < self.config.excerpt_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => excerpt.extend_from_slice(&chunk),
                // The status arrived; a body cut short still makes a report.
                Ok(None) | Err(_) => break,
            }
        }
        excerpt.truncate(self.config.excerpt_bytes);
        Ok((status, excerpt))
    }
}

#[async_trait]
impl HealthProbe for HttpHealthProbe {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        let url = self.config.url_for(path)?;
        // The report names the URL without any password it carried.
        let mut shown = url.clone();
        let _ = shown.set_password(None);
        let span = tracing::info_span!(
            "health_check",
            provider = "http",
            operation = "health_check",
            path = %url.path(),
            status = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        async {
            let started = Instant::now();
            let answer = tokio::time::timeout(self.config.timeout, self.answer(&url)).await;
            let latency = started.elapsed();
            let report = match answer {
                Ok(Ok((status, excerpt))) => {
                    HealthReport::answered(shown.as_str(), status, latency, utf8_excerpt(excerpt))
                }
                Err(_) => HealthReport::failed(shown.as_str(), latency, HealthOutcome::Timeout),
                Ok(Err(e)) => {
                    HealthReport::failed(shown.as_str(), latency, failure_outcome(&e, &self.config))
                }
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
/// replaced.
fn utf8_excerpt(mut bytes: Vec<u8>) -> String {
    if let Err(e) = std::str::from_utf8(&bytes) {
        if e.error_len().is_none() {
            bytes.truncate(e.valid_up_to());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
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
        assert_eq!(utf8_excerpt(bytes), "ok ");
        assert_eq!(utf8_excerpt(vec![b'a', 0xff, b'b']), "a\u{fffd}b");
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
