//! [`PgConfig`]: where the database is and how to talk to it.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::{Clock, SystemClock};
use ir_core::ports::check_dsn;
use ir_core::{Error, Result};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::PgConnectOptions;

use crate::client::PROVIDER;

/// The `application_name` connections announce unless told otherwise.
pub const DEFAULT_APPLICATION_NAME: &str = "ir-postgres";
/// The schema [`PgIncidentStore`](crate::PgIncidentStore) keeps its tables in unless told
/// otherwise.
pub const DEFAULT_SCHEMA: &str = "ir";

/// Configuration shared by [`PgDiagnostics`](crate::PgDiagnostics) and
/// [`PgIncidentStore`](crate::PgIncidentStore).
///
/// Built with [`PgConfig::builder`] (the database URL is required; `with_*` setters change
/// the rest; [`build`](PgConfigBuilder::build) validates) or read with [`PgConfig::from_env`].
/// URLs are [`SecretString`]s: `Debug` shows user, host, port and database, never a password.
///
/// ```
/// use ir_postgres::PgConfig;
/// use secrecy::SecretString;
///
/// let config = PgConfig::builder(SecretString::from("postgres://app:hunter2@db:5432/web"))
///     .with_application_name("incident-bot")
///     .build()?;
/// assert!(!format!("{config:?}").contains("hunter2"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PgConfig {
    database_url: SecretString,
    pgbouncer_admin_url: Option<SecretString>,
    application_name: String,
    schema: String,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Option<Duration>,
    admin_timeout: Duration,
    migration_timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl PgConfig {
    /// A builder for the server at `database_url` (`postgres://` or `postgresql://`).
    pub fn builder(database_url: SecretString) -> PgConfigBuilder {
        PgConfigBuilder {
            config: PgConfig {
                database_url,
                pgbouncer_admin_url: None,
                application_name: DEFAULT_APPLICATION_NAME.to_owned(),
                schema: DEFAULT_SCHEMA.to_owned(),
                max_connections: 4,
                acquire_timeout: Duration::from_secs(5),
                statement_timeout: None,
                admin_timeout: Duration::from_secs(5),
                migration_timeout: Duration::from_secs(60),
                clock: Arc::new(SystemClock),
            },
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `DATABASE_URL` | the server (required) | |
    /// | `PGBOUNCER_ADMIN_URL` | PgBouncer's admin console, e.g. `postgres://admin@host:6432/pgbouncer` | none: PgBouncer calls are `Unsupported` |
    /// | `IR_POSTGRES_APPLICATION_NAME` | `application_name` of our connections | `ir-postgres` |
    /// | `IR_POSTGRES_SCHEMA` | schema of the incident store's tables | `ir` |
    ///
    /// Nothing else is read: pool size, timeouts and the clock keep their defaults (set them
    /// with the builder). A blank value counts as unset.
    ///
    /// # Errors
    /// `Config` when `DATABASE_URL` is missing or any value is invalid (the message never
    /// quotes a URL).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through `lookup` instead of the
    /// process environment (for tests, and for services that keep configuration elsewhere).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let url = var("DATABASE_URL")
            .ok_or_else(|| Error::config("DATABASE_URL is not set").with_provider(PROVIDER))?;
        let mut builder = Self::builder(SecretString::from(url));
        if let Some(admin) = var("PGBOUNCER_ADMIN_URL") {
            builder = builder.with_pgbouncer_admin_url(SecretString::from(admin));
        }
        if let Some(name) = var("IR_POSTGRES_APPLICATION_NAME") {
            builder = builder.with_application_name(name);
        }
        if let Some(schema) = var("IR_POSTGRES_SCHEMA") {
            builder = builder.with_schema(schema);
        }
        builder.build()
    }

    /// The database URL.
    pub fn database_url(&self) -> &SecretString {
        &self.database_url
    }

    /// The `application_name` our connections announce.
    pub fn application_name(&self) -> &str {
        &self.application_name
    }

    /// The incident store's schema.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Connections the pool may open.
    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    /// How long a call waits for a free pooled connection.
    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// The server-side `statement_timeout` of our connections, if any.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout
    }

    /// How long a PgBouncer admin-console call (connect and `SHOW`) may take.
    pub fn admin_timeout(&self) -> Duration {
        self.admin_timeout
    }

    /// How long [`PgIncidentStore::connect`](crate::PgIncidentStore::connect) may take to
    /// connect and migrate, waiting for the migration lock included.
    pub fn migration_timeout(&self) -> Duration {
        self.migration_timeout
    }

    /// The clock our own timeouts are measured on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Connect options for the server: our `application_name` only. PgBouncer refuses startup
    /// parameters it does not track (`options` among them), so the statement timeout is set
    /// once connected (see [`crate::client::prepare`]).
    pub(crate) fn connect_options(&self) -> Result<PgConnectOptions> {
        Ok(parse_url(&self.database_url, "DATABASE_URL")?.application_name(&self.application_name))
    }

    /// Connect options for PgBouncer's admin console, if configured. The console speaks only
    /// the simple query protocol and refuses unknown startup parameters, so none is sent.
    pub(crate) fn admin_connect_options(&self) -> Result<Option<PgConnectOptions>> {
        self.pgbouncer_admin_url
            .as_ref()
            .map(|url| {
                Ok(parse_url(url, "PGBOUNCER_ADMIN_URL")?
                    .application_name(&self.application_name)
                    .extra_float_digits(None))
            })
            .transpose()
    }
}

