//! Scenario 6: Slow Performance (Latency Spike), p95 over the 3 s SLO.
//!
//! Causes: slow queries / missing indexes, N+1 queries, large payloads, memory growth, cold
//! starts, traffic. Most are for people (the matching recommendation); memory growth gets a
//! restart, and a deployment that correlates with the onset gets a rollback.

use std::time::Duration;

use super::common::{self, clip, deployments_probe, lines};
use crate::model::{ActionKind, Hypothesis};
use crate::model::{Check, Verification};
use crate::model::{DeploymentStatus, SlowQueries, TrackedIssue};
use crate::playbook::signatures::LogPattern;
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 6: Slow Performance (Latency Spike).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LatencySpike {
    /// A deployment this long before onset counts as correlated.
    pub recent_deploy_window: Duration,
    /// A statement slower than this on average is a suspect.
    pub slow_query: Duration,
    /// The endpoint whose latency is sampled.
    pub health_path: String,
    /// The branch reverts go into.
    pub base_branch: String,
}

impl Default for LatencySpike {
    fn default() -> Self {
        Self {
            recent_deploy_window: Duration::from_secs(2 * 60 * 60),
            slow_query: Duration::from_millis(500),
            health_path: "/health".into(),
            base_branch: "main".into(),
        }
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

    fn verification(&self, slo: Duration) -> Verification {
        Verification::health(self.health_path.clone()).with(Check::LatencyUnder {
            path: self.health_path.clone(),
            max: slo,
        })
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
                        self.verification(slo),
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
                    self.verification(slo),
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
