//! # ir-core
//!
//! The domain and engine of `ir`, an incident-response runbook as a library: severity
//! classification, incidents whose state is a fold over their timeline, escalation timers,
//! the provider traits ("ports") adapters implement, the playbook engine, the actions it takes
//! ([`actions`], one module per family), the runner that drives an incident ([`runner::Runner`]),
//! the runbook's six scenarios ([`scenarios`]), the rollback procedures ([`rollback`]), and
//! the runbook's messages. [`memory`] is the single-process backend (incident store, chat,
//! pager, status page) a service embeds when it runs one replica. No network.
//!
//! Conformance suites, fixtures and scripted fakes for testing are in the `ir-testkit` crate.
//!
//! ```
//! use ir_core::classify::{classify, Reachability, Signals};
//! use ir_core::escalation::{due, Due, EscalationPolicy};
//! use ir_core::incident::{Event, EventKind, Incident, Phase};
//! use ir_core::model::{IncidentId, Role};
//! use ir_core::{Severity, SeverityPolicy};
//!
//! // The health watcher saw a 503.
//! let now: chrono::DateTime<chrono::Utc> = "2026-02-08T15:30:00Z".parse()?;
//! let signals = Signals { health: Some(Reachability::Status(503)), ..Signals::default() };
//! let classification = classify(&signals, &SeverityPolicy::runbook());
//! assert_eq!(classification.severity, Severity::P0);
//!
//! // Open the incident; its first event records why it is P0.
//! let detected = Event::new(now, "health-watcher",
//!     EventKind::detected("Site down", "www.example.com", classification, None));
//! let incident = Incident::open(IncidentId::random(), "health:www.example.com", detected)?;
//! assert_eq!(incident.phase(), Phase::Detected);
//!
//! // A P0 escalates to the Engineering Lead and the CTO at once.
//! let escalations: Vec<Role> = due(&incident, &EscalationPolicy::runbook(), now)
//!     .into_iter()
//!     .filter_map(|d| match d { Due::Escalate { role, .. } => Some(role), _ => None })
//!     .collect();
//! assert_eq!(escalations, [Role::EngineeringLead, Role::Cto]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//! - `mock`: `mockall` mocks of every port (`MockDeployPlatform`, ...) for downstream tests.

pub mod actions;
pub mod classify;
pub mod clock;
pub mod comms;
pub mod error;
pub mod escalation;
pub mod incident;
pub mod memory;
pub mod model;
pub mod playbook;
pub mod ports;
pub mod postmortem;
pub mod redact;
pub mod rollback;
pub mod runner;
pub mod scenarios;
pub mod severity;
mod symptoms;

pub use error::{Error, ErrorKind, Result};
pub use severity::{Severity, SeverityPolicy};
