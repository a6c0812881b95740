//! MTTD, MTTA, MTTR, time in phases, re-classification and SLA breaches.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{EventKind, Incident, Phase};
use crate::classify::Classification;
use crate::clock::{Timestamp, to_std};
use crate::severity::SeverityPolicy;

impl Incident {
    /// Mean time to detect: onset to detection (zero when the onset is unknown).
    pub fn mttd(&self) -> Duration {
        to_std(self.detected_at() - self.started_at())
    }

    /// Mean time to acknowledge: detection to the first acknowledgement; `None` while nobody
    /// has acknowledged. An acknowledgement by the runner's policy counts (its `by` says so:
    /// [`Incident::acknowledged`]).
    pub fn mtta(&self) -> Option<Duration> {
        self.acknowledged()
            .map(|(t, _)| to_std(t - self.detected_at()))
    }

    /// Mean time to resolve: detection to resolution.
    pub fn mttr(&self) -> Option<Duration> {
        self.entered(Phase::Resolved)
            .map(|t| to_std(t - self.detected_at()))
    }

    /// How long the incident has lasted: detection to resolution, or to `now` while open.
    pub fn duration(&self, now: Timestamp) -> Duration {
        let end = self.entered(Phase::Resolved).unwrap_or(now);
        to_std(end - self.detected_at())
    }

    /// Time spent in each phase entered so far; the current phase counts up to `now`
    /// (or to closing).
    pub fn time_in_phases(&self, now: Timestamp) -> Vec<(Phase, Duration)> {
        let mut entries: Vec<(Phase, Timestamp)> =
            self.phase_entered.iter().map(|(p, t)| (*p, *t)).collect();
        entries.sort_by_key(|(p, t)| (*t, *p));
        let mut out = Vec::with_capacity(entries.len());
        for (i, (phase, start)) in entries.iter().enumerate() {
            let end = match entries.get(i + 1) {
                Some((_, next)) => *next,
                None if *phase == Phase::Closed => *start,
                None => now.max(*start),
            };
            out.push((*phase, to_std(end - *start)));
        }
        out
    }

    /// The event recording a re-classification, when it changes the severity: an escalation
    /// (more severe) or a downgrade, with the new classification's reasons. `None` when the
    /// severity stays.
    pub fn reclassify(&self, classification: &Classification) -> Option<EventKind> {
        (classification.severity != self.severity).then(|| EventKind::SeverityChanged {
            from: self.severity,
            to: classification.severity,
            reasons: classification.reasons.clone(),
        })
    }

    /// Response targets missed (or being missed at `now`) under the current severity.
    pub fn sla_breaches(&self, policy: &SeverityPolicy, now: Timestamp) -> Vec<SlaBreach> {
        let targets = policy.targets(self.severity);
        let detected = self.detected_at();
        let mut out = Vec::new();
        let mut check = |target: SlaTarget, limit: Duration, done: Option<Timestamp>| {
            let elapsed = to_std(done.unwrap_or(now) - detected);
            if elapsed > limit {
                out.push(SlaBreach {
                    target,
                    limit,
                    elapsed,
                    met_late: done.is_some(),
                });
            }
        };
        check(
            SlaTarget::Acknowledge,
            targets.acknowledge,
            self.acknowledged().map(|(at, _)| at),
        );
        if let Some(limit) = targets.initial_assessment {
            check(
                SlaTarget::InitialAssessment,
                limit,
                self.entered(Phase::Identified),
            );
        }
        check(
            SlaTarget::Resolution,
            targets.resolution,
            self.entered(Phase::Resolved),
        );
        out
    }
}

/// Which response target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// Acknowledge.
    Acknowledge,
    /// Initial assessment (a hypothesis posted).
    InitialAssessment,
    /// Resolution.
    Resolution,
}

/// A response target that was (or is being) missed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaBreach {
    /// Which target.
    pub target: SlaTarget,
    /// The limit.
    #[serde(with = "humantime_serde")]
    pub limit: Duration,
    /// Time taken so far (or in all, when met late).
    #[serde(with = "humantime_serde")]
    pub elapsed: Duration,
    /// `true` when the step was done, late; `false` when it is still not done.
    pub met_late: bool,
}
