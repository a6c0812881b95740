//! The runbook's messages as the runner sends them: what the runner knows at each step,
//! turned into [`comms`](crate::comms) messages, rendered by its templates, queued in the
//! timeline with the transition that calls for them, then delivered and their outcome
//! recorded. Pages go the same way.

use std::time::Duration;

use super::Drive;
use crate::clock::Timestamp;
use crate::comms::templates::escape_mrkdwn;
use crate::comms::{
    self, Acknowledgement, InitialAssessment, InitialNotification, Message, MitigationApplied,
    Rendered, ResolutionNotification, StatusPageMessage, StatusUpdate, Templates,
};
use crate::error::{Error, Result};
use crate::incident::{EventKind, Incident, QueuedMessage};
use crate::model::{ActionKind, Delivery, Hypothesis, MessageKind, PageOp, Role, StatusPageStatus};
use crate::ports::{MessageRef, Page, StatusPageUpdate};

/// The channel a status-page update is recorded under.
const STATUS_PAGE: &str = "status-page";
/// The channel a page is recorded under.
const PAGER: &str = "pager";

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
    /// Page `role` with `summary`.
    Page {
        role: Role,
        summary: String,
    },
    /// Acknowledge the page at the pager.
    PageAcknowledge,
    /// Resolve the page at the pager.
    PageResolve,
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
        Outgoing::Page { summary, .. } => return Ok(plain(MessageKind::Page, summary.clone())),
        Outgoing::PageAcknowledge => {
            return Ok(plain(
                MessageKind::PageAcknowledgement,
                format!("acknowledge the page for {}", incident.dedup_key()),
            ));
        }
        Outgoing::PageResolve => {
            return Ok(plain(
                MessageKind::PageResolution,
                format!("resolve the page for {}", incident.dedup_key()),
            ));
        }
    };
    templates.render(&message)
}

/// Where a message went and the provider's id of it: what `MessagePosted` records.
type Posted = (String, Option<String>);

/// What a lane of deliveries learns as it goes.
#[derive(Debug, Clone, Default)]
struct Lane {
    /// The chat thread (channel, id) replies go under.
    thread: Option<(String, String)>,
    /// The public status-page incident updates go to.
    page_incident: Option<String>,
}

/// Who the messages name as the responder: whoever acknowledged, or nobody yet.
fn responder(incident: &Incident) -> String {
    incident.acknowledged().map_or_else(
        || "unassigned (awaiting acknowledgement)".to_owned(),
        |(_, by)| by.to_owned(),
    )
}

/// A rendering with no chat formatting (a page).
fn plain(kind: MessageKind, text: String) -> Rendered {
    Rendered {
        kind,
        text,
        mrkdwn: String::new(),
    }
}

