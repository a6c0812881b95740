//! [`Pacer`]: at most one request per interval per key, on the configured clock.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ir_core::clock::{Clock, Timestamp};

/// Spaces requests to a provider that allows about one per `interval` (Slack per channel,
/// Statuspage per page): each caller books the next free slot for its key and waits for it on
/// the clock, so a `ManualClock` test never sleeps. Clones share the slots.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use ir_core::clock::{Clock, ManualClock};
/// use ir_http::Pacer;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let clock = ManualClock::at("2026-02-08T15:30:00Z".parse()?);
/// let pacer: Pacer<String> = Pacer::new(Duration::from_secs(1), Arc::new(clock.clone()));
/// pacer.pace("#incident-response").await;
/// pacer.pace("#incident-response").await; // waits a second, on the manual clock
/// pacer.pace("#other").await; // another key: no wait
/// assert_eq!(clock.now().to_rfc3339(), "2026-02-08T15:30:01+00:00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Pacer<K = ()> {
    interval: Duration,
    clock: Arc<dyn Clock>,
    next_slot: Arc<Mutex<HashMap<K, Timestamp>>>,
}

impl<K> fmt::Debug for Pacer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pacer")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash> Pacer<K> {
    /// A pacer allowing one request per `interval` per key; a zero interval never waits.
    pub fn new(interval: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            interval,
            clock,
            next_slot: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Waits until `key` may be used again and books the slot after that one.
    pub async fn pace(&self, key: impl Into<K>) {
        if self.interval.is_zero() {
            return;
        }
        let now = self.clock.now();
        let step = chrono::Duration::from_std(self.interval).unwrap_or(chrono::Duration::MAX);
        let wait = {
            let mut slots = self
                .next_slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let slot = slots.entry(key.into()).or_insert(now);
            let start = (*slot).max(now);
            *slot = start.checked_add_signed(step).unwrap_or(start);
            (start - now).to_std().unwrap_or_default()
        };
        if !wait.is_zero() {
            self.clock.sleep(wait).await;
        }
    }
}
