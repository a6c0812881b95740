//! The runbook's messages: typed data rendered by `minijinja` templates a user may override.
//!
//! Each runbook message is a struct of plain data ([`InitialNotification`], [`StatusUpdate`],
//! ...), wrapped in a [`Message`]. [`Templates::render`] turns it into a [`Rendered`]: the
//! runbook's plain text, and Slack mrkdwn with the headings and labels in bold and the data
//! escaped. Rendering is strict: a template that names something the message does not carry
//! is an error, never a blank, and a template sees only its message's fields, so nothing else
//! (a secret, an environment variable) can reach a message.
//!
//! ```
//! use std::time::Duration;
//! use ir_core::classify::{classify, Signals};
//! use ir_core::comms::{InitialNotification, Message, Templates};
//! use ir_core::incident::{Event, EventKind, Incident};
//! use ir_core::model::IncidentId;
//! use ir_core::SeverityPolicy;
//!
//! let t0: chrono::DateTime<chrono::Utc> = "2026-02-08T15:30:00Z".parse()?;
//! let p1 = classify(&Signals { pool_exhausted: true, ..Signals::default() }, &SeverityPolicy::runbook());
//! let incident = Incident::open(IncidentId::random(), "pool", Event::new(
//!     t0, "watcher", EventKind::detected("Pool exhausted", "www.ainative.studio", p1, None)))?;
//!
//! let message = InitialNotification::from_incident(
//!     &incident, t0, "@engineer-name", "API requests timing out", Duration::from_secs(15 * 60));
//! let templates = Templates::builtin();
//! let rendered = templates.render(&Message::from(message))?;
//! assert!(rendered.text.starts_with("🚨 INCIDENT DETECTED 🚨\n\nSeverity: P1\n"));
//! assert!(rendered.text.contains("Detected: 2026-02-08 15:30 UTC\n"));
//! assert!(rendered.text.ends_with("Next Update: 15:45 UTC (15 min)"));
//! assert!(rendered.mrkdwn.starts_with("*🚨 INCIDENT DETECTED 🚨*\n\n*Severity:* P1\n"));
//!
//! // Any template can be replaced by name; a bad one is refused when it is set.
//! let mine = templates.clone()
//!     .with_override("acknowledgement", "On it: {{ incident_name }}")?;
//! let err = templates.with_override("acknowledgement", "On it: {{ incident }}").unwrap_err();
//! assert_eq!(err.kind(), ir_core::ErrorKind::Config);
//! assert!(err.to_string().contains("\"acknowledgement\""));
//! # let _ = mine;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod format;
mod message;
pub(crate) mod templates;

pub use message::{
    Acknowledgement, IncidentResolved, InitialAssessment, InitialNotification, Message,
    MitigationApplied, ResolutionNotification, StatusPageMessage, StatusUpdate, phase_status,
};
pub use templates::{Rendered, Templates};
