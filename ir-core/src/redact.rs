//! Scrubbing credentials out of text that came from the world (log lines, error pages, CI log
//! excerpts, error-tracker titles) before it becomes evidence in a timeline.
//!
//! `ir` never puts a secret it handles into a timeline; but a log line it reads may carry one
//! the application printed (`connect failed postgres://app:hunter2@db:5432/web`). Everything a
//! probe brings back passes through [`redact`] before it is recorded.
//!
//! Two kinds of scrubbing:
//!
//! - **By pattern** ([`redact`]): what looks like a credential, whoever's it is: passwords in
//!   URLs, bearer and basic tokens, `password=`-style pairs, well-known token shapes. It
//!   cannot know a random value is secret (`Zm9vYmFy` on its own line stays).
//! - **By value** ([`Secrets`]): the exact values `ir` generated or read (a new
//!   `NEXTAUTH_SECRET`, a variable's value, a routing key), wherever they appear, in the
//!   forms they travel in, then the patterns as well.
//! - **URLs** ([`redact_url`]): the values of token-like query parameters (`?token=...`), for
//!   URLs recorded as such (a health check's).
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
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::Engine as _;
use regex::Regex;
use secrecy::{ExposeSecret, SecretString};

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

/// Query parameters whose value is a credential, as [`redact_url`] reads them: these names,
/// and any name ending in `_token`, `_key`, `_secret`, `_password`, `_signature` or `_sig`
/// (any case, `-` read as `_`).
const TOKEN_PARAMETERS: &[&str] = &[
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "key",
    "api_key",
    "apikey",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "pwd",
    "signature",
    "sig",
    "auth",
    "authorization",
    "credential",
    "credentials",
    "session",
    "code",
];

/// Whether query parameter `name` carries a credential (see [`TOKEN_PARAMETERS`]).
fn is_token_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase().replace('-', "_");
    TOKEN_PARAMETERS.contains(&name.as_str())
        || [
            "_token",
            "_key",
            "_secret",
            "_password",
            "_signature",
            "_sig",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// `url` (absolute, or a path with a query) as it may be recorded: the value of every
/// token-like query parameter replaced by [`REDACTED`] (`token`, `key`, `secret`, `password`,
/// `signature`, `sig`, `auth`, `access_token`, `api_key`, `client_secret`, `code`,
/// `session`, ..., and any name ending in `_token`, `_key`, `_secret`, `_password`,
/// `_signature`, `_sig`; any case), other parameters and the fragment kept as they are, then
/// [`redact`]'s patterns (a URL's password among them).
///
/// ```
/// use ir_core::redact::redact_url;
///
/// assert_eq!(
///     redact_url("https://www.example.com/health?token=t0k&verbose=1&X-Amz-Signature=ab12"),
///     "https://www.example.com/health?token=<redacted>&verbose=1&X-Amz-Signature=<redacted>"
/// );
/// assert_eq!(redact_url("/health?sig"), "/health?sig=<redacted>");
/// assert_eq!(redact_url("https://admin:pw@example.com/"), "https://admin:<redacted>@example.com/");
/// assert_eq!(redact_url("/health"), "/health");
/// ```
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (url, None),
    };
    let masked = before_fragment.split_once('?').and_then(|(base, query)| {
        let mut changed = false;
        let pairs: Vec<Cow<'_, str>> = query
            .split('&')
            .map(|pair| {
                let name = pair.split_once('=').map_or(pair, |(name, _)| name);
                let decoded: String = url::form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(name, _)| name.into_owned())
                    .unwrap_or_default();
                if is_token_parameter(&decoded) && !pair.ends_with(&format!("={REDACTED}")) {
                    changed = true;
                    Cow::Owned(format!("{name}={REDACTED}"))
                } else {
                    Cow::Borrowed(pair)
                }
            })
            .collect();
        changed.then(|| {
            let mut out = format!("{base}?{}", pairs.join("&"));
            if let Some(fragment) = fragment {
                out.push('#');
                out.push_str(fragment);
            }
            out
        })
    });
    match masked {
        Some(masked) => Cow::Owned(redact(&masked).into_owned()),
        None => redact(url),
    }
}

