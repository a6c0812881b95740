//! The connection pool both halves of the crate use, and the table that turns a sqlx error
//! into an [`ir_core::Error`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::Clock;
use ir_core::{Error, ErrorKind};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

use crate::config::PgConfig;

/// The provider name on every error.
pub(crate) const PROVIDER: &str = "postgres";

/// SQLSTATE codes the crate acts on.
pub(crate) mod sqlstate {
    /// `insufficient_privilege`.
    pub const INSUFFICIENT_PRIVILEGE: &str = "42501";
    /// `object_not_in_prerequisite_state`: pg_stat_statements is installed but not preloaded.
    pub const NOT_IN_PREREQUISITE_STATE: &str = "55000";
    /// `unique_violation`.
    pub const UNIQUE_VIOLATION: &str = "23505";
}

/// Session settings for a freshly opened connection: the statement timeout, when configured.
/// Set with a statement rather than the `options` startup parameter, which PgBouncer refuses.
pub(crate) async fn prepare(
    conn: &mut sqlx::PgConnection,
    statement_timeout: Option<Duration>,
) -> Result<(), sqlx::Error> {
    if let Some(timeout) = statement_timeout {
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        sqlx::query("SELECT set_config('statement_timeout', $1, false)")
            .bind(format!("{millis}ms"))
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Maps a sqlx error to an [`Error`] naming `operation`. The sqlx error is kept as the source.
///
/// | sqlx error | kind |
/// |---|---|
/// | I/O (connection refused, reset), TLS, closed pool, worker gone | `Unavailable` |
/// | pool timed out | `Timeout` |
/// | SQLSTATE 28000/28P01 (role or password rejected) | `Unauthenticated` |
/// | SQLSTATE 42501 | `PermissionDenied` |
/// | SQLSTATE 53xxx (too many clients, out of memory/disk), 57P01-57P03, 08xxx | `Unavailable` |
/// | SQLSTATE 57014 (statement timeout, cancel) | `Timeout` |
/// | SQLSTATE 23505, 40001, 40P01 (duplicate, serialization failure, deadlock) | `Conflict` |
/// | SQLSTATE 3D000 (database does not exist) | `Config` |
/// | SQLSTATE 22xxx (bad value) | `InvalidInput` |
/// | other SQLSTATEs, undecodable rows, protocol errors | `Protocol` |
/// | bad configuration, failed migration | `Config` |
pub(crate) fn map_sqlx(operation: &'static str, err: sqlx::Error) -> Error {
    let (kind, message) = classify(&err);
    error(operation, kind, message).with_source(err)
}

/// An error of this provider.
pub(crate) fn error(operation: &'static str, kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
        .with_provider(PROVIDER)
        .with_operation(operation)
}

fn classify(err: &sqlx::Error) -> (ErrorKind, String) {
    use sqlx::Error as E;
    match err {
        E::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            (
                kind_of_sqlstate(&code),
                format!("{} (SQLSTATE {code})", db.message()),
            )
        }
        E::Io(io) => (
            ErrorKind::Unavailable,
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    "the server refused the connection (is it running?)".to_owned()
                }
                std::io::ErrorKind::TimedOut => "connecting to the server timed out".to_owned(),
                std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::BrokenPipe => "the server closed the connection".to_owned(),
                _ => "cannot talk to the server (I/O error)".to_owned(),
            },
        ),
        E::Tls(_) => (ErrorKind::Unavailable, "TLS handshake failed".to_owned()),
        E::PoolTimedOut => (
            ErrorKind::Timeout,
            "no pooled connection became free in time".to_owned(),
        ),
        E::PoolClosed => (
            ErrorKind::Unavailable,
            "the connection pool is closed".to_owned(),
        ),
        E::WorkerCrashed => (
            ErrorKind::Unavailable,
            "the connection's background worker stopped".to_owned(),
        ),
        E::Configuration(_) => (
            ErrorKind::Config,
            "invalid connection configuration".to_owned(),
        ),
        E::Migrate(m) => {
            use sqlx::migrate::MigrateError as M;
            match &**m {
                M::Execute(inner) | M::ExecuteMigration(inner, _) => {
                    let (kind, message) = classify(inner);
                    (kind, format!("migration failed: {message}"))
                }
                M::VersionMismatch(v) => (
                    ErrorKind::Config,
                    format!("migration {v} differs from the one applied to this schema"),
                ),
                M::VersionMissing(v) => (
                    ErrorKind::Config,
                    format!(
                        "this schema has migration {v}, unknown to this version of ir-postgres"
                    ),
                ),
                M::Dirty(v) => (
                    ErrorKind::Config,
                    format!("migration {v} failed partway earlier; the schema needs repair"),
                ),
                _ => (
                    ErrorKind::Config,
                    "the store's schema cannot be migrated".to_owned(),
                ),
            }
        }
        E::RowNotFound => (ErrorKind::NotFound, "no such row".to_owned()),
        E::ColumnDecode { index, .. } => (
            ErrorKind::Protocol,
            format!("column {index} of the server's answer cannot be decoded"),
        ),
        E::ColumnNotFound(name) => (
            ErrorKind::Protocol,
            format!("the server's answer has no column {name:?}"),
        ),
        E::TypeNotFound { type_name } => (
            ErrorKind::Protocol,
            format!("the server has no type {type_name:?}"),
        ),
        E::Decode(_) | E::Protocol(_) | E::ColumnIndexOutOfBounds { .. } => (
            ErrorKind::Protocol,
            "the server's answer cannot be understood".to_owned(),
        ),
        E::Encode(_) | E::InvalidArgument(_) => (
            ErrorKind::InvalidInput,
            "a value cannot be sent to the server".to_owned(),
        ),
        _ => (ErrorKind::Unavailable, "database driver error".to_owned()),
    }
}

