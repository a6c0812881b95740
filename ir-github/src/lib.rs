#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - Every request carries `Accept: application/vnd.github+json`,
//!   `X-GitHub-Api-Version: 2022-11-28`, the [`ir_http::ClientOptions`] user agent (GitHub
//!   refuses requests without one) and `Authorization: Bearer <token>`.
//! - Listings follow the `Link` header's `rel="next"` until enough items are read, up to
//!   [`GithubConfigBuilder::with_max_pages`] pages; a next page on another origin is refused,
//!   so the token never travels elsewhere.
//! - Job logs arrive as a `302` to a short-lived URL on another host: the client fetches it
//!   with a second HTTP client that sends no credential.
//! - A revert is GraphQL's `revertPullRequest` on the pull request merged into the base branch
//!   that brought the commit (found with `GET /repos/{o}/{r}/commits/{sha}/pulls`); a commit
//!   pushed directly is `Unsupported`, with what to do instead. The one GraphQL document is in
//!   `src/gql/`, checked against GitHub's public schema by `tests/schema.rs`.
//! - What `ir` files can carry the action's idempotency key in a hidden marker
//!   ([`filed_marker`](ir_core::ports::filed_marker)); [`GithubClient::find_filed`] finds it
//!   again, and [`GithubClient::create_issue_once`] / [`GithubClient::open_revert_pr_once`]
//!   mark what they file and return what was filed before instead of filing twice.
//! - Retries, timeouts and rate limits are [`ir_http`]'s: reads are retried after a timeout
//!   or a 502/503/504; creating an issue and reverting are not. A rate limit waits what GitHub
//!   asks (`retry-after`, else `x-ratelimit-reset` when `x-ratelimit-remaining` is 0, else
//!   at least a minute) when the wait fits in the overall deadline, and is otherwise returned
//!   as `RateLimited` with that wait in [`retry_after`](ir_core::Error::retry_after).
//! - A `status` or `conclusion` GitHub adds later arrives as `Unknown(..)`, not as an error.
//!
//! ## Configuration
//! [`GithubConfig::builder`] takes what is required (token, owner, repository); `with_*`
//! setters change the rest (`with_base_url` for GitHub Enterprise Server's
//! `https://<host>/api/v3`, `with_graphql_url`, `with_page_size`, `with_max_pages`,
//! `with_log_excerpt_lines`, and `with_client_options` for timeouts, retries, clock and user
//! agent); [`GithubConfig::from_env`] reads the variables it documents.
//!
//! ## From answer to error
//!
//! | GitHub answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | 401 ("Bad credentials") | `Unauthenticated` |
//! | 403 with `x-ratelimit-remaining: 0` or `retry-after`, or whose message speaks of a (secondary) rate limit | `RateLimited`, with the wait GitHub asks or at least 60 s |
//! | other 403 ("Resource not accessible by integration") | `PermissionDenied` |
//! | 404 (also a private repository the token cannot see), 410 | `NotFound`; `Unsupported` for a 410 on creating an issue (issues disabled) |
//! | 409, 412 | `Conflict` |
//! | 429 | `RateLimited`, with the wait GitHub asks or at least 60 s |
//! | 400, 422 and other 4xx | `InvalidInput` |
//! | 5xx | `Unavailable` |
//! | a 3xx other than a job log's redirect | `Protocol` |
//! | GraphQL `errors` under 200: `NOT_FOUND`, `FORBIDDEN`, `RATE_LIMITED`; a message about a conflict; anything else | `NotFound`, `PermissionDenied`, `RateLimited`, `Conflict`, `InvalidInput` |
//! | a body that is not the JSON expected (an HTML page, a wrong shape) | `Protocol`, describing the body, never quoting it |
//!
//! The message is GitHub's `message`, then up to three entries of a 422's `errors[]`
//! (`resource.field: code`), then `(see <documentation_url>)`.

mod actions;
mod client;
mod code;
mod compare;
mod config;
mod deployments;
mod gql;
mod issues;
mod revert;

pub use client::GithubClient;
pub use config::{DEFAULT_BASE_URL, GithubConfig, GithubConfigBuilder};
