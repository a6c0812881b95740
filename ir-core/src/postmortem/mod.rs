//! The blameless postmortem, rendered from the incident's timeline, and the runbook's
//! post-incident checklist.
//!
//! [`Postmortem::from_incident`] reads everything the timeline knows: summary and impact
//! (from the classification), one line per event, MTTD / MTTA / MTTR against the severity's
//! targets, time in each phase, missed targets, root cause and mitigation, the hypotheses
//! considered, and what went well or should improve as far as the record shows it (targets
//! met or missed, failed actions, probes that could not reach their source). People add the
//! rest with the `with_*` methods, and the action items with their owner and due date.
//! [`Postmortem::to_markdown`] renders it with a built-in `minijinja` template;
//! [`PostmortemTemplate`] takes a replacement.
//!
//! The timeline holds no secret values (events carry fingerprints, never values), so neither
//! does the postmortem.
//!
//! ```
//! use ir_core::classify::{classify, Signals};
//! use ir_core::incident::{Event, EventKind, Incident};
//! use ir_core::model::{ChecklistItem, IncidentId};
//! use ir_core::postmortem::{ActionItem, Postmortem};
//! use ir_core::SeverityPolicy;
//!
//! let t = |m: i64| "2026-02-08T15:30:00Z".parse::<chrono::DateTime<chrono::Utc>>()
//!     .map(|t0| t0 + chrono::Duration::minutes(m));
//! let p2 = classify(&Signals { error_rate_5xx: Some(0.02), ..Signals::default() },
//!     &SeverityPolicy::runbook());
//! let mut incident = Incident::open(IncidentId::random(), "5xx",
//!     Event::new(t(0)?, "sentry", EventKind::detected("5xx spike", "web", p2, None)))?;
//! incident.record(Event::new(t(4)?, "alice", EventKind::Acknowledged { by: "alice".into() }))?;
//! incident.record(Event::new(t(5)?, "alice", EventKind::PostmortemScheduled { at: t(24 * 60)? }))?;
//!
//! let postmortem = Postmortem::from_incident(&incident, &SeverityPolicy::runbook(), t(30)?)
//!     .with_action_item(ActionItem::new("Add a canary stage", "@alice", "2026-02-20".parse()?));
//! assert_eq!(postmortem.metrics().mtta.map(|d| d.as_secs()), Some(240));
//! assert!(postmortem.checklist().is_done(ChecklistItem::SchedulePostmortem));
//! assert!(!postmortem.checklist().is_done(ChecklistItem::CreateActionItemIssues));
//!
//! let markdown = postmortem.to_markdown()?;
//! assert!(markdown.starts_with("# Postmortem: 5xx spike\n"));
//! assert!(markdown.contains("| MTTA: detection to acknowledgement | 4 minutes | 15 minutes |"));
//! assert!(markdown.contains("- [x] Schedule postmortem (within 48 hours)"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod checklist;
mod timeline;

use std::fmt;
use std::time::Duration;

use minijinja::Environment;
use minijinja::value::{Serde, Value};
use serde::{Deserialize, Serialize};

pub use checklist::{Checklist, ChecklistEntry, Done, checklist_text};
pub use timeline::TimelineEntry;

use crate::clock::{Timestamp, to_std};
use crate::comms::format::{date_time, duration_long};
use crate::comms::templates::{base_environment, template_error, trim_end_in_place};
use crate::error::{ErrorKind, Result};
use crate::incident::{EventKind, Incident, Phase, SlaBreach, SlaTarget};
use crate::model::IncidentId;
use crate::model::{EvidenceOutcome, Hypothesis};
use crate::ports::{IssueRef, NewIssue};
use crate::severity::{ResponseTargets, Severity, SeverityPolicy};

