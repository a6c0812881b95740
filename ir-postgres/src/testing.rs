//! Helpers for the unit tests that need the real server.

use sqlx::{ConnectOptions, PgConnection};

/// The server the tests use.
pub(crate) fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A connection to the test server, or a panic saying how to start one.
pub(crate) async fn connect() -> PgConnection {
    let url = database_url();
    let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
    options.connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to the PostgreSQL at DATABASE_URL={url} ({e}). Run ./scripts/test.sh, \
             which starts the local server, or start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`"
        )
    })
}

/// A random lower-case suffix for names of schemas, roles and keys.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}
