//! Every adapter wired to a running `Sim` with only its base URL changed, exercised for every
//! endpoint it calls, against the state the simulator keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use ir_core::ErrorKind;
use ir_core::Severity;
use ir_core::clock::{Clock, ManualClock};
use ir_core::model::{
    DeploymentStatus, IdempotencyKey, InstanceStatus, LogLevel, Role, StatusPageStatus, TimeWindow,
};
use ir_core::ports::{
    ChatMessage, ChatNotifier, CodeHost, DeployPlatform, ErrorTracker, HealthProbe, LogFilter,
    LogQuery, LogSource, LogStream, NewIssue, Page, Pager, RevertRequest, RunQuery, SetOptions,
    StatusPage, StatusPageUpdate, VariableStore,
};
use ir_sim::{PageStatus, Scenario, Sim, SimConfig, Vendor};
use secrecy::{ExposeSecret, SecretString};

async fn start(scenario: Scenario) -> (Sim, Arc<dyn Clock>) {
    let sim = Sim::start(SimConfig::scenario(scenario).without_database())
        .await
        .unwrap();
    let clock = sim.clock();
    (sim, clock)
}

#[tokio::test]
async fn railway_deployments_rollback_redeploy_restart() {
    let (sim, clock) = start(Scenario::SiteDown).await;
    let railway = common::railway(&sim, clock.clone());

    let status = railway.service_status().await.unwrap();
    assert_eq!(status.service_name, "web");
    assert_eq!(
        status.latest_deployment.as_ref().unwrap().status,
        DeploymentStatus::Crashed
    );
    assert!(
        status.instances.contains(&InstanceStatus::Crashed),
        "{status:?}"
    );

    let listed = railway.list_deployments(10).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].status, DeploymentStatus::Crashed);
    assert_eq!(
        listed[1].status,
        DeploymentStatus::Removed,
        "replaced by the crashing one"
    );
    assert!(listed[0].commit_sha.is_some() && listed[0].can_rollback);
    let good = listed[1].clone();
    assert_eq!(railway.deployment(&good.id).await.unwrap(), good);
    let missing = railway
        .deployment(&ir_core::model::DeploymentId::new("nope"))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");

    railway.rollback(&good.id).await.unwrap();
    let after = railway.list_deployments(10).await.unwrap();
    assert_eq!(after.len(), 4);
    assert_eq!(after[0].status, DeploymentStatus::Active);
    assert_eq!(
        after[0].commit_sha, good.commit_sha,
        "a new deployment of the old build"
    );
    assert_eq!(after[1].status, DeploymentStatus::Removed);
    let serving = railway.service_status().await.unwrap();
    assert_eq!(serving.current().unwrap().id, after[0].id);
    assert_eq!(serving.instances, [InstanceStatus::Running]);

    let new = railway.redeploy(&after[0].id).await.unwrap();
    assert_eq!(
        railway
            .service_status()
            .await
            .unwrap()
            .current()
            .unwrap()
            .id,
        new
    );
    railway.restart(&new).await.unwrap();
    assert_eq!(
        sim.requests()
            .count_operation(Vendor::Railway, "DeploymentRollback"),
        1
    );
    assert_eq!(
        sim.requests()
            .count_operation(Vendor::Railway, "DeploymentRestart"),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn railway_variables_redeploy_and_logs() {
    let (sim, clock) = start(Scenario::AuthSecretMissing).await;
    let railway = common::railway(&sim, clock.clone());
    let names = railway.list_names().await.unwrap();
    assert!(
        names.contains(&"DATABASE_URL".to_owned())
            && !names.contains(&"NEXTAUTH_SECRET".to_owned()),
        "{names:?}"
    );
    assert!(railway.get("NEXTAUTH_SECRET").await.unwrap().is_none());
    let before = railway.list_deployments(10).await.unwrap().len();

    // Skipping deploys changes nothing that serves.
    railway
        .set(
            "IR_SCRATCH",
            SecretString::from("1"),
            SetOptions { skip_deploys: true },
        )
        .await
        .unwrap();
    assert_eq!(railway.list_deployments(10).await.unwrap().len(), before);
    railway.delete("IR_SCRATCH").await.unwrap();
    railway.delete("IR_SCRATCH").await.unwrap(); // unset: still success
    // A plain set redeploys the service with the secret.
    railway
        .set(
            "NEXTAUTH_SECRET",
            SecretString::from("s3cret-value"),
            SetOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        railway
            .get("NEXTAUTH_SECRET")
            .await
            .unwrap()
            .unwrap()
            .expose_secret(),
        "s3cret-value"
    );
    let after = railway.list_deployments(10).await.unwrap();
    assert_eq!(
        after.len(),
        before + 2,
        "the set and the delete redeployed: {after:?}"
    );
    let site = common::health(&sim, clock.clone());
    assert_eq!(
        site.check("/api/auth/session").await.unwrap().status,
        Some(200)
    );

    // Logs: the bad deployment's runtime lines, its build, the environment's.
    let bad = after
        .iter()
        .find(|d| d.status == DeploymentStatus::Removed)
        .unwrap();
    let now = clock.now();
    let runtime = railway
        .logs(&LogQuery::new(
            LogStream::Deployment(after[0].id.clone()),
            50,
        ))
        .await
        .unwrap();
    assert!(
        runtime
            .iter()
            .any(|l| l.message.contains("Starting Container")),
        "{runtime:?}"
    );
    let errors = railway
        .logs(
            &LogQuery::new(LogStream::Environment, 200)
                .with_filter(LogFilter::default().with_level(LogLevel::Error))
                .with_window(
                    Some(now - chrono::Duration::hours(1)),
                    Some(now + chrono::Duration::seconds(1)),
                ),
        )
        .await
        .unwrap();
    assert!(
        errors
            .iter()
            .any(|l| l.message.contains("[next-auth][error][NO_SECRET]")),
        "{errors:?}"
    );
    let build = railway
        .logs(&LogQuery::new(LogStream::Build(bad.id.clone()), 50))
        .await
        .unwrap();
    assert!(
        build
            .iter()
            .any(|l| l.message.contains("Compiled successfully")),
        "{build:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn github_deployments_runs_failed_jobs_issues_and_revert() {
    let (sim, clock) = start(Scenario::BuildFailure).await;
    let github = common::github(&sim, clock.clone());

    let deployments = github.deployments(10).await.unwrap();
    assert_eq!(deployments.len(), 3);
    let runs = github
        .workflow_runs(&RunQuery {
            workflow: Some("cd-production.yml".into()),
            branch: Some("main".into()),
            failed_only: true,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let jobs = github.failed_jobs(runs[0].id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    let excerpt = jobs[0].log_excerpt.as_deref().unwrap_or_default();
    assert!(
        excerpt.contains("Can't resolve '../lib/utils/formatDate'"),
        "{jobs:?}"
    );
    // The log came through the redirect to the storage host.
    assert_eq!(sim.requests().count(Vendor::GithubLogs), 1);

    let key = IdempotencyKey::new("build_failure/revert:3c8f5e0");
    assert!(github.find_filed(&key).await.unwrap().is_none());
    let issue = github
        .create_issue(&NewIssue {
            title: "Add import checks to CI".into(),
            body: format!(
                "Found in the drill.\n\n{}",
                ir_core::ports::filed_marker(&key)
            ),
            labels: vec!["postmortem".into()],
            assignees: Vec::new(),
        })
        .await
        .unwrap();
    assert!(
        issue.url.ends_with(&format!("/issues/{}", issue.number)),
        "{issue:?}"
    );
    assert_eq!(
        github.find_filed(&key).await.unwrap().unwrap().number,
        issue.number
    );

    let bad = sim.railway().deployments()[0]
        .deployment
        .commit_sha
        .clone()
        .unwrap();
    let pr = github
        .open_revert_pr(&RevertRequest {
            commit_sha: bad.clone(),
            base: "main".into(),
            title: "Revert the missing import".into(),
            body: "Reverts the build break.".into(),
        })
        .await
        .unwrap();
    assert!(pr.head_branch.starts_with("revert-"), "{pr:?}");
    assert_eq!(sim.github_issues().last().unwrap().number, pr.number);
    // The revert shipped: a new healthy deployment serves.
    let serving = sim.railway().serving().unwrap().deployment.clone();
    assert_eq!(
        serving.commit_message.as_deref(),
        Some("Revert the missing import")
    );
    let cmp = github
        .compare(&deployments[2].sha, &deployments[1].sha)
        .await
        .unwrap();
    assert_eq!(cmp.ahead_by, 1);
    assert_eq!(
        sim.requests()
            .count_operation(Vendor::Github, "RevertPullRequest"),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn sentry_issues_appear_as_the_site_fails() {
    let (sim, clock) = start(Scenario::ErrorSpike).await;
    let sentry = common::sentry(&sim, clock.clone());
    let now = clock.now();
    let window = TimeWindow::new(
        now - chrono::Duration::minutes(30),
        now + chrono::Duration::seconds(1),
    );
    let new = sentry.new_issues(window).await.unwrap();
    assert!(
        new.iter()
            .any(|i| i.title.starts_with("StripeConnectionError")),
        "{new:?}"
    );
    let top = sentry.top_issues(window, 5).await.unwrap();
    assert!(
        top[0].title.starts_with("StripeConnectionError") && top[0].count >= 100,
        "{top:?}"
    );
    // Ends a whole bucket before the onset (12 min ago): buckets overlapping it count.
    let before = TimeWindow::new(
        now - chrono::Duration::hours(2),
        now - chrono::Duration::minutes(30),
    );
    let baseline: u64 = sentry
        .error_counts(before, Duration::from_secs(600))
        .await
        .unwrap()
        .iter()
        .map(|b| b.count)
        .sum();
    let since: u64 = sentry
        .error_counts(window, Duration::from_secs(300))
        .await
        .unwrap()
        .iter()
        .map(|b| b.count)
        .sum();
    assert!(
        baseline <= 12 && since > 100,
        "baseline {baseline}, since {since}"
    );
    // A request to the failing page is one more event.
    let site = common::health(&sim, clock.clone());
    assert_eq!(site.check("/api/checkout").await.unwrap().status, Some(500));
    sim.shutdown().await;
}

#[tokio::test]
async fn slack_pagerduty_statuspage_keep_what_was_posted() {
    let clock = ManualClock::at("2026-02-08T15:30:00Z".parse().unwrap());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let sim = Sim::start(SimConfig::scenario(Scenario::Healthy).with_clock(shared.clone()))
        .await
        .unwrap();

    let slack = common::slack(&sim, shared.clone());
    let message = ChatMessage {
        channel: String::new(),
        text: "🚨 INCIDENT".into(),
        mrkdwn: None,
    };
    let root = slack.post(&message).await.unwrap();
    let reply = slack
        .reply(
            &root,
            &ChatMessage {
                text: "update".into(),
                ..message.clone()
            },
        )
        .await
        .unwrap();
    slack
        .update(
            &reply,
            &ChatMessage {
                text: "update, edited".into(),
                ..message.clone()
            },
        )
        .await
        .unwrap();
    let posted = sim.slack_messages();
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[1].thread_ts.as_deref(), root.id.as_deref());
    assert!(posted[1].edited && posted[1].text == "update, edited");

    let pager = common::pagerduty(&sim, shared.clone());
    let page = Page {
        dedup_key: "alert:1".into(),
        role: Role::OnCall,
        summary: "Site down".into(),
        severity: Severity::P0,
    };
    pager.trigger(&page).await.unwrap();
    pager.trigger(&page).await.unwrap(); // deduplicated
    pager.acknowledge("alert:1").await.unwrap();
    assert_eq!(sim.pages()[0].status, PageStatus::Acknowledged);
    pager.resolve("alert:1").await.unwrap();
    let pages = sim.pages();
    assert_eq!(
        (pages.len(), pages[0].status, pages[0].severity.as_str()),
        (1, PageStatus::Resolved, "critical")
    );

    let status_page = common::statuspage(&sim, shared.clone());
    let update = |status| StatusPageUpdate {
        incident_key: "alert:1".into(),
        title: "Site down".into(),
        status,
        body: "We are on it.".into(),
    };
    let id = status_page
        .publish_to(&update(StatusPageStatus::Investigating), None)
        .await
        .unwrap();
    status_page
        .publish_to(&update(StatusPageStatus::Resolved), id.clone())
        .await
        .unwrap();
    let incidents = sim.status_page_incidents();
    assert_eq!(incidents.len(), 1);
    assert_eq!(
        (incidents[0].status.as_str(), incidents[0].updates.len()),
        ("resolved", 2)
    );
    assert_eq!(Some(incidents[0].id.clone()), id);
    sim.shutdown().await;
}

#[tokio::test]
async fn health_probe_sees_each_scenario() {
    for (scenario, path, want) in [
        (Scenario::Healthy, "/health", 200),
        (Scenario::SiteDown, "/health", 502),
        (Scenario::AuthSecretMissing, "/api/auth/session", 500),
        (Scenario::AuthSecretMissing, "/health", 200),
        (Scenario::PoolExhausted, "/health", 503),
        (Scenario::ErrorSpike, "/api/checkout", 500),
    ] {
        let (sim, clock) = start(scenario).await;
        let report = common::health(&sim, clock).check(path).await.unwrap();
        assert_eq!(report.status, Some(want), "{scenario} {path}: {report:?}");
        if scenario == Scenario::AuthSecretMissing && path != "/health" {
            assert!(
                report
                    .body_excerpt
                    .contains("problem with the server configuration")
            );
        }
        sim.shutdown().await;
    }
}