fn parse_url(url: &SecretString, name: &str) -> Result<PgConnectOptions> {
    // `check_dsn` gives a message that never quotes the URL; sqlx's parser is then the judge
    // of the rest (query parameters such as `sslmode`).
    check_dsn(url)
        .map_err(|e| Error::config(format!("{name}: {}", e.message())).with_provider(PROVIDER))?;
    check_parts(url, name)?;
    PgConnectOptions::from_str(url.expose_secret().trim()).map_err(|e| {
        Error::config(format!(
            "{name} is not a usable PostgreSQL URL (check its query parameters)"
        ))
        .with_provider(PROVIDER)
        .with_source(e)
    })
}

/// What sqlx's parser lets through but the server or libpq would refuse: a NUL byte (no
/// startup packet can carry one, so the connection would fail as if the server were down),
/// and a `connect_timeout` that is not a whole number of seconds (sqlx ignores the parameter,
/// so a typo would go unnoticed). The messages name the part, never its value.
fn check_parts(url: &SecretString, name: &str) -> Result<()> {
    let fail = |msg: String| Err(Error::config(format!("{name}: {msg}")).with_provider(PROVIDER));
    let raw = url.expose_secret().trim();
    let Ok(parsed) = url::Url::parse(raw) else {
        return Ok(());
    };
    let has_nul = |part: &str| part.contains('\0') || part.contains("%00");
    if has_nul(parsed.path()) {
        return fail("the database name contains a NUL byte".into());
    }
    if has_nul(parsed.username()) {
        return fail("the user name contains a NUL byte".into());
    }
    if parsed.password().is_some_and(has_nul) {
        return fail("the password contains a NUL byte".into());
    }
    for (key, value) in parsed.query_pairs() {
        if value.contains('\0') || key.contains('\0') {
            return fail(format!(
                "the query parameter `{}` contains a NUL byte",
                key.replace('\0', "\\0")
            ));
        }
        if key == "connect_timeout" && value.trim().parse::<u64>().is_err() {
            return fail(
                "the query parameter `connect_timeout` must be a whole number of seconds".into(),
            );
        }
    }
    Ok(())
}

/// `postgres://user@host:port/db`, from a URL that may hold a password.
fn redacted(url: &SecretString) -> String {
    match check_dsn(url) {
        Ok(c) => format!(
            "postgres://{}{}:{}/{}",
            c.user.map(|u| format!("{u}@")).unwrap_or_default(),
            c.host,
            c.port,
            c.database.unwrap_or_default()
        ),
        Err(_) => "<invalid URL>".to_owned(),
    }
}

impl fmt::Debug for PgConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgConfig")
            .field("database_url", &redacted(&self.database_url))
            .field(
                "pgbouncer_admin_url",
                &self.pgbouncer_admin_url.as_ref().map(redacted),
            )
            .field("application_name", &self.application_name)
            .field("schema", &self.schema)
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("admin_timeout", &self.admin_timeout)
            .field("migration_timeout", &self.migration_timeout)
            .field("clock", &self.clock)
            .finish()
    }
}

