//! Connection status from `pg_stat_activity`, client backends only.

use std::time::Duration;

use ir_core::model::{ConnectionGroup, ConnectionStatus, StateCounts};
use sqlx::PgConnection;

/// One row per (application name, user), client backends only. Rows the caller may not see in
/// full (another role's session without `pg_read_all_stats`) have a NULL state and count as
/// `other`.
const GROUPS: &str = r"
SELECT coalesce(application_name, '')                                              AS application_name,
       usename::text                                                               AS usename,
       count(*) FILTER (WHERE state = 'active')                                    AS active,
       count(*) FILTER (WHERE state = 'idle')                                      AS idle,
       count(*) FILTER (WHERE state = 'idle in transaction')                       AS idle_in_transaction,
       count(*) FILTER (WHERE state = 'idle in transaction (aborted)')             AS aborted,
       count(*) FILTER (WHERE state IS NULL OR state NOT IN
           ('active', 'idle', 'idle in transaction', 'idle in transaction (aborted)')) AS other,
       max(extract(epoch FROM clock_timestamp() - state_change))
           FILTER (WHERE state = 'idle')::float8                                   AS oldest_idle,
       max(extract(epoch FROM clock_timestamp() - state_change))
           FILTER (WHERE state = 'idle in transaction')::float8                    AS oldest_idle_in_transaction
FROM pg_stat_activity
WHERE backend_type = 'client backend'
GROUP BY 1, 2";

/// `reserved_connections` exists from PostgreSQL 16 on; `current_setting(.., true)` gives NULL
/// where it does not.
const LIMITS: &str = r"
SELECT current_setting('max_connections')::int8                                    AS max_connections,
       current_setting('superuser_reserved_connections')::int8
         + coalesce(nullif(current_setting('reserved_connections', true), ''), '0')::int8 AS reserved";

#[derive(sqlx::FromRow)]
struct GroupRow {
    application_name: String,
    usename: Option<String>,
    active: i64,
    idle: i64,
    idle_in_transaction: i64,
    aborted: i64,
    other: i64,
    oldest_idle: Option<f64>,
    oldest_idle_in_transaction: Option<f64>,
}

pub(crate) async fn connection_status(
    conn: &mut PgConnection,
) -> Result<ConnectionStatus, sqlx::Error> {
    let (max_connections, reserved): (i64, i64) =
        sqlx::query_as(LIMITS).fetch_one(&mut *conn).await?;
    let rows: Vec<GroupRow> = sqlx::query_as(GROUPS).fetch_all(&mut *conn).await?;

    let mut status = ConnectionStatus::new(to_u32(max_connections), to_u32(reserved));
    for row in rows {
        let counts = StateCounts {
            active: to_u32(row.active),
            idle: to_u32(row.idle),
            idle_in_transaction: to_u32(row.idle_in_transaction),
            idle_in_transaction_aborted: to_u32(row.aborted),
            other: to_u32(row.other),
        };
        add(&mut status.counts, &counts);
        status.oldest_idle = oldest(status.oldest_idle, row.oldest_idle);
        status.oldest_idle_in_transaction = oldest(
            status.oldest_idle_in_transaction,
            row.oldest_idle_in_transaction,
        );
        status.groups.push(ConnectionGroup {
            application_name: row.application_name,
            user: row.usename,
            counts,
        });
    }
    status.groups.sort_by(|a, b| {
        b.counts
            .total()
            .cmp(&a.counts.total())
            .then_with(|| a.application_name.cmp(&b.application_name))
            .then_with(|| a.user.cmp(&b.user))
    });
    Ok(status)
}

fn add(total: &mut StateCounts, more: &StateCounts) {
    total.active += more.active;
    total.idle += more.idle;
    total.idle_in_transaction += more.idle_in_transaction;
    total.idle_in_transaction_aborted += more.idle_in_transaction_aborted;
    total.other += more.other;
}

fn oldest(current: Option<Duration>, seconds: Option<f64>) -> Option<Duration> {
    let candidate = seconds.and_then(seconds_to_duration);
    match (current, candidate) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Seconds (possibly slightly negative from clock jitter) to a duration.
pub(crate) fn seconds_to_duration(seconds: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(seconds.max(0.0)).ok()
}

/// A server count to `u32`, saturating.
pub(crate) fn to_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_takes_the_larger_age() {
        assert_eq!(oldest(None, None), None);
        assert_eq!(oldest(None, Some(2.5)), Some(Duration::from_millis(2500)));
        assert_eq!(
            oldest(Some(Duration::from_secs(3)), Some(1.0)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(oldest(None, Some(-0.001)), Some(Duration::ZERO));
        assert_eq!(oldest(None, Some(f64::NAN)), Some(Duration::ZERO));
    }

    #[test]
    fn counts_saturate() {
        assert_eq!(to_u32(-1), 0);
        assert_eq!(to_u32(i64::MAX), u32::MAX);
        assert_eq!(to_u32(7), 7);
    }
}
