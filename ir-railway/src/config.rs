//! [`RailwayConfig`]: the token, the project/environment/service the client is bound to, and
//! the endpoint.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ir_core::clock::{Clock, SystemClock};
use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::RetryPolicy;
use secrecy::SecretString;
use url::Url;

/// Railway's public GraphQL endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://backboard.railway.com/graphql/v2";

/// A Railway API token. The kind decides the header it travels in.
#[derive(Clone)]
#[non_exhaustive]
pub enum RailwayToken {
    /// A project token, scoped to one environment of one project: sent as
    /// `Project-Access-Token: <token>`, never as Bearer.
    Project(SecretString),
    /// An account, workspace (formerly team) or OAuth token: sent as
    /// `Authorization: Bearer <token>`.
    Account(SecretString),
}

impl RailwayToken {
    /// The header the token is sent in.
    pub fn header_name(&self) -> &'static str {
        match self {
            Self::Project(_) => "Project-Access-Token",
            Self::Account(_) => "Authorization",
        }
    }

    pub(crate) fn auth(&self) -> Result<ir_http::Auth> {
        match self {
            Self::Project(token) => ir_http::Auth::header("Project-Access-Token", token.clone()),
            Self::Account(token) => Ok(ir_http::Auth::bearer(token.clone())),
        }
    }
}

impl fmt::Debug for RailwayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Project(_) => f.write_str("RailwayToken::Project(<redacted>)"),
            Self::Account(_) => f.write_str("RailwayToken::Account(<redacted>)"),
        }
    }
}

/// Everything a [`RailwayClient`](crate::RailwayClient) needs: built with
/// [`RailwayConfig::builder`] or read with [`RailwayConfig::from_env`].
///
/// ```
/// use ir_railway::{RailwayConfig, RailwayToken};
/// use secrecy::SecretString;
///
/// let config = RailwayConfig::builder()
///     .with_token(RailwayToken::Project(SecretString::from("rw-project-token")))
///     .with_project_id("7d5e6c58-1d7b-4a5e-9c1e-2f0f5c1d9a01")
///     .with_environment_id("c3f1a2b4-0000-4000-8000-000000000001")
///     .with_service_id("410afe5c-7419-408f-91a9-f6b658ea158a")
///     .build()?;
/// assert_eq!(config.endpoint().as_str(), "https://backboard.railway.com/graphql/v2");
/// assert!(!format!("{config:?}").contains("rw-project-token"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RailwayConfig {
    pub(crate) token: RailwayToken,
    pub(crate) project_id: String,
    pub(crate) environment_id: String,
    pub(crate) service_id: String,
    pub(crate) endpoint: Url,
    pub(crate) attempt_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) page_size: u32,
    pub(crate) clock: Arc<dyn Clock>,
}

impl RailwayConfig {
    /// An empty builder. Token and the three ids are required.
    pub fn builder() -> RailwayConfigBuilder {
        RailwayConfigBuilder::default()
    }

    /// Reads the configuration from the process environment:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `RAILWAY_TOKEN` | a project token, sent as `Project-Access-Token` (wins when both are set, as in Railway's CLI) |
    /// | `RAILWAY_API_TOKEN` | an account or workspace token, sent as `Authorization: Bearer` |
    /// | `RAILWAY_PROJECT_ID` | the project id (required) |
    /// | `RAILWAY_ENVIRONMENT_ID` | the environment id (required) |
    /// | `RAILWAY_SERVICE_ID` | the service id (required) |
    /// | `RAILWAY_API_URL` | the GraphQL endpoint (optional; default [`DEFAULT_ENDPOINT`]) |
    ///
    /// Railway sets `RAILWAY_PROJECT_ID`, `RAILWAY_ENVIRONMENT_ID` and `RAILWAY_SERVICE_ID` in
    /// every service it runs, so a watcher deployed beside the service needs only a token.
    ///
    /// # Errors
    /// `Config` naming the first missing or invalid variable (never its value).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// for services that keep configuration elsewhere).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let token = match (get("RAILWAY_TOKEN"), get("RAILWAY_API_TOKEN")) {
            (Some(project), _) => RailwayToken::Project(SecretString::from(project)),
            (None, Some(account)) => RailwayToken::Account(SecretString::from(account)),
            (None, None) => {
                return Err(Error::config(
                    "set RAILWAY_TOKEN (project token) or RAILWAY_API_TOKEN (account or workspace token)",
                ));
            }
        };
        let required =
            |name: &str| get(name).ok_or_else(|| Error::config(format!("{name} is not set")));
        let mut builder = Self::builder()
            .with_token(token)
            .with_project_id(required("RAILWAY_PROJECT_ID")?)
            .with_environment_id(required("RAILWAY_ENVIRONMENT_ID")?)
            .with_service_id(required("RAILWAY_SERVICE_ID")?);
        if let Some(url) = get("RAILWAY_API_URL") {
            builder = builder.with_endpoint(url);
        }
        builder.build()
    }

    /// The token.
    pub fn token(&self) -> &RailwayToken {
        &self.token
    }

    /// The project id.
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// The environment id.
    pub fn environment_id(&self) -> &str {
        &self.environment_id
    }

    /// The service id.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The GraphQL endpoint.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }
}