/// A follow-up from the postmortem, with its owner and due date, and its issue once filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    /// What to do.
    pub title: String,
    /// Who owns it (a chat handle or a code-host login, e.g. `@alice`).
    pub owner: String,
    /// When it is due.
    pub due: chrono::NaiveDate,
    /// The issue tracking it, once filed.
    pub issue: Option<IssueRef>,
}

impl ActionItem {
    /// A new, unfiled action item.
    pub fn new(title: impl Into<String>, owner: impl Into<String>, due: chrono::NaiveDate) -> Self {
        Self {
            title: title.into(),
            owner: owner.into(),
            due,
            issue: None,
        }
    }

    /// Records the issue that tracks it.
    pub fn with_issue(mut self, issue: IssueRef) -> Self {
        self.issue = Some(issue);
        self
    }

    /// The issue to file for it (runbook: "Create GitHub issues for each action item; assign
    /// owners and deadlines; link to postmortem document"). The owner, without a leading `@`,
    /// is the assignee.
    pub fn to_new_issue(&self, incident_title: &str, postmortem_link: Option<&str>) -> NewIssue {
        let mut body = format!(
            "Action item from the postmortem of \"{incident_title}\".\n\nOwner: {}\nDue: {}\n",
            self.owner, self.due
        );
        if let Some(link) = postmortem_link {
            body.push_str(&format!("Postmortem: {link}\n"));
        }
        NewIssue {
            title: self.title.clone(),
            body,
            labels: vec!["postmortem".to_owned(), "action-item".to_owned()],
            assignees: vec![self.owner.trim_start_matches('@').to_owned()],
        }
    }
}

/// Time spent in one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// The phase.
    pub phase: Phase,
    /// How long.
    #[serde(with = "humantime_serde")]
    pub duration: Duration,
}

/// How fast the response was, against the severity's targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseMetrics {
    /// Onset to detection (zero when the onset is unknown).
    #[serde(with = "humantime_serde")]
    pub mttd: Duration,
    /// Detection to acknowledgement; `None` when nobody acknowledged.
    #[serde(with = "humantime_serde")]
    pub mtta: Option<Duration>,
    /// Who acknowledged (`policy: ...` when the runner did, by policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_by: Option<String>,
    /// Whether the acknowledgement was the runner's, by policy (MTTA then measures the runner,
    /// not people).
    #[serde(default)]
    pub acknowledged_by_policy: bool,
    /// Detection to the first hypothesis (the initial assessment).
    #[serde(with = "humantime_serde")]
    pub assessment: Option<Duration>,
    /// Detection to resolution.
    #[serde(with = "humantime_serde")]
    pub mttr: Option<Duration>,
    /// The targets of the incident's (final) severity.
    pub targets: ResponseTargets,
    /// Time in each phase entered, in order.
    pub phases: Vec<PhaseTime>,
    /// Targets missed.
    pub sla_breaches: Vec<SlaBreach>,
}

/// A blameless postmortem of one incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Postmortem {
    incident_id: IncidentId,
    title: String,
    service: String,
    severity: Severity,
    phase: Phase,
    started_at: Option<Timestamp>,
    detected_at: Timestamp,
    resolved_at: Option<Timestamp>,
    #[serde(with = "humantime_serde")]
    duration: Duration,
    summary: String,
    impact: String,
    timeline: Vec<TimelineEntry>,
    metrics: ResponseMetrics,
    root_cause: Option<String>,
    mitigation: Option<String>,
    hypotheses: Vec<Hypothesis>,
    went_well: Vec<String>,
    to_improve: Vec<String>,
    not_checked: Vec<String>,
    action_items: Vec<ActionItem>,
    #[serde(skip)]
    timeline_checklist: Checklist,
}

