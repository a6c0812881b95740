//! Sixteen replicas, each with its own `PgIncidentStore` and `Runner`, see one alert at once,
//! twenty times over, on the real PostgreSQL: one incident, one rollback, the pages and
//! messages of one replica alone, and no run ending in `Conflict` or `InvalidInput`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ir_core::Result;
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::clock::{ManualClock, Timestamp};
use ir_core::incident::{Event, EventKind};
use ir_core::memory::{InMemoryChat, InMemoryPager, InMemoryStatusPage, PagerEvent};
use ir_core::model::{
    Deployment, DeploymentId, DeploymentStatus, HealthReport, IncidentId, LogLevel, LogLine,
};
use ir_core::playbook::{Providers, Symptoms};
use ir_core::ports::{AutoApprove, HealthProbe, IncidentStore, LogStream};
use ir_core::runner::{AckPolicy, Outcome, Runner, RunnerConfig, UnmeasuredCriteria};
use ir_core::severity::SeverityPolicy;
use ir_testkit::{InMemoryLogs, InMemoryPlatform, PlatformCall};

const GOOD_SHA: &str = "6666666666666666666666666666666666666666";

fn t(min: i64) -> Timestamp {
    "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
}

/// The site: down until the good build serves again.
#[derive(Debug, Clone)]
struct Site(InMemoryPlatform);

#[async_trait]
impl HealthProbe for Site {
    async fn check(&self, path: &str) -> Result<HealthReport> {
        let up = self
            .0
            .active_deployment()
            .is_some_and(|d| d.commit_sha.as_deref() == Some(GOOD_SHA));
        let url = format!("https://www.example.com{path}");
        Ok(if up {
            HealthReport::answered(url, 200, Duration::from_millis(60), "ok")
        } else {
            HealthReport::answered(url, 503, Duration::from_millis(20), "Service Unavailable")
        })
    }
}

/// What one trial left: the outcomes, the incidents, and what the providers saw.
struct Trial {
    outcomes: Vec<std::result::Result<Outcome, ir_core::Error>>,
    ids: Vec<IncidentId>,
    rollbacks: usize,
    pages: Vec<String>,
    chat: Vec<String>,
    status: usize,
}

async fn trial(schema: &str, replicas: usize) -> Trial {
    let clock = ManualClock::at(t(0));
    let good = Deployment::new("d6", DeploymentStatus::Removed, t(-300))
        .with_commit(GOOD_SHA, Some("fix".into()))
        .with_capabilities(true, true);
    let bad = Deployment::new("d7", DeploymentStatus::Crashed, t(-10))
        .with_commit(
            "7777777777777777777777777777777777777777",
            Some("feat".into()),
        )
        .with_capabilities(true, true);
    let platform = InMemoryPlatform::new("web", vec![good, bad]);
    platform.set_active(Some(DeploymentId::new("d7")));
    let logs = InMemoryLogs::new();
    logs.push(
        LogStream::Deployment(DeploymentId::new("d7")),
        LogLine::new(t(-5), Some(LogLevel::Error), "Process exited with code 1"),
    );
    let chat = InMemoryChat::new();
    let pager = InMemoryPager::new();
    let status = InMemoryStatusPage::new();
    let providers = Providers::new()
        .with_deploy(Arc::new(platform.clone()))
        .with_logs(Arc::new(logs))
        .with_health(Arc::new(Site(platform.clone())))
        .with_chat(Arc::new(chat.clone()))
        .with_pager(Arc::new(pager.clone()))
        .with_status_page(Arc::new(status.clone()));
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let symptoms = Symptoms::new(signals.clone());
    let dedup_key = common::unique("health");

    let mut runs = Vec::new();
    for n in 0..replicas {
        let store: Arc<dyn IncidentStore> =
            Arc::new(common::store_in(schema, &format!("replica-{n}")).await);
        let mut config = RunnerConfig::default();
        config.replica = format!("replica-{n}");
        config.acknowledge = AckPolicy::Runner;
        config.unmeasured = UnmeasuredCriteria::ResolveOnHealth;
        let runner = Runner::new(
            store.clone(),
            providers.clone(),
            Arc::new(clock.clone()),
            ir_core::scenarios::builtin(),
        )
        .with_approver(Arc::new(AutoApprove::new("@eng-lead")))
        .with_config(config)
        .unwrap();
        let detected = Event::new(
            t(0),
            format!("watcher-{n}"),
            EventKind::detected(
                "Site down",
                "www.example.com",
                classify(&signals, &SeverityPolicy::runbook()),
                None,
            )
            .with_symptoms(symptoms.clone()),
        );
        let dedup_key = dedup_key.clone();
        let symptoms = symptoms.clone();
        runs.push(async move {
            let opened = store.open(&dedup_key, detected).await.unwrap();
            let outcome = runner.run(opened.id, &symptoms).await.map(|r| r.outcome);
            (opened.id, outcome)
        });
    }
    let results = futures::future::join_all(runs).await;
    let rollbacks = platform
        .calls()
        .iter()
        .filter(|c| matches!(c, PlatformCall::Rollback(_)))
        .count();
    Trial {
        ids: results.iter().map(|(id, _)| *id).collect(),
        outcomes: results.into_iter().map(|(_, o)| o).collect(),
        rollbacks,
        pages: pager
            .events()
            .into_iter()
            .map(|e| match e {
                PagerEvent::Triggered(p) => format!("trigger {:?}", p.role),
                PagerEvent::Resolved(_) => "resolve".to_owned(),
            })
            .collect(),
        chat: chat.messages().into_iter().map(|m| m.text).collect(),
        status: status.updates().len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_replicas_on_one_alert_act_as_one_responder() {
    let schema = common::unique("replicas");
    let alone = trial(&schema, 1).await;
    assert!(
        matches!(alone.outcomes[0], Ok(Outcome::Resolved { .. })),
        "{:?}",
        alone.outcomes[0]
    );
    let strip = |texts: &[String]| -> Vec<String> {
        // Messages name the time and the replica's own incident; compare their first lines.
        texts
            .iter()
            .map(|t| t.lines().next().unwrap_or("").to_owned())
            .collect()
    };
    for n in 0..20 {
        let tr = trial(&schema, 16).await;
        assert!(
            tr.ids.iter().all(|id| *id == tr.ids[0]),
            "trial {n}: one incident"
        );
        assert_eq!(tr.rollbacks, 1, "trial {n}: one rollback");
        assert_eq!(tr.pages, alone.pages, "trial {n}: the pages of one replica");
        assert_eq!(tr.chat.len(), alone.chat.len(), "trial {n}: {:#?}", tr.chat);
        assert_eq!(strip(&tr.chat), strip(&alone.chat), "trial {n}");
        assert_eq!(tr.status, alone.status, "trial {n}");
        let mut resolved = 0;
        for outcome in &tr.outcomes {
            match outcome {
                Ok(Outcome::Resolved { .. }) => resolved += 1,
                Ok(Outcome::DrivenElsewhere) => {}
                other => panic!("trial {n}: a replica ended {other:?}"),
            }
        }
        assert!(resolved >= 1, "trial {n}: nobody resolved it");
    }
    common::drop_schema(&schema).await;
}
