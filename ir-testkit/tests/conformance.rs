//! Every conformance suite against the in-memory backends (`ir_core::memory`, the built-in
//! approvers and this crate's fakes), and proof that the suites catch broken implementations:
//! each wrapper at the end breaks one rule, and the test names the rule it expects to fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ir_core::clock::Timestamp;
use ir_core::error::{ErrorKind, Result};
use ir_core::incident::{Event, RecordedEvent};
use ir_core::memory::{InMemoryChat, InMemoryIncidentStore, InMemoryPager, InMemoryStatusPage};
use ir_core::model::{
    ConnectionGroup, ConnectionStatus, DeploymentId, FailedJob, IncidentId, LogLevel, LogLine,
    PgBouncerPool, PoolStatus, RunConclusion, SlowQueries, SlowQuery, StateCounts, TimeWindow,
    TrackedIssue, WorkflowRun,
};
use ir_core::ports::{
    AutoApprove, CallbackApprover, CodeDeployment, CodeHost, DatabaseDiagnostics, Decision,
    DenyAll, ErrorTracker, HealthProbe, IncidentStore, Lease, LogStream, NewIssue, Opened,
    PgBouncerStats, RevertRequest, RunQuery, StoredIncident, TerminateRequest,
};
use ir_testkit::conformance::{
    approver, chat_notifier, code_host, database_diagnostics, deploy_platform, error_tracker,
    health_probe, incident_store, log_source, pager, status_page, variable_store,
};
use ir_testkit::{
    CodeHostFixture, DeployFixture, ErrorTrackerFixture, HealthFixture, InMemoryCodeHost,
    InMemoryDatabase, InMemoryErrorTracker, InMemoryLogs, InMemoryPlatform, InMemoryVariables,
    LogFixture, MemoryBackend, ScriptedHealthProbe, VariableFixture, deployments_fixture,
};

