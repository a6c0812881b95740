//! The [`Playbook`] trait and what it works with: the [`Symptoms`] that select it, the
//! [`Context`] it reads, the [`Hypothesis`] it ranks (built with [`Scorer`]) and the [`Plan`] of
//! [`Mitigation`]s it proposes for a cause.

use std::fmt;

use secrecy::SecretString;

use super::diagnosis::EvidenceSet;
use super::probe::{Probe, ProbeWindow};
use crate::clock::Timestamp;
use crate::incident::Incident;
use crate::model::{ActionKind, Risk, Verification};
use crate::model::{EvidenceId, Hypothesis};
use crate::severity::Thresholds;
pub use crate::symptoms::Symptoms;

/// What a playbook reads: the incident, its symptoms, the time and the thresholds.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The incident.
    pub incident: &'a Incident,
    /// Its symptoms.
    pub symptoms: &'a Symptoms,
    /// Now.
    pub now: Timestamp,
    /// Classification thresholds (error-rate SLO, latency SLO, ...).
    pub thresholds: &'a Thresholds,
}

impl Context<'_> {
    /// When the problem started (the incident's onset, or its detection).
    pub fn onset(&self) -> Timestamp {
        self.incident.started_at()
    }

    /// The window probes are computed from.
    pub fn window(&self) -> ProbeWindow {
        ProbeWindow {
            onset: self.onset(),
            now: self.now,
        }
    }
}

/// A value for a variable, resolved by the runner just before it proposes the action, so the
/// timeline only ever sees its fingerprint.
#[derive(Clone)]
#[non_exhaustive]
pub enum NewValue {
    /// `bytes` random bytes from the operating system's CSPRNG, base64 encoded (the runbook's
    /// `openssl rand -base64 32`).
    RandomBase64 {
        /// How many bytes.
        bytes: usize,
    },
    /// The variable's current PostgreSQL URL with its port changed to PgBouncer's 6432.
    ViaPgBouncer,
    /// A given value.
    Literal(SecretString),
}

impl fmt::Debug for NewValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RandomBase64 { bytes } => write!(f, "RandomBase64({bytes} bytes)"),
            Self::ViaPgBouncer => f.write_str("ViaPgBouncer"),
            Self::Literal(_) => f.write_str("Literal([REDACTED])"),
        }
    }
}

/// What a mitigation does, in the playbook's terms: an [`ActionKind`] ready to run, or one
/// whose inputs are resolved only when the runner proposes it — a variable's new value (a
/// secret the timeline must never hold, so only its fingerprint goes into the
/// [`ActionKind::SetVariable`]), an issue's body and labels (the timeline keeps the title).
/// Everything else about the action (its description, key slug, risk, execution) is the
/// kind's, in [`crate::actions`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Remedy {
    /// An action that needs nothing beyond its kind.
    Act(ActionKind),
    /// Set a variable to a value resolved at proposal time.
    SetVariable {
        /// Variable.
        name: String,
        /// Its new value.
        value: NewValue,
    },
    /// File an issue with this body.
    CreateIssue {
        /// Title.
        title: String,
        /// Markdown body.
        body: String,
        /// Labels.
        labels: Vec<String>,
    },
}

impl Remedy {
    /// The action kind this remedy becomes, with what is resolved at proposal time left
    /// blank (a value's fingerprint): what it slugs and describes as.
    pub fn planned_kind(&self) -> ActionKind {
        match self {
            Self::Act(kind) => kind.clone(),
            Self::SetVariable { name, .. } => ActionKind::SetVariable {
                name: name.clone(),
                value_fingerprint: String::new(),
            },
            Self::CreateIssue { title, .. } => ActionKind::CreateIssue {
                title: title.clone(),
            },
        }
    }

    /// A short verb phrase for people: the [`planned_kind`](Self::planned_kind)'s.
    pub fn describe(&self) -> String {
        self.planned_kind().describe()
    }

    fn slug(&self) -> String {
        self.planned_kind().slug()
    }
}

/// One way to mitigate a cause: what to do, how risky it is, and how to tell it worked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Mitigation {
    /// Idempotency key: `playbook/cause/what`.
    pub key: String,
    /// What to do.
    pub remedy: Remedy,
    /// Risk class, when it differs from the action kind's default.
    pub risk: Option<Risk>,
    /// Why, for the approver and the timeline.
    pub rationale: String,
    /// How to tell it worked.
    pub verification: Verification,
}

impl Mitigation {
    /// A mitigation of `hypothesis` by `remedy`, verified by `verification`.
    pub fn new(
        hypothesis: &Hypothesis,
        remedy: Remedy,
        rationale: impl Into<String>,
        verification: Verification,
    ) -> Self {
        Self {
            key: format!(
                "{}/{}/{}",
                hypothesis.playbook,
                hypothesis.cause,
                remedy.slug()
            ),
            remedy,
            risk: None,
            rationale: rationale.into(),
            verification,
        }
    }

    /// Overrides the risk class.
    pub fn with_risk(mut self, risk: Risk) -> Self {
        self.risk = Some(risk);
        self
    }
}

/// What a playbook proposes for one hypothesis: mitigations to try in order, and
/// recommendations for people (an index to add, a circuit breaker to build).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Plan {
    /// Tried in order until one is verified.
    pub mitigations: Vec<Mitigation>,
    /// Advice recorded in the timeline and the assessment message.
    pub recommendations: Vec<String>,
}

impl Plan {
    /// An empty plan.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a mitigation.
    pub fn mitigate(mut self, mitigation: Mitigation) -> Self {
        self.mitigations.push(mitigation);
        self
    }

    /// Adds a recommendation.
    pub fn recommend(mut self, recommendation: impl Into<String>) -> Self {
        self.recommendations.push(recommendation.into());
        self
    }
}

