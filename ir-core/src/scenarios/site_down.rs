//! Scenario 1: Site Completely Down (502/503).
//!
//! Causes, as the runbook lists them: a crash loop after a recent deployment (roll back), a
//! platform incident (wait for the platform, escalate to DevOps/SRE), a database connection
//! failure (verify `DATABASE_URL`, restart).

use std::time::Duration;

use super::common::{self, deployments_probe, describe, lines};
use crate::error::ErrorKind;
use crate::model::Verification;
use crate::model::{ActionKind, Hypothesis};
use crate::playbook::signatures::LogPattern;
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 1: Site Completely Down (502/503).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SiteDown {
    /// A deployment this long before onset counts as recent.
    pub recent_deploy_window: Duration,
    /// The health endpoint.
    pub health_path: String,
    /// The variable holding the database URL.
    pub database_url_variable: String,
    /// The branch a revert goes into.
    pub base_branch: String,
    /// The platform's name, for "wait for ... to recover".
    pub platform: String,
}

impl Default for SiteDown {
    fn default() -> Self {
        Self {
            recent_deploy_window: Duration::from_secs(2 * 60 * 60),
            health_path: "/health".into(),
            database_url_variable: "DATABASE_URL".into(),
            base_branch: "main".into(),
            platform: "railway".into(),
        }
    }
}

const NAME: &str = "site_down";

impl SiteDown {
    fn logs(&self) -> Probe {
        Probe::recent_logs([LogPattern::Crash, LogPattern::DatabaseConnection])
    }

    fn dsn(&self) -> Probe {
        Probe::Dsn {
            variable: self.database_url_variable.clone(),
        }
    }

    fn health(&self) -> Probe {
        Probe::health(self.health_path.clone())
    }

    fn verification(&self) -> Verification {
        Verification::health(self.health_path.clone())
    }
}