pub(crate) fn kind_of_sqlstate(code: &str) -> ErrorKind {
    match code {
        "28000" | "28P01" => ErrorKind::Unauthenticated,
        sqlstate::INSUFFICIENT_PRIVILEGE => ErrorKind::PermissionDenied,
        "57014" => ErrorKind::Timeout,
        sqlstate::UNIQUE_VIOLATION | "40001" | "40P01" => ErrorKind::Conflict,
        "3D000" => ErrorKind::Config,
        "57P01" | "57P02" | "57P03" => ErrorKind::Unavailable,
        c if c.starts_with("53") || c.starts_with("08") => ErrorKind::Unavailable,
        c if c.starts_with("22") => ErrorKind::InvalidInput,
        _ => ErrorKind::Protocol,
    }
}

/// A pool plus what is needed to explain why it could not hand out a connection.
#[derive(Clone)]
pub(crate) struct Client {
    pub(crate) pool: PgPool,
    options: PgConnectOptions,
    probe_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    // `PgConnectOptions`' own `Debug` prints the password: show only what is safe.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.options.get_host())
            .field("port", &self.options.get_port())
            .field("database", &self.options.get_database())
            .field("user", &self.options.get_username())
            .field("pool_size", &self.pool.size())
            .finish()
    }
}

impl Client {
    /// A client whose pool connects lazily, keeping `min_connections` open once it can.
    pub(crate) fn new(
        config: &PgConfig,
        options: PgConnectOptions,
        pool_options: PgPoolOptions,
    ) -> Self {
        let pool = pool_options
            .max_connections(config.max_connections())
            .acquire_timeout(config.acquire_timeout())
            .connect_lazy_with(options.clone());
        Self {
            pool,
            options,
            probe_timeout: config.acquire_timeout(),
            clock: Arc::clone(config.clock()),
        }
    }

    /// Maps `err` from `operation`. A pool time-out hides why no connection could be opened
    /// (sqlx retries refused connections and "too many clients" until the deadline), so one
    /// direct connection is tried to tell "the server is down/full" from "our pool is busy".
    pub(crate) async fn explain(&self, operation: &'static str, err: sqlx::Error) -> Error {
        if !matches!(err, sqlx::Error::PoolTimedOut) {
            return map_sqlx(operation, err);
        }
        let probe = self
            .clock
            .timeout(self.probe_timeout, self.options.connect())
            .await;
        match probe {
            Ok(Ok(conn)) => {
                drop(sqlx::Connection::close(conn).await);
                let size = self.pool.size();
                error(
                    operation,
                    ErrorKind::Timeout,
                    format!(
                        "all {size} pooled connections stayed busy (the server itself accepts connections)"
                    ),
                )
                .with_source(err)
            }
            Ok(Err(probe_err)) => map_sqlx(operation, probe_err),
            Err(_) => error(
                operation,
                ErrorKind::Timeout,
                "no connection could be opened in time (the server does not answer)",
            )
            .with_source(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    /// `prepare` sets the session's statement timeout; without one it leaves the server's.
    #[tokio::test]
    async fn prepare_sets_the_statement_timeout() {
        let mut conn = testing::connect().await;
        let show = "SHOW statement_timeout";
        let before: String = sqlx::query_scalar(show).fetch_one(&mut conn).await.unwrap();
        prepare(&mut conn, None).await.unwrap();
        let after: String = sqlx::query_scalar(show).fetch_one(&mut conn).await.unwrap();
        assert_eq!(after, before);
        prepare(&mut conn, Some(Duration::from_millis(1500)))
            .await
            .unwrap();
        let set: String = sqlx::query_scalar(show).fetch_one(&mut conn).await.unwrap();
        assert_eq!(set, "1500ms");
        sqlx::Connection::close(conn).await.unwrap();
    }

    #[test]
    fn sqlstate_table() {
        let cases = [
            ("28P01", ErrorKind::Unauthenticated),
            ("28000", ErrorKind::Unauthenticated),
            ("42501", ErrorKind::PermissionDenied),
            ("53300", ErrorKind::Unavailable),
            ("53200", ErrorKind::Unavailable),
            ("57P01", ErrorKind::Unavailable),
            ("57P03", ErrorKind::Unavailable),
            ("08006", ErrorKind::Unavailable),
            ("57014", ErrorKind::Timeout),
            ("23505", ErrorKind::Conflict),
            ("40001", ErrorKind::Conflict),
            ("40P01", ErrorKind::Conflict),
            ("3D000", ErrorKind::Config),
            ("22P02", ErrorKind::InvalidInput),
            ("42703", ErrorKind::Protocol),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of_sqlstate(code), kind, "{code}");
        }
    }

    #[test]
    fn migration_errors_name_the_migration() {
        let err = map_sqlx(
            "migrate",
            sqlx::Error::Migrate(Box::new(sqlx::migrate::MigrateError::VersionMismatch(7))),
        );
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(
            err.to_string(),
            "postgres migrate: configuration error: migration 7 differs from the one applied to this schema"
        );
    }

    #[test]
    fn pool_errors() {
        let err = map_sqlx("connection_status", sqlx::Error::PoolTimedOut);
        assert_eq!(err.kind(), ErrorKind::Timeout);
        assert_eq!(err.provider(), Some("postgres"));
        assert_eq!(err.operation(), Some("connection_status"));
        assert!(std::error::Error::source(&err).is_some());
        let err = map_sqlx("load", sqlx::Error::PoolClosed);
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let err = map_sqlx("load", sqlx::Error::Io(refused));
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(
            err.to_string(),
            "postgres load: unavailable: the server refused the connection (is it running?)"
        );
    }
}
