//! Scenario 5: High Error Rate (5xx Spikes), over the 1 % SLO.
//!
//! Causes: a recent deployment (roll back), a third-party API failing (Stripe, GitHub, Strapi
//! named in the errors: disable its feature flag, recommend a circuit breaker), database query
//! timeouts (the slow queries, for people), a memory/CPU spike (restart, investigate).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{self, clip, deployments_probe, lines};
use crate::error::{Error, Result};
use crate::model::SlowQueries;
use crate::model::{ActionKind, EvidenceId, Hypothesis};
use crate::model::{Check, Verification, VerificationTimings};
use crate::playbook::signatures::{LogPattern, ThirdParty, is_third_party_failure};
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 5: High Error Rate (5xx Spikes).
///
/// **Selected** when the 5xx rate is over the P2 threshold (1 %, the SLO) or errors are
/// intermittent ([`Signals`](crate::classify::Signals) `error_rate_5xx`,
/// `intermittent_errors`).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | the last 10 deployments; service status; with the log source, the new log signatures since the current deployment | no recent-deployment evidence; no rollback, revert or restart |
/// | [`ErrorTracker`](crate::ports::ErrorTracker) | issues first seen from 30 minutes before onset; the 10 most frequent issues of that window | no tracker evidence for a deployment or a third party; with no error counts the runner has no baseline, so the verification's error-rate check is skipped (and says so) |
/// | [`LogSource`](crate::ports::LogSource) | the environment's logs from 30 minutes before onset, 500 lines, searched for third parties (`stripe`, `github`, `strapi`, their API hosts), database timeouts (statement and lock timeouts, SQLSTATE 57014, deadlocks, pool acquire timeouts) and out-of-memory errors; with the deploy platform, the new log signatures | no log evidence, no signatures |
/// | [`DatabaseDiagnostics`](crate::ports::DatabaseDiagnostics) | the 5 slowest statements (`pg_stat_statements`) | no slow-query evidence or advice |
/// | [`VariableStore`](crate::ports::VariableStore) | none | turning a feature flag off fails (`Unsupported`) |
/// | [`CodeHost`](crate::ports::CodeHost) | none | the revert pull request fails (`Unsupported`) and the next mitigation is tried |
/// | [`HealthProbe`](crate::ports::HealthProbe) | none | **no mitigation can verify** |
///
/// # Hypotheses
///
/// With the weights of [`Scorer`](crate::playbook::Scorer):
///
/// **`recent_deployment`**, "deployment d-42 (abc1234, 15:20 UTC) introduced errors":
/// - +0.50 a deployment created within `recent_deploy_window` (2 h) before onset; −0.80 when
///   the deployments show none;
/// - with one: +0.35 a new tracker issue first seen after it was created; +0.25 any new or
///   spiking error signature since the current deployment.
///
/// All three give 0.76.
///
/// **`third_party_failure`**, "Stripe API failing: "StripeConnectionError: ..."": the third
/// party named most often (a tracker issue's title counts 3, a log line 1); +0.60 for the
/// first piece of evidence naming it (new issues, then top issues, then logs), +0.25 for each
/// other.
///
/// **`database_timeout`**, "database queries are timing out":
/// - +0.50 database-timeout lines; +0.20 a new such signature;
/// - +0.30 a statement whose mean time is at least `slow_query` (1 s).
///
/// **`resource_spike`**, "memory/CPU spike: the process runs out of memory":
/// - +0.55 out-of-memory lines; +0.20 a new such signature.
///
/// # Mitigations
///
/// Tried in order until one verifies; a reversible action runs without asking only at P0/P1
/// with the top hypothesis at 0.7 or more
/// ([`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook)), otherwise the
/// [`Approver`](crate::ports::Approver) decides.
///
/// | cause | mitigation | risk | verification |
/// |---|---|---|---|
/// | recent deployment | roll back to the last known good deployment, when there is one | reversible | `verification` |
/// | recent deployment | a revert pull request of the recent deployment's commit into `base_branch` | reversible | `revert_verification` |
/// | third party | set its feature flag from `feature_flags` to `false` (`FEATURE_FLAG_STRIPE`, `FEATURE_FLAG_GITHUB`, `FEATURE_FLAG_STRAPI`); recommends a circuit breaker and a degraded UI | reversible | `verification` |
/// | database timeout | none: recommends optimizing up to three statements slower than `slow_query`, and `EXPLAIN ANALYZE` | | |
/// | memory/CPU | restart the current deployment; recommends scaling and a heap dump | reversible | `verification` |
///
/// # Verification
///
/// `health_path` answers 2xx/3xx, and the errors of the last `error_rate_window` (5 minutes)
/// are at the baseline before onset, within
/// [`RunnerConfig::baseline_tolerance`](crate::runner::RunnerConfig::baseline_tolerance)
/// (skipped, and said so, when there is no baseline). Rounds:
///
/// | field | runbook default | expected time |
/// |---|---|---|
/// | `verification` | 3 rounds in a row, 30 s apart, within 10 minutes | 90 s |
/// | `revert_verification` | 3 rounds, 30 s apart, within 20 minutes | 90 s |
///
/// With short rounds, shorten `error_rate_window` too, or the errors from before the
/// mitigation are still counted.
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::ErrorSpike;
///
/// let quick = VerificationTimings::new(2, Duration::from_secs(1), Duration::from_secs(60));
/// let spike = ErrorSpike::default()
///     .with_verification(quick)
///     .with_revert_verification(quick)
///     .with_error_rate_window(Duration::from_secs(2));
/// assert_eq!(spike.verification.expected_duration(), Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ErrorSpike {
    /// A deployment this long before onset counts as recent (runbook: 2 hours).
    #[serde(with = "humantime_serde")]
    pub recent_deploy_window: Duration,
    /// The feature flag (a variable set to `false`) that turns off each third party's feature.
    pub feature_flags: BTreeMap<ThirdParty, String>,
    /// A statement slower than this on average is worth naming.
    #[serde(with = "humantime_serde")]
    pub slow_query: Duration,
    /// The branch reverts go into.
    pub base_branch: String,
    /// The health endpoint.
    pub health_path: String,
    /// Verifying a rollback, a feature flag or a restart (runbook: 3 × 30 s within
    /// 10 minutes).
    pub verification: VerificationTimings,
    /// Verifying a revert pull request (3 × 30 s within 20 minutes).
    pub revert_verification: VerificationTimings,
    /// The window the verification counts errors over (5 minutes).
    #[serde(with = "humantime_serde")]
    pub error_rate_window: Duration,
}

