//! The runbook's messages as the runner sends them: what the runner knows at each step,
//! turned into [`comms`](crate::comms) messages, rendered by its templates, sent and recorded.

use std::time::Duration;

use super::Drive;
use crate::clock::Timestamp;
use crate::comms::templates::escape_mrkdwn;
use crate::comms::{
    self, Acknowledgement, InitialAssessment, InitialNotification, Message, MitigationApplied,
    Rendered, ResolutionNotification, StatusPageMessage, StatusUpdate, Templates,
};
use crate::error::Result;
use crate::incident::{EventKind, Incident};
use crate::model::MessageKind;
use crate::model::Role;
use crate::model::StatusPageStatus;
use crate::model::{ActionKind, Hypothesis};
use crate::ports::{MessageRef, StatusPageUpdate};

/// The channel a status-page update is recorded under.
const STATUS_PAGE: &str = "status-page";

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
        action: ActionKind,
        status: String,
        monitor_for: Duration,
    },
    Resolution {
        current_status: Vec<String>,
        follow_ups: Vec<String>,
    },
    StatusPage(StatusPageStatus),
    Escalation {
        role: Role,
        contacts: Vec<String>,
        reason: String,
    },
}

/// Who helped: everyone who acknowledged or approved something, the policy and the runner
/// itself aside.
fn responders(incident: &Incident, runner: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in incident.timeline() {
        let who = match &e.event.kind {
            EventKind::Acknowledged { by } | EventKind::ActionApproved { by, .. } => by,
            _ => continue,
        };
        if !who.starts_with("policy") && who != runner && !out.contains(who) {
            out.push(who.clone());
        }
    }
    out
}

/// What the log-signature evidence `h` cites says rose since the deployment, e.g. ``; E7: new
/// error signature since deploy d7: `...` (3 lines)``; empty when it cites none.
fn signature_notes(incident: &Incident, h: &Hypothesis) -> String {
    use crate::model::Observation;
    incident
        .evidence()
        .filter(|e| h.supporting.contains(&e.id))
        .filter_map(|e| match e.observation() {
            Some(Observation::LogSignatures(s)) => s.headline().map(|l| format!("; {}: {l}", e.id)),
            _ => None,
        })
        .collect()
}

/// Renders `msg` for `incident` at `now`.
///
/// # Errors
/// A template that fails to render (a user override referring to something the message does
/// not carry).
pub(crate) fn render(
    templates: &Templates,
    incident: &Incident,
    now: Timestamp,
    responder: &str,
    msg: &Outgoing,
) -> Result<Rendered> {
    let impact = incident.title().to_owned();
    let message: Message = match msg {
        Outgoing::Acknowledgement => Acknowledgement::from_incident(incident).into(),
        Outgoing::InitialNotification { next_update } => {
            InitialNotification::from_incident(incident, now, responder, impact, *next_update)
                .into()
        }
        Outgoing::InitialAssessment {
            top,
            next_steps,
            eta,
        } => {
            let hypothesis = top.as_ref().map_or_else(
                || "none yet: the evidence is inconclusive".to_owned(),
                |h| {
                    let cited: Vec<String> = h.supporting.iter().map(ToString::to_string).collect();
                    format!(
                        "{} (confidence {:.0}%, evidence {}){}",
                        h.summary,
                        h.confidence * 100.0,
                        cited.join(", "),
                        signature_notes(incident, h)
                    )
                },
            );
            InitialAssessment {
                at: now,
                severity: incident.severity(),
                impact,
                hypothesis,
                next_steps: if next_steps.is_empty() {
                    "Escalating for a decision".to_owned()
                } else {
                    next_steps.join("; ")
                },
                eta: Some(*eta),
            }
            .into()
        }
        Outgoing::StatusUpdate { next_update } => {
            StatusUpdate::from_incident(incident, now, impact, None, *next_update).into()
        }
        Outgoing::MitigationApplied {
            action,
            status,
            monitor_for,
        } => MitigationApplied {
            at: now,
            action: action.past_tense(),
            status: status.clone(),
            next_steps: format!(
                "Monitor for {}, then root cause analysis",
                comms::format::duration_long(*monitor_for)
            ),
        }
        .into(),
        Outgoing::Resolution {
            current_status,
            follow_ups,
        } => {
            let mut m = ResolutionNotification::from_incident(
                incident,
                impact,
                current_status.clone(),
                responders(incident, responder),
            )?;
            m.next_steps.extend(follow_ups.iter().cloned());
            m.into()
        }
        Outgoing::StatusPage(status) => {
            StatusPageMessage::new(*status, now, incident.title().to_lowercase(), None).into()
        }
        Outgoing::Escalation {
            role,
            contacts,
            reason,
        } => {
            // The runbook has no template for this one: one plain line.
            let text = format!(
                "Escalating {} ({}) to {role}{}: {reason}",
                incident.title(),
                incident.severity(),
                if contacts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", contacts.join(", "))
                }
            );
            return Ok(Rendered {
                kind: MessageKind::Escalation,
                mrkdwn: escape_mrkdwn(&text),
                text,
            });
        }
    };
    templates.render(&message)
}

