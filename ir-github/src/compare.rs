//! Comparing two commits: how they relate and the files that differ.

use ir_core::Result;
use ir_core::ports::{ChangedFile, CompareStatus, Comparison, FileChange};
use serde::Deserialize;

use crate::client::GithubClient;

/// `GET /repos/{owner}/{repo}/compare/{base}...{head}`, the fields read.
#[derive(Debug, Deserialize)]
struct WireComparison {
    status: String,
    ahead_by: u64,
    behind_by: u64,
    #[serde(default)]
    files: Vec<WireFile>,
    html_url: String,
}

#[derive(Debug, Deserialize)]
struct WireFile {
    filename: String,
    status: String,
    #[serde(default)]
    previous_filename: Option<String>,
    #[serde(default)]
    additions: u64,
    #[serde(default)]
    deletions: u64,
}

impl GithubClient {
    /// `base...head` compared (GitHub lists at most 300 files, on the first page).
    pub(crate) async fn compare_commits(&self, base: &str, head: &str) -> Result<Comparison> {
        let basehead = format!("{base}...{head}");
        let url = self.repo_url(&["compare", &basehead], &[]);
        let wire: WireComparison = self.get_json("compare_commits", url).await?;
        let files = wire
            .files
            .into_iter()
            .map(|f| {
                let mut file = ChangedFile::new(f.filename, FileChange::parse(&f.status));
                file.previous_filename = f.previous_filename;
                file.additions = f.additions;
                file.deletions = f.deletions;
                file
            })
            .collect();
        let mut comparison = Comparison::new(
            CompareStatus::parse(&wire.status),
            wire.ahead_by,
            wire.behind_by,
            files,
        );
        comparison.url = wire.html_url;
        Ok(comparison)
    }
}
