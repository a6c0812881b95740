//! The template set: built-in templates, overrides by name, strict rendering to plain text and
//! Slack mrkdwn.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, State, UndefinedBehavior, escape_formatter};
use serde::{Deserialize, Serialize};

use super::format::register_filters;
use super::message::{
    Acknowledgement, IncidentResolved, InitialAssessment, InitialNotification, Message,
    MitigationApplied, ResolutionNotification, StatusPageMessage, StatusUpdate,
};
use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::model::MessageKind;
use crate::model::StatusPageStatus;
use crate::ports::ChatMessage;
use crate::severity::Severity;

/// The built-in templates, by name, in the runbook's order.
const BUILTIN: [(&str, &str); 8] = [
    (
        "acknowledgement",
        include_str!("builtin/acknowledgement.j2"),
    ),
    (
        "initial_notification",
        include_str!("builtin/initial_notification.j2"),
    ),
    (
        "initial_assessment",
        include_str!("builtin/initial_assessment.j2"),
    ),
    ("status_update", include_str!("builtin/status_update.j2")),
    (
        "mitigation_applied",
        include_str!("builtin/mitigation_applied.j2"),
    ),
    (
        "incident_resolved",
        include_str!("builtin/incident_resolved.j2"),
    ),
    (
        "resolution_notification",
        include_str!("builtin/resolution_notification.j2"),
    ),
    ("status_page", include_str!("builtin/status_page.j2")),
];

const MRKDWN: &str = "mrkdwn";

/// A message rendered for posting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// Which message it is (record it in the `MessagePosted` event).
    pub kind: MessageKind,
    /// Plain text: the runbook's text. For a status-page update this is the Markdown a status
    /// page takes (the runbook's `**Investigating**`).
    pub text: String,
    /// Slack mrkdwn: headings and labels in `*bold*`, and `&`, `<`, `>` in the message's data
    /// escaped, so data can never form a link or a mention.
    pub mrkdwn: String,
}

impl Rendered {
    /// A chat message for `channel` carrying both renderings.
    pub fn to_chat_message(&self, channel: impl Into<String>) -> ChatMessage {
        ChatMessage {
            channel: channel.into(),
            text: self.text.clone(),
            mrkdwn: Some(self.mrkdwn.clone()),
        }
    }
}

/// The runbook's message templates, rendered by `minijinja`.
///
/// Every template has a stable name ([`Templates::NAMES`], [`Message::template_name`]):
///
/// | name | message | context |
/// |---|---|---|
/// | `acknowledgement` | [`Acknowledgement`] | `incident_name` |
/// | `initial_notification` | [`InitialNotification`] | `severity`, `service`, `impact`, `detected_at`, `responder`, `status`, `next_update_at`, `update_interval`, `huddle` |
/// | `initial_assessment` | [`InitialAssessment`] | `at`, `severity`, `impact`, `hypothesis`, `next_steps`, `eta` |
/// | `status_update` | [`StatusUpdate`] | `at`, `severity`, `duration`, `current_status`, `actions_taken`, `impact`, `eta`, `next_update_at` |
/// | `mitigation_applied` | [`MitigationApplied`] | `at`, `action`, `status`, `next_steps` |
/// | `incident_resolved` | [`IncidentResolved`] | `at`, `total_duration`, `root_cause`, `mitigation`, `postmortem_at` |
/// | `resolution_notification` | [`ResolutionNotification`] | `at`, `severity`, `total_duration`, `user_impact`, `root_cause`, `mitigation`, `current_status`, `postmortem_at`, `next_steps`, `responders` |
/// | `status_page` | [`StatusPageMessage`] | `status` (`investigating`, ...), `at`, `issue`, `impact` |
///
/// A template sees its message's fields and nothing else, plus `mrkdwn` (`true` while the
/// Slack rendering is produced). Timestamps arrive as RFC 3339 strings, durations as
/// `humantime` strings (`15m`), severities as `P1`; optional fields may be `none` and must be
/// guarded with `{% if %}`. Filters: `bold` (identity in plain text, `*...*` in mrkdwn),
/// `time`, `datetime`, `meeting_time`, `duration`, `duration_short`, `strftime(fmt)` (see
/// [`format`](super::format)), and minijinja's built-ins. Block tags swallow their newline
/// (`trim_blocks`, `lstrip_blocks`) and trailing whitespace is trimmed from the output.
///
/// Rendering is strict: a name that is not a field, or printing an unset optional field, is
/// an error, never a blank.
#[derive(Clone)]
pub struct Templates {
    text: Environment<'static>,
    mrkdwn: Environment<'static>,
    overridden: BTreeSet<&'static str>,
}

impl fmt::Debug for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Templates")
            .field("overridden", &self.overridden)
            .finish_non_exhaustive()
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self::builtin()
    }
}

impl Templates {
    /// Every template name, in the runbook's order.
    pub const NAMES: [&'static str; 8] = [
        BUILTIN[0].0,
        BUILTIN[1].0,
        BUILTIN[2].0,
        BUILTIN[3].0,
        BUILTIN[4].0,
        BUILTIN[5].0,
        BUILTIN[6].0,
        BUILTIN[7].0,
    ];

