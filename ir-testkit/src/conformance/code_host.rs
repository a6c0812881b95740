//! The `CodeHost` contract, against a repository a [`CodeHostFixture`] describes.

use ir_core::error::ErrorKind;
use ir_core::model::{RunConclusion, WorkflowRun};
use ir_core::ports::{CodeHost, NewIssue, RunQuery};

use super::{check, check_eq, err_kind, ok, unique};
use crate::CodeHostFixture;

fn query(fixture: &CodeHostFixture, limit: usize) -> RunQuery {
    RunQuery {
        workflow: Some(fixture.workflow.clone()),
        limit,
        ..RunQuery::default()
    }
}

fn ids(runs: &[WorkflowRun]) -> Vec<u64> {
    runs.iter().map(|r| r.id).collect()
}

/// `deployments` returns every deployment newest first, and the newest within a limit.
pub async fn deployments_newest_first(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::deployments_newest_first";
    let want: Vec<u64> = fixture.deployments.iter().map(|d| d.id).collect();
    let all = ok(
        host.deployments(fixture.deployments.len() + 5).await,
        RULE,
        "deployments",
    );
    check_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        want,
        RULE,
        "deployments returns every deployment, newest first"
    );
    check!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        RULE,
        "deployments are newest first"
    );
    let one = ok(host.deployments(1).await, RULE, "deployments(1)");
    check_eq!(
        one.iter().map(|d| d.id).collect::<Vec<_>>(),
        want[..1.min(want.len())].to_vec(),
        RULE,
        "deployments(1) is the newest"
    );
}

/// `workflow_runs` returns every run of the workflow newest first, and the newest within a
/// limit.
pub async fn workflow_runs_newest_first(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::workflow_runs_newest_first";
    let every = fixture.runs.len() + 5;
    let runs = ok(
        host.workflow_runs(&query(fixture, every)).await,
        RULE,
        "workflow_runs",
    );
    check_eq!(
        ids(&runs),
        ids(&fixture.runs),
        RULE,
        "workflow_runs returns every run of the workflow, newest first"
    );
    check!(
        runs.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        RULE,
        "runs are newest first"
    );
    let newest = ok(
        host.workflow_runs(&query(fixture, 1)).await,
        RULE,
        "workflow_runs(1)",
    );
    check_eq!(
        ids(&newest),
        ids(&fixture.runs[..1.min(fixture.runs.len())]),
        RULE,
        "a limit keeps the newest runs"
    );
}

/// `failed_only` keeps exactly the failed runs.
pub async fn failed_only_keeps_the_failed_runs(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::failed_only_keeps_the_failed_runs";
    let failed = ok(
        host.workflow_runs(&RunQuery {
            failed_only: true,
            ..query(fixture, fixture.runs.len() + 5)
        })
        .await,
        RULE,
        "workflow_runs(failed_only)",
    );
    let want: Vec<WorkflowRun> = fixture
        .runs
        .iter()
        .filter(|r| r.conclusion.as_ref().is_some_and(RunConclusion::is_failure))
        .cloned()
        .collect();
    check!(
        !want.is_empty() && want.len() < fixture.runs.len(),
        RULE,
        "the fixture needs failed and other runs"
    );
    check_eq!(
        ids(&failed),
        ids(&want),
        RULE,
        "failed_only keeps exactly the failed runs"
    );
}

/// A branch filter keeps exactly that branch's runs.
pub async fn branch_filter_keeps_the_branchs_runs(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::branch_filter_keeps_the_branchs_runs";
    let Some(branch) = fixture.runs.iter().find_map(|r| r.head_branch.clone()) else {
        panic!("conformance: {RULE}: the fixture needs a run with a head branch");
    };
    let on_branch = ok(
        host.workflow_runs(&RunQuery {
            branch: Some(branch.clone()),
            ..query(fixture, fixture.runs.len() + 5)
        })
        .await,
        RULE,
        "workflow_runs(branch)",
    );
    let want: Vec<WorkflowRun> = fixture
        .runs
        .iter()
        .filter(|r| r.head_branch.as_deref() == Some(branch.as_str()))
        .cloned()
        .collect();
    check_eq!(
        ids(&on_branch),
        ids(&want),
        RULE,
        "a branch filter keeps exactly that branch's runs"
    );
}

/// The runs of an unknown workflow are `NotFound`.
pub async fn unknown_workflow_is_not_found(host: &dyn CodeHost, _fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::unknown_workflow_is_not_found";
    err_kind(
        host.workflow_runs(&RunQuery {
            workflow: Some(format!("{}.yml", unique("conformance-missing"))),
            limit: 5,
            ..RunQuery::default()
        })
        .await,
        ErrorKind::NotFound,
        RULE,
        "workflow_runs of an unknown workflow",
    );
}

/// A failed run's jobs come with their failing step and log excerpt; an unknown run is
/// `NotFound`.
pub async fn failed_jobs_of_a_run(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::failed_jobs_of_a_run";
    let jobs = ok(
        host.failed_jobs(fixture.failed_run).await,
        RULE,
        "failed_jobs",
    );
    check_eq!(
        jobs,
        fixture.failed_jobs,
        RULE,
        "failed_jobs returns the run's failed jobs with their step and log"
    );
    err_kind(
        host.failed_jobs(fixture.unknown_run).await,
        ErrorKind::NotFound,
        RULE,
        "failed_jobs of an unknown run",
    );
}

/// Issues filed get distinct growing numbers and a link each. Files two issues.
pub async fn issues_get_growing_numbers(host: &dyn CodeHost, _fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::issues_get_growing_numbers";
    let issue = |n: u32| NewIssue {
        title: format!("Postmortem: dashboard errors ({n})"),
        body: "## Summary\n\n🚨 P1 — «dashboard» returned 500s".into(),
        labels: vec!["incident".into(), "postmortem".into()],
        assignees: Vec::new(),
    };
    let first = ok(host.create_issue(&issue(1)).await, RULE, "create_issue");
    let second = ok(host.create_issue(&issue(2)).await, RULE, "create_issue");
    check!(
        first.number > 0 && second.number > first.number,
        RULE,
        "issues get growing numbers ({} then {})",
        first.number,
        second.number
    );
    check!(
        !first.url.is_empty() && first.url != second.url,
        RULE,
        "each issue has a link of its own"
    );
}

/// A revert opens a pull request, with a number and a link, from a branch of its own. Opens
/// one pull request.
pub async fn revert_opens_a_pull_request(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    const RULE: &str = "code_host::revert_opens_a_pull_request";
    let pr = ok(
        host.open_revert_pr(&fixture.revert).await,
        RULE,
        "open_revert_pr",
    );
    check!(pr.number > 0, RULE, "a pull request has a number");
    check!(!pr.url.is_empty(), RULE, "a pull request has a link");
    check!(
        !pr.head_branch.is_empty() && pr.head_branch != fixture.revert.base,
        RULE,
        "a revert comes from a branch of its own, not {}",
        fixture.revert.base
    );
}

/// Every rule above, the reading ones first.
pub async fn run_all(host: &dyn CodeHost, fixture: &CodeHostFixture) {
    deployments_newest_first(host, fixture).await;
    workflow_runs_newest_first(host, fixture).await;
    failed_only_keeps_the_failed_runs(host, fixture).await;
    branch_filter_keeps_the_branchs_runs(host, fixture).await;
    unknown_workflow_is_not_found(host, fixture).await;
    failed_jobs_of_a_run(host, fixture).await;
    issues_get_growing_numbers(host, fixture).await;
    revert_opens_a_pull_request(host, fixture).await;
}