impl Default for ErrorSpike {
    fn default() -> Self {
        Self {
            recent_deploy_window: Duration::from_secs(2 * 60 * 60),
            feature_flags: BTreeMap::from([
                (ThirdParty::Stripe, "FEATURE_FLAG_STRIPE".to_owned()),
                (ThirdParty::GitHub, "FEATURE_FLAG_GITHUB".to_owned()),
                (ThirdParty::Strapi, "FEATURE_FLAG_STRAPI".to_owned()),
            ]),
            slow_query: Duration::from_millis(1000),
            base_branch: "main".into(),
            health_path: "/health".into(),
            verification: VerificationTimings::runbook(),
            revert_verification: common::revert_timings(),
            error_rate_window: Duration::from_secs(5 * 60),
        }
    }
}

impl ErrorSpike {
    /// Sets how a rollback, a feature flag or a restart is verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Sets how a revert pull request is verified.
    pub fn with_revert_verification(mut self, timings: VerificationTimings) -> Self {
        self.revert_verification = timings;
        self
    }

    /// Sets the window the verification counts errors over.
    pub fn with_error_rate_window(mut self, window: Duration) -> Self {
        self.error_rate_window = window;
        self
    }

    /// Checks the verification timings ([`VerificationTimings::validate`]) and the error-rate
    /// window.
    ///
    /// # Errors
    /// `Config` naming the field that can never verify.
    pub fn validate(&self) -> Result<()> {
        if self.error_rate_window.is_zero() {
            return Err(Error::config("error_rate_window must be greater than zero"));
        }
        common::validate_timings(&[
            ("verification", &self.verification),
            ("revert_verification", &self.revert_verification),
        ])
    }
}

