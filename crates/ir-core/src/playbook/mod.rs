//! Probes, evidence, hypotheses and actions.

mod action;
mod evidence;

pub use action::*;
pub use evidence::*;
