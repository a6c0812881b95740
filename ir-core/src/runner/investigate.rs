//! Investigating: acknowledgement, diagnosis (every probe at once), the ranked assessment,
//! and, for a resumed run, the assessment read back from the timeline.

use std::sync::Arc;

use super::messages::Outgoing;
use super::{AckPolicy, Drive};
use crate::error::Result;
use crate::incident::{EventKind, Phase};
use crate::model::{Evidence, Hypothesis, StatusPageStatus};
use crate::playbook::diagnosis::diagnose;
use crate::playbook::plan::{Playbook, rank};
use crate::playbook::probe::Probe;
use crate::playbook::verify::Baseline;

impl<'r> Drive<'r> {
    pub(super) fn baseline_probe(&self) -> Probe {
        Probe::ErrorCounts {
            baseline: self.r.config.baseline_window,
            interval: self.r.config.error_interval,
        }
    }

    /// The first messages as the runbook orders them (the initial notification, the page of
    /// a P0/P1), the acknowledgement when the policy has the runner acknowledge, then the
    /// investigation with the status page's "Investigating".
    pub(super) async fn start(&mut self) -> Result<()> {
        self.handle_due().await?;
        if self.r.config.acknowledge == AckPolicy::Runner
            && self.incident().acknowledged().is_none()
        {
            let by = format!(
                "policy: acknowledged by {} (acknowledge = \"runner\")",
                self.r.config.actor
            );
            self.acknowledge(by).await?;
        }
        if matches!(
            self.incident().phase(),
            Phase::Detected | Phase::Acknowledged
        ) {
            self.commit(
                vec![EventKind::InvestigationStarted],
                vec![Outgoing::StatusPage(StatusPageStatus::Investigating)],
            )
            .await?;
        }
        Ok(())
    }

    /// The opening of a fresh incident and its diagnosis at once: the first messages, pages
    /// and the investigation's start ([`Drive::start`]) go out while every probe runs, since
    /// the assessment needs the evidence and not them. The evidence is recorded after the
    /// investigation started.
    pub(super) async fn start_and_investigate(&mut self) -> Result<()> {
        let diagnosis = self.diagnosis();
        let (started, evidence) = futures::join!(self.start(), diagnosis);
        started?;
        self.assess(evidence).await
    }

    /// The diagnosis of the incident as it stands: every probe at once. The future borrows
    /// the runner only, so the run can go on (post, record) while it is under way.
    fn diagnosis(&self) -> impl Future<Output = Vec<Evidence>> + use<'r> {
        let (probes, window) = self.probes();
        let first_id = self.incident().evidence().count() + 1;
        let r = self.r;
        diagnose(
            &r.providers,
            probes,
            window,
            &r.config.diagnosis,
            r.clock.as_ref(),
            first_id,
        )
    }

    /// The probes every applicable playbook needs (all of them when none applies), with the
    /// baseline's, and the window they look at.
    fn probes(&self) -> (Vec<Probe>, crate::playbook::probe::ProbeWindow) {
        let ctx = self.ctx();
        let mut selected: Vec<&Arc<dyn Playbook>> = self
            .r
            .playbooks
            .iter()
            .filter(|p| p.applies(&ctx))
            .collect();
        if selected.is_empty() {
            selected = self.r.playbooks.iter().collect();
        }
        let mut probes: Vec<Probe> = selected.iter().flat_map(|p| p.probes(&ctx)).collect();
        probes.push(self.baseline_probe());
        (probes, ctx.window())
    }

    /// Diagnosis and assessment, for an incident whose investigation started in a run that
    /// stopped before its evidence was recorded.
    pub(super) async fn investigate(&mut self) -> Result<()> {
        let evidence = self.diagnosis().await;
        self.assess(evidence).await
    }

    /// Records the evidence, ranks the hypotheses and posts the assessment.
    async fn assess(&mut self, evidence: Vec<Evidence>) -> Result<()> {
        self.journal
            .record(
                evidence
                    .iter()
                    .cloned()
                    .map(|evidence| EventKind::EvidenceCollected { evidence })
                    .collect(),
            )
            .await?;
        self.evidence = evidence.into_iter().collect();
        self.compute_baseline();

        let hypotheses = {
            let ctx = self.ctx();
            let all = self
                .r
                .playbooks
                .iter()
                .filter(|p| p.applies(&ctx) || !self.r.playbooks.iter().any(|q| q.applies(&ctx)))
                .flat_map(|p| p.assess(&ctx, &self.evidence))
                .collect();
            rank(all)
        };
        self.hypotheses = hypotheses.clone();
        let (next_steps, eta) = self.next_steps();
        let mut messages = vec![Outgoing::InitialAssessment {
            top: self.hypotheses.first().cloned(),
            next_steps,
            eta,
        }];
        if self
            .hypotheses
            .first()
            .is_some_and(|h| h.confidence >= self.r.config.act_threshold)
        {
            messages.push(Outgoing::StatusPage(StatusPageStatus::Identified));
        }
        self.commit(vec![EventKind::HypothesisPosted { hypotheses }], messages)
            .await
    }

    /// Evidence and hypotheses from the timeline, for a resumed run.
    pub(super) fn restore_assessment(&mut self) {
        self.evidence = self.incident().evidence().cloned().collect();
        self.hypotheses = self
            .incident()
            .assessments()
            .last()
            .map(<[Hypothesis]>::to_vec)
            .unwrap_or_default();
        self.compute_baseline();
    }

    pub(super) fn compute_baseline(&mut self) {
        let probe = self.baseline_probe();
        self.baseline = self.evidence.error_counts(&probe).and_then(|(_, buckets)| {
            Baseline::from_buckets(
                buckets,
                self.r.config.error_interval,
                self.incident().started_at(),
                self.r.config.baseline_tolerance,
            )
        });
    }

    /// The assessment's next steps, and its ETA: how long the planned mitigation's waits
    /// take (a rollback waiting for the platform, its verification's rounds) and the
    /// monitoring window after it.
    pub(super) fn next_steps(&self) -> (Vec<String>, std::time::Duration) {
        let cfg = &self.r.config;
        let ctx = self.ctx();
        let Some(top) = self.hypotheses.first() else {
            return (Vec::new(), cfg.monitor_for);
        };
        if top.confidence < cfg.act_threshold {
            return (
                vec!["evidence is ambiguous; asking the Engineering Lead".into()],
                cfg.monitor_for,
            );
        }
        let Some(pb) = self.r.playbook(&top.playbook) else {
            return (Vec::new(), cfg.monitor_for);
        };
        let plan = pb.plan(&ctx, top, &self.evidence);
        let first = plan.mitigations.first();
        let mut steps: Vec<String> = first.map(|m| m.remedy.describe()).into_iter().collect();
        steps.extend(plan.recommendations.iter().take(2).cloned());
        let eta = first.map_or(cfg.monitor_for, |m| {
            // A rollback waits at least one poll for the platform.
            let platform = match m.remedy.planned_kind() {
                crate::model::ActionKind::Rollback { .. } => cfg.rollback_wait.poll_interval,
                _ => std::time::Duration::ZERO,
            };
            platform + m.verification.interval * m.verification.consecutive.max(1) + cfg.monitor_for
        });
        (steps, eta)
    }
}
