//! One line per observation for people: what a probe saw, not only what it asked.

use std::time::Duration;

use super::code::{FailedJob, WorkflowRun};
use super::database::{ConnectionStatus, DsnCheck, DsnRoute, PgBouncerPool, PoolStatus};
use super::database::{SlowQueries, StateCounts};
use super::deploy::{Deployment, DeploymentStatus, InstanceStatus, ServiceStatus};
use super::evidence::{Evidence, EvidenceOutcome, Observation};
use super::health::{HealthOutcome, HealthReport};
use super::logs::{LogLine, LogSignatures};
use super::tracker::{ErrorBucket, TrackedIssue};
use crate::clock::Timestamp;

/// Longest quoted text (a log line, an issue title, a query) in a summary, in characters.
const QUOTE: usize = 100;

impl Observation {
    /// What was seen, in one line for the timeline, the assessment and the postmortem, e.g.
    /// `service web: deployment d2 (abc1234, 15:31) crashed, serving since 15:31; previous
    /// d1 (9f8e7d6, 12:02) removed; replicas: 2 crashed`. Text from the world (log lines, issue
    /// titles, queries) is quoted clipped; call it on a [`redacted`](Self::redacted)
    /// observation, as the diagnosis records them.
    ///
    /// ```
    /// use ir_core::model::{Deployment, DeploymentStatus, InstanceStatus, Observation, ServiceStatus};
    ///
    /// let at = |t: &str| format!("2026-02-08T{t}:00Z").parse::<chrono::DateTime<chrono::Utc>>();
    /// let d2 = Deployment::new("d2", DeploymentStatus::Crashed, at("15:31")?)
    ///     .with_commit("abc1234def", None);
    /// let d1 = Deployment::new("d1", DeploymentStatus::Removed, at("12:02")?);
    /// let status = ServiceStatus::new("web")
    ///     .with_latest(d2.clone())
    ///     .with_active(vec![d2, d1])
    ///     .with_instances(vec![InstanceStatus::Crashed, InstanceStatus::Crashed]);
    /// assert_eq!(
    ///     Observation::ServiceStatus(status).summary(),
    ///     "service web: deployment d2 (abc1234, 15:31) crashed; also serving d1 (12:02) removed; replicas: 2 crashed"
    /// );
    /// assert_eq!(
    ///     Observation::VariablePresence { name: "NEXTAUTH_SECRET".into(), present: false }.summary(),
    ///     "NEXTAUTH_SECRET is not set"
    /// );
    /// # Ok::<(), chrono::ParseError>(())
    /// ```
    pub fn summary(&self) -> String {
        match self {
            Observation::ServiceStatus(s) => service_status(s),
            Observation::Deployments(list) => deployments(list),
            Observation::LogMatches { patterns, lines } => log_matches(patterns, lines),
            Observation::LogSignatures(s) => log_signatures(s),
            Observation::VariablePresence { name, present } => {
                format!("{name} is {}", if *present { "set" } else { "not set" })
            }
            Observation::FailedRuns(runs) => failed_runs(runs),
            Observation::TrackerIssues(issues) => tracker_issues(issues),
            Observation::ErrorCounts(buckets) => error_counts(buckets),
            Observation::Connections(c) => connections(c),
            Observation::Pool(p) => pool(p),
            Observation::PgBouncerPools(pools) => pgbouncer(pools),
            Observation::Dsn(d) => dsn(d),
            Observation::SlowQueries(q) => slow_queries(q),
            Observation::Health(report) => health(report),
            Observation::Text(text) => one_line(text),
        }
    }
}

impl Evidence {
    /// What the probe saw ([`Observation::summary`]), or `unavailable: ` and the error it got
    /// (its `Display`, which names the kind: `unavailable: unsupported: no ErrorTracker is
    /// configured`, `unavailable: railway deployments: timed out: ...`).
    pub fn summary(&self) -> String {
        match &self.outcome {
            EvidenceOutcome::Observed { observation } => observation.summary(),
            EvidenceOutcome::Unavailable { message, .. } => {
                format!("unavailable: {}", one_line(message))
            }
        }
    }
}

impl DeploymentStatus {
    /// The status in lower case, as the summaries print it (`crashed`, `active`, or the
    /// platform's own word for an unknown one).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Queued => "queued",
            Self::Building => "building",
            Self::Deploying => "deploying",
            Self::Active => "active",
            Self::Sleeping => "sleeping",
            Self::Failed => "failed",
            Self::Crashed => "crashed",
            Self::Removing => "removing",
            Self::Removed => "removed",
            Self::Skipped => "skipped",
            Self::Unknown(s) => s,
        }
    }
}

