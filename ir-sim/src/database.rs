//! `PoolExhausted`'s leak: real idle connections to PostgreSQL, named with the application's
//! `application_name`, so `ir-postgres` sees them in `pg_stat_activity` and can terminate them.
//! When PostgreSQL cannot be reached the simulator says so and keeps the leak in memory.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use tokio::sync::Mutex as AsyncMutex;

use crate::server::lock;

/// How long connecting may take before PostgreSQL counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How often the leak is counted again in `pg_stat_activity`.
const RECOUNT: Duration = Duration::from_millis(200);

/// Where the simulated application's database stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DatabaseStatus {
    /// The scenario needs no database.
    NotUsed,
    /// The leak is real: `held` connections named `application_name` are idle on the server.
    Connected {
        /// The server, without its password.
        server: String,
        /// The `application_name` the leaked connections carry.
        application_name: String,
        /// How many are still open (a terminated one is gone).
        held: u32,
    },
    /// PostgreSQL could not be reached: the leak exists in the simulator's memory only, so
    /// diagnose it with in-memory diagnostics (`ir_testkit::InMemoryDatabase`) and fix it
    /// with a restart.
    Unreachable {
        /// The server, without its password.
        server: String,
        /// What connecting said.
        reason: String,
    },
}

#[derive(Debug, Default)]
struct Held {
    leaked: Vec<PgConnection>,
    monitor: Option<PgConnection>,
    counted: Option<(Instant, u32)>,
}

/// The leaked connections and a monitor connection counting them.
#[derive(Debug)]
pub(crate) struct Database {
    held: AsyncMutex<Held>,
    status: std::sync::Mutex<DatabaseStatus>,
    application: String,
}

impl Database {
    pub(crate) fn unused(application: &str) -> Self {
        Self {
            held: AsyncMutex::new(Held::default()),
            status: std::sync::Mutex::new(DatabaseStatus::NotUsed),
            application: application.to_owned(),
        }
    }

    /// Opens `count` idle connections named `application` on `url` (and one monitor).
    pub(crate) async fn leak(url: &str, application: &str, count: u32) -> Self {
        let db = Self::unused(application);
        let server = ir_core::redact::redact(url).into_owned();
        match open(url, application, count).await {
            Ok((monitor, leaked)) => {
                tracing::info!(%server, application, count, "PoolExhausted: leaked real idle connections");
                *lock(&db.status) = DatabaseStatus::Connected {
                    server,
                    application_name: application.to_owned(),
                    held: count,
                };
                let mut held = db.held.lock().await;
                held.monitor = Some(monitor);
                held.leaked = leaked;
            }
            Err(reason) => {
                let message = format!(
                    "ir-sim PoolExhausted: PostgreSQL at {server} is unreachable ({reason}); the leak is simulated in memory only, so use in-memory database diagnostics (ir_testkit::InMemoryDatabase) and fix it with a restart"
                );
                tracing::error!("{message}");
                eprintln!("{message}");
                *lock(&db.status) = DatabaseStatus::Unreachable { server, reason };
            }
        }
        db
    }

    pub(crate) fn status(&self) -> DatabaseStatus {
        lock(&self.status).clone()
    }

    /// How many leaked connections are still open on the server; `None` when the leak is not
    /// real.
    pub(crate) async fn held(&self) -> Option<u32> {
        let mut held = self.held.lock().await;
        if let Some((at, n)) = held.counted
            && at.elapsed() < RECOUNT
        {
            return Some(n);
        }
        let monitor = held.monitor.as_mut()?;
        let count: Result<i64, _> = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND backend_type = 'client backend'",
        )
        .bind(&self.application)
        .fetch_one(monitor)
        .await;
        match count {
            Ok(n) => {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                held.counted = Some((Instant::now(), n));
                if let DatabaseStatus::Connected { held, .. } = &mut *lock(&self.status) {
                    *held = n;
                }
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not count the leaked connections");
                held.counted.map(|(_, n)| n)
            }
        }
    }

    /// Closes the leaked connections (the application restarted).
    pub(crate) async fn release(&self) {
        let mut held = self.held.lock().await;
        for conn in held.leaked.drain(..) {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "a leaked connection was already gone");
            }
        }
        held.counted = Some((Instant::now(), 0));
        if let DatabaseStatus::Connected { held, .. } = &mut *lock(&self.status) {
            *held = 0;
        }
    }

    /// Closes everything.
    pub(crate) async fn close(&self) {
        self.release().await;
        if let Some(monitor) = self.held.lock().await.monitor.take() {
            let _ = monitor.close().await;
        }
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

async fn open(
    url: &str,
    application: &str,
    count: u32,
) -> Result<(PgConnection, Vec<PgConnection>), String> {
    let options = PgConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    let monitor = connect(&options.clone().application_name("ir-sim-monitor")).await?;
    let leaking = options.application_name(application);
    let mut leaked = Vec::with_capacity(count as usize);
    for _ in 0..count {
        leaked.push(connect(&leaking).await?);
    }
    Ok((monitor, leaked))
}
