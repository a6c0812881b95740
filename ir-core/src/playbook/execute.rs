//! Carrying out an approved action through the ports, and finding out after a crash whether an
//! action whose intent was recorded took effect.

use secrecy::{ExposeSecret, SecretString};

use super::probe::{Providers, missing};
use crate::clock::{Clock, Timestamp};
use crate::error::{Error, ErrorKind, Result};
use crate::model::DsnRoute;
use crate::model::{Action, ActionKind};
use crate::ports::{
    NewIssue, PGBOUNCER_PORT, SetOptions, TerminateRequest, check_dsn, fingerprint,
};
use crate::rollback::{self, RollbackWait, VariableChange};

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

/// What a dry run records for `action`.
pub(crate) fn dry_run_detail(action: &Action) -> String {
    format!(
        "dry run: would {} (risk: {:?})",
        action.kind.describe(),
        action.risk
    )
}

/// Carries out `action`.
pub(crate) async fn execute(
    providers: &Providers,
    clock: &dyn Clock,
    action: &Action,
    payload: &Payload,
    wait: &RollbackWait,
) -> Result<Executed> {
    let done = |detail: String| {
        Ok(Executed {
            detail,
            change: None,
        })
    };
    let deploy = || {
        providers
            .deploy
            .as_deref()
            .ok_or_else(|| missing("DeployPlatform"))
    };
    let variables = || {
        providers
            .variables
            .as_deref()
            .ok_or_else(|| missing("VariableStore"))
    };
    match &action.kind {
        ActionKind::Rollback { to, .. } => {
            let report = rollback::roll_back(deploy()?, clock, to, wait).await?;
            done(format!(
                "rolled back to {to}; {} serving after {} s",
                report.serving,
                report.waited.as_secs()
            ))
        }
        ActionKind::Redeploy { deployment } => {
            let new = deploy()?.redeploy(deployment).await?;
            done(format!("redeployed {deployment} as {new}"))
        }
        ActionKind::Restart { deployment } => {
            deploy()?.restart(deployment).await?;
            done(format!("restarted {deployment}"))
        }
        ActionKind::SetVariable {
            name,
            value_fingerprint,
        } => {
            let value = payload.value.clone().ok_or_else(|| {
                Error::new(
                    ErrorKind::Conflict,
                    format!("the value for {name} is no longer in memory; propose a new action"),
                )
            })?;
            let change = rollback::set_variable(variables()?, name, value).await?;
            Ok(Executed {
                detail: format!("set {name} ({value_fingerprint}); the service restarts"),
                change: Some(change),
            })
        }
        ActionKind::RestoreVariable {
            name,
            value_fingerprint,
        } => {
            let store = variables()?;
            match (&payload.value, value_fingerprint) {
                (Some(v), Some(_)) => store.set(name, v.clone(), SetOptions::default()).await?,
                (None, None) => store.delete(name).await?,
                _ => {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!("the previous value of {name} is no longer in memory"),
                    ));
                }
            }
            done(format!(
                "restored {name} to {}",
                value_fingerprint.as_deref().unwrap_or("unset")
            ))
        }
        ActionKind::DisableFeatureFlag { name } => {
            let change =
                rollback::set_variable(variables()?, name, SecretString::from("false")).await?;
            Ok(Executed {
                detail: format!("set {name}=false; the service restarts"),
                change: Some(change),
            })
        }
        ActionKind::TerminateIdleConnections {
            older_than,
            application_name,
            user,
        } => {
            let db = providers
                .database
                .as_deref()
                .ok_or_else(|| missing("DatabaseDiagnostics"))?;
            let report = db
                .terminate_idle(&TerminateRequest {
                    older_than: *older_than,
                    application_name: application_name.clone(),
                    user: user.clone(),
                    dry_run: false,
                })
                .await?;
            let pids: Vec<String> = report
                .terminated
                .iter()
                .map(|b| b.pid.to_string())
                .collect();
            done(format!(
                "terminated {} idle connection(s) [{}], left {} alone",
                report.terminated.len(),
                pids.join(", "),
                report.refused.len()
            ))
        }
        ActionKind::OpenRevertPr { commit_sha, base } => {
            let code = providers
                .code
                .as_deref()
                .ok_or_else(|| missing("CodeHost"))?;
            let pr = rollback::open_revert(code, commit_sha, base, &payload.reason).await?;
            done(format!(
                "opened revert pull request #{} {}",
                pr.number, pr.url
            ))
        }
        ActionKind::CreateIssue { title } => {
            let code = providers
                .code
                .as_deref()
                .ok_or_else(|| missing("CodeHost"))?;
            let issue = payload.issue.clone().unwrap_or_else(|| NewIssue {
                title: title.clone(),
                body: payload.reason.clone(),
                labels: vec!["incident".into()],
                assignees: Vec::new(),
            });
            let created = code.create_issue(&issue).await?;
            done(format!("filed issue #{} {}", created.number, created.url))
        }
        ActionKind::AwaitRecovery { provider } => done(format!(
            "waiting for {provider} to recover; nothing changed"
        )),
    }
}

