//! [`GithubConfig`]: the token, the repository the client is bound to, the endpoints, and the
//! shared transport settings.

use std::fmt;

use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::PROVIDER;

/// GitHub's REST API, the default base URL. GitHub Enterprise Server is
/// `https://<host>/api/v3`.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";

/// Everything a [`GithubClient`](crate::GithubClient) needs: built with
/// [`GithubConfig::builder`] or read with [`GithubConfig::from_env`].
///
/// ```
/// use std::time::Duration;
/// use ir_github::GithubConfig;
/// use ir_http::ClientOptions;
/// use secrecy::SecretString;
///
/// let config = GithubConfig::builder(SecretString::from("ghp_example"), "acme", "web")
///     .with_base_url("https://ghe.example.com/api/v3")
///     .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::from_secs(10)))
///     .build()?;
/// assert_eq!(config.graphql_url().as_str(), "https://ghe.example.com/api/graphql");
/// assert!(!format!("{config:?}").contains("ghp_example"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct GithubConfig {
    token: SecretString,
    owner: String,
    repo: String,
    base_url: Url,
    graphql_url: Url,
    page_size: u32,
    max_pages: u32,
    log_excerpt_lines: usize,
    client_options: ClientOptions,
}

impl GithubConfig {
    /// A builder for the repository `owner/repo`, reached with `token` (a personal access
    /// token, an app installation token or Actions' `GITHUB_TOKEN`). Everything else has a
    /// default.
    pub fn builder(
        token: SecretString,
        owner: impl Into<String>,
        repo: impl Into<String>,
    ) -> GithubConfigBuilder {
        GithubConfigBuilder {
            token,
            owner: owner.into(),
            repo: repo.into(),
            base_url: DEFAULT_BASE_URL.to_owned(),
            graphql_url: None,
            page_size: 100,
            max_pages: 10,
            log_excerpt_lines: 40,
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `GITHUB_TOKEN` | the token (required), sent as `Authorization: Bearer` |
    /// | `GITHUB_REPOSITORY` | the repository as `owner/repo` (required) |
    /// | `GITHUB_API_URL` | the REST endpoint (optional; default [`DEFAULT_BASE_URL`], `https://<host>/api/v3` for GitHub Enterprise Server) |
    /// | `GITHUB_GRAPHQL_URL` | the GraphQL endpoint (optional; default derived from the REST one) |
    ///
    /// GitHub Actions sets all four in every job, so a step needs nothing else. Nothing else
    /// is read: page size, page cap, excerpt length and [`ClientOptions`] keep their defaults
    /// (set them with the builder). A blank value counts as unset.
    ///
    /// # Errors
    /// `Config` naming the first missing or invalid variable (never the token).
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env), reading each variable through `lookup` instead of the
    /// process environment.
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        let token = get("GITHUB_TOKEN").ok_or_else(|| fail("GITHUB_TOKEN is not set".into()))?;
        let repository =
            get("GITHUB_REPOSITORY").ok_or_else(|| fail("GITHUB_REPOSITORY is not set".into()))?;
        let Some((owner, repo)) = repository.trim().split_once('/') else {
            return Err(fail(format!(
                "GITHUB_REPOSITORY must be `owner/repo`, not `{repository}`"
            )));
        };
        let mut builder = Self::builder(SecretString::from(token), owner, repo);
        if let Some(url) = get("GITHUB_API_URL") {
            builder = builder.with_base_url(url);
        }
        if let Some(url) = get("GITHUB_GRAPHQL_URL") {
            builder = builder.with_graphql_url(url);
        }
        builder.build()
    }

    /// The token.
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    /// The repository's owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository's name.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The REST endpoint.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The GraphQL endpoint.
    pub fn graphql_url(&self) -> &Url {
        &self.graphql_url
    }

    /// Items asked for per page (`per_page`).
    pub fn page_size(&self) -> u32 {
        self.page_size
    }

    /// The most pages one listing reads.
    pub fn max_pages(&self) -> u32 {
        self.max_pages
    }

    /// The most log lines in a failed job's excerpt.
    pub fn log_excerpt_lines(&self) -> usize {
        self.log_excerpt_lines
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }

    pub(crate) fn auth(&self) -> ir_http::Auth {
        ir_http::Auth::bearer(self.token.clone())
    }
}

