//! The runbook's three rollback procedures.
//!
//! - **Automatic rollback** (preferred): find the [`last_known_good`] deployment, ask the
//!   platform to [`roll_back`] to it, wait until the platform serves it, then verify health.
//! - **Manual rollback** (git revert): [`open_revert`] asks the code host for a pull request
//!   reverting the bad commit; CI deploys it once merged.
//! - **Configuration rollback**: [`set_variable`] keeps the value it replaced, in memory only,
//!   as a [`VariableChange`]; [`VariableChange::restore`] puts it back. The timeline holds
//!   fingerprints, never values.
//!
//! ```
//! use chrono::{DateTime, Utc};
//! use ir_core::model::{Deployment, DeploymentId, DeploymentStatus};
//! use ir_core::rollback::last_known_good;
//!
//! let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
//! let deployments = [
//!     Deployment::new("d3", DeploymentStatus::Crashed, t("2026-02-08T15:20:00Z")).with_capabilities(true, true),
//!     Deployment::new("d2", DeploymentStatus::Active, t("2026-02-08T11:00:00Z")).with_capabilities(true, true),
//!     Deployment::new("d1", DeploymentStatus::Active, t("2026-02-07T09:00:00Z")).with_capabilities(true, true),
//! ];
//! let onset = t("2026-02-08T15:25:00Z");
//! let good = last_known_good(&deployments, onset, Some(&DeploymentId::new("d3")));
//! assert_eq!(good.map(|d| d.id.as_str()), Some("d2"));
//! ```

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, Timestamp};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Deployment, DeploymentId, ServiceStatus};
use crate::ports::{
    CodeHost, DeployPlatform, FingerprintKey, PullRequestRef, RevertRequest, SetOptions,
    VariableStore,
};

/// The deployment to roll back to: the newest deployment that went live
/// ([`DeploymentStatus::served_traffic`](crate::model::DeploymentStatus::served_traffic): live
/// now, or replaced after serving), created before `onset`, that is not `current` and that the platform can roll back to
/// (`can_rollback`, the platform's own word that the build is still there). `deployments` may
/// come in any order.
pub fn last_known_good<'a>(
    deployments: &'a [Deployment],
    onset: Timestamp,
    current: Option<&DeploymentId>,
) -> Option<&'a Deployment> {
    deployments
        .iter()
        .filter(|d| d.status.served_traffic())
        .filter(|d| d.created_at < onset)
        .filter(|d| Some(&d.id) != current)
        .filter(|d| d.can_rollback)
        .max_by_key(|d| d.created_at)
}

/// How long to wait for the platform after a rollback (runbook: "Wait for rollback to complete
/// (2-5 min)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RollbackWait {
    /// Between two reads of the service status.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Give up after this long.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for RollbackWait {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5 * 60),
        }
    }
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollbackReport {
    /// The deployment rolled back to.
    pub target: DeploymentId,
    /// The deployment now serving (the target, or the platform's new deployment of its build).
    pub serving: DeploymentId,
    /// How many status reads it took.
    pub polls: u32,
    /// How long the platform took.
    #[serde(with = "humantime_serde")]
    pub waited: Duration,
}

fn same_build(d: &Deployment, target: &Deployment) -> bool {
    d.id == target.id || matches!((&d.commit_sha, &target.commit_sha), (Some(a), Some(b)) if a == b)
}

/// The deployment in `status` that serves `target`'s build, if one is active and healthy as far
/// as the platform knows.
pub fn serving_target<'a>(
    status: &'a ServiceStatus,
    target: &Deployment,
) -> Option<&'a Deployment> {
    status
        .active_deployments
        .iter()
        .find(|d| same_build(d, target) && d.status == crate::model::DeploymentStatus::Active)
}

