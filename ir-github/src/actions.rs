//! GitHub Actions: workflow runs (`gh run list --workflow=cd-production.yml`), the failed jobs
//! of a run with their first failing step, and their logs (`gh run view <id> --log-failed`).

use ir_core::clock::Timestamp;
use ir_core::model::{FailedJob, RunConclusion, WorkflowRun};
use ir_core::ports::RunQuery;
use ir_core::{ErrorKind, Result};
use ir_http::Request;
use serde::Deserialize;
use url::Url;

use crate::client::{GithubClient, api_error};

/// The most bytes of log kept in an excerpt.
const EXCERPT_BYTES: usize = 8 * 1024;

/// `{total_count, workflow_runs: [...]}`.
#[derive(Debug, Deserialize)]
struct RunsPage {
    workflow_runs: Vec<WireRun>,
}

#[derive(Debug, Deserialize)]
struct WireRun {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    display_title: Option<String>,
    #[serde(default)]
    head_branch: Option<String>,
    head_sha: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    conclusion: Option<String>,
    created_at: Timestamp,
    html_url: String,
}

impl WireRun {
    fn into_run(self) -> WorkflowRun {
        let name = self.name.or(self.display_title).unwrap_or_default();
        let mut run = WorkflowRun::new(
            self.id,
            name,
            self.head_sha,
            self.status.unwrap_or_else(|| "unknown".to_owned()),
            self.conclusion.as_deref().map(RunConclusion::parse),
            self.created_at,
        );
        run.head_branch = self.head_branch;
        run.html_url = self.html_url;
        run
    }
}

/// `{total_count, jobs: [...]}`.
#[derive(Debug, Deserialize)]
struct JobsPage {
    jobs: Vec<WireJob>,
}

#[derive(Debug, Deserialize)]
struct WireJob {
    id: u64,
    name: String,
    #[serde(default)]
    conclusion: Option<String>,
    #[serde(default)]
    steps: Vec<WireStep>,
}

#[derive(Debug, Deserialize)]
struct WireStep {
    name: String,
    number: u32,
    #[serde(default)]
    conclusion: Option<String>,
}

impl GithubClient {
    /// Runs of `query.workflow` (every workflow when `None`), newest first. A branch filter is
    /// GitHub's `branch`; `failed_only` asks for completed runs and keeps those whose
    /// conclusion [is a failure](RunConclusion::is_failure) (failure or timed out).
    pub(crate) async fn list_workflow_runs(&self, query: &RunQuery) -> Result<Vec<WorkflowRun>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut params = vec![("per_page", self.page_size.to_string())];
        if let Some(branch) = &query.branch {
            params.push(("branch", branch.clone()));
        }
        if query.failed_only {
            params.push(("status", "completed".to_owned()));
        }
        params.push(("exclude_pull_requests", "true".to_owned()));
        let url = match &query.workflow {
            Some(workflow) => self.repo_url(&["actions", "workflows", workflow, "runs"], &params),
            None => self.repo_url(&["actions", "runs"], &params),
        };
        let failed_only = query.failed_only;
        self.paginate("list_workflow_runs", url, query.limit, |response| {
            let page: RunsPage = response.json()?;
            Ok(page
                .workflow_runs
                .into_iter()
                .map(WireRun::into_run)
                .filter(|run| {
                    !failed_only
                        || run
                            .conclusion
                            .as_ref()
                            .is_some_and(RunConclusion::is_failure)
                })
                .collect())
        })
        .await
    }

    /// The failed (or timed out) jobs of the latest attempt of run `run_id`, each with its
    /// first failing step and an excerpt of its log. A log that cannot be fetched (expired,
    /// deleted) leaves the excerpt `None`.
    pub(crate) async fn list_failed_jobs(&self, run_id: u64) -> Result<Vec<FailedJob>> {
        let id = run_id.to_string();
        let url = self.repo_url(
            &["actions", "runs", &id, "jobs"],
            &[
                ("filter", "latest".to_owned()),
                ("per_page", self.page_size.to_string()),
            ],
        );
        let jobs = self
            .paginate("list_jobs_for_workflow_run", url, usize::MAX, |response| {
                Ok(response.json::<JobsPage>()?.jobs)
            })
            .await?;
        let mut failed = Vec::new();
        for job in jobs {
            let conclusion = job.conclusion.as_deref().map(RunConclusion::parse);
            if !conclusion.as_ref().is_some_and(RunConclusion::is_failure) {
                continue;
            }
            let mut entry = FailedJob::new(job.id, job.name);
            let first_failing = job.steps.iter().find(|step| {
                step.conclusion
                    .as_deref()
                    .map(RunConclusion::parse)
                    .is_some_and(|c| c.is_failure())
            });
            if let Some(step) = first_failing {
                entry = entry.with_step(step.number, step.name.clone());
            }
            match self.job_log(job.id).await {
                Ok(log) => {
                    if let Some(excerpt) = excerpt(&log, self.log_excerpt_lines) {
                        entry = entry.with_log_excerpt(excerpt);
                    }
                }
                Err(e) => tracing::warn!(job_id = job.id, kind = %e.kind(), "job log unavailable"),
            }
            failed.push(entry);
        }
        Ok(failed)
    }

    /// The whole plain-text log of job `job_id`.
    ///
    /// GitHub answers `302` with a short-lived URL on another host; that URL is fetched with
    /// a client that sends no credential, so the GitHub token never leaves GitHub.
    ///
    /// # Errors
    /// `NotFound` for an unknown job or an expired log (GitHub answers 404 or 410); `Protocol`
    /// when the redirect has no usable `Location`; the error table otherwise.
    pub async fn job_log(&self, job_id: u64) -> Result<String> {
        let id = job_id.to_string();
        let url = self.repo_url(&["actions", "jobs", &id, "logs"], &[]);
        let response = self
            .http
            .send(Request::get(url.clone()).with_operation("download_job_logs"))
            .await?;
        if response.is_success() {
            return Ok(String::from_utf8_lossy(response.body()).into_owned());
        }
        if !response.status().is_redirection() {
            return Err(api_error(&response));
        }
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| url.join(v).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| response.protocol_error("the log redirect has no usable Location"))?;
        let log = self.download(location).await?;
        Ok(log)
    }

    /// `GET url` without the GitHub token (the URL signs itself).
    async fn download(&self, url: Url) -> Result<String> {
        let response = self
            .downloads
            .send(Request::get(url).with_operation("download_job_log_file"))
            .await?;
        if !response.is_success() {
            let error = response
                .status_error(format!(
                    "the log file could not be fetched: {}",
                    response.describe_body()
                ))
                .unwrap_or_else(|| response.protocol_error("the log file could not be fetched"));
            return Err(if error.kind() == ErrorKind::PermissionDenied {
                // The signed URL expired (the storage host answers 403).
                response.error(ErrorKind::NotFound, "the log link expired")
            } else {
                error
            });
        }
        Ok(String::from_utf8_lossy(response.body()).into_owned())
    }
}

