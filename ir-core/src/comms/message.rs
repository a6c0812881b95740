//! The runbook's messages as typed data.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::incident::{ActionState, EventKind, Incident, Phase};
use crate::model::MessageKind;
use crate::model::StatusPageStatus;
use crate::severity::Severity;

/// One runbook message, ready to render with [`Templates::render`](super::Templates::render).
///
/// Each variant's data carries exactly what its template prints; rendering reads nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "message")]
#[non_exhaustive]
pub enum Message {
    /// `Acknowledged - investigating [incident-name]` (phase 1).
    Acknowledgement(Acknowledgement),
    /// "🚨 INCIDENT DETECTED 🚨".
    InitialNotification(InitialNotification),
    /// `INITIAL ASSESSMENT - [TIMESTAMP]` (phase 2).
    InitialAssessment(InitialAssessment),
    /// "📊 STATUS UPDATE - 15:45 UTC", every 15-30 minutes.
    StatusUpdate(StatusUpdate),
    /// `MITIGATION APPLIED - [TIMESTAMP]` (phase 3).
    MitigationApplied(MitigationApplied),
    /// `INCIDENT RESOLVED - [TIMESTAMP]`, the short phase-4 message.
    IncidentResolved(IncidentResolved),
    /// "✅ INCIDENT RESOLVED - 16:00 UTC", the full resolution notification.
    ResolutionNotification(ResolutionNotification),
    /// A customer-facing status-page update (Investigating / Identified / Monitoring /
    /// Resolved).
    StatusPage(StatusPageMessage),
}

impl Message {
    /// Which runbook message this is, as recorded in a `MessagePosted` event.
    pub fn kind(&self) -> MessageKind {
        match self {
            Self::Acknowledgement(_) => MessageKind::Acknowledgement,
            Self::InitialNotification(_) => MessageKind::InitialNotification,
            Self::InitialAssessment(_) => MessageKind::InitialAssessment,
            Self::StatusUpdate(_) => MessageKind::StatusUpdate,
            Self::MitigationApplied(_) => MessageKind::MitigationApplied,
            Self::IncidentResolved(_) => MessageKind::IncidentResolved,
            Self::ResolutionNotification(_) => MessageKind::ResolutionNotification,
            Self::StatusPage(m) => MessageKind::StatusPage(m.status),
        }
    }

    /// The name of the template that renders it (see [`Templates`](super::Templates)).
    pub fn template_name(&self) -> &'static str {
        match self {
            Self::Acknowledgement(_) => "acknowledgement",
            Self::InitialNotification(_) => "initial_notification",
            Self::InitialAssessment(_) => "initial_assessment",
            Self::StatusUpdate(_) => "status_update",
            Self::MitigationApplied(_) => "mitigation_applied",
            Self::IncidentResolved(_) => "incident_resolved",
            Self::ResolutionNotification(_) => "resolution_notification",
            Self::StatusPage(_) => "status_page",
        }
    }

    /// The template context: the message's own fields, nothing else.
    pub(crate) fn context(&self) -> minijinja::Value {
        use minijinja::value::Serde;
        match self {
            Self::Acknowledgement(m) => Serde(m).into(),
            Self::InitialNotification(m) => Serde(m).into(),
            Self::InitialAssessment(m) => Serde(m).into(),
            Self::StatusUpdate(m) => Serde(m).into(),
            Self::MitigationApplied(m) => Serde(m).into(),
            Self::IncidentResolved(m) => Serde(m).into(),
            Self::ResolutionNotification(m) => Serde(m).into(),
            Self::StatusPage(m) => Serde(m).into(),
        }
    }
}

macro_rules! into_message {
    ($($ty:ident => $variant:ident),* $(,)?) => {$(
        impl From<$ty> for Message {
            fn from(m: $ty) -> Self {
                Message::$variant(m)
            }
        }
    )*};
}

into_message! {
    Acknowledgement => Acknowledgement,
    InitialNotification => InitialNotification,
    InitialAssessment => InitialAssessment,
    StatusUpdate => StatusUpdate,
    MitigationApplied => MitigationApplied,
    IncidentResolved => IncidentResolved,
    ResolutionNotification => ResolutionNotification,
    StatusPageMessage => StatusPage,
}

/// `Acknowledged - investigating [incident-name]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// The incident's name (its title).
    pub incident_name: String,
}

