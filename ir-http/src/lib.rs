//! # ir-http
//!
//! What every HTTP adapter of `ir` shares: one [`HttpClient`] with a per-attempt timeout, an
//! overall deadline, retries with exponential backoff and jitter that honour `Retry-After` and
//! rate-limit reset headers, credentials marked sensitive, one `tracing` span per call, and the
//! status-to-error table ([`error_kind`]). Also the HTTP [`HealthProbe`](ir_core::ports::HealthProbe),
//! [`HttpHealthProbe`]: the runbook's `curl -I https://.../health`.
//!
//! ```no_run
//! use std::time::Duration;
//! use ir_core::ports::HealthProbe;
//! use ir_http::{Auth, HealthProbeConfig, HttpClient, HttpHealthProbe, Request, RetryPolicy};
//! use secrecy::SecretString;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! // Is the site up? A refused connection or a bad certificate is a report, not an error.
//! let probe = HttpHealthProbe::new(
//!     HealthProbeConfig::builder("https://www.example.com")
//!         .with_timeout(Duration::from_secs(5))
//!         .build()?,
//! )?;
//! let report = probe.check("/health").await?;
//! println!("{:?} (HTTP {:?}) in {:?}", report.outcome, report.status, report.latency);
//!
//! // Call a provider: retried on 429/502/503/504 and connect errors, within 20 s overall.
//! let client = HttpClient::builder("github")
//!     .with_auth(Auth::bearer(SecretString::from("ghp_example")))
//!     .with_attempt_timeout(Duration::from_secs(5))
//!     .with_retry_policy(RetryPolicy::default().with_total_timeout(Duration::from_secs(20)))
//!     .build()?;
//! let response = client
//!     .send(Request::get("https://api.github.com/rate_limit".parse()?).with_operation("rate_limit"))
//!     .await?;
//! if let Some(error) = response.status_error(response.describe_body()) {
//!     return Err(error.into());
//! }
//! # Ok(()) }
//! ```
//!
//! ## Timeouts
//! - **Per attempt** ([`HttpClientBuilder::with_attempt_timeout`], default 30 s): one request,
//!   its answer and its whole body.
//! - **Overall** ([`RetryPolicy::with_total_timeout`], default 60 s): every attempt and every
//!   wait between them. A wait that would end past it is not started.
//!
//! ## What is retried
//! See [`retry`]: connect failures and throttling always; timeouts, lost connections and
//! 502/503/504 only for requests marked idempotent ([`Request::with_idempotent`]).
//!
//! ## What is never recorded
//! Spans carry provider, operation, method, status and attempt count. Headers, bodies and
//! query strings are never recorded, and `Debug` of clients, requests, responses and
//! credentials leaves tokens out.

pub mod client;
pub mod health;
pub mod retry;
pub mod status;

pub use client::{Auth, DEFAULT_USER_AGENT, HttpClient, HttpClientBuilder, Request, Response};
pub use health::{HealthProbeConfig, HealthProbeConfigBuilder, HttpHealthProbe, RedirectPolicy};
pub use retry::{RetryPolicy, rate_limit_reset, retry_after};
pub use status::error_kind;

/// The HTTP types adapters need, so they do not depend on `reqwest` themselves.
pub use reqwest::{Method, StatusCode, Url, header};
