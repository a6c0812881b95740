//! The runbook's six "Common Incident Scenarios" as [`Playbook`]s.
//!
//! | scenario | playbook | recognises | mitigations |
//! |---|---|---|---|
//! | 1. Site Completely Down (502/503) | [`SiteDown`] | 5xx or no answer from the homepage/health | roll back to last known good; wait for the platform and escalate; restart after checking `DATABASE_URL` |
//! | 2. NextAuth NO_SECRET Error | [`AuthSecretMissing`] | `[next-auth][error][NO_SECRET]`, `MissingSecret`, `/api/auth/session` 500 "server configuration" | set a new 32-byte secret (CSPRNG, base64) |
//! | 3. Missing File Imports (Build Failure) | [`BuildFailure`] | `Cannot find module '...'` in the failed CI step | issue naming the file; revert PR |
//! | 4. Database Connection Pool Exhausted | [`PoolExhausted`] | `QueuePool limit of size N overflow M reached`, `PoolTimedOut`, SQLSTATE 53300 | `DATABASE_URL` to PgBouncer 6432 (approval); terminate idle connections; restart |
//! | 5. High Error Rate (5xx Spikes) | [`ErrorSpike`] | 5xx rate over 1 %; Stripe/GitHub/Strapi in errors | roll back; feature flag off; slow-query advice; restart |
//! | 6. Slow Performance (Latency Spike) | [`LatencySpike`] | p95 over 3 s | rollback when a deployment correlates; restart for memory growth; advice for the rest |
//!
//! Each is configurable through its public fields (`Default` is the runbook's values).
//!
//! ```
//! let names: Vec<String> = ir_core::scenarios::builtin().iter().map(|p| p.name().to_owned()).collect();
//! assert_eq!(names, ["site_down", "auth_secret_missing", "build_failure_missing_import",
//!     "connection_pool_exhausted", "error_rate_spike", "latency_spike"]);
//! ```

use std::sync::Arc;

use crate::playbook::Playbook;

mod auth_secret;
mod build_failure;
mod common;
mod error_spike;
mod latency;
mod pool;
mod site_down;

pub use auth_secret::AuthSecretMissing;
pub use build_failure::BuildFailure;
pub use error_spike::ErrorSpike;
pub use latency::LatencySpike;
pub use pool::PoolExhausted;
pub use site_down::SiteDown;

/// The six built-in playbooks with the runbook's defaults, in the runbook's order.
pub fn builtin() -> Vec<Arc<dyn Playbook>> {
    vec![
        Arc::new(SiteDown::default()),
        Arc::new(AuthSecretMissing::default()),
        Arc::new(BuildFailure::default()),
        Arc::new(PoolExhausted::default()),
        Arc::new(ErrorSpike::default()),
        Arc::new(LatencySpike::default()),
    ]
}
