//! # ir-postgres
//!
//! PostgreSQL for `ir`, on `sqlx` (async, nothing blocks):
//!
//! - [`PgDiagnostics`] implements [`DatabaseDiagnostics`](ir_core::ports::DatabaseDiagnostics):
//!   client connections by state against `max_connections` and the reserved slots, the
//!   application's own pool, PgBouncer's `SHOW POOLS`/`SHOW STATS`, the runbook's "kill idle
//!   connections" with its guards, and slow queries from `pg_stat_statements`.
//! - [`PgIncidentStore`] implements [`IncidentStore`](ir_core::ports::IncidentStore), so several
//!   replicas of a service share incidents: one incident per dedup key, appends with an
//!   expected version in one round trip (a conflict says the version to catch up to),
//!   incremental reads (`load_since`), action leases with expiry.
//! - The DSN check ("`DATABASE_URL` must use port 6432") is the pure
//!   [`ir_core::ports::check_dsn`]: it needs no database.
//!
//! ```no_run
//! use std::time::Duration;
//! use ir_core::ports::{check_dsn, DatabaseDiagnostics, IncidentStore, TerminateRequest};
//! use ir_postgres::{PgDiagnostics, PgIncidentStore, PgConfig};
//!
//! # async fn run() -> Result<(), ir_core::Error> {
//! let config = PgConfig::from_env()?; // DATABASE_URL, PGBOUNCER_ADMIN_URL, ...
//! if !check_dsn(config.database_url())?.uses_pgbouncer() {
//!     println!("DATABASE_URL bypasses PgBouncer");
//! }
//!
//! let diagnostics = PgDiagnostics::new(&config)?;
//! let status = diagnostics.connection_status().await?;
//! println!(
//!     "{} of {} connections in use, {} idle in transaction",
//!     status.counts.total(),
//!     status.max_connections,
//!     status.counts.idle_in_transaction
//! );
//!
//! // The runbook's "kill idle connections", listed first without terminating anything.
//! let mut request = TerminateRequest::idle_longer_than(Duration::from_secs(600));
//! request.dry_run = true;
//! let report = diagnostics.terminate_idle(&request).await?;
//! println!("would terminate {} connections", report.terminated.len());
//!
//! // The store every replica shares.
//! let store = PgIncidentStore::connect(&config).await?;
//! println!("{} incidents open", store.list_open().await?.len());
//! # Ok(())
//! # }
//! ```
//!
//! ## Configuration
//! [`PgConfig::builder`] takes what is required (the database URL); `with_*` setters change
//! the rest (`with_pgbouncer_admin_url`, `with_application_name`, `with_schema`, pool size,
//! timeouts, and `with_clock` for the clock our own timeouts are measured on);
//! [`PgConfig::from_env`] reads the variables it documents, through the public
//! [`PgConfig::from_lookup`].
//!
//! ## Errors
//!
//! Every failure is an [`ir_core::Error`] with provider `postgres` and the operation's name;
//! the sqlx error is its `source()`. Connection refused is `Unavailable`, "too many clients"
//! (SQLSTATE 53300) is `Unavailable` with the server's message, a busy pool is `Timeout`,
//! SQLSTATE 42501 is `PermissionDenied`, a stale append is `Conflict` (with
//! [`current_version`](ir_core::Error::current_version)), a stored event that
//! cannot be decoded is `Protocol`. No message, error or `Debug` output contains a password.
//!
//! ## Testing
//!
//! The tests run against a real PostgreSQL at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and a real PgBouncer at `PGBOUNCER_ADMIN_URL`
//! (default `postgres://postgres@127.0.0.1:6432/pgbouncer`); `./scripts/test.sh` starts both.

mod client;
mod config;
mod connections;
mod diagnostics;
#[doc(hidden)]
pub mod fuzzing;
mod pgbouncer;
mod slow_queries;
mod store;
mod terminate;

#[cfg(test)]
mod testing;

pub use config::{DEFAULT_APPLICATION_NAME, DEFAULT_SCHEMA, PgConfig, PgConfigBuilder};
pub use diagnostics::PgDiagnostics;
pub use store::{MIN_LEASE_TTL, PgIncidentStore};
