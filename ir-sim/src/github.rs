//! GitHub's REST and GraphQL APIs as `ir-github` calls them: deployments and their statuses,
//! workflow runs, jobs and their logs (a 302 to a second loopback host, as GitHub redirects to
//! its storage), issues and search, the pull requests behind a commit, compare, and GraphQL
//! `revertPullRequest`. Lists page with `per_page`/`page` and a `Link` header.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ir_core::clock::Timestamp;
use serde_json::{Value, json};

use crate::graphql::{FieldError, execute};
use crate::server::{Shared, query_pairs};
use crate::world::World;

const DOCS: &str = "https://docs.github.com/rest";

/// A GitHub deployment and the state of its latest status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GhDeployment {
    pub id: u64,
    pub sha: String,
    pub environment: String,
    pub created_at: Timestamp,
    pub state: String,
}

/// One step of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub number: u32,
    pub name: String,
    pub conclusion: String,
}

/// A job of a workflow run, with the log its download serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Job {
    pub id: u64,
    pub name: String,
    pub conclusion: String,
    pub steps: Vec<Step>,
    pub log: String,
}

/// A workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub id: u64,
    pub workflow: String,
    pub name: String,
    pub head_sha: String,
    pub title: String,
    pub conclusion: Option<String>,
    pub created_at: Timestamp,
    pub jobs: Vec<Job>,
}

/// An issue or a pull request (GitHub's issues API lists both).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GithubIssue {
    /// The number.
    pub number: u64,
    /// The title.
    pub title: String,
    /// The body.
    pub body: String,
    /// `open` or `closed`.
    pub state: String,
    /// The label names.
    pub labels: Vec<String>,
    /// A pull request's head branch; `None` for an issue.
    pub head_branch: Option<String>,
    /// The commit a merged pull request landed as.
    pub merge_commit_sha: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl GithubIssue {
    /// Whether it is a pull request.
    pub fn is_pull_request(&self) -> bool {
        self.head_branch.is_some()
    }

    fn node_id(&self) -> String {
        format!("PR_kwDOsim{}", self.number)
    }
}

/// The repository.
#[derive(Debug, Clone, Default)]
pub(crate) struct Github {
    /// The deploy workflow's file name.
    pub workflow: String,
    pub deployments: Vec<GhDeployment>,
    pub runs: Vec<Run>,
    pub issues: Vec<GithubIssue>,
}

impl Github {
    pub fn next_number(&self) -> u64 {
        self.issues.iter().map(|i| i.number).max().unwrap_or(0) + 1
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/repos/{owner}/{repo}/deployments", get(deployments))
        .route(
            "/repos/{owner}/{repo}/deployments/{id}/statuses",
            get(statuses),
        )
        .route("/repos/{owner}/{repo}/actions/runs", get(runs))
        .route(
            "/repos/{owner}/{repo}/actions/workflows/{workflow}/runs",
            get(runs_of),
        )
        .route("/repos/{owner}/{repo}/actions/runs/{id}/jobs", get(jobs))
        .route(
            "/repos/{owner}/{repo}/actions/jobs/{id}/logs",
            get(job_logs),
        )
        .route(
            "/repos/{owner}/{repo}/issues",
            get(list_issues).post(create_issue),
        )
        .route(
            "/repos/{owner}/{repo}/commits/{sha}/pulls",
            get(pulls_of_commit),
        )
        .route("/repos/{owner}/{repo}/compare/{basehead}", get(compare))
        .route("/search/issues", get(search))
        .route("/graphql", post(graphql))
        .fallback(|| async { not_found() })
}

/// The storage host job logs redirect to: serves the log of `/logs/{job}`.
pub(crate) fn logs_router() -> Router<Arc<Shared>> {
    Router::new().route("/logs/{job}", get(log_file))
}

/// GitHub's 401 without a token.
pub(crate) fn unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("token "))
                .is_some_and(|t| !t.trim().is_empty())
        });
    (!ok).then(|| error(StatusCode::UNAUTHORIZED, "Requires authentication"))
}

fn error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "message": message, "documentation_url": DOCS })),
    )
        .into_response()
}

fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