    /// The built-in templates, which reproduce the runbook's examples.
    pub fn builtin() -> Self {
        Self {
            text: environment(Flavour::Text),
            mrkdwn: environment(Flavour::Mrkdwn),
            overridden: BTreeSet::new(),
        }
    }

    /// The built-in source of template `name`, to start an override from.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    /// Replaces template `name` with `source`.
    ///
    /// The new template is compiled and rendered once against the runbook's example for its
    /// message, so a syntax error or a name that is not a field is caught here rather than
    /// in the middle of an incident. (A branch the example does not take is checked when it
    /// renders.)
    ///
    /// # Errors
    /// `Config` naming the template when `name` is not one of [`Templates::NAMES`], or the
    /// source does not compile or does not render.
    pub fn with_override(mut self, name: &str, source: impl Into<String>) -> Result<Self> {
        let Some(known) = Self::NAMES.iter().copied().find(|n| *n == name) else {
            return Err(Error::config(format!(
                "there is no message template named {name:?}; the templates are {}",
                Self::NAMES.join(", ")
            )));
        };
        let source = source.into();
        for env in [&mut self.text, &mut self.mrkdwn] {
            env.add_template_owned(known, source.clone())
                .map_err(|e| template_error(known, "does not compile", e))?;
        }
        self.overridden.insert(known);
        for example in examples()
            .into_iter()
            .filter(|m| m.template_name() == known)
        {
            self.render(&example)?;
        }
        Ok(self)
    }

    /// The names of the templates replaced by [`with_override`](Self::with_override).
    pub fn overridden(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.overridden.iter().copied()
    }

    /// Renders `message` as plain text and as Slack mrkdwn.
    ///
    /// # Errors
    /// `Config` naming the template when it fails to render: it names something that is not
    /// one of the message's fields, prints an unset optional field, or misuses a filter.
    pub fn render(&self, message: &Message) -> Result<Rendered> {
        let name = message.template_name();
        let context = message.context();
        Ok(Rendered {
            kind: message.kind(),
            text: render_in(&self.text, name, &context)?,
            mrkdwn: render_in(&self.mrkdwn, name, &context)?,
        })
    }
}

fn render_in(env: &Environment<'_>, name: &str, context: &Value) -> Result<String> {
    let template = env
        .get_template(name)
        .map_err(|e| template_error(name, "does not compile", e))?;
    let mut out = template
        .render(context)
        .map_err(|e| template_error(name, "failed to render", e))?;
    trim_end_in_place(&mut out);
    Ok(out)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Text,
    Mrkdwn,
}

/// A strict environment with the time and duration filters, block tags that swallow their
/// newline, and a formatter that refuses to print `none`. Shared with the postmortem.
pub(crate) fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    if let Ok(syntax) = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.set_auto_escape_callback(|_| AutoEscape::None);
    register_filters(&mut env);
    env.set_formatter(format_value);
    env
}

fn environment(flavour: Flavour) -> Environment<'static> {
    let mut env = base_environment();
    env.set_loader(|name| Ok(Templates::builtin_source(name).map(str::to_owned)));
    match flavour {
        Flavour::Text => {
            env.add_filter("bold", |value: Value| not_undefined(value));
            env.add_global("mrkdwn", false);
        }
        Flavour::Mrkdwn => {
            env.set_auto_escape_callback(|_| AutoEscape::Custom(Cow::Borrowed(MRKDWN)));
            env.add_filter("bold", |value: Value| {
                let value = not_undefined(value)?;
                Ok::<_, minijinja::Error>(Value::from_safe_string(format!(
                    "*{}*",
                    mrkdwn_text(&value)
                )))
            });
            env.add_global("mrkdwn", true);
        }
    }
    env
}

/// Trims trailing whitespace in place.
pub(crate) fn trim_end_in_place(out: &mut String) {
    out.truncate(out.trim_end().len());
}

/// A minijinja error as a `Config` error naming the template.
pub(crate) fn template_error(name: &str, what: &str, e: minijinja::Error) -> Error {
    let mut message = format!("template {name:?} {what}: {}", e.kind());
    if let Some(detail) = e.detail() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(line) = e.line() {
        message.push_str(&format!(" (line {line})"));
    }
    Error::config(message)
        .with_operation("render template")
        .with_source(e)
}

fn not_undefined(value: Value) -> Result<Value, minijinja::Error> {
    if value.is_undefined() {
        Err(minijinja::Error::new(
            minijinja::ErrorKind::UndefinedError,
            "`bold` of an undefined value",
        ))
    } else {
        Ok(value)
    }
}

/// `value` as mrkdwn: as is when marked safe (template text, `bold` output), escaped otherwise.
fn mrkdwn_text(value: &Value) -> String {
    match value.as_str() {
        Some(s) if value.is_safe() => s.to_owned(),
        Some(s) => escape_mrkdwn(s),
        None => escape_mrkdwn(&value.to_string()),
    }
}

