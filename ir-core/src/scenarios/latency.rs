//! Scenario 6: Slow Performance (Latency Spike), p95 over the 3 s SLO.
//!
//! Causes: slow queries / missing indexes, N+1 queries, large payloads, memory growth, cold
//! starts, traffic. Most are for people (the matching recommendation); memory growth gets a
//! restart, and a deployment that correlates with the onset gets a rollback.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::common::{self, clip, deployments_probe, lines};
use crate::error::Result;
use crate::model::{ActionKind, Hypothesis};
use crate::model::{Check, Verification, VerificationTimings};
use crate::model::{DeploymentStatus, SlowQueries, TrackedIssue};
use crate::playbook::signatures::LogPattern;
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 6: Slow Performance (Latency Spike).
///
/// **Selected** when p95 latency is over the SLO (3 s) or a memory/CPU spike is reported
/// ([`Signals`](crate::classify::Signals) `p95_latency`, `resource_spike`).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`HealthProbe`](crate::ports::HealthProbe) | `health_path` (its latency is recorded, not weighed) | **no mitigation can verify** |
/// | [`DatabaseDiagnostics`](crate::ports::DatabaseDiagnostics) | the 5 slowest statements (`pg_stat_statements`); connection status | no slow-query or traffic evidence; "no slow query" no longer speaks for the memory and deployment causes |
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | the last 10 deployments; service status | no deployment correlation and no sleeping-service evidence; no rollback, revert or restart |
/// | [`ErrorTracker`](crate::ports::ErrorTracker) | the 10 most frequent issues from 30 minutes before onset (performance issues: N+1 queries, large payloads) | no N+1 or payload evidence |
/// | [`LogSource`](crate::ports::LogSource) | the environment's logs from 30 minutes before onset, 500 lines, searched for out-of-memory, crash and server-start lines | no memory or cold-start evidence |
/// | [`CodeHost`](crate::ports::CodeHost) | none | the revert pull request fails (`Unsupported`) |
///
/// # Hypotheses
///
/// With the weights of [`Scorer`](crate::playbook::Scorer):
///
/// - **`slow_queries`**, "slow query (mean 812 ms over 1200 calls): SELECT ...": +0.60 a
///   statement whose mean time is at least `slow_query` (500 ms).
/// - **`n_plus_one`**, "N+1 query problem: ...": +0.60 a top issue titled N+1 or "consecutive
///   DB queries".
/// - **`large_payload`**, "large payload: ...": +0.50 a top issue titled "large HTTP payload",
///   "large render blocking" or "payload".
/// - **`memory_growth`**, "memory leak: the heap keeps growing": +0.55 out-of-memory lines;
///   with them, +0.25 crash lines and +0.10 when no statement is slower than `slow_query`
///   (0.70 with all three).
/// - **`cold_start`**, "cold start (first requests after idle)": +0.35 server (re)start lines;
///   +0.30 a deployment the platform shows sleeping.
/// - **`traffic`**, "traffic spike": +0.40 at least 70 % of the connections active and at
///   least 70 % of the ordinary slots used.
/// - **`recent_deployment`**, "deployment d-42 (abc1234, 15:20 UTC) correlates with the latency
///   spike": +0.50 a deployment created within `recent_deploy_window` (2 h) before onset, then
///   +0.15 when no statement is slow and +0.15 when the logs show no out-of-memory line (0.64
///   with all three); −0.80 when the deployments show none recent.
///
/// # Mitigations
///
/// Most causes are for people: slow queries (identify the endpoint; `EXPLAIN ANALYZE` and an
/// index), N+1 (batch or join), payloads (pagination, field selection), cold starts (keep an
/// instance warm), traffic (scale) get recommendations only. Tried in order until one
/// verifies; a reversible action runs without asking only at P0/P1 with the top hypothesis at
/// 0.7 or more ([`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook)),
/// otherwise the [`Approver`](crate::ports::Approver) decides.
///
/// | cause | mitigation | risk | verification |
/// |---|---|---|---|
/// | memory growth | restart the current deployment; recommends a heap dump | reversible | `verification` |
/// | recent deployment | roll back to the last known good deployment, when there is one | reversible | `verification` |
/// | recent deployment | a revert pull request of its commit into `base_branch` | reversible | `revert_verification` |
///
/// # Verification
///
/// `health_path` answers 2xx/3xx within the latency SLO
/// ([`Thresholds::latency_slo_p95`](crate::severity::Thresholds::latency_slo_p95), 3 s), in
/// rounds:
///
/// | field | runbook default | expected time |
/// |---|---|---|
/// | `verification` | 3 rounds in a row, 30 s apart, within 10 minutes | 90 s |
/// | `revert_verification` | 3 rounds, 30 s apart, within 20 minutes | 90 s |
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::LatencySpike;
///
/// let quick = VerificationTimings::new(1, Duration::from_secs(1), Duration::from_secs(30));
/// let latency = LatencySpike::default().with_verification(quick).with_revert_verification(quick);
/// assert_eq!(latency.revert_verification.expected_duration(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LatencySpike {
    /// A deployment this long before onset counts as correlated (runbook: 2 hours).
    #[serde(with = "humantime_serde")]
    pub recent_deploy_window: Duration,
    /// A statement slower than this on average is a suspect.
    #[serde(with = "humantime_serde")]
    pub slow_query: Duration,
    /// The endpoint whose latency is sampled.
    pub health_path: String,
    /// The branch reverts go into.
    pub base_branch: String,
    /// Verifying a restart or a rollback (runbook: 3 × 30 s within 10 minutes).
    pub verification: VerificationTimings,
    /// Verifying a revert pull request (3 × 30 s within 20 minutes).
    pub revert_verification: VerificationTimings,
}

