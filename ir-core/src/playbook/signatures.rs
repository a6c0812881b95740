//! Recognising failures from the text services actually print.
//!
//! Every recogniser here is a regular expression over a log line, an error-tracker title or a
//! response body, written against the real messages quoted in the runbook and in the providers'
//! sources: NextAuth's `[next-auth][error][NO_SECRET]`, Node's `Cannot find module '...'`,
//! SQLAlchemy's `QueuePool limit of size N overflow M reached`, sqlx's `pool timed out while
//! waiting for an open connection`, PostgreSQL's SQLSTATE 53300 `sorry, too many clients
//! already`, and so on.
//!
//! ```
//! use ir_core::playbook::signatures::{missing_module, queue_pool_limit, LogPattern};
//!
//! let line = "Error: Cannot find module 'lib/utils/formatDate'";
//! assert_eq!(missing_module(line).as_deref(), Some("lib/utils/formatDate"));
//! assert!(LogPattern::MissingModule.matches(line));
//!
//! let pool = "sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 10 reached, \
//!             connection timed out, timeout 30.00";
//! assert_eq!(queue_pool_limit(pool), Some((10, 10)));
//! assert!(LogPattern::PoolExhausted.matches(pool));
//! ```

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

#[allow(clippy::expect_used)] // the patterns are literals, checked by the tests below
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern compiles")
}

static CRASH: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)\b(crash(ed|ing)?|exit(ed)?( with)? (code|status)|exited|",
        r"killed|sigkill|sigterm|oomkilled|segmentation fault|core dumped|",
        r"unhandled ?(promise ?)?rejection|uncaught exception|",
        r"back-?off restarting|restarting container|process exited)\b"
    ))
});

static NEXTAUTH: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(\[next-auth\]\[(error|warn)\]\[no_secret\]|\bNO_SECRET\b|\bMissingSecret(Error)?\b|",
        r"next-auth\.js\.org/errors#no_secret|authjs\.dev/reference/core/errors#missingsecret|",
        r"please define a `?secret`?|NextAuth: NO_SECRET)"
    ))
});

static SERVER_CONFIGURATION: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)there is a problem with the server configuration"));

static MISSING_MODULE: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?:Cannot find module|Module not found: (?:Error: )?Can't resolve|"#,
        r#"[Cc]ould not resolve|[Ff]ailed to resolve import) ['"`]([^'"`]+)['"`]"#
    ))
});

static CASING: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?i)(differs from (?:already included|the) file name ['"]?[^'"]*['"]? only in casing|"#,
        r#"only in casing|case[- ]sensitiv)"#
    ))
});

static QUEUE_POOL: LazyLock<Regex> =
    LazyLock::new(|| re(r"QueuePool limit of (?:size )?(\d+) overflow (-?\d+) (?:is )?reached"));

static POOL_EXHAUSTED: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(QueuePool limit of (size )?\d+( overflow)?( -?\d+)? (is )?reached|",
        r"pool timed out while waiting for an open connection|PoolTimedOut|",
        r"sorry, too many clients already|\b53300\b|",
        r"remaining connection slots are reserved|",
        r"timeout exceeded when trying to connect|",
        r"no more connections allowed \(max_client_conn\)|query_wait_timeout)"
    ))
});

static TOO_MANY_CLIENTS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)(sorry, too many clients already|\b53300\b|remaining connection slots are reserved)")
});

static DATABASE_CONNECTION: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(ECONNREFUSED[^\n]*:(5432|6432)\b|connection refused[^\n]*(5432|6432|postgres)|",
        r"could not connect to (the )?(database )?server|connection terminated unexpectedly|",
        r"password authentication failed for user|database \S+ does not exist|",
        r"getaddrinfo (ENOTFOUND|EAI_AGAIN)|the database system is (starting up|shutting down)|",
        r"Can't reach database server|DATABASE_URL (is )?(not set|missing|undefined)|",
        r"PrismaClientInitializationError)"
    ))
});

static DATABASE_TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(canceling statement due to statement timeout|\b57014\b|",
        r"query (read )?timeout|Query timed out|lock timeout|",
        r"canceling statement due to lock timeout|deadlock detected|",
        r"timeout exceeded when trying to connect|pool timed out while waiting)"
    ))
});

static THIRD_PARTY: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)\b(stripe|github|strapi)\b|api\.stripe\.com|api\.github\.com"));

static OUT_OF_MEMORY: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(JavaScript heap out of memory|heap limit allocation failed|",
        r"out of memory|OOMKilled|\bOOM\b|Cannot allocate memory|memory limit exceeded)"
    ))
});

