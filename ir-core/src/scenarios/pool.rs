//! Scenario 4: Database Connection Pool Exhausted.
//!
//! Recognised from SQLAlchemy's `QueuePool limit of size N overflow M reached`, sqlx's
//! `pool timed out while waiting for an open connection`, PostgreSQL's SQLSTATE 53300 `sorry,
//! too many clients already` and PgBouncer's waiting clients. Causes: `DATABASE_URL` on 5432
//! instead of PgBouncer's 6432 (fix the URL: destructive, so it needs approval), a connection
//! leak (terminate connections idle for more than 10 minutes, never our own, a superuser's or a
//! non-client backend), a traffic surge (restart). Then the pool is watched for 15 minutes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{self, lines};
use crate::error::Result;
use crate::model::DsnRoute;
use crate::model::{ActionKind, Hypothesis, Risk};
use crate::model::{Check, Verification, VerificationTimings};
use crate::playbook::signatures::{LogPattern, is_too_many_clients, queue_pool_limit};
use crate::playbook::{
    Context, EvidenceSet, Mitigation, NewValue, Plan, Playbook, Probe, Remedy, Scorer,
};

/// Scenario 4: Database Connection Pool Exhausted.
///
/// **Selected** when the pool is reported exhausted ([`Signals`](crate::classify::Signals)
/// `pool_exhausted`), more than half the API requests time out (the P1 threshold), or the
/// alert's text is a pool-exhaustion error ([`LogPattern::PoolExhausted`]).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`DatabaseDiagnostics`](crate::ports::DatabaseDiagnostics) | connection status (by state, against `max_connections` and the reserved slots, oldest idle); the application's pool; PgBouncer's `SHOW POOLS` | no leak or surge evidence; terminating idle connections fails (`Unsupported`); **no mitigation can verify** (the pool check has nothing to ask) |
/// | [`VariableStore`](crate::ports::VariableStore) | `database_url_variable` read and parsed ([`check_dsn`](crate::ports::check_dsn)): direct (5432), PgBouncer (6432) or another port; the value is never recorded | the direct-connection cause has no DSN evidence, and changing the URL fails |
/// | [`LogSource`](crate::ports::LogSource) | the environment's logs from 30 minutes before onset, 500 lines, searched for pool exhaustion (SQLAlchemy `QueuePool limit of size N overflow M reached`, sqlx `pool timed out while waiting for an open connection`, SQLSTATE 53300 `sorry, too many clients already`, PgBouncer `max_client_conn`, ...) | no log evidence |
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | service status (the current deployment) | no restart (nothing to restart) |
/// | [`HealthProbe`](crate::ports::HealthProbe) | none | **no mitigation can verify** |
///
/// # Hypotheses
///
/// With the weights of [`Scorer`](crate::playbook::Scorer):
///
/// **`direct_connection_bypassing_pgbouncer`**, "DATABASE_URL connects straight to PostgreSQL
/// (port 5432) instead of PgBouncer (6432)":
/// - +0.65 the URL goes to 5432 (or names no port); −0.95 it goes to 6432; +0.20 another port;
/// - +0.20 "too many clients" lines (SQLSTATE 53300, reserved slots);
/// - +0.10 the server's ordinary connection slots are at least 90 % used.
///
/// All three give 0.75.
///
/// **`connection_leak`**, "connection leak: 14 of 20 connections idle, the oldest for 42
/// minutes":
/// - +0.55 the oldest idle connection is older than `idle_threshold` (10 minutes), +0.25 more
///   when at least half the connections are idle; −0.80 when none is that old;
/// - +0.10 the application's pool is exhausted.
///
/// All three give 0.70.
///
/// **`traffic_surge`**, "traffic surge: every connection is busy and clients are queueing":
/// - +0.45 at least 70 % of the connections are active; −0.50 one idles past `idle_threshold`;
/// - +0.20 PgBouncer has clients waiting;
/// - +0.10 `QueuePool limit` lines (the summary then names the pool's size and overflow).
///
/// # Mitigations
///
/// Tried in order until one verifies. Every plan also recommends monitoring the pool for
/// 15 minutes.
///
/// | cause | mitigation | risk | verification |
/// |---|---|---|---|
/// | direct connection | point `DATABASE_URL` at PgBouncer (its port changed to 6432); the service restarts. A change that does not verify is undone | **destructive** (every instance and job sharing the URL changes route): always asks the approver | `verification` |
/// | leak | terminate connections idle for more than `idle_threshold` (only `application_name`'s when set; never our own, a superuser's or a non-client backend) | **destructive**: always asks | `verification` |
/// | leak, surge | restart the current deployment to drop its connections | reversible: without asking only at P0/P1 with the top hypothesis at 0.7 or more | `verification` |
///
/// (Under [`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook); the
/// [`Approver`](crate::ports::Approver) decides whatever the policy does not.)
///
/// # Verification
///
/// `health_path` answers 2xx/3xx, and the pool is healthy (the database has free slots,
/// PgBouncer has no waiting client, the application's pool is not exhausted, as far as the
/// database port can tell; a round where it answers none of these fails), in rounds timed by
/// `verification`: runbook default 3 rounds in a row, 30 s apart, within 10 minutes (expected
/// 90 s, [`VerificationTimings::expected_duration`]).
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::PoolExhausted;
///
/// let pool = PoolExhausted::default()
///     .with_verification(VerificationTimings::new(2, Duration::from_secs(1), Duration::from_secs(30)));
/// assert_eq!(pool.verification.expected_duration(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PoolExhausted {
    /// The variable holding the database URL.
    pub database_url_variable: String,
    /// Idle longer than this is a leak (runbook: 10 minutes).
    #[serde(with = "humantime_serde")]
    pub idle_threshold: Duration,
    /// Only terminate connections of this application, when set.
    pub application_name: Option<String>,
    /// The health endpoint.
    pub health_path: String,
    /// Verifying every mitigation (runbook: 3 × 30 s within 10 minutes).
    pub verification: VerificationTimings,
}