impl Postmortem {
    /// Everything the incident's timeline says, as of `now` (which only matters while the
    /// incident is still open).
    pub fn from_incident(incident: &Incident, policy: &SeverityPolicy, now: Timestamp) -> Self {
        let severity = incident.severity();
        let targets = *policy.targets(severity);
        let detected_at = incident.detected_at();
        let since_detection = |t: Timestamp| to_std(t - detected_at);
        let metrics = ResponseMetrics {
            mttd: incident.mttd(),
            mtta: incident.mtta(),
            acknowledged_by: incident.acknowledged().map(|(_, by)| by.to_owned()),
            acknowledged_by_policy: incident
                .acknowledged()
                .is_some_and(|(_, by)| by.starts_with("policy:")),
            assessment: incident.entered(Phase::Identified).map(since_detection),
            mttr: incident.mttr(),
            targets,
            phases: incident
                .time_in_phases(now)
                .into_iter()
                .map(|(phase, duration)| PhaseTime { phase, duration })
                .collect(),
            sla_breaches: incident.sla_breaches(policy, now),
        };
        let resolution = incident.resolution();
        let mut hypotheses: Vec<Hypothesis> = incident
            .assessments()
            .last()
            .map(<[_]>::to_vec)
            .unwrap_or_default();
        hypotheses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        // Known even when it equals detection: that is an MTTD of zero, not an unknown onset.
        let started_at = incident.onset();
        let resolved_at = incident.entered(Phase::Resolved);
        let duration = incident.duration(now);
        Self {
            incident_id: incident.id(),
            title: incident.title().to_owned(),
            service: incident.service().to_owned(),
            severity,
            phase: incident.phase(),
            started_at,
            detected_at,
            resolved_at,
            duration,
            summary: default_summary(incident, resolved_at, duration),
            impact: default_impact(incident),
            timeline: incident
                .timeline()
                .iter()
                .map(|e| TimelineEntry::describe(incident, e))
                .collect(),
            went_well: went_well(incident, &metrics),
            to_improve: to_improve(incident, &metrics),
            not_checked: not_checked(incident),
            metrics,
            root_cause: resolution.map(|(cause, _)| cause.to_owned()),
            mitigation: resolution.map(|(_, mitigation)| mitigation.to_owned()),
            hypotheses,
            action_items: Vec::new(),
            timeline_checklist: Checklist::from_incident(incident),
        }
    }

    /// Replaces the summary (by default: what, where, when, how long).
    pub fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// Replaces the impact (by default: the classification's reasons and every severity
    /// change).
    pub fn with_impact(mut self, impact: impl Into<String>) -> Self {
        self.impact = impact.into();
        self
    }

    /// Replaces the root cause (by default: the `Resolved` event's).
    pub fn with_root_cause(mut self, root_cause: impl Into<String>) -> Self {
        self.root_cause = Some(root_cause.into());
        self
    }

    /// Adds something that went well.
    pub fn with_went_well(mut self, item: impl Into<String>) -> Self {
        self.went_well.push(item.into());
        self
    }

    /// Adds something to improve.
    pub fn with_to_improve(mut self, item: impl Into<String>) -> Self {
        self.to_improve.push(item.into());
        self
    }

    /// Adds an action item.
    pub fn with_action_item(mut self, item: ActionItem) -> Self {
        self.action_items.push(item);
        self
    }

    /// The incident's id.
    pub fn incident_id(&self) -> IncidentId {
        self.incident_id
    }

    /// The incident's title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The summary.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The impact.
    pub fn impact(&self) -> &str {
        &self.impact
    }

    /// One entry per timeline event, in order.
    pub fn timeline(&self) -> &[TimelineEntry] {
        &self.timeline
    }

    /// MTTD, MTTA, MTTR, time in phases, missed targets.
    pub fn metrics(&self) -> &ResponseMetrics {
        &self.metrics
    }

    /// The root cause, once known.
    pub fn root_cause(&self) -> Option<&str> {
        self.root_cause.as_deref()
    }

    /// The mitigation that worked, once resolved.
    pub fn mitigation(&self) -> Option<&str> {
        self.mitigation.as_deref()
    }

    /// The latest assessment's hypotheses, most confident first.
    pub fn hypotheses(&self) -> &[Hypothesis] {
        &self.hypotheses
    }