/// Now, in whole seconds.
fn now() -> Timestamp {
    let t = chrono::Utc::now();
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

fn err_kind<T: std::fmt::Debug>(result: Result<T>, want: ErrorKind, what: &str) {
    assert_eq!(result.unwrap_err().kind(), want, "{what}");
}

#[tokio::test]
async fn in_memory_incident_store_conforms() {
    incident_store::run_all(&InMemoryIncidentStore::new()).await;
}

#[tokio::test]
async fn in_memory_notifiers_conform() {
    let chat = InMemoryChat::new();
    chat_notifier::run_all(&chat, "#incident-response").await;
    assert_eq!(chat.messages().len(), 1);
    let p = InMemoryPager::new();
    pager::run_all(&p).await;
    assert!(p.open_pages().is_empty());
    let s = InMemoryStatusPage::new();
    status_page::run_all(&s).await;
    assert_eq!(s.updates().len(), 4);
}

#[tokio::test]
async fn in_memory_platform_conforms() {
    let deployments = deployments_fixture(4, now());
    let platform = InMemoryPlatform::new("web", deployments.clone());
    let fixture = DeployFixture {
        rollback_to: deployments[2].id.clone(),
        deployments,
        unknown: DeploymentId::new("nope"),
    };
    deploy_platform::run_all(&platform, &fixture).await;
}

#[tokio::test]
async fn in_memory_variables_conform() {
    let store = InMemoryVariables::new([
        ("DATABASE_URL", "postgres://h:6432/db"),
        ("NEXTAUTH_URL", "https://x"),
    ]);
    let fixture = VariableFixture {
        existing: vec![
            ("NEXTAUTH_URL".into(), "https://x".into()),
            ("DATABASE_URL".into(), "postgres://h:6432/db".into()),
        ],
        scratch: "IR_CONFORMANCE".into(),
    };
    variable_store::run_all(&store, &fixture).await;
}

#[tokio::test]
async fn in_memory_logs_conform() {
    let logs = InMemoryLogs::new();
    let stream = LogStream::Deployment(DeploymentId::new("d-1"));
    let t0 = now();
    let lines: Vec<LogLine> = (0..4)
        .map(|i| {
            LogLine::new(
                t0 + chrono::Duration::seconds(i),
                Some(LogLevel::Info),
                format!("line {i}"),
            )
        })
        .collect();
    for line in &lines {
        logs.push(stream.clone(), line.clone());
    }
    logs.push(
        LogStream::Build(DeploymentId::new("d-1")),
        LogLine::new(t0, None, "build line"),
    );
    log_source::run_all(&logs, &LogFixture { stream, lines }).await;
}

#[tokio::test]
async fn scripted_health_probe_conforms() {
    let probe = ScriptedHealthProbe::new("https://www.example.com");
    probe.set("/health", (200, "ok"));
    probe.set("/api/auth/session", (503, "Service Unavailable"));
    let fixture = HealthFixture {
        healthy_path: "/health".into(),
        healthy_status: 200,
        failing_path: "/api/auth/session".into(),
        failing_status: 503,
    };
    health_probe::run_all(&probe, &fixture).await;
    assert_eq!(probe.checks(), ["/health", "/api/auth/session"]);
}

fn database() -> InMemoryDatabase {
    let mut status = ConnectionStatus::new(100, 3);
    status.counts = StateCounts {
        active: 4,
        idle: 30,
        idle_in_transaction: 1,
        ..StateCounts::default()
    };
    status.oldest_idle = Some(Duration::from_secs(2 * 3600));
    status.oldest_idle_in_transaction = Some(Duration::from_secs(90));
    status.groups = vec![
        ConnectionGroup {
            application_name: "web".into(),
            user: Some("app".into()),
            counts: StateCounts {
                active: 4,
                idle: 28,
                idle_in_transaction: 1,
                ..StateCounts::default()
            },
        },
        ConnectionGroup {
            application_name: "psql".into(),
            user: Some("postgres".into()),
            counts: StateCounts {
                idle: 2,
                ..StateCounts::default()
            },
        },
    ];
    let db = InMemoryDatabase::new(status);
    let hour = Duration::from_secs(3600);
    db.add_backend(MemoryBackend::idle(101, "app", "web", 2 * hour));
    db.add_backend(MemoryBackend::idle(
        102,
        "app",
        "web",
        Duration::from_secs(5),
    ));
    db.add_backend(MemoryBackend::idle(103, "postgres", "psql", hour).superuser());
    db.add_backend(MemoryBackend::idle(104, "replicator", "walsender", hour).not_client());
    db.add_backend(MemoryBackend::idle(105, "app", "web", hour).in_state("active"));
    db
}

#[tokio::test]
async fn in_memory_database_conforms_and_keeps_its_backends() {
    let db = database();
    database_diagnostics::run_all(&db).await;
    assert_eq!(
        db.backends().len(),
        5,
        "the suite's terminations touch nothing"
    );

    db.set_pool(Some(PoolStatus {
        size: 10,
        idle: 0,
        max: 10,
    }));
    db.set_pgbouncer(Some((
        vec![PgBouncerPool::new("web", "app")],
        vec![PgBouncerStats::new("web")],
    )));
    let query = |ms: u64| SlowQuery {
        query: format!("SELECT pg_sleep({ms})"),
        calls: 1,
        total_time: Duration::from_millis(ms),
        mean_time: Duration::from_millis(ms),
        rows: 1,
    };
    db.set_slow_queries(SlowQueries::Available(
        (0..8).rev().map(|i| query(100 * i)).collect(),
    ));
    database_diagnostics::run_all(&db).await;
    db.set_slow_queries(SlowQueries::ExtensionMissing);
    database_diagnostics::run_all(&db).await;
}

#[tokio::test]
async fn in_memory_database_terminates_as_the_port_says() {
    let db = database();
    let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(60));
    request.dry_run = true;
    let dry = db.terminate_idle(&request).await.unwrap();
    assert_eq!(db.backends().len(), 5, "a dry run terminates nothing");

    request.dry_run = false;
    let report = db.terminate_idle(&request).await.unwrap();
    assert_eq!(report.terminated, dry.terminated);
    let pids = |r: &ir_core::ports::TerminationReport| -> Vec<i32> {
        r.terminated.iter().map(|b| b.pid).collect()
    };
    assert_eq!(
        pids(&report),
        [101],
        "only the idle client past the threshold"
    );
    let refused: Vec<_> = report
        .refused
        .iter()
        .map(|(b, r)| (b.pid, r.clone()))
        .collect();
    assert_eq!(
        refused,
        [
            (103, ir_core::ports::RefusalReason::Superuser),
            (104, ir_core::ports::RefusalReason::NotClientBackend),
        ]
    );
    let left: Vec<i32> = db.backends().iter().map(|b| b.info.pid).collect();
    assert_eq!(left, [102, 103, 104, 105]);
    let status = db.connection_status().await.unwrap();
    assert_eq!(status.counts.idle, 29);
    assert_eq!(status.groups[0].counts.idle, 27);

    request.application_name = Some("psql".into());
    let report = db.terminate_idle(&request).await.unwrap();
    assert!(report.terminated.is_empty());
    assert_eq!(report.refused.len(), 1, "the superuser's psql, refused");
    database_diagnostics::run_all(&db).await;
}

