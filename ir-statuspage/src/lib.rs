#![doc = include_str!("../README.md")]
//!
//! ## Behaviour
//! - Every request carries `Authorization: OAuth <key>`.
//! - The first update of an `incident_key` is `POST /v1/pages/{page_id}/incidents` with
//!   `{"incident": {"name", "status", "body", "component_ids", "components",
//!   "deliver_notifications", "metadata": {"ir": {"incident_key": …}}}}`; later updates are
//!   `PATCH /v1/pages/{page_id}/incidents/{id}` with the same wrapper (without `name` and
//!   `metadata`), each appending to Statuspage's `incident_updates`.
//! - Which incident: the id passed to
//!   [`publish_to`](ir_core::ports::StatusPage::publish_to) (the one the runner recorded),
//!   else the id this client (or a clone) created or found, else the unresolved incident
//!   (`GET /v1/pages/{page_id}/incidents/unresolved`) whose `metadata.ir.incident_key` is
//!   the key, else a new one. `publish_to` returns the id. Whether Statuspage returns
//!   `metadata` in that list is not confirmed against a primary source; the recorded id does
//!   not depend on it.
//! - Components: the configured ones
//!   ([`with_component`](StatuspageConfigBuilder::with_component)) show the outage status
//!   ([`with_outage_status`](StatuspageConfigBuilder::with_outage_status), default
//!   `partial_outage`) until the incident is resolved, then `operational`.
//! - Pacing: one request per second (Statuspage allows about 60 a minute per key),
//!   waits on the configured clock. Retries and timeouts are [`ir_http`]'s: a 429 is retried
//!   after its `Retry-After`; creating and updating are not idempotent (an update repeated
//!   is a second entry on the public page) and are not retried after a timeout or a 5xx;
//!   the unresolved list is.
//!
//! ## Configuration
//! [`StatuspageConfig::builder`] takes the API key and the page id; `with_*` setters change
//! the rest (`with_component`, `with_outage_status`, `with_deliver_notifications`,
//! `with_min_interval`, `with_base_url`, `with_client_options`);
//! [`StatuspageConfig::from_env`] reads the variables it documents.
//!
//! ## From answer to error
//!
//! | Statuspage answered | [`ErrorKind`](ir_core::ErrorKind) |
//! |---|---|
//! | 200/201 with the incident (or the list) | none |
//! | 401 | `Unauthenticated` |
//! | 403 | `PermissionDenied` (the key's user lacks the role) |
//! | 404 | `NotFound` (unknown page or incident) |
//! | 420 | `RateLimited`, with `Retry-After` when sent (Statuspage's older throttling status; not retried: `ir-http` retries only 429) |
//! | 429 | `RateLimited`, retried first after `Retry-After` |
//! | 400, 422 and other 4xx | `InvalidInput` |
//! | 5xx | `Unavailable` |
//! | a 2xx whose body is not the expected JSON | `Protocol` |
//!
//! The message is Statuspage's `error` (a string or a list) when the body has one, else a
//! description of the body. A blank `incident_key` or title, or a recorded id that is not a
//! plain id, is `InvalidInput` without a request.

mod client;
mod config;
mod incidents;

pub use client::StatuspageClient;
pub use config::{
    DEFAULT_BASE_URL, StatuspageComponentStatus, StatuspageConfig, StatuspageConfigBuilder,
};
pub use incidents::{METADATA_KEY, statuspage_status};
