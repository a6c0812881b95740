//! Baseline window vs incident window: which signatures are new, spiking or gone.

use std::collections::HashMap;
use std::fmt;

use crate::header::HeaderMode;
use crate::miner::{Miner, MinerConfig, SignatureId};

/// Which side of the comparison a line belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    /// Before the change under suspicion (e.g. logs before the last deployment).
    Baseline,
    /// The incident (e.g. logs since the deployment).
    Incident,
}

/// A signature's figures within one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowStat {
    /// Lines of the signature in the window.
    pub count: u64,
    /// The `at` of the first such line (the caller's clock: a line number, epoch ms, ...).
    pub first_seen: u64,
    /// The `at` of the last such line.
    pub last_seen: u64,
    /// The first such line, passed through the redactor.
    pub example: String,
}

/// What the diff says about a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// Seen in the incident window only.
    New,
    /// Its incident rate is at least [`DiffPolicy::spike_ratio`] times its baseline rate, with at
    /// least [`DiffPolicy::min_spike_count`] incident lines.
    Spiking,
    /// Seen in the baseline only.
    Vanished,
    /// In both windows, not spiking.
    Steady,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::New => "new",
            Self::Spiking => "spiking",
            Self::Vanished => "vanished",
            Self::Steady => "steady",
        })
    }
}

/// One signature in the diff.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The signature.
    pub id: SignatureId,
    /// Its template at the time of the diff.
    pub template: String,
    /// How it changed.
    pub kind: ChangeKind,
    /// Its figures before, if seen before.
    pub baseline: Option<WindowStat>,
    /// Its figures during the incident, if seen then.
    pub incident: Option<WindowStat>,
    /// Incident rate over baseline rate (the baseline floored at one line), when seen in both.
    pub ratio: Option<f64>,
}

impl Change {
    /// Lines in the incident window.
    pub fn incident_count(&self) -> u64 {
        self.incident.as_ref().map_or(0, |s| s.count)
    }

    /// Lines in the baseline window.
    pub fn baseline_count(&self) -> u64 {
        self.baseline.as_ref().map_or(0, |s| s.count)
    }
}

/// Thresholds for the diff.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffPolicy {
    /// A signature spikes when its incident rate is at least this many times its baseline rate.
    pub spike_ratio: f64,
    /// ... and it has at least this many incident lines: the floor against small-count noise,
    /// so 1 → 3 is no spike.
    pub min_spike_count: u64,
    /// The windows' lengths, in any one unit, to compare rates rather than counts. `None`
    /// compares counts, as for two windows of the same length.
    pub spans: Option<(f64, f64)>,
}

impl Default for DiffPolicy {
    fn default() -> Self {
        Self {
            spike_ratio: 3.0,
            min_spike_count: 10,
            spans: None,
        }
    }
}

/// The diff: each list ranked by incident count (vanished: by baseline count), then by id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diff {
    /// Seen only since the baseline.
    pub new: Vec<Change>,
    /// Rising past the policy's ratio.
    pub spiking: Vec<Change>,
    /// Seen only in the baseline.
    pub vanished: Vec<Change>,
    /// Every signature seen in the incident window, most frequent first.
    pub top: Vec<Change>,
}

/// A scrubber for example lines (e.g. `ir_core::redact` when wired into ir-core).
pub type Redactor = Box<dyn Fn(&str) -> String + Send + Sync>;

/// Mines two windows of log lines with one miner and compares them.
///
/// ```
/// use ir_triage::{DiffPolicy, HeaderMode, MinerConfig, Triage, Window};
///
/// let mut t = Triage::new(MinerConfig::default(), HeaderMode::Auto)
///     .with_redactor(|line| line.replace("s3cr3t", "[REDACTED]"));
/// for i in 0..20 {
///     t.observe(Window::Baseline, i, &format!("2026-02-08T15:00:{i:02}Z INFO GET /health 200 in {i}ms"));
/// }
/// t.observe(Window::Incident, 100, "2026-02-08T15:31:00Z ERROR [next-auth][error][NO_SECRET] token=s3cr3t");
/// let diff = t.diff(&DiffPolicy::default());
/// assert_eq!(diff.new.len(), 1);
/// assert_eq!(diff.vanished.len(), 1);
/// let example = &diff.new[0].incident.as_ref().unwrap().example;
/// assert!(example.contains("[REDACTED]") && !example.contains("s3cr3t"));
/// ```
pub struct Triage {
    miner: Miner,
    header: HeaderMode,
    windows: [HashMap<SignatureId, WindowStat>; 2],
    redact: Option<Redactor>,
}