fn minutes(m: i64) -> chrono::Duration {
    chrono::Duration::minutes(m)
}

fn tracker_fixture() -> (InMemoryErrorTracker, ErrorTrackerFixture) {
    let end = now();
    let window = TimeWindow::ending_at(end, Duration::from_secs(60 * 60));
    let issue = |id: &str, count, first: i64, last: i64| {
        TrackedIssue::new(
            id,
            format!("TypeError in {id}"),
            count,
            end - minutes(first),
            end - minutes(last),
        )
    };
    let issues = vec![
        issue("old-busy", 900, 300, 10),
        issue("new-rare", 3, 20, 5),
        issue("new-busy", 120, 50, 1),
        issue("old-quiet", 7, 400, 200),
        issue("spanning", 40, 120, 120),
    ];
    let mut events: Vec<Timestamp> = [59, 58, 45, 44, 43, 30, 12, 1]
        .iter()
        .map(|&m| end - minutes(m))
        .collect();
    events.extend([end - minutes(80), end + minutes(20)]);
    let tracker = InMemoryErrorTracker::new();
    for i in &issues {
        tracker.add_issue(i.clone());
    }
    tracker.record_events(events.clone());
    let fixture = ErrorTrackerFixture {
        issues,
        events,
        window,
        interval: Duration::from_secs(15 * 60),
    };
    (tracker, fixture)
}

#[tokio::test]
async fn in_memory_error_tracker_conforms() {
    let (tracker, fixture) = tracker_fixture();
    error_tracker::run_all(&tracker, &fixture).await;
    let top = tracker.top_issues(fixture.window, 10).await.unwrap();
    let ids: Vec<_> = top.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["old-busy", "new-busy", "new-rare"]);
    let counts: Vec<u64> = tracker
        .error_counts(fixture.window, fixture.interval)
        .await
        .unwrap()
        .iter()
        .map(|b| b.count)
        .collect();
    assert_eq!(counts, [2, 3, 1, 2]);
}

fn code_fixture() -> (InMemoryCodeHost, CodeHostFixture) {
    let t0 = now();
    let host = InMemoryCodeHost::new("acme/web");
    let deployments: Vec<CodeDeployment> = (1..=3)
        .rev()
        .map(|i| {
            CodeDeployment::new(
                i,
                format!("{:040x}", i * 0xabc),
                "main",
                "production",
                t0 - minutes(10 * (3 - i as i64)),
            )
        })
        .collect();
    for d in &deployments {
        host.add_deployment(d.clone());
    }
    let run = |id: u64, conclusion: RunConclusion, branch: &str| {
        let mut run = WorkflowRun::new(
            id,
            "CD production",
            format!("{id:040x}"),
            "completed",
            Some(conclusion),
            t0 - minutes(100 - id as i64),
        );
        run.head_branch = Some(branch.into());
        run
    };
    let runs = vec![
        run(40, RunConclusion::Failure, "main"),
        run(30, RunConclusion::Success, "release"),
        run(20, RunConclusion::TimedOut, "main"),
        run(10, RunConclusion::Success, "main"),
    ];
    let jobs = vec![
        FailedJob::new(401, "migrate")
            .with_step(4, "Run migrations")
            .with_log_excerpt("error: relation \"users\" already exists"),
        FailedJob::new(402, "smoke"),
    ];
    for r in &runs {
        let failed = if r.id == 40 { jobs.clone() } else { Vec::new() };
        host.add_run("cd-production.yml", r.clone(), failed);
    }
    host.add_run(
        "ci.yml",
        run(35, RunConclusion::Failure, "main"),
        Vec::new(),
    );
    let fixture = CodeHostFixture {
        deployments,
        workflow: "cd-production.yml".into(),
        runs,
        failed_run: 40,
        failed_jobs: jobs,
        unknown_run: 999,
        revert: RevertRequest {
            commit_sha: format!("{:040x}", 40),
            base: "main".into(),
            title: "Revert \"change 40\"".into(),
            body: "Reverts the change behind the incident.".into(),
        },
    };
    (host, fixture)
}

#[tokio::test]
async fn in_memory_code_host_conforms() {
    let (host, fixture) = code_fixture();
    code_host::run_all(&host, &fixture).await;
    let issues = host.issues();
    assert_eq!(
        issues
            .iter()
            .map(|i| (i.reference.number, i.reference.url.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "memory://acme/web/issues/1"),
            (2, "memory://acme/web/issues/2")
        ]
    );
    let reverts = host.reverts();
    assert_eq!(reverts.len(), 1);
    assert_eq!(reverts[0].pull_request.number, 3);
    assert_eq!(reverts[0].pull_request.head_branch, "revert-0000000");
    assert_eq!(reverts[0].request, fixture.revert);
}

