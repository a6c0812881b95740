//! Assessment latency: how long the Runner takes from the signal to the initial assessment
//! in the incident channel, against the physical limit the providers' latencies set.
//!
//! Each run plays a scenario (`site_down` unless `--scenario`) end to end on `ir-sim` with the
//! real adapters (as `examples::run_scenario` does), with latencies injected per provider once
//! the detection is done, right before the Runner starts:
//!
//! | target | latency |
//! |---|---|
//! | Railway (GraphQL) | 120 ms |
//! | Railway's log queries (`EnvironmentLogs`, `DeploymentLogs`, `BuildLogs`) | 150 ms |
//! | Sentry | 80 ms |
//! | GitHub (REST, GraphQL, job logs) | 100 ms |
//! | the site (health checks) | 50 ms |
//! | Slack, PagerDuty, Statuspage | 40 ms each |
//!
//! The store is in memory (no latency of its own) and the clock manual (the retries' and
//! verification's waits take no real time), so real time is the providers' latency and the
//! runner's own work.
//!
//! ## What is measured
//!
//! From the Runner's start (the signal: the incident is opened from the detection) to the
//! moment the simulator has answered the `chat.postMessage` that carries the initial
//! assessment (the timeline's `MessagePosted` of kind `InitialAssessment`, found in the
//! request log by its text): `received + latency` of that request. The simulator stamps every
//! request with a real `Instant`, so the whole response can be laid out in time.
//!
//! ## The physical limit
//!
//! The shortest time any runner could post the same assessment from the same calls, given
//! what depends on what:
//!
//! * The assessment needs the evidence: it is posted after the last evidence call ends.
//! * The evidence comes from independent providers (Railway, GitHub, Sentry, the site):
//!   calls to different providers could all run at once. Calls to **one** provider that were
//!   made one after another (the second started after the first ended: a probe reading the
//!   deployments before their logs, a retry) are taken as a dependent chain, so each
//!   provider's chain is the heaviest sequence of its non-overlapping calls (each weighted by
//!   the latency the simulator measured for it). Calls of one provider that overlapped were
//!   independent and count once. This is generous to the runner: a runner that serialises
//!   independent calls to one provider is not charged for it.
//! * The chat: the assessment is a reply in the incident's thread, so the thread's root
//!   message (the initial notification) must be posted first; its latency is a chain too.
//! * The page (PagerDuty), the acknowledgement and the status page are what the runbook
//!   orders first, but nothing in the assessment depends on them: they could run beside the
//!   diagnosis and are not in the limit.
//! * The store is in memory: zero.
//!
//! `limit = max(slowest evidence chain, thread root) + the assessment's own post`.
//!
//! It prints the measured time, the limit, their ratio (the target is ≤ 1.1), how many HTTP
//! requests the response made before the assessment, the chains, and whether any request was
//! sent twice (same vendor, method, path, query, operation and body) before the assessment.
//!
//! ```text
//! cargo bench -p examples --bench assessment [-- --runs 5 --scenario site_down]
//! ```
//!
//! It also says when the first evidence call started and how many requests came before it:
//! the share of the time spent before the diagnosis begins.
//!
//! `--layout` prints each request before the assessment with its start and end (ms after the
//! Runner's start).
//!
//! Under `cargo test --all-targets` (no `--bench` argument) it runs once with the latencies
//! divided by ten, as a smoke test, and its figures mean nothing.

use std::collections::BTreeMap;
use std::error::Error;
use std::str::FromStr;
use std::time::{Duration, Instant};

use examples::{DrillOptions, ScenarioName, run_scenario};
use ir_core::incident::EventKind;
use ir_core::model::MessageKind;
use ir_sim::{RequestRecord, Target, Vendor};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

struct Args {
    runs: usize,
    scenario: ScenarioName,
    /// Latencies are divided by this (10 in the smoke run).
    scale: u32,
    /// Print every request before the assessment, laid out in time.
    layout: bool,
}

