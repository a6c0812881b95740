//! What several scenarios read the same way.

use std::time::Duration;

use crate::actions::short_sha;
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::EvidenceId;
use crate::model::VerificationTimings;
use crate::model::{
    Deployment, DeploymentId, DeploymentStatus, InstanceStatus, LogLine, ServiceStatus,
};
use crate::playbook::signatures::LogPattern;
use crate::playbook::{EvidenceSet, Probe};

/// The newest deployment created within `window` before `onset` (up to onset itself).
pub(crate) fn recent_deployment(
    deployments: &[Deployment],
    onset: Timestamp,
    window: Duration,
) -> Option<&Deployment> {
    let from = crate::clock::sub(onset, window);
    deployments
        .iter()
        .filter(|d| d.created_at >= from && d.created_at <= onset)
        .filter(|d| {
            !matches!(
                d.status,
                DeploymentStatus::Skipped | DeploymentStatus::Removed
            )
        })
        .max_by_key(|d| d.created_at)
}

/// Whether the platform shows replicas crashing or the latest deployment failed.
pub(crate) fn crashing(status: &ServiceStatus) -> bool {
    status.instances.iter().any(|i| {
        matches!(
            i,
            InstanceStatus::Crashed | InstanceStatus::Exited | InstanceStatus::Restarting
        )
    }) || status
        .latest_deployment
        .as_ref()
        .is_some_and(|d| d.status == DeploymentStatus::Crashed)
}

/// Lines of `probe`'s evidence that match `pattern`, with the evidence id.
pub(crate) fn lines<'a>(
    evidence: &'a EvidenceSet,
    probe: &Probe,
    pattern: &LogPattern,
) -> Option<(&'a EvidenceId, Vec<&'a LogLine>)> {
    let (id, lines) = evidence.log_lines(probe)?;
    let matched: Vec<&LogLine> = lines
        .iter()
        .filter(|l| pattern.matches(&l.message))
        .collect();
    (!matched.is_empty()).then_some((id, matched))
}

/// A deployment as people read it: `d-42 (abc1234, 15:20 UTC)`.
pub(crate) fn describe(d: &Deployment) -> String {
    match &d.commit_sha {
        Some(sha) => format!(
            "{} ({}, {})",
            d.id,
            short_sha(sha),
            d.created_at.format("%H:%M UTC")
        ),
        None => format!("{} ({})", d.id, d.created_at.format("%H:%M UTC")),
    }
}

/// The id of the current deployment, when known.
pub(crate) fn current_id(evidence: &EvidenceSet) -> Option<DeploymentId> {
    evidence
        .service_status(&Probe::ServiceStatus)
        .and_then(|(_, s)| s.current())
        .map(|d| d.id.clone())
}

/// Truncates `text` to `max` characters, with an ellipsis.
pub(crate) fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// The standard deployments probe.
pub(crate) fn deployments_probe() -> Probe {
    Probe::Deployments { limit: 10 }
}

/// The runbook's rollback choice for a bad deployment: automatic rollback to the last known
/// good deployment when there is one, else a revert pull request of the bad commit.
pub(crate) fn rollback_mitigations(
    hypothesis: &crate::model::Hypothesis,
    evidence: &EvidenceSet,
    onset: Timestamp,
    bad: Option<&Deployment>,
    base_branch: &str,
    verification: crate::model::Verification,
    revert: VerificationTimings,
) -> Vec<crate::playbook::Mitigation> {
    use crate::model::ActionKind;
    use crate::playbook::{Mitigation, Remedy};
    let mut out = Vec::new();
    let current = current_id(evidence).or_else(|| bad.map(|d| d.id.clone()));
    if let Some((_, deployments)) = evidence.deployments(&deployments_probe())
        && let Some(good) = crate::rollback::last_known_good(deployments, onset, current.as_ref())
    {
        out.push(Mitigation::new(
            hypothesis,
            Remedy::Act(ActionKind::Rollback {
                to: good.id.clone(),
                from: current.clone(),
            }),
            format!(
                "roll back to the last known good deployment {} (runbook: Automatic Rollback)",
                describe(good)
            ),
            verification.clone(),
        ));
    }
    if let Some(sha) = bad.and_then(|d| d.commit_sha.clone()) {
        out.push(Mitigation::new(
            hypothesis,
            Remedy::Act(ActionKind::OpenRevertPr {
                commit_sha: sha.clone(),
                base: base_branch.to_owned(),
            }),
            format!(
                "revert {} through a pull request (runbook: Manual Rollback)",
                short_sha(&sha)
            ),
            verification.with_timings(revert),
        ));
    }
    out
}

/// The standard "new error signatures since the current deployment" probe.
pub(crate) fn signatures_probe() -> Probe {
    Probe::new_log_signatures()
}

/// The evidence id of a new or spiking error signature since the current deployment whose
/// template or example line matches `pattern` (any rising one when `pattern` is `None`).
pub(crate) fn new_signature<'a>(
    evidence: &'a EvidenceSet,
    pattern: Option<&LogPattern>,
) -> Option<&'a EvidenceId> {
    let (id, signatures) = evidence.log_signatures(&signatures_probe())?;
    signatures
        .rising()
        .any(|s| pattern.is_none_or(|p| p.matches(&s.template) || p.matches(&s.example)))
        .then_some(id)
}

/// The runbook's timing of a revert pull request's verification: the health checks of
/// [`VerificationTimings::runbook`], within 20 minutes (a revert is reviewed, merged and
/// deployed before it can verify).
pub(crate) const fn revert_timings() -> VerificationTimings {
    let mut t = VerificationTimings::runbook();
    t.deadline = Duration::from_secs(20 * 60);
    t
}

/// Checks each named timing ([`VerificationTimings::validate`]), naming the field that fails.
pub(crate) fn validate_timings(named: &[(&str, &VerificationTimings)]) -> Result<()> {
    for (name, timings) in named {
        timings
            .validate()
            .map_err(|e| Error::config(format!("{name}: {}", e.message())))?;
    }
    Ok(())
}
