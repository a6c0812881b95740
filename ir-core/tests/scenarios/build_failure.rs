use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::*;
use ir_core::classify::Signals;
use ir_core::incident::ActionState;
use ir_core::playbook::Symptoms;
use ir_core::runner::Outcome;

const TSC: &str = "./app/dashboard/page.tsx:4:28\nType error: Cannot find module 'lib/utils/formatDate' or its corresponding type declarations.\n\n  4 | import { formatDate } from 'lib/utils/formatDate'\nError: Process completed with exit code 1.";

fn symptoms() -> Symptoms {
    Symptoms::new(Signals::default())
        .with_build_failed()
        .with_text("Deployment failed during build")
}

fn code(log: &'static str) -> MockCodeHost {
    let mut code = MockCodeHost::new();
    code.expect_workflow_runs()
        .times(1)
        .withf(|q| q.failed_only)
        .returning(|_| {
            let mut run = WorkflowRun::new(
                101,
                "CD Production",
                "abc1234def5678",
                "completed",
                Some(RunConclusion::Failure),
                t(-6),
            );
            run.html_url = "https://github.example/runs/101".into();
            Ok(vec![run])
        });
    code.expect_failed_jobs()
        .times(1)
        .withf(|id| *id == 101)
        .returning(move |_| {
            Ok(vec![
                FailedJob::new(7, "build")
                    .with_step(5, "Build")
                    .with_log_excerpt(log),
            ])
        });
    code
}

fn platform(commit_message: &'static str) -> MockDeployPlatform {
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("web")
            .with_latest(deployment("d3", DeploymentStatus::Failed, -6))
            .with_active(vec![deployment("d2", DeploymentStatus::Active, -300)])
            .with_instances(vec![InstanceStatus::Running]))
    });
    deploy.expect_list_deployments().returning(move |_| {
        Ok(vec![
            Deployment::new("d3", DeploymentStatus::Failed, t(-6))
                .with_commit("abc1234def5678", Some(commit_message.to_owned())),
            deployment("d2", DeploymentStatus::Active, -300),
        ])
    });
    deploy.expect_rollback().times(0);
    deploy
}

fn providers(
    world: &World,
    code: MockCodeHost,
    commit_message: &'static str,
) -> ir_core::playbook::Providers {
    world
        .providers()
        .with_code(Arc::new(code))
        .with_deploy(Arc::new(platform(commit_message)))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))))
}

fn issue_ref() -> IssueRef {
    IssueRef {
        number: 42,
        url: "https://github.example/issues/42".into(),
    }
}

