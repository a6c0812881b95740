//! PgBouncer's admin console: `SHOW POOLS` and `SHOW STATS`, parsed by column name.
//!
//! Column sets differ between versions (1.7 has `total_requests` where 1.8+ has
//! `total_query_count`; `maxwait_us` arrived in 1.8, `cl_active_cancel_req` later), so every
//! column is looked up by name, unknown ones are ignored, and optional ones may be missing.
//! The console speaks only the simple query protocol, and its numbers arrive as text.

use std::time::Duration;

use ir_core::clock::Clock;
use ir_core::model::PgBouncerPool;
use ir_core::ports::PgBouncerStats;
use ir_core::{Error, ErrorKind, Result};
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{Column, ConnectOptions, Connection, Row, ValueRef};

use crate::client::{error, map_sqlx};

/// A console answer: column names and text values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Table {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Option<String>>>,
}

impl Table {
    fn from_rows(rows: &[PgRow]) -> std::result::Result<Self, sqlx::Error> {
        let mut table = Table::default();
        if let Some(first) = rows.first() {
            table.columns = first
                .columns()
                .iter()
                .map(|c| c.name().to_owned())
                .collect();
        }
        for row in rows {
            let mut values = Vec::with_capacity(row.len());
            for index in 0..row.len() {
                let raw = row.try_get_raw(index)?;
                values.push(if raw.is_null() {
                    None
                } else {
                    Some(
                        raw.as_str()
                            .map_err(|source| sqlx::Error::ColumnDecode {
                                index: index.to_string(),
                                source,
                            })?
                            .to_owned(),
                    )
                });
            }
            table.rows.push(values);
        }
        Ok(table)
    }

    /// Parses `psql --csv` output (header line, then rows; an empty field is NULL). PgBouncer's
    /// values never contain commas or quotes, so no quoting is handled.
    #[cfg(test)]
    pub(crate) fn from_csv(text: &str) -> Self {
        let mut lines = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'));
        let columns = lines
            .next()
            .map(|h| h.split(',').map(str::to_owned).collect())
            .unwrap_or_default();
        let rows = lines
            .map(|l| {
                l.split(',')
                    .map(|v| (!v.is_empty()).then(|| v.to_owned()))
                    .collect()
            })
            .collect();
        Table { columns, rows }
    }
}

/// Runs `command` on the admin console on a fresh connection (console connections are cheap,
/// and a pooled one could be cut by `RELOAD`).
pub(crate) async fn show(
    options: &PgConnectOptions,
    clock: &dyn Clock,
    timeout: Duration,
    operation: &'static str,
    command: &'static str,
) -> Result<Table> {
    let run = async {
        let mut conn = options.connect().await?;
        let rows = sqlx::raw_sql(command).fetch_all(&mut conn).await?;
        drop(conn.close().await);
        Table::from_rows(&rows)
    };
    match clock.timeout(timeout, run).await {
        Ok(Err(e)) if is_plain_postgres(&e) => {
            let mapped = map_sqlx(operation, e);
            Err(error(
                operation,
                ErrorKind::Config,
                format!(
                    "PGBOUNCER_ADMIN_URL is not a PgBouncer admin console: the server it points \
                     at answered {command} as a plain PostgreSQL database would ({}); point it \
                     at PgBouncer's `pgbouncer` database, e.g. postgres://admin@host:6432/pgbouncer",
                    mapped.message()
                ),
            )
            .with_source(mapped))
        }
        Ok(result) => result.map_err(|e| map_sqlx(operation, e)),
        Err(_) => Err(error(
            operation,
            ErrorKind::Timeout,
            format!("PgBouncer did not answer {command} within {timeout:?}"),
        )),
    }
}

/// Whether `SHOW POOLS`/`SHOW STATS` failed as PostgreSQL itself fails them: SQLSTATE 42704,
/// `unrecognized configuration parameter "pools"`. PgBouncer's console never says that.
fn is_plain_postgres(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("42704"))
}

/// One row, looked up by column name.
struct Fields<'t> {
    table: &'t Table,
    row: &'t [Option<String>],
    operation: &'static str,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        let index = self.table.columns.iter().position(|c| c == name)?;
        self.row.get(index)?.as_deref()
    }

    fn text(&self, name: &str) -> Result<String> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| self.missing(name))
    }

    fn number(&self, name: &str) -> Result<u64> {
        self.optional_number(name)?
            .ok_or_else(|| self.missing(name))
    }

    /// A count, or `None` when this version has no such column.
    fn optional_number(&self, name: &str) -> Result<Option<u64>> {
        self.get(name)
            .map(|v| parse_number(v).ok_or_else(|| self.bad(name, v)))
            .transpose()
    }

    fn missing(&self, name: &str) -> Error {
        error(
            self.operation,
            ErrorKind::Protocol,
            format!("PgBouncer's answer has no value for column {name:?}"),
        )
    }

    fn bad(&self, name: &str, value: &str) -> Error {
        error(
            self.operation,
            ErrorKind::Protocol,
            format!("PgBouncer's column {name:?} holds {value:?}, not a count"),
        )
    }
}

