//! `DatabaseDiagnostics`: connection and pool status, PgBouncer, DSN check, idle-connection
//! termination and slow queries.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{ConnectionStatus, DsnCheck, DsnRoute, PgBouncerPool, PoolStatus, SlowQueries};

/// One row of PgBouncer's `SHOW STATS`. Columns missing in older versions are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PgBouncerStats {
    /// Database.
    pub database: String,
    /// Transactions since start.
    pub total_xact_count: Option<u64>,
    /// Queries since start.
    pub total_query_count: Option<u64>,
    /// Microseconds clients spent waiting for a server, since start.
    pub total_wait_time_us: Option<u64>,
    /// Average transactions per second in the last stats period.
    pub avg_xact_count: Option<u64>,
    /// Average query duration (µs) in the last stats period.
    pub avg_query_time_us: Option<u64>,
    /// Average wait (µs) in the last stats period.
    pub avg_wait_time_us: Option<u64>,
}

impl PgBouncerStats {
    /// A row for `database` with no column known.
    pub fn new(database: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            total_xact_count: None,
            total_query_count: None,
            total_wait_time_us: None,
            avg_xact_count: None,
            avg_query_time_us: None,
            avg_wait_time_us: None,
        }
    }
}

/// PgBouncer's default port.
pub const PGBOUNCER_PORT: u16 = 6432;
/// PostgreSQL's default port.
pub const POSTGRES_PORT: u16 = 5432;

/// Parses a PostgreSQL URL (`postgres://` or `postgresql://`) and says whether it goes through
/// PgBouncer (6432) or straight to PostgreSQL (5432). The password never leaves this function,
/// not even in an error.
///
/// ```
/// use ir_core::model::DsnRoute;
/// use ir_core::ports::check_dsn;
/// use secrecy::SecretString;
///
/// let check = check_dsn(&SecretString::from("postgresql://app:hunter2@db.internal:5432/web"))?;
/// assert_eq!(check.route, DsnRoute::Direct);
/// assert_eq!(check.port, 5432);
/// assert!(!format!("{check:?}").contains("hunter2"));
/// # Ok::<(), ir_core::Error>(())
/// ```
///
/// # Errors
/// `InvalidInput` when the value is not a PostgreSQL URL (the message does not quote it).
pub fn check_dsn(dsn: &SecretString) -> Result<DsnCheck> {
    let parsed = url::Url::parse(dsn.expose_secret().trim())
        .map_err(|e| Error::invalid_input(format!("DATABASE_URL is not a valid URL ({e})")))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(Error::invalid_input(format!(
            "DATABASE_URL has scheme {:?}, expected postgres or postgresql",
            parsed.scheme()
        )));
    }
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid_input("DATABASE_URL has no host"))?
        .to_owned();
    let port = parsed.port().unwrap_or(POSTGRES_PORT);
    let route = match port {
        PGBOUNCER_PORT => DsnRoute::PgBouncer,
        POSTGRES_PORT => DsnRoute::Direct,
        _ => DsnRoute::OtherPort,
    };
    let database = Some(parsed.path().trim_start_matches('/').to_owned()).filter(|d| !d.is_empty());
    let user = Some(parsed.username().to_owned()).filter(|u| !u.is_empty());
    Ok(DsnCheck {
        host,
        port,
        database,
        user,
        route,
    })
}

/// What to terminate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminateRequest {
    /// Only connections `idle` for longer than this.
    #[serde(with = "humantime_serde")]
    pub older_than: Duration,
    /// Only connections with this `application_name`.
    pub application_name: Option<String>,
    /// Only connections of this role.
    pub user: Option<String>,
    /// List what would be terminated without terminating.
    pub dry_run: bool,
}

impl TerminateRequest {
    /// Idle connections older than `older_than`, any application and user.
    pub fn idle_longer_than(older_than: Duration) -> Self {
        Self {
            older_than,
            application_name: None,
            user: None,
            dry_run: false,
        }
    }
}

