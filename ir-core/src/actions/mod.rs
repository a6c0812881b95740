//! What each kind of action does: one module per action family, each holding everything about
//! its kinds — how they are described (now and in the past tense), their idempotency-key slug
//! and default risk, how they are executed through the ports, and how an interrupted one is
//! reconciled against provider state after a crash.
//!
//! - [`deploy`]: rollback, redeploy, restart, and waiting for a provider to recover;
//! - [`configuration`]: setting and restoring variables, turning a feature flag off;
//! - [`database`]: terminating idle connections;
//! - [`code_host`]: revert pull requests and issues.
//!
//! The kinds themselves are data, [`ActionKind`] in [`crate::model`], because the timeline
//! stores them; their behaviour is here, as the inherent methods [`ActionKind::describe`],
//! [`ActionKind::past_tense`], [`ActionKind::slug`], [`ActionKind::default_risk`] and
//! [`Action::new`], and the crate-internal `execute` and `reconcile` the runner calls. Each
//! family implements one private trait; one function (`family`) is the only table that names
//! every kind.
//!
//! A playbook's [`Remedy`](crate::playbook::Remedy) is what a mitigation will do, in the
//! playbook's terms: an [`ActionKind`] ready to run, or one whose inputs (a secret value, an
//! issue's body) are resolved when the runner proposes it. It slugs and describes as the kind
//! it becomes.

pub mod code_host;
pub mod configuration;
pub mod database;
pub mod deploy;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::clock::{Clock, Timestamp};
use crate::error::{ErrorKind, Result, configured};
use crate::model::{Action, ActionKind, IdempotencyKey, Risk};
use crate::ports::{
    CodeHost, DatabaseDiagnostics, DeployPlatform, FingerprintKey, NewIssue, VariableStore,
};
use crate::rollback::{RollbackWait, VariableChange};

pub use configuration::random_base64;
pub(crate) use configuration::via_pgbouncer;

/// The ports an action may use, each `None` when not configured.
#[derive(Clone, Copy, Default)]
pub(crate) struct Ports<'a> {
    pub deploy: Option<&'a dyn DeployPlatform>,
    pub variables: Option<&'a dyn VariableStore>,
    pub database: Option<&'a dyn DatabaseDiagnostics>,
    pub code: Option<&'a dyn CodeHost>,
}

impl<'a> Ports<'a> {
    fn deploy(&self) -> Result<&'a dyn DeployPlatform> {
        configured(self.deploy, "DeployPlatform")
    }
    fn variables(&self) -> Result<&'a dyn VariableStore> {
        configured(self.variables, "VariableStore")
    }
    fn database(&self) -> Result<&'a dyn DatabaseDiagnostics> {
        configured(self.database, "DatabaseDiagnostics")
    }
    fn code(&self) -> Result<&'a dyn CodeHost> {
        configured(self.code, "CodeHost")
    }
}

/// What executing and reconciling read besides the action: the ports, the clock, how long
/// a rollback is waited for, and the key of the fingerprints recorded for values.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub ports: Ports<'a>,
    pub clock: &'a dyn Clock,
    pub wait: &'a RollbackWait,
    pub fingerprints: &'a FingerprintKey,
}

/// What an action needs beyond its (serialisable, secret-free) kind, kept in memory only.
#[derive(Clone, Default)]
pub(crate) struct Payload {
    /// The value a `SetVariable` sets.
    pub value: Option<SecretString>,
    /// The issue a `CreateIssue` files.
    pub issue: Option<NewIssue>,
    /// Why, for a revert PR's body.
    pub reason: String,
}

/// What an executed action reports.
pub(crate) struct Executed {
    pub detail: String,
    pub change: Option<VariableChange>,
}

impl Executed {
    fn detail(detail: String) -> Result<Self> {
        Ok(Self {
            detail,
            change: None,
        })
    }
}

/// What re-reading provider state said about an action interrupted between intent and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reconciled {
    /// It took effect.
    Succeeded(String),
    /// Provider state shows it did not take effect, and nothing of it is under way: carrying
    /// it out again is safe.
    NotApplied(String),
    /// Whether it took effect cannot be told, or it failed; it is not repeated.
    Failed(ErrorKind, String),
}

/// An interrupted action whose effect provider state shows absent.
fn not_applied(what: String) -> Result<Reconciled> {
    Ok(Reconciled::NotApplied(what))
}

