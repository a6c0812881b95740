#![doc = include_str!("../README.md")]
//!
//! ## Transport settings
//! [`ClientOptions`] holds what every HTTP adapter shares: the two timeouts, the retry policy,
//! the clock and the user agent. An adapter's config builder takes one
//! (`with_client_options`) and hands it to [`HttpClientBuilder::with_client_options`].
//!
//! ## Timeouts
//! - **Per attempt** ([`ClientOptions::with_attempt_timeout`], default 30 s): one request,
//!   its answer and its whole body.
//! - **Overall** ([`RetryPolicy::with_total_timeout`], default 60 s): every attempt and every
//!   wait between them. A wait that would end past it is not started.
//!
//! Both are measured on the options' [`Clock`](ir_core::clock::Clock), as are the waits
//! between attempts: on a [`ManualClock`](ir_core::clock::ManualClock) waits are instant and
//! a deadline fires when the test moves time past it.
//!
//! ## What is retried
//!
//! | outcome | retried when |
//! |---|---|
//! | could not connect (refused, DNS, connect timeout) | always: the request never left |
//! | `429`, or `403` with `x-ratelimit-remaining: 0` or a `Retry-After` | always: the server refused it unprocessed (waiting what the server asked, else the [throttle floor](HttpClientBuilder::with_throttle_floor) when set) |
//! | `502`, `503`, `504`, or a 2xx the adapter [reads as an outage](HttpClient::send_and_read) | only when the request is idempotent ([`Request::with_idempotent`]) |
//! | attempt timed out, connection lost mid-request | only when the request is idempotent |
//! | anything else | never |
//!
//! A request that is not idempotent and failed after it may have reached the server (its
//! attempt or the overall deadline ran out after sending, the connection was lost before the
//! whole answer arrived) returns an error whose
//! [`may_have_taken_effect`](ir_core::Error::may_have_taken_effect) is `true`: read the
//! state back before recording a failure or repeating it. A refused connection or a failed
//! TLS handshake never is (the request never left).
//!
//! ## Types
//! Signatures use the [`http`] crate's `Method`, `StatusCode` and `HeaderMap`/`HeaderName`/
//! `HeaderValue` and [`url::Url`], never `reqwest`'s, so the transport can change without
//! changing this API.
//!
//! ## What is never recorded
//! Spans carry provider, operation, method, status and attempt count. Headers, bodies and
//! query strings are never recorded, and `Debug` of clients, requests, responses and
//! credentials leaves tokens out.

mod client;
mod health;
mod link;
mod options;
mod pacer;
mod retry;
mod status;

pub use client::{Auth, HttpClient, HttpClientBuilder, Request, Response};
pub use health::{HealthProbeConfig, HealthProbeConfigBuilder, HttpHealthProbe, RedirectPolicy};
pub use link::{Link, links, parse_links};
pub use options::{ClientOptions, DEFAULT_USER_AGENT};
pub use pacer::Pacer;
pub use retry::{RetryPolicy, rate_limit_reset, retry_after};
pub use status::error_kind;
