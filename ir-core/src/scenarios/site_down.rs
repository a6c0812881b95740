//! Scenario 1: Site Completely Down (502/503).
//!
//! Causes, as the runbook lists them: a crash loop after a recent deployment (roll back), a
//! platform incident (wait for the platform, escalate to DevOps/SRE), a database connection
//! failure (verify `DATABASE_URL`, restart).

use std::time::Duration;

use super::common::{self, deployments_probe, describe, lines};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::model::{ActionKind, Hypothesis};
use crate::model::{Verification, VerificationTimings};
use crate::playbook::signatures::LogPattern;
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 1: Site Completely Down (502/503).
///
/// **Selected** when the homepage or the health endpoint answers 5xx or not at all, or an
/// outage of the whole core service or of the database is reported
/// ([`Signals`](crate::classify::Signals) `homepage`, `health`, `outages`).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | `service_status`; the last 10 deployments; with the log source, the new log signatures since the current deployment | no deployment to correlate with, roll back to or restart: the crash-loop and database causes get no mitigation (the revert pull request needs the bad deployment's commit, too) |
/// | [`LogSource`](crate::ports::LogSource) | the environment's logs from 30 minutes before onset, 500 lines, searched for crash texts ([`LogPattern::Crash`]: `crashed`, `exited with code`, `killed`, `SIGKILL`, `OOMKilled`, an unhandled rejection, ...) and database-connection failures ([`LogPattern::DatabaseConnection`]: `ECONNREFUSED ...:5432`, `could not connect to server`, `password authentication failed`, ...); new and spiking error signatures since the current deployment | no crash or database lines, no signatures |
/// | [`HealthProbe`](crate::ports::HealthProbe) | `health_path` | the platform-incident evidence "the platform serves the current deployment but the site is down" is missing, and **no mitigation can verify** (every round fails "no HealthProbe is configured") |
/// | [`VariableStore`](crate::ports::VariableStore) | `database_url_variable` read and parsed ([`check_dsn`](crate::ports::check_dsn)), its value never recorded | whether it is unset or malformed is unknown |
/// | [`DatabaseDiagnostics`](crate::ports::DatabaseDiagnostics) | connection status | no headroom evidence against the database cause |
/// | [`CodeHost`](crate::ports::CodeHost) | none | the revert pull request fails as `Unsupported` and the next mitigation is tried |
///
/// A port that is configured but cannot be reached (`Unavailable` or `Timeout`) is evidence
/// itself: the platform and its logs unreachable raise the platform incident, the database
/// unreachable the database cause. A port that is not configured (`Unsupported`) is neither.
///
/// # Hypotheses
///
/// Each cause starts at confidence 0; each piece of evidence raises it by a weight `w`
/// (`c → 1 − (1 − c)(1 − w)`) or lowers it (`c → c(1 − w)`), see
/// [`Scorer`](crate::playbook::Scorer). Weights:
///
/// **`recent_deployment_crash_loop`**, "crash loop after deployment d-42 (abc1234, 15:20 UTC)":
/// - +0.45 a deployment created within `recent_deploy_window` (2 h) before onset;
///   −0.70 when the deployments show none;
/// - +0.35 crash lines in the logs;
/// - +0.25 a new or spiking crash or `Cannot find module` signature since the current
///   deployment (only with a recent deployment);
/// - +0.25 the platform shows a replica crashed, exited or restarting, or the latest
///   deployment crashed;
/// - −0.30 database-connection errors in the logs.
///
/// A recent deployment, crash lines and a crashed deployment give 0.73; with a new crash
/// signature, 0.80.
///
/// **`platform_incident`**, "railway platform incident":
/// - +0.50 the platform's service status is unreachable (`Unavailable`/`Timeout`);
///   +0.20 its logs are;
/// - +0.45 the platform serves the current deployment as active, nothing crashes, the health
///   check fails, and the logs show neither crash nor database lines; −0.40 when the platform
///   shows the current deployment not active or crashing;
/// - −0.50 crash lines; −0.50 a recent deployment.
///
/// **`database_connection_failure`**, "the application cannot connect to its database":
/// - +0.50 database-connection errors in the logs; +0.20 a new such signature;
/// - +0.35 the database diagnostics are unreachable (`Unavailable`/`Timeout`);
/// - +0.50 `DATABASE_URL` is not set, or +0.45 it is malformed (the summary then says so);
/// - −0.60 the database has free connection slots and the logs show no connection errors.
///
/// # Mitigations
///
/// Tried in order until one verifies. Risks are the action's ([`Risk`](crate::model::Risk));
/// under [`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook) a reversible
/// action runs without asking only at P0/P1 with the top hypothesis at 0.7 or more, else the
/// [`Approver`](crate::ports::Approver) decides; a read-only one always runs.
///
/// | cause | mitigation | risk | verification |
/// |---|---|---|---|
/// | crash loop | roll back to the last known good deployment ([`rollback::last_known_good`](crate::rollback::last_known_good)), when there is one | reversible | `verification` |
/// | crash loop | a revert pull request of the recent deployment's commit into `base_branch` (the runbook's Manual Rollback) | reversible | `revert_verification` |
/// | platform incident | wait for the platform to recover; recommends checking its status page and contacting support | read-only | `platform_verification` |
/// | database | restart the current deployment, unless `DATABASE_URL` is unset or malformed; always recommends verifying `DATABASE_URL` goes through PgBouncer (6432) | reversible | `verification` |
///
/// # Verification
///
/// Every mitigation is verified by `health_path` answering 2xx/3xx, in rounds:
///
/// | field | runbook default | expected time |
/// |---|---|---|
/// | `verification` | 3 rounds in a row, 30 s apart, within 10 minutes | 90 s |
/// | `revert_verification` | 3 rounds, 30 s apart, within 20 minutes | 90 s |
/// | `platform_verification` | 3 rounds, 1 minute apart, within 30 minutes | 3 minutes |
///
/// [`VerificationTimings::expected_duration`] gives the expected time; the runner then
/// monitors for [`RunnerConfig::monitor_for`](crate::runner::RunnerConfig::monitor_for).
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::SiteDown;
///
/// // A drill on the system clock: one healthy round after 2 s, within a minute.
/// let quick = VerificationTimings::new(1, Duration::from_secs(2), Duration::from_secs(60));
/// let site_down = SiteDown::default()
///     .with_verification(quick)
///     .with_revert_verification(quick)
///     .with_platform_verification(quick);
/// assert_eq!(site_down.verification.expected_duration(), Duration::from_secs(2));
/// assert!(site_down.validate().is_ok());
/// assert_eq!(SiteDown::default().verification.expected_duration(), Duration::from_secs(90));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SiteDown {
    /// A deployment this long before onset counts as recent (runbook: 2 hours).
    #[serde(with = "humantime_serde")]
    pub recent_deploy_window: Duration,
    /// The health endpoint.
    pub health_path: String,
    /// The variable holding the database URL.
    pub database_url_variable: String,
    /// The branch a revert goes into.
    pub base_branch: String,
    /// The platform's name, for "wait for ... to recover".
    pub platform: String,
    /// Verifying a rollback or a restart (runbook: 3 × 30 s within 10 minutes).
    pub verification: VerificationTimings,
    /// Verifying a revert pull request (3 × 30 s within 20 minutes).
    pub revert_verification: VerificationTimings,
    /// Waiting out a platform incident (3 × 1 minute within 30 minutes).
    pub platform_verification: VerificationTimings,
}