/// The part of a job log worth reading: the lines up to and including the last `##[error]`
/// (the end of the log when there is none), at most `lines` of them and
/// [`EXCERPT_BYTES`], each without its timestamp. `None` for an empty log.
pub(crate) fn excerpt(log: &str, lines: usize) -> Option<String> {
    let all: Vec<&str> = log.lines().map(strip_timestamp).collect();
    let end = all
        .iter()
        .rposition(|line| line.starts_with("##[error]"))
        .map_or(all.len(), |i| i + 1);
    let mut kept: Vec<&str> = all[..end]
        .iter()
        .rev()
        .take(lines)
        .copied()
        .collect::<Vec<_>>();
    kept.reverse();
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    let mut text = kept.join("\n");
    if text.len() > EXCERPT_BYTES {
        let mut cut = text.len() - EXCERPT_BYTES;
        while !text.is_char_boundary(cut) {
            cut += 1;
        }
        text = text[cut..].to_owned();
    }
    (!text.trim().is_empty()).then_some(text)
}

/// `2026-02-08T15:30:00.1234567Z text` → `text`.
fn strip_timestamp(line: &str) -> &str {
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    match line.split_once(' ') {
        Some((stamp, rest))
            if stamp.len() >= 20
                && stamp.ends_with('Z')
                && stamp.as_bytes().get(4) == Some(&b'-')
                && stamp.as_bytes().get(10) == Some(&b'T') =>
        {
            rest
        }
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\u{feff}2026-02-08T15:20:01.0000000Z ##[group]Run npm run build\n\
        2026-02-08T15:20:01.1000000Z > web@1.4.2 build\n\
        2026-02-08T15:20:09.2000000Z Error: Cannot find module './config/production'\n\
        2026-02-08T15:20:09.3000000Z ##[error]Process completed with exit code 1.\n\
        2026-02-08T15:20:09.4000000Z ##[group]Post Run actions/checkout@v4\n\
        2026-02-08T15:20:09.5000000Z Cleaning up orphan processes\n";

    #[test]
    fn the_excerpt_ends_at_the_last_error_without_timestamps() {
        assert_eq!(
            excerpt(LOG, 40).as_deref(),
            Some(
                "##[group]Run npm run build\n> web@1.4.2 build\n\
                 Error: Cannot find module './config/production'\n\
                 ##[error]Process completed with exit code 1."
            )
        );
        assert_eq!(
            excerpt(LOG, 2).as_deref(),
            Some(
                "Error: Cannot find module './config/production'\n\
                 ##[error]Process completed with exit code 1."
            )
        );
    }

    #[test]
    fn without_an_error_the_excerpt_is_the_end() {
        assert_eq!(
            excerpt("a\nb\n2026-02-08T15:20:09.5000000Z c\n", 2).as_deref(),
            Some("b\nc")
        );
        assert_eq!(excerpt("", 5), None);
        assert_eq!(excerpt("\n  \n", 5), None);
    }

    #[test]
    fn a_long_excerpt_is_cut_on_a_char_boundary() {
        let log = "é".repeat(EXCERPT_BYTES);
        let cut = excerpt(&log, 1).unwrap_or_default();
        assert!(cut.len() <= EXCERPT_BYTES && !cut.is_empty());
    }
}
