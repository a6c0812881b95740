//! [`PgDiagnostics`]: the [`DatabaseDiagnostics`] port on a real PostgreSQL.

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use ir_core::clock::Clock;
use ir_core::model::{ConnectionStatus, PgBouncerPool, PoolStatus, SlowQueries};
use ir_core::ports::{DatabaseDiagnostics, PgBouncerStats, TerminateRequest, TerminationReport};
use ir_core::{ErrorKind, Result};
use sqlx::PgPool;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, Postgres};
use tracing::Instrument;

use crate::client::{self, Client, error, map_sqlx};
use crate::config::PgConfig;
use crate::slow_queries::SlowQueryError;
use crate::terminate::BackendKey;
use crate::{connections, pgbouncer, slow_queries, terminate};

/// Our own pool's backends, recorded as each connection opens.
type OwnBackends = Arc<Mutex<HashSet<BackendKey>>>;

/// The one connection kept out of the pool for the diagnostics' lifetime, once it could be
/// made: a full server refuses a new one, and the pool's own `min_connections` does not keep
/// one ready between calls (a connection goes back to it on a spawned task, so the next call
/// may find none idle and try to open another).
type Kept = Arc<tokio::sync::Mutex<Option<PoolConnection<Postgres>>>>;

/// A connection for one call: the kept one, or (while another call uses it) one from the pool.
enum Conn {
    Kept(tokio::sync::OwnedMutexGuard<Option<PoolConnection<Postgres>>>),
    Pooled(PoolConnection<Postgres>),
}

impl std::ops::Deref for Conn {
    type Target = sqlx::PgConnection;

    fn deref(&self) -> &Self::Target {
        match self {
            // A `Kept` guard always holds a connection: `connection` fills it first.
            Self::Kept(guard) => guard.as_deref().unwrap_or_else(|| unreachable!()),
            Self::Pooled(conn) => conn,
        }
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Self::Kept(guard) => guard.as_deref_mut().unwrap_or_else(|| unreachable!()),
            Self::Pooled(conn) => conn,
        }
    }
}

/// Connection diagnostics, PgBouncer, idle-connection termination and slow queries on one
/// PostgreSQL server.
///
/// It keeps a small pool of its own, and holds one of its connections for its lifetime once it
/// could be made (shared by its clones), so the server can still be observed, and idle
/// connections terminated, when it is refusing new clients. Creating it opens nothing: an unreachable server shows up on each call as
/// `Unavailable`, which is itself evidence.
///
/// The role should have `pg_monitor` (or `pg_read_all_stats`) to see other roles' connection
/// states, and `pg_signal_backend` (or membership in the target roles) to terminate their
/// connections; without them states count as `other` and terminations are refused, as reported.
///
/// [`terminate_idle`](DatabaseDiagnostics::terminate_idle) reaches only connections to the
/// configured database (other databases on the same server belong to other services), and never
/// its own pool's connections nor the idle connections of the pools handed in with
/// [`with_app_pool`](Self::with_app_pool) and [`with_incident_store`](Self::with_incident_store).
#[derive(Clone)]
pub struct PgDiagnostics {
    client: Client,
    own: OwnBackends,
    kept: Kept,
    app_pool: Option<PgPool>,
    /// Other pools of this process whose connections are ours (an incident store's).
    other_pools: Vec<PgPool>,
    admin: Option<PgConnectOptions>,
    admin_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for PgDiagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgDiagnostics")
            .field("client", &self.client)
            .field("app_pool", &self.app_pool.as_ref().map(pool_status))
            .field(
                "pgbouncer_admin",
                &self
                    .admin
                    .as_ref()
                    .map(|o| format!("{}:{}", o.get_host(), o.get_port())),
            )
            .finish_non_exhaustive()
    }
}

