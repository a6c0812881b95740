//! Scenario 4: Database Connection Pool Exhausted.
//!
//! Recognised from SQLAlchemy's `QueuePool limit of size N overflow M reached`, sqlx's
//! `pool timed out while waiting for an open connection`, PostgreSQL's SQLSTATE 53300 `sorry,
//! too many clients already` and PgBouncer's waiting clients. Causes: `DATABASE_URL` on 5432
//! instead of PgBouncer's 6432 (fix the URL: destructive, so it needs approval), a connection
//! leak (terminate connections idle for more than 10 minutes, never our own, a superuser's or a
//! non-client backend), a traffic surge (restart). Then the pool is watched for 15 minutes.

use std::time::Duration;

use super::common::{self, lines};
use crate::model::DsnRoute;
use crate::model::{ActionKind, Hypothesis, Risk};
use crate::model::{Check, Verification};
use crate::playbook::signatures::{LogPattern, is_too_many_clients, queue_pool_limit};
use crate::playbook::{
    Context, EvidenceSet, Mitigation, NewValue, Plan, Playbook, Probe, Remedy, Scorer,
};

/// Scenario 4: Database Connection Pool Exhausted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolExhausted {
    /// The variable holding the database URL.
    pub database_url_variable: String,
    /// Idle longer than this is a leak (runbook: 10 minutes).
    pub idle_threshold: Duration,
    /// Only terminate connections of this application, when set.
    pub application_name: Option<String>,
    /// The health endpoint.
    pub health_path: String,
}

impl Default for PoolExhausted {
    fn default() -> Self {
        Self {
            database_url_variable: "DATABASE_URL".into(),
            idle_threshold: Duration::from_secs(10 * 60),
            application_name: None,
            health_path: "/health".into(),
        }
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

    fn verification(&self) -> Verification {
        Verification::health(self.health_path.clone()).with(Check::PoolHealthy)
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
                self.verification(),
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
                        self.verification(),
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
                    self.verification(),
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