/// A new secret: `bytes` bytes from the operating system's CSPRNG, base64 encoded — the
/// runbook's `openssl rand -base64 32`. The buffer is zeroed after encoding.
///
/// ```
/// use secrecy::ExposeSecret;
/// let secret = ir_core::playbook::random_base64(32)?;
/// assert_eq!(secret.expose_secret().len(), 44);
/// assert_ne!(secret.expose_secret(), ir_core::playbook::random_base64(32)?.expose_secret());
/// # Ok::<(), ir_core::Error>(())
/// ```
///
/// # Errors
/// `Unavailable` when the operating system's generator fails.
pub fn random_base64(bytes: usize) -> Result<SecretString> {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("the operating system's random number generator failed: {e}"),
        )
    })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&buf);
    buf.iter_mut().for_each(|b| *b = 0);
    Ok(SecretString::from(encoded))
}

/// Rewrites a PostgreSQL URL to go through PgBouncer's port. The password never appears in an
/// error.
pub(crate) fn via_pgbouncer(current: &SecretString) -> Result<SecretString> {
    let check = check_dsn(current)?;
    if check.route == DsnRoute::PgBouncer {
        return Err(Error::new(
            ErrorKind::Conflict,
            "DATABASE_URL already uses PgBouncer's port 6432",
        ));
    }
    let mut url = url::Url::parse(current.expose_secret().trim())
        .map_err(|_| Error::invalid_input("DATABASE_URL is not a valid URL"))?;
    url.set_port(Some(PGBOUNCER_PORT))
        .map_err(|()| Error::invalid_input("DATABASE_URL cannot carry a port"))?;
    Ok(SecretString::from(String::from(url)))
}

/// What re-reading provider state said about an action interrupted between intent and outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reconciled {
    /// It took effect.
    Succeeded(String),
    /// It did not, or it cannot be told; it is not repeated.
    Failed(ErrorKind, String),
}

