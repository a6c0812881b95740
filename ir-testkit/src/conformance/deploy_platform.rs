//! The `DeployPlatform` contract, against a backend holding a [`DeployFixture`]'s deployments.
//!
//! The reading rules expect the backend to hold exactly the fixture's deployments; the
//! mutating ones (rollback, restart, redeploy) may add deployments, so `run_all` runs them
//! last.

use ir_core::error::ErrorKind;
use ir_core::ports::DeployPlatform;

use super::{check, check_eq, err_kind, ok};
use crate::DeployFixture;

/// The service status names the service.
pub async fn service_has_a_name(platform: &dyn DeployPlatform, _fixture: &DeployFixture) {
    const RULE: &str = "deploy_platform::service_has_a_name";
    let status = ok(platform.service_status().await, RULE, "service_status");
    check!(
        !status.service_name.is_empty(),
        RULE,
        "the service has a name"
    );
}

/// `list_deployments` returns every deployment, newest first, and honours its limit.
pub async fn lists_newest_first_within_the_limit(
    platform: &dyn DeployPlatform,
    fixture: &DeployFixture,
) {
    const RULE: &str = "deploy_platform::lists_newest_first_within_the_limit";
    let all = ok(
        platform
            .list_deployments(fixture.deployments.len() + 5)
            .await,
        RULE,
        "list_deployments",
    );
    let ids: Vec<_> = all.iter().map(|d| d.id.clone()).collect();
    let want: Vec<_> = fixture.deployments.iter().map(|d| d.id.clone()).collect();
    check_eq!(
        ids,
        want,
        RULE,
        "list_deployments returns every deployment, newest first"
    );
    check!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        RULE,
        "deployments are sorted newest first"
    );
    let two = ok(
        platform.list_deployments(2).await,
        RULE,
        "list_deployments(2)",
    );
    check_eq!(
        two.len(),
        2.min(want.len()),
        RULE,
        "list_deployments honours the limit"
    );
}

/// `deployment(id)` returns that deployment with its status; an unknown id is `NotFound`.
pub async fn finds_a_deployment_by_id(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    const RULE: &str = "deploy_platform::finds_a_deployment_by_id";
    let first = &fixture.deployments[0];
    let got = ok(platform.deployment(&first.id).await, RULE, "deployment");
    check_eq!(
        got.id,
        first.id,
        RULE,
        "deployment(id) returns that deployment"
    );
    check_eq!(
        got.status,
        first.status,
        RULE,
        "deployment(id) keeps the status"
    );
    err_kind(
        platform.deployment(&fixture.unknown).await,
        ErrorKind::NotFound,
        RULE,
        "deployment of an unknown id",
    );
}

/// A rollback to a deployment that allows it is accepted; to an unknown id it is `NotFound`.
/// Rolls back.
pub async fn rolls_back(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    const RULE: &str = "deploy_platform::rolls_back";
    ok(
        platform.rollback(&fixture.rollback_to).await,
        RULE,
        "rollback to a rollbackable deployment",
    );
    err_kind(
        platform.rollback(&fixture.unknown).await,
        ErrorKind::NotFound,
        RULE,
        "rollback to an unknown id",
    );
}

/// A known deployment can be restarted. Restarts the newest deployment.
pub async fn restarts(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    const RULE: &str = "deploy_platform::restarts";
    ok(
        platform.restart(&fixture.deployments[0].id).await,
        RULE,
        "restart",
    );
}

/// A redeploy of a known deployment returns the new deployment's id. Redeploys the newest
/// deployment.
pub async fn redeploys(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    const RULE: &str = "deploy_platform::redeploys";
    let new_id = ok(
        platform.redeploy(&fixture.deployments[0].id).await,
        RULE,
        "redeploy",
    );
    check!(
        !new_id.as_str().is_empty(),
        RULE,
        "redeploy returns the new deployment's id"
    );
}

/// Every rule above, the reading ones first.
pub async fn run_all(platform: &dyn DeployPlatform, fixture: &DeployFixture) {
    service_has_a_name(platform, fixture).await;
    lists_newest_first_within_the_limit(platform, fixture).await;
    finds_a_deployment_by_id(platform, fixture).await;
    rolls_back(platform, fixture).await;
    restarts(platform, fixture).await;
    redeploys(platform, fixture).await;
}
