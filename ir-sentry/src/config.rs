//! [`SentryConfig`]: the token, the organization (and optionally projects and an environment)
//! the client is bound to, the host, and the shared transport settings.

use std::fmt;

use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::SecretString;
use url::Url;

use crate::client::PROVIDER;

/// Sentry's SaaS host, the default base URL. The API lives under `api/0/` on it.
pub const DEFAULT_BASE_URL: &str = "https://sentry.io/";

/// Everything a [`SentryClient`](crate::SentryClient) needs: built with
/// [`SentryConfig::builder`] or read with [`SentryConfig::from_env`].
///
/// The transport (timeouts, retries, clock, user agent) is an [`ir_http::ClientOptions`],
/// as for every HTTP adapter.
///
/// ```
/// use std::time::Duration;
/// use ir_http::ClientOptions;
/// use ir_sentry::SentryConfig;
/// use secrecy::SecretString;
///
/// let config = SentryConfig::builder(SecretString::from("sntryu_example"), "acme")
///     .with_project("4505321021267968")
///     .with_environment("production")
///     .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::from_secs(10)))
///     .build()?;
/// assert_eq!(config.base_url().as_str(), "https://sentry.io/");
/// assert!(!format!("{config:?}").contains("sntryu_example"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SentryConfig {
    token: SecretString,
    organization: String,
    projects: Vec<String>,
    environment: Option<String>,
    base_url: Url,
    page_size: u32,
    max_pages: u32,
    client_options: ClientOptions,
}

impl SentryConfig {
    /// A builder for the organization `organization` (its slug or id), reached with `token`
    /// (a user auth token or an internal integration's token, sent as `Authorization: Bearer`,
    /// with scope `event:read` for issues and `org:read` for error counts). Everything else has
    /// a default: all projects, all environments, [`DEFAULT_BASE_URL`].
    pub fn builder(token: SecretString, organization: impl Into<String>) -> SentryConfigBuilder {
        SentryConfigBuilder {
            token,
            organization: organization.into(),
            projects: Vec::new(),
            environment: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            page_size: 100,
            max_pages: 10,
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `SENTRY_AUTH_TOKEN` | the auth token (required), sent as `Authorization: Bearer` |
    /// | `SENTRY_ORG` | the organization slug or id (required) |
    /// | `SENTRY_PROJECT` | the project(s) to watch, comma-separated (optional; default all) |
    /// | `SENTRY_ENVIRONMENT` | the environment to watch (optional; default all) |
    /// | `SENTRY_URL` | the Sentry host, for self-hosted Sentry or a region such as `https://de.sentry.io/` (optional; default [`DEFAULT_BASE_URL`]) |
    ///
    /// `SENTRY_AUTH_TOKEN`, `SENTRY_ORG`, `SENTRY_PROJECT` and `SENTRY_URL` are the names
    /// `sentry-cli` reads; `SENTRY_ENVIRONMENT` is the one Sentry's SDKs read, so a watcher
    /// beside the service watches the service's environment. Nothing else is read: page size, page cap and
    /// [`ClientOptions`] keep their defaults (set them with the builder). A blank value
    /// counts as unset.
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
        let required = |name: &str| {
            get(name)
                .ok_or_else(|| Error::config(format!("{name} is not set")).with_provider(PROVIDER))
        };
        let token = SecretString::from(required("SENTRY_AUTH_TOKEN")?);
        let mut builder = Self::builder(token, required("SENTRY_ORG")?);
        if let Some(projects) = get("SENTRY_PROJECT") {
            builder = builder.with_projects(
                projects
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
        }
        if let Some(environment) = get("SENTRY_ENVIRONMENT") {
            builder = builder.with_environment(environment);
        }
        if let Some(url) = get("SENTRY_URL") {
            builder = builder.with_base_url(url);
        }
        builder.build()
    }

    /// The auth token.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The organization slug or id.
    pub fn organization(&self) -> &str {
        &self.organization
    }

    /// The projects watched; empty for all.
    pub fn projects(&self) -> &[String] {
        &self.projects
    }

    /// The environment watched; `None` for all.
    pub fn environment(&self) -> Option<&str> {
        self.environment.as_deref()
    }

    /// The Sentry host (ending in `/`; the API is under `api/0/`).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// How many issues are asked for per page.
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The most pages one listing reads.
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }
}

impl fmt::Debug for SentryConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentryConfig")
            .field("token", &"<redacted>")
            .field("organization", &self.organization)
            .field("projects", &self.projects)
            .field("environment", &self.environment)
            .field("base_url", &redact(self.base_url.as_str()))
            .field("page_size", &self.page_size)
            .field("max_pages", &self.max_pages)
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`SentryConfig`] (from [`SentryConfig::builder`]); [`build`](Self::build)
/// validates.
#[derive(Clone)]
pub struct SentryConfigBuilder {
    token: SecretString,
    organization: String,
    projects: Vec<String>,
    environment: Option<String>,
    base_url: String,
    page_size: u32,
    max_pages: u32,
    client_options: ClientOptions,
}