impl fmt::Debug for RailwayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RailwayConfig")
            .field("token", &self.token)
            .field("project_id", &self.project_id)
            .field("environment_id", &self.environment_id)
            .field("service_id", &self.service_id)
            .field("endpoint", &redact(self.endpoint.as_str()))
            .field("attempt_timeout", &self.attempt_timeout)
            .field("retry", &self.retry)
            .field("page_size", &self.page_size)
            .finish_non_exhaustive()
    }
}

/// Builds a [`RailwayConfig`]; [`build`](Self::build) validates.
#[derive(Clone, Default)]
pub struct RailwayConfigBuilder {
    token: Option<RailwayToken>,
    project_id: Option<String>,
    environment_id: Option<String>,
    service_id: Option<String>,
    endpoint: Option<String>,
    attempt_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    page_size: Option<u32>,
    clock: Option<Arc<dyn Clock>>,
}

impl RailwayConfigBuilder {
    /// The API token (required).
    pub fn with_token(mut self, token: RailwayToken) -> Self {
        self.token = Some(token);
        self
    }

    /// The project id (required).
    pub fn with_project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// The environment id (required).
    pub fn with_environment_id(mut self, id: impl Into<String>) -> Self {
        self.environment_id = Some(id.into());
        self
    }

    /// The service id (required).
    pub fn with_service_id(mut self, id: impl Into<String>) -> Self {
        self.service_id = Some(id.into());
        self
    }

    /// The GraphQL endpoint (default [`DEFAULT_ENDPOINT`]); point it at a simulator or a mock.
    pub fn with_endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The per-attempt timeout (default 30 s).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The retry policy and overall deadline (default [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// How many deployments to ask for per page (default 50, at most 500).
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// The clock retry waits use (default the system clock; a `ManualClock` in tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `Config` when the token or an id is missing or blank, the endpoint is not an http(s)
    /// URL, or the page size is outside 1..=500.
    pub fn build(self) -> Result<RailwayConfig> {
        let token = self
            .token
            .ok_or_else(|| Error::config("a Railway token is required"))?;
        let id = |value: Option<String>, what: &str| {
            value
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::config(format!("the Railway {what} id is required")))
        };
        let project_id = id(self.project_id, "project")?;
        let environment_id = id(self.environment_id, "environment")?;
        let service_id = id(self.service_id, "service")?;
        let raw = self.endpoint.unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let shown = redact(&raw);
        let endpoint = Url::parse(&raw).map_err(|e| {
            Error::config(format!("the Railway endpoint `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(Error::config(format!(
                "the Railway endpoint `{shown}` must be http(s)"
            )));
        }
        let page_size = self.page_size.unwrap_or(50);
        if !(1..=500).contains(&page_size) {
            return Err(Error::config(format!(
                "the deployments page size must be 1..=500, not {page_size}"
            )));
        }
        // The token must fit in a header; checked here so `build` is where configuration fails.
        token.auth()?.to_header()?;
        Ok(RailwayConfig {
            token,
            project_id,
            environment_id,
            service_id,
            endpoint,
            attempt_timeout: self.attempt_timeout.unwrap_or(Duration::from_secs(30)),
            retry: self.retry.unwrap_or_default(),
            page_size,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        })
    }
}

impl fmt::Debug for RailwayConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RailwayConfigBuilder")
            .field("token", &self.token)
            .field("project_id", &self.project_id)
            .field("environment_id", &self.environment_id)
            .field("service_id", &self.service_id)
            .field("endpoint", &self.endpoint.as_deref().map(redact))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::ErrorKind;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    const IDS: [(&str, &str); 3] = [
        ("RAILWAY_PROJECT_ID", "p-1"),
        ("RAILWAY_ENVIRONMENT_ID", "e-1"),
        ("RAILWAY_SERVICE_ID", "s-1"),
    ];

