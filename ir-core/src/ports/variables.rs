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

/// A short, stable, non-reversible fingerprint of a secret value, safe to record in a timeline:
/// the first 12 hex digits of a 64-bit FNV-1a hash, prefixed with `fnv:`. Two fingerprints tell
/// whether a value changed without revealing it.
///
/// ```
/// use ir_core::ports::fingerprint;
/// use secrecy::SecretString;
///
/// let a = fingerprint(&SecretString::from("s3cr3t"));
/// assert!(a.starts_with("fnv:"));
/// assert!(!a.contains("s3cr3t"));
/// assert_eq!(a, fingerprint(&SecretString::from("s3cr3t")));
/// assert_ne!(a, fingerprint(&SecretString::from("other")));
/// ```
pub fn fingerprint(value: &SecretString) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in value.expose_secret().as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("fnv:{:012x}", hash >> 16)
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