/// An interrupted action whose effect cannot be told.
fn not_repeated(what: String) -> Result<Reconciled> {
    Ok(Reconciled::Failed(
        ErrorKind::Conflict,
        format!("interrupted before its outcome was recorded; {what}; not repeated"),
    ))
}

/// Everything about the kinds of one family. Implemented by each family's borrowed view of an
/// [`ActionKind`].
#[async_trait]
trait Family<'a>: Send + Sync {
    /// A short verb phrase for people, e.g. `roll back to deployment d-41`.
    fn describe(&self) -> String;
    /// What was done, e.g. `Rolled back to deployment d-41`.
    fn past_tense(&self) -> String;
    /// The last part of a mitigation's idempotency key, e.g. `rollback:d-41`.
    fn slug(&self) -> String;
    /// The risk class of the kind.
    fn default_risk(&self) -> Risk;
    /// The variable whose value the action changes (and an undo restores), if any.
    fn changed_variable(&self) -> Option<&'a str>;
    /// Carries the action `key` out.
    async fn execute(
        &self,
        env: Env<'_>,
        key: &IdempotencyKey,
        payload: &Payload,
    ) -> Result<Executed>;
    /// Re-reads provider state to tell whether the action, started at `started_at`, took
    /// effect. Never calls a mutating method.
    async fn reconcile(
        &self,
        env: Env<'_>,
        key: &IdempotencyKey,
        started_at: Timestamp,
    ) -> Result<Reconciled>;
}

/// The family of `kind`: the one table naming every kind.
fn family(kind: &ActionKind) -> Box<dyn Family<'_> + '_> {
    use code_host::CodeHostAction;
    use configuration::Configuration;
    use database::Database;
    use deploy::Deploy;
    match kind {
        // The deployment replaced is kept for the record; the platform rolls back to `to`.
        ActionKind::Rollback { to, from: _ } => Box::new(Deploy::Rollback { to }),
        ActionKind::Redeploy { deployment } => Box::new(Deploy::Redeploy { deployment }),
        ActionKind::Restart { deployment } => Box::new(Deploy::Restart { deployment }),
        ActionKind::AwaitRecovery { provider } => Box::new(Deploy::AwaitRecovery { provider }),
        ActionKind::SetVariable {
            name,
            value_fingerprint,
        } => Box::new(Configuration::Set {
            name,
            value_fingerprint,
        }),
        ActionKind::RestoreVariable {
            name,
            value_fingerprint,
        } => Box::new(Configuration::Restore {
            name,
            value_fingerprint: value_fingerprint.as_deref(),
        }),
        ActionKind::DisableFeatureFlag { name } => Box::new(Configuration::DisableFlag { name }),
        ActionKind::TerminateIdleConnections {
            older_than,
            application_name,
            user,
        } => Box::new(Database::TerminateIdle {
            older_than: *older_than,
            application_name: application_name.as_deref(),
            user: user.as_deref(),
        }),
        ActionKind::OpenRevertPr { commit_sha, base } => {
            Box::new(CodeHostAction::OpenRevertPr { commit_sha, base })
        }
        ActionKind::CreateIssue { title } => Box::new(CodeHostAction::CreateIssue { title }),
    }
}

impl ActionKind {
    /// A short verb phrase for people, e.g. `roll back to deployment d-41`.
    pub fn describe(&self) -> String {
        family(self).describe()
    }

    /// What was done, in the past tense, e.g. `Rolled back to deployment d-41`.
    pub fn past_tense(&self) -> String {
        family(self).past_tense()
    }

    /// The last part of a mitigation's idempotency key (`playbook/cause/<slug>`), e.g.
    /// `rollback:d-41`: what it does, without what is resolved at proposal time (a value's
    /// fingerprint).
    pub fn slug(&self) -> String {
        family(self).slug()
    }

    /// The default risk class of the kind.
    pub fn default_risk(&self) -> Risk {
        family(self).default_risk()
    }

    /// The variable whose value the action changes, which undoing it restores; `None` for a
    /// kind that changes no variable (a restore changes one back, and is not undone).
    pub(crate) fn changed_variable(&self) -> Option<&str> {
        family(self).changed_variable()
    }
}

impl ActionKind {
    /// Whether executing the kind needs what only the proposing run held in memory (the value
    /// a variable is set to, the previous value it is restored to, an issue's body): a run
    /// that lost it proposes the mitigation again rather than executing this one.
    pub(crate) fn needs_payload(&self) -> bool {
        matches!(
            self,
            Self::SetVariable { .. } | Self::RestoreVariable { .. } | Self::CreateIssue { .. }
        )
    }
}

