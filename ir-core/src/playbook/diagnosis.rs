//! Concurrent diagnosis: every probe at once, each under its own deadline and all under an
//! overall one, each question asked once.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::probe::{Probe, ProbeWindow, Providers, probe_timeout};
use crate::clock::{Clock, add};
use crate::error::ErrorKind;
use crate::model::{
    ConnectionStatus, Deployment, DsnCheck, ErrorBucket, FailedJob, HealthReport, LogLine,
    LogSignatures, PgBouncerPool, PoolStatus, ServiceStatus, SlowQueries, TrackedIssue,
    WorkflowRun,
};
use crate::model::{Evidence, EvidenceId, EvidenceOutcome, Observation};

/// Deadlines of a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiagnosisConfig {
    /// Each probe's own deadline.
    #[serde(with = "humantime_serde")]
    pub probe_timeout: Duration,
    /// The whole diagnosis' deadline: no probe runs past it.
    #[serde(with = "humantime_serde")]
    pub deadline: Duration,
}

impl Default for DiagnosisConfig {
    fn default() -> Self {
        Self {
            probe_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
        }
    }
}

/// The probes of several playbooks with duplicates removed: probes with the same key are one
/// probe (log probes merge their patterns). Order is first appearance.
pub fn dedup_probes(probes: impl IntoIterator<Item = Probe>) -> Vec<Probe> {
    let mut out: Vec<Probe> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for probe in probes {
        match index.get(&probe.key()) {
            Some(&i) => out[i].merge(&probe),
            None => {
                index.insert(probe.key(), out.len());
                out.push(probe);
            }
        }
    }
    out
}

/// Runs `probes` concurrently (after [`dedup_probes`]) and returns one piece of evidence per
/// distinct probe, in order, numbered `E{first_id}`, `E{first_id + 1}`, ...
///
/// Each probe runs under `config.probe_timeout`, and none past `config.deadline`. A probe that
/// fails or runs out of time becomes [`EvidenceOutcome::Unavailable`]; it never aborts the
/// others. Deadlines are `clock`'s ([`Clock::timeout_at`](crate::clock::Clock)), which also
/// stamps the evidence: on a [`ManualClock`](crate::clock::ManualClock) a deadline fires when
/// time, moved by anyone, reaches it.
pub async fn diagnose(
    providers: &Providers,
    probes: impl IntoIterator<Item = Probe>,
    window: ProbeWindow,
    config: &DiagnosisConfig,
    clock: &dyn Clock,
    first_id: usize,
) -> Vec<Evidence> {
    let probes = dedup_probes(probes);
    // Probes that ask the same provider state share one read of it.
    let providers = &super::memo::memoized(providers);
    let per_probe = config.probe_timeout.min(config.deadline);
    let started = clock.now();
    let deadline = add(started, config.deadline);
    let runs = probes.iter().map(|probe| async move {
        let until = add(started, per_probe).min(deadline);
        let result = clock.timeout_at(until, probe.run(providers, window)).await;
        let outcome = match result {
            // Whatever came from the world is scrubbed of credentials before it is recorded.
            Ok(Ok(observation)) => EvidenceOutcome::Observed {
                observation: observation.redacted(),
            },
            Ok(Err(e)) => EvidenceOutcome::Unavailable {
                kind: e.kind(),
                message: crate::redact::redact(&e.to_string()).into_owned(),
            },
            Err(_) => {
                let e = probe_timeout(probe, per_probe);
                EvidenceOutcome::Unavailable {
                    kind: e.kind(),
                    message: e.to_string(),
                }
            }
        };
        (probe, outcome, clock.now())
    });
    let results = futures::future::join_all(runs).await;
    results
        .into_iter()
        .enumerate()
        .map(|(i, (probe, outcome, at))| {
            tracing::debug!(probe = %probe.key(), unavailable = matches!(outcome, EvidenceOutcome::Unavailable { .. }), "probe finished");
            Evidence {
                id: EvidenceId::new(format!("E{}", first_id + i)),
                probe: probe.key(),
                source: probe.source().to_owned(),
                collected_at: at,
                outcome,
            }
        })
        .collect()
}

/// Evidence indexed by probe key, with typed accessors that return the observation together
/// with the evidence id a hypothesis cites.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceSet {
    items: Vec<Evidence>,
    by_key: BTreeMap<String, usize>,
}

