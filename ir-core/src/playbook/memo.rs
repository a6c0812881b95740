//! One diagnosis asks each question of provider state once: several probes ask for the
//! service's status, or whether a variable is set; a memo over the port shares the first answer
//! with the others (an error is not shared: the next caller asks again). Mutating calls pass
//! through. (An adapter whose different reads share one query, as Railway's variables do,
//! shares concurrent ones itself.)

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use secrecy::SecretString;
use tokio::sync::OnceCell;

use super::probe::Providers;
use crate::error::Result;
use crate::model::{Deployment, DeploymentId, ServiceStatus};
use crate::ports::{DeployPlatform, SetOptions, VariableStore};

/// `providers` with the deploy platform's status and the variables read once.
pub(crate) fn memoized(providers: &Providers) -> Providers {
    let mut memo = providers.clone();
    memo.deploy = providers.deploy.clone().map(|inner| {
        Arc::new(Deploy {
            inner,
            status: OnceCell::new(),
        }) as Arc<dyn DeployPlatform>
    });
    memo.variables = providers.variables.clone().map(|inner| {
        Arc::new(Variables {
            inner,
            names: OnceCell::new(),
            values: Mutex::new(BTreeMap::new()),
        }) as Arc<dyn VariableStore>
    });
    memo
}

#[derive(Debug)]
struct Deploy {
    inner: Arc<dyn DeployPlatform>,
    status: OnceCell<ServiceStatus>,
}

#[async_trait]
impl DeployPlatform for Deploy {
    async fn service_status(&self) -> Result<ServiceStatus> {
        self.status
            .get_or_try_init(|| self.inner.service_status())
            .await
            .cloned()
    }
    async fn list_deployments(&self, limit: usize) -> Result<Vec<Deployment>> {
        self.inner.list_deployments(limit).await
    }
    async fn deployment(&self, id: &DeploymentId) -> Result<Deployment> {
        self.inner.deployment(id).await
    }
    async fn rollback(&self, to: &DeploymentId) -> Result<()> {
        self.inner.rollback(to).await
    }
    async fn redeploy(&self, id: &DeploymentId) -> Result<DeploymentId> {
        self.inner.redeploy(id).await
    }
    async fn restart(&self, id: &DeploymentId) -> Result<()> {
        self.inner.restart(id).await
    }
}

#[derive(Debug)]
struct Variables {
    inner: Arc<dyn VariableStore>,
    names: OnceCell<Vec<String>>,
    values: Mutex<BTreeMap<String, Arc<OnceCell<Option<SecretString>>>>>,
}

#[async_trait]
impl VariableStore for Variables {
    async fn list_names(&self) -> Result<Vec<String>> {
        self.names
            .get_or_try_init(|| self.inner.list_names())
            .await
            .cloned()
    }
    async fn get(&self, name: &str) -> Result<Option<SecretString>> {
        let cell = self
            .values
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(name.to_owned())
            .or_default()
            .clone();
        cell.get_or_try_init(|| self.inner.get(name)).await.cloned()
    }
    async fn set(&self, name: &str, value: SecretString, options: SetOptions) -> Result<()> {
        self.inner.set(name, value, options).await
    }
    async fn delete(&self, name: &str) -> Result<()> {
        self.inner.delete(name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{MockDeployPlatform, MockVariableStore};

    #[tokio::test]
    async fn concurrent_readers_share_one_read() {
        let mut deploy = MockDeployPlatform::new();
        deploy
            .expect_service_status()
            .times(1)
            .returning(|| Ok(ServiceStatus::new("web")));
        let mut variables = MockVariableStore::new();
        variables
            .expect_list_names()
            .times(1)
            .returning(|| Ok(vec!["NEXTAUTH_URL".to_owned()]));
        variables
            .expect_get()
            .times(2)
            .returning(|name| Ok((name == "NEXTAUTH_URL").then(|| "https://app".into())));
        let providers = memoized(
            &Providers::new()
                .with_deploy(Arc::new(deploy))
                .with_variables(Arc::new(variables)),
        );
        let (d, v) = (
            providers.deploy.clone().unwrap(),
            providers.variables.clone().unwrap(),
        );
        let (a, b, names, _, url, missing) = futures::join!(
            d.service_status(),
            d.service_status(),
            v.list_names(),
            v.list_names(),
            v.get("NEXTAUTH_URL"),
            v.get("NEXTAUTH_SECRET"),
        );
        assert!(v.get("NEXTAUTH_URL").await.unwrap().is_some(), "asked once");
        assert_eq!(a.unwrap(), b.unwrap());
        assert_eq!(names.unwrap(), ["NEXTAUTH_URL"]);
        assert!(url.unwrap().is_some());
        assert!(missing.unwrap().is_none());
    }
}
