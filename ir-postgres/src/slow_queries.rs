//! Slow queries from `pg_stat_statements`, whose time columns were renamed in extension 1.8
//! (PostgreSQL 13): `total_time`/`mean_time` became `total_exec_time`/`mean_exec_time`. The
//! names are read from the catalog at run time.

use std::time::Duration;

use ir_core::model::{SlowQueries, SlowQuery};
use sqlx::PgConnection;

use crate::client::sqlstate;
use crate::connections::seconds_to_duration;

/// Which time columns a `pg_stat_statements` view has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeColumns {
    /// Extension 1.8 and later: `total_exec_time`, `mean_exec_time`.
    Exec,
    /// Before 1.8: `total_time`, `mean_time`.
    Legacy,
}

impl TimeColumns {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            TimeColumns::Exec => ("total_exec_time", "mean_exec_time"),
            TimeColumns::Legacy => ("total_time", "mean_time"),
        }
    }
}

/// Where the problem lies when the view cannot be used.
#[derive(Debug)]
pub(crate) enum SlowQueryError {
    /// The view has neither column set.
    UnknownColumns(Vec<String>),
    /// The server failed.
    Sql(sqlx::Error),
}

impl From<sqlx::Error> for SlowQueryError {
    fn from(e: sqlx::Error) -> Self {
        SlowQueryError::Sql(e)
    }
}

/// The schema the extension is installed in, if it is.
async fn extension_schema(conn: &mut PgConnection) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_extension e \
         JOIN pg_namespace n ON n.oid = e.extnamespace \
         WHERE e.extname = 'pg_stat_statements'",
    )
    .fetch_optional(conn)
    .await
}

/// The time columns of `schema.pg_stat_statements`, read from the catalog.
pub(crate) async fn detect_columns(
    conn: &mut PgConnection,
    schema: &str,
) -> Result<TimeColumns, SlowQueryError> {
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = $1 AND c.relname = 'pg_stat_statements' \
           AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(schema)
    .fetch_all(conn)
    .await?;
    let has = |name: &str| columns.iter().any(|c| c == name);
    if has("total_exec_time") && has("mean_exec_time") {
        Ok(TimeColumns::Exec)
    } else if has("total_time") && has("mean_time") {
        Ok(TimeColumns::Legacy)
    } else {
        Err(SlowQueryError::UnknownColumns(columns))
    }
}

/// Up to `limit` statements of `schema.pg_stat_statements`, slowest mean first.
pub(crate) async fn slowest(
    conn: &mut PgConnection,
    schema: &str,
    limit: usize,
) -> Result<SlowQueries, SlowQueryError> {
    let (total, mean) = detect_columns(conn, schema).await?.names();
    let sql = format!(
        "SELECT coalesce(query, '') AS query, calls::int8 AS calls, {total}::float8 AS total_ms, \
                {mean}::float8 AS mean_ms, rows::int8 AS rows \
         FROM {}.pg_stat_statements \
         ORDER BY {mean} DESC NULLS LAST \
         LIMIT $1",
        quote_ident(schema)
    );
    let rows: Result<Vec<StatementRow>, sqlx::Error> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(conn)
        .await;
    let rows = match rows {
        Err(sqlx::Error::Database(e))
            if e.code().as_deref() == Some(sqlstate::NOT_IN_PREREQUISITE_STATE) =>
        {
            // "pg_stat_statements must be loaded via shared_preload_libraries"
            return Ok(SlowQueries::NotPreloaded);
        }
        other => other?,
    };
    Ok(SlowQueries::Available(
        rows.into_iter()
            .map(|(query, calls, total_ms, mean_ms, rows)| SlowQuery {
                query,
                calls: u64::try_from(calls).unwrap_or(0),
                total_time: millis(total_ms),
                mean_time: millis(mean_ms),
                rows: u64::try_from(rows).unwrap_or(0),
            })
            .collect(),
    ))
}

/// query, calls, total ms, mean ms, rows.
type StatementRow = (String, i64, f64, f64, i64);

/// `pg_stat_statements`, wherever the extension is installed.
pub(crate) async fn slow_queries(
    conn: &mut PgConnection,
    limit: usize,
) -> Result<SlowQueries, SlowQueryError> {
    match extension_schema(conn).await? {
        None => Ok(SlowQueries::ExtensionMissing),
        Some(schema) => slowest(conn, &schema, limit).await,
    }
}

fn millis(ms: f64) -> Duration {
    seconds_to_duration(ms / 1000.0).unwrap_or(Duration::ZERO)
}

