//! [`PgIncidentStore`]: the [`IncidentStore`] port on PostgreSQL, so several replicas of a
//! service share incidents.
//!
//! - **One incident per dedup key**: a partial unique index on `dedup_key` where the incident
//!   is open, and `INSERT ... ON CONFLICT DO NOTHING` that writes the incident and its first
//!   event in one statement. A caller that loses the race joins the winner's incident.
//! - **Appends with an expected version, in one round trip**: one statement with the events
//!   as arrays: `UPDATE incidents SET version = version + n WHERE version = expected`, then,
//!   only if a row was updated, one `INSERT ... SELECT FROM unnest(...)` of every event. The
//!   row lock makes concurrent writers queue; every writer after the first finds the version
//!   moved, writes nothing, and gets `Conflict` carrying the version the winner left
//!   ([`ir_core::Error::current_version`]), read in the same statement by a locking read. No
//!   schema change: replicas of the previous version run beside it, and a rollback to it
//!   works.
//! - **Reads in one statement**: `load` is the incident row left-joined to its events (one
//!   statement, so one snapshot: version and events agree); `load_since` the same, restricted
//!   to `seq > after` by the primary key, so a writer that lost a race reads only what it
//!   missed. Both check the events are numbered without a gap up to the version.
//! - **Action leases**: a row per key with a holder, an expiry on the database's clock and a
//!   fencing token, taken with one `INSERT ... ON CONFLICT DO UPDATE ... WHERE expired or
//!   ours`. A holder that crashes stops renewing; its lease lapses at `expires_at` and the next
//!   replica gets it with a larger token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ir_core::incident::{Event, EventKind, RecordedEvent};
use ir_core::model::IncidentId;
use ir_core::ports::{IncidentStore, Lease, Opened, StoredIncident};
use ir_core::{ErrorKind, Result};
use sqlx::migrate::{Migration, Migrator};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPoolOptions, Postgres};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, SqlSafeStr, SqlStr};
use tracing::Instrument;

use crate::client::{self, Client, error, map_sqlx};
use crate::config::PgConfig;

/// How often `open` retries when the incident it would join was resolved between its insert
/// and its read. Each retry needs another writer to resolve an incident meanwhile.
const OPEN_ATTEMPTS: usize = 8;

/// The shortest lease [`PgIncidentStore`] grants. A shorter one may have lapsed by the time the
/// caller reads it (a round trip, a PgBouncer queue), so two replicas could both believe they
/// hold it; `acquire_lease` refuses it with `InvalidInput`.
pub const MIN_LEASE_TTL: Duration = Duration::from_millis(500);

/// The incident store on PostgreSQL. Cloning shares the pool.
///
/// [`connect`](Self::connect) applies the embedded migrations (under sqlx's migration lock, so
/// replicas starting together are safe) in the configured schema, then every call uses that
/// schema.
///
/// Lease times come from the database's clock, so replicas with skewed clocks agree on expiry;
/// a lease shorter than [`MIN_LEASE_TTL`] is refused with `InvalidInput`.
///
/// Each call holds one pooled connection for one round trip (an append: one statement, one
/// commit), so the appends a process can make at once are bounded by
/// [`PgConfigBuilder::with_max_connections`](crate::PgConfigBuilder::with_max_connections)
/// (default 4): `cargo bench -p ir-postgres --bench store` gives it one per writer.
#[derive(Clone)]
pub struct PgIncidentStore {
    client: Client,
    schema: String,
    sql: Sql,
}

impl fmt::Debug for PgIncidentStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgIncidentStore")
            .field("client", &self.client)
            .field("schema", &self.schema)
            .finish()
    }
}