#[tokio::test]
async fn missing_file_gets_an_issue_naming_it_while_production_keeps_serving() {
    let world = World::open("Build failing", &Signals::default(), 6).await;
    let mut code = code(TSC);
    code.expect_create_issue()
        .times(1)
        .withf(|i| {
            i.title == "Build failure: Cannot find module 'lib/utils/formatDate'"
                && i.body
                    .contains("Run: 101 (https://github.example/runs/101)")
                && i.body.contains("Step: Build")
                && i.body.contains("Commit `lib/utils/formatDate`")
                && i.labels.contains(&"build".to_owned())
        })
        .returning(|_| Ok(issue_ref()));
    code.expect_open_revert_pr().times(0);
    let report = world
        .runner(
            providers(&world, code, "add date formatting to the dashboard"),
            never_asked(),
        )
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved {
        root_cause,
        mitigation,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert!(
        root_cause.starts_with("'lib/utils/formatDate' is imported but not committed"),
        "{root_cause}"
    );
    assert!(
        root_cause.contains("step \"Build\" of run 101"),
        "{root_cause}"
    );
    assert_eq!(
        mitigation,
        "Created issue \"Build failure: Cannot find module 'lib/utils/formatDate'\""
    );
    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let ranked: Vec<&str> = incident
        .assessments()
        .last()
        .unwrap()
        .iter()
        .map(|h| h.cause.as_str())
        .collect();
    assert_eq!(ranked[0], "missing_import_not_committed");
    let notes: Vec<String> = incident
        .timeline()
        .iter()
        .flat_map(|e| match &e.event.kind {
            EventKind::Note { text } => vec![text.clone()],
            EventKind::Recommended {
                recommendations, ..
            } => recommendations.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Production keeps serving deployment d2")),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_deleted_file_prefers_a_revert_which_approval_denies_so_the_issue_is_filed() {
    let world = World::open("Build failing", &Signals::default(), 6).await;
    let mut code = code(TSC);
    code.expect_open_revert_pr().times(0);
    code.expect_create_issue()
        .times(1)
        .withf(|i| i.body.contains("was deleted but is still imported"))
        .returning(|_| Ok(issue_ref()));
    let mut approver = MockApprover::new();
    approver
        .expect_decide()
        .times(1)
        .withf(|r| matches!(&r.action.kind, ir_core::model::ActionKind::OpenRevertPr { commit_sha, .. } if commit_sha == "abc1234def5678"))
        .returning(|_| {
            Ok(Decision::Rejected {
                by: "alice".into(),
                reason: "fix forward".into(),
            })
        });
    let report = world
        .runner(
            providers(&world, code, "chore: remove unused formatDate helper"),
            Arc::new(approver),
        )
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    assert_eq!(
        incident.assessments().last().unwrap()[0].cause,
        "missing_import_deleted"
    );
    let states: Vec<ActionState> = incident.actions().map(|a| a.state).collect();
    assert_eq!(states, [ActionState::Rejected, ActionState::Succeeded]);
}

#[tokio::test]
async fn a_case_mismatch_is_told_apart() {
    let world = World::open("Build failing", &Signals::default(), 6).await;
    let log = "Type error: Cannot find module '@/lib/Utils' or its corresponding type declarations.\nerror TS1149: File name '/app/lib/utils.ts' differs from already included file name '/app/lib/Utils.ts' only in casing.";
    let mut code = code(log);
    code.expect_create_issue()
        .times(1)
        .withf(|i| i.body.contains("letter case"))
        .returning(|_| Ok(issue_ref()));
    let report = world
        .runner(providers(&world, code, "refactor utils"), never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert_resolved(&report);
    let top = &world.incident().await.assessments().last().unwrap()[0].clone();
    assert_eq!(top.cause, "missing_import_case_mismatch");
}

#[tokio::test]
async fn issues_disabled_falls_back_to_a_revert_pr() {
    let world = World::open("Build failing", &Signals::default(), 6).await;
    let mut code = code(TSC);
    code.expect_create_issue().times(1).returning(|_| {
        Err(
            Error::new(ErrorKind::Unsupported, "Issues are disabled for this repo")
                .with_provider("github")
                .with_operation("create_issue")
                .with_status(410),
        )
    });
    code.expect_open_revert_pr()
        .times(1)
        .withf(|r| {
            r.commit_sha == "abc1234def5678" && r.base == "main" && r.title == "Revert abc1234"
        })
        .returning(|_| {
            Ok(PullRequestRef {
                number: 9,
                url: "https://github.example/pull/9".into(),
                head_branch: "revert-abc1234".into(),
            })
        });
    let report = world
        .runner(
            providers(&world, code, "add date formatting"),
            Arc::new(AutoApprove::new("alice")),
        )
        .run(world.id, &symptoms())
        .await
        .unwrap();
    let Outcome::Resolved { mitigation, .. } = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(
        mitigation,
        "Opened a pull request reverting abc1234 into main"
    );
    let incident = world.incident().await;
    let states: Vec<ActionState> = incident.actions().map(|a| a.state).collect();
    assert_eq!(states, [ActionState::Failed, ActionState::Succeeded]);
}

#[tokio::test]
async fn a_build_failure_without_a_missing_module_files_nothing() {
    let world = World::open("Build failing", &Signals::default(), 6).await;
    let mut code = code("npm ERR! Test failed.  See above for more details.");
    code.expect_create_issue().times(0);
    code.expect_open_revert_pr().times(0);
    let report = world
        .runner(providers(&world, code, "x"), never_asked())
        .run(world.id, &symptoms())
        .await
        .unwrap();
    assert!(
        matches!(report.outcome, Outcome::NeedsHuman { .. }),
        "{:?}",
        report.outcome
    );
    assert_eq!(world.incident().await.actions().count(), 0);
}