    #[test]
    fn project_token_wins_and_travels_in_its_own_header() {
        let mut vars = IDS.to_vec();
        vars.push(("RAILWAY_TOKEN", "project-secret"));
        vars.push(("RAILWAY_API_TOKEN", "account-secret"));
        let config = RailwayConfig::from_lookup(lookup(&vars)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(config.token(), RailwayToken::Project(_)));
        assert_eq!(config.token().header_name(), "Project-Access-Token");
        assert_eq!(config.project_id(), "p-1");
        assert_eq!(config.environment_id(), "e-1");
        assert_eq!(config.service_id(), "s-1");
        assert_eq!(config.endpoint().as_str(), DEFAULT_ENDPOINT);
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("project-secret") && !debug.contains("account-secret"),
            "{debug}"
        );
    }

    #[test]
    fn account_token_is_bearer_and_endpoint_is_overridable() {
        let mut vars = IDS.to_vec();
        vars.push(("RAILWAY_API_TOKEN", "account-secret"));
        vars.push(("RAILWAY_API_URL", "http://127.0.0.1:4000/graphql/v2"));
        let config = RailwayConfig::from_lookup(lookup(&vars)).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(config.token(), RailwayToken::Account(_)));
        assert_eq!(config.token().header_name(), "Authorization");
        assert_eq!(
            config.endpoint().as_str(),
            "http://127.0.0.1:4000/graphql/v2"
        );
    }

    #[test]
    fn missing_variables_are_named() {
        let err = RailwayConfig::from_lookup(lookup(&IDS)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("RAILWAY_TOKEN"));

        let err = RailwayConfig::from_lookup(lookup(&[
            ("RAILWAY_TOKEN", "project-secret"),
            ("RAILWAY_PROJECT_ID", "p-1"),
            ("RAILWAY_ENVIRONMENT_ID", "  "),
        ]))
        .unwrap_err();
        assert_eq!(err.message(), "RAILWAY_ENVIRONMENT_ID is not set");
        assert!(!format!("{err:?}").contains("project-secret"));
    }

    #[test]
    fn build_validates() {
        let base = || {
            RailwayConfig::builder()
                .with_token(RailwayToken::Account(SecretString::from("account-secret")))
                .with_project_id("p")
                .with_environment_id("e")
                .with_service_id("s")
        };
        assert!(base().build().is_ok());
        let cases = [
            base().with_endpoint("ftp://x"),
            base().with_endpoint("not a url"),
            base().with_page_size(0),
            base().with_service_id(" "),
            base().with_token(RailwayToken::Project(SecretString::from(
                "bad\ntoken-secret",
            ))),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{builder:?}");
            let text = format!("{err:?} {err} {builder:?}");
            assert!(
                !text.contains("token-secret") && !text.contains("account-secret"),
                "{text}"
            );
        }
    }

    #[test]
    fn endpoint_passwords_stay_out_of_errors_and_debug() {
        let base = || {
            RailwayConfig::builder()
                .with_token(RailwayToken::Account(SecretString::from("account-secret")))
                .with_project_id("p")
                .with_environment_id("e")
                .with_service_id("s")
        };
        for endpoint in [
            "ftp://admin:s3cret@host/?x=1",
            "https://admin:s3cret@ho st/graphql/v2",
        ] {
            let builder = base().with_endpoint(endpoint);
            let err = builder.clone().build().unwrap_err();
            let text = format!("{err:?} {err} {builder:?}");
            assert!(!text.contains("s3cret"), "{text}");
            assert!(
                text.contains("admin:<redacted>@"),
                "the endpoint is still named: {text}"
            );
        }
        let config = base()
            .with_endpoint("https://admin:s3cret@host/graphql/v2")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        let client = crate::RailwayClient::new(config).unwrap_or_else(|e| panic!("{e}"));
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
