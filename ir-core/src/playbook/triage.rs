//! "New error signatures since the last deployment": the logs before the current deployment
//! against the logs since, mined and diffed with [`ir_triage`].

use std::sync::OnceLock;
use std::time::Duration;

use ir_triage::{Change, DiffPolicy, HeaderMode, MinerConfig, PatternSet, Scanner, Triage, Window};

use super::signatures::LogPattern;
use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{LogLevel, LogLine, LogSignature, LogSignatures, Observation};
use crate::ports::{DeployPlatform, LogQuery, LogSource, LogStream};

/// The runbook's known error texts ([`LogPattern`]), most specific first: a new signature
/// matching one of them leads its list, so the assessment names it rather than a busier but
/// vaguer one (`GET <*> <*>` at level error).
const KNOWN: [LogPattern; 8] = [
    LogPattern::NextAuthNoSecret,
    LogPattern::MissingModule,
    LogPattern::PoolExhausted,
    LogPattern::OutOfMemory,
    LogPattern::DatabaseConnection,
    LogPattern::DatabaseTimeout,
    LogPattern::ThirdParty,
    LogPattern::Crash,
];

/// Where `s` ranks by the known texts: the index of the first one it matches, else last.
fn known_rank(s: &LogSignature) -> usize {
    KNOWN
        .iter()
        .position(|p| p.matches(&s.template) || p.matches(&s.example))
        .unwrap_or(KNOWN.len())
}

/// At most this many signatures are kept per list (new, spiking, vanished).
pub const MAX_SIGNATURES: usize = 10;

/// The runbook's pattern sets (errors, crashes, auth, build, pool), built once.
fn scanner() -> Option<&'static Scanner> {
    static SCANNER: OnceLock<Option<Scanner>> = OnceLock::new();
    SCANNER
        .get_or_init(|| Scanner::new(&PatternSet::defaults()).ok())
        .as_ref()
}

/// Whether a line is an error line: at level error, or matching a runbook pattern set.
fn is_error(line: &LogLine) -> bool {
    line.level == Some(LogLevel::Error)
        || scanner().is_some_and(|s| !s.matched_sets(line.message.as_bytes()).is_empty())
}

fn millis(t: Timestamp) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}

fn timestamp(ms: u64) -> Timestamp {
    i64::try_from(ms)
        .ok()
        .and_then(Timestamp::from_timestamp_millis)
        .unwrap_or_default()
}

fn signature(change: Change) -> LogSignature {
    let (baseline_count, incident_count) = (change.baseline_count(), change.incident_count());
    let shown = change
        .incident
        .or(change.baseline)
        .unwrap_or_else(|| ir_triage::WindowStat {
            count: 0,
            first_seen: 0,
            last_seen: 0,
            example: String::new(),
        });
    LogSignature {
        template: change.template,
        baseline_count,
        incident_count,
        first_seen: timestamp(shown.first_seen),
        last_seen: timestamp(shown.last_seen),
        example: shown.example,
    }
}

/// Mines `before` (the baseline) and `after` (the incident window), keeping error lines only,
/// and diffs them: rates compare the windows' lengths, examples go through
/// [`crate::redact`].
pub(crate) fn diff_lines(
    deployment: crate::model::DeploymentId,
    since: Timestamp,
    spans: (Duration, Duration),
    before: &[LogLine],
    after: &[LogLine],
) -> LogSignatures {
    let mut triage = Triage::new(MinerConfig::default(), HeaderMode::Auto)
        .with_redactor(|line| crate::redact::redact(line).into_owned());
    let mut out = LogSignatures::empty(deployment, since);
    for (window, lines, count) in [
        (Window::Baseline, before, &mut out.baseline_lines),
        (Window::Incident, after, &mut out.incident_lines),
    ] {
        for line in lines.iter().filter(|l| is_error(l)) {
            *count += 1;
            triage.observe(window, millis(line.timestamp), &line.message);
        }
    }
    let policy = DiffPolicy {
        spans: Some((
            spans.0.as_secs_f64().max(1.0),
            spans.1.as_secs_f64().max(1.0),
        )),
        ..DiffPolicy::default()
    };
    let diff = triage.diff(&policy);
    // Known error texts first, then as ir_triage ranks them (most frequent first); a stable
    // sort keeps that order within each rank.
    let take = |v: Vec<Change>| -> Vec<LogSignature> {
        let mut out: Vec<LogSignature> = v.into_iter().map(signature).collect();
        out.sort_by_key(known_rank);
        out.truncate(MAX_SIGNATURES);
        out
    };
    out.new = take(diff.new);
    out.spiking = take(diff.spiking);
    out.vanished = take(diff.vanished);
    out
}

