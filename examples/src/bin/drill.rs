//! The runbook's incident drill, detection to postmortem, driven by the `Runner` on in-memory
//! ports and a manual clock.
//!
//! The runbook's own P1: after a deployment, the dashboard answers 500 for ~30% of users
//! because `NEXTAUTH_SECRET` is missing. The drill opens the incident from the health
//! watcher's signals and hands it to the `Runner` with the six built-in playbooks, which does
//! everything else as production would: the initial notification and the pages, all probes at
//! once, the ranked hypotheses and the initial assessment, a freshly generated secret set
//! through the variable store, verification, the status updates and escalations on their
//! timers, fifteen minutes of monitoring against the error baseline, and the resolution. The
//! drill prints each message as it was posted, the pages, the timeline, MTTD/MTTA/MTTR and the
//! postmortem, then checks that the generated secret appears nowhere but the variable store.
//!
//! The site here is a few lines: its auth endpoints fail while the variable store lacks the
//! secret. Time runs on a `ManualClock`, so the runbook's half hour passes in milliseconds.
//!
//! Run: `cargo run -p examples --bin drill`

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ir_core::classify::{Capability, Outage, Signals, classify};
use ir_core::clock::{Clock, ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind};
use ir_core::memory::{InMemoryChat, InMemoryIncidentStore, InMemoryPager, InMemoryStatusPage};
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, HealthReport, LogLevel, LogLine, TrackedIssue,
};
use ir_core::playbook::Providers;
use ir_core::ports::{AutoApprove, HealthProbe, IncidentStore, LogStream, VariableStore};
use ir_core::postmortem::{ActionItem, Postmortem};
use ir_core::runner::{Outcome, Runner};
use ir_core::{Result as IrResult, SeverityPolicy};
use ir_testkit::{InMemoryErrorTracker, InMemoryLogs, InMemoryPlatform, InMemoryVariables};
use secrecy::ExposeSecret;

type Res<T = ()> = Result<T, Box<dyn Error>>;

const SECRET: &str = "NEXTAUTH_SECRET";
const SESSION_500: &str = r#"{"message":"There is a problem with the server configuration. Check the server logs for more information."}"#;

/// The simulated site: NextAuth's endpoints fail while the variable store has no secret,
/// everything else answers.
#[derive(Debug, Clone)]
struct Site {
    variables: InMemoryVariables,
    tracker: InMemoryErrorTracker,
    clock: ManualClock,
}