const NAME: &str = "error_rate_spike";

impl ErrorSpike {
    fn logs(&self) -> Probe {
        Probe::recent_logs([
            LogPattern::ThirdParty,
            LogPattern::DatabaseTimeout,
            LogPattern::OutOfMemory,
        ])
    }

    fn new_issues(&self) -> Probe {
        Probe::NewIssues {
            lookback: Duration::from_secs(30 * 60),
        }
    }

    fn top_issues(&self) -> Probe {
        Probe::TopIssues {
            lookback: Duration::from_secs(30 * 60),
            limit: 10,
        }
    }

    fn health_check(&self) -> Verification {
        Verification::health(self.health_path.clone())
            .with(Check::ErrorRateAtBaseline {
                interval: self.error_rate_window,
            })
            .with_timings(self.verification)
    }

    /// The third party most named by failing errors, with the evidence naming it.
    fn third_party(&self, ev: &EvidenceSet) -> Option<(ThirdParty, Vec<EvidenceId>, String)> {
        let mut hits: BTreeMap<ThirdParty, (u32, Vec<EvidenceId>, String)> = BTreeMap::new();
        let mut note = |p: ThirdParty, id: &EvidenceId, text: &str, weight: u32| {
            let e = hits.entry(p).or_insert((0, Vec::new(), text.to_owned()));
            e.0 += weight;
            if !e.1.contains(id) {
                e.1.push(id.clone());
            }
        };
        for probe in [self.new_issues(), self.top_issues()] {
            if let Some((id, issues)) = ev.tracker_issues(&probe) {
                for i in issues {
                    if let Some(p) = is_third_party_failure(&i.title) {
                        note(p, id, &i.title, 3);
                    }
                }
            }
        }
        if let Some((id, ls)) = ev.log_lines(&self.logs()) {
            for l in ls {
                if let Some(p) = is_third_party_failure(&l.message) {
                    note(p, id, &l.message, 1);
                }
            }
        }
        hits.into_iter()
            .max_by_key(|(_, (n, _, _))| *n)
            .map(|(p, (_, ids, text))| (p, ids, text))
    }
}

