//! In-memory `DatabaseDiagnostics`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use ir_core::error::{Error, Result};
use ir_core::model::{ConnectionStatus, PgBouncerPool, PoolStatus, SlowQueries};
use ir_core::ports::{
    BackendInfo, DatabaseDiagnostics, PgBouncerStats, RefusalReason, TerminateRequest,
    TerminationReport,
};

use crate::lock;

/// A server backend the [`InMemoryDatabase`] holds, with what the termination guards need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryBackend {
    /// What a report shows.
    pub info: BackendInfo,
    /// Whether its role is a superuser (never terminated).
    pub superuser: bool,
    /// Whether it is a client backend (others, such as replication, are never terminated).
    pub client_backend: bool,
}

impl MemoryBackend {
    /// An ordinary client connection of `user` and `application_name`, `idle` for `idle_for`.
    pub fn idle(
        pid: i32,
        user: impl Into<String>,
        application_name: impl Into<String>,
        idle_for: Duration,
    ) -> Self {
        Self {
            info: BackendInfo {
                pid,
                user: Some(user.into()),
                application_name: application_name.into(),
                state: "idle".into(),
                idle_for,
            },
            superuser: false,
            client_backend: true,
        }
    }

    /// Makes it a superuser's connection.
    pub fn superuser(mut self) -> Self {
        self.superuser = true;
        self
    }

    /// Makes it a backend that is not a client's (a walsender, a background worker).
    pub fn not_client(mut self) -> Self {
        self.client_backend = false;
        self
    }

    /// Sets its state (`idle` by default; only `idle` backends are terminated).
    pub fn in_state(mut self, state: impl Into<String>) -> Self {
        self.info.state = state.into();
        self
    }
}

#[derive(Debug)]
struct DatabaseState {
    status: ConnectionStatus,
    backends: Vec<MemoryBackend>,
    pool: Option<PoolStatus>,
    pgbouncer: Option<(Vec<PgBouncerPool>, Vec<PgBouncerStats>)>,
    slow_queries: SlowQueries,
}

/// A `DatabaseDiagnostics` answering from a configured [`ConnectionStatus`] and list of
/// backends.
///
/// `terminate_idle` matches backends as PostgreSQL would (`idle` for longer than the
/// threshold, the application name and role filters), refuses superusers' and non-client
/// backends, and, unless it is a dry run, removes the terminated ones and takes them out of
/// the status's `idle` counts (overall and of their group). The status itself is what was
/// configured: count the backends in it. Without a pool or PgBouncer configured, those calls are
/// `Unsupported`; slow queries default to an empty `Available` list.
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::ConnectionStatus;
/// use ir_core::ports::{DatabaseDiagnostics, TerminateRequest};
/// use ir_testkit::{InMemoryDatabase, MemoryBackend};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ir_core::Result<()> {
/// let mut status = ConnectionStatus::new(100, 3);
/// status.counts.idle = 2;
/// let db = InMemoryDatabase::new(status);
/// db.add_backend(MemoryBackend::idle(101, "app", "web", Duration::from_secs(3600)));
/// db.add_backend(MemoryBackend::idle(102, "postgres", "psql", Duration::from_secs(3600)).superuser());
///
/// let report = db.terminate_idle(&TerminateRequest::idle_longer_than(Duration::from_secs(600))).await?;
/// assert_eq!(report.terminated.len(), 1);
/// assert_eq!(report.refused.len(), 1);
/// assert_eq!(db.connection_status().await?.counts.idle, 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InMemoryDatabase {
    state: Arc<Mutex<DatabaseState>>,
}

impl InMemoryDatabase {
    /// A database reporting `status`, holding no backend yet.
    pub fn new(status: ConnectionStatus) -> Self {
        Self {
            state: Arc::new(Mutex::new(DatabaseState {
                status,
                backends: Vec::new(),
                pool: None,
                pgbouncer: None,
                slow_queries: SlowQueries::Available(Vec::new()),
            })),
        }
    }

    /// Replaces the connection status.
    pub fn set_status(&self, status: ConnectionStatus) {
        lock(&self.state).status = status;
    }

    /// Adds a backend that `terminate_idle` may match.
    pub fn add_backend(&self, backend: MemoryBackend) {
        lock(&self.state).backends.push(backend);
    }