/// Rolls back to `to` and waits until the platform serves it.
///
/// Reads the target first and refuses one the platform cannot roll back to; then calls
/// [`DeployPlatform::rollback`] once and polls [`DeployPlatform::service_status`] every
/// `wait.poll_interval` (on `clock`) until an active `Success` deployment of the target's build
/// appears. Temporary errors while polling are waited out.
///
/// # Errors
/// `InvalidInput` when the target cannot be rolled back to; the platform's error from the
/// rollback call; `Unavailable` when the rolled-back deployment crashes or fails; `Timeout`
/// when it is not serving after `wait.timeout`.
pub async fn roll_back(
    deploy: &dyn DeployPlatform,
    clock: &dyn Clock,
    to: &DeploymentId,
    wait: &RollbackWait,
) -> Result<RollbackReport> {
    let target = deploy.deployment(to).await?;
    if !target.can_rollback {
        return Err(Error::invalid_input(format!(
            "the platform cannot roll back to deployment {to}"
        )));
    }
    let started = clock.now();
    deploy.rollback(to).await?;
    wait_until_serving(deploy, clock, &target, started, wait).await
}

/// Polls until `target`'s build is served (see [`roll_back`]).
///
/// # Errors
/// As [`roll_back`], less the rollback call's own.
pub async fn wait_until_serving(
    deploy: &dyn DeployPlatform,
    clock: &dyn Clock,
    target: &Deployment,
    started: Timestamp,
    wait: &RollbackWait,
) -> Result<RollbackReport> {
    let mut polls = 0;
    loop {
        polls += 1;
        match deploy.service_status().await {
            Ok(status) => {
                if let Some(d) = serving_target(&status, target) {
                    return Ok(RollbackReport {
                        target: target.id.clone(),
                        serving: d.id.clone(),
                        polls,
                        waited: crate::clock::to_std(clock.now() - started),
                    });
                }
                if let Some(latest) = &status.latest_deployment
                    && same_build(latest, target)
                    && latest.status.is_failure()
                {
                    return Err(Error::new(
                        ErrorKind::Unavailable,
                        format!(
                            "rolled-back deployment {} is {:?}",
                            latest.id, latest.status
                        ),
                    ));
                }
            }
            Err(e) if e.is_temporary() => {
                tracing::warn!(error = %e, "service status unavailable while waiting for rollback");
            }
            Err(e) => return Err(e),
        }
        let waited = crate::clock::to_std(clock.now() - started);
        if waited >= wait.timeout {
            return Err(Error::timeout(format!(
                "deployment {} was not serving {} after the rollback",
                target.id,
                humantime_serde::re::humantime::format_duration(wait.timeout)
            )));
        }
        clock
            .sleep(wait.poll_interval.min(wait.timeout - waited))
            .await;
    }
}

/// Opens a pull request reverting `commit_sha` into `base` (the runbook's manual rollback).
///
/// # Errors
/// The code host's error; `Conflict` when the revert needs a merge.
pub async fn open_revert(
    code: &dyn CodeHost,
    commit_sha: &str,
    base: &str,
    reason: &str,
) -> Result<PullRequestRef> {
    code.open_revert_pr(&revert_request(commit_sha, base, reason))
        .await
}

/// The pull request [`open_revert`] asks for: `Revert <short sha>`, with `reason` in the body.
pub fn revert_request(commit_sha: &str, base: &str, reason: &str) -> RevertRequest {
    let short = commit_sha.get(..7).unwrap_or(commit_sha);
    RevertRequest {
        commit_sha: commit_sha.to_owned(),
        base: base.to_owned(),
        title: format!("Revert {short}"),
        body: format!(
            "Reverts {commit_sha}.\n\n{reason}\n\nOpened by the incident runner (runbook: Manual \
             Rollback). Merge to deploy the revert, then verify health."
        ),
    }
}

/// A variable change we made, with the value it replaced. The previous value lives only in
/// memory; `Debug` and serialisation show fingerprints.
#[derive(Clone)]
pub struct VariableChange {
    name: String,
    previous: Option<SecretString>,
    previous_fingerprint: Option<String>,
    new_fingerprint: String,
}

impl fmt::Debug for VariableChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariableChange")
            .field("name", &self.name)
            .field("previous", &self.previous_fingerprint())
            .field("new", &self.new_fingerprint)
            .finish()
    }
}

impl VariableChange {
    /// A change of `name` from `previous` (`None`: it was unset) to a value with
    /// `new_fingerprint`, both fingerprinted under `fingerprints`.
    pub fn new(
        name: impl Into<String>,
        previous: Option<SecretString>,
        new_fingerprint: impl Into<String>,
        fingerprints: &FingerprintKey,
    ) -> Self {
        Self {
            name: name.into(),
            previous_fingerprint: previous.as_ref().map(|v| fingerprints.fingerprint(v)),
            previous,
            new_fingerprint: new_fingerprint.into(),
        }
    }

