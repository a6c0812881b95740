//! The deploy platform's actions: roll back to the last known good deployment, redeploy,
//! restart, and wait for the platform (or a third party) to recover.

use async_trait::async_trait;

use super::{Env, Executed, Family, Payload, Reconciled, not_applied, not_repeated};
use crate::clock::Timestamp;
use crate::error::Result;
use crate::model::{DeploymentId, IdempotencyKey, Risk};
use crate::rollback;

/// A deploy action's data, borrowed from its [`ActionKind`](crate::model::ActionKind).
pub(super) enum Deploy<'a> {
    Rollback { to: &'a DeploymentId },
    Redeploy { deployment: &'a DeploymentId },
    Restart { deployment: &'a DeploymentId },
    AwaitRecovery { provider: &'a str },
}

#[async_trait]
impl<'a> Family<'a> for Deploy<'a> {
    fn describe(&self) -> String {
        match self {
            Self::Rollback { to } => format!("roll back to deployment {to}"),
            Self::Redeploy { deployment } => format!("redeploy {deployment}"),
            Self::Restart { deployment } => format!("restart {deployment}"),
            Self::AwaitRecovery { provider } => format!("wait for {provider} to recover"),
        }
    }

    fn past_tense(&self) -> String {
        match self {
            Self::Rollback { to } => format!("Rolled back to deployment {to}"),
            Self::Redeploy { deployment } => format!("Redeployed {deployment}"),
            Self::Restart { deployment } => format!("Restarted {deployment}"),
            Self::AwaitRecovery { provider } => format!("Wait for {provider} to recover"),
        }
    }

    fn slug(&self) -> String {
        match self {
            Self::Rollback { to } => format!("rollback:{to}"),
            Self::Redeploy { deployment } => format!("redeploy:{deployment}"),
            Self::Restart { deployment } => format!("restart:{deployment}"),
            Self::AwaitRecovery { provider } => format!("await:{provider}"),
        }
    }

    fn default_risk(&self) -> Risk {
        match self {
            Self::Rollback { .. } | Self::Redeploy { .. } | Self::Restart { .. } => {
                Risk::Reversible
            }
            Self::AwaitRecovery { .. } => Risk::ReadOnly,
        }
    }

    fn changed_variable(&self) -> Option<&'a str> {
        match self {
            Self::Rollback { .. }
            | Self::Redeploy { .. }
            | Self::Restart { .. }
            | Self::AwaitRecovery { .. } => None,
        }
    }

    async fn execute(&self, env: Env<'_>, _: &IdempotencyKey, _: &Payload) -> Result<Executed> {
        match self {
            Self::Rollback { to } => {
                let report =
                    rollback::roll_back(env.ports.deploy()?, env.clock, to, env.wait).await?;
                Executed::detail(format!(
                    "rolled back to {to}; {} serving after {} s",
                    report.serving,
                    report.waited.as_secs()
                ))
            }
            Self::Redeploy { deployment } => {
                let new = env.ports.deploy()?.redeploy(deployment).await?;
                Executed::detail(format!("redeployed {deployment} as {new}"))
            }
            Self::Restart { deployment } => {
                env.ports.deploy()?.restart(deployment).await?;
                Executed::detail(format!("restarted {deployment}"))
            }
            Self::AwaitRecovery { provider } => Executed::detail(format!(
                "waiting for {provider} to recover; nothing changed"
            )),
        }
    }

    async fn reconcile(
        &self,
        env: Env<'_>,
        _: &IdempotencyKey,
        started_at: Timestamp,
    ) -> Result<Reconciled> {
        match self {
            Self::Rollback { to } => {
                let platform = env.ports.deploy()?;
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
                    return not_applied(format!(
                        "{to} is not serving and no deployment of its build is on its way"
                    ));
                };
                let latest = latest.id.clone();
                let clock = env.clock;
                match rollback::wait_until_serving(platform, clock, &target, clock.now(), env.wait)
                    .await
                {
                    Ok(report) => Ok(Reconciled::Succeeded(format!(
                        "found on resume: {latest} was deploying the build of {to}; {} serving \
                         after {} s more",
                        report.serving,
                        report.waited.as_secs()
                    ))),
                    Err(e) => Ok(Reconciled::Failed(
                        e.kind(),
                        format!(
                            "interrupted while {latest} was deploying the build of {to}, which \
                             then did not serve: {e}; not repeated"
                        ),
                    )),
                }
            }
            Self::Redeploy { deployment } => {
                let newer = env
                    .ports
                    .deploy()?
                    .list_deployments(5)
                    .await?
                    .into_iter()
                    .find(|d| d.created_at >= started_at);
                match newer {
                    Some(d) => Ok(Reconciled::Succeeded(format!(
                        "found on resume: {deployment} was redeployed as {}",
                        d.id
                    ))),
                    None => not_applied("no deployment was created after it started".into()),
                }
            }
            Self::Restart { deployment } => {
                let status = env.ports.deploy()?.service_status().await?;
                let active = status
                    .active_deployments
                    .iter()
                    .any(|d| &d.id == *deployment);
                not_repeated(if active {
                    format!("{deployment} is active, but whether it restarted cannot be told")
                } else {
                    format!("{deployment} is no longer active")
                })
            }
            Self::AwaitRecovery { provider } => Ok(Reconciled::Succeeded(format!(
                "waiting for {provider}; nothing to repeat"
            ))),
        }
    }
}