impl InstanceStatus {
    /// The status in lower case (`running`, `crashed`, or the platform's own word).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Restarting => "restarting",
            Self::Crashed => "crashed",
            Self::Exited => "exited",
            Self::Stopped => "stopped",
            Self::Removing => "removing",
            Self::Removed => "removed",
            Self::Unknown(s) => s,
        }
    }
}

/// Collapses whitespace, so a summary is one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` on one line, at most [`QUOTE`] characters, with an ellipsis when cut.
fn quote(text: &str) -> String {
    let text = one_line(text);
    if text.chars().count() <= QUOTE {
        text
    } else {
        let mut s: String = text.chars().take(QUOTE - 1).collect();
        s.push('…');
        s
    }
}

/// `15:31` on the reference day, else `2026-02-07 15:31`.
fn when(t: Timestamp, day: Timestamp) -> String {
    if t.date_naive() == day.date_naive() {
        t.format("%H:%M").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M").to_string()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn minutes(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min", secs / 60)
    }
}

/// `d2 (abc1234, 15:31)`.
fn deployment(d: &Deployment, day: Timestamp) -> String {
    match &d.commit_sha {
        Some(sha) => format!(
            "{} ({}, {})",
            d.id,
            sha.get(..7).unwrap_or(sha),
            when(d.created_at, day)
        ),
        None => format!("{} ({})", d.id, when(d.created_at, day)),
    }
}

fn service_status(s: &ServiceStatus) -> String {
    let mut out = format!("service {}: ", s.service_name);
    let latest = s
        .latest_deployment
        .as_ref()
        .or(s.active_deployments.first());
    match latest {
        None => out.push_str("nothing deployed"),
        Some(d) => {
            out.push_str(&format!(
                "deployment {} {}",
                deployment(d, d.created_at),
                d.status.as_str()
            ));
            let day = d.created_at;
            let others: Vec<String> = s
                .active_deployments
                .iter()
                .filter(|a| a.id != d.id)
                .map(|a| format!("{} {}", deployment(a, day), a.status.as_str()))
                .collect();
            if !others.is_empty() {
                out.push_str(&format!("; also serving {}", others.join(", ")));
            } else if !s.active_deployments.iter().any(|a| a.id == d.id) {
                out.push_str("; nothing serving");
            }
        }
    }
    if !s.instances.is_empty() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for i in &s.instances {
            match counts.iter_mut().find(|(name, _)| *name == i.as_str()) {
                Some((_, n)) => *n += 1,
                None => counts.push((i.as_str(), 1)),
            }
        }
        let counts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        out.push_str(&format!("; replicas: {}", counts.join(", ")));
    }
    out
}

fn deployments(list: &[Deployment]) -> String {
    let Some(newest) = list.first() else {
        return "no deployment".to_owned();
    };
    let shown: Vec<String> = list
        .iter()
        .take(3)
        .map(|d| format!("{} {}", deployment(d, newest.created_at), d.status.as_str()))
        .collect();
    let more = list.len().saturating_sub(shown.len());
    let more = if more > 0 {
        format!(", {more} more")
    } else {
        String::new()
    };
    format!(
        "{}, newest first: {}{more}",
        plural(list.len(), "deployment", "deployments"),
        shown.join(", ")
    )
}

fn log_matches(patterns: &[String], lines: &[LogLine]) -> String {
    let patterns = if patterns.is_empty() {
        "the patterns".to_owned()
    } else {
        patterns.join(", ")
    };
    match lines.last() {
        None => format!("no log line matching {patterns}"),
        Some(last) => format!(
            "{} matching {patterns}; newest at {}: \"{}\"",
            plural(lines.len(), "log line", "log lines"),
            last.timestamp.format("%H:%M:%S"),
            quote(&last.message)
        ),
    }
}

fn log_signatures(s: &LogSignatures) -> String {
    let counts = format!(
        "{} error lines before deploy {}, {} since",
        s.baseline_lines, s.deployment, s.incident_lines
    );
    match s.headline() {
        Some(headline) => format!("{headline}; {counts}"),
        None => format!("no new or spiking error signature; {counts}"),
    }
}

fn failed_runs(runs: &[(WorkflowRun, Vec<FailedJob>)]) -> String {
    let Some((run, jobs)) = runs.first() else {
        return "no failed CI run".to_owned();
    };
    let mut out = format!(
        "{}; newest: run {} \"{}\" at {}",
        plural(runs.len(), "failed CI run", "failed CI runs"),
        run.id,
        run.name,
        run.head_sha.get(..7).unwrap_or(&run.head_sha)
    );
    if let Some(job) = jobs.first() {
        out.push_str(&format!(", job \"{}\"", job.name));
        if let Some(step) = &job.step_name {
            out.push_str(&format!(" failed at step \"{step}\""));
        }
    }
    out
}

