//! # ir-sim
//!
//! A simulated production served over real HTTP on loopback: the site (a Next.js service on
//! Railway) and stateful fakes of Railway, GitHub, Sentry, Slack, PagerDuty and Statuspage
//! whose state reacts to what a client does: a rollback really makes `/health` green again,
//! setting `NEXTAUTH_SECRET` really redeploys the service and fixes sign-in. The real `ir`
//! adapters talk to it unchanged except for their `base_url`.
//!
//! ```
//! use ir_sim::{Scenario, Sim, SimConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sim = Sim::start(SimConfig::scenario(Scenario::SiteDown)).await?;
//! let health = format!("{}/health", sim.urls().site);
//! // The deployment of ten minutes ago crash-loops: Railway's edge answers 502.
//! assert_eq!(reqwest::get(&health).await?.status(), 502);
//! // Roll back to the deployment before it, as Railway does: a new deployment of that build.
//! let previous = sim.railway().deployments()[1].deployment.id.clone();
//! sim.with_railway(|railway, now| railway.rollback(&previous, now))?;
//! assert_eq!(reqwest::get(&health).await?.status(), 200);
//! sim.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## What it serves
//!
//! Each vendor listens on its own `127.0.0.1` port ([`Sim::urls`]):
//!
//! | vendor | base URL for the adapter | serves |
//! |---|---|---|
//! | site | `urls.site` | `/health`, `/api/auth/session`, `/api/auth/signin`, `/api/checkout`, `/`, `/dashboard`, `/pricing` |
//! | Railway | `urls.railway` (`…/graphql/v2`) | the GraphQL operations `ir-railway` sends, in the schema's shapes |
//! | GitHub | `urls.github`, `urls.github_graphql` | deployments, workflow runs, jobs, job logs (302 to `urls.github_logs`), issues, search, pulls of a commit, compare, `revertPullRequest` |
//! | Sentry | `urls.sentry` | organization issues and `events-stats` |
//! | Slack | `urls.slack` (`…/api`) | `chat.postMessage` (threads), `chat.update`, webhooks |
//! | PagerDuty | `urls.pagerduty` | Events API v2 `/v2/enqueue` |
//! | Statuspage | `urls.statuspage` (`…/v1`) | incidents of [`SimIds::statuspage_page`] |
//!
//! Any token is accepted; a request without one gets the vendor's own answer (Railway's
//! `Not Authorized` under 200, GitHub's and Sentry's 401, Slack's `not_authed`, ...). A
//! malformed request gets the vendor's error shape, never a panic.
//!
//! ## Scenarios and faults
//!
//! [`Scenario`] picks the incident; its variant docs say what breaks and what fixes it.
//! Provider faults ([`Fault`]) and latencies are set at runtime per vendor or per endpoint
//! ([`Target`]): [`Sim::set_fault`], [`Sim::set_latency`], and [`Sim::set_fault_for`] for a
//! fault that lifts on its own after a number of requests (a rate limit, a blip). Every
//! request lands in [`Sim::requests`], with its query, its body and the real instant it
//! arrived.
//!
//! ## Time
//!
//! The services read the [`SimConfig::with_clock`] clock (share a `ManualClock` with the code
//! under test); injected latency is real time, because clients measure answers with the wall
//! clock. Between requests the site's traffic is made up minute by minute from the state: the
//! errors Sentry counts and the lines the logs show.
//!
//! ## Without a server
//!
//! With `default-features = false` the crate is the pure Railway model,
//! [`railway::Platform`], which `ir_testkit::InMemoryPlatform` wraps.

pub mod railway;

#[cfg(feature = "server")]
mod config;
#[cfg(feature = "server")]
mod database;
#[cfg(feature = "server")]
mod fault;
#[cfg(feature = "server")]
mod github;
#[cfg(feature = "server")]
mod graphql;
#[cfg(feature = "server")]
mod log;
#[cfg(feature = "server")]
mod pagerduty;
#[cfg(feature = "server")]
mod sentry;
#[cfg(feature = "server")]
mod server;
#[cfg(feature = "server")]
mod sim;
#[cfg(feature = "server")]
mod site;
#[cfg(feature = "server")]
mod slack;
#[cfg(feature = "server")]
mod statuspage;
#[cfg(feature = "server")]
mod world;

#[cfg(feature = "server")]
pub use config::{DEFAULT_DATABASE_URL, Scenario, SimConfig, SimIds};
#[cfg(feature = "server")]
pub use database::DatabaseStatus;
#[cfg(feature = "server")]
pub use fault::{Fault, Target};
#[cfg(feature = "server")]
pub use github::GithubIssue;
#[cfg(feature = "server")]
pub use log::{RequestLog, RequestRecord, Vendor};
#[cfg(feature = "server")]
pub use pagerduty::{Page, PageStatus};
#[cfg(feature = "server")]
pub use sentry::SentryIssue;
#[cfg(feature = "server")]
pub use sim::{Sim, SimError, SimUrls};
#[cfg(feature = "server")]
pub use site::{NEXTAUTH_CONFIGURATION_ERROR, SECRET_VARIABLE, STRIPE_FLAG};
#[cfg(feature = "server")]
pub use slack::SlackMessage;
#[cfg(feature = "server")]
pub use statuspage::{IncidentUpdate, StatuspageIncident};
