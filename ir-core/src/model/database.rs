//! Database connections, pools, PgBouncer pools, the `DATABASE_URL` route and slow queries, as
//! `DatabaseDiagnostics` reports them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

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