/// Builds a [`PgConfig`]; [`build`](Self::build) validates it.
#[derive(Clone)]
pub struct PgConfigBuilder {
    config: PgConfig,
}

impl fmt::Debug for PgConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PgConfigBuilder")
            .field(&self.config)
            .finish()
    }
}

impl PgConfigBuilder {
    /// PgBouncer's admin console (the virtual database `pgbouncer`, port 6432 by default), as a
    /// user listed in `admin_users` or `stats_users`.
    pub fn with_pgbouncer_admin_url(mut self, url: SecretString) -> Self {
        self.config.pgbouncer_admin_url = Some(url);
        self
    }

    /// The `application_name` our connections announce (default `ir-postgres`), which is how
    /// they show in `pg_stat_activity`.
    pub fn with_application_name(mut self, name: impl Into<String>) -> Self {
        self.config.application_name = name.into();
        self
    }

    /// The schema of the incident store's tables (default `ir`); created when missing.
    /// Lower-case letters, digits and `_`, starting with a letter or `_`.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.config.schema = schema.into();
        self
    }

    /// Connections our pool may open (default 4).
    pub fn with_max_connections(mut self, max: u32) -> Self {
        self.config.max_connections = max;
        self
    }

    /// How long a call waits for a pooled connection (default 5 s); past it the call fails
    /// with `Timeout`.
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.config.acquire_timeout = timeout;
        self
    }

    /// A server-side `statement_timeout` for our connections (default `None`: the server's
    /// own). It is set with `set_config` as each connection opens, so it also works through
    /// PgBouncer (which refuses it as a startup parameter); through a PgBouncer in
    /// transaction mode, a session setting does not follow the client, so it holds only where
    /// PgBouncer's server connections already have it.
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.config.statement_timeout = timeout;
        self
    }

    /// How long [`PgIncidentStore::connect`](crate::PgIncidentStore::connect) may take to
    /// connect and apply the migrations (default 60 s); past it, it fails with `Timeout`. It
    /// bounds the wait for the migration lock, which another replica holds while it migrates
    /// (and which a transaction-mode PgBouncer can leave held by a server connection).
    pub fn with_migration_timeout(mut self, timeout: Duration) -> Self {
        self.config.migration_timeout = timeout;
        self
    }

    /// How long a PgBouncer admin-console call may take (default 5 s).
    pub fn with_admin_timeout(mut self, timeout: Duration) -> Self {
        self.config.admin_timeout = timeout;
        self
    }

    /// The clock our own timeouts are measured on (default [`SystemClock`]): PgBouncer calls
    /// ([`with_admin_timeout`](Self::with_admin_timeout)), the direct connection that explains
    /// a pool time-out, and [`with_migration_timeout`](Self::with_migration_timeout). On a
    /// [`ManualClock`](ir_core::clock::ManualClock) they fire only when something moves the
    /// clock past them. The pool's acquire timeout and the server's `statement_timeout` are
    /// sqlx's and PostgreSQL's own, in real time.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// `Config` when a URL is not a PostgreSQL URL, the application name is longer than 63
    /// bytes, the schema is not a plain identifier, a timeout is zero, or `max_connections`
    /// is 0.
    pub fn build(self) -> Result<PgConfig> {
        let c = self.config;
        c.connect_options()?;
        c.admin_connect_options()?;
        let fail = |msg: String| Err(Error::config(msg).with_provider(PROVIDER));
        if c.application_name.len() > 63 || c.application_name.contains('\0') {
            return fail(format!(
                "application name {:?} must be at most 63 bytes without NUL",
                c.application_name
            ));
        }
        if !is_plain_identifier(&c.schema) {
            return fail(format!(
                "schema {:?} must be lower-case letters, digits and _ (at most 63), starting with a letter or _",
                c.schema
            ));
        }
        if c.max_connections == 0 {
            return fail("max_connections must be at least 1".into());
        }
        if c.acquire_timeout.is_zero()
            || c.admin_timeout.is_zero()
            || c.migration_timeout.is_zero()
            || c.statement_timeout.is_some_and(|t| t.is_zero())
        {
            return fail("timeouts must be greater than zero".into());
        }
        Ok(c)
    }
}

