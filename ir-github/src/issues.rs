//! Issues: filing one with labels and assignees (postmortem action items), and finding what
//! `ir` filed before by the idempotency key hidden in its body.

use ir_core::model::IdempotencyKey;
use ir_core::ports::{FiledItem, FiledKind, IssueRef, NewIssue, filed_marker};
use ir_core::{ErrorKind, Result};
use ir_http::Request;
use serde::Deserialize;

use crate::client::GithubClient;

/// An issue (or pull request) as the issues and search endpoints list it, the fields read.
#[derive(Debug, Deserialize)]
struct WireIssue {
    number: u64,
    html_url: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    body: Option<String>,
    /// Present only on pull requests.
    #[serde(default)]
    pull_request: Option<serde_json::Value>,
}

impl WireIssue {
    fn into_filed(self) -> FiledItem {
        let kind = if self.pull_request.is_some() {
            FiledKind::PullRequest
        } else {
            FiledKind::Issue
        };
        FiledItem::new(
            kind,
            self.number,
            self.html_url,
            self.state.unwrap_or_default(),
        )
    }
}

/// `GET /search/issues`, the fields read.
#[derive(Debug, Deserialize)]
struct SearchPage {
    items: Vec<WireIssue>,
}

impl GithubClient {
    /// `POST /repos/{owner}/{repo}/issues` with title, body, labels and assignees. Not retried
    /// after a timeout (a second call files a second issue).
    pub(crate) async fn file_issue(&self, issue: &NewIssue) -> Result<IssueRef> {
        let body = serde_json::json!({
            "title": issue.title,
            "body": issue.body,
            "labels": issue.labels,
            "assignees": issue.assignees,
        });
        let request = Request::post(self.repo_url(&["issues"], &[]))
            .with_operation("create_issue")
            .with_json(&body)?;
        let response = match self.send(request).await {
            Ok(response) => response,
            Err(e) if e.status() == Some(410) => {
                return Err(ir_core::Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "issues are disabled on {}/{} (GitHub answered 410): enable them in the repository settings or file the issue elsewhere",
                        self.owner, self.repo
                    ),
                )
                .with_provider(crate::client::PROVIDER)
                .with_operation("create_issue")
                .with_status(410));
            }
            Err(e) => return Err(e),
        };
        let created: WireIssue = response.json()?;
        Ok(IssueRef {
            number: created.number,
            url: created.html_url,
        })
    }

    /// The issue or pull request whose body carries [`filed_marker`]`(key)`.
    ///
    /// Looks at the 100 newest issues and pull requests of the repository first (the listing
    /// is up to date at once), then asks the search API for issues and for pull requests
    /// carrying the marker (search finds older items but indexes new ones with a delay). Each
    /// candidate's body is checked for the exact marker.
    ///
    /// # Errors
    /// The error table; `RateLimited` when the search API's own limit (30 a minute) is hit.
    pub async fn find_filed(&self, key: &IdempotencyKey) -> Result<Option<FiledItem>> {
        let marker = filed_marker(key);
        let carries = |item: &WireIssue| item.body.as_deref().is_some_and(|b| b.contains(&marker));
        let url = self.repo_url(
            &["issues"],
            &[
                ("state", "all".to_owned()),
                ("sort", "created".to_owned()),
                ("direction", "desc".to_owned()),
                ("per_page", "100".to_owned()),
            ],
        );
        let recent: Vec<WireIssue> = self.get_json("list_repository_issues", url).await?;
        if let Some(found) = recent.into_iter().find(|i| carries(i)) {
            return Ok(Some(found.into_filed()));
        }
        let needle = marker
            .trim_start_matches("<!-- ")
            .trim_end_matches(" -->")
            .to_owned();
        for kind in ["is:issue", "is:pull-request"] {
            let q = format!(
                "repo:{}/{} {kind} in:body \"{needle}\"",
                self.owner, self.repo
            );
            let url = self.api_url(
                &["search", "issues"],
                &[("q", q), ("per_page", "20".to_owned())],
            );
            let page: SearchPage = self
                .get_json("search_issues_and_pull_requests", url)
                .await?;
            if let Some(found) = page.items.into_iter().find(|i| carries(i)) {
                return Ok(Some(found.into_filed()));
            }
        }
        Ok(None)
    }

    /// Files `issue` for the action `key` unless it was filed before: the body gets
    /// [`filed_marker`]`(key)` appended, and an issue already carrying it is returned instead
    /// of filing a second one (what a runner resuming after a crash needs).
    ///
    /// # Errors
    /// As [`find_filed`](Self::find_filed) and [`CodeHost::create_issue`](ir_core::ports::CodeHost::create_issue).
    pub async fn create_issue_once(
        &self,
        key: &IdempotencyKey,
        issue: &NewIssue,
    ) -> Result<IssueRef> {
        if let Some(found) = self.find_filed(key).await? {
            return Ok(IssueRef {
                number: found.number,
                url: found.url,
            });
        }
        let mut marked = issue.clone();
        marked.body = with_marker(&issue.body, key);
        self.file_issue(&marked).await
    }
}

/// `body` with the key's marker on a line of its own at the end (once).
pub(crate) fn with_marker(body: &str, key: &IdempotencyKey) -> String {
    let marker = filed_marker(key);
    if body.contains(&marker) {
        body.to_owned()
    } else if body.is_empty() {
        marker
    } else {
        format!("{}\n\n{marker}", body.trim_end())
    }
}