    /// What went well: what the timeline shows, then what people added.
    pub fn went_well(&self) -> &[String] {
        &self.went_well
    }

    /// What to improve: what the timeline shows, then what people added.
    pub fn to_improve(&self) -> &[String] {
        &self.to_improve
    }

    /// What the diagnosis could not ask because its port is not configured (or the provider
    /// does not support it), one line per source: a fact of the setup, kept apart from
    /// [`to_improve`](Self::to_improve).
    pub fn not_checked(&self) -> &[String] {
        &self.not_checked
    }

    /// The action items.
    pub fn action_items(&self) -> &[ActionItem] {
        &self.action_items
    }

    /// The action items, to record their issues once filed.
    pub fn action_items_mut(&mut self) -> &mut [ActionItem] {
        &mut self.action_items
    }

    /// The post-incident checklist: what the timeline shows done, and "Create GitHub issues
    /// for action items" once every action item has its issue.
    pub fn checklist(&self) -> Checklist {
        self.timeline_checklist
            .clone()
            .with_action_items(&self.action_items)
    }

    /// The postmortem as Markdown, by the built-in template.
    ///
    /// # Errors
    /// `Config` if the template fails to render (it does not with the built-in template).
    pub fn to_markdown(&self) -> Result<String> {
        PostmortemTemplate::builtin().render(self)
    }
}

fn default_summary(
    incident: &Incident,
    resolved_at: Option<Timestamp>,
    duration: Duration,
) -> String {
    let severity = incident.severity();
    let mut summary = format!(
        "{} on {}: a {severity} ({}) incident, detected {}",
        incident.title(),
        incident.service(),
        severity.title(),
        date_time(incident.detected_at()),
    );
    match resolved_at {
        Some(at) => summary.push_str(&format!(
            " and resolved {} after {}.",
            date_time(at),
            duration_long(duration)
        )),
        None => summary.push_str(&format!(
            ", still {} after {}.",
            incident.phase().as_str().to_lowercase(),
            duration_long(duration)
        )),
    }
    summary
}

fn default_impact(incident: &Incident) -> String {
    let initial = incident.initial_classification();
    let mut lines = vec![format!(
        "Classified {} ({}) at detection:",
        initial.severity,
        initial.severity.title()
    )];
    lines.extend(initial.reasons.iter().map(|r| format!("- {r}")));
    for e in incident.timeline() {
        if let EventKind::SeverityChanged { from, to, reasons } = &e.event.kind {
            let why: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            let mut line = format!(
                "- {}: severity changed from {from} to {to}",
                crate::comms::format::clock_time(e.event.at)
            );
            if !why.is_empty() {
                line.push_str(&format!(" ({})", why.join("; ")));
            }
            lines.push(line);
        }
    }
    lines.join("\n")
}

fn within(what: &str, took: Duration, target: Duration) -> Option<String> {
    (took <= target).then(|| {
        format!(
            "{what} in {} (target {}).",
            duration_long(took),
            duration_long(target)
        )
    })
}

fn went_well(incident: &Incident, m: &ResponseMetrics) -> Vec<String> {
    let mut out = Vec::new();
    // An acknowledgement by the runner's policy says nothing of how fast people responded.
    if let Some(took) = m.mtta.filter(|_| !m.acknowledged_by_policy) {
        out.extend(within("Acknowledged", took, m.targets.acknowledge));
    }
    if let (Some(took), Some(target)) = (m.assessment, m.targets.initial_assessment) {
        out.extend(within("First assessment posted", took, target));
    }
    if let Some(took) = m.mttr {
        out.extend(within("Resolved", took, m.targets.resolution));
    }
    let mut sources: Vec<&str> = Vec::new();
    let mut observed = 0;
    for evidence in incident.evidence() {
        if matches!(evidence.outcome, EvidenceOutcome::Observed { .. }) {
            observed += 1;
            if !sources.contains(&evidence.source.as_str()) {
                sources.push(&evidence.source);
            }
        }
    }
    if observed > 0 {
        out.push(format!(
            "Diagnosis gathered {observed} piece{} of evidence from {}.",
            if observed == 1 { "" } else { "s" },
            sources.join(", ")
        ));
    }
    if let Some(summary) = incident
        .timeline()
        .iter()
        .find_map(|e| match &e.event.kind {
            EventKind::MitigationVerified { summary } => Some(summary),
            _ => None,
        })
    {
        out.push(format!(
            "The mitigation was verified before the incident was resolved: {}.",
            timeline::one_line(summary)
        ));
    }
    out
}