/// Re-reads provider state to tell whether `action`, started at `started_at`, took effect.
/// Never calls a mutating method. A rollback whose new deployment of the target's build is
/// still on its way is waited for (as the interrupted run would have), for up to
/// `wait.timeout`.
///
/// # Errors
/// The providers' errors when their state cannot be read: the action's outcome is then
/// unknown, and the caller leaves it unresolved (a temporary error) or records it as failed.
pub(crate) async fn reconcile(
    providers: &Providers,
    clock: &dyn Clock,
    action: &Action,
    started_at: Timestamp,
    wait: &RollbackWait,
) -> Result<Reconciled> {
    let not_repeated = |what: String| {
        Ok(Reconciled::Failed(
            ErrorKind::Conflict,
            format!("interrupted before its outcome was recorded; {what}; not repeated"),
        ))
    };
    let deploy = || {
        providers
            .deploy
            .as_deref()
            .ok_or_else(|| missing("DeployPlatform"))
    };
    let variables = || {
        providers
            .variables
            .as_deref()
            .ok_or_else(|| missing("VariableStore"))
    };
    match &action.kind {
        ActionKind::Rollback { to, .. } => {
            let platform = deploy()?;
            let target = platform.deployment(to).await?;
            let status = platform.service_status().await?;
            if let Some(d) = rollback::serving_target(&status, &target) {
                return Ok(Reconciled::Succeeded(format!(
                    "found on resume: {} is serving the build of {to}",
                    d.id
                )));
            }
            let on_its_way = status.latest_deployment.as_ref().filter(|latest| {
                !latest.status.is_terminal()
                    && (latest.id == target.id
                        || matches!((&latest.commit_sha, &target.commit_sha), (Some(a), Some(b)) if a == b))
            });
            let Some(latest) = on_its_way else {
                return not_repeated(format!("{to} is not serving"));
            };
            let latest = latest.id.clone();
            match rollback::wait_until_serving(platform, clock, &target, clock.now(), wait).await {
                Ok(report) => Ok(Reconciled::Succeeded(format!(
                    "found on resume: {latest} was deploying the build of {to}; {} serving \
                     after {} s more",
                    report.serving,
                    report.waited.as_secs()
                ))),
                Err(e) => Ok(Reconciled::Failed(
                    e.kind(),
                    format!(
                        "interrupted while {latest} was deploying the build of {to}, which then \
                         did not serve: {e}; not repeated"
                    ),
                )),
            }
        }
        ActionKind::Redeploy { deployment } => {
            let newer = deploy()?
                .list_deployments(5)
                .await?
                .into_iter()
                .find(|d| d.created_at >= started_at);
            match newer {
                Some(d) => Ok(Reconciled::Succeeded(format!(
                    "found on resume: {deployment} was redeployed as {}",
                    d.id
                ))),
                None => not_repeated("no deployment was created after it started".into()),
            }
        }
        ActionKind::Restart { deployment } => {
            let status = deploy()?.service_status().await?;
            let active = status
                .active_deployments
                .iter()
                .any(|d| &d.id == deployment);
            not_repeated(if active {
                format!("{deployment} is active, but whether it restarted cannot be told")
            } else {
                format!("{deployment} is no longer active")
            })
        }
        ActionKind::SetVariable {
            name,
            value_fingerprint,
        } => match variables()?.get(name).await? {
            Some(v) if &fingerprint(&v) == value_fingerprint => Ok(Reconciled::Succeeded(format!(
                "found on resume: {name} holds the new value ({value_fingerprint})"
            ))),
            Some(_) => not_repeated(format!("{name} holds a different value")),
            None => not_repeated(format!("{name} is still unset")),
        },
        ActionKind::RestoreVariable {
            name,
            value_fingerprint,
        } => {
            let now = variables()?.get(name).await?;
            let restored = match (&now, value_fingerprint) {
                (Some(v), Some(fp)) => &fingerprint(v) == fp,
                (None, None) => true,
                _ => false,
            };
            if restored {
                Ok(Reconciled::Succeeded(format!(
                    "found on resume: {name} is restored"
                )))
            } else {
                not_repeated(format!("{name} is not restored"))
            }
        }
        ActionKind::DisableFeatureFlag { name } => match variables()?.get(name).await? {
            Some(v) if v.expose_secret().eq_ignore_ascii_case("false") => Ok(
                Reconciled::Succeeded(format!("found on resume: {name}=false")),
            ),
            _ => not_repeated(format!("{name} is not false")),
        },
        ActionKind::TerminateIdleConnections { older_than, .. } => {
            let db = providers
                .database
                .as_deref()
                .ok_or_else(|| missing("DatabaseDiagnostics"))?;
            let status = db.connection_status().await?;
            match status.oldest_idle {
                Some(age) if age > *older_than => {
                    not_repeated(format!("connections idle for {} s remain", age.as_secs()))
                }
                _ => Ok(Reconciled::Succeeded(format!(
                    "found on resume: no connection idle for more than {} minutes",
                    older_than.as_secs() / 60
                ))),
            }
        }
        ActionKind::OpenRevertPr { .. } | ActionKind::CreateIssue { .. } => not_repeated(
            "the code host cannot be asked whether it was created; check before filing again"
                .into(),
        ),
        ActionKind::AwaitRecovery { provider } => Ok(Reconciled::Succeeded(format!(
            "waiting for {provider}; nothing to repeat"
        ))),
    }
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
        use std::sync::Arc;
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
        let providers = Providers::new()
            .with_deploy(Arc::new(deploy))
            .with_code(Arc::new(MockCodeHost::new()));
        let d7 = DeploymentId::new("d7");

        let clock = crate::clock::ManualClock::at(t0());
        let wait = RollbackWait::default();
        let restart = reconcile(
            &providers,
            &clock,
            &action(ActionKind::Restart {
                deployment: d7.clone(),
            }),
            t0(),
            &wait,
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
        let redeploy = reconcile(
            &providers,
            &clock,
            &action(ActionKind::Redeploy { deployment: d7 }),
            t0(),
            &wait,
        )
        .await
        .unwrap();
        assert_eq!(
            redeploy,
            Reconciled::Succeeded("found on resume: d7 was redeployed as d8".into())
        );
        let pr = reconcile(
            &providers,
            &clock,
            &action(ActionKind::OpenRevertPr {
                commit_sha: "abc".into(),
                base: "main".into(),
            }),
            t0(),
            &wait,
        )
        .await
        .unwrap();
        assert!(
            matches!(pr, Reconciled::Failed(ErrorKind::Conflict, ref m) if m.contains("check before filing again"))
        );
    }

    #[test]
    fn thirty_two_random_bytes_base64() {
        let a = random_base64(32).unwrap();
        let b = random_base64(32).unwrap();
        assert_eq!(a.expose_secret().len(), 44);
        assert_ne!(a.expose_secret(), b.expose_secret());
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.expose_secret())
            .unwrap();
        assert_eq!(raw.len(), 32);
    }

    #[test]
    fn pgbouncer_rewrite_keeps_everything_but_the_port() {
        let new = via_pgbouncer(&SecretString::from(
            "postgresql://app:s3cret@db.internal:5432/web?sslmode=require",
        ))
        .unwrap();
        assert_eq!(
            new.expose_secret(),
            "postgresql://app:s3cret@db.internal:6432/web?sslmode=require"
        );
        let err = via_pgbouncer(&SecretString::from("postgres://a:s3cret@h:6432/d")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        let err = via_pgbouncer(&SecretString::from("mysql://a:s3cret@h/d")).unwrap_err();
        assert!(!err.to_string().contains("s3cret"));
    }
}
