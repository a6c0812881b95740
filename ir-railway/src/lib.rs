#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - Every request is one operation from `src/gql/*.graphql`, each checked against Railway's
//!   published schema by `tests/schema.rs`.
//! - Project tokens travel as `Project-Access-Token`, account and workspace tokens as
//!   `Authorization: Bearer` ([`RailwayToken`]).
//! - Retries, timeouts and rate limits are [`ir_http`]'s, set through
//!   [`ir_http::ClientOptions`]: queries are retried after a timeout, a 502/503/504 or a GraphQL `INTERNAL_SERVER_ERROR` under 200;
//!   rollback, redeploy, restart and variable changes are not (an upsert with `skip_deploys`
//!   is, since repeating it changes nothing). When such a change's answer is lost or cut off,
//!   cannot be read, or reports that Railway failed on its side (a server-side GraphQL code,
//!   HTTP 500/502/504), the error
//!   [may have taken effect](ir_core::Error::may_have_taken_effect) (and says so): re-read the
//!   state before recording a failure or repeating it.
//! - Each answer is parsed once ([`ir_http::HttpClient::send_and_read`]): the same reading
//!   gives the value or the error, and tells `ir_http` whether the answer is an outage.
//! - Errors: see "From answer to error" below for how Railway's answers (GraphQL `errors`
//!   under HTTP 200, "Not Authorized", an HTML page) become [`ir_core::Error`] kinds. A
//!   deployment status this crate does not know arrives as `DeploymentStatus::Unknown(..)`,
//!   not as an error.
//!
//! ## Configuration
//! [`RailwayConfig::builder`] takes what is required (token, project, environment, service);
//! `with_*` setters change the rest (`with_base_url`, `with_page_size`, and
//! `with_client_options` for timeouts, retries, clock and user agent, an
//! [`ir_http::ClientOptions`]); [`RailwayConfig::from_env`] reads the variables it documents.
//!
//! ## From answer to error
//!
//! | Railway answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | a non-2xx status | the shared table, [`ir_http::error_kind`] (401 unauthenticated, 403 permission denied, 404 not found, 409 conflict, 429 rate limited with `Retry-After`, 5xx unavailable); the message is the GraphQL `errors` text when the body has one, else a description of the body (an HTML page's title) |
//! | 200 with `errors` mentioning "Not Authorized" or "project token not found" | `Unauthenticated`: Railway does not say whether the token is invalid or lacks access, and its CLI asks to log in again |
//! | 200 with "Two Factor Authentication Required" | `PermissionDenied` (the workspace demands 2FA of the token's user) |
//! | 200 with an error whose text says "not found" | `NotFound` |
//! | 200 with an error about rate limits | `RateLimited` |
//! | 200 whose first error has an `extensions.code` of `UNAUTHENTICATED`, `FORBIDDEN`, `NOT_FOUND`, `BAD_USER_INPUT` | the matching kind |
//! | 200 with a server-side `extensions.code` on any error (`INTERNAL_SERVER_ERROR`, `INTERNAL_ERROR`, `SERVICE_UNAVAILABLE`, `UNAVAILABLE`, `BAD_GATEWAY`, `GATEWAY_TIMEOUT`, `TIMEOUT`, `DEADLINE_EXCEEDED`, `DOWNSTREAM_SERVICE_ERROR`, any case), and none of the rows above | `Unavailable`: Railway's own server failed; retried like a 503 (queries and `skip_deploys` upserts only) |
//! | 200 with any other `errors` | `InvalidInput` (Railway's generic "Problem processing request" arrives for bad arguments) |
//! | 200 whose body is not JSON, or has neither `data` nor `errors`, or `data` of the wrong shape | `Protocol` |
//!
//! `variables` and `variableUpsert` carry secret values: their errors never quote the body
//! (only its length), and a `variableUpsert` error has the value replaced by `<redacted>`
//! wherever Railway's message echoes it (GraphQL validation errors repeat the variables sent).

mod client;
mod config;
mod deploy;
mod gql;
mod logs;
mod variables;
mod wire;

// The fuzz targets' entry points (the repository's `fuzz/` crate); not part of the API.
#[doc(hidden)]
pub mod fuzzing;

pub use client::RailwayClient;
pub use config::{DEFAULT_BASE_URL, RailwayConfig, RailwayConfigBuilder, RailwayToken};