/// Runs [`Probe::NewLogSignatures`](super::Probe::NewLogSignatures): finds the current
/// deployment (`DeployPlatform::service_status`: the first active one, else the latest), reads
/// the environment's logs for `baseline` before its creation and from then until now
/// (`limit` lines each, the windows re-applied to what arrives), and diffs them.
pub(crate) async fn run(
    deploy: &dyn DeployPlatform,
    logs: &dyn LogSource,
    now: Timestamp,
    baseline: Duration,
    limit: usize,
) -> Result<Observation> {
    let status = deploy.service_status().await?;
    let current = status.current().ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            "no current deployment to split the logs at",
        )
    })?;
    let since = current.created_at;
    let start = crate::clock::sub(since, baseline);
    let end = now.max(since);
    let query = |from, until| {
        LogQuery::new(LogStream::Environment, limit).with_window(Some(from), Some(until))
    };
    let (before, after) = futures::future::join(
        logs.logs(&query(start, since)),
        logs.logs(&query(since, end)),
    )
    .await;
    let keep = |lines: Vec<LogLine>, from: Timestamp, until: Timestamp, last: bool| {
        lines
            .into_iter()
            .filter(|l| {
                l.timestamp >= from && (l.timestamp < until || (last && l.timestamp == until))
            })
            .collect::<Vec<_>>()
    };
    let before = keep(before?, start, since, false);
    let after = keep(after?, since, end, true);
    let incident_span = (end - since).to_std().unwrap_or_default();
    Ok(Observation::LogSignatures(diff_lines(
        current.id.clone(),
        since,
        (baseline, incident_span),
        &before,
        &after,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeploymentId;

    fn at(min: i64) -> Timestamp {
        "2026-02-08T15:30:00Z"
            .parse::<Timestamp>()
            .map(|t| t + chrono::Duration::minutes(min))
            .unwrap_or_default()
    }

    fn lines(spec: &[(i64, usize, &str)]) -> Vec<LogLine> {
        spec.iter()
            .flat_map(|&(min, n, text)| (0..n).map(move |_| LogLine::new(at(min), None, text)))
            .collect()
    }

    #[test]
    fn new_spiking_vanished_and_noise_since_the_deploy() {
        let hour = Duration::from_secs(3600);
        let before = lines(&[
            (-50, 2, "Error: timeout exceeded when trying to connect"),
            (-40, 1, "Error: ECONNRESET socket hang up"),
            (
                -30,
                1,
                "TypeError: Cannot read properties of undefined (reading 'map')",
            ),
            (-20, 5, "GET /api/items 200 in 12ms"),
        ]);
        let after = lines(&[
            (5, 20, "Error: timeout exceeded when trying to connect"),
            (
                6,
                3,
                "TypeError: Cannot read properties of undefined (reading 'map')",
            ),
            (
                7,
                1,
                "Error: Cannot find module '/app/lib/formatDate' password=hunter2",
            ),
            (8, 5, "GET /api/items 200 in 15ms"),
        ]);
        let d = diff_lines(
            DeploymentId::new("d7"),
            at(0),
            (hour, hour),
            &before,
            &after,
        );
        assert_eq!(
            (d.baseline_lines, d.incident_lines),
            (4, 24),
            "info lines are not mined"
        );
        let names = |v: &[LogSignature]| v.iter().map(|s| s.template.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&d.new),
            ["Error: Cannot find module '<*>' password=hunter2"]
        );
        // 2 -> 20 over equal windows spikes; 1 -> 3 is below the floor.
        assert_eq!(
            names(&d.spiking),
            ["Error: timeout exceeded when trying to connect"]
        );
        assert_eq!(names(&d.vanished), ["Error: ECONNRESET socket hang up"]);
        assert_eq!(
            (d.spiking[0].baseline_count, d.spiking[0].incident_count),
            (2, 20)
        );
        assert_eq!(
            (d.vanished[0].first_seen, d.vanished[0].last_seen),
            (at(-40), at(-40))
        );
        // Examples go through `redact`; templates do when the observation is redacted.
        assert!(
            !d.new[0].example.contains("hunter2"),
            "{}",
            d.new[0].example
        );
        let Observation::LogSignatures(d) = Observation::LogSignatures(d).redacted() else {
            unreachable!()
        };
        assert!(
            !d.new[0].template.contains("hunter2"),
            "{}",
            d.new[0].template
        );
        assert_eq!(
            d.headline().as_deref(),
            Some(
                "new error signature since deploy d7: \
                 `Error: Cannot find module '<*>' password=<redacted>` (1 line)"
            )
        );
    }

    #[test]
    fn known_error_texts_lead_the_new_list() {
        let mut after: Vec<LogLine> = (0..5)
            .map(|i| LogLine::new(at(i), Some(LogLevel::Error), format!("GET /p{i} 500")))
            .collect();
        after.push(LogLine::new(at(6), None, "[next-auth][error][NO_SECRET]"));
        let hour = Duration::from_secs(3600);
        let d = diff_lines(DeploymentId::new("d7"), at(0), (hour, hour), &[], &after);
        assert_eq!(d.new.len(), 2);
        assert_eq!(d.new[0].template, "[next-auth][error][NO_SECRET]");
        assert!(
            d.headline()
                .is_some_and(|h| h.contains("NO_SECRET") && h.ends_with("1 more)"))
        );
    }

    #[test]
    fn rates_compare_the_windows_lengths() {
        // 10 lines in an hour before, 10 in the five minutes since: twelve times the rate.
        let before = lines(&[(-30, 10, "Error: timeout exceeded when trying to connect")]);
        let after = lines(&[(2, 10, "Error: timeout exceeded when trying to connect")]);
        let spans = (Duration::from_secs(3600), Duration::from_secs(300));
        let d = diff_lines(DeploymentId::new("d7"), at(0), spans, &before, &after);
        assert_eq!(d.spiking.len(), 1);
        assert!(
            d.headline()
                .is_some_and(|h| h.starts_with("spiking error signature"))
        );
        let quiet = diff_lines(DeploymentId::new("d7"), at(0), spans, &[], &[]);
        assert_eq!(quiet.headline(), None);
    }
}
