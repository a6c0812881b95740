//! Code-host actions: open a pull request reverting a commit, file an issue.

use async_trait::async_trait;

use super::{Env, Executed, Family, Payload, Reconciled, not_repeated, short_sha};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::Risk;
use crate::ports::NewIssue;
use crate::rollback;

/// A code-host action's data, borrowed from its [`ActionKind`](crate::model::ActionKind).
pub(super) enum CodeHostAction<'a> {
    OpenRevertPr { commit_sha: &'a str, base: &'a str },
    CreateIssue { title: &'a str },
}

#[async_trait]
impl<'a> Family<'a> for CodeHostAction<'a> {
    fn describe(&self) -> String {
        match self {
            Self::OpenRevertPr { commit_sha, base } => format!(
                "open a pull request reverting {} into {base}",
                short_sha(commit_sha)
            ),
            Self::CreateIssue { title } => format!("create issue \"{title}\""),
        }
    }

    fn past_tense(&self) -> String {
        match self {
            Self::OpenRevertPr { commit_sha, base } => format!(
                "Opened a pull request reverting {} into {base}",
                short_sha(commit_sha)
            ),
            Self::CreateIssue { title } => format!("Created issue \"{title}\""),
        }
    }

    fn slug(&self) -> String {
        match self {
            Self::OpenRevertPr { commit_sha, .. } => {
                format!("revert:{}", commit_sha.get(..12).unwrap_or(commit_sha))
            }
            Self::CreateIssue { .. } => "issue".into(),
        }
    }

    fn default_risk(&self) -> Risk {
        match self {
            Self::OpenRevertPr { .. } => Risk::Reversible,
            Self::CreateIssue { .. } => Risk::ReadOnly,
        }
    }

    fn changed_variable(&self) -> Option<&'a str> {
        match self {
            Self::OpenRevertPr { .. } | Self::CreateIssue { .. } => None,
        }
    }

    async fn execute(&self, env: Env<'_>, payload: &Payload) -> Result<Executed> {
        let code = env.ports.code()?;
        match self {
            Self::OpenRevertPr { commit_sha, base } => {
                let pr = rollback::open_revert(code, commit_sha, base, &payload.reason).await?;
                Executed::detail(format!(
                    "opened revert pull request #{} {}",
                    pr.number, pr.url
                ))
            }
            Self::CreateIssue { title } => {
                let issue = payload.issue.clone().unwrap_or_else(|| NewIssue {
                    title: (*title).to_owned(),
                    body: payload.reason.clone(),
                    labels: vec!["incident".into()],
                    assignees: Vec::new(),
                });
                let created = code.create_issue(&issue).await?;
                Executed::detail(format!("filed issue #{} {}", created.number, created.url))
            }
        }
    }

    async fn reconcile(&self, _: Env<'_>, _: Timestamp) -> Result<Reconciled> {
        match self {
            Self::OpenRevertPr { .. } | Self::CreateIssue { .. } => not_repeated(
                "the code host cannot be asked whether it was created; check before filing again"
                    .into(),
            ),
        }
    }
}