/// A non-negative count as PgBouncer prints it: an integer, or a numeric that may carry a
/// fraction (newer versions type some columns `numeric`), rounded down.
fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let (whole, fraction) = text.split_once('.')?;
    (fraction.chars().all(|c| c.is_ascii_digit())).then_some(())?;
    whole.parse::<u64>().ok()
}

fn rows<'t>(table: &'t Table, operation: &'static str) -> impl Iterator<Item = Fields<'t>> + 't {
    table.rows.iter().map(move |row| Fields {
        table,
        row,
        operation,
    })
}

/// `SHOW POOLS`. Required: `database`, `user`, `cl_active`, `cl_waiting`, `sv_active`,
/// `sv_idle`, `sv_used`, `maxwait`; `maxwait_us` (1.8+) and `pool_mode` are used when present.
pub(crate) fn parse_pools(table: &Table) -> Result<Vec<PgBouncerPool>> {
    rows(table, "pgbouncer_pools")
        .map(|f| {
            let mut pool = PgBouncerPool::new(f.text("database")?, f.text("user")?);
            pool.cl_active = f.number("cl_active")?;
            pool.cl_waiting = f.number("cl_waiting")?;
            pool.sv_active = f.number("sv_active")?;
            pool.sv_idle = f.number("sv_idle")?;
            pool.sv_used = f.number("sv_used")?;
            let seconds = f.number("maxwait")?;
            let micros = f.optional_number("maxwait_us")?.unwrap_or(0);
            pool.maxwait = Duration::from_secs(seconds)
                .checked_add(Duration::from_micros(micros))
                .ok_or_else(|| {
                    error(
                        "pgbouncer_pools",
                        ErrorKind::Protocol,
                        format!(
                            "PgBouncer's maxwait {seconds} s and maxwait_us {micros} add up to more \
                             than a duration holds"
                        ),
                    )
                })?;
            pool.pool_mode = f.get("pool_mode").map(str::to_owned);
            Ok(pool)
        })
        .collect()
}

