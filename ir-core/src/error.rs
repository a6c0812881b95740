//! The one public error type.
//!
//! Every port and every engine function returns [`Error`]. Its [`ErrorKind`] tells the caller
//! what to do (retry, re-authenticate, fix configuration, give up); it names the provider and the
//! operation that failed, and keeps the transport or driver error as its [`source`].
//!
//! [`source`]: std::error::Error::source

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU64;
use std::time::Duration;

/// A boxed error kept as [`Error::source`](std::error::Error::source).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type used across `ir`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms of what the caller can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The resource does not exist (or is hidden from this credential).
    NotFound,
    /// The credential is missing, expired or invalid: re-authenticate.
    Unauthenticated,
    /// The credential is valid but lacks the permission.
    PermissionDenied,
    /// The provider throttled the call; see [`Error::retry_after`].
    RateLimited,
    /// A concurrent writer got there first (stale version, held lease, duplicate).
    Conflict,
    /// The request was malformed or refused as invalid; retrying the same request will not help.
    InvalidInput,
    /// The call did not finish within its deadline.
    Timeout,
    /// The provider is down or answered with a server error.
    Unavailable,
    /// The provider or port cannot do this.
    Unsupported,
    /// `ir` itself is misconfigured (missing variable, bad URL, bad template).
    Config,
    /// The provider answered with something `ir` could not understand (malformed body).
    Protocol,
}

impl ErrorKind {
    /// Whether repeating the same call later may succeed.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Unavailable
        )
    }

    /// A short lower-case name, as used in [`Error`]'s `Display`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Config => "configuration error",
            ErrorKind::Protocol => "unexpected response",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error every `ir` API returns.
///
/// `Display` is one line: `provider operation: kind (status): message`, for example
/// `railway deploymentRollback: permission denied (HTTP 403): Not Authorized`. It never repeats
/// the text of its source; walk [`std::error::Error::source`] for that. An error that
/// [may have taken effect](Error::may_have_taken_effect) says so at the end.
///
/// ```
/// use ir_core::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::NotFound, "deployment d-42 does not exist")
///     .with_provider("railway")
///     .with_operation("deployment");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert!(!err.is_temporary());
/// assert_eq!(
///     err.to_string(),
///     "railway deployment: not found: deployment d-42 does not exist"
/// );
/// ```
#[derive(thiserror::Error)]
pub struct Error {
    kind: ErrorKind,
    provider: Option<Cow<'static, str>>,
    operation: Option<Cow<'static, str>>,
    status: Option<u16>,
    effect_unknown: bool,
    message: String,
    retry_after: Option<Duration>,
    // `NonZeroU64`, so `Error` stays under clippy's `result_large_err` size (128 bytes): a
    // stored timeline is never at version 0 (opening it writes its first event).
    current_version: Option<NonZeroU64>,
    #[source]
    source: Option<BoxError>,
}

/// What `Display` adds to an error [marked](Error::with_effect_unknown) as possibly having
/// taken effect: the request may have done its work before its answer was lost, so the state
/// must be read back before repeating it.
pub const MAY_HAVE_TAKEN_EFFECT: &str = "the request is not idempotent and may have taken \
     effect: re-read the state before repeating it";