impl Playbook for SiteDown {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "Site Completely Down (502/503)"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        use crate::classify::{Capability, Extent};
        let s = &ctx.symptoms.signals;
        s.homepage.is_some_and(|r| r.is_down())
            || s.health.is_some_and(|r| r.is_down())
            || s.outages.iter().any(|o| {
                o.extent == Extent::Total
                    && matches!(o.capability, Capability::Core | Capability::Database)
            })
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            Probe::ServiceStatus,
            deployments_probe(),
            self.logs(),
            self.health(),
            self.dsn(),
            Probe::Connections,
            common::signatures_probe(),
        ]
    }

    fn assess(&self, ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let onset = ctx.onset();
        let status = ev.service_status(&Probe::ServiceStatus);
        let deployments = ev.deployments(&deployments_probe());
        let recent = deployments
            .and_then(|(_, ds)| common::recent_deployment(ds, onset, self.recent_deploy_window));
        let crash = lines(ev, &self.logs(), &LogPattern::Crash);
        let db_lines = lines(ev, &self.logs(), &LogPattern::DatabaseConnection);
        let crashing = status.filter(|(_, s)| common::crashing(s));

        // 1. Crash loop after a recent deployment.
        let mut crash_loop = Scorer::new(
            NAME,
            "recent_deployment_crash_loop",
            "crash loop after a recent deployment",
        );
        if let (Some((id, _)), Some(d)) = (deployments, recent) {
            crash_loop = crash_loop
                .raise(0.45, id)
                .summary(format!("crash loop after deployment {}", describe(d)));
        } else if let Some((id, _)) = deployments {
            crash_loop = crash_loop.lower(0.7, id);
        }
        // A crash or missing-module error new since the deployment.
        let new_crash = common::new_signature(ev, Some(&LogPattern::Crash))
            .or_else(|| common::new_signature(ev, Some(&LogPattern::MissingModule)));
        crash_loop = crash_loop
            .raise_if(0.35, crash.as_ref().map(|(id, _)| *id))
            .raise_if(0.25, new_crash.filter(|_| recent.is_some()))
            .raise_if(0.25, crashing.map(|(id, _)| id))
            .lower_if(0.3, db_lines.as_ref().map(|(id, _)| *id));

        // 2. Platform incident: the platform itself does not answer, or it says all is well
        //    while the site is down and the application logs nothing.
        let mut platform = Scorer::new(
            NAME,
            "platform_incident",
            format!("{} platform incident", self.platform),
        );
        let unreachable =
            |kind: ErrorKind| matches!(kind, ErrorKind::Unavailable | ErrorKind::Timeout);
        if let Some((id, kind)) = ev.unavailable(&Probe::ServiceStatus)
            && unreachable(kind)
        {
            platform = platform.raise(0.5, id);
        }
        if let Some((id, kind)) = ev.unavailable(&self.logs())
            && unreachable(kind)
        {
            platform = platform.raise(0.2, id);
        }
        if let Some((id, s)) = status {
            let serving_fine = s
                .current()
                .is_some_and(|d| d.status == crate::model::DeploymentStatus::Active)
                && !common::crashing(s);
            let site_down = ev
                .health(&self.health())
                .is_some_and(|(_, h)| !h.is_healthy());
            if serving_fine && site_down && crash.is_none() && db_lines.is_none() {
                platform = platform.raise(0.45, id);
            } else if !serving_fine {
                platform = platform.lower(0.4, id);
            }
        }
        platform = platform
            .lower_if(0.5, crash.as_ref().map(|(id, _)| *id))
            .lower_if(0.5, recent.and(deployments.map(|(id, _)| id)));

        // 3. Database connection failure.
        let mut database = Scorer::new(
            NAME,
            "database_connection_failure",
            "the application cannot connect to its database",
        );
        database = database
            .raise_if(0.5, db_lines.as_ref().map(|(id, _)| *id))
            .raise_if(
                0.2,
                common::new_signature(ev, Some(&LogPattern::DatabaseConnection)),
            );
        if let Some((id, kind)) = ev.unavailable(&Probe::Connections)
            && unreachable(kind)
        {
            database = database.raise(0.35, id);
        }
        match (
            ev.variable_present(&self.dsn()),
            ev.unavailable(&self.dsn()),
        ) {
            (Some((id, false)), _) => {
                database = database.raise(0.5, id).summary(format!(
                    "{} is not set: the application cannot reach its database",
                    self.database_url_variable
                ));
            }
            (_, Some((id, ErrorKind::InvalidInput))) => {
                database = database.raise(0.45, id).summary(format!(
                    "{} is malformed: the application cannot reach its database",
                    self.database_url_variable
                ));
            }
            _ => {}
        }
        if let Some((id, c)) = ev.connections(&Probe::Connections)
            && c.headroom() > 0
            && db_lines.is_none()
        {
            database = database.lower(0.6, id);
        }

        vec![crash_loop.build(), platform.build(), database.build()]
    }

    fn plan(&self, ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        match h.cause.as_str() {
            "recent_deployment_crash_loop" => {
                let bad = ev
                    .deployments(&deployments_probe())
                    .and_then(|(_, ds)| {
                        common::recent_deployment(ds, ctx.onset(), self.recent_deploy_window)
                    })
                    .cloned();
                let mut plan = Plan::new();
                for m in common::rollback_mitigations(
                    h,
                    ev,
                    ctx.onset(),
                    bad.as_ref(),
                    &self.base_branch,
                    self.verification(),
                ) {
                    plan = plan.mitigate(m);
                }
                plan
            }
            "platform_incident" => Plan::new()
                .mitigate(Mitigation::new(
                    h,
                    Remedy::Act(ActionKind::AwaitRecovery {
                        provider: self.platform.clone(),
                    }),
                    format!(
                        "wait for {} to resolve its incident (runbook: Wait for Railway resolution)",
                        self.platform
                    ),
                    self.verification()
                        .with_interval(Duration::from_secs(60))
                        .with_deadline(Duration::from_secs(30 * 60)),
                ))
                .recommend(format!(
                    "Check {}'s status page and contact its support",
                    self.platform
                )),
            "database_connection_failure" => {
                let dsn_broken = matches!(ev.variable_present(&self.dsn()), Some((_, false)))
                    || ev.unavailable(&self.dsn()).is_some_and(|(_, k)| k == ErrorKind::InvalidInput);
                let mut plan = Plan::new().recommend(format!(
                    "Verify {} points at the database, through PgBouncer on port 6432",
                    self.database_url_variable
                ));
                if !dsn_broken && let Some(id) = common::current_id(ev) {
                    plan = plan.mitigate(Mitigation::new(
                        h,
                        Remedy::Act(ActionKind::Restart { deployment: id }),
                        "restart the service so it reconnects to the database",
                        self.verification(),
                    ));
                }
                plan
            }
            _ => Plan::new(),
        }
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "Health-check deployments before they take traffic".into(),
            "Gradual rollout (canary deployments)".into(),
            "Alert on crash loops and restarts".into(),
        ]
    }
}