fn tracker_issues(issues: &[TrackedIssue]) -> String {
    let Some(top) = issues.first() else {
        return "no error-tracker issue".to_owned();
    };
    format!(
        "{}; first: {} \"{}\" ({}, first seen {})",
        plural(issues.len(), "error-tracker issue", "error-tracker issues"),
        top.short_id,
        quote(&top.title),
        plural(top.count as usize, "event", "events"),
        when(top.first_seen, top.last_seen)
    )
}

fn error_counts(buckets: &[ErrorBucket]) -> String {
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return "no error counts".to_owned();
    };
    let total: u64 = buckets.iter().map(|b| b.count).sum();
    let mut out = format!(
        "{} errors in {} from {} to {}",
        total,
        plural(buckets.len(), "interval", "intervals"),
        when(first.start, last.start),
        when(last.start, last.start)
    );
    if let Some(peak) = buckets
        .iter()
        .max_by_key(|b| b.count)
        .filter(|b| b.count > 0)
    {
        out.push_str(&format!(
            ", peak {} at {}",
            peak.count,
            when(peak.start, last.start)
        ));
    }
    out
}

fn states(c: &StateCounts) -> String {
    let mut parts = vec![format!("{} active", c.active), format!("{} idle", c.idle)];
    let in_tx = c.idle_in_transaction + c.idle_in_transaction_aborted;
    if in_tx > 0 {
        parts.push(format!("{in_tx} idle in transaction"));
    }
    if c.other > 0 {
        parts.push(format!("{} other", c.other));
    }
    parts.join(", ")
}

fn connections(c: &ConnectionStatus) -> String {
    let usable = c.max_connections.saturating_sub(c.reserved_connections);
    let mut out = format!(
        "{} of {usable} connection slots in use ({}), {} free",
        c.counts.total(),
        states(&c.counts),
        c.headroom()
    );
    if let Some(age) = c.oldest_idle {
        out.push_str(&format!("; oldest idle {}", minutes(age)));
    }
    if let Some(age) = c.oldest_idle_in_transaction {
        out.push_str(&format!("; oldest idle in transaction {}", minutes(age)));
    }
    out
}

fn pool(p: &PoolStatus) -> String {
    format!(
        "application pool: {} of {} open, {} in use, {} idle{}",
        p.size,
        p.max,
        p.in_use(),
        p.idle,
        if p.is_exhausted() { " (exhausted)" } else { "" }
    )
}

fn pgbouncer(pools: &[PgBouncerPool]) -> String {
    if pools.is_empty() {
        return "PgBouncer: no pool".to_owned();
    }
    let waiting: u64 = pools.iter().map(|p| p.cl_waiting).sum();
    let active: u64 = pools.iter().map(|p| p.cl_active).sum();
    let servers: u64 = pools.iter().map(|p| p.sv_active).sum();
    let mut out = format!(
        "PgBouncer: {}, {active} clients active, {waiting} waiting, {servers} server connections in use",
        plural(pools.len(), "pool", "pools")
    );
    if let Some(longest) = pools
        .iter()
        .map(|p| p.maxwait)
        .max()
        .filter(|d| !d.is_zero())
    {
        out.push_str(&format!("; longest wait {}", minutes(longest)));
    }
    out
}

fn dsn(d: &DsnCheck) -> String {
    let user = d.user.as_ref().map(|u| format!("{u}@")).unwrap_or_default();
    let db = d
        .database
        .as_ref()
        .map(|db| format!("/{db}"))
        .unwrap_or_default();
    let target = format!("{user}{}:{}{db}", d.host, d.port);
    match d.route {
        DsnRoute::PgBouncer => format!("points at {target}: through PgBouncer (6432)"),
        DsnRoute::Direct => {
            format!("points at {target}: straight to PostgreSQL, not PgBouncer (6432)")
        }
        DsnRoute::OtherPort => {
            format!("points at {target}: neither PostgreSQL's 5432 nor PgBouncer's 6432")
        }
    }
}

fn slow_queries(q: &SlowQueries) -> String {
    match q {
        SlowQueries::ExtensionMissing => "pg_stat_statements is not installed".to_owned(),
        SlowQueries::NotPreloaded => {
            "pg_stat_statements is installed but not in shared_preload_libraries".to_owned()
        }
        SlowQueries::Available(qs) => match qs.first() {
            None => "no statement recorded by pg_stat_statements".to_owned(),
            Some(top) => format!(
                "{}; slowest: mean {} ms over {}: {}",
                plural(qs.len(), "statement", "statements"),
                top.mean_time.as_millis(),
                plural(top.calls as usize, "call", "calls"),
                quote(&top.query)
            ),
        },
    }
}