impl Default for PoolExhausted {
    fn default() -> Self {
        Self {
            database_url_variable: "DATABASE_URL".into(),
            idle_threshold: Duration::from_secs(10 * 60),
            application_name: None,
            health_path: "/health".into(),
            verification: VerificationTimings::runbook(),
        }
    }
}

impl PoolExhausted {
    /// Sets how the mitigations are verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Checks the verification timings ([`VerificationTimings::validate`]).
    ///
    /// # Errors
    /// `Config` naming the field whose timings can never verify.
    pub fn validate(&self) -> Result<()> {
        common::validate_timings(&[("verification", &self.verification)])
    }
}

const NAME: &str = "connection_pool_exhausted";

impl PoolExhausted {
    fn logs(&self) -> Probe {
        Probe::recent_logs([LogPattern::PoolExhausted])
    }

    fn dsn(&self) -> Probe {
        Probe::Dsn {
            variable: self.database_url_variable.clone(),
        }
    }

    fn health_check(&self) -> Verification {
        Verification::health(self.health_path.clone())
            .with(Check::PoolHealthy)
            .with_timings(self.verification)
    }
}

impl Playbook for PoolExhausted {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "Database Connection Pool Exhausted"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        let s = &ctx.symptoms.signals;
        s.pool_exhausted
            || s.api_timeout_share
                .is_some_and(|v| v > ctx.thresholds.api_timeout_share_p1)
            || ctx
                .symptoms
                .any_text(|t| LogPattern::PoolExhausted.matches(t))
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            Probe::Connections,
            Probe::Pool,
            Probe::PgBouncerPools,
            self.dsn(),
            self.logs(),
            Probe::ServiceStatus,
        ]
    }

    fn assess(&self, _ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let pool_lines = lines(ev, &self.logs(), &LogPattern::PoolExhausted);
        let too_many = pool_lines
            .as_ref()
            .filter(|(_, ls)| ls.iter().any(|l| is_too_many_clients(&l.message)))
            .map(|(id, _)| *id);
        let queue = pool_lines
            .as_ref()
            .and_then(|(_, ls)| ls.iter().find_map(|l| queue_pool_limit(&l.message)));
        let conns = ev.connections(&Probe::Connections);
        let bouncer = ev.pgbouncer_pools(&Probe::PgBouncerPools);
        let app_pool = ev.pool(&Probe::Pool);

        // 1. Straight to PostgreSQL instead of through PgBouncer.
        let mut direct = Scorer::new(
            NAME,
            "direct_connection_bypassing_pgbouncer",
            format!(
                "{} connects straight to PostgreSQL (port 5432) instead of PgBouncer (6432)",
                self.database_url_variable
            ),
        );
        if let Some((id, dsn)) = ev.dsn(&self.dsn()) {
            match dsn.route {
                DsnRoute::Direct => direct = direct.raise(0.65, id),
                DsnRoute::PgBouncer => direct = direct.lower(0.95, id),
                DsnRoute::OtherPort => direct = direct.raise(0.2, id),
            }
        }
        direct = direct.raise_if(0.2, too_many);
        if let Some((id, c)) = conns
            && c.utilisation() >= 0.9
        {
            direct = direct.raise(0.1, id);
        }

        // 2. A leak: many connections idle for longer than the threshold.
        let mut leak = Scorer::new(
            NAME,
            "connection_leak",
            format!(
                "connection leak: connections left idle for more than {} minutes",
                self.idle_threshold.as_secs() / 60
            ),
        );
        if let Some((id, c)) = conns {
            let total = c.counts.total().max(1);
            let idle_share = f64::from(c.counts.idle) / f64::from(total);
            match c.oldest_idle {
                Some(age) if age > self.idle_threshold => {
                    leak = leak.raise(0.55, id).summary(format!(
                        "connection leak: {} of {} connections idle, the oldest for {} minutes",
                        c.counts.idle,
                        c.counts.total(),
                        age.as_secs() / 60
                    ));
                    if idle_share >= 0.5 {
                        leak = leak.raise(0.25, id);
                    }
                }
                _ => leak = leak.lower(0.8, id),
            }
        }
        if let Some((id, p)) = app_pool
            && p.is_exhausted()
        {
            leak = leak.raise(0.1, id);
        }

        // 3. A surge: the connections are busy, clients queue.
        let mut surge = Scorer::new(
            NAME,
            "traffic_surge",
            "traffic surge: every connection is busy and clients are queueing",
        );
        if let Some((id, c)) = conns {
            let total = c.counts.total().max(1);
            if f64::from(c.counts.active) / f64::from(total) >= 0.7 {
                surge = surge.raise(0.45, id);
            }
            if c.oldest_idle.is_some_and(|a| a > self.idle_threshold) {
                surge = surge.lower(0.5, id);
            }
        }
        if let Some((id, pools)) = bouncer
            && pools.iter().any(|p| p.is_saturated())
        {
            surge = surge.raise(0.2, id);
        }
        if let Some((id, (size, overflow))) = pool_lines.as_ref().map(|(id, _)| *id).zip(queue) {
            surge = surge.raise(0.1, id).summary(format!(
                "traffic surge: the application pool (size {size}, overflow {overflow}) is \
                 full and every connection is busy"
            ));
        }

        vec![direct.build(), leak.build(), surge.build()]
    }

    fn plan(&self, _ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        let restart = common::current_id(ev).map(|id| {
            Mitigation::new(
                h,
                Remedy::Act(ActionKind::Restart { deployment: id }),
                "restart the application instances to drop their connections",
                self.health_check(),
            )
        });
        let plan = match h.cause.as_str() {
            "direct_connection_bypassing_pgbouncer" => Plan::new()
                .mitigate(
                    Mitigation::new(
                        h,
                        Remedy::SetVariable {
                            name: self.database_url_variable.clone(),
                            value: NewValue::ViaPgBouncer,
                        },
                        format!(
                            "point {} at PgBouncer (port 6432); the service restarts",
                            self.database_url_variable
                        ),
                        self.health_check(),
                    )
                    // Every instance and job sharing the URL changes route: a person decides.
                    .with_risk(Risk::Destructive),
                )
                .recommend("ALWAYS use PgBouncer port 6432"),
            "connection_leak" => {
                let mut plan = Plan::new().mitigate(Mitigation::new(
                    h,
                    Remedy::Act(ActionKind::TerminateIdleConnections {
                        older_than: self.idle_threshold,
                        application_name: self.application_name.clone(),
                        user: None,
                    }),
                    format!(
                        "terminate connections idle for more than {} minutes (never our own, a \
                         superuser's, or a non-client backend)",
                        self.idle_threshold.as_secs() / 60
                    ),
                    self.health_check(),
                ));
                if let Some(r) = restart {
                    plan = plan.mitigate(r);
                }
                plan.recommend("Use context managers for DB sessions so connections are returned")
            }
            "traffic_surge" => {
                let mut plan = Plan::new();
                if let Some(r) = restart {
                    plan = plan.mitigate(r);
                }
                plan.recommend("Scale instances and load test connection pool limits")
            }
            _ => Plan::new(),
        };
        plan.recommend("Monitor the connection pool for 15 minutes")
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "ALWAYS use PgBouncer port 6432".into(),
            "Set connection pool size <= 20".into(),
            "Implement connection timeout".into(),
            "Use context managers for DB sessions".into(),
            "Load test connection pool limits".into(),
        ]
    }
}
