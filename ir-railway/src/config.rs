//! [`RailwayConfig`]: the token, the project/environment/service the client is bound to, the
//! endpoint, and the shared transport settings.

use std::fmt;

use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::SecretString;
use url::Url;

use crate::client::PROVIDER;

/// Railway's public GraphQL endpoint, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://backboard.railway.com/graphql/v2";

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
/// The transport (timeouts, retries, clock, user agent) is an [`ir_http::ClientOptions`],
/// as for every HTTP adapter.
///
/// ```
/// use std::time::Duration;
/// use ir_http::ClientOptions;
/// use ir_railway::{RailwayConfig, RailwayToken};
/// use secrecy::SecretString;
///
/// let config = RailwayConfig::builder(
///     RailwayToken::Project(SecretString::from("rw-project-token")),
///     "7d5e6c58-1d7b-4a5e-9c1e-2f0f5c1d9a01", // project
///     "c3f1a2b4-0000-4000-8000-000000000001", // environment
///     "410afe5c-7419-408f-91a9-f6b658ea158a", // service
/// )
/// .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::from_secs(10)))
/// .build()?;
/// assert_eq!(config.base_url().as_str(), "https://backboard.railway.com/graphql/v2");
/// assert!(!format!("{config:?}").contains("rw-project-token"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RailwayConfig {
    token: RailwayToken,
    project_id: String,
    environment_id: String,
    service_id: String,
    base_url: Url,
    page_size: u32,
    client_options: ClientOptions,
}

impl RailwayConfig {
    /// A builder for the service `service_id` in environment `environment_id` of project
    /// `project_id`, reached with `token`. Everything else has a default.
    pub fn builder(
        token: RailwayToken,
        project_id: impl Into<String>,
        environment_id: impl Into<String>,
        service_id: impl Into<String>,
    ) -> RailwayConfigBuilder {
        RailwayConfigBuilder {
            token,
            project_id: project_id.into(),
            environment_id: environment_id.into(),
            service_id: service_id.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            page_size: 50,
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `RAILWAY_TOKEN` | a project token, sent as `Project-Access-Token` (wins when both are set, as in Railway's CLI) |
    /// | `RAILWAY_API_TOKEN` | an account or workspace token, sent as `Authorization: Bearer` |
    /// | `RAILWAY_PROJECT_ID` | the project id (required) |
    /// | `RAILWAY_ENVIRONMENT_ID` | the environment id (required) |
    /// | `RAILWAY_SERVICE_ID` | the service id (required) |
    /// | `RAILWAY_API_URL` | the GraphQL endpoint (optional; default [`DEFAULT_BASE_URL`]) |
    ///
    /// Nothing else is read: page size and [`ClientOptions`] keep their defaults (set them
    /// with the builder). A blank value counts as unset. Railway sets `RAILWAY_PROJECT_ID`,
    /// `RAILWAY_ENVIRONMENT_ID` and `RAILWAY_SERVICE_ID` in every service it runs, so a
    /// watcher deployed beside the service needs only a token.
    ///
    /// # Errors
    /// `Config` naming the first missing or invalid variable (never its value).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through `lookup` instead of the
    /// process environment (for tests, and for services that keep configuration elsewhere).
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
                )
                .with_provider(PROVIDER));
            }
        };
        let required = |name: &str| {
            get(name)
                .ok_or_else(|| Error::config(format!("{name} is not set")).with_provider(PROVIDER))
        };
        let mut builder = Self::builder(
            token,
            required("RAILWAY_PROJECT_ID")?,
            required("RAILWAY_ENVIRONMENT_ID")?,
            required("RAILWAY_SERVICE_ID")?,
        );
        if let Some(url) = get("RAILWAY_API_URL") {
            builder = builder.with_base_url(url);
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
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// How many deployments are asked for per page.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }
}