#[tokio::test]
async fn in_memory_code_host_refuses_issues_when_disabled() {
    let (host, _) = code_fixture();
    host.set_issues_enabled(false);
    let issue = NewIssue {
        title: "t".into(),
        body: String::new(),
        labels: Vec::new(),
        assignees: Vec::new(),
    };
    err_kind(
        host.create_issue(&issue).await,
        ErrorKind::Unsupported,
        "issues disabled",
    );
    assert!(host.issues().is_empty());
}

#[tokio::test]
async fn built_in_approvers_conform() {
    approver::run_all(&AutoApprove::new("alice")).await;
    approver::run_all(&DenyAll).await;
    approver::run_all(&CallbackApprover::new(|request| Decision::Rejected {
        by: "rule".into(),
        reason: format!("{} needs a person", request.action.kind.describe()),
    }))
    .await;
    approver::run_all(&CallbackApprover::new(|_| Decision::Approved {
        by: "bob".into(),
    }))
    .await;
}

// The suites catch broken implementations: each wrapper below breaks one rule.

/// Lists new issues oldest first.
#[derive(Debug)]
struct OldestFirst(InMemoryErrorTracker);

#[async_trait::async_trait]
impl ErrorTracker for OldestFirst {
    async fn new_issues(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
        let mut issues = self.0.new_issues(window).await?;
        issues.reverse();
        Ok(issues)
    }
    async fn top_issues(&self, window: TimeWindow, limit: usize) -> Result<Vec<TrackedIssue>> {
        self.0.top_issues(window, limit).await
    }
    async fn error_counts(
        &self,
        window: TimeWindow,
        interval: Duration,
    ) -> Result<Vec<ir_core::model::ErrorBucket>> {
        self.0.error_counts(window, interval).await
    }
}

#[tokio::test]
#[should_panic(
    expected = "conformance: error_tracker::new_issues_are_those_first_seen_in_the_window: new issues are newest first"
)]
async fn error_tracker_suite_catches_a_wrong_order() {
    let (tracker, fixture) = tracker_fixture();
    error_tracker::run_all(&OldestFirst(tracker), &fixture).await;
}

/// Answers an unknown run with no jobs instead of `NotFound`.
#[derive(Debug)]
struct Lenient(InMemoryCodeHost);

#[async_trait::async_trait]
impl CodeHost for Lenient {
    async fn deployments(&self, limit: usize) -> Result<Vec<CodeDeployment>> {
        self.0.deployments(limit).await
    }
    async fn workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>> {
        self.0.workflow_runs(query).await
    }
    async fn failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>> {
        Ok(self.0.failed_jobs(run_id).await.unwrap_or_default())
    }
    async fn create_issue(&self, issue: &NewIssue) -> Result<ir_core::ports::IssueRef> {
        self.0.create_issue(issue).await
    }
    async fn open_revert_pr(
        &self,
        request: &RevertRequest,
    ) -> Result<ir_core::ports::PullRequestRef> {
        self.0.open_revert_pr(request).await
    }
}

#[tokio::test]
#[should_panic(
    expected = "conformance: code_host::failed_jobs_of_a_run: failed_jobs of an unknown run"
)]
async fn code_host_suite_catches_a_missing_not_found() {
    let (host, fixture) = code_fixture();
    code_host::run_all(&Lenient(host), &fixture).await;
}

/// Terminates even on a dry run.
#[derive(Debug)]
struct IgnoresDryRun(InMemoryDatabase);

#[async_trait::async_trait]
impl DatabaseDiagnostics for IgnoresDryRun {
    async fn connection_status(&self) -> Result<ConnectionStatus> {
        self.0.connection_status().await
    }
    async fn pool_status(&self) -> Result<PoolStatus> {
        self.0.pool_status().await
    }
    async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
        self.0.pgbouncer_pools().await
    }
    async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
        self.0.pgbouncer_stats().await
    }
    async fn terminate_idle(
        &self,
        request: &TerminateRequest,
    ) -> Result<ir_core::ports::TerminationReport> {
        let real = TerminateRequest {
            dry_run: false,
            ..request.clone()
        };
        self.0.terminate_idle(&real).await
    }
    async fn slow_queries(&self, limit: usize) -> Result<SlowQueries> {
        self.0.slow_queries(limit).await
    }
}

#[tokio::test]
#[should_panic(
    expected = "conformance: database_diagnostics::terminate_finds_nothing_for_an_unused_application: the report says whether it was a dry run"
)]
async fn database_suite_catches_a_dry_run_that_terminates() {
    database_diagnostics::run_all(&IgnoresDryRun(database())).await;
}

