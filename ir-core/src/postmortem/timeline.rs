//! One line of text per timeline event.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::comms::format::date_time;
use crate::incident::{EventKind, Incident, RecordedEvent};
use crate::model::{EvidenceOutcome, IdempotencyKey};
use crate::model::{Flag, MessageKind};

use super::checklist::checklist_text;

/// One event of the timeline, as the postmortem shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Position in the timeline (1-based).
    pub seq: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (a person or a component).
    pub actor: String,
    /// The event's type name, e.g. `action_succeeded`.
    pub event: String,
    /// What happened, in one line.
    pub text: String,
}

impl TimelineEntry {
    /// Describes `recorded`, looking actions up in `incident` by key.
    pub fn describe(incident: &Incident, recorded: &RecordedEvent) -> Self {
        Self {
            seq: recorded.seq,
            at: recorded.event.at,
            actor: one_line(&recorded.event.actor),
            event: recorded.event.kind.name().to_owned(),
            text: one_line(&describe(incident, &recorded.event.kind)),
        }
    }
}

/// Collapses line breaks and runs of whitespace so an entry is one line.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn action(incident: &Incident, key: &IdempotencyKey) -> String {
    incident
        .action(key)
        .map_or_else(|| format!("action {key}"), |r| r.action.kind.describe())
}

fn describe(incident: &Incident, kind: &EventKind) -> String {
    match kind {
        EventKind::Detected {
            title,
            service,
            classification,
            ..
        } => {
            let reasons: Vec<String> = classification
                .deciding_reasons()
                .map(ToString::to_string)
                .collect();
            format!(
                "Detected \"{title}\" on {service} as {} ({})",
                classification.severity,
                reasons.join("; ")
            )
        }
        EventKind::Acknowledged { by } => format!("Acknowledged by {by}"),
        EventKind::InvestigationStarted => "Investigation started".to_owned(),
        EventKind::SeverityChanged { from, to, reasons } => {
            let direction = if to > from { "Escalated" } else { "Downgraded" };
            let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            if reasons.is_empty() {
                format!("{direction} from {from} to {to}")
            } else {
                format!("{direction} from {from} to {to}: {}", reasons.join("; "))
            }
        }
        EventKind::CommanderAssigned { who } => format!("{who} designated incident commander"),
        EventKind::Flagged { flag } => format!("Flagged: {}", flag_text(*flag)),
        // The summary says what was seen; an unavailable one quotes the error's `Display`,
        // which names its kind already.
        EventKind::EvidenceCollected { evidence } => match &evidence.outcome {
            EvidenceOutcome::Observed { .. } => format!(
                "Evidence {} from {} ({}): {}",
                evidence.id,
                evidence.probe,
                evidence.source,
                evidence.summary()
            ),
            EvidenceOutcome::Unavailable { .. } => format!(
                "Evidence {} from {} ({}) {}",
                evidence.id,
                evidence.probe,
                evidence.source,
                evidence.summary()
            ),
        },
        EventKind::HypothesisPosted { hypotheses } => {
            let mut ranked: Vec<_> = hypotheses.iter().collect();
            ranked.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
            match ranked.split_first() {
                None => "Assessment posted: no hypothesis".to_owned(),
                Some((top, rest)) => {
                    let more = if rest.is_empty() {
                        String::new()
                    } else {
                        format!(" (+{} more)", rest.len())
                    };
                    format!(
                        "Assessment posted: {} ({:.0}% confidence){more}",
                        top.summary,
                        top.confidence * 100.0
                    )
                }
            }
        }
        EventKind::ActionProposed { action, .. } => format!(
            "Proposed: {} ({} risk)",
            action.kind.describe(),
            format!("{:?}", action.risk).to_lowercase()
        ),
        EventKind::ActionApproved { key, by } => {
            format!("Approved: {} (by {by})", action(incident, key))
        }
        EventKind::ActionRejected { key, by, reason } => {
            format!("Rejected: {} (by {by}): {reason}", action(incident, key))
        }
        EventKind::ActionStarted { key, dry_run } => {
            let dry = if *dry_run { " (dry run)" } else { "" };
            format!("Started: {}{dry}", action(incident, key))
        }
        EventKind::ActionSucceeded { key, detail } => {
            format!("Succeeded: {}: {detail}", action(incident, key))
        }
        // `error` is the error's `Display`, which names its kind.
        EventKind::ActionFailed { key, error, .. } => {
            format!("Failed: {}: {error}", action(incident, key))
        }
        EventKind::MitigationVerified { summary } => format!("Mitigation verified: {summary}"),
        EventKind::VerificationFailed { summary } => format!("Verification failed: {summary}"),
        EventKind::MessagePosted { kind, channel, .. } => {
            format!("Posted {} to {channel}", message_text(*kind))
        }
        EventKind::ActionWithdrawn { key, reason } => {
            format!("Withdrawn: {}: {reason}", action(incident, key))
        }
        // The intent is in the timeline for recovery; what people read is its outcome.
        EventKind::MessageQueued { kind, .. } => format!("Queued {}", message_text(*kind)),
        EventKind::MessageFailed { queued, error } => {
            format!("Could not deliver message {queued}: {error}")
        }
        EventKind::Escalated { role, reason } => {
            format!("Escalated to {}: {reason}", role.title())
        }
        EventKind::Resolved {
            root_cause,
            mitigation,
        } => format!("Resolved. Root cause: {root_cause}. Mitigation: {mitigation}"),
        EventKind::PostmortemScheduled { at } => {
            format!("Postmortem scheduled for {}", date_time(*at))
        }
        EventKind::ChecklistItemDone { item } => format!("Done: {}", checklist_text(*item)),
        EventKind::Closed => "Closed".to_owned(),
        EventKind::Recommended {
            cause,
            recommendations,
            ..
        } => format!("Recommended ({cause}): {}", recommendations.join("; ")),
        EventKind::Note { text } => format!("Note: {text}"),
    }
}

fn flag_text(flag: Flag) -> &'static str {
    match flag {
        Flag::Security => "security incident",
        Flag::PublicCommunication => "public communication needed",
        Flag::FeatureDisable => "a feature must be disabled",
        Flag::UserCommunication => "users must be told",
        Flag::MitigationUncertain => "mitigation approach uncertain",
    }
}

/// The runbook's name for a message, e.g. `the initial notification`.
pub(crate) fn message_text(kind: MessageKind) -> String {
    match kind {
        MessageKind::Acknowledgement => "the acknowledgement".to_owned(),
        MessageKind::InitialNotification => "the initial notification".to_owned(),
        MessageKind::InitialAssessment => "the initial assessment".to_owned(),
        MessageKind::StatusUpdate => "a status update".to_owned(),
        MessageKind::MitigationApplied => "\"mitigation applied\"".to_owned(),
        MessageKind::IncidentResolved => "\"incident resolved\"".to_owned(),
        MessageKind::ResolutionNotification => "the resolution notification".to_owned(),
        MessageKind::StatusPage(status) => format!("status page \"{}\"", status.title()),
        MessageKind::Escalation => "an escalation".to_owned(),
        MessageKind::ThankResponders => "thanks to the responders".to_owned(),
        MessageKind::Page => "a page".to_owned(),
        MessageKind::PageAcknowledgement => "the page's acknowledgement".to_owned(),
        MessageKind::PageResolution => "the page's resolution".to_owned(),
        MessageKind::Other => "a message".to_owned(),
    }
}