fn iso(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The repository's API URL, or `None` when the path names another repository.
fn repo(shared: &Shared, owner: &str, repo: &str) -> Option<String> {
    (owner == shared.ids.github_owner && repo == shared.ids.github_repo)
        .then(|| format!("{}/repos/{owner}/{repo}", shared.urls.github))
}

fn html(shared: &Shared) -> String {
    format!(
        "https://github.com/{}/{}",
        shared.ids.github_owner, shared.ids.github_repo
    )
}

/// One page of `items` by `per_page` and `page`, with the `Link` header to the others.
fn page(items: Vec<Value>, pairs: &[(String, String)], url: &str, wrap: Option<&str>) -> Response {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let per_page = get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let number = get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let last = total.div_ceil(per_page).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((number - 1) * per_page)
        .take(per_page)
        .collect();
    let link_to = |n: usize| {
        let mut q: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        q.push(("page".into(), n.to_string()));
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(q)
            .finish();
        format!("<{url}?{query}>")
    };
    let mut links = Vec::new();
    if number < last {
        links.push(format!("{}; rel=\"next\"", link_to(number + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(last)));
    }
    if number > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(number - 1)));
        links.push(format!("{}; rel=\"first\"", link_to(1)));
    }
    let body = match wrap {
        Some(key) => json!({ "total_count": total, key: shown }),
        None => Value::Array(shown),
    };
    let mut response = Json(body).into_response();
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

async fn deployments(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let world = shared.world();
    let mut list = world.github.deployments.clone();
    list.sort_by_key(|d| std::cmp::Reverse(d.created_at));
    let items = list
        .iter()
        .map(|d| {
            json!({
                "url": format!("{base}/deployments/{}", d.id),
                "id": d.id,
                "node_id": format!("DE_kwDOsim{}", d.id),
                "sha": d.sha,
                "ref": "main",
                "task": "deploy",
                "payload": {},
                "environment": d.environment,
                "original_environment": d.environment,
                "description": null,
                "creator": { "login": "github-actions[bot]", "type": "Bot" },
                "created_at": iso(d.created_at),
                "updated_at": iso(d.created_at),
                "statuses_url": format!("{base}/deployments/{}/statuses", d.id),
                "repository_url": base,
                "transient_environment": false,
                "production_environment": true,
            })
        })
        .collect();
    page(
        items,
        &query_pairs(raw.as_deref()),
        &format!("{base}/deployments"),
        None,
    )
}

async fn statuses(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let world = shared.world();
    let Some(d) = world
        .github
        .deployments
        .iter()
        .find(|d| d.id.to_string() == id)
    else {
        return not_found();
    };
    let status = json!({
        "url": format!("{base}/deployments/{}/statuses/{}", d.id, d.id * 10),
        "id": d.id * 10,
        "state": d.state,
        "description": format!("Deployment {}", d.state),
        "environment": d.environment,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.created_at),
        "deployment_url": format!("{base}/deployments/{}", d.id),
    });
    page(
        vec![status],
        &query_pairs(raw.as_deref()),
        &format!("{base}/deployments/{id}/statuses"),
        None,
    )
}

fn run_json(shared: &Shared, base: &str, run: &Run) -> Value {
    json!({
        "id": run.id,
        "name": run.name,
        "node_id": format!("WFR_kwLOsim{}", run.id),
        "head_branch": "main",
        "head_sha": run.head_sha,
        "path": format!(".github/workflows/{}", run.workflow),
        "display_title": run.title,
        "run_number": run.id % 1000,
        "event": "push",
        "status": if run.conclusion.is_some() { "completed" } else { "in_progress" },
        "conclusion": run.conclusion,
        "workflow_id": 161_335,
        "url": format!("{base}/actions/runs/{}", run.id),
        "html_url": format!("{}/actions/runs/{}", html(shared), run.id),
        "jobs_url": format!("{base}/actions/runs/{}/jobs", run.id),
        "logs_url": format!("{base}/actions/runs/{}/logs", run.id),
        "created_at": iso(run.created_at),
        "updated_at": iso(run.created_at + chrono::Duration::minutes(2)),
        "run_started_at": iso(run.created_at),
        "head_commit": { "id": run.head_sha, "message": run.title, "timestamp": iso(run.created_at) },
    })
}

