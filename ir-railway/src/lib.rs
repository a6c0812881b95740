//! # ir-railway
//!
//! Railway's public GraphQL API as `ir` ports: [`RailwayClient`] implements
//! [`DeployPlatform`](ir_core::ports::DeployPlatform) (service status, deployments, rollback,
//! redeploy, restart), [`VariableStore`](ir_core::ports::VariableStore) (list, read, set with
//! `skip_deploys`, delete) and [`LogSource`](ir_core::ports::LogSource) (deployment, build and
//! environment logs with Railway's filter syntax). The runbook's `railway status`,
//! `railway deployments`, `railway rollback`, `railway restart`, `railway variables` and
//! `railway logs` become calls.
//!
//! ```no_run
//! use ir_core::ports::{DeployPlatform, DeploymentStatus};
//! use ir_railway::RailwayClient;
//!
//! # async fn run() -> Result<(), ir_core::Error> {
//! // RAILWAY_TOKEN (or RAILWAY_API_TOKEN), RAILWAY_PROJECT_ID, RAILWAY_ENVIRONMENT_ID,
//! // RAILWAY_SERVICE_ID: see `RailwayConfig::from_env`.
//! let railway = RailwayClient::from_env()?;
//!
//! // `railway deployments`: the last five, newest first.
//! let recent = railway.list_deployments(5).await?;
//! for d in &recent {
//!     println!("{} {:?} {} {}", d.id, d.status, d.created_at, d.commit_sha.as_deref().unwrap_or("-"));
//! }
//!
//! // `railway rollback`: to the newest earlier deployment that went live. Railway marks a
//! // deployment that served and was then replaced REMOVED, so both count as successful.
//! let last_good = recent.iter().skip(1).find(|d| {
//!     d.can_rollback && matches!(d.status, DeploymentStatus::Active | DeploymentStatus::Removed)
//! });
//! if let Some(good) = last_good {
//!     railway.rollback(&good.id).await?;
//!     println!("rolled back to {}", good.id);
//! }
//! # Ok(()) }
//! ```
//!
//! ## Behaviour
//! - Every request is one operation from `src/gql/*.graphql`, each checked against Railway's
//!   published schema by `tests/schema.rs`.
//! - Project tokens travel as `Project-Access-Token`, account and workspace tokens as
//!   `Authorization: Bearer` ([`RailwayToken`]).
//! - Retries, timeouts and rate limits are [`ir_http`]'s: queries are retried after a timeout or
//!   a 502/503/504; rollback, redeploy, restart and variable changes are not (an upsert with
//!   `skip_deploys` is, since repeating it changes nothing).
//! - Errors: see [`client`] for how Railway's answers (GraphQL `errors` under HTTP 200,
//!   "Not Authorized", an HTML page) become [`ir_core::Error`] kinds. A deployment status this
//!   crate does not know arrives as `DeploymentStatus::Unknown(..)`, not as an error.

pub mod client;
pub mod config;
mod deploy;
mod gql;
mod logs;
mod variables;
mod wire;

pub use client::RailwayClient;
pub use config::{DEFAULT_ENDPOINT, RailwayConfig, RailwayConfigBuilder, RailwayToken};
