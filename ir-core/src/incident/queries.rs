//! What the runner asks of the timeline: what is pending, what was interrupted.

use super::Incident;

impl Incident {}