impl Action {
    /// An action with the kind's default risk.
    pub fn new(key: impl Into<String>, kind: ActionKind) -> Self {
        let risk = kind.default_risk();
        Self {
            key: IdempotencyKey::new(key),
            kind,
            risk,
        }
    }
}

/// What a dry run records for `action`.
pub(crate) fn dry_run_detail(action: &Action) -> String {
    format!(
        "dry run: would {} (risk: {:?})",
        action.kind.describe(),
        action.risk
    )
}

/// Carries out `action`.
pub(crate) async fn execute(env: Env<'_>, action: &Action, payload: &Payload) -> Result<Executed> {
    family(&action.kind)
        .execute(env, &action.key, payload)
        .await
}

/// Re-reads provider state to tell whether `action`, started at `started_at`, took effect.
/// Never calls a mutating method. A rollback whose new deployment of the target's build is
/// still on its way is waited for (as the interrupted run would have), for up to
/// `env.wait.timeout`.
///
/// # Errors
/// The providers' errors when their state cannot be read: the action's outcome is then
/// unknown, and the caller leaves it unresolved (a temporary error) or records it as failed.
pub(crate) async fn reconcile(
    env: Env<'_>,
    action: &Action,
    started_at: Timestamp,
) -> Result<Reconciled> {
    family(&action.kind)
        .reconcile(env, &action.key, started_at)
        .await
}

/// The first seven characters of a commit, as people quote it.
///
/// ```
/// assert_eq!(ir_core::actions::short_sha("abc1234def"), "abc1234");
/// ```
pub fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(kind: ActionKind) -> Action {
        Action::new("k", kind)
    }

    fn t0() -> Timestamp {
        "2026-02-08T15:30:00Z".parse().unwrap()
    }

    /// Reconciling reads provider state and never calls a mutating method (the mocks have no
    /// expectation for any).
    #[tokio::test]
    async fn reconciling_never_repeats_and_says_why() {
        use crate::model::{Deployment, DeploymentId, DeploymentStatus, ServiceStatus};
        use crate::ports::{MockCodeHost, MockDeployPlatform};
        let mut deploy = MockDeployPlatform::new();
        deploy.expect_service_status().returning(|| {
            Ok(ServiceStatus::new("web").with_active(vec![Deployment::new(
                "d7",
                DeploymentStatus::Active,
                "2026-02-08T10:00:00Z".parse().unwrap(),
            )]))
        });
        deploy.expect_list_deployments().returning(|_| {
            Ok(vec![Deployment::new(
                "d8",
                DeploymentStatus::Active,
                "2026-02-08T15:31:00Z".parse().unwrap(),
            )])
        });
        let mut code = MockCodeHost::new();
        code.expect_find_filed()
            .returning(|_| Err(crate::error::Error::unsupported("no lookup")));
        let d7 = DeploymentId::new("d7");

        let clock = crate::clock::ManualClock::at(t0());
        let wait = RollbackWait::default();
        let env = Env {
            ports: Ports {
                deploy: Some(&deploy),
                code: Some(&code),
                ..Ports::default()
            },
            clock: &clock,
            wait: &wait,
            fingerprints: &FingerprintKey::from_secret(&SecretString::from("k")),
        };
        let restart = reconcile(
            env,
            &action(ActionKind::Restart {
                deployment: d7.clone(),
            }),
            t0(),
        )
        .await
        .unwrap();
        assert_eq!(
            restart,
            Reconciled::Failed(
                ErrorKind::Conflict,
                "interrupted before its outcome was recorded; d7 is active, but whether it \
                 restarted cannot be told; not repeated"
                    .into()
            )
        );
        let redeploy = reconcile(env, &action(ActionKind::Redeploy { deployment: d7 }), t0())
            .await
            .unwrap();
        assert_eq!(
            redeploy,
            Reconciled::Succeeded("found on resume: d7 was redeployed as d8".into())
        );
        let pr = reconcile(
            env,
            &action(ActionKind::OpenRevertPr {
                commit_sha: "abc".into(),
                base: "main".into(),
            }),
            t0(),
        )
        .await
        .unwrap();
        assert!(
            matches!(pr, Reconciled::Failed(ErrorKind::Conflict, ref m) if m.contains("check before filing again"))
        );
    }
}