#[tokio::test]
#[should_panic(
    expected = "conformance: health_probe::paths_stay_on_the_base: a path that leaves the base"
)]
async fn health_suite_catches_a_probe_that_follows_other_hosts() {
    /// Accepts any path, as a probe that joins blindly would.
    #[derive(Debug)]
    struct Blind;

    #[async_trait::async_trait]
    impl HealthProbe for Blind {
        async fn check(&self, path: &str) -> Result<ir_core::model::HealthReport> {
            let status = if path.contains("session") { 503 } else { 200 };
            Ok(ir_core::model::HealthReport::answered(
                format!("https://www.example.com{path}"),
                status,
                Duration::from_millis(5),
                "",
            ))
        }
    }
    let fixture = HealthFixture {
        healthy_path: "/health".into(),
        healthy_status: 200,
        failing_path: "/api/auth/session".into(),
        failing_status: 503,
    };
    health_probe::run_all(&Blind, &fixture).await;
}

/// Which incident-store rule [`Broken`] breaks.
#[derive(Debug, Clone, Copy)]
enum StoreFault {
    /// `load_since` answers every event, whatever the version.
    LoadSinceFromTheStart,
    /// A conflict does not say which version the timeline is at.
    ConflictWithoutItsVersion,
}

/// The in-memory store with one [`StoreFault`].
#[derive(Debug)]
struct Broken(InMemoryIncidentStore, StoreFault);

#[async_trait::async_trait]
impl IncidentStore for Broken {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        self.0.open(dedup_key, detected).await
    }
    async fn append(&self, id: IncidentId, expected: u64, events: Vec<Event>) -> Result<u64> {
        let result = self.0.append(id, expected, events).await;
        match (result, self.1) {
            (Err(e), StoreFault::ConflictWithoutItsVersion) => {
                Err(ir_core::Error::new(e.kind(), e.message()))
            }
            (result, _) => result,
        }
    }
    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        self.0.load(id).await
    }
    async fn load_since(&self, id: IncidentId, after: u64) -> Result<Vec<RecordedEvent>> {
        match self.1 {
            StoreFault::LoadSinceFromTheStart => Ok(self.0.load(id).await?.events),
            StoreFault::ConflictWithoutItsVersion => self.0.load_since(id, after).await,
        }
    }
    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        self.0.list_open().await
    }
    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        self.0.acquire_lease(key, holder, ttl).await
    }
    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        self.0.release_lease(lease).await
    }
}

#[tokio::test]
#[should_panic(
    expected = "conformance: incident_store::load_since_returns_the_events_after_a_version: load_since(id, 1) must be"
)]
async fn incident_store_suite_catches_a_load_since_that_ignores_the_version() {
    let store = Broken(
        InMemoryIncidentStore::new(),
        StoreFault::LoadSinceFromTheStart,
    );
    incident_store::run_all(&store).await;
}

#[tokio::test]
#[should_panic(
    expected = "conformance: incident_store::conflict_carries_the_current_version: the conflict carries the stored version"
)]
async fn incident_store_suite_catches_a_conflict_without_its_version() {
    let store = Broken(
        InMemoryIncidentStore::new(),
        StoreFault::ConflictWithoutItsVersion,
    );
    incident_store::run_all(&store).await;
}

/// A store written before `load_since` existed: the trait's default serves it, and conforms.
#[tokio::test]
async fn load_since_defaults_to_the_tail_of_load() {
    #[derive(Debug)]
    struct Legacy(InMemoryIncidentStore);

    #[async_trait::async_trait]
    impl IncidentStore for Legacy {
        async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
            self.0.open(dedup_key, detected).await
        }
        async fn append(&self, id: IncidentId, expected: u64, events: Vec<Event>) -> Result<u64> {
            self.0.append(id, expected, events).await
        }
        async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
            self.0.load(id).await
        }
        async fn list_open(&self) -> Result<Vec<IncidentId>> {
            self.0.list_open().await
        }
        async fn acquire_lease(
            &self,
            key: &str,
            holder: &str,
            ttl: Duration,
        ) -> Result<Option<Lease>> {
            self.0.acquire_lease(key, holder, ttl).await
        }
        async fn release_lease(&self, lease: &Lease) -> Result<()> {
            self.0.release_lease(lease).await
        }
    }
    let store = Legacy(InMemoryIncidentStore::new());
    incident_store::load_since_returns_the_events_after_a_version(&store).await;
    incident_store::conflict_carries_the_current_version(&store).await;
}