    /// The backends still there.
    pub fn backends(&self) -> Vec<MemoryBackend> {
        lock(&self.state).backends.clone()
    }

    /// Sets the application pool's status (`None`: `pool_status` is `Unsupported`).
    pub fn set_pool(&self, pool: Option<PoolStatus>) {
        lock(&self.state).pool = pool;
    }

    /// Sets what PgBouncer shows (`None`: the PgBouncer calls are `Unsupported`).
    pub fn set_pgbouncer(&self, pgbouncer: Option<(Vec<PgBouncerPool>, Vec<PgBouncerStats>)>) {
        lock(&self.state).pgbouncer = pgbouncer;
    }

    /// Sets what `slow_queries` answers (a list is cut to the limit asked for).
    pub fn set_slow_queries(&self, slow_queries: SlowQueries) {
        lock(&self.state).slow_queries = slow_queries;
    }
}

fn unsupported(message: &str, operation: &'static str) -> Error {
    Error::unsupported(message)
        .with_provider("memory")
        .with_operation(operation)
}

fn matches(backend: &MemoryBackend, request: &TerminateRequest) -> bool {
    let info = &backend.info;
    info.state == "idle"
        && info.idle_for > request.older_than
        && request
            .application_name
            .as_ref()
            .is_none_or(|a| &info.application_name == a)
        && request
            .user
            .as_ref()
            .is_none_or(|u| info.user.as_ref() == Some(u))
}

#[async_trait]
impl DatabaseDiagnostics for InMemoryDatabase {
    async fn connection_status(&self) -> Result<ConnectionStatus> {
        Ok(lock(&self.state).status.clone())
    }

    async fn pool_status(&self) -> Result<PoolStatus> {
        lock(&self.state)
            .pool
            .ok_or_else(|| unsupported("no application pool was configured", "pool_status"))
    }

    async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
        lock(&self.state)
            .pgbouncer
            .as_ref()
            .map(|(pools, _)| pools.clone())
            .ok_or_else(|| unsupported("no PgBouncer is configured", "pgbouncer_pools"))
    }

    async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
        lock(&self.state)
            .pgbouncer
            .as_ref()
            .map(|(_, stats)| stats.clone())
            .ok_or_else(|| unsupported("no PgBouncer is configured", "pgbouncer_stats"))
    }

    async fn terminate_idle(&self, request: &TerminateRequest) -> Result<TerminationReport> {
        let mut state = lock(&self.state);
        let mut candidates: Vec<MemoryBackend> = state
            .backends
            .iter()
            .filter(|b| matches(b, request))
            .cloned()
            .collect();
        // Oldest first, as the PostgreSQL implementation orders them.
        candidates.sort_by(|a, b| {
            b.info
                .idle_for
                .cmp(&a.info.idle_for)
                .then(a.info.pid.cmp(&b.info.pid))
        });
        let mut report = TerminationReport {
            dry_run: request.dry_run,
            ..TerminationReport::default()
        };
        for backend in candidates {
            if !backend.client_backend {
                report
                    .refused
                    .push((backend.info, RefusalReason::NotClientBackend));
            } else if backend.superuser {
                report
                    .refused
                    .push((backend.info, RefusalReason::Superuser));
            } else {
                report.terminated.push(backend.info);
            }
        }
        if !request.dry_run {
            let gone: Vec<i32> = report.terminated.iter().map(|b| b.pid).collect();
            state.backends.retain(|b| !gone.contains(&b.info.pid));
            for info in &report.terminated {
                state.status.counts.idle = state.status.counts.idle.saturating_sub(1);
                if let Some(group) =
                    state.status.groups.iter_mut().find(|g| {
                        g.application_name == info.application_name && g.user == info.user
                    })
                {
                    group.counts.idle = group.counts.idle.saturating_sub(1);
                }
            }
            state
                .status
                .groups
                .sort_by_key(|g| std::cmp::Reverse(g.counts.total()));
        }
        Ok(report)
    }

    async fn slow_queries(&self, limit: usize) -> Result<SlowQueries> {
        Ok(match &lock(&self.state).slow_queries {
            SlowQueries::Available(queries) => {
                SlowQueries::Available(queries.iter().take(limit).cloned().collect())
            }
            other => other.clone(),
        })
    }
}