#[async_trait]
impl HealthProbe for Site {
    async fn check(&self, path: &str) -> IrResult<HealthReport> {
        let configured = self.variables.get(SECRET).await?.is_some();
        let latency = Duration::from_millis(if configured { 80 } else { 40 });
        let url = format!("https://app.example.com{path}");
        Ok(match (path, configured) {
            ("/api/auth/session", false) => {
                // Every failing request is an error the tracker sees.
                self.tracker.record_events([self.clock.now()]);
                HealthReport::answered(url, 500, latency, SESSION_500)
            }
            ("/api/auth/signin", false) => {
                HealthReport::answered(url, 500, latency, "Server error")
            }
            ("/api/auth/session", true) => HealthReport::answered(url, 200, latency, "{}"),
            _ => HealthReport::answered(url, 200, latency, "ok"),
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Res {
    let t0: Timestamp = "2026-02-08T15:30:00Z".parse()?;
    let minutes = chrono::Duration::minutes;
    let clock = ManualClock::at(t0);
    let store = Arc::new(InMemoryIncidentStore::with_clock(Arc::new(clock.clone())));

    // Production: d7 went out at 15:20 without NEXTAUTH_SECRET; d6 served before it.
    let good = Deployment::new("d6", DeploymentStatus::Removed, t0 - minutes(300))
        .with_commit(
            "6666666666666666666666666666666666666666",
            Some("fix: billing rounding".into()),
        )
        .with_capabilities(true, true);
    let current = Deployment::new("d7", DeploymentStatus::Active, t0 - minutes(10))
        .with_commit(
            "7777777777777777777777777777777777777777",
            Some("chore: move auth config to environment".into()),
        )
        .with_capabilities(true, true);
    let platform = InMemoryPlatform::new("web", vec![good, current]);
    platform.set_active(Some(DeploymentId::new("d7")));

    let logs = InMemoryLogs::new();
    for (ago, line) in [
        (5, "GET /api/auth/session 500"),
        (
            5,
            "[next-auth][error][NO_SECRET] Please define a `secret` in production. MissingSecretError: Please define a `secret` in production.",
        ),
        (4, "GET /dashboard 500"),
    ] {
        logs.push(
            LogStream::Deployment(DeploymentId::new("d7")),
            LogLine::new(t0 - minutes(ago), Some(LogLevel::Error), line),
        );
    }
    let variables = InMemoryVariables::new([
        (
            "DATABASE_URL",
            "postgres://app:s3cret-pw@db.internal:6432/web",
        ),
        ("NEXTAUTH_URL", "https://app.example.com"),
    ]);
    // The error tracker: a quiet hour before the deployment (one error every ten minutes),
    // then the new issue and a burst of errors since it.
    let tracker = InMemoryErrorTracker::new();
    tracker.record_events((1..=6).map(|k| t0 - minutes(10 * k + 15)));
    tracker.record_events((0..300).map(|k| t0 - minutes(5) + chrono::Duration::seconds(k)));
    tracker.add_issue(TrackedIssue::new(
        "4512",
        "MissingSecretError: Please define a `secret` in production.",
        412,
        t0 - minutes(5),
        t0,
    ));
    let site = Site {
        variables: variables.clone(),
        tracker: tracker.clone(),
        clock: clock.clone(),
    };
    let chat = InMemoryChat::new();
    let pager = InMemoryPager::new();
    let status_page = InMemoryStatusPage::new();
    let providers = Providers::new()
        .with_deploy(Arc::new(platform.clone()))
        .with_logs(Arc::new(logs))
        .with_variables(Arc::new(variables.clone()))
        .with_health(Arc::new(site))
        .with_errors(Arc::new(tracker))
        .with_chat(Arc::new(chat.clone()))
        .with_pager(Arc::new(pager.clone()))
        .with_status_page(Arc::new(status_page.clone()));

    // 15:30 — the health watcher sees the dashboard's auth failing for about a third of users.
    let policy = SeverityPolicy::runbook();
    let signals = Signals {
        outages: vec![Outage::partial(Capability::Dashboard)],
        users_affected: Some(0.30),
        error_rate_5xx: Some(0.30),
        ..Signals::default()
    };
    let classification = classify(&signals, &policy);
    println!("=== Detection {}", t0.format("%H:%M UTC"));
    println!("Classified {}:", classification.severity);
    for reason in &classification.reasons {
        println!("  - {reason}");
    }
    let detected = Event::new(
        t0,
        "health-watcher",
        EventKind::detected(
            "Dashboard errors",
            "app.example.com",
            classification,
            Some(t0 - minutes(5)),
        ),
    );
    let opened = store.open("health:app.example.com", detected).await?;
    // A second replica seeing the same alert joins the incident instead of opening another.
    let joined = store
        .open(
            "health:app.example.com",
            Event::new(
                t0,
                "health-watcher-2",
                EventKind::detected(
                    "Dashboard errors",
                    "app.example.com",
                    classify(&signals, &policy),
                    None,
                ),
            ),
        )
        .await?;
    assert_eq!(joined.id, opened.id);
    assert!(!joined.created);

    // The Runner drives everything from here.
    let runner = Runner::new(
        store.clone(),
        providers,
        Arc::new(clock.clone()),
        ir_core::scenarios::builtin(),
    )
    .with_approver(Arc::new(AutoApprove::new("@eng-lead")));
    let symptoms = ir_core::playbook::Symptoms::new(signals).with_text(SESSION_500);
    let report = runner.run(opened.id, &symptoms).await?;

    println!("\n=== Messages, as the Runner posted them");
    for message in chat.messages() {
        println!("--- [{}]\n{}\n", message.channel, message.text);
    }
    for update in status_page.updates() {
        println!(
            "--- [status page: {}]\n{}\n",
            update.status.title(),
            update.body
        );
    }
    println!("=== Pages");
    for event in pager.events() {
        println!("  {event:?}");
    }

    let incident = store.load(opened.id).await?.incident()?;
    println!("\n=== Timeline ({} events)", incident.timeline().len());
    for e in incident.timeline() {
        let what = match &e.event.kind {
            EventKind::MessagePosted { kind, channel, .. } => {
                format!("message_posted {kind:?} to {channel}")
            }
            EventKind::Escalated { role, reason } => format!("escalated to {role}: {reason}"),
            EventKind::EvidenceCollected { evidence } => {
                format!("evidence_collected {} ({})", evidence.id, evidence.probe)
            }
            EventKind::ActionProposed { action, .. } => {
                format!("action_proposed {}: {}", action.key, action.kind.describe())
            }
            EventKind::ActionSucceeded { detail, .. } => format!("action_succeeded: {detail}"),
            other => other.name().to_owned(),
        };
        println!(
            "{:>3}  {}  {:<16} {what}",
            e.seq,
            e.event.at.format("%H:%M:%S"),
            e.event.actor
        );
    }

    let now = clock.now();
    let minutes_of = |d: Option<Duration>| {
        d.map_or_else(
            || "not measured".to_owned(),
            |d| format!("{} min", d.as_secs() / 60),
        )
    };
    println!(
        "\nMTTD {}, MTTA {}, MTTR {}; SLA breaches: {}",
        minutes_of(Some(incident.mttd())),
        minutes_of(incident.mtta()),
        minutes_of(incident.mttr()),
        incident.sla_breaches(&policy, now).len()
    );

    let postmortem = Postmortem::from_incident(&incident, &policy, now)
        .with_impact("Dashboard errors for ~30% of users; sign-in unavailable for them.")
        .with_action_item(ActionItem::new(
            "Add NEXTAUTH_SECRET to the pre-deployment env var validation",
            "@eng-lead",
            "2026-02-13".parse()?,
        ))
        .with_action_item(ActionItem::new(
            "Alert when a required secret is missing on startup",
            "@devops",
            "2026-02-20".parse()?,
        ));
    let markdown = postmortem.to_markdown()?;
    println!("\n=== Postmortem\n{markdown}");

    // Honest about secrets: the generated value is in the variable store and nowhere else.
    let value = variables
        .get(SECRET)
        .await?
        .ok_or("the runner did not set NEXTAUTH_SECRET")?;
    let value = value.expose_secret();
    let timeline_json = serde_json::to_string(incident.timeline())?;
    let leaked = timeline_json.contains(value)
        || chat.messages().iter().any(|m| {
            m.text.contains(value) || m.mrkdwn.as_deref().is_some_and(|t| t.contains(value))
        })
        || status_page.updates().iter().any(|u| u.body.contains(value))
        || markdown.contains(value)
        || format!("{report:?}").contains(value);
    if leaked {
        return Err("the generated secret reached a record".into());
    }
    if !pager.open_pages().is_empty() {
        return Err(format!("pages left open: {:?}", pager.open_pages()).into());
    }

    match report.outcome {
        Outcome::Resolved {
            root_cause,
            mitigation,
        } => {
            println!(
                "=== Drill complete at {}: resolved. Root cause: {root_cause}. Mitigation: \
                 {mitigation}. {} chat messages, {} status-page updates; the secret appears \
                 only in the variable store.",
                now.format("%H:%M UTC"),
                chat.messages().len(),
                status_page.updates().len(),
            );
            Ok(())
        }
        other => Err(format!("the drill did not resolve: {other:?}").into()),
    }
}
