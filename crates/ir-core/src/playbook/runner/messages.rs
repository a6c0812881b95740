//! The runbook's messages as the runner sends them. Rendering is kept here, behind
//! [`render`], so the templates can change in one place.

use std::time::Duration;

use crate::clock::{Timestamp, to_chrono};
use crate::escalation::Role;
use crate::incident::{ActionState, Incident, MessageKind};
use crate::playbook::Hypothesis;
use crate::ports::StatusPageStatus;

/// A message the runner wants sent.
#[derive(Debug, Clone)]
pub(crate) enum Outgoing {
    Acknowledgement,
    InitialNotification {
        next_update: Duration,
    },
    InitialAssessment {
        top: Option<Hypothesis>,
        next_steps: Vec<String>,
        eta: Duration,
    },
    StatusUpdate {
        next_update: Duration,
    },
    MitigationApplied {
        action: String,
        status: String,
        monitor_for: Duration,
    },
    Resolution {
        root_cause: String,
        mitigation: String,
        error_rate: String,
        latency: String,
        follow_ups: Vec<String>,
    },
    StatusPage(StatusPageStatus),
    Escalation {
        role: Role,
        contacts: Vec<String>,
        reason: String,
    },
}

/// A rendered message.
pub(crate) struct Rendered {
    pub kind: MessageKind,
    pub text: String,
}

fn hhmm(t: Timestamp) -> String {
    t.format("%H:%M UTC").to_string()
}

fn minutes(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

/// Renders `msg` for `incident` at `now`.
pub(crate) fn render(
    incident: &Incident,
    now: Timestamp,
    responder: &str,
    msg: &Outgoing,
) -> Rendered {
    let sev = incident.severity();
    let (kind, text) = match msg {
        Outgoing::Acknowledgement => (
            MessageKind::Acknowledgement,
            format!("Acknowledged - investigating {}", incident.title()),
        ),
        Outgoing::InitialNotification { next_update } => (
            MessageKind::InitialNotification,
            format!(
                "🚨 INCIDENT DETECTED 🚨\n\nSeverity: {sev}\nService: {}\nImpact: {}\nDetected: {}\nResponder: {responder}\n\nStatus: {}\nNext Update: {} ({} min)",
                incident.service(),
                incident.title(),
                incident.detected_at().format("%Y-%m-%d %H:%M UTC"),
                incident.phase(),
                hhmm(now + to_chrono(*next_update)),
                minutes(*next_update),
            ),
        ),
        Outgoing::InitialAssessment {
            top,
            next_steps,
            eta,
        } => {
            let hypothesis = top.as_ref().map_or_else(
                || "none yet: evidence inconclusive".to_owned(),
                |h| {
                    let cited: Vec<String> = h.supporting.iter().map(ToString::to_string).collect();
                    format!(
                        "{} (confidence {:.0}%, evidence {})",
                        h.summary,
                        h.confidence * 100.0,
                        cited.join(", ")
                    )
                },
            );
            (
                MessageKind::InitialAssessment,
                format!(
                    "INITIAL ASSESSMENT - {}\nSeverity: {sev}\nImpact: {}\nHypothesis: {hypothesis}\nNext Steps: {}\nETA: {} minutes",
                    hhmm(now),
                    incident.title(),
                    if next_steps.is_empty() {
                        "escalating for a decision".to_owned()
                    } else {
                        next_steps.join("; ")
                    },
                    minutes(*eta),
                ),
            )
        }
        Outgoing::StatusUpdate { next_update } => {
            let mut actions: Vec<String> = incident
                .actions()
                .map(|a| {
                    let state = match a.state {
                        ActionState::Proposed => "proposed",
                        ActionState::Approved => "approved",
                        ActionState::Rejected => "rejected",
                        ActionState::Started => "in progress",
                        ActionState::Succeeded if a.dry_run => "dry run",
                        ActionState::Succeeded => "done",
                        ActionState::Failed => "failed",
                    };
                    format!("- {} ({state})", a.action.kind.describe())
                })
                .collect();
            if let Some(h) = incident.assessments().last().and_then(|a| a.first()) {
                actions.insert(0, format!("- Leading hypothesis: {}", h.summary));
            }
            if actions.is_empty() {
                actions.push("- Investigating".into());
            }
            (
                MessageKind::StatusUpdate,
                format!(
                    "📊 STATUS UPDATE - {}\n\nSeverity: {sev}\nDuration: {} minutes\n\nCurrent Status: {}\nActions Taken:\n{}\n\nNext Update: {}",
                    hhmm(now),
                    minutes(incident.duration(now)),
                    incident.phase(),
                    actions.join("\n"),
                    hhmm(now + to_chrono(*next_update)),
                ),
            )
        }
        Outgoing::MitigationApplied {
            action,
            status,
            monitor_for,
        } => (
            MessageKind::MitigationApplied,
            format!(
                "MITIGATION APPLIED - {}\nAction: {action}\nStatus: {status}\nNext Steps: Monitor for {} min, then root cause analysis",
                hhmm(now),
                minutes(*monitor_for),
            ),
        ),
        Outgoing::Resolution {
            root_cause,
            mitigation,
            error_rate,
            latency,
            follow_ups,
        } => {
            let mut next: Vec<String> =
                vec!["- Postmortem to be scheduled within 48 hours".to_owned()];
            next.extend(follow_ups.iter().map(|f| format!("- {f}")));
            (
                MessageKind::ResolutionNotification,
                format!(
                    "✅ INCIDENT RESOLVED - {}\n\nSeverity: {sev}\nTotal Duration: {} minutes\nUser Impact: {}\n\nRoot Cause: {root_cause}\n\nMitigation: {mitigation}\n\nCurrent Status: ✅ {error_rate}\nCurrent Status: ✅ {latency}\n\nNext Steps:\n{}",
                    hhmm(now),
                    minutes(incident.duration(now)),
                    incident.title(),
                    next.join("\n"),
                ),
            )
        }
        Outgoing::StatusPage(status) => {
            let body = match status {
                StatusPageStatus::Investigating => format!(
                    "We are investigating reports of {}. Our team is actively investigating.",
                    incident.title().to_lowercase()
                ),
                StatusPageStatus::Identified => {
                    "We have identified the root cause and are implementing a fix.".to_owned()
                }
                StatusPageStatus::Monitoring => {
                    "A fix has been deployed and we are monitoring the situation.".to_owned()
                }
                StatusPageStatus::Resolved => {
                    "This incident has been resolved. All systems operational. We apologize for any inconvenience."
                        .to_owned()
                }
            };
            (
                MessageKind::StatusPage(*status),
                format!("**{}** - {}\n{body}", status.title(), hhmm(now)),
            )
        }
        Outgoing::Escalation {
            role,
            contacts,
            reason,
        } => (
            MessageKind::Escalation,
            format!(
                "Escalating {} ({sev}) to {role}{}: {reason}",
                incident.title(),
                if contacts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", contacts.join(", "))
                }
            ),
        ),
    };
    Rendered { kind, text }
}