impl Playbook for ErrorSpike {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "High Error Rate (5xx Spikes)"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        let s = &ctx.symptoms.signals;
        s.error_rate_5xx
            .is_some_and(|r| r > ctx.thresholds.error_rate_5xx_p2)
            || s.intermittent_errors
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            deployments_probe(),
            Probe::ServiceStatus,
            self.new_issues(),
            self.top_issues(),
            self.logs(),
            Probe::SlowQueries { limit: 5 },
            common::signatures_probe(),
        ]
    }

    fn assess(&self, ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let onset = ctx.onset();
        let deployments = ev.deployments(&deployments_probe());
        let recent = deployments
            .and_then(|(_, ds)| common::recent_deployment(ds, onset, self.recent_deploy_window));

        // 1. Recent deployment.
        let mut deploy = Scorer::new(
            NAME,
            "recent_deployment",
            "a recent deployment introduced a bug",
        );
        match (deployments, recent) {
            (Some((id, _)), Some(d)) => {
                deploy = deploy.raise(0.5, id).summary(format!(
                    "deployment {} introduced errors",
                    common::describe(d)
                ));
                if let Some((nid, issues)) = ev.tracker_issues(&self.new_issues())
                    && issues.iter().any(|i| i.first_seen >= d.created_at)
                {
                    deploy = deploy.raise(0.35, nid);
                }
                // Error signatures new or spiking since the current deployment.
                deploy = deploy.raise_if(0.25, common::new_signature(ev, None));
            }
            (Some((id, _)), None) => deploy = deploy.lower(0.8, id),
            _ => {}
        }

        // 2. Third-party API failure.
        let mut third = Scorer::new(NAME, "third_party_failure", "a third-party API is failing");
        if let Some((p, ids, text)) = self.third_party(ev) {
            third = third.summary(format!("{p} API failing: \"{}\"", clip(&text, 120)));
            for (i, id) in ids.iter().enumerate() {
                third = third.raise(if i == 0 { 0.6 } else { 0.25 }, id);
            }
        }

        // 3. Database query timeouts.
        let mut db = Scorer::new(NAME, "database_timeout", "database queries are timing out");
        db = db.raise_if(
            0.5,
            lines(ev, &self.logs(), &LogPattern::DatabaseTimeout).map(|(id, _)| id),
        );
        db = db.raise_if(
            0.2,
            common::new_signature(ev, Some(&LogPattern::DatabaseTimeout)),
        );
        if let Some((id, SlowQueries::Available(qs))) =
            ev.slow_queries(&Probe::SlowQueries { limit: 5 })
            && qs.iter().any(|q| q.mean_time >= self.slow_query)
        {
            db = db.raise(0.3, id);
        }

        // 4. Memory/CPU spike.
        let mut resources = Scorer::new(
            NAME,
            "resource_spike",
            "memory/CPU spike: the process runs out of memory",
        );
        resources = resources.raise_if(
            0.55,
            lines(ev, &self.logs(), &LogPattern::OutOfMemory).map(|(id, _)| id),
        );
        resources = resources.raise_if(
            0.2,
            common::new_signature(ev, Some(&LogPattern::OutOfMemory)),
        );

        vec![deploy.build(), third.build(), db.build(), resources.build()]
    }

    fn plan(&self, ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        match h.cause.as_str() {
            "recent_deployment" => {
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
                plan.recommend("Gradual rollout (canary deployments)")
            }
            "third_party_failure" => {
                let Some((p, _, _)) = self.third_party(ev) else {
                    return Plan::new();
                };
                let mut plan = Plan::new();
                if let Some(flag) = self.feature_flags.get(&p) {
                    plan = plan.mitigate(Mitigation::new(
                        h,
                        Remedy::Act(ActionKind::DisableFeatureFlag { name: flag.clone() }),
                        format!("turn off the feature that depends on {p} ({flag}=false)"),
                        self.health_check(),
                    ));
                }
                plan.recommend(format!(
                    "Implement a circuit breaker around {p} calls and show a degraded UI"
                ))
            }
            "database_timeout" => {
                let mut plan = Plan::new();
                if let Some((_, SlowQueries::Available(qs))) =
                    ev.slow_queries(&Probe::SlowQueries { limit: 5 })
                {
                    for q in qs.iter().filter(|q| q.mean_time >= self.slow_query).take(3) {
                        plan = plan.recommend(format!(
                            "Optimize slow query (mean {} ms, {} calls): {}",
                            q.mean_time.as_millis(),
                            q.calls,
                            clip(&q.query, 160)
                        ));
                    }
                }
                plan.recommend("Profile the slow queries with EXPLAIN ANALYZE")
            }
            "resource_spike" => {
                let mut plan = Plan::new();
                if let Some(id) = common::current_id(ev) {
                    plan = plan.mitigate(Mitigation::new(
                        h,
                        Remedy::Act(ActionKind::Restart { deployment: id }),
                        "restart to release memory while the leak is investigated",
                        self.health_check(),
                    ));
                }
                plan.recommend("Scale instances; investigate the memory leak (heap dump)")
            }
            _ => Plan::new(),
        }
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "Gradual rollout (canary deployments)".into(),
            "Circuit breakers for external dependencies".into(),
            "Query performance monitoring".into(),
            "Memory profiling".into(),
        ]
    }
}