impl Drive<'_> {
    /// Sends a message (chat or status page) and records it. A message that cannot be sent is
    /// noted, never fatal.
    pub(super) async fn post(&mut self, msg: Outgoing) -> Result<()> {
        let rendered = match render(
            &self.r.templates,
            self.incident(),
            self.now(),
            &self.r.config.actor,
            &msg,
        ) {
            Ok(r) => r,
            Err(e) => {
                return self
                    .journal
                    .push(EventKind::note(format!("could not render a message: {e}")))
                    .await;
            }
        };
        let sent = match &msg {
            Outgoing::StatusPage(status) => match &self.r.providers.status_page {
                None => return Ok(()),
                Some(page) => {
                    let update = StatusPageUpdate {
                        incident_key: self.incident().dedup_key().to_owned(),
                        title: self.incident().title().to_owned(),
                        status: *status,
                        body: rendered.text.clone(),
                    };
                    // The public incident recorded earlier (this run, an earlier one, another
                    // replica), so the update never opens a second one.
                    let recorded = self.incident().status_page_incident().map(str::to_owned);
                    page.publish_to(&update, recorded.clone())
                        .await
                        .map(|id| (STATUS_PAGE.to_owned(), id.or(recorded)))
                }
            },
            Outgoing::Acknowledgement
            | Outgoing::InitialNotification { .. }
            | Outgoing::InitialAssessment { .. }
            | Outgoing::StatusUpdate { .. }
            | Outgoing::MitigationApplied { .. }
            | Outgoing::Resolution { .. }
            | Outgoing::Escalation { .. } => match &self.r.providers.chat {
                None => return Ok(()),
                Some(chat) => {
                    let message = rendered.to_chat_message(self.r.config.channel.clone());
                    // Everything after the initial notification is a reply in its thread, as
                    // recorded in the timeline (so a resumed run stays in it too).
                    let thread = match &msg {
                        Outgoing::Acknowledgement | Outgoing::InitialNotification { .. } => None,
                        _ => self
                            .incident()
                            .chat_thread()
                            .map(|(channel, id)| MessageRef {
                                channel: channel.to_owned(),
                                id: Some(id.to_owned()),
                            }),
                    };
                    match thread {
                        Some(root) => chat.reply(&root, &message).await,
                        None => chat.post(&message).await,
                    }
                    .map(|r| (r.channel, r.id))
                }
            },
        };
        match sent {
            Ok((channel, provider_id)) => {
                self.journal
                    .push(
                        EventKind::message_posted(rendered.kind, channel, rendered.text)
                            .with_provider_id(provider_id),
                    )
                    .await
            }
            Err(e) => {
                self.journal
                    .push(EventKind::note(format!(
                        "could not post {:?}: {e}",
                        rendered.kind
                    )))
                    .await
            }
        }
    }
}