/// Observation `value` and the id of the evidence it came from.
pub type Cited<'a, T> = (&'a EvidenceId, &'a T);

macro_rules! accessor {
    ($(#[$doc:meta] $name:ident($probe:ty) -> $t:ty = $variant:ident;)*) => {
        $(
            #[$doc]
            pub fn $name(&self, probe: &$probe) -> Option<Cited<'_, $t>> {
                match self.observed(probe)? {
                    (id, Observation::$variant(v)) => Some((id, v)),
                    _ => None,
                }
            }
        )*
    };
}

impl EvidenceSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `evidence`; a later piece for the same probe replaces the earlier one.
    pub fn insert(&mut self, evidence: Evidence) {
        match self.by_key.get(&evidence.probe) {
            Some(&i) => self.items[i] = evidence,
            None => {
                self.by_key.insert(evidence.probe.clone(), self.items.len());
                self.items.push(evidence);
            }
        }
    }

    /// Every piece, in the order first collected.
    pub fn iter(&self) -> impl Iterator<Item = &Evidence> {
        self.items.iter()
    }

    /// How many pieces.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The evidence `probe` produced.
    pub fn get(&self, probe: &Probe) -> Option<&Evidence> {
        self.by_key.get(&probe.key()).map(|&i| &self.items[i])
    }

    /// What `probe` observed, with the evidence id.
    pub fn observed(&self, probe: &Probe) -> Option<(&EvidenceId, &Observation)> {
        let e = self.get(probe)?;
        e.observation().map(|o| (&e.id, o))
    }

    /// Why `probe`'s source was unavailable, with the evidence id.
    pub fn unavailable(&self, probe: &Probe) -> Option<(&EvidenceId, ErrorKind)> {
        match self.get(probe) {
            Some(Evidence {
                id,
                outcome: EvidenceOutcome::Unavailable { kind, .. },
                ..
            }) => Some((id, *kind)),
            _ => None,
        }
    }

    accessor! {
        /// The service status `probe` observed.
        service_status(Probe) -> ServiceStatus = ServiceStatus;
        /// The deployments `probe` observed, newest first.
        deployments(Probe) -> Vec<Deployment> = Deployments;
        /// The tracker issues `probe` observed.
        tracker_issues(Probe) -> Vec<TrackedIssue> = TrackerIssues;
        /// The error counts `probe` observed.
        error_counts(Probe) -> Vec<ErrorBucket> = ErrorCounts;
        /// The connection status `probe` observed.
        connections(Probe) -> ConnectionStatus = Connections;
        /// The application pool `probe` observed.
        pool(Probe) -> PoolStatus = Pool;
        /// The PgBouncer pools `probe` observed.
        pgbouncer_pools(Probe) -> Vec<PgBouncerPool> = PgBouncerPools;
        /// The DSN check `probe` observed.
        dsn(Probe) -> DsnCheck = Dsn;
        /// The slow queries `probe` observed.
        slow_queries(Probe) -> SlowQueries = SlowQueries;
        /// The health report `probe` observed.
        health(Probe) -> HealthReport = Health;
        /// The log signatures `probe` observed.
        log_signatures(Probe) -> LogSignatures = LogSignatures;
        /// The failed runs `probe` observed.
        failed_runs(Probe) -> Vec<(WorkflowRun, Vec<FailedJob>)> = FailedRuns;
    }

    /// The matching log lines `probe` observed.
    pub fn log_lines(&self, probe: &Probe) -> Option<Cited<'_, Vec<LogLine>>> {
        match self.observed(probe)? {
            (id, Observation::LogMatches { lines, .. }) => Some((id, lines)),
            _ => None,
        }
    }

    /// Whether the variable `probe` asked about is set (a [`Probe::Dsn`] that found the
    /// variable unset answers `false` too).
    pub fn variable_present(&self, probe: &Probe) -> Option<(&EvidenceId, bool)> {
        match self.observed(probe)? {
            (id, Observation::VariablePresence { present, .. }) => Some((id, *present)),
            (id, Observation::Dsn(_)) => Some((id, true)),
            _ => None,
        }
    }
}

