//! Scrubbing credentials out of text that came from the world (log lines, error pages, CI log
//! excerpts, error-tracker titles) before it becomes evidence in a timeline.
//!
//! `ir` never puts a secret it handles into a timeline; but a log line it reads may carry one
//! the application printed (`connect failed postgres://app:hunter2@db:5432/web`). Everything a
//! probe brings back passes through [`redact`] before it is recorded.
//!
//! ```
//! use ir_core::redact::redact;
//!
//! assert_eq!(
//!     redact("connect failed postgres://app:hunter2@db:5432/web"),
//!     "connect failed postgres://app:<redacted>@db:5432/web"
//! );
//! assert_eq!(redact("Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl"), "Authorization: Bearer <redacted>");
//! assert_eq!(redact("retrying with password=s3cr3t&user=app"), "retrying with password=<redacted>&user=app");
//! assert_eq!(redact("GET /api/auth/session 500"), "GET /api/auth/session 500");
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What replaces a credential.
pub const REDACTED: &str = "<redacted>";

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

fn rule(pattern: &str, replacement: &'static str) -> Option<Rule> {
    // The patterns are constants, tested below; a pattern that failed to compile would be
    // skipped rather than panic in library code.
    Regex::new(pattern).ok().map(|pattern| Rule {
        pattern,
        replacement,
    })
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    [
        // scheme://user:password@host, and user:password@host without a scheme
        rule(
            r"(?i)(\b[a-z][a-z0-9+.\-]*://[^/\s:@]*|\b[a-z0-9._~%\-]+):([^@\s/]+)@",
            "${1}:<redacted>@",
        ),
        // Authorization: Bearer/Basic/Token <credential>
        rule(
            r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=\-]{8,}",
            "${1}${2}<redacted>",
        ),
        // key=value and "key": "value" for credential-like keys
        rule(
            r#"(?i)\b((?:[a-z0-9_\-]*_)?(?:password|passwd|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|client[_\-]?secret|auth[_\-]?token|session[_\-]?token|dsn))(["']?\s*[:=]\s*["']?)([^\s"'&,;]+)"#,
            "${1}${2}<redacted>",
        ),
        // Well-known token shapes.
        rule(r"\bgh[pousr]_[A-Za-z0-9]{20,}", REDACTED),
        rule(r"\bgithub_pat_[A-Za-z0-9_]{20,}", REDACTED),
        rule(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", REDACTED),
        rule(r"\bAKIA[0-9A-Z]{16}\b", REDACTED),
        rule(r"\bsk_(?:live|test)_[A-Za-z0-9]{16,}", REDACTED),
        rule(
            r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+",
            REDACTED,
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// `text` with credentials replaced by [`REDACTED`]: passwords in URLs, bearer/basic tokens,
/// `password=`/`token=`/`secret=`-style pairs, and well-known token shapes (GitHub, Slack, AWS
/// access keys, Stripe secret keys, JWTs). Text without any is returned borrowed.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.pattern.is_match(&out) {
            out = Cow::Owned(
                rule.pattern
                    .replace_all(&out, rule.replacement)
                    .into_owned(),
            );
        }
    }
    out
}

/// Redacts `text` in place.
pub fn redact_in_place(text: &mut String) {
    if let Cow::Owned(clean) = redact(text) {
        *text = clean;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        assert_eq!(RULES.len(), 9);
    }

    #[test]
    fn credentials_are_removed_and_context_kept() {
        let cases = [
            (
                "Error: connect ECONNREFUSED postgresql://app:hunter2@db.internal:5432/web",
                "Error: connect ECONNREFUSED postgresql://app:<redacted>@db.internal:5432/web",
            ),
            (
                "redis://:topsecret@cache:6379",
                "redis://:<redacted>@cache:6379",
            ),
            (
                "curl -H 'Authorization: Basic YWRtaW46cGFzc3dvcmQ='",
                "curl -H 'Authorization: Basic <redacted>'",
            ),
            (
                r#"{"api_key": "abc123def456", "user": "x"}"#,
                r#"{"api_key": "<redacted>", "user": "x"}"#,
            ),
            (
                "STRIPE_SECRET=sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                "STRIPE_SECRET=<redacted>",
            ),
            (
                "NEXTAUTH_SECRET=Zm9vYmFyYmF6cXV4",
                "NEXTAUTH_SECRET=<redacted>",
            ),
            (
                "token ghp_0123456789abcdefghijABCDEFGHIJ0123",
                "token <redacted>",
            ),
            ("key AKIAIOSFODNN7EXAMPLE used", "key <redacted> used"),
            (
                "slack xoxb-1234567890-abcdefghij failed",
                "slack <redacted> failed",
            ),
        ];
        for (dirty, clean) in cases {
            assert_eq!(redact(dirty), clean, "{dirty}");
        }
    }

    #[test]
    fn ordinary_lines_are_untouched_and_borrowed() {
        for line in [
            "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret Please define a `secret` in production.",
            "QueuePool limit of size 20 overflow 10 reached, connection timed out, timeout 30.00",
            "Error: Cannot find module 'lib/utils/format-date'",
            "FATAL: sorry, too many clients already",
            "GET https://api.stripe.com/v1/charges 502",
            "token validation failed for session",
            "https://user@host/",
            "https://host:8080/a@b",
            "deploy at 15:30 by alice@example.com",
        ] {
            assert!(matches!(redact(line), Cow::Borrowed(_)), "{line}");
        }
    }
}
