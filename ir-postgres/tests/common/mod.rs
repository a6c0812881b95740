//! Shared by the integration tests: the real server, unique names, and connections held open.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::future::Future;
use std::time::{Duration, Instant};

use ir_postgres::{PgConfig, PgIncidentStore};
use secrecy::SecretString;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};

/// The server the tests use: `DATABASE_URL`, default the local one.
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// PgBouncer's admin console, as `scripts/test.sh` starts it.
pub fn pgbouncer_admin_url() -> String {
    std::env::var("PGBOUNCER_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:6432/pgbouncer".to_owned())
}

/// A database served through PgBouncer.
pub fn pgbouncer_url(database: &str) -> String {
    let admin = pgbouncer_admin_url();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{database}")
}

/// A random lower-case name.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

fn options(url: &str) -> PgConnectOptions {
    url.parse().expect("DATABASE_URL is a PostgreSQL URL")
}

/// A connection as the URL's user (a superuser on the local test server), or a panic saying
/// how to start a server.
pub async fn admin() -> PgConnection {
    connect(options(&database_url())).await
}

async fn connect(options: PgConnectOptions) -> PgConnection {
    options.connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to the PostgreSQL at DATABASE_URL={} ({e}). Run ./scripts/test.sh, \
             which starts the local server, or start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
            database_url()
        )
    })
}

/// A connection as `user` announcing `application_name`, that has run one statement and is
/// now idle.
pub async fn idle_connection(user: &str, application_name: &str) -> PgConnection {
    let mut conn = connect(
        options(&database_url())
            .username(user)
            .application_name(application_name),
    )
    .await;
    conn.execute("SELECT 1").await.unwrap();
    conn
}

/// Like [`idle_connection`], to another `database` on the same server.
pub async fn idle_connection_to(
    database: &str,
    user: &str,
    application_name: &str,
) -> PgConnection {
    let mut conn = connect(
        options(&database_url())
            .database(database)
            .username(user)
            .application_name(application_name),
    )
    .await;
    conn.execute("SELECT 1").await.unwrap();
    conn
}

/// The backend pid of `conn`.
pub async fn pid(conn: &mut PgConnection) -> i32 {
    sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(conn)
        .await
        .unwrap()
}

/// A login role that is not a superuser, dropped by [`Role::drop_role`].
pub struct Role {
    pub name: String,
}

impl Role {
    pub async fn create(extra: &str) -> Self {
        let name = unique("ir_test_role");
        admin()
            .await
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE ROLE {name} LOGIN NOSUPERUSER {extra}"
            )))
            .await
            .unwrap();
        Self { name }
    }

    pub async fn drop_role(self) {
        let mut admin = admin().await;
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{0}';
                 DROP OWNED BY {0}; DROP ROLE {0}",
                self.name
            )))
            .await
            .unwrap();
    }
}

/// A config for the test server as `user` (default: the URL's), with `application_name`.
pub fn config(user: Option<&str>, application_name: &str) -> PgConfig {
    let mut url = url::Url::parse(&database_url()).unwrap();
    if let Some(user) = user {
        url.set_username(user).unwrap();
    }
    PgConfig::builder(SecretString::from(url.to_string()))
        .with_application_name(application_name)
        .with_pgbouncer_admin_url(SecretString::from(pgbouncer_admin_url()))
        .with_acquire_timeout(Duration::from_secs(3))
        .build()
        .unwrap()
}

/// A store in a schema of its own; [`drop_schema`] removes it.
pub async fn store(application_name: &str) -> PgIncidentStore {
    store_in(&unique("ir_test"), application_name).await
}

pub async fn store_in(schema: &str, application_name: &str) -> PgIncidentStore {
    let config = PgConfig::builder(SecretString::from(database_url()))
        .with_schema(schema)
        .with_application_name(application_name)
        .with_max_connections(20)
        .build()
        .unwrap();
    admin().await; // a clear message when no server answers
    PgIncidentStore::connect(&config).await.unwrap()
}

pub async fn drop_schema(schema: &str) {
    admin()
        .await
        .execute(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .await
        .unwrap();
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Closes `conns`, ignoring ones the server already closed.
pub async fn close_all(conns: Vec<PgConnection>) {
    for conn in conns {
        let _ = conn.close().await;
    }
}