impl Default for LatencySpike {
    fn default() -> Self {
        Self {
            recent_deploy_window: Duration::from_secs(2 * 60 * 60),
            slow_query: Duration::from_millis(500),
            health_path: "/health".into(),
            base_branch: "main".into(),
            verification: VerificationTimings::runbook(),
            revert_verification: common::revert_timings(),
        }
    }
}

impl LatencySpike {
    /// Sets how a restart or a rollback is verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Sets how a revert pull request is verified.
    pub fn with_revert_verification(mut self, timings: VerificationTimings) -> Self {
        self.revert_verification = timings;
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
        ])
    }
}

const NAME: &str = "latency_spike";

fn titled<'a>(issues: &'a [TrackedIssue], words: &[&str]) -> Option<&'a TrackedIssue> {
    issues.iter().find(|i| {
        let t = i.title.to_lowercase();
        words.iter().any(|w| t.contains(w))
    })
}

impl LatencySpike {
    fn logs(&self) -> Probe {
        Probe::recent_logs([
            LogPattern::OutOfMemory,
            LogPattern::Crash,
            LogPattern::ColdStart,
        ])
    }

    fn issues(&self) -> Probe {
        Probe::TopIssues {
            lookback: Duration::from_secs(30 * 60),
            limit: 10,
        }
    }

    fn slow(&self) -> Probe {
        Probe::SlowQueries { limit: 5 }
    }

    fn health_check(&self, slo: Duration) -> Verification {
        Verification::health(self.health_path.clone())
            .with(Check::LatencyUnder {
                path: self.health_path.clone(),
                max: slo,
            })
            .with_timings(self.verification)
    }
}