impl Acknowledgement {
    /// Names the incident by its title.
    pub fn from_incident(incident: &Incident) -> Self {
        Self {
            incident_name: incident.title().to_owned(),
        }
    }
}

/// "🚨 INCIDENT DETECTED 🚨".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialNotification {
    /// Severity.
    pub severity: Severity,
    /// The affected service, e.g. `www.ainative.studio`.
    pub service: String,
    /// User impact, e.g. `Dashboard returning 500 errors for ~30% of users`.
    pub impact: String,
    /// When the incident was detected.
    pub detected_at: Timestamp,
    /// The responder, e.g. `@engineer-name`.
    pub responder: String,
    /// Status, e.g. `Investigating` (see [`phase_status`]).
    pub status: String,
    /// When the next update will be posted.
    pub next_update_at: Timestamp,
    /// The interval until then, shown as `(15 min)`.
    #[serde(with = "humantime_serde")]
    pub update_interval: Duration,
    /// The incident huddle's link; the "Join incident huddle" line is left out without one.
    pub huddle: Option<String>,
}

impl InitialNotification {
    /// Fills severity, service, detection time and status from `incident`; the next update
    /// falls one `cadence` after `now` (when this message is posted), which is when
    /// [`escalation::due`](crate::escalation::due) will ask for it.
    pub fn from_incident(
        incident: &Incident,
        now: Timestamp,
        responder: impl Into<String>,
        impact: impl Into<String>,
        cadence: Duration,
    ) -> Self {
        Self {
            severity: incident.severity(),
            service: incident.service().to_owned(),
            impact: impact.into(),
            detected_at: incident.detected_at(),
            responder: responder.into(),
            status: phase_status(incident.phase()).to_owned(),
            next_update_at: crate::clock::add(now, cadence),
            update_interval: cadence,
            huddle: None,
        }
    }

    /// Adds the incident huddle's link.
    pub fn with_huddle(mut self, link: impl Into<String>) -> Self {
        self.huddle = Some(link.into());
        self
    }
}

/// `INITIAL ASSESSMENT - [TIMESTAMP]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialAssessment {
    /// When it was posted.
    pub at: Timestamp,
    /// Severity.
    pub severity: Severity,
    /// User impact, e.g. `Dashboard returning 500 errors (~30% of users)`.
    pub impact: String,
    /// The leading hypothesis, in one line.
    pub hypothesis: String,
    /// What responders do next, e.g. `Reviewing logs, preparing rollback`.
    pub next_steps: String,
    /// Expected time to mitigation; `ETA: unknown` without one.
    #[serde(with = "humantime_serde")]
    pub eta: Option<Duration>,
}

impl InitialAssessment {
    /// Fills severity and the leading hypothesis (the most confident of the latest
    /// assessment) from `incident`.
    ///
    /// # Errors
    /// `InvalidInput` when no hypothesis has been posted yet.
    pub fn from_incident(
        incident: &Incident,
        now: Timestamp,
        impact: impl Into<String>,
        next_steps: impl Into<String>,
        eta: Option<Duration>,
    ) -> Result<Self> {
        let hypothesis = leading_hypothesis(incident).ok_or_else(|| {
            Error::invalid_input(format!(
                "incident {} has no hypothesis to assess yet",
                incident.id()
            ))
        })?;
        Ok(Self {
            at: now,
            severity: incident.severity(),
            impact: impact.into(),
            hypothesis,
            next_steps: next_steps.into(),
            eta,
        })
    }
}

/// "📊 STATUS UPDATE - 15:45 UTC".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// When it was posted.
    pub at: Timestamp,
    /// Severity.
    pub severity: Severity,
    /// How long the incident has lasted.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
    /// e.g. `Mitigation in progress` (see [`phase_status`]).
    pub current_status: String,
    /// One line per action, e.g. `Adding env var to Railway`.
    pub actions_taken: Vec<String>,
    /// e.g. `Error rate decreased from 30% to 15%`.
    pub impact: String,
    /// Expected time to resolution; `ETA to Resolution: unknown` without one.
    #[serde(with = "humantime_serde")]
    pub eta: Option<Duration>,
    /// When the next update will be posted.
    pub next_update_at: Timestamp,
}

