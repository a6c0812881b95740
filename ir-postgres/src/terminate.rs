//! Terminating idle connections, the runbook's "kill idle connections", with its guards.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ir_core::ports::{BackendInfo, RefusalReason, TerminateRequest, TerminationReport};
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};

use crate::client::sqlstate;
use crate::connections::seconds_to_duration;

/// A backend: its pid and start time (pids are reused; the pair is not).
pub(crate) type BackendKey = (i32, DateTime<Utc>);

/// Idle connections to the current database matching the request, oldest first, with what the
/// guards need: whether it is a client backend, whether its role is a superuser, and whether the current role may
/// signal it (PostgreSQL's own rule: privileges of the target's role, or `pg_signal_backend`).
const CANDIDATES: &str = r"
SELECT a.pid,
       a.backend_start,
       a.usename::text                                                   AS usename,
       coalesce(a.application_name, '')                                  AS application_name,
       a.state,
       coalesce(a.backend_type, '')                                      AS backend_type,
       extract(epoch FROM clock_timestamp() - a.state_change)::float8    AS idle_for,
       coalesce(r.rolsuper, false)                                       AS superuser,
       a.pid = pg_backend_pid()                                          AS is_self,
       (a.usesysid IS NOT NULL AND (
            pg_has_role(current_user, a.usesysid, 'USAGE')
         OR pg_has_role(current_user, 'pg_signal_backend', 'USAGE')))   AS may_signal
FROM pg_stat_activity a
LEFT JOIN pg_roles r ON r.oid = a.usesysid
WHERE a.state = 'idle'
  AND a.datname = current_database()
  AND a.state_change < clock_timestamp() - make_interval(secs => $1)
  AND ($2::text IS NULL OR a.application_name = $2)
  AND ($3::text IS NULL OR a.usename = $3)
ORDER BY a.state_change, a.pid";

/// Signals one backend, re-checking in the same statement that it is still the same backend and
/// still idle past the threshold, so a connection that woke up meanwhile is left alone.
/// `present` tells a backend that went away from one that is merely no longer idle.
const TERMINATE: &str = r"
SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2) AS present,
       (SELECT pg_terminate_backend(a.pid)
          FROM pg_stat_activity a
         WHERE a.pid = $1 AND a.backend_start = $2 AND a.state = 'idle'
           AND a.state_change < clock_timestamp() - make_interval(secs => $3))  AS terminated";

#[derive(sqlx::FromRow)]
struct Candidate {
    pid: i32,
    backend_start: Option<DateTime<Utc>>,
    usename: Option<String>,
    application_name: String,
    state: Option<String>,
    backend_type: String,
    idle_for: Option<f64>,
    superuser: bool,
    is_self: bool,
    may_signal: bool,
}

impl Candidate {
    fn info(&self) -> BackendInfo {
        BackendInfo {
            pid: self.pid,
            user: self.usename.clone(),
            application_name: self.application_name.clone(),
            state: self.state.clone().unwrap_or_default(),
            idle_for: self
                .idle_for
                .and_then(seconds_to_duration)
                .unwrap_or(Duration::ZERO),
        }
    }
}

/// Runs `request` on `conn`, on the connections to `conn`'s database only (other databases on
/// the same server belong to other services). `own` holds the backends of our own pool, and
/// `app_pools` are the application's: none is ever terminated (they are refused as
/// [`RefusalReason::OwnBackend`]).
pub(crate) async fn terminate_idle(
    conn: &mut PgConnection,
    request: &TerminateRequest,
    mut own: HashSet<BackendKey>,
    app_pools: &[&PgPool],
) -> Result<TerminationReport, sqlx::Error> {
    let threshold = request.older_than.as_secs_f64();
    let candidates: Vec<Candidate> = sqlx::query_as(CANDIDATES)
        .bind(threshold)
        .bind(request.application_name.as_deref())
        .bind(request.user.as_deref())
        .fetch_all(&mut *conn)
        .await?;
    // After the listing, as the statement that names them makes them freshly idle; held until
    // the end, so they stay ours and stay idle in the pool.
    let mut _app_connections = Vec::new();
    for pool in app_pools {
        _app_connections.extend(hold_idle(pool, &mut own).await?);
    }

    let mut report = TerminationReport {
        dry_run: request.dry_run,
        ..TerminationReport::default()
    };
    for candidate in candidates {
        let info = candidate.info();
        let is_own = candidate.is_self
            || candidate
                .backend_start
                .is_some_and(|start| own.contains(&(candidate.pid, start)));
        let refusal = if is_own {
            Some(RefusalReason::OwnBackend)
        } else if candidate.backend_type != "client backend" || candidate.usename.is_none() {
            Some(RefusalReason::NotClientBackend)
        } else if candidate.superuser {
            Some(RefusalReason::Superuser)
        } else if request.dry_run && !candidate.may_signal {
            Some(RefusalReason::PermissionDenied(
                "the current role lacks the privileges of the connection's role and of pg_signal_backend"
                    .to_owned(),
            ))
        } else {
            None
        };
        if let Some(reason) = refusal {
            report.refused.push((info, reason));
            continue;
        }
        if request.dry_run {
            report.terminated.push(info);
            continue;
        }
        let Some(backend_start) = candidate.backend_start else {
            report.refused.push((info, RefusalReason::AlreadyGone));
            continue;
        };
        match signal(conn, candidate.pid, backend_start, threshold).await? {
            None => report.terminated.push(info),
            Some(reason) => report.refused.push((info, reason)),
        }
    }
    Ok(report)
}