static COLD_START: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?i)(ready - started server|ready on http|listening on (port )?:?\d+|",
        r"server (is )?listening|starting (the )?(container|server)|",
        r"waking (up )?(from )?sleep|cold start)"
    ))
});

/// A named family of log lines, as a log probe searches for it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LogPattern {
    /// Crash, exit and kill lines: the runbook's `grep -i "crash\|exit\|killed"`.
    Crash,
    /// NextAuth's missing secret: `[next-auth][error][NO_SECRET]`, `MissingSecret`.
    NextAuthNoSecret,
    /// `Cannot find module '...'` and bundlers' unresolved imports.
    MissingModule,
    /// Pool exhaustion: SQLAlchemy `QueuePool limit`, sqlx `PoolTimedOut`, SQLSTATE 53300,
    /// PgBouncer `max_client_conn`.
    PoolExhausted,
    /// The application cannot reach or log into its database.
    DatabaseConnection,
    /// Statement, lock and acquire timeouts.
    DatabaseTimeout,
    /// A third-party API (Stripe, GitHub, Strapi) named in the line.
    ThirdParty,
    /// The process ran out of memory.
    OutOfMemory,
    /// The server (re)started: a cold start when it happens while requests wait.
    ColdStart,
    /// A user-supplied regular expression.
    Custom(String),
}

impl LogPattern {
    /// The pattern's name, as recorded in evidence.
    pub fn name(&self) -> &str {
        match self {
            Self::Crash => "crash",
            Self::NextAuthNoSecret => "next_auth_no_secret",
            Self::MissingModule => "missing_module",
            Self::PoolExhausted => "pool_exhausted",
            Self::DatabaseConnection => "database_connection",
            Self::DatabaseTimeout => "database_timeout",
            Self::ThirdParty => "third_party",
            Self::OutOfMemory => "out_of_memory",
            Self::ColdStart => "cold_start",
            Self::Custom(re) => re,
        }
    }

    /// The compiled expression.
    ///
    /// # Errors
    /// `InvalidInput` for a [`LogPattern::Custom`] expression that does not compile.
    pub fn regex(&self) -> crate::Result<std::borrow::Cow<'static, Regex>> {
        use std::borrow::Cow;
        let builtin: &'static LazyLock<Regex> = match self {
            Self::Crash => &CRASH,
            Self::NextAuthNoSecret => &NEXTAUTH,
            Self::MissingModule => &MISSING_MODULE,
            Self::PoolExhausted => &POOL_EXHAUSTED,
            Self::DatabaseConnection => &DATABASE_CONNECTION,
            Self::DatabaseTimeout => &DATABASE_TIMEOUT,
            Self::ThirdParty => &THIRD_PARTY,
            Self::OutOfMemory => &OUT_OF_MEMORY,
            Self::ColdStart => &COLD_START,
            Self::Custom(pattern) => {
                return Regex::new(pattern).map(Cow::Owned).map_err(|e| {
                    crate::Error::invalid_input(format!("log pattern {pattern:?}: {e}"))
                });
            }
        };
        Ok(Cow::Borrowed(LazyLock::force(builtin)))
    }

    /// Whether `text` matches (a custom pattern that does not compile matches nothing).
    pub fn matches(&self, text: &str) -> bool {
        self.regex().is_ok_and(|re| re.is_match(text))
    }
}

