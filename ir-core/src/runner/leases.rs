//! Action leases: one replica executes (or reconciles) an action at a time.

use super::Drive;
use crate::error::Result;
use crate::model::IdempotencyKey;
use crate::ports::Lease;

impl<'r> Drive<'r> {
    /// Runs `work` under the lease on `key`: `None` when another replica holds it (nothing
    /// ran), otherwise what `work` returned. The lease is released on every exit path of
    /// `work`, its errors included; a lease that cannot be released lapses on its own.
    ///
    /// # Errors
    /// The store's error when the lease cannot be asked for; `work`'s errors.
    pub(super) async fn under_lease<T>(
        &mut self,
        key: &IdempotencyKey,
        work: impl AsyncFnOnce(&mut Drive<'r>) -> Result<T>,
    ) -> Result<Option<T>> {
        let lease = self
            .r
            .store
            .acquire_lease(
                key.as_str(),
                &self.r.config.replica,
                self.r.config.lease_ttl,
            )
            .await?;
        let Some(lease) = lease else {
            return Ok(None);
        };
        let result = work(self).await;
        self.release(&lease).await;
        result.map(Some)
    }

    async fn release(&self, lease: &Lease) {
        if let Err(e) = self.r.store.release_lease(lease).await {
            tracing::warn!(key = %lease.key, error = %e, "could not release an action lease; it lapses on its own");
        }
    }
}