fn args() -> BoxResult<Args> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this without it.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let mut parsed = Args {
        runs: if smoke { 1 } else { 5 },
        scenario: ScenarioName::SiteDown,
        scale: if smoke { 10 } else { 1 },
        layout: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => {
                let v = it.next().ok_or("--runs needs a value")?;
                parsed.runs = v.parse::<usize>()?.max(1);
            }
            "--scenario" => {
                let v = it.next().ok_or("--scenario needs a value")?;
                parsed.scenario = ScenarioName::from_str(&v)?;
            }
            "--layout" => parsed.layout = true,
            // `--bench` and whatever else cargo passes.
            _ => {}
        }
    }
    Ok(parsed)
}

fn latencies(scale: u32) -> Vec<(Target, Duration)> {
    let ms = |n: u64| Duration::from_millis(n) / scale;
    let mut l = vec![
        (Target::Vendor(Vendor::Railway), ms(120)),
        (Target::Vendor(Vendor::Sentry), ms(80)),
        (Target::Vendor(Vendor::Github), ms(100)),
        (Target::Vendor(Vendor::GithubLogs), ms(100)),
        (Target::Vendor(Vendor::Site), ms(50)),
        (Target::Vendor(Vendor::Slack), ms(40)),
        (Target::Vendor(Vendor::PagerDuty), ms(40)),
        (Target::Vendor(Vendor::Statuspage), ms(40)),
    ];
    for op in ["EnvironmentLogs", "DeploymentLogs", "BuildLogs"] {
        l.push((Target::endpoint(Vendor::Railway, op), ms(150)));
    }
    l
}

fn end(r: &RequestRecord) -> Instant {
    r.received + r.latency
}

/// The heaviest chain of non-overlapping requests (each after the previous one ended).
fn chain(records: &[&RequestRecord]) -> Duration {
    let mut sorted: Vec<&RequestRecord> = records.to_vec();
    sorted.sort_by_key(|r| r.received);
    let mut best: Vec<Duration> = Vec::with_capacity(sorted.len());
    for (i, r) in sorted.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| end(sorted[j]) <= r.received)
            .map(|j| best[j])
            .max()
            .unwrap_or(Duration::ZERO);
        best.push(before + r.latency);
    }
    best.into_iter().max().unwrap_or(Duration::ZERO)
}

struct Figures {
    measured: Duration,
    /// From the Runner's start to the first evidence call, and the requests in between.
    before_evidence: (Duration, usize),
    limit: Duration,
    requests: usize,
    repeated: Vec<String>,
    chains: BTreeMap<String, Duration>,
}