/// `name` as a quoted identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing;
    use sqlx::{Connection, Executor};

    /// A scratch schema holding a `pg_stat_statements` table with the given time columns and
    /// three statements, so detection and the query run on the real catalog whichever
    /// extension version (if any) the server has.
    async fn scratch(conn: &mut PgConnection, total: &str, mean: &str) -> String {
        let schema = testing::unique("ir_pgss");
        conn.execute(sqlx::AssertSqlSafe(format!(
            "CREATE SCHEMA {schema};
             CREATE TABLE {schema}.pg_stat_statements (
                 userid oid, dbid oid, queryid bigint, query text, calls bigint,
                 {total} double precision, min_x double precision, {mean} double precision,
                 rows bigint);
             INSERT INTO {schema}.pg_stat_statements (query, calls, {total}, {mean}, rows) VALUES
                 ('SELECT * FROM orders WHERE id = $1', 1000, 5000.0, 5.0, 1000),
                 ('SELECT pg_sleep($1)', 2, 4000.0, 2000.0, 2),
                 ('UPDATE carts SET total = $1', 10, 1500.0, 150.0, 10);"
        )))
        .await
        .unwrap();
        schema
    }

    async fn drop_schema(conn: &mut PgConnection, schema: &str) {
        conn.execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn detects_exec_time_columns_and_orders_by_mean() {
        let mut conn = testing::connect().await;
        let schema = scratch(&mut conn, "total_exec_time", "mean_exec_time").await;
        let detected = detect_columns(&mut conn, &schema).await;
        assert!(matches!(detected, Ok(TimeColumns::Exec)), "{detected:?}");
        let Ok(SlowQueries::Available(queries)) = slowest(&mut conn, &schema, 2).await else {
            panic!("expected queries");
        };
        drop_schema(&mut conn, &schema).await;
        assert_eq!(queries.len(), 2);
        assert_eq!(queries[0].query, "SELECT pg_sleep($1)");
        assert_eq!(queries[0].mean_time, Duration::from_secs(2));
        assert_eq!(queries[0].total_time, Duration::from_secs(4));
        assert_eq!((queries[0].calls, queries[0].rows), (2, 2));
        assert_eq!(queries[1].query, "UPDATE carts SET total = $1");
        assert_eq!(queries[1].mean_time, Duration::from_millis(150));
    }

    #[tokio::test]
    async fn detects_pre_1_8_time_columns() {
        let mut conn = testing::connect().await;
        let schema = scratch(&mut conn, "total_time", "mean_time").await;
        let detected = detect_columns(&mut conn, &schema).await;
        assert!(matches!(detected, Ok(TimeColumns::Legacy)), "{detected:?}");
        let result = slowest(&mut conn, &schema, 10).await;
        drop_schema(&mut conn, &schema).await;
        let Ok(SlowQueries::Available(queries)) = result else {
            panic!("expected queries, got {result:?}");
        };
        let means: Vec<_> = queries.iter().map(|q| q.mean_time.as_millis()).collect();
        assert_eq!(means, [2000, 150, 5]);
        assert_eq!(queries[2].total_time, Duration::from_secs(5));
    }

    #[tokio::test]
    async fn neither_column_set_is_reported_with_the_columns_found() {
        let mut conn = testing::connect().await;
        let schema = scratch(&mut conn, "total_plan_time", "mean_plan_time").await;
        let detected = detect_columns(&mut conn, &schema).await;
        drop_schema(&mut conn, &schema).await;
        match detected {
            Err(SlowQueryError::UnknownColumns(columns)) => {
                assert!(
                    columns.contains(&"total_plan_time".to_owned()),
                    "{columns:?}"
                );
            }
            other => panic!("expected UnknownColumns, got {other:?}"),
        }
    }

    /// In a database of its own: no extension, then the extension created. On a server without
    /// pg_stat_statements in `shared_preload_libraries` that is `NotPreloaded`; with it, the
    /// view answers.
    #[tokio::test]
    async fn missing_then_installed_extension_on_a_fresh_database() {
        let mut admin = testing::connect().await;
        let database = testing::unique("ir_pgss_db");
        admin
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .await
            .unwrap();
        let mut options: sqlx::postgres::PgConnectOptions =
            testing::database_url().parse().unwrap();
        options = options.database(&database);
        let mut conn = sqlx::ConnectOptions::connect(&options).await.unwrap();

        let missing = slow_queries(&mut conn, 5).await;
        conn.execute("CREATE EXTENSION pg_stat_statements")
            .await
            .unwrap();
        let preloaded: String =
            sqlx::query_scalar("SELECT current_setting('shared_preload_libraries')")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let detected = {
            let schema: String = sqlx::query_scalar(
                "SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
                 WHERE e.extname = 'pg_stat_statements'",
            )
            .fetch_one(&mut conn)
            .await
            .unwrap();
            detect_columns(&mut conn, &schema).await
        };
        let installed = slow_queries(&mut conn, 5).await;
        conn.close().await.unwrap();
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {database} WITH (FORCE)"
            )))
            .await
            .unwrap();

        assert!(
            matches!(missing, Ok(SlowQueries::ExtensionMissing)),
            "{missing:?}"
        );
        // PostgreSQL 13+ ships extension 1.8+, whose columns are total_exec_time.
        assert!(matches!(detected, Ok(TimeColumns::Exec)), "{detected:?}");
        if preloaded
            .split(',')
            .any(|l| l.trim() == "pg_stat_statements")
        {
            assert!(
                matches!(installed, Ok(SlowQueries::Available(_))),
                "{installed:?}"
            );
        } else {
            assert!(
                matches!(installed, Ok(SlowQueries::NotPreloaded)),
                "{installed:?}"
            );
        }
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("public"), "\"public\"");
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
    }

    #[test]
    fn milliseconds() {
        assert_eq!(millis(1500.0), Duration::from_millis(1500));
        assert_eq!(millis(-1.0), Duration::ZERO);
    }
}
