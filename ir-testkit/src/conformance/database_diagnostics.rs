//! The `DatabaseDiagnostics` contract, read-only against whatever the server holds. No rule
//! terminates anything, so the suite can run against a shared server.

use std::time::Duration;

use ir_core::error::ErrorKind;
use ir_core::model::SlowQueries;
use ir_core::ports::{DatabaseDiagnostics, TerminateRequest};

use super::{check, check_eq, ok, unique};

/// The connection status is consistent: reserved slots and client connections within
/// `max_connections`, `headroom` and `utilisation` the arithmetic of the two, groups largest
/// first and together no more than the total, an oldest idle age only with idle connections.
pub async fn connection_status_is_consistent(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::connection_status_is_consistent";
    let status = ok(db.connection_status().await, RULE, "connection_status");
    let total = status.counts.total();
    check!(
        status.reserved_connections <= status.max_connections,
        RULE,
        "reserved connections ({}) within max_connections ({})",
        status.reserved_connections,
        status.max_connections
    );
    check!(
        total <= status.max_connections,
        RULE,
        "client connections ({total}) within max_connections ({})",
        status.max_connections
    );
    check_eq!(
        status.headroom(),
        status
            .max_connections
            .saturating_sub(status.reserved_connections)
            .saturating_sub(total),
        RULE,
        "headroom is max - reserved - in use"
    );
    check!(
        status.utilisation() >= 0.0,
        RULE,
        "utilisation is not negative"
    );
    let grouped: u32 = status.groups.iter().map(|g| g.counts.total()).sum();
    check!(
        grouped <= total,
        RULE,
        "groups ({grouped}) hold no more connections than the total ({total})"
    );
    check!(
        status
            .groups
            .windows(2)
            .all(|w| w[0].counts.total() >= w[1].counts.total()),
        RULE,
        "groups are largest first"
    );
    check!(
        status.counts.idle > 0 || status.oldest_idle.is_none(),
        RULE,
        "no oldest idle connection without idle connections"
    );
    check!(
        status.counts.idle_in_transaction > 0 || status.oldest_idle_in_transaction.is_none(),
        RULE,
        "no oldest idle-in-transaction connection without one"
    );
}

/// `terminate_idle` for an application name nobody uses finds nothing, dry run or not, and
/// the report says whether it was a dry run.
pub async fn terminate_finds_nothing_for_an_unused_application(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::terminate_finds_nothing_for_an_unused_application";
    let nobody = unique("ir-conformance-nobody");
    for dry_run in [true, false] {
        let request = TerminateRequest {
            older_than: Duration::from_secs(3600),
            application_name: Some(nobody.clone()),
            user: None,
            dry_run,
        };
        let report = ok(db.terminate_idle(&request).await, RULE, "terminate_idle");
        check_eq!(
            report.dry_run,
            dry_run,
            RULE,
            "the report says whether it was a dry run"
        );
        check!(
            report.terminated.is_empty() && report.refused.is_empty(),
            RULE,
            "nothing matches an application name nobody uses: {report:?}"
        );
    }
}

/// A dry run over every connection idle longer than a second says it is a dry run and lists
/// only `idle` connections past the threshold.
pub async fn dry_run_lists_only_idle_connections(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::dry_run_lists_only_idle_connections";
    let broad = TerminateRequest {
        dry_run: true,
        ..TerminateRequest::idle_longer_than(Duration::from_secs(1))
    };
    let report = ok(
        db.terminate_idle(&broad).await,
        RULE,
        "terminate_idle (dry run)",
    );
    check!(report.dry_run, RULE, "a dry run reports itself as one");
    for backend in report
        .terminated
        .iter()
        .chain(report.refused.iter().map(|(b, _)| b))
    {
        check_eq!(
            backend.state,
            "idle",
            RULE,
            "only idle connections match: {backend:?}"
        );
        check!(
            backend.idle_for >= broad.older_than,
            RULE,
            "only connections idle past the threshold match: {backend:?}"
        );
    }
}

/// `slow_queries(5)` answers (any variant): at most five, slowest mean time first.
pub async fn slow_queries_are_limited_and_slowest_first(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::slow_queries_are_limited_and_slowest_first";
    // `ExtensionMissing`, `NotPreloaded` (and any later variant) hold no queries to check.
    if let SlowQueries::Available(queries) = ok(db.slow_queries(5).await, RULE, "slow_queries") {
        check!(queries.len() <= 5, RULE, "slow_queries honours the limit");
        check!(
            queries.windows(2).all(|w| w[0].mean_time >= w[1].mean_time),
            RULE,
            "slow queries are slowest first"
        );
    }
}

/// `pool_status` answers consistently (idle among open, open within the maximum) or is
/// `Unsupported`.
pub async fn pool_status_answers_or_is_unsupported(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::pool_status_answers_or_is_unsupported";
    match db.pool_status().await {
        Ok(pool) => {
            check!(
                pool.idle <= pool.size,
                RULE,
                "a pool's idle connections are among its open ones: {pool:?}"
            );
            check!(
                pool.max == 0 || pool.size <= pool.max,
                RULE,
                "a pool holds no more than its maximum: {pool:?}"
            );
        }
        Err(e) => check_eq!(
            e.kind(),
            ErrorKind::Unsupported,
            RULE,
            "pool_status answers or is Unsupported: {e}"
        ),
    }
}

/// `SHOW POOLS` and `SHOW STATS` both answer or are both `Unsupported`; every row names its
/// database.
pub async fn pgbouncer_answers_or_is_unsupported(db: &dyn DatabaseDiagnostics) {
    const RULE: &str = "database_diagnostics::pgbouncer_answers_or_is_unsupported";
    let pools = db.pgbouncer_pools().await;
    let stats = db.pgbouncer_stats().await;
    for (what, result) in [
        ("pgbouncer_pools", pools.as_ref().map(|_| ())),
        ("pgbouncer_stats", stats.as_ref().map(|_| ())),
    ] {
        if let Err(e) = result {
            check_eq!(
                e.kind(),
                ErrorKind::Unsupported,
                RULE,
                "{what} answers or is Unsupported: {e}"
            );
        }
    }
    check_eq!(
        pools.is_ok(),
        stats.is_ok(),
        RULE,
        "SHOW POOLS and SHOW STATS are both supported or neither"
    );
    if let (Ok(pools), Ok(stats)) = (pools, stats) {
        check!(
            pools.iter().all(|p| !p.database.is_empty())
                && stats.iter().all(|s| !s.database.is_empty()),
            RULE,
            "every PgBouncer row names its database"
        );
    }
}

/// Every rule above.
pub async fn run_all(db: &dyn DatabaseDiagnostics) {
    connection_status_is_consistent(db).await;
    terminate_finds_nothing_for_an_unused_application(db).await;
    dry_run_lists_only_idle_connections(db).await;
    slow_queries_are_limited_and_slowest_first(db).await;
    pool_status_answers_or_is_unsupported(db).await;
    pgbouncer_answers_or_is_unsupported(db).await;
}