impl Drive<'_> {
    /// Where `msg` goes, or `None` when the port it needs is not configured (then it is not
    /// queued at all).
    fn delivery(&self, msg: &Outgoing) -> Option<Delivery> {
        let p = &self.r.providers;
        match msg {
            Outgoing::StatusPage(_) => p.status_page.as_ref().map(|_| Delivery::StatusPage),
            Outgoing::Page { role, .. } => p
                .pager
                .as_ref()
                .map(|_| Delivery::Pager(PageOp::Trigger { role: *role })),
            Outgoing::PageAcknowledge => p
                .pager
                .as_ref()
                .map(|_| Delivery::Pager(PageOp::Acknowledge)),
            Outgoing::PageResolve => p.pager.as_ref().map(|_| Delivery::Pager(PageOp::Resolve)),
            Outgoing::Acknowledgement
            | Outgoing::InitialNotification { .. }
            | Outgoing::InitialAssessment { .. }
            | Outgoing::StatusUpdate { .. }
            | Outgoing::MitigationApplied { .. }
            | Outgoing::Resolution { .. }
            | Outgoing::Escalation { .. } => p.chat.as_ref().map(|_| Delivery::Chat {
                channel: self.r.config.channel.clone(),
                // Everything after the initial notification is a reply in its thread.
                threaded: !matches!(
                    msg,
                    Outgoing::Acknowledgement | Outgoing::InitialNotification { .. }
                ),
            }),
        }
    }

    /// Records `events` and queues `messages` in one append (a transition and the messages
    /// it calls for are recorded together, or not at all), then delivers the messages. Each
    /// message is rendered from the incident as `events` leave it; one that cannot be
    /// rendered is noted instead.
    pub(super) async fn commit(
        &mut self,
        events: Vec<EventKind>,
        messages: Vec<Outgoing>,
    ) -> Result<()> {
        self.keep_lease().await?;
        let queued: Vec<(Outgoing, Delivery)> = messages
            .into_iter()
            .filter_map(|m| self.delivery(&m).map(|to| (m, to)))
            .collect();
        if events.is_empty() && queued.is_empty() {
            return Ok(());
        }
        let templates = &self.r.templates;
        let now = self.now();
        let render_all = |incident: &Incident| -> Vec<EventKind> {
            let responder = responder(incident);
            queued
                .iter()
                .map(
                    |(msg, to)| match render(templates, incident, now, &responder, msg) {
                        Ok(r) => EventKind::MessageQueued {
                            id: 0,
                            kind: r.kind,
                            to: to.clone(),
                            text: r.text,
                            mrkdwn: r.mrkdwn,
                        },
                        Err(e) => EventKind::note(format!("could not render a message: {e}")),
                    },
                )
                .collect()
        };
        let ids = self.journal.record_queued(events, &render_all).await?;
        self.mine.extend(ids);
        self.flush().await
    }

    /// Queues and delivers one message.
    pub(super) async fn post(&mut self, msg: Outgoing) -> Result<()> {
        self.commit(Vec::new(), vec![msg]).await
    }

    /// Takes over what a stopped run queued and did not deliver, and delivers it.
    pub(super) async fn deliver_leftovers(&mut self) -> Result<()> {
        let left: Vec<u32> = self.incident().outbox().map(|q| q.id).collect();
        if left.is_empty() {
            return Ok(());
        }
        self.journal
            .push(EventKind::note(format!(
                "{} message(s) queued by a run that stopped before delivering them are delivered \
                 now; a chat message among them may appear twice",
                left.len()
            )))
            .await?;
        self.mine.extend(left);
        self.flush().await
    }

    /// Delivers this run's queued messages and records their outcomes in one append. Each
    /// destination (chat, status page, pager) is a lane delivered in order; the lanes run at
    /// once, so a page never waits for a chat post.
    async fn flush(&mut self) -> Result<()> {
        let mine = std::mem::take(&mut self.mine);
        let queued: Vec<QueuedMessage> = self
            .incident()
            .outbox()
            .filter(|q| mine.contains(&q.id))
            .cloned()
            .collect();
        if queued.is_empty() {
            return Ok(());
        }
        let start = Lane {
            thread: self
                .incident()
                .chat_thread()
                .map(|(c, id)| (c.to_owned(), id.to_owned())),
            page_incident: self.incident().status_page_incident().map(str::to_owned),
        };
        let lane_of = |q: &QueuedMessage| match q.to {
            Delivery::Chat { .. } => 0,
            Delivery::StatusPage => 1,
            Delivery::Pager(_) => 2,
        };
        let lanes: [Vec<QueuedMessage>; 3] =
            std::array::from_fn(|n| queued.iter().filter(|q| lane_of(q) == n).cloned().collect());
        let this = &*self;
        let run = |items: Vec<QueuedMessage>| {
            let mut lane = start.clone();
            async move {
                let mut out = Vec::with_capacity(items.len());
                for q in items {
                    let result = this.deliver(&q, &mut lane).await;
                    out.push((q, result));
                }
                out
            }
        };
        let [chat, page, pager] = lanes;
        let (a, b, c) = futures::join!(run(chat), run(page), run(pager));
        let mut delivered: Vec<(QueuedMessage, Result<Posted>)> =
            a.into_iter().chain(b).chain(c).collect();
        delivered.sort_by_key(|(q, _)| q.id);
        let outcomes = delivered
            .into_iter()
            .map(|(q, result)| match result {
                Ok((channel, provider_id)) => EventKind::MessagePosted {
                    kind: q.kind,
                    channel,
                    text: q.text,
                    provider_id,
                    queued: Some(q.id),
                },
                Err(e) => {
                    tracing::warn!(incident = %self.incident().id(), message = q.id, error = %self.journal.secrets().scrub(&e.to_string()), "could not deliver a message");
                    EventKind::MessageFailed {
                        queued: q.id,
                        error: e.to_string(),
                    }
                }
            })
            .collect();
        self.journal.record(outcomes).await
    }

    /// Sends one queued message; returns the channel and provider id to record. `lane` is
    /// what the messages delivered before it told: the chat thread, the public incident.
    async fn deliver(&self, q: &QueuedMessage, lane: &mut Lane) -> Result<Posted> {
        let p = &self.r.providers;
        let unconfigured = |port: &str| Error::unsupported(format!("no {port} is configured"));
        let incident = self.incident();
        match &q.to {
            Delivery::Chat { channel, threaded } => {
                let chat = p
                    .chat
                    .as_ref()
                    .ok_or_else(|| unconfigured("ChatNotifier"))?;
                let message = Rendered {
                    kind: q.kind,
                    text: q.text.clone(),
                    mrkdwn: q.mrkdwn.clone(),
                }
                .to_chat_message(channel.clone());
                // Threaded under the initial notification as recorded in the timeline (so a
                // resumed run, or another replica, stays in it too), or as just posted.
                let thread =
                    threaded
                        .then(|| lane.thread.clone())
                        .flatten()
                        .map(|(channel, id)| MessageRef {
                            channel,
                            id: Some(id),
                        });
                let posted = match thread {
                    Some(root) => chat.reply(&root, &message).await?,
                    None => chat.post(&message).await?,
                };
                if q.kind == MessageKind::InitialNotification
                    && lane.thread.is_none()
                    && let Some(id) = &posted.id
                {
                    lane.thread = Some((posted.channel.clone(), id.clone()));
                }
                Ok((posted.channel, posted.id))
            }
            Delivery::StatusPage => {
                let page = p
                    .status_page
                    .as_ref()
                    .ok_or_else(|| unconfigured("StatusPage"))?;
                let MessageKind::StatusPage(status) = q.kind else {
                    return Err(Error::invalid_input(format!(
                        "message {} is not a status-page update",
                        q.id
                    )));
                };
                let update = StatusPageUpdate {
                    incident_key: incident.dedup_key().to_owned(),
                    title: incident.title().to_owned(),
                    status,
                    body: q.text.clone(),
                };
                // The public incident recorded earlier (this run, an earlier one, another
                // replica), so the update never opens a second one.
                let recorded = lane.page_incident.clone();
                let id = page
                    .publish_to(&update, recorded.clone())
                    .await?
                    .or(recorded);
                lane.page_incident.clone_from(&id);
                Ok((STATUS_PAGE.to_owned(), id))
            }
            Delivery::Pager(op) => {
                let pager = p.pager.as_ref().ok_or_else(|| unconfigured("Pager"))?;
                let key = incident.dedup_key();
                match op {
                    PageOp::Trigger { role } => {
                        pager
                            .trigger(&Page {
                                dedup_key: key.to_owned(),
                                role: *role,
                                summary: q.text.chars().take(1024).collect(),
                                severity: incident.severity(),
                            })
                            .await?;
                    }
                    PageOp::Acknowledge => pager.acknowledge(key).await?,
                    PageOp::Resolve => pager.resolve(key).await?,
                }
                Ok((PAGER.to_owned(), None))
            }
        }
    }

    /// Records an acknowledgement by `by` (a person, or the policy), with the runbook's
    /// "Acknowledged – investigating" and the page's acknowledgement when one was sent.
    pub(super) async fn acknowledge(&mut self, by: String) -> Result<()> {
        if self.incident().acknowledged().is_some() {
            return Ok(());
        }
        if !self.incident().phase().is_open() {
            return Err(Error::invalid_input(format!(
                "incident {} is {}; there is nothing to acknowledge",
                self.incident().id(),
                self.incident().phase()
            )));
        }
        // The runbook posts the detection first: an acknowledgement that comes before the
        // runner's first messages brings the initial notification with it.
        let mut messages = Vec::new();
        if self.initial_notification_due() {
            messages.push(Outgoing::InitialNotification {
                next_update: self.r.escalation.status_cadence,
            });
        }
        messages.push(Outgoing::Acknowledgement);
        if self.incident().escalated_roles().contains(&Role::OnCall) {
            messages.push(Outgoing::PageAcknowledge);
        }
        self.commit(vec![EventKind::Acknowledged { by }], messages)
            .await
    }
}