fn target_text(target: SlaTarget) -> &'static str {
    match target {
        SlaTarget::Acknowledge => "Acknowledgement",
        SlaTarget::InitialAssessment => "The initial assessment",
        SlaTarget::Resolution => "Resolution",
    }
}

fn to_improve(incident: &Incident, m: &ResponseMetrics) -> Vec<String> {
    let mut out = Vec::new();
    for breach in &m.sla_breaches {
        let what = target_text(breach.target);
        out.push(if breach.met_late {
            format!(
                "{what} took {}; the target is {}.",
                duration_long(breach.elapsed),
                duration_long(breach.limit)
            )
        } else {
            format!(
                "{what} was still not done after {}; the target is {}.",
                duration_long(breach.elapsed),
                duration_long(breach.limit)
            )
        });
    }
    if !m.mttd.is_zero() {
        out.push(format!(
            "The problem began {} before it was detected.",
            duration_long(m.mttd)
        ));
    }
    for e in incident.timeline() {
        match &e.event.kind {
            // `error` is the error's `Display`, which names its kind.
            EventKind::ActionFailed { key, error, .. } => {
                let what = incident
                    .action(key)
                    .map_or_else(|| key.to_string(), |r| r.action.kind.describe());
                out.push(format!(
                    "Mitigation \"{what}\" failed: {}.",
                    timeline::one_line(error)
                ));
            }
            EventKind::VerificationFailed { summary } => {
                out.push(format!(
                    "A mitigation did not verify: {}.",
                    timeline::one_line(summary)
                ));
            }
            // A source that is not configured is a fact of the setup: see `not_checked`.
            EventKind::EvidenceCollected { evidence } => {
                if let EvidenceOutcome::Unavailable { kind, message } = &evidence.outcome
                    && *kind != ErrorKind::Unsupported
                {
                    out.push(format!(
                        "Probe {} could not get evidence from {}: {}.",
                        evidence.probe,
                        evidence.source,
                        timeline::one_line(message)
                    ));
                }
            }
            _ => {}
        }
    }
    out
}