impl SentryConfigBuilder {
    /// Watch this project (its id; Sentry's docs also accept a slug). Adds to any set before.
    pub fn with_project(mut self, project: impl Into<String>) -> Self {
        self.projects.push(project.into());
        self
    }

    /// Watch these projects. Adds to any set before.
    pub fn with_projects(mut self, projects: impl IntoIterator<Item = String>) -> Self {
        self.projects.extend(projects);
        self
    }

    /// Watch only this environment (e.g. `production`).
    pub fn with_environment(mut self, environment: impl Into<String>) -> Self {
        self.environment = Some(environment.into());
        self
    }

    /// The Sentry host (default [`DEFAULT_BASE_URL`]): a self-hosted Sentry, a region such as
    /// `https://de.sentry.io/`, or a mock. A path is kept (`https://host/sentry/` reaches
    /// `https://host/sentry/api/0/`).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// How many issues to ask for per page (default 100, Sentry's most).
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most pages one listing reads (default 10, so at most 1,000 issues with the default
    /// page size); a listing cut there says so in a `warn` event.
    pub fn with_max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages;
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
    /// `Config` when the token is blank or cannot travel in a header, the organization, a
    /// project or the environment is blank, the base URL is not an http(s) URL, the page size
    /// is outside 1..=100, the page cap is 0, or the [`ClientOptions`] are invalid.
    pub fn build(self) -> Result<SentryConfig> {
        use secrecy::ExposeSecret;
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        if self.token.expose_secret().trim().is_empty() {
            return Err(fail("the Sentry auth token is blank".into()));
        }
        let organization = self.organization.trim().to_owned();
        if organization.is_empty() {
            return Err(fail("the Sentry organization is required".into()));
        }
        let mut projects = Vec::with_capacity(self.projects.len());
        for project in self.projects {
            let project = project.trim().to_owned();
            if project.is_empty() {
                return Err(fail("a Sentry project is blank".into()));
            }
            projects.push(project);
        }
        let environment = match self.environment.map(|e| e.trim().to_owned()) {
            Some(e) if e.is_empty() => return Err(fail("the Sentry environment is blank".into())),
            other => other,
        };
        let shown = redact(&self.base_url);
        let mut base_url = Url::parse(&self.base_url).map_err(|e| {
            fail(format!("the Sentry base URL `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.cannot_be_a_base() {
            return Err(fail(format!(
                "the Sentry base URL `{shown}` must be http(s)"
            )));
        }
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        base_url.set_query(None);
        base_url.set_fragment(None);
        if !(1..=100).contains(&self.page_size) {
            return Err(fail(format!(
                "the Sentry page size must be 1..=100, not {}",
                self.page_size
            )));
        }
        if self.max_pages == 0 {
            return Err(fail("the Sentry page cap must be at least 1".into()));
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        // The token must fit in a header; checked here so `build` is where configuration fails.
        ir_http::Auth::bearer(self.token.clone())
            .to_header()
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(SentryConfig {
            token: self.token,
            organization,
            projects,
            environment,
            base_url,
            page_size: self.page_size,
            max_pages: self.max_pages,
            client_options: self.client_options,
        })
    }
}

impl fmt::Debug for SentryConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentryConfigBuilder")
            .field("token", &"<redacted>")
            .field("organization", &self.organization)
            .field("projects", &self.projects)
            .field("environment", &self.environment)
            .field("base_url", &redact(&self.base_url))
            .field("page_size", &self.page_size)
            .field("max_pages", &self.max_pages)
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

    #[test]
    fn from_lookup_reads_every_documented_variable() {
        let config = SentryConfig::from_lookup(lookup(&[
            ("SENTRY_AUTH_TOKEN", "sntrys-token-secret"),
            ("SENTRY_ORG", "acme"),
            ("SENTRY_PROJECT", "web, 4505321021267968,"),
            ("SENTRY_ENVIRONMENT", "production"),
            ("SENTRY_URL", "https://sentry.acme.internal/prefix"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.organization(), "acme");
        assert_eq!(config.projects(), ["web", "4505321021267968"]);
        assert_eq!(config.environment(), Some("production"));
        assert_eq!(
            config.base_url().as_str(),
            "https://sentry.acme.internal/prefix/"
        );
        assert_eq!(config.page_size(), 100);
        assert_eq!(config.max_pages(), 10);
        let debug = format!("{config:?}");
        assert!(!debug.contains("token-secret"), "{debug}");

        let config = SentryConfig::from_lookup(lookup(&[
            ("SENTRY_AUTH_TOKEN", "sntrys-token-secret"),
            ("SENTRY_ORG", "acme"),
            ("SENTRY_PROJECT", " "),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(config.projects().is_empty());
        assert_eq!(config.environment(), None);
        assert_eq!(config.base_url().as_str(), DEFAULT_BASE_URL);
    }

    #[test]
    fn missing_variables_are_named() {
        let err = SentryConfig::from_lookup(lookup(&[("SENTRY_ORG", "acme")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "SENTRY_AUTH_TOKEN is not set");
        let err = SentryConfig::from_lookup(lookup(&[
            ("SENTRY_AUTH_TOKEN", "sntrys-token-secret"),
            ("SENTRY_ORG", "  "),
        ]))
        .unwrap_err();
        assert_eq!(err.message(), "SENTRY_ORG is not set");
        assert_eq!(err.provider(), Some("sentry"));
        assert!(!format!("{err:?} {err}").contains("token-secret"));
    }

    #[test]
    fn build_validates() {
        let base = || SentryConfig::builder(SecretString::from("sntrys-token-secret"), "acme");
        assert!(base().build().is_ok());
        let cases = [
            base().with_base_url("ftp://x"),
            base().with_base_url("not a url"),
            base().with_base_url("mailto:someone@example.com"),
            base().with_page_size(0),
            base().with_page_size(101),
            base().with_max_pages(0),
            base().with_project(" "),
            base().with_environment(""),
            SentryConfig::builder(SecretString::from("sntrys-token-secret"), " "),
            SentryConfig::builder(SecretString::from("  "), "acme"),
            SentryConfig::builder(SecretString::from("bad\ntoken-secret"), "acme"),
            base().with_client_options(
                ClientOptions::default().with_attempt_timeout(std::time::Duration::ZERO),
            ),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{builder:?}");
            assert_eq!(err.provider(), Some("sentry"), "{builder:?}");
            let text = format!("{err:?} {err} {builder:?}");
            assert!(!text.contains("token-secret"), "{text}");
        }
    }

    #[test]
    fn endpoint_passwords_stay_out_of_errors_and_debug() {
        let base = || SentryConfig::builder(SecretString::from("sntrys-token-secret"), "acme");
        let builder = base().with_base_url("ftp://admin:s3cret@host/?x=1");
        let err = builder.clone().build().unwrap_err();
        let text = format!("{err:?} {err} {builder:?}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("admin:<redacted>@"), "{text}");
        let config = base()
            .with_base_url("https://admin:s3cret@sentry.acme.internal/")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let client = crate::SentryClient::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
        let text = format!("{config:?} {client:?}");
        assert!(
            !text.contains("s3cret") && !text.contains("token-secret"),
            "{text}"
        );
    }
}