/// A runbook scenario as code. Implement it to add your own; the runner treats built-in and
/// user playbooks alike.
pub trait Playbook: Send + Sync + fmt::Debug + 'static {
    /// Machine name, e.g. `site_down`; hypotheses cite it.
    fn name(&self) -> &str;

    /// The runbook's title, e.g. `Site Completely Down (502/503)`.
    fn title(&self) -> &str;

    /// Whether the symptoms call for this playbook.
    fn applies(&self, ctx: &Context<'_>) -> bool;

    /// The probes its assessment needs.
    fn probes(&self, ctx: &Context<'_>) -> Vec<Probe>;

    /// Its causes, each with a confidence and the evidence behind it. Hypotheses with zero
    /// confidence may be left out.
    fn assess(&self, ctx: &Context<'_>, evidence: &EvidenceSet) -> Vec<Hypothesis>;

    /// What to do about `hypothesis` (one this playbook proposed).
    fn plan(&self, ctx: &Context<'_>, hypothesis: &Hypothesis, evidence: &EvidenceSet) -> Plan;

    /// The runbook's prevention items.
    fn prevention(&self) -> Vec<String>;
}

/// Builds a [`Hypothesis`]: each piece of evidence raises or lowers the confidence.
///
/// Raising by `w` moves the confidence `c` to `1 - (1 - c)(1 - w)`; lowering by `w` moves it to
/// `c(1 - w)`. Both stay within `0..=1`, and independent evidence adds up without overflowing.
///
/// ```
/// use ir_core::model::EvidenceId;
/// use ir_core::playbook::Scorer;
///
/// let e1 = EvidenceId::new("E1");
/// let e2 = EvidenceId::new("E2");
/// let h = Scorer::new("site_down", "recent_deployment_crash_loop", "crash loop after d-42")
///     .raise(0.5, &e1)
///     .raise(0.5, &e2)
///     .build();
/// assert_eq!(h.confidence, 0.75);
/// assert_eq!(h.supporting, [e1, e2]);
/// ```
#[derive(Debug, Clone)]
pub struct Scorer {
    hypothesis: Hypothesis,
}

impl Scorer {
    /// A hypothesis with confidence 0.
    pub fn new(
        playbook: impl Into<String>,
        cause: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            hypothesis: Hypothesis {
                playbook: playbook.into(),
                cause: cause.into(),
                summary: summary.into(),
                confidence: 0.0,
                supporting: Vec::new(),
                contradicting: Vec::new(),
            },
        }
    }

    /// Raises the confidence by `weight`, citing `evidence`.
    pub fn raise(mut self, weight: f64, evidence: &EvidenceId) -> Self {
        let w = weight.clamp(0.0, 1.0);
        let h = &mut self.hypothesis;
        h.confidence = 1.0 - (1.0 - h.confidence) * (1.0 - w);
        if !h.supporting.contains(evidence) {
            h.supporting.push(evidence.clone());
        }
        self
    }

    /// Lowers the confidence by `weight`, citing `evidence`.
    pub fn lower(mut self, weight: f64, evidence: &EvidenceId) -> Self {
        let w = weight.clamp(0.0, 1.0);
        let h = &mut self.hypothesis;
        h.confidence *= 1.0 - w;
        if !h.contradicting.contains(evidence) {
            h.contradicting.push(evidence.clone());
        }
        self
    }

    /// Raises when `evidence` is `Some`.
    pub fn raise_if(self, weight: f64, evidence: Option<&EvidenceId>) -> Self {
        match evidence {
            Some(e) => self.raise(weight, e),
            None => self,
        }
    }

    /// Lowers when `evidence` is `Some`.
    pub fn lower_if(self, weight: f64, evidence: Option<&EvidenceId>) -> Self {
        match evidence {
            Some(e) => self.lower(weight, e),
            None => self,
        }
    }

    /// Replaces the summary.
    pub fn summary(mut self, summary: impl Into<String>) -> Self {
        self.hypothesis.summary = summary.into();
        self
    }

    /// The confidence so far.
    pub fn confidence(&self) -> f64 {
        self.hypothesis.confidence
    }

    /// The hypothesis, its confidence rounded to three decimals.
    pub fn build(mut self) -> Hypothesis {
        self.hypothesis.confidence = (self.hypothesis.confidence * 1000.0).round() / 1000.0;
        self.hypothesis
    }
}

/// Sorts hypotheses most confident first (stable, so a playbook's order breaks ties) and drops
/// those with zero confidence. A confidence outside `0..=1` (a playbook's own arithmetic) is
/// clamped into it, and NaN counts as zero.
///
/// ```
/// use ir_core::playbook::{Scorer, rank};
/// let mut sure = Scorer::new("p", "c", "too sure").build();
/// sure.confidence = 1.7;
/// let mut lost = Scorer::new("p", "d", "lost").build();
/// lost.confidence = f64::NAN;
/// let ranked = rank(vec![lost, sure]);
/// assert_eq!(ranked.len(), 1);
/// assert_eq!(ranked[0].confidence, 1.0);
/// ```
pub fn rank(mut hypotheses: Vec<Hypothesis>) -> Vec<Hypothesis> {
    for h in &mut hypotheses {
        h.confidence = if h.confidence.is_nan() {
            0.0
        } else {
            h.confidence.clamp(0.0, 1.0)
        };
    }
    hypotheses.retain(|h| h.confidence > 0.0);
    hypotheses.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    hypotheses
}

/// Evidence ids, for citing several at once.
pub fn ids<'a>(evidence: impl IntoIterator<Item = &'a EvidenceId>) -> Vec<EvidenceId> {
    evidence.into_iter().cloned().collect()
}
