//! Time, injectable: every timer, deadline and timeout in `ir` reads a [`Clock`], so tests run
//! on a [`ManualClock`] without sleeping.
//!
//! A clock does two things: it [sleeps](Clock::sleep) (the caller waits on purpose: a backoff,
//! a verification interval) and it bounds (`timeout`) work with a deadline (a probe, an
//! HTTP attempt, an approval). On a [`ManualClock`] a sleep moves time forward, and a deadline
//! fires when time, moved by anyone, reaches it; work that finishes first is never cut short,
//! however long it takes in real time.

use std::fmt::{self, Debug};
use std::future::Future;
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

    /// Waits until the clock reads `deadline` or later, without moving it. The timer under
    /// `timeout`.
    async fn reached(&self, deadline: Timestamp);
}

/// The error of a `timeout`: the deadline passed before the work finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    /// How long the work was given.
    pub after: Duration,
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no answer within {:?}", self.after)
    }
}

impl std::error::Error for Elapsed {}

impl dyn Clock {
    /// Runs `work` until it finishes or `duration` passes on this clock, whichever comes
    /// first. The deadline is checked before each poll of `work`, so on a [`ManualClock`]
    /// work that moves time past its own deadline (by sleeping) times out as it would in
    /// real time.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ir_core::clock::{Clock, ManualClock};
    ///
    /// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
    /// let clock: Arc<dyn Clock> = Arc::new(ManualClock::at("2026-02-08T15:30:00Z".parse()?));
    /// // A probe that would answer after an hour, under a 10-second deadline: no real waiting.
    /// let slow = clock.sleep(Duration::from_secs(3600));
    /// let outcome = clock.timeout(Duration::from_secs(10), slow).await;
    /// assert!(outcome.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn timeout<F: Future>(
        &self,
        duration: Duration,
        work: F,
    ) -> Result<F::Output, Elapsed> {
        let deadline = add(self.now(), duration);
        self.bounded(deadline, duration, work).await
    }

    /// `timeout` with a deadline given as a point in time.
    pub async fn timeout_at<F: Future>(
        &self,
        deadline: Timestamp,
        work: F,
    ) -> Result<F::Output, Elapsed> {
        let after = to_std(deadline - self.now());
        self.bounded(deadline, after, work).await
    }

    async fn bounded<F: Future>(
        &self,
        deadline: Timestamp,
        after: Duration,
        work: F,
    ) -> Result<F::Output, Elapsed> {
        tokio::select! {
            biased;
            () = self.reached(deadline) => Err(Elapsed { after }),
            output = work => Ok(output),
        }
    }
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

    async fn reached(&self, deadline: Timestamp) {
        // Re-read the wall clock after each wait: it may have been stepped meanwhile.
        loop {
            let left = to_std(deadline - Utc::now());
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left).await;
        }
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
    /// Tells waiting deadlines that time moved.
    moved: Arc<tokio::sync::watch::Sender<()>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn at(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            moved: Arc::new(tokio::sync::watch::Sender::new(())),
        }
    }

    /// Moves the clock forward, firing every deadline it passes.
    pub fn advance(&self, by: Duration) {
        {
            let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
            *now = add(*now, by);
        }
        self.moved.send_replace(());
    }

    /// Sets the clock to `to` (which may be in the past, to test clock skew).
    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = to;
        self.moved.send_replace(());
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

    async fn reached(&self, deadline: Timestamp) {
        let mut moved = self.moved.subscribe();
        while self.now() < deadline {
            if moved.changed().await.is_err() {
                // Unreachable while `self` holds the sender; wait forever rather than fire.
                std::future::pending::<()>().await;
            }
        }
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

    fn manual() -> (ManualClock, Arc<dyn Clock>) {
        let clock = ManualClock::at(Utc::now());
        (clock.clone(), Arc::new(clock))
    }

    #[tokio::test]
    async fn a_deadline_fires_when_someone_else_moves_time()
    -> Result<(), Box<dyn std::error::Error>> {
        let (manual, clock) = manual();
        let waiting = tokio::spawn({
            let clock = clock.clone();
            async move {
                clock
                    .timeout(Duration::from_secs(30), std::future::pending::<()>())
                    .await
            }
        });
        tokio::task::yield_now().await;
        manual.advance(Duration::from_secs(29));
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "fired a second early");
        manual.advance(Duration::from_secs(1));
        let outcome = waiting.await?;
        assert_eq!(
            outcome,
            Err(Elapsed {
                after: Duration::from_secs(30)
            })
        );
        Ok(())
    }

    #[tokio::test]
    async fn work_that_finishes_first_is_not_cut_short() {
        let (_, clock) = manual();
        let answer = clock
            .timeout(Duration::from_secs(1), async {
                tokio::task::yield_now().await;
                42
            })
            .await;
        assert_eq!(answer, Ok(42));
    }

    #[tokio::test]
    async fn work_that_sleeps_past_its_deadline_times_out() {
        let (manual, clock) = manual();
        let start = manual.now();
        let outcome = clock
            .timeout(Duration::from_secs(5), clock.sleep(Duration::from_secs(60)))
            .await;
        assert!(outcome.is_err());
        assert_eq!(manual.now() - start, chrono::Duration::seconds(60));
    }

    #[tokio::test]
    async fn system_clock_times_out_in_real_time() {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let outcome = clock
            .timeout(Duration::from_millis(20), std::future::pending::<()>())
            .await;
        assert_eq!(
            outcome,
            Err(Elapsed {
                after: Duration::from_millis(20)
            })
        );
    }

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
