//! Time, injectable: every timer in `ir` reads a [`Clock`], so tests run on a [`ManualClock`]
//! without sleeping.

use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A point in time, in UTC.
pub type Timestamp = DateTime<Utc>;

/// Where `ir` gets the time from, and how it waits.
#[async_trait]
pub trait Clock: Send + Sync + Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;

    /// Waits for `duration`. A [`ManualClock`] advances itself instead of waiting.
    async fn sleep(&self, duration: Duration);
}

/// The wall clock, and `tokio::time::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock that only moves when told to. `sleep` advances it by the requested duration and
/// returns at once, so a test of a 15-minute timer takes microseconds.
///
/// ```
/// use std::time::Duration;
/// use ir_core::clock::{Clock, ManualClock};
///
/// let clock = ManualClock::at("2026-02-08T15:30:00Z".parse()?);
/// clock.advance(Duration::from_secs(15 * 60));
/// assert_eq!(clock.now().to_rfc3339(), "2026-02-08T15:45:00+00:00");
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn at(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now = add(*now, by);
    }

    /// Sets the clock to `to` (which may be in the past, to test clock skew).
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn sleep(&self, duration: Duration) {
        self.advance(duration);
        // Let other tasks observe the new time before we carry on.
        yield_now().await;
    }
}

async fn yield_now() {
    let mut yielded = false;
    futures::future::poll_fn(|cx| {
        if yielded {
            std::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        }
    })
    .await;
}

/// The longest duration `ir` does arithmetic with: a hundred years. Configured timers longer
/// than that (`lead_after = "300000years"`) are treated as this, so adding one to a timestamp
/// can never overflow.
pub const MAX_SPAN: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// Converts a `std` duration to a `chrono` one, capped at [`MAX_SPAN`].
pub(crate) fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d.min(MAX_SPAN)).unwrap_or(chrono::Duration::MAX)
}

/// `t + d`, saturating at the latest representable time instead of panicking (a provider may
/// hand in any timestamp).
pub(crate) fn add(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_add_signed(to_chrono(d))
        .unwrap_or(chrono::DateTime::<Utc>::MAX_UTC)
}

/// `t - d`, saturating at the earliest representable time instead of panicking.
pub(crate) fn sub(t: Timestamp, d: Duration) -> Timestamp {
    t.checked_sub_signed(to_chrono(d))
        .unwrap_or(chrono::DateTime::<Utc>::MIN_UTC)
}

/// Converts a non-negative `chrono` duration to a `std` one (negative becomes zero).
pub(crate) fn to_std(d: chrono::Duration) -> Duration {
    d.to_std().unwrap_or(Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_panicking() {
        let clock = ManualClock::at(chrono::DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), chrono::DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            sub(chrono::DateTime::<Utc>::MIN_UTC, Duration::from_secs(1)),
            chrono::DateTime::<Utc>::MIN_UTC
        );
        assert_eq!(to_chrono(Duration::MAX), to_chrono(MAX_SPAN));
    }
}