async fn one(args: &Args) -> BoxResult<Figures> {
    let opts = DrillOptions {
        latencies: latencies(args.scale),
        ..DrillOptions::default()
    };
    let run = run_scenario(args.scenario, &opts).await?;
    let figures = (|| -> BoxResult<Figures> {
        let started = run
            .summary
            .runner_started
            .ok_or("the runner did not start")?;
        let incident = run.incident.as_ref().ok_or("no incident stored")?;
        let ts = incident
            .timeline()
            .iter()
            .find_map(|e| match &e.event.kind {
                EventKind::MessagePosted {
                    kind: MessageKind::InitialAssessment,
                    provider_id,
                    ..
                } => provider_id.clone(),
                _ => None,
            })
            .ok_or("no initial assessment was posted")?;
        let posted = run
            .sim
            .slack_messages()
            .into_iter()
            .find(|m| m.ts == ts)
            .ok_or("the assessment is not in Slack")?;
        let log = run.sim.requests();
        let records: Vec<&RequestRecord> = log
            .records()
            .iter()
            .filter(|r| r.received >= started)
            .collect();
        let at = records
            .iter()
            .position(|r| {
                r.vendor == Vendor::Slack
                    && r.operation.as_deref() == Some("chat.postMessage")
                    && r.status == 200
                    && serde_json::from_str::<serde_json::Value>(&r.body)
                        .ok()
                        .and_then(|b| b.get("text").and_then(|t| t.as_str()).map(str::to_owned))
                        .is_some_and(|t| t == posted.text)
            })
            .ok_or("the assessment's request is not in the log")?;
        let assessment = records[at];
        let before = &records[..at];
        let measured = end(assessment) - started;
        if args.layout {
            for r in before.iter().chain(std::iter::once(&assessment)) {
                println!(
                    "  {:>7} .. {:>7}  {:<10} {:<4} {}",
                    ms(r.received - started),
                    ms(end(r) - started),
                    r.vendor.to_string(),
                    r.method,
                    r.operation.as_deref().unwrap_or(&r.path)
                );
            }
        }

        let mut chains = BTreeMap::new();
        let evidence = [
            Vendor::Site,
            Vendor::Railway,
            Vendor::Github,
            Vendor::GithubLogs,
            Vendor::Sentry,
        ];
        for v in evidence {
            let of: Vec<&RequestRecord> =
                before.iter().copied().filter(|r| r.vendor == v).collect();
            if !of.is_empty() {
                chains.insert(v.to_string(), chain(&of));
            }
        }
        // The thread's root, when the assessment is a reply.
        if let Some(root) = posted.thread_ts.as_ref() {
            let root_text = run
                .sim
                .slack_messages()
                .into_iter()
                .find(|m| &m.ts == root)
                .map(|m| m.text);
            let root_latency = before
                .iter()
                .find(|r| {
                    r.vendor == Vendor::Slack
                        && r.operation.as_deref() == Some("chat.postMessage")
                        && serde_json::from_str::<serde_json::Value>(&r.body)
                            .ok()
                            .and_then(|b| b.get("text").and_then(|t| t.as_str()).map(str::to_owned))
                            .is_some_and(|t| Some(t) == root_text)
                })
                .map_or(Duration::ZERO, |r| r.latency);
            chains.insert("slack thread root".into(), root_latency);
        }
        let first_evidence = before
            .iter()
            .position(|r| evidence.contains(&r.vendor))
            .unwrap_or(before.len());
        let before_evidence = (
            before
                .get(first_evidence)
                .map_or(measured, |r| r.received - started),
            first_evidence,
        );
        let slowest = chains.values().copied().max().unwrap_or(Duration::ZERO);
        let limit = slowest + assessment.latency;

        let mut seen = BTreeMap::new();
        for r in before.iter().chain(std::iter::once(&assessment)) {
            let key = format!(
                "{} {} {}{} {} {}",
                r.vendor,
                r.method,
                r.path,
                r.query
                    .as_deref()
                    .map_or_else(String::new, |q| format!("?{q}")),
                r.operation.as_deref().unwrap_or("-"),
                r.body
            );
            *seen.entry(key).or_insert(0usize) += 1;
        }
        let repeated = seen
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(k, n)| {
                let short: String = k.chars().take(120).collect();
                format!("{n}× {short}")
            })
            .collect();
        Ok(Figures {
            measured,
            before_evidence,
            limit,
            requests: before.len() + 1,
            repeated,
            chains,
        })
    })();
    run.sim.shutdown().await;
    figures
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> BoxResult<()> {
    let args = args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    println!(
        "assessment latency: {} on ir-sim, {} run(s){}",
        args.scenario,
        args.runs,
        if args.scale > 1 {
            " (smoke run: latencies / 10, figures mean nothing)"
        } else {
            ""
        }
    );
    let mut ratios = Vec::new();
    for i in 1..=args.runs {
        let f = runtime.block_on(one(&args))?;
        let ratio = f.measured.as_secs_f64() / f.limit.as_secs_f64().max(f64::EPSILON);
        let chains: Vec<String> = f
            .chains
            .iter()
            .map(|(k, d)| format!("{k} {}", ms(*d)))
            .collect();
        println!(
            "run {i}: measured {}, limit {}, ratio {ratio:.2} (target <= 1.1); {} HTTP requests \
             before the assessment (it included); repeated requests: {}",
            ms(f.measured),
            ms(f.limit),
            f.requests,
            if f.repeated.is_empty() {
                "none".to_owned()
            } else {
                f.repeated.join("; ")
            }
        );
        println!("       chains: {}", chains.join(", "));
        println!(
            "       the first evidence call started {} after the Runner, {} requests \
             (messages, pages, status page) before it; from it to the assessment {}",
            ms(f.before_evidence.0),
            f.before_evidence.1,
            ms(f.measured.saturating_sub(f.before_evidence.0))
        );
        ratios.push(ratio);
    }
    ratios.sort_by(f64::total_cmp);
    let median = ratios[ratios.len() / 2];
    println!("median ratio {median:.2} (target <= 1.1)");
    Ok(())
}