fn list_runs(
    shared: &Shared,
    owner: &str,
    name: &str,
    workflow: Option<&str>,
    raw: Option<&str>,
) -> Response {
    let Some(base) = repo(shared, owner, name) else {
        return not_found();
    };
    let pairs = query_pairs(raw);
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let world = shared.world();
    if workflow.is_some_and(|w| !world.github.runs.iter().any(|r| r.workflow == w)) {
        return not_found();
    }
    let mut runs: Vec<&Run> = world
        .github
        .runs
        .iter()
        .filter(|r| workflow.is_none_or(|w| r.workflow == w))
        .filter(|r| match get("status") {
            None => true,
            Some("completed") => r.conclusion.is_some(),
            Some(other) => r.conclusion.as_deref() == Some(other),
        })
        .filter(|r| get("head_sha").is_none_or(|s| r.head_sha == s))
        .collect();
    runs.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    let items = runs.iter().map(|r| run_json(shared, &base, r)).collect();
    let url = match workflow {
        Some(w) => format!("{base}/actions/workflows/{w}/runs"),
        None => format!("{base}/actions/runs"),
    };
    page(items, &pairs, &url, Some("workflow_runs"))
}

async fn runs(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    list_runs(&shared, &owner, &name, None, raw.as_deref())
}

async fn runs_of(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, workflow)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    list_runs(&shared, &owner, &name, Some(&workflow), raw.as_deref())
}

async fn jobs(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let world = shared.world();
    let Some(run) = world.github.runs.iter().find(|r| r.id.to_string() == id) else {
        return not_found();
    };
    let items = run
        .jobs
        .iter()
        .map(|j| {
            let steps: Vec<Value> = j
                .steps
                .iter()
                .map(|s| json!({ "name": s.name, "status": "completed", "conclusion": s.conclusion, "number": s.number, "started_at": iso(run.created_at), "completed_at": iso(run.created_at) }))
                .collect();
            json!({
                "id": j.id,
                "run_id": run.id,
                "run_url": format!("{base}/actions/runs/{}", run.id),
                "node_id": format!("CR_kwDOsim{}", j.id),
                "head_sha": run.head_sha,
                "url": format!("{base}/actions/jobs/{}", j.id),
                "html_url": format!("{}/actions/runs/{}/job/{}", html(&shared), run.id, j.id),
                "status": "completed",
                "conclusion": j.conclusion,
                "started_at": iso(run.created_at),
                "completed_at": iso(run.created_at + chrono::Duration::minutes(2)),
                "name": j.name,
                "steps": steps,
            })
        })
        .collect();
    page(
        items,
        &query_pairs(raw.as_deref()),
        &format!("{base}/actions/runs/{id}/jobs"),
        Some("jobs"),
    )
}

async fn job_logs(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, id)): Path<(String, String, String)>,
) -> Response {
    if repo(&shared, &owner, &name).is_none() {
        return not_found();
    }
    let world = shared.world();
    if !world
        .github
        .runs
        .iter()
        .flat_map(|r| &r.jobs)
        .any(|j| j.id.to_string() == id)
    {
        return not_found();
    }
    let location = format!(
        "{}/logs/{id}?sig=simulated-signature&se={}",
        shared.urls.github_logs,
        shared.clock.now().timestamp() + 60
    );
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn log_file(State(shared): State<Arc<Shared>>, Path(job): Path<String>) -> Response {
    let world = shared.world();
    match world
        .github
        .runs
        .iter()
        .flat_map(|r| &r.jobs)
        .find(|j| j.id.to_string() == job)
    {
        Some(j) => ([(header::CONTENT_TYPE, "text/plain")], j.log.clone()).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "<Error><Code>BlobNotFound</Code></Error>",
        )
            .into_response(),
    }
}

