//! Named sets of literal patterns: the runbook's greps, widened with the texts real services print.

/// A named set of literal, case-insensitive patterns ("errors", "pool", or one of yours).
///
/// A line matches the set when it contains any of the patterns, ignoring ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternSet {
    name: String,
    patterns: Vec<String>,
}

impl PatternSet {
    /// A set called `name` matching any of `patterns` (empty patterns are dropped).
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        patterns: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            patterns: patterns
                .into_iter()
                .map(Into::into)
                .filter(|p: &String| !p.is_empty())
                .collect(),
        }
    }

    /// The set's name, as reported in scan results.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The set's patterns.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Adds a pattern to the set.
    pub fn with_pattern(mut self, pattern: impl Into<String>) -> Self {
        let p = pattern.into();
        if !p.is_empty() {
            self.patterns.push(p);
        }
        self
    }

    /// The runbook's error grep, `grep -i "error\|exception\|fail"` (RUNBOOK.md, "View Railway logs").
    pub fn errors() -> Self {
        Self::new("errors", ["error", "exception", "fail"])
    }

    /// The runbook's crash grep, `grep -i "crash\|exit\|killed"`, with Node's out-of-memory lines.
    pub fn crashes() -> Self {
        Self::new(
            "crashes",
            [
                "crash",
                "exit",
                "killed",
                // V8's fatal OOM line as Node prints it, e.g. "FATAL ERROR: Reached heap limit
                // Allocation failed - JavaScript heap out of memory" (nodejs/node doc/api/cli.md,
                // `--heapsnapshot-near-heap-limit`, quotes "Ineffective mark-compacts near heap
                // limit Allocation failed - JavaScript heap out of memory").
                "JavaScript heap out of memory",
                "Reached heap limit",
            ],
        )
    }

    /// The runbook's NextAuth grep, `grep -i "nextauth\|no_secret"`, with the texts NextAuth prints.
    pub fn auth() -> Self {
        Self::new(
            "auth",
            [
                "nextauth",
                "no_secret",
                // next-auth `packages/next-auth/src/core/lib/assert.ts`:
                // `new MissingSecret("Please define a \`secret\` in production.")`, logged as
                // "[next-auth][error][NO_SECRET]"; Auth.js v5 names the class `MissingSecret`.
                "MissingSecret",
                "Please define a `secret`",
                "[next-auth][error]",
            ],
        )
    }

    /// A failed build or a missing module after a deploy.
    pub fn build() -> Self {
        Self::new(
            "build",
            [
                // Node's CommonJS loader, `lib/internal/modules/cjs/loader.js`:
                // "Cannot find module '<request>'" (code MODULE_NOT_FOUND).
                "Cannot find module",
                // webpack's ModuleNotFoundError as Next.js prints it:
                // "Module not found: Can't resolve './x'" (seen quoted in many user reports; not
                // confirmed here in webpack's own source).
                "Module not found",
                "MODULE_NOT_FOUND",
            ],
        )
    }

    /// Database connection-pool exhaustion, from the clients a Next.js service uses and their servers.
    pub fn pool() -> Self {
        Self::new(
            "pool",
            [
                // PostgreSQL `src/backend/storage/lmgr/proc.c`, SQLSTATE 53300
                // (ERRCODE_TOO_MANY_CONNECTIONS): "sorry, too many clients already".
                "too many clients already",
                // PostgreSQL, same SQLSTATE: "remaining connection slots are reserved for ...".
                "remaining connection slots are reserved",
                // PgBouncer `src/client.c`, decide_startup_pool(): disconnect_client(client, true,
                // "no more connections allowed (max_client_conn)").
                "no more connections allowed",
                // SQLAlchemy `lib/sqlalchemy/pool/impl.py`, QueuePool._do_get(): "QueuePool limit
                // of size %d overflow %d reached, connection timed out, timeout %0.2f".
                "QueuePool limit of size",
                // sqlx `sqlx-core/src/error.rs`, Error::PoolTimedOut:
                // "pool timed out while waiting for an open connection".
                "pool timed out while waiting for an open connection",
                // node-postgres `packages/pg-pool/index.js`, connectionTimeoutMillis elapsed:
                // "timeout exceeded when trying to connect".
                "timeout exceeded when trying to connect",
                // Prisma P2024: "Timed out fetching a new connection from the connection pool."
                "Timed out fetching a new connection from the connection pool",
                // Prisma P1001: "Can't reach database server at `host`:`port`".
                "Can't reach database server",
                // Knex `lib/client.js`, acquireConnection(): "Knex: Timeout acquiring a
                // connection. The pool is probably full. Are you missing a .transacting(trx) call?"
                "Timeout acquiring a connection",
            ],
        )
    }

    /// The five default sets: errors, crashes, auth, build, pool.
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::errors(),
            Self::crashes(),
            Self::auth(),
            Self::build(),
            Self::pool(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(set: &PatternSet, line: &str) -> bool {
        let lower = line.to_ascii_lowercase();
        set.patterns()
            .iter()
            .any(|p| lower.contains(&p.to_ascii_lowercase()))
    }

    /// One real line per message the sets claim to recognise.
    #[test]
    fn each_default_set_matches_its_messages() {
        let table: &[(PatternSet, &str)] = &[
            (
                PatternSet::errors(),
                "TypeError: Cannot read properties of undefined",
            ),
            (
                PatternSet::errors(),
                "Unhandled Exception in request handler",
            ),
            (PatternSet::errors(), "healthcheck FAILED after 3 attempts"),
            (PatternSet::crashes(), "Application crashed, restarting"),
            (
                PatternSet::crashes(),
                "npm ERR! code ELIFECYCLE exit status 1",
            ),
            (PatternSet::crashes(), "Process killed by signal SIGKILL"),
            (
                PatternSet::crashes(),
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            ),
            (
                PatternSet::crashes(),
                "FATAL ERROR: Ineffective mark-compacts near heap limit Allocation failed - JavaScript heap out of memory",
            ),
            (
                PatternSet::auth(),
                "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret",
            ),
            (
                PatternSet::auth(),
                "MissingSecretError: Please define a `secret` in production.",
            ),
            (
                PatternSet::auth(),
                "[auth][error] MissingSecret: Please define a `secret`.",
            ),
            (
                PatternSet::build(),
                "Error: Cannot find module 'lib/utils/formatDate'",
            ),
            (
                PatternSet::build(),
                "Module not found: Can't resolve './components/Header'",
            ),
            (PatternSet::build(), "code: 'MODULE_NOT_FOUND'"),
            (
                PatternSet::pool(),
                "FATAL:  sorry, too many clients already",
            ),
            (
                PatternSet::pool(),
                "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            ),
            (
                PatternSet::pool(),
                "ERROR: no more connections allowed (max_client_conn)",
            ),
            (
                PatternSet::pool(),
                "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
            ),
            (
                PatternSet::pool(),
                "Error: pool timed out while waiting for an open connection",
            ),
            (
                PatternSet::pool(),
                "Error: timeout exceeded when trying to connect",
            ),
            (
                PatternSet::pool(),
                "Timed out fetching a new connection from the connection pool. (Current connection pool timeout: 10, connection limit: 5)",
            ),
            (
                PatternSet::pool(),
                "PrismaClientInitializationError: Can't reach database server at `db:5432`",
            ),
            (
                PatternSet::pool(),
                "KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full.",
            ),
        ];
        for (set, line) in table {
            assert!(matches(set, line), "{} should match {line:?}", set.name());
        }
    }

    #[test]
    fn user_sets_drop_empty_patterns() {
        let set = PatternSet::new("mine", ["", "stripe"])
            .with_pattern("")
            .with_pattern("webhook");
        assert_eq!(set.patterns(), ["stripe", "webhook"]);
        assert_eq!(set.name(), "mine");
    }
}