/// Whether `name` can be used unquoted as a PostgreSQL identifier without surprises.
pub(crate) fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::ErrorKind;

    fn url(s: &str) -> SecretString {
        SecretString::from(s)
    }

    #[test]
    fn debug_never_shows_passwords() {
        let config = PgConfig::builder(url("postgres://app:hunter2@db.internal:5432/web"))
            .with_pgbouncer_admin_url(url("postgres://admin:s3cr3t@db.internal:6432/pgbouncer"))
            .build()
            .unwrap();
        let text = format!("{config:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(
            text.contains("postgres://app@db.internal:5432/web"),
            "{text}"
        );
        let builder = PgConfig::builder(url("postgres://app:hunter2@h/db"));
        assert!(!format!("{builder:?}").contains("hunter2"));
    }

    #[test]
    fn passwords_in_query_parameters_stay_hidden() {
        let config = PgConfig::builder(url(
            "postgres://app@db:5432/web?password=hunter2&sslmode=disable",
        ))
        .build()
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn invalid_values_are_config_errors_without_the_url() {
        let cases = [
            PgConfig::builder(url("mysql://app:hunter2@db/web")),
            PgConfig::builder(url("postgres://app:hunter2@db/web?sslmode=sometimes")),
            PgConfig::builder(url("postgres://app:hunter2@db/web"))
                .with_pgbouncer_admin_url(url("http://admin:hunter2@db:6432/pgbouncer")),
            PgConfig::builder(url("postgres://app:hunter2@db/web")).with_schema("Bad-Schema"),
            PgConfig::builder(url("postgres://app:hunter2@db/web")).with_max_connections(0),
            PgConfig::builder(url("postgres://app:hunter2@db/web"))
                .with_application_name("x".repeat(64)),
            PgConfig::builder(url("postgres://app:hunter2@db/web"))
                .with_acquire_timeout(Duration::ZERO),
        ];
        for builder in cases {
            let err = builder.build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
            assert_eq!(err.provider(), Some("postgres"));
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(!format!("{err:?}").contains("hunter2"), "{err:?}");
        }
    }

    #[test]
    fn a_nul_or_a_bad_connect_timeout_is_a_config_error_naming_the_part() {
        let cases = [
            (
                "postgres://app:hunter2@db/we%00b",
                "database name contains a NUL",
            ),
            (
                "postgres://app:hunter2@db/web?connect_timeout=abc",
                "`connect_timeout`",
            ),
            (
                "postgres://app:hunter2@db/web?connect_timeout=-1",
                "`connect_timeout`",
            ),
            (
                "postgres://ap%00p:hunter2@db/web",
                "user name contains a NUL",
            ),
        ];
        for (dsn, says) in cases {
            let err = PgConfig::builder(url(dsn)).build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{dsn}: {err}");
            assert!(err.message().contains(says), "{dsn}: {err}");
            assert!(!format!("{err} {err:?}").contains("hunter2"), "{err:?}");
            assert!(!err.message().contains("abc"), "{err}");
        }
        PgConfig::builder(url("postgres://app:hunter2@db/web?connect_timeout=10"))
            .build()
            .unwrap();
    }

    #[test]
    fn from_env_reads_every_documented_variable() {
        let env = |name: &str| {
            match name {
                "DATABASE_URL" => Some("postgres://app:hunter2@db:5432/web"),
                "PGBOUNCER_ADMIN_URL" => Some("postgres://admin@db:6432/pgbouncer"),
                "IR_POSTGRES_APPLICATION_NAME" => Some("incident-bot"),
                "IR_POSTGRES_SCHEMA" => Some("incidents"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let config = PgConfig::from_lookup(env).unwrap();
        assert_eq!(config.application_name(), "incident-bot");
        assert_eq!(config.schema(), "incidents");
        assert!(config.admin_connect_options().unwrap().is_some());

        let err = PgConfig::from_lookup(|_| None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("DATABASE_URL is not set"), "{err}");
    }

    #[test]
    fn identifiers() {
        for ok in ["ir", "_x", "ir_test_01"] {
            assert!(is_plain_identifier(ok), "{ok}");
        }
        for bad in ["", "1ir", "IR", "ir-x", "ir;drop", "a\"b", &"a".repeat(64)] {
            assert!(!is_plain_identifier(bad), "{bad}");
        }
    }
}
