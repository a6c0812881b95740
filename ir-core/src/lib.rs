#![doc = include_str!("../README.md")]

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