fn issue_json(shared: &Shared, base: &str, i: &GithubIssue) -> Value {
    let kind = if i.is_pull_request() {
        "pull"
    } else {
        "issues"
    };
    let mut value = json!({
        "id": i.number * 1_000,
        "node_id": if i.is_pull_request() { i.node_id() } else { format!("I_kwDOsim{}", i.number) },
        "url": format!("{base}/issues/{}", i.number),
        "repository_url": base,
        "html_url": format!("{}/{kind}/{}", html(shared), i.number),
        "number": i.number,
        "state": i.state,
        "title": i.title,
        "body": i.body,
        "user": { "login": "ir-bot", "type": "Bot" },
        "labels": i.labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
        "assignees": [],
        "comments": 0,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.created_at),
        "closed_at": null,
    });
    if i.is_pull_request() {
        value["pull_request"] = json!({
            "url": format!("{base}/pulls/{}", i.number),
            "html_url": format!("{}/pull/{}", html(shared), i.number),
            "merged_at": i.merge_commit_sha.as_ref().map(|_| iso(i.created_at)),
        });
    }
    value
}

async fn list_issues(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let pairs = query_pairs(raw.as_deref());
    let state = pairs
        .iter()
        .find(|(k, _)| k == "state")
        .map_or("open", |(_, v)| v.as_str());
    let world = shared.world();
    let mut items: Vec<&GithubIssue> = world
        .github
        .issues
        .iter()
        .filter(|i| state == "all" || i.state == state)
        .collect();
    items.sort_by_key(|i| std::cmp::Reverse(i.number));
    let items = items
        .iter()
        .map(|i| issue_json(&shared, &base, i))
        .collect();
    page(items, &pairs, &format!("{base}/issues"), None)
}

async fn create_issue(
    State(shared): State<Arc<Shared>>,
    Path((owner, name)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "Problems parsing JSON");
    };
    let Some(title) = request
        .get("title")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "message": "Validation Failed", "errors": [{ "resource": "Issue", "field": "title", "code": "missing_field" }], "documentation_url": DOCS })),
        )
            .into_response();
    };
    let labels = request
        .get("labels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let mut world = shared.world();
    let issue = GithubIssue {
        number: world.github.next_number(),
        title: title.to_owned(),
        body: request
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        state: "open".into(),
        labels,
        head_branch: None,
        merge_commit_sha: None,
        created_at: shared.clock.now(),
    };
    let answer = issue_json(&shared, &base, &issue);
    world.github.issues.push(issue);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn search(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Response {
    let pairs = query_pairs(raw.as_deref());
    let Some(q) = pairs.iter().find(|(k, _)| k == "q").map(|(_, v)| v.clone()) else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "message": "Validation Failed", "errors": [{ "resource": "Search", "field": "q", "code": "missing" }], "documentation_url": DOCS })),
        )
            .into_response();
    };
    let base = format!(
        "{}/repos/{}/{}",
        shared.urls.github, shared.ids.github_owner, shared.ids.github_repo
    );
    let wanted_repo = format!(
        "repo:{}/{}",
        shared.ids.github_owner, shared.ids.github_repo
    );
    // Quoted phrases must appear in the body; `is:issue` / `is:pull-request` narrow the kind.
    let phrases: Vec<&str> = q.split('"').skip(1).step_by(2).collect();
    let world = shared.world();
    let items: Vec<Value> = world
        .github
        .issues
        .iter()
        .filter(|_| !q.contains("repo:") || q.contains(&wanted_repo))
        .filter(|i| !q.contains("is:issue") || !i.is_pull_request())
        .filter(|i| !q.contains("is:pull-request") && !q.contains("is:pr") || i.is_pull_request())
        .filter(|i| {
            phrases
                .iter()
                .all(|p| i.body.contains(p) || i.title.contains(p))
        })
        .map(|i| {
            let mut v = issue_json(&shared, &base, i);
            v["score"] = json!(1.0);
            v
        })
        .collect();
    let total = items.len();
    Json(json!({ "total_count": total, "incomplete_results": false, "items": items }))
        .into_response()
}

async fn pulls_of_commit(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, sha)): Path<(String, String, String)>,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let world = shared.world();
    let pulls: Vec<Value> = world
        .github
        .issues
        .iter()
        .filter(|i| i.merge_commit_sha.as_deref() == Some(sha.as_str()))
        .map(|i| {
            json!({
                "url": format!("{base}/pulls/{}", i.number),
                "id": i.number * 1_000,
                "node_id": i.node_id(),
                "html_url": format!("{}/pull/{}", html(&shared), i.number),
                "number": i.number,
                "state": i.state,
                "title": i.title,
                "body": i.body,
                "merged_at": iso(i.created_at),
                "merge_commit_sha": i.merge_commit_sha,
                "head": { "ref": i.head_branch, "sha": sha },
                "base": { "ref": "main" },
            })
        })
        .collect();
    Json(Value::Array(pulls)).into_response()
}