impl fmt::Debug for Triage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Triage")
            .field("signatures", &self.miner.len())
            .field("baseline", &self.windows[0].len())
            .field("incident", &self.windows[1].len())
            .field("redact", &self.redact.is_some())
            .finish()
    }
}

impl Triage {
    /// A triage with its own miner and header mode.
    pub fn new(config: MinerConfig, header: HeaderMode) -> Self {
        Self {
            miner: Miner::new(config),
            header,
            windows: [HashMap::new(), HashMap::new()],
            redact: None,
        }
    }

    /// Passes every stored example line through `redact` first.
    pub fn with_redactor(
        mut self,
        redact: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        self.redact = Some(Box::new(redact));
        self
    }

    /// The miner, for its signatures and templates.
    pub fn miner(&self) -> &Miner {
        &self.miner
    }

    /// Mines one raw line (header included) into `window` at `at` (the caller's clock).
    pub fn observe(&mut self, window: Window, at: u64, line: &str) -> SignatureId {
        let message = self.header.extract(line).message;
        let id = self.miner.add(&message);
        let idx = usize::from(window == Window::Incident);
        let redact = &self.redact;
        self.windows[idx]
            .entry(id)
            .and_modify(|s| {
                s.count += 1;
                s.first_seen = s.first_seen.min(at);
                s.last_seen = s.last_seen.max(at);
            })
            .or_insert_with(|| WindowStat {
                count: 1,
                first_seen: at,
                last_seen: at,
                example: match redact {
                    Some(r) => r(line),
                    None => line.to_owned(),
                },
            });
        // Keep the windows as bounded as the miner: forget what it evicted.
        let cap = self.miner.config().max_signatures.saturating_mul(2).max(16);
        if self.windows[idx].len() > cap {
            let miner = &self.miner;
            for w in &mut self.windows {
                w.retain(|id, _| miner.signature(*id).is_some());
            }
        }
        id
    }

