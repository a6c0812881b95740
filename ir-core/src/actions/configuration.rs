//! Configuration actions on the variable store: set a variable (to a value resolved at
//! proposal time, of which only the fingerprint is recorded), restore the value it had before
//! we changed it, and turn a feature flag off.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use super::{Env, Executed, Family, Payload, Reconciled, not_applied};
use crate::clock::Timestamp;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{DsnRoute, IdempotencyKey, Risk};
use crate::ports::{PGBOUNCER_PORT, SetOptions, check_dsn};
use crate::rollback;

/// A configuration action's data, borrowed from its [`ActionKind`](crate::model::ActionKind).
pub(super) enum Configuration<'a> {
    Set {
        name: &'a str,
        value_fingerprint: &'a str,
    },
    Restore {
        name: &'a str,
        value_fingerprint: Option<&'a str>,
    },
    DisableFlag {
        name: &'a str,
    },
}

#[async_trait]
impl<'a> Family<'a> for Configuration<'a> {
    fn describe(&self) -> String {
        match self {
            Self::Set { name, .. } => format!("set {name}"),
            Self::Restore { name, .. } => format!("restore the previous value of {name}"),
            Self::DisableFlag { name } => format!("disable feature flag {name}"),
        }
    }

    fn past_tense(&self) -> String {
        match self {
            Self::Set { name, .. } => format!("Set {name}"),
            Self::Restore { name, .. } => format!("Restored the previous value of {name}"),
            Self::DisableFlag { name } => format!("Disabled feature flag {name}"),
        }
    }

    fn slug(&self) -> String {
        match self {
            Self::Set { name, .. } => format!("set:{name}"),
            Self::Restore { name, .. } => format!("restore:{name}"),
            Self::DisableFlag { name } => format!("disable:{name}"),
        }
    }

    fn default_risk(&self) -> Risk {
        match self {
            Self::Set { .. } | Self::Restore { .. } | Self::DisableFlag { .. } => Risk::Reversible,
        }
    }

    fn changed_variable(&self) -> Option<&'a str> {
        match self {
            Self::Set { name, .. } | Self::DisableFlag { name } => Some(*name),
            Self::Restore { .. } => None,
        }
    }

    async fn execute(
        &self,
        env: Env<'_>,
        _: &IdempotencyKey,
        payload: &Payload,
    ) -> Result<Executed> {
        let store = || env.ports.variables();
        match self {
            Self::Set {
                name,
                value_fingerprint,
            } => {
                let value = payload.value.clone().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "the value for {name} is no longer in memory; propose a new action"
                        ),
                    )
                })?;
                let change =
                    rollback::set_variable(store()?, env.fingerprints, name, value).await?;
                Ok(Executed {
                    detail: format!("set {name} ({value_fingerprint}); the service restarts"),
                    change: Some(change),
                })
            }
            Self::Restore {
                name,
                value_fingerprint,
            } => {
                let store = store()?;
                match (&payload.value, value_fingerprint) {
                    (Some(v), Some(_)) => store.set(name, v.clone(), SetOptions::default()).await?,
                    (None, None) => store.delete(name).await?,
                    (Some(_), None) | (None, Some(_)) => {
                        return Err(Error::new(
                            ErrorKind::Conflict,
                            format!("the previous value of {name} is no longer in memory"),
                        ));
                    }
                }
                Executed::detail(format!(
                    "restored {name} to {}",
                    value_fingerprint.unwrap_or("unset")
                ))
            }
            Self::DisableFlag { name } => {
                let change = rollback::set_variable(
                    store()?,
                    env.fingerprints,
                    name,
                    SecretString::from("false"),
                )
                .await?;
                Ok(Executed {
                    detail: format!("set {name}=false; the service restarts"),
                    change: Some(change),
                })
            }
        }
    }

    async fn reconcile(
        &self,
        env: Env<'_>,
        _: &IdempotencyKey,
        _: Timestamp,
    ) -> Result<Reconciled> {
        let store = env.ports.variables()?;
        let fingerprint = |v: &SecretString| env.fingerprints.fingerprint(v);
        match self {
            Self::Set {
                name,
                value_fingerprint,
            } => match store.get(name).await? {
                Some(v) if fingerprint(&v) == *value_fingerprint => Ok(Reconciled::Succeeded(
                    format!("found on resume: {name} holds the new value ({value_fingerprint})"),
                )),
                Some(_) => not_applied(format!("{name} holds a different value")),
                None => not_applied(format!("{name} is still unset")),
            },
            Self::Restore {
                name,
                value_fingerprint,
            } => {
                let now = store.get(name).await?;
                let restored = match (&now, value_fingerprint) {
                    (Some(v), Some(fp)) => fingerprint(v) == *fp,
                    (None, None) => true,
                    (Some(_), None) | (None, Some(_)) => false,
                };
                if restored {
                    Ok(Reconciled::Succeeded(format!(
                        "found on resume: {name} is restored"
                    )))
                } else {
                    not_applied(format!("{name} is not restored"))
                }
            }
            Self::DisableFlag { name } => match store.get(name).await? {
                Some(v) if v.expose_secret().eq_ignore_ascii_case("false") => Ok(
                    Reconciled::Succeeded(format!("found on resume: {name}=false")),
                ),
                _ => not_applied(format!("{name} is not false")),
            },
        }
    }
}