impl PgIncidentStore {
    /// Connects, creates the schema when missing and applies the migrations.
    ///
    /// # Errors
    /// `Unavailable`/`Timeout` when the server cannot be reached; `Timeout` when connecting and
    /// migrating take longer than [`PgConfig::migration_timeout`]; `Unauthenticated` or
    /// `PermissionDenied` (the role must be allowed to create the schema and its tables, or
    /// they must exist); `Config` when the stored migrations do not match these.
    pub async fn connect(config: &PgConfig) -> Result<Self> {
        // A plain identifier (checked by `PgConfig::build`), so it can be spliced into SQL.
        let schema = config.schema().to_owned();
        let options = config.connect_options()?;
        let statement_timeout = config.statement_timeout();
        // Connecting first, under its own error: a server that cannot be reached must not
        // read as a migration lock held elsewhere.
        let unreachable = |detail: String| {
            error(
                "migrate",
                ErrorKind::Unavailable,
                format!("the server is unreachable: {detail}"),
            )
        };
        let started = config.clock().now();
        let mut conn = config
            .clock()
            .timeout(
                config.migration_timeout(),
                options.connect().instrument(span("migrate")),
            )
            .await
            .map_err(|_| {
                unreachable(format!(
                    "no connection within {:?}",
                    config.migration_timeout()
                ))
            })?
            .map_err(|e| {
                let mapped = map_sqlx("migrate", e);
                match mapped.kind() {
                    ErrorKind::Unavailable | ErrorKind::Timeout => {
                        unreachable(mapped.message().to_owned()).with_source(mapped)
                    }
                    _ => mapped,
                }
            })?;
        let elapsed = (config.clock().now() - started)
            .to_std()
            .unwrap_or_default();
        let remaining = config.migration_timeout().saturating_sub(elapsed);
        let migrate = async {
            let migrated = match client::prepare(&mut conn, statement_timeout).await {
                Ok(()) => migrator(&schema)
                    .run(&mut conn)
                    .await
                    .map_err(|e| sqlx::Error::Migrate(Box::new(e))),
                Err(e) => Err(e),
            };
            drop(conn.close().await);
            migrated.map_err(|e| map_sqlx("migrate", e))
        };
        // Dropping the future on time-out closes the connection, releasing any lock it holds.
        config
            .clock()
            .timeout(remaining, migrate.instrument(span("migrate")))
            .await
            .map_err(|_| {
                error(
                    "migrate",
                    ErrorKind::Timeout,
                    format!(
                        "connected, but migrating took longer than {:?} (another session may \
                         hold the migration lock, e.g. a server connection behind a \
                         transaction-mode PgBouncer)",
                        config.migration_timeout()
                    ),
                )
            })??;
        let pool_options = PgPoolOptions::new().after_connect(move |conn, _meta| {
            Box::pin(async move { client::prepare(conn, statement_timeout).await })
        });
        let client = Client::new(config, options, pool_options);
        Ok(Self {
            client,
            sql: Sql::new(&schema),
            schema,
        })
    }

    /// The schema the store's tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The store's pool (for [`PgDiagnostics::with_incident_store`](crate::PgDiagnostics::with_incident_store)).
    pub(crate) fn pool(&self) -> &sqlx::PgPool {
        &self.client.pool
    }

    /// A pooled connection; a time-out says whether the server or our pool is the problem.
    async fn acquire(&self, operation: &'static str) -> Result<PoolConnection<Postgres>> {
        match self.client.pool.acquire().await {
            Ok(conn) => Ok(conn),
            Err(e) => Err(self.client.explain(operation, e).await),
        }
    }
}

