//! Error counts per interval, from `GET /api/0/organizations/{org}/events-stats/` with
//! `yAxis=count()` and `query=event.type:error`.

use std::time::Duration;

use ir_core::model::{ErrorBucket, TimeWindow};
use ir_core::{Error, ErrorKind, Result};

use crate::client::{self, PROVIDER, SentryClient};
use crate::issues::{check_window, iso_ceil, iso_floor};
use crate::wire;

const OPERATION: &str = "error_counts";

/// `interval` as Sentry writes it (`30s`, `5m`, `1h`, `1d`).
pub(crate) fn sentry_interval(interval: Duration) -> Result<String> {
    let invalid = |message: String| {
        Error::invalid_input(message)
            .with_provider(PROVIDER)
            .with_operation(OPERATION)
    };
    if interval.is_zero() {
        return Err(invalid("the interval must be longer than zero".into()));
    }
    if interval.subsec_nanos() != 0 {
        return Err(invalid(format!(
            "Sentry resolves intervals in whole seconds, not {interval:?}"
        )));
    }
    let seconds = interval.as_secs();
    Ok(match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    })
}

impl SentryClient {
    /// Error events per `interval` across `window`, oldest first: the buckets Sentry answers
    /// with that overlap the window.
    pub(crate) async fn events_per_interval(
        &self,
        window: TimeWindow,
        interval: Duration,
    ) -> Result<Vec<ErrorBucket>> {
        check_window(window, OPERATION)?;
        let interval_text = sentry_interval(interval)?;
        if window.start == window.end {
            return Ok(Vec::new());
        }
        let mut url = self.endpoint("events-stats");
        url.query_pairs_mut()
            .append_pair("start", &iso_floor(window.start))
            .append_pair("end", &iso_ceil(window.end))
            .append_pair("interval", &interval_text)
            .append_pair("yAxis", "count()")
            .append_pair("query", "event.type:error");
        let response = match self.get(url, OPERATION).await {
            Err(error) if error.kind() == ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "this Sentry has no events-stats endpoint (older self-hosted \
                         versions lack it), or the organization does not exist: {}",
                        error.message()
                    ),
                )
                .with_provider(PROVIDER)
                .with_operation(OPERATION)
                .with_status(404));
            }
            other => other?,
        };
        let stats: wire::EventsStats = client::decode(&response)?;
        let step = chrono::Duration::from_std(interval).map_err(|_| {
            Error::invalid_input(format!("the interval {interval:?} is too long"))
                .with_provider(PROVIDER)
                .with_operation(OPERATION)
        })?;
        let mut buckets = Vec::with_capacity(stats.data.len());
        for (at, values) in stats.data {
            let start = at
                .to_i64()
                .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                .ok_or_else(|| {
                    response.protocol_error("an events-stats bucket has no valid timestamp")
                })?;
            let count = values
                .iter()
                .filter_map(|v| v.count.as_ref().and_then(wire::Number::to_u64))
                .sum();
            if start < window.end && start + step > window.start {
                buckets.push(ErrorBucket { start, count });
            }
        }
        buckets.sort_by_key(|b| b.start);
        Ok(buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_as_sentry_writes_them() {
        let cases = [
            (30, "30s"),
            (60, "1m"),
            (300, "5m"),
            (5400, "90m"),
            (3600, "1h"),
            (86_400, "1d"),
            (90, "90s"),
        ];
        for (seconds, text) in cases {
            assert_eq!(
                sentry_interval(Duration::from_secs(seconds))
                    .ok()
                    .as_deref(),
                Some(text)
            );
        }
        for bad in [Duration::ZERO, Duration::from_millis(1500)] {
            let err = sentry_interval(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
        }
    }
}