/// Takes the idle connections out of `pool` and adds their backends to `own`. The connections go
/// back to the pool when the returned ones are dropped.
async fn hold_idle(
    pool: &PgPool,
    own: &mut HashSet<BackendKey>,
) -> Result<Vec<PoolConnection<Postgres>>, sqlx::Error> {
    let mut held = Vec::new();
    while let Some(mut conn) = pool.try_acquire() {
        let key: BackendKey = sqlx::query_as(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
        .fetch_one(&mut *conn)
        .await?;
        own.insert(key);
        held.push(conn);
    }
    Ok(held)
}

/// Signals the backend `(pid, backend_start)` if it is still idle past `threshold` seconds:
/// `None` when it was terminated, otherwise why not.
async fn signal(
    conn: &mut PgConnection,
    pid: i32,
    backend_start: DateTime<Utc>,
    threshold: f64,
) -> Result<Option<RefusalReason>, sqlx::Error> {
    let outcome: Result<(bool, Option<bool>), sqlx::Error> = sqlx::query_as(TERMINATE)
        .bind(pid)
        .bind(backend_start)
        .bind(threshold)
        .fetch_one(&mut *conn)
        .await;
    match outcome {
        Ok((_, Some(true))) => Ok(None),
        Ok((false, _)) | Ok((true, Some(false))) => Ok(Some(RefusalReason::AlreadyGone)),
        // Still there but it ran a statement since it was listed.
        Ok((true, None)) => Ok(Some(RefusalReason::NoLongerIdle)),
        Err(sqlx::Error::Database(e))
            if e.code().as_deref() == Some(sqlstate::INSUFFICIENT_PRIVILEGE) =>
        {
            // PostgreSQL 16+ puts the rule in the detail; keep it.
            let detail = e
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail())
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            Ok(Some(RefusalReason::PermissionDenied(format!(
                "{}{detail}",
                e.message()
            ))))
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use sqlx::{Connection, Executor};

    async fn key(conn: &mut PgConnection) -> BackendKey {
        sqlx::query_as(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()",
        )
        .fetch_one(conn)
        .await
        .unwrap()
    }

    /// A connection listed as idle that runs a statement before the signal is left alone and
    /// reported as no longer idle; one still idle is terminated.
    #[tokio::test]
    async fn a_connection_that_woke_up_before_the_signal_is_refused_as_no_longer_idle() {
        let mut diagnostics = testing::connect().await;
        let mut woke = testing::connect().await;
        let mut still_idle = testing::connect().await;
        let (woke_pid, woke_start) = key(&mut woke).await;
        let (idle_pid, idle_start) = key(&mut still_idle).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        // Listed as idle past 1 s by now; then it runs a statement.
        woke.execute("SELECT 1").await.unwrap();

        let outcome = signal(&mut diagnostics, woke_pid, woke_start, 1.0)
            .await
            .unwrap();
        assert_eq!(outcome, Some(RefusalReason::NoLongerIdle));
        assert!(woke.execute("SELECT 1").await.is_ok(), "it was left alone");

        let outcome = signal(&mut diagnostics, idle_pid, idle_start, 1.0)
            .await
            .unwrap();
        assert_eq!(outcome, None, "a connection still idle is terminated");
        // Gone now: a second signal finds nothing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let outcome = signal(&mut diagnostics, idle_pid, idle_start, 1.0)
            .await
            .unwrap();
        assert_eq!(outcome, Some(RefusalReason::AlreadyGone));

        woke.close().await.unwrap();
        diagnostics.close().await.unwrap();
    }
}