/// The sources the diagnosis could not ask (`Unsupported`: no port configured, or a provider
/// that cannot answer that question), one line per source and reason, naming its probes:
/// `errors: no ErrorTracker is configured (new_issues[30m], top_issues[30m,10])`.
fn not_checked(incident: &Incident) -> Vec<String> {
    let mut groups: Vec<(String, String, Vec<String>)> = Vec::new();
    for evidence in incident.evidence() {
        let EvidenceOutcome::Unavailable {
            kind: ErrorKind::Unsupported,
            message,
        } = &evidence.outcome
        else {
            continue;
        };
        // The error's `Display` starts with its kind when it names no provider.
        let why = timeline::one_line(message);
        let why = why
            .strip_prefix(ErrorKind::Unsupported.as_str())
            .and_then(|rest| rest.strip_prefix(": "))
            .map_or(why.clone(), str::to_owned);
        match groups
            .iter_mut()
            .find(|(source, reason, _)| *source == evidence.source && *reason == why)
        {
            Some((_, _, probes)) => {
                if !probes.contains(&evidence.probe) {
                    probes.push(evidence.probe.clone());
                }
            }
            None => groups.push((evidence.source.clone(), why, vec![evidence.probe.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(source, why, probes)| format!("{source}: {why} ({}).", probes.join(", ")))
        .collect()
}

/// The Markdown template a postmortem renders with.
///
/// The built-in one ([`PostmortemTemplate::BUILTIN`]) writes: a header table, Summary,
/// Impact, Timeline, Response (MTTD / MTTA / initial assessment / MTTR against their
/// targets, time in each phase, missed targets), Root cause, What went well, What to
/// improve, Not checked (not configured; only when something was not), Action items (owner,
/// due date, issue) and the post-incident checklist.
///
/// A replacement sees the postmortem's fields: `incident_id`, `title`, `service`, `severity`,
/// `severity_title`, `phase`, `started_at`, `detected_at`, `resolved_at`, `duration`,
/// `summary`, `impact`, `timeline` (`seq`, `at`, `actor`, `event`, `text`), `metrics` (`mttd`,
/// `mtta`, `assessment`, `mttr`, `targets`, `phases`, `sla_breaches`), `root_cause`,
/// `mitigation`, `hypotheses`, `went_well`, `to_improve`, `not_checked`, `action_items` (`title`, `owner`,
/// `due`, `issue`), and `checklist` (`item`, `text`, `done`). Rendering is strict, and it
/// has the filters of [`comms::Templates`](crate::comms::Templates) (`time`, `datetime`,
/// `duration`, `strftime`, ...) plus `md_cell`, which makes text safe for a Markdown table
/// cell.
#[derive(Clone)]
pub struct PostmortemTemplate {
    env: Environment<'static>,
    custom: bool,
}

impl fmt::Debug for PostmortemTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostmortemTemplate")
            .field("custom", &self.custom)
            .finish_non_exhaustive()
    }
}

impl Default for PostmortemTemplate {
    fn default() -> Self {
        Self::builtin()
    }
}

const NAME: &str = "postmortem";

impl PostmortemTemplate {
    /// The built-in template's source, to start a replacement from.
    pub const BUILTIN: &'static str = include_str!("postmortem.md.j2");

    fn environment() -> Environment<'static> {
        let mut env = base_environment();
        env.add_filter("md_cell", |text: &str| {
            timeline::one_line(text).replace('|', "\\|")
        });
        env
    }

    /// The built-in template.
    pub fn builtin() -> Self {
        let mut env = Self::environment();
        env.set_loader(|name| Ok((name == NAME).then(|| Self::BUILTIN.to_owned())));
        Self { env, custom: false }
    }

    /// A template from `source`.
    ///
    /// # Errors
    /// `Config` when it does not compile.
    pub fn from_source(source: impl Into<String>) -> Result<Self> {
        let mut env = Self::environment();
        env.add_template_owned(NAME, source.into())
            .map_err(|e| template_error(NAME, "does not compile", e))?;
        Ok(Self { env, custom: true })
    }

    /// Renders `postmortem` as Markdown, ending in one newline.
    ///
    /// # Errors
    /// `Config` naming the template when it names something the postmortem does not have,
    /// prints an unset optional field, or misuses a filter.
    pub fn render(&self, postmortem: &Postmortem) -> Result<String> {
        #[derive(Serialize)]
        struct Context<'a> {
            #[serde(flatten)]
            postmortem: &'a Postmortem,
            severity_title: &'static str,
            checklist: Vec<ChecklistEntry>,
        }
        let context = Value::from(Serde(Context {
            postmortem,
            severity_title: postmortem.severity.title(),
            checklist: postmortem.checklist().entries().to_vec(),
        }));
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| template_error(NAME, "does not compile", e))?;
        let mut out = template
            .render(context)
            .map_err(|e| template_error(NAME, "failed to render", e))?;
        trim_end_in_place(&mut out);
        out.push('\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_can_be_shared_between_tasks() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<PostmortemTemplate>();
    }
}
