//! Investigating: acknowledgement, diagnosis (every probe at once), the ranked assessment,
//! and, for a resumed run, the assessment read back from the timeline.

use std::sync::Arc;

use super::Drive;
use super::messages::Outgoing;
use crate::error::Result;
use crate::incident::{EventKind, Phase};
use crate::model::{Hypothesis, StatusPageStatus};
use crate::playbook::diagnosis::diagnose;
use crate::playbook::plan::{Playbook, rank};
use crate::playbook::probe::Probe;
use crate::playbook::verify::Baseline;

impl Drive<'_> {
    pub(super) fn baseline_probe(&self) -> Probe {
        Probe::ErrorCounts {
            baseline: self.r.config.baseline_window,
            interval: self.r.config.error_interval,
        }
    }

    /// Acknowledges, starts the investigation, posts the first messages.
    pub(super) async fn start(&mut self) -> Result<()> {
        if self.incident().phase() == Phase::Detected {
            let by = self.r.config.actor.clone();
            self.journal.push(EventKind::Acknowledged { by }).await?;
            self.post(Outgoing::Acknowledgement).await?;
        }
        self.handle_due().await?;
        if self.incident().phase() == Phase::Acknowledged {
            self.journal.push(EventKind::InvestigationStarted).await?;
            self.post(Outgoing::StatusPage(StatusPageStatus::Investigating))
                .await?;
        }
        Ok(())
    }

    /// Diagnosis and assessment.
    pub(super) async fn investigate(&mut self) -> Result<()> {
        let (probes, window) = {
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
        };
        let first_id = self.incident().evidence().count() + 1;
        let evidence = diagnose(
            &self.r.providers,
            probes,
            window,
            &self.r.config.diagnosis,
            self.r.clock.as_ref(),
            first_id,
        )
        .await;
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
        self.journal
            .push(EventKind::HypothesisPosted { hypotheses })
            .await?;
        let next_steps = self.next_steps();
        self.post(Outgoing::InitialAssessment {
            top: self.hypotheses.first().cloned(),
            next_steps,
            eta: self.r.config.monitor_for,
        })
        .await?;
        if self
            .hypotheses
            .first()
            .is_some_and(|h| h.confidence >= self.r.config.act_threshold)
        {
            self.post(Outgoing::StatusPage(StatusPageStatus::Identified))
                .await?;
        }
        Ok(())
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

    pub(super) fn next_steps(&self) -> Vec<String> {
        let ctx = self.ctx();
        let Some(top) = self.hypotheses.first() else {
            return Vec::new();
        };
        if top.confidence < self.r.config.act_threshold {
            return vec!["evidence is ambiguous; asking the Engineering Lead".into()];
        }
        let Some(pb) = self.r.playbook(&top.playbook) else {
            return Vec::new();
        };
        let plan = pb.plan(&ctx, top, &self.evidence);
        let mut steps: Vec<String> = plan
            .mitigations
            .iter()
            .take(1)
            .map(|m| m.remedy.describe())
            .collect();
        steps.extend(plan.recommendations.iter().take(2).cloned());
        steps
    }
}