impl fmt::Display for LogPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `text` is a NextAuth/Auth.js missing-secret error (`[next-auth][error][NO_SECRET]`,
/// `MissingSecret`, "Please define a `secret`").
pub fn is_missing_auth_secret(text: &str) -> bool {
    NEXTAUTH.is_match(text)
}

/// Whether `text` is NextAuth's configuration-error answer, the JSON body of a 500 from
/// `/api/auth/session`: "There is a problem with the server configuration".
pub fn is_auth_server_configuration_error(text: &str) -> bool {
    SERVER_CONFIGURATION.is_match(text)
}

/// Which secret variable the failing NextAuth version reads: `AUTH_SECRET` when the text comes
/// from Auth.js v5 (`authjs.dev`, `@auth/core`, a bare `MissingSecret` with no `[next-auth]`
/// prefix), `NEXTAUTH_SECRET` for next-auth v4 (`[next-auth][error][NO_SECRET]`), `None` when it
/// cannot tell.
pub fn auth_secret_variable(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    if lower.contains("[next-auth]") || lower.contains("next-auth.js.org") {
        Some("NEXTAUTH_SECRET")
    } else if lower.contains("authjs.dev") || lower.contains("@auth/core") {
        Some("AUTH_SECRET")
    } else {
        None
    }
}

/// The module path in `Cannot find module 'lib/utils/x'` (and the webpack, Vite and esbuild
/// equivalents).
pub fn missing_module(text: &str) -> Option<String> {
    MISSING_MODULE
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
}

/// Whether `text` says an import differs from a file only in letter case (TypeScript's
/// TS1149/TS1261, or a "case sensitive" hint).
pub fn is_case_mismatch(text: &str) -> bool {
    CASING.is_match(text)
}

/// `(size, overflow)` from SQLAlchemy's `QueuePool limit of size N overflow M reached`.
pub fn queue_pool_limit(text: &str) -> Option<(u32, i32)> {
    let caps = QUEUE_POOL.captures(text)?;
    let size = caps.get(1)?.as_str().parse().ok()?;
    let overflow = caps.get(2)?.as_str().parse().ok()?;
    Some((size, overflow))
}

/// Whether `text` is the server refusing connections: SQLSTATE 53300 "sorry, too many clients
/// already", or the reserved-slots message.
pub fn is_too_many_clients(text: &str) -> bool {
    TOO_MANY_CLIENTS.is_match(text)
}

/// A third-party API named by an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ThirdParty {
    /// Stripe (payments).
    Stripe,
    /// GitHub (`github`, as [`as_str`](Self::as_str) spells it).
    #[serde(rename = "github", alias = "git_hub")]
    GitHub,
    /// Strapi (the CMS).
    Strapi,
}

impl ThirdParty {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stripe => "stripe",
            Self::GitHub => "github",
            Self::Strapi => "strapi",
        }
    }

    /// The name as people write it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Stripe => "Stripe",
            Self::GitHub => "GitHub",
            Self::Strapi => "Strapi",
        }
    }
}

impl fmt::Display for ThirdParty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The third-party API an error names (`StripeConnectionError`, `api.github.com`, `Strapi`).
pub fn third_party(text: &str) -> Option<ThirdParty> {
    let caps = THIRD_PARTY.captures(text)?;
    let word = caps
        .get(1)
        .map(|m| m.as_str().to_ascii_lowercase())
        .unwrap_or_else(|| caps.get(0).map(|m| m.as_str()).unwrap_or("").to_owned());
    if word.contains("stripe") {
        Some(ThirdParty::Stripe)
    } else if word.contains("github") {
        Some(ThirdParty::GitHub)
    } else if word.contains("strapi") {
        Some(ThirdParty::Strapi)
    } else {
        None
    }
}

