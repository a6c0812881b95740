#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - Issues come from the organization issues endpoint,
//!   `GET /api/0/organizations/{org}/issues/`, with `start`/`end` set to the window and
//!   `project` (`-1`, all, unless projects are configured) and `environment` filters:
//!   - new issues: `sort=new`, `query=firstSeen:>=<start> firstSeen:<<end>`, every status;
//!   - top issues: `sort=freq`, `query=` (every status, not Sentry's default
//!     `is:unresolved`). Under `start`/`end` Sentry's `count` and `userCount` are the
//!     window's, so a top issue's `count` is its events in the window.
//! - Error counts come from `GET /api/0/organizations/{org}/events-stats/` with
//!   `yAxis=count()`, `query=event.type:error`, `interval` (`30s`, `5m`, `1h`, `1d`) and
//!   `start`/`end`; buckets overlapping the window are kept. The endpoint is not in Sentry's
//!   public OpenAPI document; where it is missing (a 404), the answer is `Unsupported`.
//! - Field quirks: `count` arrives as a string and `userCount` as a number (either form is
//!   read); `level`, `status` and `substatus` values this crate does not know are kept as they
//!   are, never a parse failure.
//! - Pagination follows the `Link` header's `rel="next"` cursor while it says
//!   `results="true"`, at most [`SentryConfig::max_pages`] pages (default 10). Only the cursor
//!   is taken from the link; requests always go to the configured host.
//! - Retries, timeouts and rate limits are [`ir_http`]'s, set through
//!   [`ir_http::ClientOptions`]: every request is a GET and is retried after a timeout or a
//!   502/503/504; a 429 waits for `Retry-After`, else for `X-Sentry-Rate-Limit-Reset`.
//! - The token travels as `Authorization: Bearer`, marked sensitive; it is in no `Debug`
//!   output, error or span.
//!
//! ## Configuration
//! [`SentryConfig::builder`] takes what is required (token, organization); `with_*` setters
//! change the rest (`with_project`, `with_projects`, `with_environment`, `with_base_url` for
//! self-hosted Sentry or a region, `with_page_size`, `with_max_pages`, and
//! `with_client_options` for timeouts, retries, clock and user agent, an
//! [`ir_http::ClientOptions`]); [`SentryConfig::from_env`] reads the variables it documents.
//!
//! ## From answer to error
//!
//! | Sentry answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | a non-2xx status | the shared table, [`ir_http::error_kind`]: 400 invalid input, 401 unauthenticated, 403 permission denied, 404 not found, 429 rate limited with the wait `Retry-After` or `X-Sentry-Rate-Limit-Reset` asks for, 5xx unavailable; the message is Sentry's `detail`, else a description of the body |
//! | 404 from events-stats | `Unsupported`: this Sentry has no events-stats endpoint (or the organization does not exist) |
//! | 2xx whose body is not JSON or not of the documented shape, an issue without `firstSeen`, a `count` that is not a number | `Protocol`, the body described, never quoted whole |
//! | a zero or fractional-second interval, a window ending before it starts | `InvalidInput`, before any request |

mod client;
mod config;
mod issues;
mod stats;
mod tracker;
mod wire;

pub use client::SentryClient;
pub use config::{DEFAULT_BASE_URL, SentryConfig, SentryConfigBuilder};
