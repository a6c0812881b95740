//! Code-host actions: open a pull request reverting a commit, file an issue.

use async_trait::async_trait;

use super::{Env, Executed, Family, Payload, Reconciled, not_repeated, short_sha};
use crate::clock::Timestamp;
use crate::error::{ErrorKind, Result};
use crate::model::{IdempotencyKey, Risk};
use crate::ports::{FiledKind, NewIssue, filed_marker};
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

    async fn execute(
        &self,
        env: Env<'_>,
        key: &IdempotencyKey,
        payload: &Payload,
    ) -> Result<Executed> {
        let code = env.ports.code()?;
        match self {
            Self::OpenRevertPr { commit_sha, base } => {
                let mut request = rollback::revert_request(commit_sha, base, &payload.reason);
                request.body = with_marker(&request.body, key);
                let pr = code.open_revert_pr(&request).await?;
                Executed::detail(format!(
                    "opened revert pull request #{} {}",
                    pr.number, pr.url
                ))
            }
            Self::CreateIssue { title } => {
                let mut issue = payload.issue.clone().unwrap_or_else(|| NewIssue {
                    title: (*title).to_owned(),
                    body: payload.reason.clone(),
                    labels: vec!["incident".into()],
                    assignees: Vec::new(),
                });
                issue.body = with_marker(&issue.body, key);
                let created = code.create_issue(&issue).await?;
                Executed::detail(format!("filed issue #{} {}", created.number, created.url))
            }
        }
    }

    /// Asks the code host for what carries the action's marker: found, it was filed before
    /// the interruption and is not filed again. A host that cannot look it up, or finds
    /// nothing (a search index may lag behind), gets the action marked failed, not repeated.
    async fn reconcile(
        &self,
        env: Env<'_>,
        key: &IdempotencyKey,
        _: Timestamp,
    ) -> Result<Reconciled> {
        let cannot_tell = || {
            not_repeated(
                "the code host cannot be asked whether it was created; check before filing again"
                    .into(),
            )
        };
        let Ok(code) = env.ports.code() else {
            return cannot_tell();
        };
        let found = match code.find_filed(key).await {
            Ok(found) => found,
            Err(e) if e.kind() == ErrorKind::Unsupported => return cannot_tell(),
            Err(e) => return Err(e),
        };
        let Some(item) = found else {
            return not_repeated(format!(
                "nothing on the code host carries its marker ({}), so it was most likely not \
                 filed; check before filing again",
                filed_marker(key)
            ));
        };
        let what = match (self, item.kind) {
            (Self::OpenRevertPr { .. }, FiledKind::PullRequest) => "revert pull request",
            (Self::CreateIssue { .. }, FiledKind::Issue) => "issue",
            (_, kind) => {
                return not_repeated(format!(
                    "the code host holds {} #{} carrying its marker, not what the action files",
                    match kind {
                        FiledKind::Issue => "issue",
                        FiledKind::PullRequest => "pull request",
                    },
                    item.number
                ));
            }
        };
        Ok(Reconciled::Succeeded(format!(
            "found on resume: {what} #{} {} ({}) was filed before the interruption; not filed again",
            item.number, item.url, item.state
        )))
    }
}

/// `body` with the marker of the action `key` on a line of its own at the end, once.
fn with_marker(body: &str, key: &IdempotencyKey) -> String {
    let marker = filed_marker(key);
    if body.contains(&marker) {
        body.to_owned()
    } else if body.trim().is_empty() {
        marker
    } else {
        format!("{}\n\n{marker}", body.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Ports, reconcile};
    use crate::clock::{Clock, ManualClock};
    use crate::error::Error;
    use crate::model::{Action, ActionKind};
    use crate::ports::{FiledItem, MockCodeHost};
    use crate::rollback::RollbackWait;

    fn revert() -> Action {
        Action::new(
            "site_down/crash/revert:abc",
            ActionKind::OpenRevertPr {
                commit_sha: "abc1234".into(),
                base: "main".into(),
            },
        )
    }

    async fn reconciled(found: Result<Option<FiledItem>>) -> Result<Reconciled> {
        let mut code = MockCodeHost::new();
        let want = revert().key;
        code.expect_find_filed()
            .times(1)
            .withf(move |k| *k == want)
            .return_once(move |_| found);
        let clock = ManualClock::at("2026-02-08T15:30:00Z".parse().unwrap());
        let wait = RollbackWait::default();
        let env = Env {
            ports: Ports {
                code: Some(&code),
                ..Ports::default()
            },
            clock: &clock,
            wait: &wait,
            fingerprints: &crate::ports::FingerprintKey::from_secret(&"k".to_owned().into()),
        };
        reconcile(env, &revert(), clock.now()).await
    }

    #[tokio::test]
    async fn what_was_filed_before_is_found_and_not_filed_again() {
        let pr = FiledItem::new(FiledKind::PullRequest, 420, "https://x/pull/420", "open");
        let Reconciled::Succeeded(detail) = reconciled(Ok(Some(pr))).await.unwrap() else {
            panic!("not found");
        };
        assert!(
            detail.contains("revert pull request #420 https://x/pull/420"),
            "{detail}"
        );
        // An issue carrying the key is not the revert pull request.
        let issue = FiledItem::new(FiledKind::Issue, 7, "https://x/issues/7", "open");
        assert!(matches!(
            reconciled(Ok(Some(issue))).await.unwrap(),
            Reconciled::Failed(ErrorKind::Conflict, _)
        ));
    }

    #[tokio::test]
    async fn nothing_found_unsupported_or_a_temporary_error_is_never_filed_again() {
        let Reconciled::Failed(ErrorKind::Conflict, why) = reconciled(Ok(None)).await.unwrap()
        else {
            panic!("succeeded");
        };
        assert!(
            why.contains("<!-- ir:key=site_down/crash/revert:abc -->"),
            "{why}"
        );
        let Reconciled::Failed(ErrorKind::Conflict, why) =
            reconciled(Err(Error::unsupported("no lookup")))
                .await
                .unwrap()
        else {
            panic!("succeeded");
        };
        assert!(why.contains("check before filing again"), "{why}");
        let err = reconciled(Err(Error::new(ErrorKind::Unavailable, "down")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn the_marker_goes_on_a_line_of_its_own_once() {
        let key = IdempotencyKey::new("k");
        assert_eq!(with_marker("body\n", &key), "body\n\n<!-- ir:key=k -->");
        assert_eq!(
            with_marker(&with_marker("body", &key), &key),
            "body\n\n<!-- ir:key=k -->"
        );
        assert_eq!(with_marker("", &key), "<!-- ir:key=k -->");
    }
}