/// `SHOW STATS`. Only `database` is required; 1.7's `total_requests`/`avg_query` stand in for
/// 1.8's `total_query_count`/`avg_query_time`.
pub(crate) fn parse_stats(table: &Table) -> Result<Vec<PgBouncerStats>> {
    rows(table, "pgbouncer_stats")
        .map(|f| {
            let first = |names: &[&str]| -> Result<Option<u64>> {
                for name in names {
                    if let Some(v) = f.optional_number(name)? {
                        return Ok(Some(v));
                    }
                }
                Ok(None)
            };
            let mut stats = PgBouncerStats::new(f.text("database")?);
            stats.total_xact_count = first(&["total_xact_count"])?;
            stats.total_query_count = first(&["total_query_count", "total_requests"])?;
            stats.total_wait_time_us = first(&["total_wait_time"])?;
            stats.avg_xact_count = first(&["avg_xact_count"])?;
            stats.avg_query_time_us = first(&["avg_query_time", "avg_query"])?;
            stats.avg_wait_time_us = first(&["avg_wait_time"])?;
            Ok(stats)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOLS_1_18: &str = include_str!("../tests/resources/pgbouncer/1.18/show_pools.csv");
    const STATS_1_18: &str = include_str!("../tests/resources/pgbouncer/1.18/show_stats.csv");
    const POOLS_1_7: &str = include_str!("../tests/resources/pgbouncer/1.7/show_pools.csv");
    const STATS_1_7: &str = include_str!("../tests/resources/pgbouncer/1.7/show_stats.csv");

    fn pool<'p>(pools: &'p [PgBouncerPool], database: &str) -> &'p PgBouncerPool {
        pools.iter().find(|p| p.database == database).unwrap()
    }

    #[test]
    fn show_pools_1_18_recorded() {
        let pools = parse_pools(&Table::from_csv(POOLS_1_18)).unwrap();
        assert_eq!(pools.len(), 3);
        let waiting = pool(&pools, "ir_waiting");
        assert_eq!(waiting.user, "postgres");
        assert_eq!((waiting.cl_active, waiting.cl_waiting), (1, 1));
        assert_eq!(
            (waiting.sv_active, waiting.sv_idle, waiting.sv_used),
            (1, 0, 0)
        );
        assert_eq!(waiting.maxwait, Duration::from_micros(2_969_829));
        assert_eq!(waiting.pool_mode.as_deref(), Some("session"));
        assert!(waiting.is_saturated());
        let test = pool(&pools, "test");
        assert!(!test.is_saturated());
        assert_eq!(test.maxwait, Duration::ZERO);
        assert_eq!(
            pool(&pools, "pgbouncer").pool_mode.as_deref(),
            Some("statement")
        );
    }

    #[test]
    fn show_stats_1_18_recorded() {
        let stats = parse_stats(&Table::from_csv(STATS_1_18)).unwrap();
        let test = stats.iter().find(|s| s.database == "test").unwrap();
        assert_eq!(test.total_xact_count, Some(1));
        assert_eq!(test.total_query_count, Some(1));
        assert_eq!(test.total_wait_time_us, Some(3294));
        assert_eq!(test.avg_wait_time_us, Some(420));
        assert_eq!(test.avg_query_time_us, Some(0));
    }

    #[test]
    fn show_pools_1_7_column_set() {
        let pools = parse_pools(&Table::from_csv(POOLS_1_7)).unwrap();
        let app = pool(&pools, "app");
        assert_eq!(app.cl_waiting, 12);
        // 1.7 has no maxwait_us: whole seconds only.
        assert_eq!(app.maxwait, Duration::from_secs(7));
        assert_eq!(app.pool_mode.as_deref(), Some("transaction"));
        assert!(app.is_saturated());
    }

    #[test]
    fn show_stats_1_7_column_set() {
        let stats = parse_stats(&Table::from_csv(STATS_1_7)).unwrap();
        let app = stats.iter().find(|s| s.database == "app").unwrap();
        assert_eq!(app.total_query_count, Some(183_922));
        assert_eq!(app.avg_query_time_us, Some(2_311));
        // Columns 1.7 does not have.
        assert_eq!(app.total_xact_count, None);
        assert_eq!(app.total_wait_time_us, None);
        assert_eq!(app.avg_wait_time_us, None);
    }

    #[test]
    fn a_missing_required_column_is_a_protocol_error() {
        let table = Table::from_csv("database,user,cl_active\napp,app,1\n");
        let err = parse_pools(&table).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert_eq!(err.operation(), Some("pgbouncer_pools"));
        assert!(err.to_string().contains("cl_waiting"), "{err}");
    }

    #[test]
    fn a_garbled_count_is_a_protocol_error() {
        let header = "database,user,cl_active,cl_waiting,sv_active,sv_idle,sv_used,maxwait";
        let table = Table::from_csv(&format!("{header}\napp,app,1,many,0,0,0,0\n"));
        let err = parse_pools(&table).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.to_string().contains("\"many\""), "{err}");
    }

    /// Garbled console output with the largest counts overflows a duration: a Protocol error,
    /// not a panic. Each alone still parses.
    #[test]
    fn a_maxwait_too_large_for_a_duration_is_a_protocol_error() {
        let header =
            "database,user,cl_active,cl_waiting,sv_active,sv_idle,sv_used,maxwait,maxwait_us";
        let max = u64::MAX;
        let table = Table::from_csv(&format!("{header}\napp,app,1,0,0,0,0,{max},{max}\n"));
        let err = parse_pools(&table).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert_eq!(err.operation(), Some("pgbouncer_pools"));
        assert!(err.to_string().contains("maxwait"), "{err}");

        let table = Table::from_csv(&format!("{header}\napp,app,1,0,0,0,0,{max},0\n"));
        assert_eq!(
            parse_pools(&table).unwrap()[0].maxwait,
            Duration::from_secs(max)
        );
        let table = Table::from_csv(&format!("{header}\napp,app,1,0,0,0,0,0,{max}\n"));
        assert_eq!(
            parse_pools(&table).unwrap()[0].maxwait,
            Duration::from_micros(max)
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number("42.75"), Some(42));
        assert_eq!(parse_number(" 7 "), Some(7));
        for bad in ["-1", "", "1e3", "x", "1.2.3"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_empty_answer_is_no_rows() {
        assert!(parse_pools(&Table::default()).unwrap().is_empty());
        assert!(parse_stats(&Table::default()).unwrap().is_empty());
    }
}