impl PgDiagnostics {
    /// Diagnostics for the server in `config`. Opens no connection yet.
    ///
    /// # Errors
    /// `Config` when called outside a Tokio runtime (the pool's upkeep runs on it) or when a
    /// URL in `config` cannot be used.
    pub fn new(config: &PgConfig) -> Result<Self> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(error(
                "connect",
                ErrorKind::Config,
                "PgDiagnostics::new must be called inside a Tokio runtime",
            ));
        }
        let own = OwnBackends::default();
        let recorder = Arc::clone(&own);
        let statement_timeout = config.statement_timeout();
        let pool_options = PgPoolOptions::new()
            .min_connections(1)
            .after_connect(move |conn, _meta| {
                let own = Arc::clone(&recorder);
                Box::pin(async move {
                    client::prepare(conn, statement_timeout).await?;
                    let key: BackendKey = sqlx::query_as(
                        "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                    )
                    .fetch_one(conn)
                    .await?;
                    own.lock().unwrap_or_else(PoisonError::into_inner).insert(key);
                    Ok(())
                })
            });
        let client = Client::new(config, config.connect_options()?, pool_options);
        Ok(Self {
            client,
            own,
            kept: Kept::default(),
            app_pool: None,
            other_pools: Vec::new(),
            admin: config.admin_connect_options()?,
            admin_timeout: config.admin_timeout(),
            clock: Arc::clone(config.clock()),
        })
    }

    /// Hands in the application's own pool, so [`pool_status`](DatabaseDiagnostics::pool_status)
    /// can tell "our pool is exhausted" from "the server is full", and so
    /// [`terminate_idle`](DatabaseDiagnostics::terminate_idle) refuses its connections as
    /// [`OwnBackend`](ir_core::ports::RefusalReason::OwnBackend).
    ///
    /// During a termination the pool's idle connections are taken out of it for the few
    /// statements it lasts, to learn which backends they are; a connection the application holds
    /// at that moment cannot be identified (it is not idle in the pool), though one idle at the
    /// server past the threshold while checked out would be a leak of its own.
    pub fn with_app_pool(mut self, pool: PgPool) -> Self {
        self.app_pool = Some(pool);
        self
    }

    /// Hands in the incident store of this process, so
    /// [`terminate_idle`](DatabaseDiagnostics::terminate_idle) refuses its pool's connections as
    /// [`OwnBackend`](ir_core::ports::RefusalReason::OwnBackend) (as for
    /// [`with_app_pool`](Self::with_app_pool), its idle connections are identified).
    pub fn with_incident_store(mut self, store: &crate::PgIncidentStore) -> Self {
        self.other_pools.push(store.pool().clone());
        self
    }

    /// The kept connection (made, or remade when the server closed it, on first use), or a
    /// pooled one while a concurrent call holds the kept one.
    async fn connection(&self, operation: &'static str) -> Result<Conn> {
        let Ok(mut kept) = Arc::clone(&self.kept).try_lock_owned() else {
            return self.acquire(operation).await.map(Conn::Pooled);
        };
        if let Some(conn) = kept.as_mut() {
            if sqlx::Connection::ping(&mut **conn).await.is_err() {
                // Gone (terminated, server restarted): detach it so the pool forgets it.
                if let Some(dead) = kept.take() {
                    drop(dead.detach());
                }
            }
        }
        if kept.is_none() {
            *kept = Some(self.acquire(operation).await?);
        }
        Ok(Conn::Kept(kept))
    }

    async fn acquire(&self, operation: &'static str) -> Result<PoolConnection<Postgres>> {
        match self.client.pool.acquire().await {
            Ok(conn) => Ok(conn),
            Err(e) => Err(self.client.explain(operation, e).await),
        }
    }

    async fn admin_show(
        &self,
        operation: &'static str,
        command: &'static str,
    ) -> Result<pgbouncer::Table> {
        let options = self.admin.as_ref().ok_or_else(|| {
            error(
                operation,
                ErrorKind::Unsupported,
                "no PgBouncer admin console is configured (PGBOUNCER_ADMIN_URL)",
            )
        })?;
        pgbouncer::show(
            options,
            self.clock.as_ref(),
            self.admin_timeout,
            operation,
            command,
        )
        .await
    }

    /// Forgets recorded backends of ours that are gone, so the set stays as small as the pool.
    async fn prune_own(
        &self,
        conn: &mut sqlx::PgConnection,
    ) -> std::result::Result<(), sqlx::Error> {
        let live: Vec<BackendKey> = sqlx::query_as(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE backend_start IS NOT NULL",
        )
        .fetch_all(conn)
        .await?;
        let live: HashSet<BackendKey> = live.into_iter().collect();
        self.own
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key| live.contains(key));
        Ok(())
    }

    fn own_backends(&self) -> HashSet<BackendKey> {
        self.own
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

fn pool_status(pool: &PgPool) -> PoolStatus {
    PoolStatus {
        size: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
    }
}

fn span(operation: &'static str) -> tracing::Span {
    tracing::info_span!("postgres", provider = "postgres", operation)
}

#[async_trait]
impl DatabaseDiagnostics for PgDiagnostics {
    async fn connection_status(&self) -> Result<ConnectionStatus> {
        const OP: &str = "connection_status";
        async {
            let mut conn = self.connection(OP).await?;
            connections::connection_status(&mut conn)
                .await
                .map_err(|e| map_sqlx(OP, e))
        }
        .instrument(span(OP))
        .await
    }

    async fn pool_status(&self) -> Result<PoolStatus> {
        self.app_pool.as_ref().map(pool_status).ok_or_else(|| {
            error(
                "pool_status",
                ErrorKind::Unsupported,
                "no application pool was handed in (PgDiagnostics::with_app_pool)",
            )
        })
    }

    async fn pgbouncer_pools(&self) -> Result<Vec<PgBouncerPool>> {
        const OP: &str = "pgbouncer_pools";
        async {
            let table = self.admin_show(OP, "SHOW POOLS").await?;
            pgbouncer::parse_pools(&table)
        }
        .instrument(span(OP))
        .await
    }

    async fn pgbouncer_stats(&self) -> Result<Vec<PgBouncerStats>> {
        const OP: &str = "pgbouncer_stats";
        async {
            let table = self.admin_show(OP, "SHOW STATS").await?;
            pgbouncer::parse_stats(&table)
        }
        .instrument(span(OP))
        .await
    }

    async fn terminate_idle(&self, request: &TerminateRequest) -> Result<TerminationReport> {
        const OP: &str = "terminate_idle";
        async {
            let mut conn = self.connection(OP).await?;
            self.prune_own(&mut conn)
                .await
                .map_err(|e| map_sqlx(OP, e))?;
            let report = terminate::terminate_idle(
                &mut conn,
                request,
                self.own_backends(),
                &self
                    .app_pool
                    .iter()
                    .chain(&self.other_pools)
                    .collect::<Vec<_>>(),
            )
            .await
            .map_err(|e| map_sqlx(OP, e))?;
            tracing::info!(
                dry_run = report.dry_run,
                terminated = report.terminated.len(),
                refused = report.refused.len(),
                "idle connections"
            );
            Ok(report)
        }
        .instrument(span(OP))
        .await
    }

    async fn slow_queries(&self, limit: usize) -> Result<SlowQueries> {
        const OP: &str = "slow_queries";
        async {
            let mut conn = self.connection(OP).await?;
            slow_queries::slow_queries(&mut conn, limit)
                .await
                .map_err(|e| match e {
                    SlowQueryError::Sql(e) => map_sqlx(OP, e),
                    SlowQueryError::UnknownColumns(columns) => error(
                        OP,
                        ErrorKind::Protocol,
                        format!(
                            "pg_stat_statements has neither total_exec_time nor total_time (columns: {})",
                            columns.join(", ")
                        ),
                    ),
                })
        }
        .instrument(span(OP))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use ir_core::ports::RefusalReason;
    use secrecy::SecretString;
    use sqlx::Connection;

    /// The pool's other connection, idle past the threshold and matching the request, is ours:
    /// refused, not terminated.
    #[tokio::test]
    async fn our_own_pooled_connections_are_never_terminated() {
        testing::connect().await;
        let app = testing::unique("ir_own");
        let config = PgConfig::builder(SecretString::from(testing::database_url()))
            .with_application_name(&app)
            .with_max_connections(3)
            .build()
            .unwrap();
        let diagnostics = PgDiagnostics::new(&config).unwrap();
        let mut first = diagnostics.client.pool.acquire().await.unwrap();
        let mut second = diagnostics.client.pool.acquire().await.unwrap();
        let mut pids = Vec::new();
        for conn in [&mut first, &mut second] {
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            pids.push(pid);
        }
        drop((first, second));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(diagnostics.own_backends().len(), 2);

        let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(1));
        request.application_name = Some(app.clone());
        let report = diagnostics.terminate_idle(&request).await.unwrap();

        assert!(report.terminated.is_empty(), "{report:?}");
        match &report.refused[..] {
            [(backend, RefusalReason::OwnBackend)] => assert!(pids.contains(&backend.pid)),
            other => panic!("expected one OwnBackend refusal, got {other:?}"),
        }
        let mut admin = testing::connect().await;
        let alive: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(&app)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert_eq!(alive, 2);
        admin.close().await.unwrap();
    }

    #[test]
    fn needs_a_runtime_rather_than_panicking() {
        let config = PgConfig::builder(SecretString::from("postgres://u:hunter2@h/db"))
            .build()
            .unwrap();
        let err = PgDiagnostics::new(&config).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[tokio::test]
    async fn debug_hides_the_password() {
        let config = PgConfig::builder(SecretString::from("postgres://u:hunter2@h/db"))
            .with_pgbouncer_admin_url(SecretString::from("postgres://a:s3cr3t@h:6432/pgbouncer"))
            .build()
            .unwrap();
        let text = format!("{:?}", PgDiagnostics::new(&config).unwrap());
        assert!(
            !text.contains("hunter2") && !text.contains("s3cr3t"),
            "{text}"
        );
    }
}