/// The exact secret values `ir` generated or read, scrubbed from any text as well as
/// [`redact`]'s patterns: the runner adds each value it learns, and passes every text that
/// enters the timeline through [`Secrets::redact`].
///
/// Cheap to clone: clones share one set, so a value added through any clone is scrubbed by
/// all of them from then on. `Send + Sync`. `Debug` shows how many values it holds, never
/// one of them.
///
/// ```
/// use ir_core::redact::Secrets;
/// use secrecy::SecretString;
///
/// let secrets = Secrets::new();
/// assert!(secrets.add(&SecretString::from("Zm9vYmFyYmF6cXV4LXNlY3JldA==")));
/// // Too short to tell from ordinary words: not added.
/// assert!(!secrets.add(&SecretString::from("prod")));
///
/// let line = r#"{"NEXTAUTH_SECRET":"Zm9vYmFyYmF6cXV4LXNlY3JldA=="} set, url ?s=Zm9vYmFyYmF6cXV4LXNlY3JldA%3D%3D"#;
/// assert_eq!(
///     secrets.redact(line),
///     r#"{"NEXTAUTH_SECRET":"<redacted>"} set, url ?s=<redacted>"#
/// );
/// assert_eq!(format!("{secrets:?}"), "Secrets { values: 1, min_len: 8 }");
/// ```
///
/// # What is scrubbed
///
/// Each value of at least [`min_len`](Self::min_len) bytes ([`Secrets::MIN_LEN`] unless set
/// with [`with_min_len`](Self::with_min_len)), matched exactly (case-sensitive), in these
/// forms:
///
/// - as it is;
/// - JSON-escaped, as inside a JSON string: `\"`, `\\`, control characters, and also the
///   variants with `/` written `\/` and with every non-ASCII character written `\uXXXX`
///   (either hex case);
/// - URL-encoded: `application/x-www-form-urlencoded` (space as `+`), RFC 3986 (everything
///   but `A-Z a-z 0-9 - . _ ~` as `%XX`) and JavaScript's `encodeURIComponent`, each with
///   upper- or lower-case hex;
/// - base64, standard and URL-safe alphabets: the whole encoding (padded or not), and the
///   characters that depend on the value alone when it is encoded inside a longer input at
///   any offset (so `Basic base64("user:" + password)` loses the password's part), when that
///   part is at least [`Secrets::MIN_LEN`] characters long;
///
/// then everything [`redact`] removes. Overlapping or adjacent matches become one
/// [`REDACTED`]. Should a replacement itself complete a value with the text around it (a value
/// containing `<redacted>`'s characters), the text is scrubbed again, and after a few rounds
/// replaced by [`REDACTED`] whole: the output never contains a form above.
///
/// # What is not
///
/// - Values shorter than the minimum length ([`add`](Self::add) refuses them), and the
///   empty string.
/// - Part of a value: a value cut by a truncated excerpt, split across lines or log records,
///   or interleaved with other characters.
/// - Other encodings: hex, HTML entities, double encoding (JSON inside JSON,
///   percent-encoding twice), base64 of an encoded form, compression, a different case
///   (`ABC` for `abc`), Unicode normalisation variants.
/// - Values `ir` never saw: those are left to the patterns.
///
/// The values (and, while scrubbing, their forms) are held in memory, as [`SecretString`]s
/// and inside the matcher, until the last clone is dropped; the matcher's copies are not
/// zeroized.
#[derive(Clone)]
pub struct Secrets {
    shared: Arc<Shared>,
}

struct Shared {
    min_len: usize,
    matcher: RwLock<Arc<Matcher>>,
}

/// The values and the automaton of all their forms, rebuilt when a value is added.
#[derive(Default)]
struct Matcher {
    values: Vec<SecretString>,
    automaton: Automaton,
}

#[derive(Default)]
enum Automaton {
    #[default]
    Empty,
    Ready(AhoCorasick),
    /// The automaton could not be built (far too many values): every text is redacted whole.
    Failed,
}

impl Default for Secrets {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("values", &self.len())
            .field("min_len", &self.min_len())
            .finish()
    }
}

/// How many times a text is scrubbed before it is redacted whole.
const MAX_PASSES: usize = 4;