    /// Compares the windows.
    pub fn diff(&self, policy: &DiffPolicy) -> Diff {
        let (bspan, ispan) = policy.spans.unwrap_or((1.0, 1.0));
        let (bspan, ispan) = (bspan.max(f64::MIN_POSITIVE), ispan.max(f64::MIN_POSITIVE));
        let mut ids: Vec<SignatureId> = self.windows[0]
            .keys()
            .chain(self.windows[1].keys())
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut diff = Diff::default();
        for id in ids {
            let baseline = self.windows[0].get(&id).cloned();
            let incident = self.windows[1].get(&id).cloned();
            let (b, i) = (
                baseline.as_ref().map_or(0, |s| s.count),
                incident.as_ref().map_or(0, |s| s.count),
            );
            let ratio = (b > 0 && i > 0).then(|| (i as f64 / ispan) / (b.max(1) as f64 / bspan));
            let kind = match (b, i) {
                (0, _) => ChangeKind::New,
                (_, 0) => ChangeKind::Vanished,
                _ if i >= policy.min_spike_count
                    && ratio.is_some_and(|r| r >= policy.spike_ratio) =>
                {
                    ChangeKind::Spiking
                }
                _ => ChangeKind::Steady,
            };
            let change = Change {
                id,
                template: self.miner.template(id).unwrap_or_default(),
                kind,
                baseline,
                incident,
                ratio,
            };
            if i > 0 {
                diff.top.push(change.clone());
            }
            match kind {
                ChangeKind::New => diff.new.push(change),
                ChangeKind::Spiking => diff.spiking.push(change),
                ChangeKind::Vanished => diff.vanished.push(change),
                ChangeKind::Steady => {}
            }
        }
        let by_incident = |a: &Change, b: &Change| {
            b.incident_count()
                .cmp(&a.incident_count())
                .then(a.id.cmp(&b.id))
        };
        diff.new.sort_by(by_incident);
        diff.spiking.sort_by(by_incident);
        diff.top.sort_by(by_incident);
        diff.vanished.sort_by(|a, b| {
            b.baseline_count()
                .cmp(&a.baseline_count())
                .then(a.id.cmp(&b.id))
        });
        diff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triage() -> Triage {
        Triage::new(MinerConfig::default(), HeaderMode::Auto)
    }

    fn feed(t: &mut Triage, w: Window, n: u64, line: &str) {
        for k in 0..n {
            t.observe(w, k, &line.replace("{n}", &k.to_string()));
        }
    }

    fn kind_of(diff: &Diff, needle: &str) -> Option<ChangeKind> {
        diff.new
            .iter()
            .chain(&diff.spiking)
            .chain(&diff.vanished)
            .chain(&diff.top)
            .find(|c| c.template.contains(needle))
            .map(|c| c.kind)
    }

    #[test]
    fn new_spiking_and_flat_signatures_are_classified() {
        let mut t = triage();
        feed(
            &mut t,
            Window::Baseline,
            10,
            "ERROR timeout exceeded when trying to connect after {n} ms",
        );
        feed(
            &mut t,
            Window::Baseline,
            50,
            "INFO GET /api/items 200 in {n}ms",
        );
        feed(
            &mut t,
            Window::Incident,
            100,
            "ERROR timeout exceeded when trying to connect after {n} ms",
        );
        feed(
            &mut t,
            Window::Incident,
            50,
            "INFO GET /api/items 200 in {n}ms",
        );
        feed(
            &mut t,
            Window::Incident,
            4,
            "Error: Cannot find module '/app/lib/utils/formatDate' {n}",
        );
        let diff = t.diff(&DiffPolicy::default());
        assert_eq!(kind_of(&diff, "Cannot find module"), Some(ChangeKind::New));
        assert_eq!(
            kind_of(&diff, "timeout exceeded"),
            Some(ChangeKind::Spiking)
        );
        assert_eq!(kind_of(&diff, "GET"), Some(ChangeKind::Steady));
        let spike = &diff.spiking[0];
        assert_eq!((spike.baseline_count(), spike.incident_count()), (10, 100));
        assert_eq!(spike.ratio, Some(10.0));
        let new = &diff.new[0];
        let stat = new.incident.as_ref().unwrap();
        assert_eq!((stat.count, stat.first_seen, stat.last_seen), (4, 0, 3));
        assert!(stat.example.contains("Cannot find module"));
        // top: every incident signature, most frequent first.
        assert_eq!(
            diff.top
                .iter()
                .map(Change::incident_count)
                .collect::<Vec<_>>(),
            [100, 50, 4]
        );
    }

    #[test]
    fn small_counts_do_not_spike() {
        let mut t = triage();
        feed(&mut t, Window::Baseline, 1, "WARN slow query {n}");
        feed(&mut t, Window::Incident, 3, "WARN slow query {n}");
        let diff = t.diff(&DiffPolicy::default());
        assert!(diff.spiking.is_empty());
        assert_eq!(kind_of(&diff, "slow query"), Some(ChangeKind::Steady));
    }

    #[test]
    fn a_signature_only_before_the_deploy_vanished() {
        let mut t = triage();
        feed(
            &mut t,
            Window::Baseline,
            5,
            "ERROR legacy cron job failed {n}",
        );
        feed(&mut t, Window::Baseline, 5, "INFO ready {n}");
        feed(&mut t, Window::Incident, 5, "INFO ready {n}");
        let diff = t.diff(&DiffPolicy::default());
        assert_eq!(diff.vanished.len(), 1);
        assert!(diff.vanished[0].template.contains("legacy cron"));
        assert_eq!(diff.vanished[0].baseline_count(), 5);
        assert!(diff.vanished[0].incident.is_none());
    }

    #[test]
    fn rates_use_the_spans_when_given() {
        let mut t = triage();
        feed(&mut t, Window::Baseline, 20, "ERROR upstream 502 {n}");
        feed(&mut t, Window::Incident, 20, "ERROR upstream 502 {n}");
        // The same count in a window a tenth as long is a tenfold rate.
        let policy = DiffPolicy {
            spans: Some((600.0, 60.0)),
            ..DiffPolicy::default()
        };
        let diff = t.diff(&policy);
        assert_eq!(diff.spiking.len(), 1);
        assert_eq!(diff.spiking[0].ratio, Some(10.0));
    }

    #[test]
    fn windows_stay_bounded_with_the_miner() {
        let mut t = Triage::new(
            MinerConfig {
                max_signatures: 20,
                ..MinerConfig::default()
            },
            HeaderMode::None,
        );
        for i in 0..2000u64 {
            let word: String = (0..6)
                .map(|k| char::from(b'a' + ((i >> (k * 2)) % 26) as u8))
                .collect();
            t.observe(Window::Incident, i, &format!("{word} happened"));
        }
        assert!(t.windows[1].len() <= 40 + 1);
        assert!(t.miner().len() <= 20);
    }
}