    /// The value before the change, for the runner's scrubbing of records.
    pub(crate) fn previous(&self) -> Option<&SecretString> {
        self.previous.as_ref()
    }

    /// The variable.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the variable was set before the change.
    pub fn had_previous(&self) -> bool {
        self.previous.is_some()
    }

    /// The fingerprint of the value before the change.
    pub fn previous_fingerprint(&self) -> Option<String> {
        self.previous_fingerprint.clone()
    }

    /// The fingerprint of the value we set.
    pub fn new_fingerprint(&self) -> &str {
        &self.new_fingerprint
    }

    /// Puts the previous value back (or deletes the variable when it was unset). The platform
    /// restarts the service.
    ///
    /// # Errors
    /// The store's error.
    pub async fn restore(&self, store: &dyn VariableStore) -> Result<()> {
        match &self.previous {
            Some(v) => {
                store
                    .set(&self.name, v.clone(), SetOptions::default())
                    .await
            }
            None => store.delete(&self.name).await,
        }
    }
}

/// Sets `name` to `value` (the service restarts) and returns the change, remembering the value
/// it replaced so it can be restored.
///
/// # Errors
/// The store's error, from reading the old value or setting the new one.
pub async fn set_variable(
    store: &dyn VariableStore,
    fingerprints: &FingerprintKey,
    name: &str,
    value: SecretString,
) -> Result<VariableChange> {
    let previous = store.get(name).await?;
    let new_fingerprint = fingerprints.fingerprint(&value);
    store.set(name, value, SetOptions::default()).await?;
    Ok(VariableChange::new(
        name,
        previous,
        new_fingerprint,
        fingerprints,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::model::DeploymentStatus;
    use crate::ports::{MockDeployPlatform, MockVariableStore};
    use secrecy::ExposeSecret;

    fn t(min: i64) -> Timestamp {
        "2026-02-08T15:30:00Z".parse::<Timestamp>().unwrap() + chrono::Duration::minutes(min)
    }

    fn dep(id: &str, status: DeploymentStatus, min: i64, can: bool) -> Deployment {
        Deployment::new(id, status, t(min))
            .with_capabilities(can, true)
            .with_commit(format!("sha-{id}"), None)
    }

    #[test]
    fn last_known_good_rules() {
        let ds = [
            dep("d5", DeploymentStatus::Active, 5, true), // after onset
            dep("d4", DeploymentStatus::Crashed, -5, true), // failed
            dep("d3", DeploymentStatus::Active, -10, true), // current
            dep("d2", DeploymentStatus::Active, -60, false), // cannot roll back
            dep("d1", DeploymentStatus::Active, -120, true),
            dep("d0", DeploymentStatus::Active, -240, true),
        ];
        let current = DeploymentId::new("d3");
        let got = last_known_good(&ds, t(0), Some(&current));
        assert_eq!(got.map(|d| d.id.as_str()), Some("d1"));
        // Order does not matter.
        let mut rev = ds.to_vec();
        rev.reverse();
        assert_eq!(
            last_known_good(&rev, t(0), Some(&current)).map(|d| d.id.as_str()),
            Some("d1")
        );
        assert_eq!(last_known_good(&ds[..3], t(0), Some(&current)), None);
        // Without a current deployment, the newest good one before onset is d3.
        assert_eq!(
            last_known_good(&ds, t(0), None).map(|d| d.id.as_str()),
            Some("d3")
        );
    }

    #[test]
    fn a_replaced_deployment_that_went_live_is_a_rollback_target() {
        // As Railway lists them: the active deployment SUCCESS, the ones it replaced REMOVED,
        // a build that never went live FAILED.
        let ds = [
            dep("d3", DeploymentStatus::Active, -5, true),
            dep("d2", DeploymentStatus::Failed, -30, false),
            dep("d1", DeploymentStatus::Removed, -60, true),
            dep("d0", DeploymentStatus::Removed, -120, true),
        ];
        let got = last_known_good(&ds, t(0), Some(&DeploymentId::new("d3")));
        assert_eq!(got.map(|d| d.id.as_str()), Some("d1"));
        // A removed deployment the platform will not roll back to is skipped.
        let ds = [
            dep("d3", DeploymentStatus::Active, -5, true),
            dep("d1", DeploymentStatus::Removed, -60, false),
        ];
        assert_eq!(
            last_known_good(&ds, t(0), Some(&DeploymentId::new("d3"))),
            None
        );
    }

    #[tokio::test]
    async fn roll_back_waits_for_the_platform_on_the_clock() {
        let clock = ManualClock::at(t(0));
        let target = dep("d1", DeploymentStatus::Active, -120, true);
        let mut deploy = MockDeployPlatform::new();
        let t2 = target.clone();
        deploy
            .expect_deployment()
            .times(1)
            .returning(move |_| Ok(t2.clone()));
        deploy
            .expect_rollback()
            .times(1)
            .withf(|to| to.as_str() == "d1")
            .returning(|_| Ok(()));
        let mut polls = 0;
        let serving =
            Deployment::new("d6", DeploymentStatus::Active, t(1)).with_commit("sha-d1", None);
        deploy.expect_service_status().times(4).returning(move || {
            polls += 1;
            match polls {
                1 => Err(Error::new(ErrorKind::Unavailable, "502")),
                2 | 3 => Ok(ServiceStatus::new("web").with_active(vec![dep(
                    "d3",
                    DeploymentStatus::Active,
                    -10,
                    true,
                )])),
                _ => Ok(ServiceStatus::new("web").with_active(vec![serving.clone()])),
            }
        });
        let report = roll_back(&deploy, &clock, &target.id, &RollbackWait::default())
            .await
            .unwrap();
        assert_eq!(report.serving.as_str(), "d6");
        assert_eq!(report.polls, 4);
        assert_eq!(report.waited, Duration::from_secs(30));
    }

    #[tokio::test]
    async fn roll_back_refuses_and_times_out() {
        let clock = ManualClock::at(t(0));
        let mut deploy = MockDeployPlatform::new();
        deploy
            .expect_deployment()
            .returning(|_| Ok(dep("d2", DeploymentStatus::Active, -60, false)));
        deploy.expect_rollback().times(0);
        let err = roll_back(
            &deploy,
            &clock,
            &DeploymentId::new("d2"),
            &RollbackWait::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        let mut deploy = MockDeployPlatform::new();
        deploy
            .expect_deployment()
            .returning(|_| Ok(dep("d1", DeploymentStatus::Active, -60, true)));
        deploy.expect_rollback().times(1).returning(|_| Ok(()));
        deploy
            .expect_service_status()
            .returning(|| Ok(ServiceStatus::new("web")));
        let wait = RollbackWait {
            poll_interval: Duration::from_secs(60),
            timeout: Duration::from_secs(150),
        };
        let err = roll_back(&deploy, &clock, &DeploymentId::new("d1"), &wait)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(clock.now(), t(0) + chrono::Duration::seconds(150));
    }

    #[tokio::test]
    async fn configuration_rollback_restores_what_we_replaced() {
        let mut store = MockVariableStore::new();
        store
            .expect_get()
            .times(1)
            .returning(|_| Ok(Some(SecretString::from("postgres://u:old@db:5432/app"))));
        store
            .expect_set()
            .times(1)
            .withf(|n, v, _| n == "DATABASE_URL" && v.expose_secret().contains(":6432/"))
            .returning(|_, _, _| Ok(()));
        store
            .expect_set()
            .times(1)
            .withf(|n, v, _| n == "DATABASE_URL" && v.expose_secret().contains(":5432/"))
            .returning(|_, _, _| Ok(()));
        let change = set_variable(
            &store,
            &FingerprintKey::from_secret(&SecretString::from("k")),
            "DATABASE_URL",
            SecretString::from("postgres://u:old@db:6432/app"),
        )
        .await
        .unwrap();
        assert!(change.had_previous());
        let debug = format!("{change:?}");
        assert!(!debug.contains("old@"), "{debug}");
        change.restore(&store).await.unwrap();

        let mut store = MockVariableStore::new();
        store
            .expect_delete()
            .times(1)
            .withf(|n| n == "X")
            .returning(|_| Ok(()));
        VariableChange::new(
            "X",
            None,
            "hmac:0",
            &FingerprintKey::from_secret(&SecretString::from("k")),
        )
        .restore(&store)
        .await
        .unwrap();
    }
}