impl StatusUpdate {
    /// Fills severity, duration, status and the actions taken from `incident`: the leading
    /// hypothesis once one is posted, then every action that was approved, with where it
    /// stands. The next update falls one `cadence` after `now`.
    pub fn from_incident(
        incident: &Incident,
        now: Timestamp,
        impact: impl Into<String>,
        eta: Option<Duration>,
        cadence: Duration,
    ) -> Self {
        Self {
            at: now,
            severity: incident.severity(),
            duration: incident.duration(now),
            current_status: phase_status(incident.phase()).to_owned(),
            actions_taken: actions_taken(incident),
            impact: impact.into(),
            eta,
            next_update_at: crate::clock::add(now, cadence),
        }
    }
}

/// `MITIGATION APPLIED - [TIMESTAMP]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MitigationApplied {
    /// When it was posted.
    pub at: Timestamp,
    /// What was done, e.g. `Rolled back deployment to commit xyz789`.
    pub action: String,
    /// What changed, e.g. `Error rate dropped from 30% to 0.5%`.
    pub status: String,
    /// e.g. `Monitor for 15 min, then root cause analysis`.
    pub next_steps: String,
}

impl MitigationApplied {
    /// Describes the actions that succeeded (in the past tense, joined by `; `).
    ///
    /// # Errors
    /// `InvalidInput` when no action has succeeded.
    pub fn from_incident(
        incident: &Incident,
        now: Timestamp,
        status: impl Into<String>,
        next_steps: impl Into<String>,
    ) -> Result<Self> {
        let done: Vec<String> = incident
            .actions()
            .filter(|r| r.state == ActionState::Succeeded)
            .map(|r| with_dry_run(r.action.kind.past_tense(), r.dry_run))
            .collect();
        if done.is_empty() {
            return Err(Error::invalid_input(format!(
                "incident {} has no successful action to report",
                incident.id()
            )));
        }
        Ok(Self {
            at: now,
            action: done.join("; "),
            status: status.into(),
            next_steps: next_steps.into(),
        })
    }
}

/// `INCIDENT RESOLVED - [TIMESTAMP]`, the short phase-4 message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentResolved {
    /// When the incident was resolved.
    pub at: Timestamp,
    /// Detection to resolution.
    #[serde(with = "humantime_serde")]
    pub total_duration: Duration,
    /// Root cause.
    pub root_cause: String,
    /// The mitigation that worked.
    pub mitigation: String,
    /// When the postmortem takes place; "to be scheduled" without one.
    pub postmortem_at: Option<Timestamp>,
}

impl IncidentResolved {
    /// Fills everything from the `Resolved` event and the latest `PostmortemScheduled` one.
    ///
    /// # Errors
    /// `InvalidInput` when the incident is not resolved.
    pub fn from_incident(incident: &Incident) -> Result<Self> {
        let r = Resolution::of(incident)?;
        Ok(Self {
            at: r.at,
            total_duration: r.total_duration,
            root_cause: r.root_cause,
            mitigation: r.mitigation,
            postmortem_at: r.postmortem_at,
        })
    }
}

/// "✅ INCIDENT RESOLVED - 16:00 UTC", the full resolution notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolutionNotification {
    /// When the incident was resolved.
    pub at: Timestamp,
    /// Severity.
    pub severity: Severity,
    /// Detection to resolution.
    #[serde(with = "humantime_serde")]
    pub total_duration: Duration,
    /// e.g. `Dashboard errors (peak 30% of users)`.
    pub user_impact: String,
    /// Root cause.
    pub root_cause: String,
    /// The mitigation that worked.
    pub mitigation: String,
    /// One `Current Status: ✅ ...` line each, e.g. `Error rate at baseline (0.3%)`.
    pub current_status: Vec<String>,
    /// When the postmortem takes place: the first next step, when known.
    pub postmortem_at: Option<Timestamp>,
    /// Further next steps, e.g. `Action items to prevent recurrence`.
    pub next_steps: Vec<String>,
    /// Responders to thank, e.g. `@engineer1`; the line is left out when empty.
    pub responders: Vec<String>,
}

impl ResolutionNotification {
    /// Fills time, severity, duration, root cause, mitigation and the postmortem date from
    /// `incident`; next steps start as `Action items to prevent recurrence`.
    ///
    /// # Errors
    /// `InvalidInput` when the incident is not resolved.
    pub fn from_incident(
        incident: &Incident,
        user_impact: impl Into<String>,
        current_status: Vec<String>,
        responders: Vec<String>,
    ) -> Result<Self> {
        let r = Resolution::of(incident)?;
        Ok(Self {
            at: r.at,
            severity: incident.severity(),
            total_duration: r.total_duration,
            user_impact: user_impact.into(),
            root_cause: r.root_cause,
            mitigation: r.mitigation,
            current_status,
            postmortem_at: r.postmortem_at,
            next_steps: vec!["Action items to prevent recurrence".to_owned()],
            responders,
        })
    }
}

