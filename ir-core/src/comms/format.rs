//! How the runbook writes times and durations, as functions and as template filters.
//!
//! | function | filter | example |
//! |---|---|---|
//! | [`clock_time`] | `time` | `15:45 UTC` |
//! | [`date_time`] | `datetime` | `2026-02-08 15:30 UTC` |
//! | [`meeting_time`] | `meeting_time` | `2026-02-09 10:00 AM` |
//! | [`duration_long`] | `duration` | `15 minutes`, `2 hours 5 minutes` |
//! | [`duration_short`] | `duration_short` | `15 min`, `2 h 5 min` |
//! | — | `strftime(fmt)` | any `chrono` format, in UTC |
//!
//! Every time is UTC. The filters take what a message serializes to: RFC 3339 strings for
//! timestamps and `humantime` strings (`15m`) or a number of seconds for durations; anything
//! else is a template error, never a blank.

use std::fmt::Write as _;
use std::time::Duration;

use minijinja::value::Value;
use minijinja::{Environment, ErrorKind as JinjaErrorKind};

use crate::clock::Timestamp;

/// `15:45 UTC`: the runbook's time in headings and "Next Update".
pub fn clock_time(at: Timestamp) -> String {
    at.format("%H:%M UTC").to_string()
}

/// `2026-02-08 15:30 UTC`: the runbook's "Detected" line.
pub fn date_time(at: Timestamp) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2026-02-09 10:00 AM`: the runbook's "Postmortem scheduled for" line (UTC, as every time
/// in the messages).
pub fn meeting_time(at: Timestamp) -> String {
    at.format("%Y-%m-%d %I:%M %p").to_string()
}

/// `15 minutes`, `1 hour`, `2 hours 5 minutes`, `1 day 3 hours`, `45 seconds`.
///
/// Whole minutes are shown from one minute up (seconds are dropped); under a minute, seconds.
pub fn duration_long(d: Duration) -> String {
    spell(d, ["day", "hour", "minute", "second"], true)
}

/// `15 min`, `1 h`, `2 h 5 min`, `1 d 3 h`, `45 s`.
pub fn duration_short(d: Duration) -> String {
    spell(d, ["d", "h", "min", "s"], false)
}

fn spell(d: Duration, units: [&str; 4], plural: bool) -> String {
    let secs = d.as_secs();
    let [day, hour, minute, second] = units;
    let unit = |n: u64, name: &str| {
        if plural && n != 1 {
            format!("{n} {name}s")
        } else {
            format!("{n} {name}")
        }
    };
    if secs < 60 {
        return if secs == 0 {
            unit(0, minute)
        } else {
            unit(secs, second)
        };
    }
    let minutes = secs / 60;
    let (days, hours, minutes) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    [(days, day), (hours, hour), (minutes, minute)]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| unit(n, name))
        .collect::<Vec<_>>()
        .join(" ")
}

fn invalid(message: String) -> minijinja::Error {
    minijinja::Error::new(JinjaErrorKind::InvalidOperation, message)
}

/// Reads a timestamp the way a message serializes it (RFC 3339).
pub(crate) fn timestamp_arg(value: &Value) -> Result<Timestamp, minijinja::Error> {
    let text = value.as_str().ok_or_else(|| {
        invalid(format!(
            "expected a timestamp (RFC 3339 string), got {}",
            value.kind()
        ))
    })?;
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| invalid(format!("{text:?} is not an RFC 3339 timestamp: {e}")))
}

/// Reads a duration the way a message serializes it (`humantime`, e.g. `15m`) or as seconds.
pub(crate) fn duration_arg(value: &Value) -> Result<Duration, minijinja::Error> {
    if let Some(text) = value.as_str() {
        return humantime_serde::re::humantime::parse_duration(text)
            .map_err(|e| invalid(format!("{text:?} is not a duration: {e}")));
    }
    if let Some(secs) = value.as_i64() {
        return u64::try_from(secs)
            .map(Duration::from_secs)
            .map_err(|_| invalid(format!("a duration cannot be negative, got {secs}")));
    }
    Err(invalid(format!(
        "expected a duration (`15m` or seconds), got {}",
        value.kind()
    )))
}

fn strftime(value: &Value, format: &str) -> Result<String, minijinja::Error> {
    let at = timestamp_arg(value)?;
    let mut out = String::new();
    write!(out, "{}", at.format(format))
        .map_err(|_| invalid(format!("invalid strftime format {format:?}")))?;
    Ok(out)
}

/// Adds the time and duration filters to `env`.
pub(crate) fn register_filters(env: &mut Environment<'_>) {
    env.add_filter("time", |v: &Value| timestamp_arg(v).map(clock_time));
    env.add_filter("datetime", |v: &Value| timestamp_arg(v).map(date_time));
    env.add_filter("meeting_time", |v: &Value| {
        timestamp_arg(v).map(meeting_time)
    });
    env.add_filter("duration", |v: &Value| duration_arg(v).map(duration_long));
    env.add_filter("duration_short", |v: &Value| {
        duration_arg(v).map(duration_short)
    });
    env.add_filter("strftime", |v: &Value, f: &str| strftime(v, f));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn min(n: u64) -> Duration {
        Duration::from_secs(n * 60)
    }

    #[test]
    fn durations_read_like_the_runbook() {
        let cases = [
            (Duration::ZERO, "0 minutes", "0 min"),
            (Duration::from_secs(1), "1 second", "1 s"),
            (Duration::from_secs(45), "45 seconds", "45 s"),
            (min(1), "1 minute", "1 min"),
            (min(15), "15 minutes", "15 min"),
            (Duration::from_secs(15 * 60 + 59), "15 minutes", "15 min"),
            (min(60), "1 hour", "1 h"),
            (min(125), "2 hours 5 minutes", "2 h 5 min"),
            (min(24 * 60 + 180), "1 day 3 hours", "1 d 3 h"),
            (min(7 * 24 * 60), "7 days", "7 d"),
        ];
        for (d, long, short) in cases {
            assert_eq!(duration_long(d), long, "{d:?}");
            assert_eq!(duration_short(d), short, "{d:?}");
        }
    }

    proptest::proptest! {
        /// Whatever a message serializes a duration to, the filters read back the same value.
        #[test]
        fn durations_survive_serialization(secs in 0u64..10_000_000, nanos in 0u32..1_000_000_000) {
            #[derive(serde::Serialize)]
            struct Holder(#[serde(with = "humantime_serde")] Duration);
            let d = Duration::new(secs, nanos);
            let value = Value::from(minijinja::value::Serde(Holder(d)));
            proptest::prop_assert_eq!(duration_arg(&value).unwrap(), d);
            proptest::prop_assert!(!duration_long(d).is_empty());
        }
    }

    #[test]
    fn times_read_like_the_runbook() {
        let at: Timestamp = "2026-02-09T10:00:00Z".parse().unwrap();
        assert_eq!(clock_time(at), "10:00 UTC");
        assert_eq!(date_time(at), "2026-02-09 10:00 UTC");
        assert_eq!(meeting_time(at), "2026-02-09 10:00 AM");
        let pm: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
        assert_eq!(meeting_time(pm), "2026-02-08 03:30 PM");
    }

    #[test]
    fn filters_refuse_what_they_cannot_read() {
        let mut env = Environment::new();
        register_filters(&mut env);
        let ok = env.render_str(
            "{{ t|time }} {{ d|duration }} {{ 90|duration_short }} {{ t|strftime('%d.%m.') }}",
            minijinja::context! { t => "2026-02-08T15:45:00Z", d => "1h 5m" },
        );
        assert_eq!(ok.unwrap(), "15:45 UTC 1 hour 5 minutes 1 min 08.02.");
        for (template, why) in [
            ("{{ 'yesterday'|time }}", "RFC 3339"),
            ("{{ 3|datetime }}", "expected a timestamp"),
            ("{{ 'soon'|duration }}", "not a duration"),
            ("{{ -5|duration }}", "negative"),
            ("{{ '2026-02-08T15:45:00Z'|strftime('%Q') }}", "strftime"),
        ] {
            let err = env.render_str(template, ()).unwrap_err();
            assert!(err.to_string().contains(why), "{template}: {err}");
        }
    }
}