/// Escapes the three characters Slack's mrkdwn gives meaning to.
pub(crate) fn escape_mrkdwn(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn format_value(
    out: &mut minijinja::Output<'_>,
    state: &mut State<'_, '_>,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if value.is_none() {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "printed an unset optional field (none); guard it with {% if field %}",
        ));
    }
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == MRKDWN => out
            .write_str(&mrkdwn_text(value))
            .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())),
        _ => escape_formatter(out, state, value),
    }
}

fn at(hh_mm: (u32, u32)) -> Timestamp {
    use chrono::TimeZone as _;
    chrono::Utc
        .with_ymd_and_hms(2026, 2, 8, hh_mm.0, hh_mm.1, 0)
        .single()
        .unwrap_or_default()
}

fn minutes(n: u64) -> std::time::Duration {
    std::time::Duration::from_secs(n * 60)
}

/// The runbook's example for every message (used to check overrides when they are set).
fn examples() -> Vec<Message> {
    let s = |v: &str| v.to_owned();
    let mut out = vec![
        Acknowledgement {
            incident_name: s("dashboard-500s"),
        }
        .into(),
        InitialNotification {
            severity: Severity::P1,
            service: s("www.ainative.studio"),
            impact: s("Dashboard returning 500 errors for ~30% of users"),
            detected_at: at((15, 30)),
            responder: s("@engineer-name"),
            status: s("Investigating"),
            next_update_at: at((15, 45)),
            update_interval: minutes(15),
            huddle: Some(s("[Zoom/Slack link]")),
        }
        .into(),
        InitialAssessment {
            at: at((15, 40)),
            severity: Severity::P1,
            impact: s("Dashboard returning 500 errors (~30% of users)"),
            hypothesis: s("Recent deployment (commit abc123) introduced undefined env var"),
            next_steps: s("Reviewing logs, preparing rollback"),
            eta: Some(minutes(15)),
        }
        .into(),
        StatusUpdate {
            at: at((15, 45)),
            severity: Severity::P1,
            duration: minutes(15),
            current_status: s("Mitigation in progress"),
            actions_taken: vec![
                s("Identified root cause: Missing NEXTAUTH_SECRET env var"),
                s("Adding env var to Railway"),
                s("Preparing to restart service"),
            ],
            impact: s("Error rate decreased from 30% to 15%"),
            eta: Some(minutes(10)),
            next_update_at: at((16, 0)),
        }
        .into(),
        MitigationApplied {
            at: at((15, 55)),
            action: s("Rolled back deployment to commit xyz789"),
            status: s("Error rate dropped from 30% to 0.5%"),
            next_steps: s("Monitor for 15 min, then root cause analysis"),
        }
        .into(),
        IncidentResolved {
            at: at((16, 15)),
            total_duration: minutes(45),
            root_cause: s("Missing NEXTAUTH_SECRET in Railway env vars"),
            mitigation: s("Added env var, restarted service"),
            postmortem_at: None,
        }
        .into(),
        ResolutionNotification {
            at: at((16, 0)),
            severity: Severity::P1,
            total_duration: minutes(30),
            user_impact: s("Dashboard errors (peak 30% of users)"),
            root_cause: s(
                "NEXTAUTH_SECRET environment variable not set in Railway after recent deployment",
            ),
            mitigation: s("Added NEXTAUTH_SECRET to Railway, service restarted"),
            current_status: vec![
                s("Error rate at baseline (0.3%)"),
                s("Latency p95 at 800ms (within SLO)"),
            ],
            postmortem_at: None,
            next_steps: vec![s("Action items to prevent recurrence")],
            responders: vec![s("@engineer1"), s("@engineer2")],
        }
        .into(),
    ];
    for status in [
        StatusPageStatus::Investigating,
        StatusPageStatus::Identified,
        StatusPageStatus::Monitoring,
        StatusPageStatus::Resolved,
    ] {
        out.push(
            StatusPageMessage::new(
                status,
                at((15, 30)),
                "errors when accessing the dashboard",
                Some(s("500 errors")),
            )
            .into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_renders_its_example() {
        let templates = Templates::builtin();
        let examples = examples();
        for name in Templates::NAMES {
            assert!(
                examples.iter().any(|m| m.template_name() == name),
                "no example for {name}"
            );
        }
        for message in &examples {
            let rendered = templates.render(message).unwrap();
            assert!(!rendered.text.is_empty());
            assert_eq!(rendered.text, rendered.text.trim_end());
        }
    }

    #[test]
    fn templates_can_be_shared_between_tasks() {
        fn shared<T: Send + Sync + Clone + 'static>() {}
        shared::<Templates>();
    }

    #[test]
    fn mrkdwn_escapes_only_the_three() {
        assert_eq!(
            escape_mrkdwn("<!channel> & *bold* _it_ >"),
            "&lt;!channel&gt; &amp; *bold* _it_ &gt;"
        );
    }

    #[test]
    fn debug_names_the_overrides_only() {
        let t = Templates::builtin()
            .with_override("acknowledgement", "Ack {{ incident_name }}")
            .unwrap();
        assert_eq!(
            format!("{t:?}"),
            "Templates { overridden: {\"acknowledgement\"}, .. }"
        );
    }
}
