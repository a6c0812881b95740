//! Scenario 5: High Error Rate (5xx Spikes), over the 1 % SLO.
//!
//! Causes: a recent deployment (roll back), a third-party API failing (Stripe, GitHub, Strapi
//! named in the errors: disable its feature flag, recommend a circuit breaker), database query
//! timeouts (the slow queries, for people), a memory/CPU spike (restart, investigate).

use std::collections::BTreeMap;
use std::time::Duration;

use super::common::{self, clip, deployments_probe, lines};
use crate::model::SlowQueries;
use crate::model::{ActionKind, EvidenceId, Hypothesis};
use crate::model::{Check, Verification};
use crate::playbook::signatures::{LogPattern, ThirdParty, is_third_party_failure};
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 5: High Error Rate (5xx Spikes).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ErrorSpike {
    /// A deployment this long before onset counts as recent.
    pub recent_deploy_window: Duration,
    /// The feature flag (a variable set to `false`) that turns off each third party's feature.
    pub feature_flags: BTreeMap<ThirdParty, String>,
    /// A statement slower than this on average is worth naming.
    pub slow_query: Duration,
    /// The branch reverts go into.
    pub base_branch: String,
    /// The health endpoint.
    pub health_path: String,
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
        }
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

    fn verification(&self) -> Verification {
        Verification::health(self.health_path.clone()).with(Check::ErrorRateAtBaseline {
            interval: Duration::from_secs(5 * 60),
        })
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
                    self.verification(),
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
                        self.verification(),
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
                        self.verification(),
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