impl Secrets {
    /// The default minimum length of a value, in bytes: shorter values (`prod`, `true`, a
    /// port number) are too likely to be ordinary text to be scrubbed everywhere.
    pub const MIN_LEN: usize = 8;

    /// An empty set with the default minimum length, [`Secrets::MIN_LEN`].
    pub fn new() -> Self {
        Self::with_min_len(Self::MIN_LEN)
    }

    /// An empty set whose values must be at least `min_len` bytes (at least 1). A lower
    /// minimum suits one known value in a text about it (an error answering the request that
    /// carried it); base64 forms are still scrubbed only from [`Secrets::MIN_LEN`]
    /// characters.
    pub fn with_min_len(min_len: usize) -> Self {
        Self {
            shared: Arc::new(Shared {
                min_len: min_len.max(1),
                matcher: RwLock::new(Arc::new(Matcher::default())),
            }),
        }
    }

    /// The minimum length of a value, in bytes.
    pub fn min_len(&self) -> usize {
        self.shared.min_len
    }

    /// Adds `secret`, scrubbed by every clone from now on. Returns whether it was added:
    /// `false` when it is shorter than [`min_len`](Self::min_len) or already held.
    pub fn add(&self, secret: &SecretString) -> bool {
        let value = secret.expose_secret();
        if value.len() < self.min_len() {
            return false;
        }
        let mut slot = self
            .shared
            .matcher
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.values.iter().any(|v| v.expose_secret() == value) {
            return false;
        }
        let mut values = slot.values.clone();
        values.push(secret.clone());
        *slot = Arc::new(Matcher::build(values));
        true
    }

    /// How many values the set holds.
    pub fn len(&self) -> usize {
        self.snapshot().values.len()
    }

    /// Whether the set holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `text` contains a value in one of the forms scrubbed.
    pub fn contains_any(&self, text: &str) -> bool {
        match &self.snapshot().automaton {
            Automaton::Empty => false,
            Automaton::Ready(automaton) => automaton.is_match(text),
            Automaton::Failed => !text.is_empty(),
        }
    }

    /// `text` with every value, in every form listed in the type's docs, replaced by
    /// [`REDACTED`]; the patterns are not applied. Borrowed when nothing matched.
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.clean(text, false)
    }

    /// [`scrub`](Self::scrub), then [`redact`]'s patterns: what every text entering a
    /// timeline goes through. Borrowed when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.clean(text, true)
    }

    /// [`redact`](Self::redact) in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text) {
            *text = clean;
        }
    }

    fn snapshot(&self) -> Arc<Matcher> {
        self.shared
            .matcher
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn clean<'a>(&self, text: &'a str, patterns: bool) -> Cow<'a, str> {
        let matcher = self.snapshot();
        let automaton = match &matcher.automaton {
            Automaton::Empty if patterns => return redact(text),
            Automaton::Empty => return Cow::Borrowed(text),
            Automaton::Failed if text.is_empty() => return Cow::Borrowed(text),
            Automaton::Failed => return Cow::Owned(REDACTED.to_owned()),
            Automaton::Ready(automaton) => automaton,
        };
        let mut out = Cow::Borrowed(text);
        for _ in 0..MAX_PASSES {
            if let Some(scrubbed) = scrub_once(automaton, &out) {
                out = Cow::Owned(scrubbed);
            }
            if patterns {
                if let Cow::Owned(redacted) = redact(&out) {
                    out = Cow::Owned(redacted);
                }
            }
            if !automaton.is_match(out.as_ref()) {
                return out;
            }
        }
        Cow::Owned(REDACTED.to_owned())
    }
}

impl Matcher {
    fn build(values: Vec<SecretString>) -> Self {
        let mut forms: Vec<String> = values
            .iter()
            .flat_map(|v| forms_of(v.expose_secret()))
            .collect();
        forms.sort_unstable();
        forms.dedup();
        // A contiguous NFA: quick to build (a set is rebuilt on every `add`, and an adapter
        // builds one per error) and quick enough on the short texts a timeline holds.
        let automaton = match AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&forms)
        {
            Ok(automaton) => Automaton::Ready(automaton),
            Err(_) => Automaton::Failed,
        };
        Self { values, automaton }
    }
}