/// One status-page update, e.g. "**Investigating** - 15:30 UTC".
///
/// What each status prints (the runbook's sentences, with these fields filled in):
/// - Investigating: "We are investigating reports of {`issue`}." and, with an `impact`,
///   "Users may experience {`impact`}."
/// - Identified and Monitoring: the runbook's sentence and, with an `impact`,
///   "Impact: {`impact`}."
/// - Resolved: the runbook's two sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusPageMessage {
    /// Which update.
    pub status: StatusPageStatus,
    /// When it was posted.
    pub at: Timestamp,
    /// What users report, e.g. `errors when accessing the dashboard`.
    pub issue: String,
    /// A phrase without a final period, e.g. `500 errors` (Investigating) or
    /// `~30% of dashboard requests affected`.
    pub impact: Option<String>,
}

impl StatusPageMessage {
    /// A new update.
    pub fn new(
        status: StatusPageStatus,
        at: Timestamp,
        issue: impl Into<String>,
        impact: Option<String>,
    ) -> Self {
        Self {
            status,
            at,
            issue: issue.into(),
            impact,
        }
    }
}

/// How the runbook describes an incident's status in a message, by phase: `Investigating`
/// until a cause is identified, then `Identified`, `Mitigation in progress`, `Monitoring`,
/// `Resolved`, `Closed`.
pub fn phase_status(phase: Phase) -> &'static str {
    match phase {
        Phase::Detected | Phase::Acknowledged | Phase::Investigating => "Investigating",
        Phase::Identified => "Identified",
        Phase::Mitigating => "Mitigation in progress",
        Phase::Monitoring => "Monitoring",
        Phase::Resolved => "Resolved",
        Phase::Closed => "Closed",
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn with_dry_run(line: String, dry_run: bool) -> String {
    if dry_run {
        format!("{line} (dry run, nothing changed)")
    } else {
        line
    }
}

/// The most confident hypothesis of the latest assessment, in one line.
pub(crate) fn leading_hypothesis(incident: &Incident) -> Option<String> {
    let latest = incident.assessments().last()?;
    latest
        .iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .map(|h| h.summary.clone())
}

fn actions_taken(incident: &Incident) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(h) = leading_hypothesis(incident) {
        lines.push(format!("Identified likely cause: {h}"));
    }
    for record in incident.actions() {
        let kind = &record.action.kind;
        let line = match record.state {
            ActionState::Proposed | ActionState::Rejected | ActionState::Withdrawn => continue,
            ActionState::Approved => format!("Preparing to {}", kind.describe()),
            ActionState::Started => capitalize(&format!("{} (in progress)", kind.describe())),
            ActionState::Succeeded => kind.past_tense(),
            ActionState::Failed => capitalize(&format!("{} failed", kind.describe())),
        };
        lines.push(with_dry_run(line, record.dry_run));
    }
    lines
}

struct Resolution {
    at: Timestamp,
    total_duration: Duration,
    root_cause: String,
    mitigation: String,
    postmortem_at: Option<Timestamp>,
}

impl Resolution {
    fn of(incident: &Incident) -> Result<Self> {
        let not_resolved = || {
            Error::invalid_input(format!(
                "incident {} is not resolved (phase {})",
                incident.id(),
                incident.phase()
            ))
        };
        let (root_cause, mitigation) = incident.resolution().ok_or_else(not_resolved)?;
        let at = incident.entered(Phase::Resolved).ok_or_else(not_resolved)?;
        Ok(Self {
            at,
            total_duration: incident.mttr().unwrap_or_default(),
            root_cause: root_cause.to_owned(),
            mitigation: mitigation.to_owned(),
            postmortem_at: postmortem_at(incident),
        })
    }
}

/// When the latest `PostmortemScheduled` event says the postmortem takes place.
pub(crate) fn postmortem_at(incident: &Incident) -> Option<Timestamp> {
    incident
        .timeline()
        .iter()
        .rev()
        .find_map(|e| match &e.event.kind {
            EventKind::PostmortemScheduled { at } => Some(*at),
            _ => None,
        })
}
