//! What was observed when an incident was opened. Defined below the incident (whose `Detected`
//! event records it, so any replica can resume an incident from the store alone); its public
//! path is [`ir_core::playbook::Symptoms`](crate::playbook::Symptoms).

use serde::{Deserialize, Serialize};

use crate::classify::Signals;

/// What was observed when the incident was opened: the classification's signals plus the text
/// that came with the alert (error titles, log lines, a response body).
///
/// ```
/// use ir_core::classify::Signals;
/// use ir_core::playbook::Symptoms;
///
/// let s = Symptoms::new(Signals::default())
///     .with_text("[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret");
/// assert!(s.any_text(ir_core::playbook::signatures::is_missing_auth_secret));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Symptoms {
    /// The classification's signals.
    pub signals: Signals,
    /// Text that came with the alert.
    pub texts: Vec<String>,
    /// A deployment's build failed.
    pub build_failed: bool,
}

impl Symptoms {
    /// Symptoms with these signals and no text.
    pub fn new(signals: Signals) -> Self {
        Self {
            signals,
            ..Self::default()
        }
    }

    /// Adds alert text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.texts.push(text.into());
        self
    }

    /// Marks a failed build.
    pub fn with_build_failed(mut self) -> Self {
        self.build_failed = true;
        self
    }

    /// Whether any alert text satisfies `f`.
    pub fn any_text(&self, f: impl Fn(&str) -> bool) -> bool {
        self.texts.iter().any(|t| f(t))
    }
}
