#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - Every event is `POST <base>/v2/enqueue` with JSON; there is no auth header, the routing
//!   key travels in the body (and is never logged: `ir-http` records no bodies).
//! - A trigger goes to the routing key of the page's role, or the default key. PagerDuty
//!   matches an acknowledge or resolve to an incident only through the key that triggered
//!   it, and the port's `acknowledge`/`resolve` name no role, so they are sent to every
//!   configured key (one request when only the default is set). An event for a key with no
//!   open incident of that `dedup_key` changes nothing.
//! - The trigger's payload: `summary` (the page's, at most 1024 characters: a longer one is
//!   refused as `InvalidInput` before anything is sent, as the `Pager` contract says),
//!   `source` (configured, default `ir`), `severity` (see below), `timestamp` (the
//!   configured clock), `component` and `group` (configured), and `custom_details` with the
//!   `ir` severity, its title, the role paged and the incident key. With
//!   [`with_incident_url`](PagerDutyConfigBuilder::with_incident_url) the trigger also
//!   carries `client_url` and `links[]` pointing at the incident.
//! - Every event carries a `dedup_key`, so repeating one is harmless: events are sent as
//!   idempotent, and [`ir_http`] retries them after a timeout, a 429 (honouring
//!   `Retry-After`) or a 502/503/504, as set through [`ir_http::ClientOptions`].
//!
//! ## Severity
//!
//! | `ir` | PagerDuty `payload.severity` |
//! |---|---|
//! | P0 (total outage) | `critical` |
//! | P1 (critical feature down) | `error` |
//! | P2 (degraded performance) | `warning` |
//! | P3 (minor issue) | `info` |
//!
//! ([`pagerduty_severity`]). The runner pages only for P0 and P1 (the runbook's "Page
//! Immediately"); P2 and P3 are mapped for callers who page anyway.
//!
//! ## Configuration
//! [`PagerDutyConfig::builder`] takes the default routing key; `with_*` setters change the
//! rest (`with_routing_key(Role, key)`, `with_source`, `with_component`, `with_group`,
//! `with_incident_url`, `with_base_url`, and `with_client_options` for timeouts, retries,
//! clock and user agent); [`PagerDutyConfig::from_env`] reads the variables it documents.
//! Routing keys are [`SecretString`](secrecy::SecretString)s and `Debug` shows them as
//! `<redacted>`.
//!
//! ## From answer to error
//!
//! | PagerDuty answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | 202 with `{"status":"success",...}` | none: the event was accepted |
//! | 400 `{"status":"invalid event","message":...,"errors":[...]}` | `InvalidInput`, the message PagerDuty's `message` and `errors[]` |
//! | 429 | `RateLimited` with `Retry-After` when sent (retried first) |
//! | any other non-2xx | the shared table, [`ir_http::error_kind`] (5xx `Unavailable`, retried first) |
//! | a 2xx whose body is not JSON or has another `status` | `Protocol` |
//! | no answer | `Timeout` / `Unavailable`, from [`ir_http`] |
//!
//! A summary over 1024 characters, a blank summary, or a blank or over-255-character
//! `dedup_key` is `InvalidInput` without a request. Error messages never hold a routing key.

mod client;
mod config;
mod events;

pub use client::PagerDutyClient;
pub use config::{DEFAULT_BASE_URL, PagerDutyConfig, PagerDutyConfigBuilder};
pub use events::{MAX_DEDUP_KEY_CHARS, MAX_SUMMARY_CHARS, pagerduty_severity};