impl Playbook for LatencySpike {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "Slow Performance (Latency Spike)"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        let s = &ctx.symptoms.signals;
        s.p95_latency
            .is_some_and(|p| p > ctx.thresholds.latency_slo_p95)
            || s.resource_spike
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            Probe::health(self.health_path.clone()),
            self.slow(),
            deployments_probe(),
            Probe::ServiceStatus,
            self.issues(),
            self.logs(),
            Probe::Connections,
        ]
    }

    fn assess(&self, ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let onset = ctx.onset();
        let issues = ev.tracker_issues(&self.issues());
        let mut out = Vec::new();

        // Slow queries / missing index.
        let mut slow = Scorer::new(
            NAME,
            "slow_queries",
            "slow database queries (missing index)",
        );
        if let Some((id, SlowQueries::Available(qs))) = ev.slow_queries(&self.slow())
            && let Some(q) = qs.iter().find(|q| q.mean_time >= self.slow_query)
        {
            slow = slow.raise(0.6, id).summary(format!(
                "slow query (mean {} ms over {} calls): {}",
                q.mean_time.as_millis(),
                q.calls,
                clip(&q.query, 100)
            ));
        }
        out.push(slow.build());

        // N+1 and payload size, from the tracker's performance issues.
        let mut n1 = Scorer::new(NAME, "n_plus_one", "N+1 query problem");
        let mut payload = Scorer::new(NAME, "large_payload", "large payload size");
        if let Some((id, list)) = issues {
            if let Some(i) = titled(list, &["n+1", "n + 1", "consecutive db queries"]) {
                n1 = n1.raise(0.6, id).summary(format!(
                    "N+1 query problem: {}{}",
                    i.title,
                    i.culprit
                        .as_ref()
                        .map(|c| format!(" in {c}"))
                        .unwrap_or_default()
                ));
            }
            if let Some(i) = titled(
                list,
                &["large http payload", "large render blocking", "payload"],
            ) {
                payload = payload
                    .raise(0.5, id)
                    .summary(format!("large payload: {}", i.title));
            }
        }
        out.push(n1.build());
        out.push(payload.build());

        // What rules causes out: a slow-query probe that found none, logs without memory
        // trouble.
        let no_slow_queries = match ev.slow_queries(&self.slow()) {
            Some((id, SlowQueries::Available(qs)))
                if qs.iter().all(|q| q.mean_time < self.slow_query) =>
            {
                Some(id)
            }
            _ => None,
        };
        let oom = lines(ev, &self.logs(), &LogPattern::OutOfMemory);
        let no_oom = match (&oom, ev.log_lines(&self.logs())) {
            (None, Some((id, _))) => Some(id),
            _ => None,
        };

        // Memory growth: out-of-memory lines, the process killed or exiting with them.
        let mut memory = Scorer::new(NAME, "memory_growth", "memory leak: the heap keeps growing")
            .raise_if(0.55, oom.as_ref().map(|(id, _)| *id));
        if oom.is_some() {
            memory = memory
                .raise_if(
                    0.25,
                    lines(ev, &self.logs(), &LogPattern::Crash).map(|(id, _)| id),
                )
                .raise_if(0.1, no_slow_queries);
        }
        out.push(memory.build());

        // Cold start: the server (re)started inside the window, or the service sleeps.
        let mut cold = Scorer::new(NAME, "cold_start", "cold start (first requests after idle)");
        cold = cold.raise_if(
            0.35,
            lines(ev, &self.logs(), &LogPattern::ColdStart).map(|(id, _)| id),
        );
        if let Some((id, s)) = ev.service_status(&Probe::ServiceStatus)
            && s.active_deployments
                .iter()
                .chain(s.latest_deployment.as_ref())
                .any(|d| d.status == DeploymentStatus::Sleeping)
        {
            cold = cold.raise(0.3, id);
        }
        out.push(cold.build());

        // Traffic: the database is busy with active work.
        let mut traffic = Scorer::new(NAME, "traffic", "traffic spike");
        if let Some((id, c)) = ev.connections(&Probe::Connections) {
            let total = c.counts.total().max(1);
            if f64::from(c.counts.active) / f64::from(total) >= 0.7 && c.utilisation() >= 0.7 {
                traffic = traffic.raise(0.4, id);
            }
        }
        out.push(traffic.build());

        // A deployment correlating with the onset.
        let deployments = ev.deployments(&deployments_probe());
        let mut deploy = Scorer::new(
            NAME,
            "recent_deployment",
            "a recent deployment slowed it down",
        );
        match (
            deployments,
            deployments.and_then(|(_, ds)| {
                common::recent_deployment(ds, onset, self.recent_deploy_window)
            }),
        ) {
            (Some((id, _)), Some(d)) => {
                deploy = deploy
                    .raise(0.5, id)
                    .summary(format!(
                        "deployment {} correlates with the latency spike",
                        common::describe(d)
                    ))
                    // Nothing else explains it.
                    .raise_if(0.15, no_slow_queries)
                    .raise_if(0.15, no_oom);
            }
            (Some((id, _)), None) => deploy = deploy.lower(0.8, id),
            _ => {}
        }
        out.push(deploy.build());
        out
    }

    fn plan(&self, ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        let slo = ctx.thresholds.latency_slo_p95;
        match h.cause.as_str() {
            "slow_queries" => Plan::new()
                .recommend("Identify the slow endpoint (Sentry Performance)")
                .recommend(format!(
                    "Profile it with EXPLAIN ANALYZE and add an index: {}",
                    h.summary
                )),
            "n_plus_one" => Plan::new().recommend(format!(
                "Batch or join the queries behind the N+1: {}",
                h.summary
            )),
            "large_payload" => Plan::new()
                .recommend("Optimize payload size (pagination, field selection)".to_owned()),
            "memory_growth" => {
                let mut plan = Plan::new();
                if let Some(id) = common::current_id(ev) {
                    plan = plan.mitigate(Mitigation::new(
                        h,
                        Remedy::Act(ActionKind::Restart { deployment: id }),
                        "restart to release memory",
                        self.health_check(slo),
                    ));
                }
                plan.recommend("Investigate memory leak (heap dump analysis)")
            }
            "cold_start" => Plan::new().recommend(
                "Keep an instance warm (disable app sleeping or ping it) and watch first-request \
                 latency",
            ),
            "traffic" => Plan::new().recommend("Scale instances if traffic spike"),
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
                    self.health_check(slo),
                    self.revert_verification,
                ) {
                    plan = plan.mitigate(m);
                }
                plan
            }
            _ => Plan::new(),
        }
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "Load testing before production".into(),
            "Database query profiling in CI".into(),
            "Performance budgets (Lighthouse)".into(),
            "Memory monitoring and alerts".into(),
        ]
    }
}