fn latency(d: Duration) -> String {
    if d.as_secs() >= 60 {
        minutes(d)
    } else {
        format!("{} ms", d.as_millis())
    }
}

fn health(report: &HealthReport) -> String {
    match (&report.outcome, report.status) {
        (HealthOutcome::TlsError(e), _) => {
            format!(
                "{}: TLS failed after {}: {}",
                report.url,
                latency(report.latency),
                quote(e)
            )
        }
        (HealthOutcome::Unreachable(e), _) => {
            format!("{} unreachable: {}", report.url, quote(e))
        }
        (HealthOutcome::Timeout, _) => format!(
            "{} did not answer within {}",
            report.url,
            latency(report.latency)
        ),
        (_, Some(status)) => {
            let mut out = format!(
                "{} answered HTTP {status} in {}",
                report.url,
                latency(report.latency)
            );
            let body = one_line(&report.body_excerpt);
            if !report.is_healthy() && !body.is_empty() {
                out.push_str(&format!(": \"{}\"", quote(&body)));
            }
            out
        }
        (_, None) => format!("{} did not answer", report.url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LogLevel, LogSignature, SlowQuery};

    fn at(hhmm: &str) -> Timestamp {
        format!("2026-02-08T{hhmm}:00Z").parse().unwrap()
    }

    /// Every observation says what was seen, not only what was asked ("service status",
    /// "connections", "dsn").
    #[test]
    fn every_observation_says_what_was_seen() {
        let d2 = Deployment::new("d2", DeploymentStatus::Crashed, at("15:31"))
            .with_commit("abc1234def", None);
        let d1 = Deployment::new("d1", DeploymentStatus::Active, at("12:02"))
            .with_commit("9f8e7d6c5b", None);
        let old = Deployment::new(
            "d0",
            DeploymentStatus::Removed,
            at("12:02") - chrono::Duration::days(1),
        );
        let mut conns = ConnectionStatus::new(100, 3);
        conns.counts = StateCounts {
            active: 30,
            idle: 10,
            idle_in_transaction: 2,
            ..StateCounts::default()
        };
        conns.oldest_idle = Some(Duration::from_secs(42 * 60));
        let mut bouncer = PgBouncerPool::new("web", "app");
        bouncer.cl_active = 20;
        bouncer.cl_waiting = 7;
        bouncer.sv_active = 20;
        bouncer.maxwait = Duration::from_secs(3);
        let mut issue = TrackedIssue::new(
            "1",
            "TypeError: x is undefined",
            120,
            at("15:21"),
            at("15:40"),
        );
        issue.short_id = "WEB-1A".into();
        let mut signatures =
            LogSignatures::empty(crate::model::DeploymentId::new("d2"), at("15:31"));
        signatures.baseline_lines = 4;
        signatures.incident_lines = 12;
        signatures.new.push(LogSignature {
            template: "[next-auth][error][NO_SECRET]".into(),
            baseline_count: 0,
            incident_count: 12,
            first_seen: at("15:32"),
            last_seen: at("15:40"),
            example: "[next-auth][error][NO_SECRET]".into(),
        });
        let run = WorkflowRun::new(
            42,
            "CD production",
            "abc1234def",
            "completed",
            None,
            at("15:20"),
        );
        let job = FailedJob::new(7, "build").with_step(4, "Build");
        let cases: Vec<(Observation, &str)> = vec![
            (
                Observation::ServiceStatus(
                    ServiceStatus::new("web")
                        .with_latest(d2.clone())
                        .with_active(vec![d1.clone()])
                        .with_instances(vec![InstanceStatus::Crashed, InstanceStatus::Running]),
                ),
                "service web: deployment d2 (abc1234, 15:31) crashed; also serving d1 (9f8e7d6, 12:02) active; replicas: 1 crashed, 1 running",
            ),
            (
                Observation::ServiceStatus(ServiceStatus::new("web").with_latest(d2.clone())),
                "service web: deployment d2 (abc1234, 15:31) crashed; nothing serving",
            ),
            (
                Observation::Deployments(vec![d2.clone(), d1.clone(), old.clone(), old]),
                "4 deployments, newest first: d2 (abc1234, 15:31) crashed, d1 (9f8e7d6, 12:02) active, d0 (2026-02-07 12:02) removed, 1 more",
            ),
            (
                Observation::LogMatches {
                    patterns: vec!["crash".into()],
                    lines: vec![
                        LogLine::new(at("15:29"), None, "npm ERR! exited with code 1"),
                        LogLine::new(
                            at("15:30"),
                            Some(LogLevel::Error),
                            "Container crashed,\n restarting",
                        ),
                    ],
                },
                "2 log lines matching crash; newest at 15:30:00: \"Container crashed, restarting\"",
            ),
            (
                Observation::LogMatches {
                    patterns: vec!["crash".into()],
                    lines: vec![],
                },
                "no log line matching crash",
            ),
            (
                Observation::LogSignatures(signatures),
                "new error signature since deploy d2: `[next-auth][error][NO_SECRET]` (12 lines); 4 error lines before deploy d2, 12 since",
            ),
            (
                Observation::FailedRuns(vec![(run, vec![job])]),
                "1 failed CI run; newest: run 42 \"CD production\" at abc1234, job \"build\" failed at step \"Build\"",
            ),
            (
                Observation::TrackerIssues(vec![issue]),
                "1 error-tracker issue; first: WEB-1A \"TypeError: x is undefined\" (120 events, first seen 15:21)",
            ),
            (
                Observation::ErrorCounts(vec![
                    ErrorBucket {
                        start: at("15:28"),
                        count: 2,
                    },
                    ErrorBucket {
                        start: at("15:29"),
                        count: 300,
                    },
                    ErrorBucket {
                        start: at("15:30"),
                        count: 40,
                    },
                ]),
                "342 errors in 3 intervals from 15:28 to 15:30, peak 300 at 15:29",
            ),
            (
                Observation::Connections(conns),
                "42 of 97 connection slots in use (30 active, 10 idle, 2 idle in transaction), 55 free; oldest idle 42 min",
            ),
            (
                Observation::Pool(PoolStatus {
                    size: 20,
                    idle: 0,
                    max: 20,
                }),
                "application pool: 20 of 20 open, 20 in use, 0 idle (exhausted)",
            ),
            (
                Observation::PgBouncerPools(vec![bouncer]),
                "PgBouncer: 1 pool, 20 clients active, 7 waiting, 20 server connections in use; longest wait 3 s",
            ),
            (
                Observation::Dsn(DsnCheck {
                    host: "db.internal".into(),
                    port: 5432,
                    database: Some("web".into()),
                    user: Some("app".into()),
                    route: DsnRoute::Direct,
                }),
                "points at app@db.internal:5432/web: straight to PostgreSQL, not PgBouncer (6432)",
            ),
            (
                Observation::SlowQueries(SlowQueries::Available(vec![SlowQuery {
                    query: "SELECT * FROM items WHERE owner = $1".into(),
                    calls: 1200,
                    total_time: Duration::from_secs(974),
                    mean_time: Duration::from_millis(812),
                    rows: 1200,
                }])),
                "1 statement; slowest: mean 812 ms over 1200 calls: SELECT * FROM items WHERE owner = $1",
            ),
            (
                Observation::Health(HealthReport::answered(
                    "https://www.example.com/health",
                    503,
                    Duration::from_millis(40),
                    "Service Unavailable",
                )),
                "https://www.example.com/health answered HTTP 503 in 40 ms: \"Service Unavailable\"",
            ),
            (
                Observation::Health(HealthReport::failed(
                    "https://www.example.com/health",
                    Duration::from_secs(5),
                    HealthOutcome::Timeout,
                )),
                "https://www.example.com/health did not answer within 5000 ms",
            ),
        ];
        for (observation, want) in cases {
            assert_eq!(observation.summary(), want);
        }
    }

    #[test]
    fn a_long_quote_is_clipped_to_one_line() {
        let long = "x ".repeat(200);
        let s = Observation::LogMatches {
            patterns: vec![],
            lines: vec![LogLine::new(at("15:30"), None, long)],
        }
        .summary();
        assert!(s.ends_with("…\""), "{s}");
        assert!(s.chars().count() < 180, "{s}");
    }

    #[test]
    fn unavailable_evidence_names_its_error_once() {
        let evidence = Evidence {
            id: crate::model::EvidenceId::new("E3"),
            probe: "new_issues[30m]".into(),
            source: "errors".into(),
            collected_at: at("15:30"),
            outcome: EvidenceOutcome::Unavailable {
                kind: crate::error::ErrorKind::Unsupported,
                message: crate::error::Error::unsupported("no ErrorTracker is configured")
                    .to_string(),
            },
        };
        assert_eq!(
            evidence.summary(),
            "unavailable: unsupported: no ErrorTracker is configured"
        );
    }
}