/// A server backend (one connection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    /// Process id.
    pub pid: i32,
    /// Role name.
    pub user: Option<String>,
    /// `application_name`.
    pub application_name: String,
    /// Connection state.
    pub state: String,
    /// Time since the last state change.
    #[serde(with = "humantime_serde")]
    pub idle_for: Duration,
}

/// Why a backend was not terminated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason", content = "detail")]
#[non_exhaustive]
pub enum RefusalReason {
    /// It is one of the caller's own connections: the one doing the terminating, or another of
    /// its pools'.
    OwnBackend,
    /// It belongs to a superuser.
    Superuser,
    /// It is not a client backend (replication, autovacuum, ...).
    NotClientBackend,
    /// The server refused: permission denied (SQLSTATE 42501).
    PermissionDenied(String),
    /// It had already gone when the signal was sent.
    AlreadyGone,
    /// It was still there but no longer idle past the threshold when the signal was due (it ran
    /// a statement meanwhile), so it was left alone.
    NoLongerIdle,
}

/// What a termination did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminationReport {
    /// Whether this was a dry run (nothing was terminated).
    pub dry_run: bool,
    /// Terminated (or, in a dry run, would be terminated).
    pub terminated: Vec<BackendInfo>,
    /// Matched but left alone, with the reason.
    pub refused: Vec<(BackendInfo, RefusalReason)>,
}

/// Database diagnostics and the one mutation the runbook allows: terminating idle connections.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait DatabaseDiagnostics: Send + Sync + fmt::Debug + 'static {
    /// Client connections by state against `max_connections`.
    ///
    /// # Errors
    /// `Unavailable` when the server cannot be reached (this is itself evidence);
    /// `Unauthenticated`/`PermissionDenied`; `Timeout`.
    async fn connection_status(&self) -> Result<ConnectionStatus>;

    /// The application's own pool, when the implementation was given one.
    ///
    /// # Errors
    /// `Unsupported` when no pool was handed in.
    async fn pool_status(&self) -> Result<PoolStatus>;

    /// PgBouncer's `SHOW POOLS`.
    ///
    /// # Errors
    /// `Unsupported` when no PgBouncer admin connection is configured; otherwise as
    /// [`connection_status`](Self::connection_status).
    async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>>;

    /// PgBouncer's `SHOW STATS`.
    ///
    /// # Errors
    /// As [`pgbouncer_pools`](Self::pgbouncer_pools).
    async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>>;

    /// Terminates idle client connections matching `request`: never the caller's own backend,
    /// a superuser's, or a non-client backend. Refusals are reported, not raised.
    ///
    /// # Errors
    /// As [`connection_status`](Self::connection_status).
    async fn terminate_idle(&self, request: &TerminateRequest) -> Result<TerminationReport>;

    /// Up to `limit` statements from `pg_stat_statements`, slowest mean time first.
    ///
    /// # Errors
    /// As [`connection_status`](Self::connection_status). A missing extension is
    /// [`SlowQueries::ExtensionMissing`], not an error.
    async fn slow_queries(&self, limit: usize) -> Result<SlowQueries>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dsn_routes() {
        let cases = [
            ("postgres://u:p@h:6432/db", DsnRoute::PgBouncer, 6432),
            ("postgresql://u:p@h:5432/db", DsnRoute::Direct, 5432),
            ("postgresql://u:p@h/db", DsnRoute::Direct, 5432),
            ("postgres://h:6543/db", DsnRoute::OtherPort, 6543),
        ];
        for (dsn, route, port) in cases {
            let c = check_dsn(&SecretString::from(dsn)).unwrap();
            assert_eq!((c.route, c.port), (route, port), "{dsn}");
        }
    }

    #[test]
    fn bad_dsn_errors_never_quote_the_password() {
        for dsn in [
            "mysql://u:topsecret@h/db",
            "not a url topsecret",
            "postgres://u:topsecret@/db",
        ] {
            let err = check_dsn(&SecretString::from(dsn)).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
            assert!(!err.to_string().contains("topsecret"), "{err}");
            assert!(!format!("{err:?}").contains("topsecret"), "{err:?}");
        }
    }
}