impl FromIterator<Evidence> for EvidenceSet {
    fn from_iter<I: IntoIterator<Item = Evidence>>(iter: I) -> Self {
        let mut set = Self::new();
        for e in iter {
            set.insert(e);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;
    use secrecy::SecretString;

    use super::*;
    use crate::clock::{ManualClock, Timestamp};
    use crate::error::{Error, Result};
    use crate::model::*;
    use crate::playbook::signatures::LogPattern;
    use crate::ports::*;

    fn now() -> Timestamp {
        "2026-02-08T15:30:00Z".parse().unwrap()
    }

    /// Counts every call and answers after a fixed latency.
    #[derive(Debug, Default)]
    struct Calls(BTreeMap<&'static str, AtomicUsize>);

    impl Calls {
        fn new(names: &[&'static str]) -> Arc<Self> {
            Arc::new(Self(
                names.iter().map(|n| (*n, AtomicUsize::new(0))).collect(),
            ))
        }
        fn hit(&self, name: &'static str) {
            self.0[name].fetch_add(1, Ordering::SeqCst);
        }
        fn get(&self, name: &str) -> usize {
            self.0[name].load(Ordering::SeqCst)
        }
    }

    #[derive(Debug)]
    struct SlowPorts {
        calls: Arc<Calls>,
        latency: BTreeMap<&'static str, Duration>,
    }

    impl SlowPorts {
        async fn call(&self, name: &'static str) {
            self.calls.hit(name);
            tokio::time::sleep(self.latency[name]).await;
        }
    }

    #[async_trait]
    impl DeployPlatform for SlowPorts {
        async fn service_status(&self) -> Result<ServiceStatus> {
            self.call("service_status").await;
            Ok(ServiceStatus::new("web"))
        }
        async fn list_deployments(&self, _: usize) -> Result<Vec<Deployment>> {
            self.call("list_deployments").await;
            Ok(vec![])
        }
        async fn deployment(&self, _: &DeploymentId) -> Result<Deployment> {
            unreachable!("not a probe")
        }
        async fn rollback(&self, _: &DeploymentId) -> Result<()> {
            unreachable!("mutating")
        }
        async fn redeploy(&self, _: &DeploymentId) -> Result<DeploymentId> {
            unreachable!("mutating")
        }
        async fn restart(&self, _: &DeploymentId) -> Result<()> {
            unreachable!("mutating")
        }
    }

    #[async_trait]
    impl LogSource for SlowPorts {
        async fn logs(&self, _: &LogQuery) -> Result<Vec<LogLine>> {
            self.call("logs").await;
            Ok(vec![
                LogLine::new(now(), None, "[next-auth][error][NO_SECRET]"),
                LogLine::new(now(), None, "Process exited with status 1"),
                LogLine::new(now(), None, "GET / 200"),
            ])
        }
    }

    #[async_trait]
    impl VariableStore for SlowPorts {
        async fn list_names(&self) -> Result<Vec<String>> {
            self.call("list_names").await;
            Ok(vec!["DATABASE_URL".into()])
        }
        async fn get(&self, _: &str) -> Result<Option<SecretString>> {
            self.call("get").await;
            Ok(Some(SecretString::from("postgres://u:pw@db:5432/app")))
        }
        async fn set(&self, _: &str, _: SecretString, _: SetOptions) -> Result<()> {
            unreachable!("mutating")
        }
        async fn delete(&self, _: &str) -> Result<()> {
            unreachable!("mutating")
        }
    }

    #[async_trait]
    impl HealthProbe for SlowPorts {
        async fn check(&self, path: &str) -> Result<HealthReport> {
            self.call("check").await;
            Ok(HealthReport::answered(path, 503, Duration::ZERO, ""))
        }
    }

    #[async_trait]
    impl DatabaseDiagnostics for SlowPorts {
        async fn connection_status(&self) -> Result<ConnectionStatus> {
            self.call("connection_status").await;
            Err(Error::new(ErrorKind::Unavailable, "connection refused").with_provider("postgres"))
        }
        async fn pool_status(&self) -> Result<PoolStatus> {
            self.call("pool_status").await;
            Ok(PoolStatus {
                size: 20,
                idle: 0,
                max: 20,
            })
        }
        async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
            self.call("pgbouncer_pools").await;
            Ok(vec![])
        }
        async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
            unreachable!()
        }
        async fn terminate_idle(&self, _: &TerminateRequest) -> Result<TerminationReport> {
            unreachable!("mutating")
        }
        async fn slow_queries(&self, _: usize) -> Result<SlowQueries> {
            unreachable!()
        }
    }

    const NAMES: [&str; 8] = [
        "service_status",
        "list_deployments",
        "logs",
        "list_names",
        "get",
        "check",
        "connection_status",
        "pool_status",
    ];

    fn slow_ports(calls: Arc<Calls>) -> Providers {
        // 20 ms to 200 ms.
        let latency = NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| (*n, Duration::from_millis(20 + 180 * i as u64 / 7)))
            .collect();
        let ports = Arc::new(SlowPorts { calls, latency });
        Providers::new()
            .with_deploy(ports.clone())
            .with_logs(ports.clone())
            .with_variables(ports.clone())
            .with_health(ports.clone())
            .with_database(ports)
    }

    /// Two playbooks' probe lists: eight distinct questions, `service_status` and the recent
    /// logs asked by both.
    fn two_playbooks() -> (Vec<Probe>, Vec<Probe>) {
        let site_down = vec![
            Probe::ServiceStatus,
            Probe::Deployments { limit: 10 },
            Probe::recent_logs([LogPattern::Crash]),
            Probe::health("/health"),
            Probe::Connections,
        ];
        let auth = vec![
            Probe::ServiceStatus,
            Probe::recent_logs([LogPattern::NextAuthNoSecret]),
            Probe::variable("NEXTAUTH_SECRET"),
            Probe::Dsn {
                variable: "DATABASE_URL".into(),
            },
            Probe::Pool,
        ];
        (site_down, auth)
    }

    #[tokio::test(start_paused = true)]
    async fn eight_probes_run_concurrently_and_shared_ones_once() {
        let calls = Calls::new(&NAMES);
        let providers = slow_ports(calls.clone());
        let (a, b) = two_playbooks();
        let clock = ManualClock::at(now());
        let window = ProbeWindow {
            onset: now(),
            now: now(),
        };
        let started = tokio::time::Instant::now();
        let evidence = diagnose(
            &providers,
            a.into_iter().chain(b),
            window,
            &DiagnosisConfig::default(),
            &clock,
            1,
        )
        .await;
        let elapsed = started.elapsed();

        assert_eq!(evidence.len(), 8);
        for name in NAMES {
            assert_eq!(calls.get(name), 1, "{name} called once");
        }
        // Sequential would take the sum (880 ms); concurrent takes the slowest (200 ms).
        assert_eq!(elapsed, Duration::from_millis(200));

        let set: EvidenceSet = evidence.into_iter().collect();
        let (_, lines) = set
            .log_lines(&Probe::recent_logs([]))
            .expect("log evidence");
        // Both playbooks' patterns were searched in the one call.
        assert_eq!(lines.len(), 2);
        // A failing source is evidence, not an abort.
        assert_eq!(
            set.unavailable(&Probe::Connections).map(|(_, k)| k),
            Some(ErrorKind::Unavailable)
        );
        assert_eq!(
            set.variable_present(&Probe::variable("NEXTAUTH_SECRET"))
                .map(|(_, p)| p),
            Some(false)
        );
        let (_, dsn) = set
            .dsn(&Probe::Dsn {
                variable: "DATABASE_URL".into(),
            })
            .unwrap();
        assert_eq!(dsn.route, DsnRoute::Direct);
        let ids: Vec<String> = set.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"]);
        let json = serde_json::to_string(&set.iter().collect::<Vec<_>>()).unwrap();
        assert!(!json.contains("pw@"), "the DSN's password stays out");
    }

    /// A clock that reads tokio's (paused) time, so ports that wait with `tokio::time::sleep`
    /// and the diagnosis' deadlines move on the same time line.
    #[derive(Debug)]
    struct TokioClock {
        base: Timestamp,
        started: tokio::time::Instant,
    }

    impl TokioClock {
        fn new() -> Self {
            Self {
                base: now(),
                started: tokio::time::Instant::now(),
            }
        }
    }

    #[async_trait]
    impl Clock for TokioClock {
        fn now(&self) -> Timestamp {
            add(self.base, self.started.elapsed())
        }
        async fn sleep(&self, duration: Duration) {
            tokio::time::sleep(duration).await;
        }
        async fn reached(&self, deadline: Timestamp) {
            let left = crate::clock::to_std(deadline - self.base);
            tokio::time::sleep_until(self.started + left).await;
        }
    }

    /// A health endpoint that never answers; while it is asked, time passes on `clock`.
    #[derive(Debug)]
    struct Hung {
        clock: ManualClock,
        passes: Duration,
    }

    #[async_trait]
    impl HealthProbe for Hung {
        async fn check(&self, _: &str) -> Result<HealthReport> {
            self.clock.sleep(self.passes).await;
            std::future::pending().await
        }
    }

    fn timed_out(evidence: &[Evidence]) -> bool {
        matches!(
            evidence.first().map(|e| &e.outcome),
            Some(EvidenceOutcome::Unavailable {
                kind: ErrorKind::Timeout,
                ..
            })
        )
    }

    /// The probe deadline is the clock's: a probe that never answers times out when manual
    /// time reaches its deadline, whether the probe itself or someone else moves it, with no
    /// real waiting.
    #[tokio::test]
    async fn a_probe_that_never_answers_times_out_on_a_manual_clock() {
        let config = DiagnosisConfig::default();
        let window = ProbeWindow {
            onset: now(),
            now: now(),
        };
        let wall = std::time::Instant::now();

        // Time passes while the probe is asked (an hour, far past its 10 s deadline).
        let clock = ManualClock::at(now());
        let providers = Providers::new().with_health(Arc::new(Hung {
            clock: clock.clone(),
            passes: Duration::from_secs(3600),
        }));
        let evidence = diagnose(
            &providers,
            [Probe::health("/health")],
            window,
            &config,
            &clock,
            1,
        )
        .await;
        assert!(timed_out(&evidence), "{evidence:?}");
        assert_eq!(clock.now() - now(), chrono::Duration::hours(1));

        // Nobody answers and the probe moves nothing: the deadline fires when someone else
        // moves time to it, and not before.
        let clock = ManualClock::at(now());
        let providers = Providers::new().with_health(Arc::new(Hung {
            clock: clock.clone(),
            passes: Duration::ZERO,
        }));
        let mover = clock.clone();
        let (evidence, ()) = tokio::join!(
            diagnose(
                &providers,
                [Probe::health("/health")],
                window,
                &config,
                &clock,
                1,
            ),
            async move {
                mover.advance(config.probe_timeout - Duration::from_secs(1));
                tokio::task::yield_now().await;
                mover.advance(Duration::from_secs(1));
            }
        );
        assert!(timed_out(&evidence), "{evidence:?}");
        assert_eq!(
            clock.now() - now(),
            crate::clock::to_chrono(config.probe_timeout)
        );
        assert_eq!(evidence[0].collected_at, add(now(), config.probe_timeout));
        assert!(
            wall.elapsed() < Duration::from_secs(1),
            "real time passed: {:?}",
            wall.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_probe_times_out_alone_and_the_overall_deadline_holds() {
        let calls = Calls::new(&NAMES);
        let providers = slow_ports(calls);
        let (a, b) = two_playbooks();
        let config = DiagnosisConfig {
            probe_timeout: Duration::from_millis(150),
            deadline: Duration::from_millis(120),
        };
        let clock = TokioClock::new();
        let started = tokio::time::Instant::now();
        let evidence = diagnose(
            &providers,
            a.into_iter().chain(b),
            ProbeWindow {
                onset: now(),
                now: now(),
            },
            &config,
            &clock,
            1,
        )
        .await;
        assert_eq!(started.elapsed(), Duration::from_millis(120));
        let timed_out: Vec<&str> = evidence
            .iter()
            .filter(|e| {
                matches!(
                    e.outcome,
                    EvidenceOutcome::Unavailable {
                        kind: ErrorKind::Timeout,
                        ..
                    }
                )
            })
            .map(|e| e.probe.as_str())
            .collect();
        // Latencies 20, 45, 71, 97, 122, 148, 174, 200 ms: the last four miss 120 ms.
        assert_eq!(timed_out.len(), 4, "{timed_out:?}");
        assert_eq!(evidence.len(), 8);
    }
}