impl fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubConfig")
            .field("token", &"<redacted>")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("base_url", &redact(self.base_url.as_str()))
            .field("graphql_url", &redact(self.graphql_url.as_str()))
            .field("page_size", &self.page_size)
            .field("max_pages", &self.max_pages)
            .field("log_excerpt_lines", &self.log_excerpt_lines)
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`GithubConfig`] (from [`GithubConfig::builder`]); [`build`](Self::build)
/// validates.
#[derive(Clone)]
pub struct GithubConfigBuilder {
    token: SecretString,
    owner: String,
    repo: String,
    base_url: String,
    graphql_url: Option<String>,
    page_size: u32,
    max_pages: u32,
    log_excerpt_lines: usize,
    client_options: ClientOptions,
}

impl GithubConfigBuilder {
    /// The REST endpoint (default [`DEFAULT_BASE_URL`]; `https://<host>/api/v3` for GitHub
    /// Enterprise Server); point it at a mock.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The GraphQL endpoint (default: `<host>/api/graphql` when the REST endpoint ends in
    /// `/api/v3`, else `<base_url>/graphql`).
    pub fn with_graphql_url(mut self, url: impl Into<String>) -> Self {
        self.graphql_url = Some(url.into());
        self
    }

    /// Items asked for per page (default 100, GitHub's maximum; 1..=100).
    pub fn with_page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most pages one listing reads before it stops (default 10; at least 1).
    pub fn with_max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages;
        self
    }

    /// The most log lines in a failed job's excerpt (default 40; at least 1).
    pub fn with_log_excerpt_lines(mut self, lines: usize) -> Self {
        self.log_excerpt_lines = lines;
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
    /// `Config` when the token is blank or cannot travel in a header, the owner or repository
    /// is blank or not a GitHub name, an endpoint is not an http(s) URL, the page size is
    /// outside 1..=100, the page cap or excerpt length is zero, or the [`ClientOptions`] are
    /// invalid.
    pub fn build(self) -> Result<GithubConfig> {
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        if self.token.expose_secret().trim().is_empty() {
            return Err(fail("the GitHub token is blank".into()));
        }
        let name = |value: String, what: &str| {
            let value = value.trim().to_owned();
            let valid = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if valid {
                Ok(value)
            } else {
                Err(fail(format!(
                    "the GitHub {what} `{value}` must be a non-blank name of letters, digits, `-`, `_` and `.`"
                )))
            }
        };
        let owner = name(self.owner, "owner")?;
        let repo = name(self.repo, "repository")?;
        let base_url = parse_url(&self.base_url, "base URL")?;
        let graphql_url = match &self.graphql_url {
            Some(url) => parse_url(url, "GraphQL URL")?,
            None => derive_graphql_url(&base_url)?,
        };
        if !(1..=100).contains(&self.page_size) {
            return Err(fail(format!(
                "the page size must be 1..=100, not {}",
                self.page_size
            )));
        }
        if self.max_pages == 0 {
            return Err(fail("the page cap must be at least 1".into()));
        }
        if self.log_excerpt_lines == 0 {
            return Err(fail("the log excerpt must hold at least 1 line".into()));
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        // The token must fit in a header; checked here so `build` is where configuration fails.
        ir_http::Auth::bearer(self.token.clone())
            .to_header()
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(GithubConfig {
            token: self.token,
            owner,
            repo,
            base_url,
            graphql_url,
            page_size: self.page_size,
            max_pages: self.max_pages,
            log_excerpt_lines: self.log_excerpt_lines,
            client_options: self.client_options,
        })
    }
}

impl fmt::Debug for GithubConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubConfigBuilder")
            .field("token", &"<redacted>")
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("base_url", &redact(&self.base_url))
            .field("graphql_url", &self.graphql_url.as_deref().map(redact))
            .field("page_size", &self.page_size)
            .field("max_pages", &self.max_pages)
            .field("log_excerpt_lines", &self.log_excerpt_lines)
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// An http(s) URL without a trailing slash.
fn parse_url(text: &str, what: &str) -> Result<Url> {
    let fail = |message: String| Error::config(message).with_provider(PROVIDER);
    let shown = redact(text);
    let url = Url::parse(text.trim().trim_end_matches('/'))
        .map_err(|e| fail(format!("the GitHub {what} `{shown}` is not a URL")).with_source(e))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(fail(format!("the GitHub {what} `{shown}` must be http(s)")));
    }
    Ok(url)
}