impl Default for SiteDown {
    fn default() -> Self {
        Self {
            recent_deploy_window: Duration::from_secs(2 * 60 * 60),
            health_path: "/health".into(),
            database_url_variable: "DATABASE_URL".into(),
            base_branch: "main".into(),
            platform: "railway".into(),
            verification: VerificationTimings::runbook(),
            revert_verification: common::revert_timings(),
            platform_verification: VerificationTimings::runbook()
                .with_interval(Duration::from_secs(60))
                .with_deadline(Duration::from_secs(30 * 60)),
        }
    }
}

impl SiteDown {
    /// Sets how a rollback or a restart is verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Sets how a revert pull request is verified.
    pub fn with_revert_verification(mut self, timings: VerificationTimings) -> Self {
        self.revert_verification = timings;
        self
    }

    /// Sets how waiting out a platform incident is verified.
    pub fn with_platform_verification(mut self, timings: VerificationTimings) -> Self {
        self.platform_verification = timings;
        self
    }

    /// Checks the verification timings ([`VerificationTimings::validate`]).
    ///
    /// # Errors
    /// `Config` naming the field whose timings can never verify.
    pub fn validate(&self) -> Result<()> {
        common::validate_timings(&[
            ("verification", &self.verification),
            ("revert_verification", &self.revert_verification),
            ("platform_verification", &self.platform_verification),
        ])
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

    fn health_check(&self) -> Verification {
        Verification::health(self.health_path.clone()).with_timings(self.verification)
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
                    self.health_check(),
                    self.revert_verification,
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
                    self.health_check().with_timings(self.platform_verification),
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
                        self.health_check(),
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
