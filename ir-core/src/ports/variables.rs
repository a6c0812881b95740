//! `VariableStore`: the service's environment variables. Values are secrets.

use std::fmt;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Options for [`VariableStore::set`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetOptions {
    /// Do not redeploy the service after the change (platforms redeploy by default).
    pub skip_deploys: bool,
}

/// The key of the fingerprints the timeline records instead of secret values: a fingerprint
/// is `hmac:` and the first 16 bytes (32 hex digits) of HMAC-SHA256(key, value).
///
/// Two fingerprints under one key tell whether a value changed, or was restored, without
/// revealing it; without the key, a fingerprint cannot be checked against guesses offline (a
/// weak password inside a changed `DATABASE_URL` cannot be brute-forced from a timeline).
/// Replicas that should recognise each other's changes share a key: give every replica the
/// same secret ([`FingerprintKey::from_secret`], e.g. from `IR_FINGERPRINT_KEY`). A runner
/// without one uses a random key of its own ([`FingerprintKey::random`]); a run resumed
/// elsewhere then cannot prove a variable holds the recorded value, and sets it again (or, for
/// a value only the stopped run knew, proposes a new one) — never a wrong "it worked".
///
/// ```
/// use ir_core::ports::FingerprintKey;
/// use secrecy::SecretString;
///
/// let key = FingerprintKey::from_secret(&SecretString::from("shared key of the replicas"));
/// let a = key.fingerprint(&SecretString::from("s3cr3t"));
/// assert!(a.starts_with("hmac:") && a.len() == 5 + 32);
/// assert!(!a.contains("s3cr3t"));
/// assert_eq!(a, key.fingerprint(&SecretString::from("s3cr3t")));
/// assert_ne!(a, key.fingerprint(&SecretString::from("other")));
/// // Another key, another fingerprint: nothing to compare guesses against without it.
/// let other = FingerprintKey::from_secret(&SecretString::from("another key"));
/// assert_ne!(a, other.fingerprint(&SecretString::from("s3cr3t")));
/// # assert!(!format!("{key:?}").contains("shared"));
/// ```
#[derive(Clone)]
pub struct FingerprintKey(std::sync::Arc<[u8]>);

impl FingerprintKey {
    /// A key from a secret shared by the replicas.
    pub fn from_secret(secret: &SecretString) -> Self {
        Self(secret.expose_secret().as_bytes().into())
    }

    /// A random key of this process's own (32 bytes from the operating system).
    ///
    /// # Errors
    /// `Unavailable` when the operating system's generator fails.
    pub fn random() -> Result<Self> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| {
            crate::error::Error::new(
                crate::error::ErrorKind::Unavailable,
                format!("the operating system's random number generator failed: {e}"),
            )
        })?;
        Ok(Self(key.as_slice().into()))
    }

    /// The fingerprint of `value` under this key.
    pub fn fingerprint(&self, value: &SecretString) -> String {
        use hmac::{KeyInit, Mac};
        use std::fmt::Write as _;
        // HMAC takes keys of any length.
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.0) else {
            return "hmac:unavailable".to_owned();
        };
        mac.update(value.expose_secret().as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(5 + 32);
        out.push_str("hmac:");
        for byte in &digest[..16] {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey([REDACTED])")
    }
}

/// The service's environment variables.
///
/// An implementation is bound to one service (and environment) by its configuration.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait VariableStore: Send + Sync + fmt::Debug + 'static {
    /// The names of every variable set for the service, sorted.
    ///
    /// # Errors
    /// `Unauthenticated`/`PermissionDenied` for a bad token; `Unavailable`/`Timeout`/
    /// `RateLimited` when the store cannot answer now.
    async fn list_names(&self) -> Result<Vec<String>>;

    /// The value of `name`, or `None` when it is not set.
    ///
    /// # Errors
    /// As [`list_names`](Self::list_names).
    async fn get(&self, name: &str) -> Result<Option<SecretString>>;

    /// Sets `name` to `value`. Unless `options.skip_deploys`, the platform restarts the service.
    ///
    /// # Errors
    /// `InvalidInput` for a name the store refuses; otherwise as [`list_names`](Self::list_names).
    async fn set(&self, name: &str, value: SecretString, options: SetOptions) -> Result<()>;

    /// Deletes `name`. Deleting a variable that is not set is not an error.
    ///
    /// # Errors
    /// As [`list_names`](Self::list_names).
    async fn delete(&self, name: &str) -> Result<()>;
}