async fn compare(
    State(shared): State<Arc<Shared>>,
    Path((owner, name, basehead)): Path<(String, String, String)>,
) -> Response {
    let Some(base) = repo(&shared, &owner, &name) else {
        return not_found();
    };
    let Some((from, to)) = basehead.split_once("...") else {
        return not_found();
    };
    let world = shared.world();
    let order: Vec<&str> = {
        let mut ds: Vec<&ir_core::model::Deployment> = world
            .railway
            .deployments()
            .iter()
            .map(|d| &d.deployment)
            .collect();
        ds.sort_by_key(|d| d.created_at);
        ds.iter().filter_map(|d| d.commit_sha.as_deref()).collect()
    };
    let position = |sha: &str| order.iter().position(|s| *s == sha);
    let (Some(a), Some(b)) = (position(from), position(to)) else {
        return not_found();
    };
    let (status, ahead, behind) = match b.cmp(&a) {
        std::cmp::Ordering::Equal => ("identical", 0, 0),
        std::cmp::Ordering::Greater => ("ahead", b - a, 0),
        std::cmp::Ordering::Less => ("behind", 0, a - b),
    };
    Json(json!({
        "url": format!("{base}/compare/{basehead}"),
        "html_url": format!("{}/compare/{basehead}", html(&shared)),
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "files": if ahead > 0 { json!([{ "filename": "app/dashboard/page.tsx", "status": "modified", "additions": 12, "deletions": 3, "changes": 15 }]) } else { json!([]) },
    }))
    .into_response()
}

async fn graphql(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let now = shared.clock.now();
    let (status, answer) = {
        let mut world = shared.world();
        execute(&body, |field| match (field.mutation, field.name) {
            (true, "revertPullRequest") => {
                revert(&mut world, &shared, field.args.get("input"), now)
            }
            (_, name) => Err(FieldError::new(format!(
                "Field '{name}' doesn't exist on type '{}'",
                if field.mutation { "Mutation" } else { "Query" }
            ))
            .with_extensions(json!({ "code": "undefinedField" }))
            .with_type("undefinedField")),
        })
    };
    (status, Json(answer)).into_response()
}

/// `revertPullRequest`: a new pull request reverting a merged one. The simulated team merges
/// it and the deploy workflow ships it: a new healthy deployment of the revert commit.
fn revert(
    world: &mut World,
    shared: &Shared,
    input: Option<&Value>,
    now: Timestamp,
) -> Result<Value, FieldError> {
    let input = input.cloned().unwrap_or(Value::Null);
    let id = input
        .get("pullRequestId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Some(original) = world
        .github
        .issues
        .iter()
        .find(|i| i.is_pull_request() && i.node_id() == id)
        .cloned()
    else {
        return Err(FieldError::new(format!(
            "Could not resolve to a node with the global id of '{id}'"
        ))
        .with_type("NOT_FOUND"));
    };
    let number = world.github.next_number();
    let head = format!(
        "revert-{}-{}",
        original.number,
        original.head_branch.clone().unwrap_or_default()
    );
    let title = input
        .get("title")
        .and_then(Value::as_str)
        .map_or_else(|| format!("Revert \"{}\"", original.title), str::to_owned);
    let sha = format!("{:040x}", 0xdead_0000_u64 + number);
    world.github.issues.push(GithubIssue {
        number,
        title: title.clone(),
        body: input
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        state: "open".into(),
        labels: Vec::new(),
        head_branch: Some(head.clone()),
        merge_commit_sha: None,
        created_at: now,
    });
    world.ship(&sha, &title, now);
    let url = format!("{}/pull/{number}", html(shared));
    Ok(json!({
        "clientMutationId": null,
        "pullRequest": { "number": original.number, "url": format!("{}/pull/{}", html(shared), original.number) },
        "revertPullRequest": { "number": number, "url": url, "headRefName": head },
    }))
}
