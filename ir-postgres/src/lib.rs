#![doc = include_str!("../README.md")]
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