/// A new secret: `bytes` bytes from the operating system's CSPRNG, base64 encoded — the
/// runbook's `openssl rand -base64 32`. The buffer is zeroed after encoding.
///
/// ```
/// use secrecy::ExposeSecret;
/// let secret = ir_core::actions::random_base64(32)?;
/// assert_eq!(secret.expose_secret().len(), 44);
/// assert_ne!(secret.expose_secret(), ir_core::actions::random_base64(32)?.expose_secret());
/// # Ok::<(), ir_core::Error>(())
/// ```
///
/// # Errors
/// `Unavailable` when the operating system's generator fails.
pub fn random_base64(bytes: usize) -> Result<SecretString> {
    use base64::Engine as _;
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| {
        Error::new(
            ErrorKind::Unavailable,
            format!("the operating system's random number generator failed: {e}"),
        )
    })?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&buf);
    buf.iter_mut().for_each(|b| *b = 0);
    Ok(SecretString::from(encoded))
}

/// Rewrites a PostgreSQL URL to go through PgBouncer's port. The password never appears in an
/// error.
pub(crate) fn via_pgbouncer(current: &SecretString) -> Result<SecretString> {
    let check = check_dsn(current)?;
    if check.route == DsnRoute::PgBouncer {
        return Err(Error::new(
            ErrorKind::Conflict,
            "DATABASE_URL already uses PgBouncer's port 6432",
        ));
    }
    let mut url = url::Url::parse(current.expose_secret().trim())
        .map_err(|_| Error::invalid_input("DATABASE_URL is not a valid URL"))?;
    url.set_port(Some(PGBOUNCER_PORT))
        .map_err(|()| Error::invalid_input("DATABASE_URL cannot carry a port"))?;
    Ok(SecretString::from(String::from(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_two_random_bytes_base64() {
        let a = random_base64(32).unwrap();
        let b = random_base64(32).unwrap();
        assert_eq!(a.expose_secret().len(), 44);
        assert_ne!(a.expose_secret(), b.expose_secret());
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.expose_secret())
            .unwrap();
        assert_eq!(raw.len(), 32);
    }

    #[test]
    fn pgbouncer_rewrite_keeps_everything_but_the_port() {
        let new = via_pgbouncer(&SecretString::from(
            "postgresql://app:s3cret@db.internal:5432/web?sslmode=require",
        ))
        .unwrap();
        assert_eq!(
            new.expose_secret(),
            "postgresql://app:s3cret@db.internal:6432/web?sslmode=require"
        );
        let err = via_pgbouncer(&SecretString::from("postgres://a:s3cret@h:6432/d")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        let err = via_pgbouncer(&SecretString::from("mysql://a:s3cret@h/d")).unwrap_err();
        assert!(!err.to_string().contains("s3cret"));
    }
}