/// Every match of `automaton` in `text`, overlapping ones merged, replaced by one
/// [`REDACTED`]; `None` when nothing matched.
fn scrub_once(automaton: &AhoCorasick, text: &str) -> Option<String> {
    let mut spans: Vec<(usize, usize)> = automaton
        .find_overlapping_iter(text)
        .map(|m| (m.start(), m.end()))
        .collect();
    if spans.is_empty() {
        return None;
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut current: Option<(usize, usize)> = None;
    let flush = |out: &mut String, copied: &mut usize, (start, end): (usize, usize)| {
        // Matches of whole UTF-8 patterns start and end on character boundaries; were one
        // not to, the text would be redacted whole rather than cut inside a character.
        match text.get(*copied..start) {
            Some(before) => out.push_str(before),
            None => return false,
        }
        out.push_str(REDACTED);
        *copied = end;
        true
    };
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some(span) => {
                if !flush(&mut out, &mut copied, span) {
                    return Some(REDACTED.to_owned());
                }
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some(span) = current {
        if !flush(&mut out, &mut copied, span) {
            return Some(REDACTED.to_owned());
        }
    }
    match text.get(copied..) {
        Some(rest) => out.push_str(rest),
        None => return Some(REDACTED.to_owned()),
    }
    Some(out)
}

/// The forms of `value` a [`Secrets`] scrubs (see its docs).
fn forms_of(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    forms.extend(json_forms(value));
    forms.extend(url_forms(value.as_bytes()));
    forms.extend(
        base64_forms(value.as_bytes())
            .into_iter()
            .filter(|f| f.len() >= Secrets::MIN_LEN),
    );
    forms.retain(|f| !f.is_empty());
    forms
}

/// `value` as inside a JSON string, as `serde_json` writes it, with `/` as `\/`, and with
/// non-ASCII characters as `\uXXXX` in either hex case.
fn json_forms(value: &str) -> Vec<String> {
    let plain = serde_json::to_string(value)
        .ok()
        .and_then(|q| Some(q.strip_prefix('"')?.strip_suffix('"')?.to_owned()))
        .unwrap_or_default();
    let mut ascii_lower = String::with_capacity(plain.len());
    for c in plain.chars() {
        if c.is_ascii() {
            ascii_lower.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                ascii_lower.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    let ascii_upper = upper_escapes(&ascii_lower, "\\u", 4);
    let mut forms = Vec::new();
    for form in [plain, ascii_lower, ascii_upper] {
        forms.push(form.replace('/', "\\/"));
        forms.push(form);
    }
    forms
}

/// `text` with the `digits` hex digits after each `marker` in upper case.
fn upper_escapes(text: &str, marker: &str, digits: usize) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        out.push_str(&rest[..at + marker.len()]);
        rest = &rest[at + marker.len()..];
        let hex: String = rest.chars().take(digits).collect();
        out.push_str(&hex.to_ascii_uppercase());
        rest = &rest[hex.len()..];
    }
    out.push_str(rest);
    out
}

/// `bytes` URL-encoded three ways (form, RFC 3986, `encodeURIComponent`), hex in either case.
fn url_forms(bytes: &[u8]) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(bytes).collect();
    let percent = |keep: &dyn Fn(u8) -> bool| {
        let mut out = String::with_capacity(bytes.len() * 3);
        for &b in bytes {
            if keep(b) {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    };
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    let rfc3986 = percent(&unreserved);
    let component = percent(&|b| unreserved(b) || matches!(b, b'!' | b'\'' | b'(' | b')' | b'*'));
    let mut forms = Vec::new();
    for form in [form, rfc3986, component] {
        forms.push(lower_percent(&form));
        forms.push(form);
    }
    forms
}

/// `text` with the two hex digits after each `%` in lower case.
fn lower_percent(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hex_left = 0;
    for c in text.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            if c == '%' {
                hex_left = 2;
            }
            out.push(c);
        }
    }
    out
}

/// `bytes` in base64 (standard and URL-safe): the whole encoding, padded, and for each of the
/// three offsets at which it can start inside a longer input, the characters that depend on
/// `bytes` alone.
fn base64_forms(bytes: &[u8]) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    let mut forms = Vec::new();
    for engine in [&STANDARD, &URL_SAFE] {
        forms.push(engine.encode(bytes));
        for offset in 0..3usize {
            let mut shifted = vec![0u8; offset];
            shifted.extend_from_slice(bytes);
            let encoded = engine.encode(&shifted);
            // Character i covers bits 6i..6i+6: keep those wholly inside `bytes`' bits.
            let first = (8 * offset).div_ceil(6);
            let end = 8 * (offset + bytes.len()) / 6;
            if let Some(stable) = encoded.get(first..end) {
                forms.push(stable.to_owned());
            }
        }
    }
    forms
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

    fn secret(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    fn holding(values: &[&str]) -> Secrets {
        let secrets = Secrets::new();
        for v in values {
            assert!(secrets.add(&secret(v)), "{v} refused");
        }
        secrets
    }

    #[test]
    fn a_value_is_scrubbed_in_every_form_it_travels_in() {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
        let value = "pa\"ss/wörd\\ 42?&=+";
        let secrets = holding(&[value]);
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = &json[1..json.len() - 1];
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let basic = STANDARD.encode(format!("admin:{value}"));
        let cases = [
            format!("raw {value} end"),
            format!(r#"{{"v":"{json}"}}"#),
            format!(r#"{{"v":"{}"}}"#, json.replace('/', "\\/")),
            r#"{"v":"pa\"ss\/w\u00f6rd\\ 42?&=+"}"#.to_owned(),
            r#"{"v":"pa\"ss/w\u00F6rd\\ 42?&=+"}"#.to_owned(),
            format!("GET /x?v={form}&y=1"),
            "GET /x?v=pa%22ss%2Fw%C3%B6rd%5C%2042%3F%26%3D%2B&y=1".to_owned(),
            "GET /x?v=pa%22ss%2fw%c3%b6rd%5c%2042%3f%26%3d%2b&y=1".to_owned(),
            format!("b64 {} end", STANDARD.encode(value)),
            format!("b64 {} end", URL_SAFE_NO_PAD.encode(value)),
        ];
        for text in &cases {
            let out = secrets.scrub(text);
            assert!(out.contains(REDACTED), "{text} -> {out}");
            for leaked in ["ss/w", "ss\\/w", "%2Fw", "%2fw", "w\\u00", "wörd"] {
                assert!(!out.contains(leaked), "{text} -> {out}");
            }
        }
        // Inside `Basic base64("admin:" + value)` the value's part of the encoding goes.
        let header = format!("Authorization: Basic {basic}");
        let out = secrets.scrub(&header).into_owned();
        assert!(out.starts_with("Authorization: Basic "), "{out}");
        assert!(out.contains(REDACTED), "{out}");
        let stable = &STANDARD.encode(format!("\0\0{value}"))[3..];
        assert!(!out.contains(&stable[..Secrets::MIN_LEN]), "{out}");
    }

    #[test]
    fn context_is_kept_and_clean_text_borrowed() {
        let secrets = holding(&["s3cr3t-generated-value"]);
        assert_eq!(
            secrets.redact("set NEXTAUTH_SECRET to s3cr3t-generated-value, then restart"),
            "set NEXTAUTH_SECRET to <redacted>, then restart"
        );
        // Adjacent and overlapping matches become one marker.
        assert_eq!(
            secrets.scrub("s3cr3t-generated-values3cr3t-generated-value!"),
            "<redacted>!"
        );
        for clean in [
            "nothing here",
            "",
            "s3cr3t-generated",
            "S3CR3T-GENERATED-VALUE",
        ] {
            assert!(matches!(secrets.scrub(clean), Cow::Borrowed(_)), "{clean}");
        }
        // The patterns run too.
        assert_eq!(
            secrets.redact("postgres://app:hunter2@db/web"),
            "postgres://app:<redacted>@db/web"
        );
        assert!(matches!(
            Secrets::new().redact("GET /health 200"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn short_values_are_refused_and_the_minimum_can_be_lowered() {
        let secrets = Secrets::new();
        assert!(!secrets.add(&secret("prod")));
        assert!(!secrets.add(&secret("")));
        assert!(!secrets.add(&secret("1234567")));
        assert!(secrets.add(&secret("12345678")));
        assert!(!secrets.add(&secret("12345678")), "held already");
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets.scrub("a prod deploy"), "a prod deploy");

        let one = Secrets::with_min_len(0);
        assert_eq!(one.min_len(), 1);
        assert!(one.add(&secret(r#"K"Y"#)));
        assert!(!one.add(&secret("")));
        assert_eq!(
            one.scrub(r#"routing key K"Y unknown, "K\"Y""#),
            r#"routing key <redacted> unknown, "<redacted>""#
        );
    }

    #[test]
    fn clones_share_one_set_and_debug_shows_no_value() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Secrets>();
        let secrets = Secrets::new();
        let runner = secrets.clone();
        assert!(runner.add(&secret("generated-later-value")));
        assert_eq!(secrets.scrub("x generated-later-value"), "x <redacted>");
        let debug = format!("{secrets:?}");
        assert_eq!(debug, "Secrets { values: 1, min_len: 8 }");
        assert!(!debug.contains("generated"));
        assert!(secrets.contains_any("generated-later-value"));
        assert!(!secrets.contains_any("generated-later"));
    }

    #[test]
    fn a_replacement_never_completes_a_value() {
        // The marker's last characters and the text after it spell the first value.
        let secrets = holding(&["d>zzzzzzzz", "aaaaaaaaaa"]);
        let out = secrets.scrub("aaaaaaaaaazzzzzzzz");
        assert!(!out.contains("d>zzzzzzzz"), "{out}");
        // A value made of the marker itself cannot be scrubbed away: the text goes whole.
        let marker = holding(&[REDACTED]);
        assert_eq!(marker.scrub("a <redacted> b"), REDACTED);
        // A pattern's replacement completing a value is caught too.
        let secrets = holding(&["d>@db.internal"]);
        let out = secrets.redact("postgres://app:pw@db.internal/web");
        assert!(!out.contains("d>@db.internal"), "{out}");
    }

    proptest::proptest! {
        /// Whatever the text and wherever the values are put in it, in any form, none of
        /// them survives.
        #[test]
        fn no_known_secret_survives(
            values in proptest::collection::vec("\\PC{8,24}", 1..4),
            filler in proptest::collection::vec("\\PC{0,12}", 1..6),
            picks in proptest::collection::vec((0usize..4, 0usize..24), 1..8),
        ) {
            let secrets = Secrets::new();
            for v in &values {
                secrets.add(&secret(v));
            }
            let mut text = String::new();
            for (i, (which, form)) in picks.iter().enumerate() {
                text.push_str(&filler[i % filler.len()]);
                let forms = forms_of(&values[which % values.len()]);
                text.push_str(&forms[form % forms.len()]);
            }
            let out = secrets.redact(&text);
            for v in &values {
                for form in forms_of(v) {
                    proptest::prop_assert!(!out.contains(&form), "{form:?} in {out:?}");
                }
            }
        }
    }

    #[test]
    fn url_token_parameters_are_masked() {
        let cases = [
            (
                "https://u:pw@example.com/health?token=t0k&x=1&API_KEY=k3y&sig&access_token=a%20b&signature=s1&secret=s2&password=p&key=k&auth=a",
                "https://u:<redacted>@example.com/health?token=<redacted>&x=1&API_KEY=<redacted>&sig=<redacted>&access_token=<redacted>&signature=<redacted>&secret=<redacted>&password=<redacted>&key=<redacted>&auth=<redacted>",
            ),
            (
                "/health?X-Amz-Signature=abc&X-Amz-Date=20260208&client-secret=c&stripe_key=s#top",
                "/health?X-Amz-Signature=<redacted>&X-Amz-Date=20260208&client-secret=<redacted>&stripe_key=<redacted>#top",
            ),
            ("/health?verbose=1&page=2", "/health?verbose=1&page=2"),
            ("/health", "/health"),
            ("/health?", "/health?"),
            ("/health?tok%65n=x", "/health?tok%65n=<redacted>"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
            // Masking twice changes nothing.
            assert_eq!(redact_url(shown), shown, "{shown}");
        }
        assert!(matches!(redact_url("/health?verbose=1"), Cow::Borrowed(_)));
    }
}