/// The embedded migrations with `{schema}` replaced, keeping their history in
/// `{schema}._sqlx_migrations`. Every table name is qualified, so nothing depends on the
/// connection's `search_path`.
fn migrator(schema: &str) -> Migrator {
    let embedded = sqlx::migrate!("./migrations");
    let migrations = embedded
        .iter()
        .map(|m| {
            Migration::new(
                m.version,
                m.description.clone(),
                m.migration_type,
                AssertSqlSafe(in_schema(m.sql.as_str(), schema)).into_sql_str(),
                m.no_tx,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.create_schema(schema.to_owned());
    migrator.dangerous_set_table_name(format!("{schema}._sqlx_migrations"));
    migrator
}

fn in_schema(template: &str, schema: &str) -> String {
    template.replace("{schema}", schema)
}

/// The store's statements, with the schema spliced in once.
#[derive(Clone)]
struct Sql {
    open: SqlStr,
    find_open: SqlStr,
    append: SqlStr,
    load: SqlStr,
    load_since: SqlStr,
    list_open: SqlStr,
    acquire_lease: SqlStr,
    release_lease: SqlStr,
}

impl Sql {
    fn new(schema: &str) -> Self {
        let sql = |template: &str| {
            AssertSqlSafe(Arc::<str>::from(in_schema(template, schema))).into_sql_str()
        };
        Self {
            // Incident row and first event in one statement: both or neither.
            open: sql("WITH new AS ( \
                     INSERT INTO {schema}.incidents (id, dedup_key, version) VALUES ($1, $2, 1) \
                     ON CONFLICT (dedup_key) WHERE is_open DO NOTHING \
                     RETURNING id) \
                 INSERT INTO {schema}.incident_events (incident_id, seq, at, actor, kind, event) \
                 SELECT id, 1, $3, $4, $5, $6::jsonb FROM new \
                 RETURNING incident_id"),
            find_open: sql("SELECT id FROM {schema}.incidents WHERE dedup_key = $1 AND is_open"),
            // Version check, bump and every event in one statement, one round trip.
            // - `bumped`: the row lock orders concurrent writers; one that waited re-checks
            //   the version on the row the previous writer committed, finds it moved, and
            //   updates nothing.
            // - `inserted`: the events, only when `bumped` has a row (all or nothing).
            // - `current`: only when nothing was bumped. The statement's snapshot may predate
            //   the writer that won, but a locking read follows the row to its latest
            //   committed version (PostgreSQL's read-committed re-check), so it reads the
            //   version the winner left, which the Conflict carries. No row: no incident.
            append: sql("WITH bumped AS ( \
                     UPDATE {schema}.incidents AS i \
                        SET version = i.version + cardinality($7::text[]), \
                            is_open = i.is_open AND NOT $3, \
                            updated_at = now() \
                      WHERE i.id = $1 AND i.version = $2 \
                     RETURNING i.version), \
                 inserted AS ( \
                     INSERT INTO {schema}.incident_events \
                            (incident_id, seq, at, actor, kind, event) \
                     SELECT $1, $2 + e.n, e.at, e.actor, e.kind, e.event::jsonb \
                       FROM bumped, \
                            unnest($4::timestamptz[], $5::text[], $6::text[], $7::text[]) \
                            WITH ORDINALITY AS e (at, actor, kind, event, n)), \
                 current AS ( \
                     SELECT i.version FROM {schema}.incidents AS i \
                      WHERE i.id = $1 AND NOT EXISTS (SELECT FROM bumped) \
                        FOR SHARE) \
                 SELECT (SELECT version FROM bumped), (SELECT version FROM current)"),
            // One statement is one snapshot: the version and the events agree. No event
            // after the version is one row of NULLs; an unknown incident is no row.
            load: sql("SELECT i.dedup_key, i.version, e.seq, e.event::text \
                   FROM {schema}.incidents AS i \
                   LEFT JOIN {schema}.incident_events AS e ON e.incident_id = i.id \
                  WHERE i.id = $1 ORDER BY e.seq"),
            load_since: sql("SELECT i.version, e.seq, e.event::text \
                   FROM {schema}.incidents AS i \
                   LEFT JOIN {schema}.incident_events AS e \
                     ON e.incident_id = i.id AND e.seq > $2 \
                  WHERE i.id = $1 ORDER BY e.seq"),
            list_open: sql("SELECT id FROM {schema}.incidents WHERE is_open ORDER BY position"),
            // Granted when the key is new, its lease lapsed, or the holder already has it (then
            // the token stays: it is the same grant, extended).
            acquire_lease: sql(
                "INSERT INTO {schema}.action_leases AS l (key, holder, token, expires_at) \
                 VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3)) \
                 ON CONFLICT (key) DO UPDATE \
                    SET holder = EXCLUDED.holder, \
                        expires_at = EXCLUDED.expires_at, \
                        granted_at = now(), \
                        token = CASE WHEN l.holder = EXCLUDED.holder \
                                      AND l.expires_at > clock_timestamp() \
                                     THEN l.token ELSE l.token + 1 END \
                  WHERE l.holder = EXCLUDED.holder OR l.expires_at <= clock_timestamp() \
                 RETURNING key, holder, token, expires_at",
            ),
            // Expire it rather than delete it, so the next grant's token is still larger.
            release_lease: sql(
                "UPDATE {schema}.action_leases SET expires_at = clock_timestamp() \
                  WHERE key = $1 AND holder = $2 AND token = $3 \
                    AND expires_at > clock_timestamp()",
            ),
        }
    }
}

fn span(operation: &'static str) -> tracing::Span {
    tracing::info_span!("postgres", provider = "postgres", operation)
}

/// An event's columns: time, actor, type name and JSON text (the server parses it into the
/// `jsonb` column).
fn columns(
    operation: &'static str,
    event: &Event,
) -> Result<(DateTime<Utc>, String, &'static str, String)> {
    let json = serde_json::to_string(event).map_err(|e| {
        error(
            operation,
            ErrorKind::InvalidInput,
            format!("event {} cannot be serialized", event.kind.name()),
        )
        .with_source(e)
    })?;
    Ok((event.at, event.actor.clone(), event.kind.name(), json))
}

fn to_i64(operation: &'static str, what: &str, v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| {
        error(
            operation,
            ErrorKind::InvalidInput,
            format!("{what} {v} is too large"),
        )
    })
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// The events of `rows` (the incident's version, then each event's seq and JSON, or NULLs when
/// no event is after `after`), checked to be numbered `after + 1` up to the version.
fn decode_events(
    operation: &'static str,
    id: IncidentId,
    after: i64,
    rows: impl IntoIterator<Item = (i64, Option<i64>, Option<String>)>,
) -> Result<Vec<RecordedEvent>> {
    let mut version = after;
    let mut events = Vec::new();
    // The seq of the last event read, `after` before the first.
    let mut last = after;
    for (v, seq, json) in rows {
        version = v;
        let (Some(seq), Some(json)) = (seq, json) else {
            continue;
        };
        if Some(seq) != last.checked_add(1) {
            return Err(error(
                operation,
                ErrorKind::Protocol,
                format!(
                    "incident {id} has event {seq} where {} was expected",
                    last.saturating_add(1)
                ),
            ));
        }
        let event: Event = serde_json::from_str(&json).map_err(|e| {
            error(
                operation,
                ErrorKind::Protocol,
                format!("event {seq} of incident {id} cannot be decoded"),
            )
            .with_source(e)
        })?;
        events.push(RecordedEvent {
            seq: to_u64(seq),
            event,
        });
        last = seq;
    }
    // Up to the version, and nothing past it.
    if last != version.max(after) {
        return Err(error(
            operation,
            ErrorKind::Protocol,
            format!("incident {id} is at version {version} but its events end at {last}"),
        ));
    }
    Ok(events)
}

#[async_trait]
impl IncidentStore for PgIncidentStore {
    async fn open(&self, dedup_key: &str, detected: Event) -> Result<Opened> {
        const OP: &str = "open";
        if !matches!(detected.kind, EventKind::Detected { .. }) {
            return Err(error(
                OP,
                ErrorKind::InvalidInput,
                format!(
                    "an incident opens with a detected event, not {}",
                    detected.kind.name()
                ),
            ));
        }
        let (at, actor, kind, json) = columns(OP, &detected)?;
        let sql = |e| map_sqlx(OP, e);
        async {
            let mut conn = self.acquire(OP).await?;
            for _ in 0..OPEN_ATTEMPTS {
                let created: Option<uuid::Uuid> = sqlx::query_scalar(self.sql.open.clone())
                    .bind(IncidentId::random().0)
                    .bind(dedup_key)
                    .bind(at)
                    .bind(&actor)
                    .bind(kind)
                    .bind(&json)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(sql)?;
                if let Some(id) = created {
                    tracing::info!(incident = %id, "opened");
                    return Ok(Opened {
                        id: IncidentId(id),
                        created: true,
                    });
                }
                let existing: Option<uuid::Uuid> = sqlx::query_scalar(self.sql.find_open.clone())
                    .bind(dedup_key)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(sql)?;
                if let Some(id) = existing {
                    return Ok(Opened {
                        id: IncidentId(id),
                        created: false,
                    });
                }
                // The open incident was resolved between the two statements: try again.
            }
            Err(error(
                OP,
                ErrorKind::Conflict,
                format!("dedup key {dedup_key:?} kept being opened and resolved by other writers"),
            ))
        }
        .instrument(span(OP))
        .await
    }

    async fn append(
        &self,
        id: IncidentId,
        expected_version: u64,
        events: Vec<Event>,
    ) -> Result<u64> {
        const OP: &str = "append";
        let expected = to_i64(OP, "expected version", expected_version)?;
        to_i64(OP, "event count", events.len() as u64)?;
        let releases = events.iter().any(|e| e.kind.releases_dedup_key());
        let mut at = Vec::with_capacity(events.len());
        let mut actor = Vec::with_capacity(events.len());
        let mut kind = Vec::with_capacity(events.len());
        let mut json = Vec::with_capacity(events.len());
        for event in &events {
            let (a, b, c, d) = columns(OP, event)?;
            at.push(a);
            actor.push(b);
            kind.push(c);
            json.push(d);
        }
        async {
            let mut conn = self.acquire(OP).await?;
            // One statement, one round trip: the version check, the bump and every event.
            let (appended, current): (Option<i64>, Option<i64>) =
                sqlx::query_as(self.sql.append.clone())
                    .bind(id.0)
                    .bind(expected)
                    .bind(releases)
                    .bind(&at)
                    .bind(&actor)
                    .bind(&kind)
                    .bind(&json)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(|e| map_sqlx(OP, e))?;
            match (appended, current) {
                (Some(version), _) => Ok(to_u64(version)),
                (None, None) => Err(error(OP, ErrorKind::NotFound, format!("no incident {id}"))),
                (None, Some(v)) => Err(error(
                    OP,
                    ErrorKind::Conflict,
                    format!(
                        "incident {id} is at version {v}, not {expected_version}: fetch what \
                         you missed (load_since) and retry"
                    ),
                )
                .with_current_version(to_u64(v))),
            }
        }
        .instrument(span(OP))
        .await
    }

    async fn load(&self, id: IncidentId) -> Result<StoredIncident> {
        const OP: &str = "load";
        async {
            let mut conn = self.acquire(OP).await?;
            let rows: Vec<(String, i64, Option<i64>, Option<String>)> =
                sqlx::query_as(self.sql.load.clone())
                    .bind(id.0)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(|e| map_sqlx(OP, e))?;
            let Some(dedup_key) = rows.first().map(|r| r.0.clone()) else {
                return Err(error(OP, ErrorKind::NotFound, format!("no incident {id}")));
            };
            let events = decode_events(
                OP,
                id,
                0,
                rows.into_iter().map(|(_, v, seq, json)| (v, seq, json)),
            )?;
            Ok(StoredIncident {
                id,
                dedup_key,
                events,
            })
        }
        .instrument(span(OP))
        .await
    }

    async fn load_since(&self, id: IncidentId, after_version: u64) -> Result<Vec<RecordedEvent>> {
        const OP: &str = "load_since";
        // Past i64::MAX there is nothing: no timeline is that long.
        let after = i64::try_from(after_version).unwrap_or(i64::MAX);
        async {
            let mut conn = self.acquire(OP).await?;
            let rows: Vec<(i64, Option<i64>, Option<String>)> =
                sqlx::query_as(self.sql.load_since.clone())
                    .bind(id.0)
                    .bind(after)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(|e| map_sqlx(OP, e))?;
            if rows.is_empty() {
                return Err(error(OP, ErrorKind::NotFound, format!("no incident {id}")));
            }
            decode_events(OP, id, after, rows)
        }
        .instrument(span(OP))
        .await
    }

    async fn list_open(&self) -> Result<Vec<IncidentId>> {
        const OP: &str = "list_open";
        async {
            let mut conn = self.acquire(OP).await?;
            let ids: Vec<uuid::Uuid> = sqlx::query_scalar(self.sql.list_open.clone())
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| map_sqlx(OP, e))?;
            Ok(ids.into_iter().map(IncidentId).collect())
        }
        .instrument(span(OP))
        .await
    }

    async fn acquire_lease(&self, key: &str, holder: &str, ttl: Duration) -> Result<Option<Lease>> {
        const OP: &str = "acquire_lease";
        if ttl < MIN_LEASE_TTL {
            return Err(error(
                OP,
                ErrorKind::InvalidInput,
                format!("a lease of {ttl:?} is shorter than the minimum {MIN_LEASE_TTL:?}"),
            ));
        }
        async {
            let mut conn = self.acquire(OP).await?;
            let granted: Option<(String, String, i64, DateTime<Utc>)> =
                sqlx::query_as(self.sql.acquire_lease.clone())
                    .bind(key)
                    .bind(holder)
                    .bind(ttl.as_secs_f64())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|e| map_sqlx(OP, e))?;
            Ok(granted.map(|(key, holder, token, expires_at)| Lease {
                key,
                holder,
                expires_at,
                token: to_u64(token),
            }))
        }
        .instrument(span(OP))
        .await
    }

    async fn release_lease(&self, lease: &Lease) -> Result<()> {
        const OP: &str = "release_lease";
        let token = to_i64(OP, "lease token", lease.token)?;
        async {
            let mut conn = self.acquire(OP).await?;
            sqlx::query(self.sql.release_lease.clone())
                .bind(&lease.key)
                .bind(&lease.holder)
                .bind(token)
                .execute(&mut *conn)
                .await
                .map_err(|e| map_sqlx(OP, e))?;
            Ok(())
        }
        .instrument(span(OP))
        .await
    }
}