impl fmt::Debug for RailwayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RailwayConfig")
            .field("token", &self.token)
            .field("project_id", &self.project_id)
            .field("environment_id", &self.environment_id)
            .field("service_id", &self.service_id)
            .field("base_url", &redact(self.base_url.as_str()))
            .field("page_size", &self.page_size)
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`RailwayConfig`] (from [`RailwayConfig::builder`]); [`build`](Self::build)
/// validates.
#[derive(Clone)]
pub struct RailwayConfigBuilder {
    token: RailwayToken,
    project_id: String,
    environment_id: String,
    service_id: String,
    base_url: String,
    page_size: u32,
    client_options: ClientOptions,
}

impl RailwayConfigBuilder {
    /// The GraphQL endpoint (default [`DEFAULT_BASE_URL`]); point it at a simulator or a mock.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How many deployments to ask for per page (default 50, at most 500).
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The transport settings: timeouts, retry policy, clock, user agent (default
    /// [`ClientOptions::default`]).
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.client_options = options;
        self
    }

    /// Validates and builds.
    ///
    /// # Errors
    /// `Config` when the token cannot travel in a header, an id is blank, the base URL is not
    /// an http(s) URL, the page size is outside 1..=500, or the [`ClientOptions`] are invalid
    /// (a zero timeout).
    pub fn build(self) -> Result<RailwayConfig> {
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        let id = |value: String, what: &str| {
            let value = value.trim().to_owned();
            if value.is_empty() {
                Err(fail(format!("the Railway {what} id is required")))
            } else {
                Ok(value)
            }
        };
        let project_id = id(self.project_id, "project")?;
        let environment_id = id(self.environment_id, "environment")?;
        let service_id = id(self.service_id, "service")?;
        let shown = redact(&self.base_url);
        let base_url = Url::parse(&self.base_url).map_err(|e| {
            fail(format!("the Railway base URL `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(fail(format!(
                "the Railway base URL `{shown}` must be http(s)"
            )));
        }
        if !(1..=500).contains(&self.page_size) {
            return Err(fail(format!(
                "the deployments page size must be 1..=500, not {}",
                self.page_size
            )));
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        // The token must fit in a header; checked here so `build` is where configuration fails.
        self.token.auth()?.to_header()?;
        Ok(RailwayConfig {
            token: self.token,
            project_id,
            environment_id,
            service_id,
            base_url,
            page_size: self.page_size,
            client_options: self.client_options,
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
            .field("base_url", &redact(&self.base_url))
            .field("page_size", &self.page_size)
            .field("client_options", &self.client_options)
            .finish()
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
        assert_eq!(config.base_url().as_str(), DEFAULT_BASE_URL);
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
            config.base_url().as_str(),
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
            RailwayConfig::builder(
                RailwayToken::Account(SecretString::from("account-secret")),
                "p",
                "e",
                "s",
            )
        };
        assert!(base().build().is_ok());
        let cases = [
            base().with_base_url("ftp://x"),
            base().with_base_url("not a url"),
            base().with_page_size(0),
            RailwayConfig::builder(
                RailwayToken::Account(SecretString::from("account-secret")),
                "p",
                "e",
                " ",
            ),
            RailwayConfig::builder(
                RailwayToken::Project(SecretString::from("bad\ntoken-secret")),
                "p",
                "e",
                "s",
            ),
            base().with_client_options(
                ClientOptions::default().with_attempt_timeout(std::time::Duration::ZERO),
            ),
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
            RailwayConfig::builder(
                RailwayToken::Account(SecretString::from("account-secret")),
                "p",
                "e",
                "s",
            )
        };
        for endpoint in [
            "ftp://admin:s3cret@host/?x=1",
            "https://admin:s3cret@ho st/graphql/v2",
        ] {
            let builder = base().with_base_url(endpoint);
            let err = builder.clone().build().unwrap_err();
            let text = format!("{err:?} {err} {builder:?}");
            assert!(!text.contains("s3cret"), "{text}");
            assert!(
                text.contains("admin:<redacted>@"),
                "the endpoint is still named: {text}"
            );
        }
        let config = base()
            .with_base_url("https://admin:s3cret@host/graphql/v2")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        let client = crate::RailwayClient::new(config).unwrap_or_else(|e| panic!("{e}"));
        let debug = format!("{client:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