/// `https://api.github.com` → `https://api.github.com/graphql`;
/// `https://ghe.example.com/api/v3` → `https://ghe.example.com/api/graphql`.
fn derive_graphql_url(base: &Url) -> Result<Url> {
    let path = base.path().trim_end_matches('/');
    let graphql = match path.strip_suffix("/api/v3") {
        Some(prefix) => format!("{prefix}/api/graphql"),
        None => format!("{path}/graphql"),
    };
    let mut url = base.clone();
    url.set_path(&graphql);
    Ok(url)
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
    fn from_lookup_reads_each_variable() {
        let config = GithubConfig::from_lookup(lookup(&[
            ("GITHUB_TOKEN", "ghp-secret-1"),
            ("GITHUB_REPOSITORY", "acme/web"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.owner(), "acme");
        assert_eq!(config.repo(), "web");
        assert_eq!(config.base_url().as_str(), "https://api.github.com/");
        assert_eq!(
            config.graphql_url().as_str(),
            "https://api.github.com/graphql"
        );
        assert_eq!(config.token().expose_secret(), "ghp-secret-1");
        assert!(!format!("{config:?}").contains("ghp-secret-1"));

        let config = GithubConfig::from_lookup(lookup(&[
            ("GITHUB_TOKEN", "ghp-secret-1"),
            ("GITHUB_REPOSITORY", "acme/web"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.base_url().as_str(), "https://ghe.example.com/api/v3");
        assert_eq!(
            config.graphql_url().as_str(),
            "https://ghe.example.com/api/graphql"
        );

        let config = GithubConfig::from_lookup(lookup(&[
            ("GITHUB_TOKEN", "ghp-secret-1"),
            ("GITHUB_REPOSITORY", "acme/web"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"),
            ("GITHUB_GRAPHQL_URL", "https://gql.example.com/graphql"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            config.graphql_url().as_str(),
            "https://gql.example.com/graphql"
        );
    }

    #[test]
    fn missing_variables_are_named() {
        let err =
            GithubConfig::from_lookup(lookup(&[("GITHUB_REPOSITORY", "acme/web")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "GITHUB_TOKEN is not set");
        let err = GithubConfig::from_lookup(lookup(&[
            ("GITHUB_TOKEN", "ghp-secret-1"),
            ("GITHUB_REPOSITORY", "  "),
        ]))
        .unwrap_err();
        assert_eq!(err.message(), "GITHUB_REPOSITORY is not set");
        let err = GithubConfig::from_lookup(lookup(&[
            ("GITHUB_TOKEN", "ghp-secret-1"),
            ("GITHUB_REPOSITORY", "acme"),
        ]))
        .unwrap_err();
        assert!(err.message().contains("owner/repo"), "{err}");
        assert!(!format!("{err:?}").contains("ghp-secret-1"));
    }

    #[test]
    fn build_validates() {
        let base = || GithubConfig::builder(SecretString::from("ghp-secret-1"), "acme", "web");
        assert!(base().build().is_ok());
        let cases = [
            base().with_base_url("ftp://x"),
            base().with_base_url("not a url"),
            base().with_graphql_url("mailto:x@example.com"),
            base().with_page_size(0),
            base().with_page_size(101),
            base().with_max_pages(0),
            base().with_log_excerpt_lines(0),
            GithubConfig::builder(SecretString::from("ghp-secret-1"), " ", "web"),
            GithubConfig::builder(SecretString::from("ghp-secret-1"), "acme", "we b"),
            GithubConfig::builder(SecretString::from("  "), "acme", "web"),
            GithubConfig::builder(SecretString::from("bad\nghp-secret-1"), "acme", "web"),
            base().with_client_options(
                ClientOptions::default().with_attempt_timeout(std::time::Duration::ZERO),
            ),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{builder:?}");
            assert_eq!(err.provider(), Some("github"), "{builder:?}");
            let text = format!("{err:?} {err} {builder:?}");
            assert!(!text.contains("ghp-secret-1"), "{text}");
        }
    }

    #[test]
    fn endpoint_passwords_stay_out_of_errors_and_debug() {
        let builder = GithubConfig::builder(SecretString::from("ghp-secret-1"), "acme", "web")
            .with_base_url("ftp://admin:s3cret@host/api/v3");
        let err = builder.clone().build().unwrap_err();
        let text = format!("{err:?} {err} {builder:?}");
        assert!(!text.contains("s3cret"), "{text}");
        let config = GithubConfig::builder(SecretString::from("ghp-secret-1"), "acme", "web")
            .with_base_url("https://admin:s3cret@ghe.example.com/api/v3")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{config:?}").contains("s3cret"));
        let client = crate::GithubClient::new(config).unwrap_or_else(|e| panic!("{e}"));
        let debug = format!("{client:?}");
        assert!(
            !debug.contains("s3cret") && !debug.contains("ghp-secret-1"),
            "{debug}"
        );
    }
}
