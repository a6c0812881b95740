//! `DatabaseDiagnostics`: connection and pool status, PgBouncer, DSN check, idle-connection
//! termination and slow queries.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Connections counted by state, for client backends only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCounts {
    /// `active`.
    pub active: u32,
    /// `idle`.
    pub idle: u32,
    /// `idle in transaction`.
    pub idle_in_transaction: u32,
    /// `idle in transaction (aborted)`.
    pub idle_in_transaction_aborted: u32,
    /// Any other state (`fastpath function call`, `disabled`, unknown).
    pub other: u32,
}

impl StateCounts {
    /// All client connections.
    pub fn total(&self) -> u32 {
        self.active
            + self.idle
            + self.idle_in_transaction
            + self.idle_in_transaction_aborted
            + self.other
    }
}

/// Connections of one application name and user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionGroup {
    /// `application_name` (empty when unset).
    pub application_name: String,
    /// Role name, when visible.
    pub user: Option<String>,
    /// Counts by state.
    pub counts: StateCounts,
}

/// How close the server is to refusing connections ("too many clients already").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConnectionStatus {
    /// `max_connections`.
    pub max_connections: u32,
    /// Slots reserved for superusers and reserved roles.
    pub reserved_connections: u32,
    /// Client connections by state.
    pub counts: StateCounts,
    /// Age of the oldest `idle` connection (since its last state change).
    pub oldest_idle: Option<Duration>,
    /// Age of the oldest `idle in transaction` connection.
    pub oldest_idle_in_transaction: Option<Duration>,
    /// Per application name and user, largest first.
    pub groups: Vec<ConnectionGroup>,
}

impl ConnectionStatus {
    /// A status with no connection counted yet, for adapters to fill in (the struct is
    /// `#[non_exhaustive]`).
    pub fn new(max_connections: u32, reserved_connections: u32) -> Self {
        Self {
            max_connections,
            reserved_connections,
            counts: StateCounts::default(),
            oldest_idle: None,
            oldest_idle_in_transaction: None,
            groups: Vec::new(),
        }
    }

    /// Slots left for ordinary roles before "too many clients".
    pub fn headroom(&self) -> u32 {
        self.max_connections
            .saturating_sub(self.reserved_connections)
            .saturating_sub(self.counts.total())
    }

    /// Share of the ordinary slots in use (0..=1, or more when reserved slots are used).
    pub fn utilisation(&self) -> f64 {
        let usable = self
            .max_connections
            .saturating_sub(self.reserved_connections);
        if usable == 0 {
            return 1.0;
        }
        f64::from(self.counts.total()) / f64::from(usable)
    }
}

/// The application's own connection pool, as the caller's pool reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolStatus {
    /// Connections currently open (idle + in use).
    pub size: u32,
    /// Open and idle.
    pub idle: u32,
    /// The pool's maximum.
    pub max: u32,
}

impl PoolStatus {
    /// Connections in use.
    pub fn in_use(&self) -> u32 {
        self.size.saturating_sub(self.idle)
    }

    /// Whether every connection the pool may open is in use.
    pub fn is_exhausted(&self) -> bool {
        self.max > 0 && self.size >= self.max && self.idle == 0
    }
}

/// One row of PgBouncer's `SHOW POOLS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PgBouncerPool {
    /// Database.
    pub database: String,
    /// User.
    pub user: String,
    /// Clients linked to a server connection.
    pub cl_active: u64,
    /// Clients waiting for a server connection.
    pub cl_waiting: u64,
    /// Server connections in use.
    pub sv_active: u64,
    /// Idle server connections.
    pub sv_idle: u64,
    /// Server connections idle longer than `server_check_delay`.
    pub sv_used: u64,
    /// How long the oldest waiting client has waited.
    pub maxwait: Duration,
    /// `session`, `transaction` or `statement`, when reported.
    pub pool_mode: Option<String>,
}

impl PgBouncerPool {
    /// An empty pool row for `database` and `user`.
    pub fn new(database: impl Into<String>, user: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            user: user.into(),
            cl_active: 0,
            cl_waiting: 0,
            sv_active: 0,
            sv_idle: 0,
            sv_used: 0,
            maxwait: Duration::ZERO,
            pool_mode: None,
        }
    }

    /// Whether clients are queueing: the pool-saturation signal.
    pub fn is_saturated(&self) -> bool {
        self.cl_waiting > 0
    }
}

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

/// Where a `DATABASE_URL` points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DsnRoute {
    /// Through PgBouncer (port 6432): what the runbook requires.
    PgBouncer,
    /// Straight to PostgreSQL (port 5432, or no port given).
    Direct,
    /// Some other port.
    OtherPort,
}

/// The result of checking a `DATABASE_URL`. Holds no password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsnCheck {
    /// Host.
    pub host: String,
    /// Port (5432 when the URL gives none).
    pub port: u16,
    /// Database name, when given.
    pub database: Option<String>,
    /// User, when given.
    pub user: Option<String>,
    /// Where it goes.
    pub route: DsnRoute,
}

impl DsnCheck {
    /// Whether the URL goes through PgBouncer, as the runbook requires.
    pub fn uses_pgbouncer(&self) -> bool {
        self.route == DsnRoute::PgBouncer
    }
}

/// Parses a PostgreSQL URL (`postgres://` or `postgresql://`) and says whether it goes through
/// PgBouncer (6432) or straight to PostgreSQL (5432). The password never leaves this function,
/// not even in an error.
///
/// ```
/// use ir_core::ports::{check_dsn, DsnRoute};
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

/// One statement from `pg_stat_statements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowQuery {
    /// Normalised query text.
    pub query: String,
    /// Times executed.
    pub calls: u64,
    /// Total execution time.
    #[serde(with = "humantime_serde")]
    pub total_time: Duration,
    /// Mean execution time.
    #[serde(with = "humantime_serde")]
    pub mean_time: Duration,
    /// Rows returned or affected.
    pub rows: u64,
}

/// Slow queries, or why there are none to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "queries")]
#[non_exhaustive]
pub enum SlowQueries {
    /// The `pg_stat_statements` extension is not installed in this database.
    ExtensionMissing,
    /// The extension is installed but not loaded through `shared_preload_libraries`.
    NotPreloaded,
    /// The slowest statements by mean time, slowest first.
    Available(Vec<SlowQuery>),
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