/// Whether `text` names a third party *and* looks like a failure talking to it (so a log line
/// merely mentioning GitHub is not a third-party outage).
pub fn is_third_party_failure(text: &str) -> Option<ThirdParty> {
    static FAILURE: LazyLock<Regex> = LazyLock::new(|| {
        re(concat!(
            r"(?i)(error|exception|fail|timed? ?out|ETIMEDOUT|ECONNRESET|ECONNREFUSED|",
            r"\b5\d\d\b|unavailable|rate limit|too many requests|socket hang up)"
        ))
    });
    third_party(text).filter(|_| FAILURE.is_match(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nextauth_missing_secret_as_printed() {
        for line in [
            "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret Please define a `secret` in production.",
            "MissingSecretError: Please define a `secret` in production.",
            "[auth][error] MissingSecret: Please define a `secret`. Read more at https://errors.authjs.dev#missingsecret",
            "NextAuth: NO_SECRET environment variable",
        ] {
            assert!(is_missing_auth_secret(line), "{line}");
            assert!(LogPattern::NextAuthNoSecret.matches(line), "{line}");
        }
        assert!(!is_missing_auth_secret("[next-auth][debug] session ok"));
        assert_eq!(
            auth_secret_variable("[next-auth][error][NO_SECRET]"),
            Some("NEXTAUTH_SECRET")
        );
        assert_eq!(
            auth_secret_variable("MissingSecret ... https://errors.authjs.dev#missingsecret"),
            Some("AUTH_SECRET")
        );
        assert!(is_auth_server_configuration_error(
            r#"{"message":"There is a problem with the server configuration. Check the server logs for more information."}"#
        ));
    }

    #[test]
    fn missing_modules_from_node_webpack_vite_and_tsc() {
        let cases = [
            (
                "Error: Cannot find module 'lib/utils/formatDate'",
                "lib/utils/formatDate",
            ),
            (
                "Module not found: Can't resolve '@/lib/utils/missing-file'",
                "@/lib/utils/missing-file",
            ),
            (
                "Module not found: Error: Can't resolve './Button' in '/app/components'",
                "./Button",
            ),
            (
                "src/app/page.tsx(3,24): error TS2307: Cannot find module '@/lib/Analytics' or its corresponding type declarations.",
                "@/lib/Analytics",
            ),
            (
                r#"[vite]: Rollup failed to resolve import "lib/x" from "src/main.ts"."#,
                "lib/x",
            ),
        ];
        for (line, path) in cases {
            assert_eq!(missing_module(line).as_deref(), Some(path), "{line}");
        }
        assert_eq!(missing_module("compiled successfully"), None);
        assert!(is_case_mismatch(
            "error TS1149: File name '/app/lib/Utils.ts' differs from already included file name '/app/lib/utils.ts' only in casing."
        ));
    }

    #[test]
    fn pool_exhaustion_in_every_dialect() {
        assert_eq!(
            queue_pool_limit(
                "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)"
            ),
            Some((5, 10))
        );
        assert_eq!(
            queue_pool_limit("QueuePool limit of size 20 overflow -1 reached"),
            Some((20, -1))
        );
        for line in [
            "QueuePool limit of 20 overflow is reached",
            "error: pool timed out while waiting for an open connection",
            "FATAL:  sorry, too many clients already",
            "error returned from database: sorry, too many clients already (SQLSTATE 53300)",
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            "pooler error: no more connections allowed (max_client_conn)",
        ] {
            assert!(LogPattern::PoolExhausted.matches(line), "{line}");
        }
        assert!(is_too_many_clients(
            "FATAL:  sorry, too many clients already"
        ));
        assert!(!LogPattern::PoolExhausted.matches("GET /api/health 200 3ms"));
    }

    #[test]
    fn crash_lines() {
        for line in [
            "npm ERR! code ELIFECYCLE ... exited with code 1",
            "Process exited with status 137",
            "Killed",
            "Container crashed, restarting",
            "Unhandled Rejection: TypeError: x is undefined",
            "Error: OOMKilled",
        ] {
            assert!(LogPattern::Crash.matches(line), "{line}");
        }
        assert!(!LogPattern::Crash.matches("GET / 200 in 35ms"));
    }

    #[test]
    fn third_parties_are_named_in_configuration_as_as_str_spells_them() {
        for p in [ThirdParty::Stripe, ThirdParty::GitHub, ThirdParty::Strapi] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(serde_json::from_str::<ThirdParty>(&json).unwrap(), p);
        }
        let old: ThirdParty = serde_json::from_str("\"git_hub\"").unwrap();
        assert_eq!(old, ThirdParty::GitHub, "the earlier spelling still reads");
    }

    #[test]
    fn third_parties_in_error_titles() {
        assert_eq!(
            is_third_party_failure("StripeConnectionError: Request to Stripe timed out"),
            Some(ThirdParty::Stripe)
        );
        assert_eq!(
            is_third_party_failure("Error: connect ETIMEDOUT api.github.com:443"),
            Some(ThirdParty::GitHub)
        );
        assert_eq!(
            is_third_party_failure("FetchError: Strapi responded 503 Service Unavailable"),
            Some(ThirdParty::Strapi)
        );
        assert_eq!(is_third_party_failure("Signed in with GitHub"), None);
        assert_eq!(third_party("nothing here"), None);
    }

    #[test]
    fn database_connection_and_timeouts() {
        assert!(
            LogPattern::DatabaseConnection.matches("Error: connect ECONNREFUSED 10.0.0.5:5432")
        );
        assert!(
            LogPattern::DatabaseConnection
                .matches("FATAL: password authentication failed for user \"app\"")
        );
        assert!(
            LogPattern::DatabaseTimeout
                .matches("ERROR: canceling statement due to statement timeout")
        );
        assert!(LogPattern::OutOfMemory.matches(
            "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
        ));
        assert!(LogPattern::ColdStart.matches("ready - started server on 0.0.0.0:3000"));
    }

    #[test]
    fn custom_patterns_compile_or_error() {
        assert!(LogPattern::Custom("disk (full|quota)".into()).matches("disk full"));
        assert!(LogPattern::Custom("(".into()).regex().is_err());
        assert_eq!(
            queue_pool_limit("QueuePool limit of 20 overflow is reached"),
            None
        );
        assert!(!LogPattern::Custom("(".into()).matches("("));
    }
}
