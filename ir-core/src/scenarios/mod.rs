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
//! Each type's documentation says which ports it asks and what it does without each, the
//! probes it runs, every hypothesis with the evidence that raises or lowers it and by how much,
//! the mitigations with their risk, and how each is verified and how long that takes.
//!
//! What they share:
//!
//! - **Ports.** Every port is optional ([`Providers`](crate::playbook::Providers)). A probe
//!   whose port is not configured is recorded as evidence that could not be gathered
//!   (`Unsupported`) and weighs nothing; an action whose port is missing fails with
//!   `Unsupported` and the next mitigation is tried. The runner adds one probe of its own, the
//!   error counts before onset ([`ErrorTracker`](crate::ports::ErrorTracker)), for the
//!   baseline the verification's error-rate check compares against.
//! - **Acting.** The runner ranks the hypotheses of every selected playbook and tries the
//!   mitigations of each one whose confidence reaches
//!   [`RunnerConfig::act_threshold`](crate::runner::RunnerConfig::act_threshold) (0.5), most
//!   confident first, until one verifies; when even the top one is below it, nothing runs and
//!   the Engineering Lead is asked. The [`ApprovalPolicy`](crate::playbook::ApprovalPolicy)
//!   decides per action: read-only ones run, reversible ones run without asking at P0/P1 when
//!   the top hypothesis is at 0.7 or more, destructive ones always ask the
//!   [`Approver`](crate::ports::Approver).
//! - **Verification.** Each mitigation carries a [`Verification`](crate::model::Verification):
//!   checks polled in rounds until enough pass in a row, or a deadline. The rounds' timing is
//!   each scenario's `verification` field (and `revert_verification`, `platform_verification`
//!   where it has them), a [`VerificationTimings`](crate::model::VerificationTimings) whose
//!   default is the runbook's (3 rounds, 30 s apart, within 10 minutes: 90 s when all pass,
//!   [`expected_duration`](crate::model::VerificationTimings::expected_duration)). Set them
//!   with `with_verification` and friends, or in `ir.toml` through the facade crate.
//! - **Configuration.** Each type's public fields hold its settings; `Default` is the
//!   runbook's values, and it deserializes with every field optional (serde defaults), e.g.
//!   from TOML:
//!
//! ```
//! use std::time::Duration;
//! use ir_core::scenarios::SiteDown;
//!
//! let site_down: SiteDown = toml::from_str(r#"
//!     health_path = "/healthz"
//!     verification = { consecutive = 2, interval = "5s" }
//! "#)?;
//! assert_eq!(site_down.health_path, "/healthz");
//! assert_eq!(site_down.verification.expected_duration(), Duration::from_secs(10));
//! assert_eq!(site_down.verification.deadline, Duration::from_secs(600)); // the runbook's, kept
//! assert_eq!(site_down.database_url_variable, "DATABASE_URL");
//! # Ok::<(), toml::de::Error>(())
//! ```
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
