//! Database actions: terminate connections idle for longer than a threshold (never an active
//! one; the port refuses those).

use std::time::Duration;

use async_trait::async_trait;

use super::{Env, Executed, Family, Payload, Reconciled, not_applied};
use crate::clock::Timestamp;
use crate::comms::format::duration_long;
use crate::error::Result;
use crate::model::{IdempotencyKey, Risk};
use crate::ports::TerminateRequest;

/// A database action's data, borrowed from its [`ActionKind`](crate::model::ActionKind).
pub(super) enum Database<'a> {
    TerminateIdle {
        older_than: Duration,
        application_name: Option<&'a str>,
        user: Option<&'a str>,
    },
}

#[async_trait]
impl<'a> Family<'a> for Database<'a> {
    fn describe(&self) -> String {
        match self {
            Self::TerminateIdle { older_than, .. } => format!(
                "terminate database connections idle for more than {}",
                duration_long(*older_than)
            ),
        }
    }

    fn past_tense(&self) -> String {
        match self {
            Self::TerminateIdle { older_than, .. } => format!(
                "Terminated database connections idle for more than {}",
                duration_long(*older_than)
            ),
        }
    }

    fn slug(&self) -> String {
        match self {
            Self::TerminateIdle { older_than, .. } => {
                format!("terminate-idle:{}m", older_than.as_secs() / 60)
            }
        }
    }

    fn default_risk(&self) -> Risk {
        match self {
            Self::TerminateIdle { .. } => Risk::Destructive,
        }
    }

    fn changed_variable(&self) -> Option<&'a str> {
        match self {
            Self::TerminateIdle { .. } => None,
        }
    }

    async fn execute(&self, env: Env<'_>, _: &IdempotencyKey, _: &Payload) -> Result<Executed> {
        match self {
            Self::TerminateIdle {
                older_than,
                application_name,
                user,
            } => {
                let report = env
                    .ports
                    .database()?
                    .terminate_idle(&TerminateRequest {
                        older_than: *older_than,
                        application_name: application_name.map(str::to_owned),
                        user: user.map(str::to_owned),
                        dry_run: false,
                    })
                    .await?;
                let pids: Vec<String> = report
                    .terminated
                    .iter()
                    .map(|b| b.pid.to_string())
                    .collect();
                Executed::detail(format!(
                    "terminated {} idle connection(s) [{}], left {} alone",
                    report.terminated.len(),
                    pids.join(", "),
                    report.refused.len()
                ))
            }
        }
    }

    async fn reconcile(
        &self,
        env: Env<'_>,
        _: &IdempotencyKey,
        _: Timestamp,
    ) -> Result<Reconciled> {
        match self {
            Self::TerminateIdle { older_than, .. } => {
                let status = env.ports.database()?.connection_status().await?;
                match status.oldest_idle {
                    Some(age) if age > *older_than => {
                        not_applied(format!("connections idle for {} s remain", age.as_secs()))
                    }
                    _ => Ok(Reconciled::Succeeded(format!(
                        "found on resume: no connection idle for more than {}",
                        duration_long(*older_than)
                    ))),
                }
            }
        }
    }
}