impl Error {
    /// A new error of `kind` with a human-readable message (the service's own words where there are any).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            provider: None,
            operation: None,
            status: None,
            effect_unknown: false,
            message: message.into(),
            retry_after: None,
            current_version: None,
            source: None,
        }
    }

    /// Names the provider (`railway`, `github`, `postgres`, ...).
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Names the operation (`deploymentRollback`, `terminate_idle`, ...).
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = Some(operation.into());
        self
    }

    /// Records the HTTP status the provider answered with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Marks a failed request that may nonetheless have taken effect: a request that is not
    /// idempotent (a rollback, a variable change) reached, or may have reached, the provider,
    /// and its answer was lost (a timeout after sending, the connection lost while reading the
    /// answer, a success answer cut off or unreadable, a gateway error). Then
    /// [`may_have_taken_effect`] is `true`, and `Display` ends with
    /// [`MAY_HAVE_TAKEN_EFFECT`] so a person reading the line learns the same;
    /// [`message`](Self::message) stays the service's own words.
    ///
    /// Such an error is neither a success nor a failure: read the provider's state back
    /// (reconcile) before recording either, and never repeat the request blindly, even when
    /// the error [is temporary](Self::is_temporary).
    ///
    /// ```
    /// use ir_core::{Error, ErrorKind};
    ///
    /// let err = Error::timeout("no answer within 30 s (1 attempt; not repeated)")
    ///     .with_provider("railway")
    ///     .with_operation("deploymentRollback")
    ///     .with_effect_unknown();
    /// assert!(err.may_have_taken_effect());
    /// assert_eq!(err.kind(), ErrorKind::Timeout);
    /// assert_eq!(
    ///     err.to_string(),
    ///     "railway deploymentRollback: timed out: no answer within 30 s (1 attempt; not repeated); \
    ///      the request is not idempotent and may have taken effect: re-read the state before \
    ///      repeating it"
    /// );
    /// assert!(!Error::timeout("connect timed out").may_have_taken_effect());
    /// ```
    ///
    /// [`may_have_taken_effect`]: Self::may_have_taken_effect
    pub fn with_effect_unknown(mut self) -> Self {
        self.effect_unknown = true;
        self
    }

    /// Records how long the provider asked us to wait.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }

    /// Records the version a stored timeline is at, on a [`Conflict`](ErrorKind::Conflict)
    /// from [`IncidentStore::append`](crate::ports::IncidentStore::append): the writer can
    /// fetch only what it missed
    /// ([`load_since`](crate::ports::IncidentStore::load_since)`(id, its_version)`) and retry
    /// after `current_version`, instead of reloading the whole timeline.
    ///
    /// ```
    /// use ir_core::{Error, ErrorKind};
    ///
    /// let err = Error::conflict("incident is at version 7, not 5").with_current_version(7);
    /// assert_eq!(err.kind(), ErrorKind::Conflict);
    /// assert_eq!(err.current_version(), Some(7));
    /// assert_eq!(Error::conflict("stale").current_version(), None);
    /// ```
    ///
    /// Version 0 (no event at all, which no stored incident is at) records nothing.
    pub fn with_current_version(mut self, version: u64) -> Self {
        self.current_version = NonZeroU64::new(version);
        self
    }

    /// Keeps the underlying transport or driver error as the source.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The provider that failed, if known.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// The operation that failed, if known.
    pub fn operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// The HTTP status, if the failure came from an HTTP response.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The message, without provider, operation or kind.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long the provider asked to wait before retrying, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The version the stored timeline was at when an append conflicted, when the store said
    /// (see [`with_current_version`](Self::with_current_version)). `None` on other errors.
    pub fn current_version(&self) -> Option<u64> {
        self.current_version.map(NonZeroU64::get)
    }

    /// Whether a retry of the same call can help.
    pub fn is_temporary(&self) -> bool {
        self.kind.is_temporary()
    }

    /// Whether the failed request may have taken effect all the same (see
    /// [`with_effect_unknown`](Self::with_effect_unknown)): the caller must reconcile against
    /// the provider's state instead of recording a failure, and must not repeat the request
    /// before it has. Such an error can still be [temporary](Self::is_temporary) (the
    /// provider may answer the next call); that permits a call that reads the state, not a
    /// repeat of this one.
    pub fn may_have_taken_effect(&self) -> bool {
        self.effect_unknown
    }

    /// Shorthand for `Error::new(ErrorKind::InvalidInput, message)`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for `Error::new(ErrorKind::Config, message)`.
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// Shorthand for `Error::new(ErrorKind::Conflict, message)`.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    /// Shorthand for `Error::new(ErrorKind::NotFound, message)`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for `Error::new(ErrorKind::Unsupported, message)`.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Shorthand for `Error::new(ErrorKind::Timeout, message)`.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.provider, &self.operation) {
            (Some(p), Some(o)) => write!(f, "{p} {o}: ")?,
            (Some(p), None) => write!(f, "{p}: ")?,
            (None, Some(o)) => write!(f, "{o}: ")?,
            (None, None) => {}
        }
        f.write_str(self.kind.as_str())?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if self.effect_unknown {
            let separator = if self.message.is_empty() { ": " } else { "; " };
            write!(f, "{separator}{MAY_HAVE_TAKEN_EFFECT}")?;
        }
        if let Some(after) = self.retry_after {
            write!(f, " (retry after {}s)", after.as_secs_f64())?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(p) = &self.provider {
            d.field("provider", p);
        }
        if let Some(o) = &self.operation {
            d.field("operation", o);
        }
        if let Some(s) = &self.status {
            d.field("status", s);
        }
        if self.effect_unknown {
            d.field("may_have_taken_effect", &true);
        }
        d.field("message", &self.message);
        if let Some(r) = &self.retry_after {
            d.field("retry_after", r);
        }
        if let Some(v) = &self.current_version {
            d.field("current_version", v);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

/// `port`, or `Unsupported` naming it when it is not configured: the one way `ir` says that
/// a probe, a check or an action has no port to ask.
pub(crate) fn configured<'a, T: ?Sized>(port: Option<&'a T>, name: &str) -> Result<&'a T> {
    port.ok_or_else(|| Error::unsupported(format!("no {name} is configured")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_without_source_text() {
        let io = std::io::Error::other("connection reset by peer");
        let err = Error::new(ErrorKind::Unavailable, "Bad Gateway")
            .with_provider("railway")
            .with_operation("deploymentRollback")
            .with_status(502)
            .with_source(io);
        let text = err.to_string();
        assert_eq!(
            text,
            "railway deploymentRollback: unavailable (HTTP 502): Bad Gateway"
        );
        assert!(!text.contains("reset by peer"));
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection reset by peer"));
    }

    #[test]
    fn temporary_kinds() {
        assert!(ErrorKind::RateLimited.is_temporary());
        assert!(ErrorKind::Timeout.is_temporary());
        assert!(ErrorKind::Unavailable.is_temporary());
        assert!(!ErrorKind::Unauthenticated.is_temporary());
        assert!(!ErrorKind::Conflict.is_temporary());
    }

    /// Every `Result` of `ir` carries an `Error`: it stays within clippy's `result_large_err`
    /// threshold.
    #[test]
    fn the_error_stays_small() {
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn a_conflict_carries_the_current_version_without_showing_it_twice() {
        let err = Error::conflict("incident i is at version 7, not 5")
            .with_provider("memory")
            .with_operation("append")
            .with_current_version(7);
        assert_eq!(err.current_version(), Some(7));
        assert_eq!(
            err.to_string(),
            "memory append: conflict: incident i is at version 7, not 5"
        );
        assert!(format!("{err:?}").contains("current_version: 7"), "{err:?}");
        assert_eq!(err.with_current_version(0).current_version(), None);
    }

    #[test]
    fn effect_unknown_is_a_flag_shown_by_display() {
        let plain = Error::new(ErrorKind::Unavailable, "connection lost");
        assert!(!plain.may_have_taken_effect());
        assert!(!plain.to_string().contains("taken effect"));
        let err = plain.with_effect_unknown().with_effect_unknown();
        assert!(err.may_have_taken_effect());
        assert_eq!(err.message(), "connection lost");
        assert_eq!(
            err.to_string(),
            format!("unavailable: connection lost; {MAY_HAVE_TAKEN_EFFECT}")
        );
        assert!(format!("{err:?}").contains("may_have_taken_effect: true"));
        let bare = Error::new(ErrorKind::Timeout, "").with_effect_unknown();
        assert_eq!(
            bare.to_string(),
            format!("timed out: {MAY_HAVE_TAKEN_EFFECT}")
        );
        // The flag survives the builder calls that follow it.
        let err = Error::timeout("x")
            .with_effect_unknown()
            .with_provider("railway")
            .with_status(200)
            .with_retry_after(Duration::from_secs(1));
        assert!(err.may_have_taken_effect());
        assert!(err.to_string().ends_with("repeating it (retry after 1s)"));
    }

    #[test]
    fn retry_after_is_shown() {
        let err = Error::new(ErrorKind::RateLimited, "slow down")
            .with_retry_after(Duration::from_secs(3));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
        assert!(err.to_string().ends_with("(retry after 3s)"));
    }
}
