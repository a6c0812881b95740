//! Leases: one replica drives an incident at a time (the incident's lease, held by
//! [`Runner::run`](super::Runner::run) and renewed as it goes), and one executes or
//! reconciles an action at a time (the action's lease).

use super::Drive;
use crate::clock::to_chrono;
use crate::error::{Error, Result};
use crate::model::IdempotencyKey;
use crate::ports::Lease;

impl<'r> Drive<'r> {
    /// Renews the incident's lease once a third of its time has passed since the last
    /// renewal. A run that finds it taken over (it stalled for longer than the lease) stops.
    ///
    /// # Errors
    /// `Conflict` when another replica now holds the incident; the store's errors.
    pub(super) async fn keep_lease(&mut self) -> Result<()> {
        let Some(lease) = &self.lease else {
            return Ok(());
        };
        let ttl = self.r.config.lease_ttl;
        let now = self.now();
        if now - self.renewed_at < to_chrono(ttl / 3) {
            return Ok(());
        }
        let key = lease.key.clone();
        match self
            .r
            .store
            .acquire_lease(&key, &self.r.config.replica, ttl)
            .await?
        {
            Some(renewed) => {
                self.lease = Some(renewed);
                self.renewed_at = now;
                Ok(())
            }
            None => {
                self.lease = None;
                Err(Error::conflict(format!(
                    "the lease on incident {} lapsed and another replica took it over",
                    self.incident().id()
                )))
            }
        }
    }

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
        self.keep_lease().await?;
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
        self.r.release(lease).await;
    }
}
