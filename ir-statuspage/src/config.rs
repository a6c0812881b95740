//! [`StatuspageConfig`]: the API key, the page, the components an incident affects, pacing,
//! the endpoint, and the shared transport settings.

use std::fmt;
use std::time::Duration;

use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::PROVIDER;

/// Statuspage's REST API v1, the default base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.statuspage.io/v1";

/// A Statuspage component status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatuspageComponentStatus {
    /// `operational`.
    Operational,
    /// `under_maintenance`.
    UnderMaintenance,
    /// `degraded_performance`.
    DegradedPerformance,
    /// `partial_outage`.
    PartialOutage,
    /// `major_outage`.
    MajorOutage,
}

impl StatuspageComponentStatus {
    /// The wire value, e.g. `major_outage`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::UnderMaintenance => "under_maintenance",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
        }
    }
}

/// Everything a [`StatuspageClient`](crate::StatuspageClient) needs: built with
/// [`StatuspageConfig::builder`] or read with [`StatuspageConfig::from_env`].
///
/// ```
/// use ir_statuspage::{StatuspageComponentStatus, StatuspageConfig};
/// use secrecy::SecretString;
///
/// let config = StatuspageConfig::builder(SecretString::from("sp-api-key"), "kctbh9vrtdwd")
///     .with_component("8kbf7d35c070")
///     .with_outage_status(StatuspageComponentStatus::MajorOutage)
///     .build()?;
/// assert_eq!(config.base_url().as_str(), "https://api.statuspage.io/v1");
/// assert!(!format!("{config:?}").contains("sp-api-key"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct StatuspageConfig {
    api_key: SecretString,
    page_id: String,
    component_ids: Vec<String>,
    outage_status: StatuspageComponentStatus,
    deliver_notifications: bool,
    min_interval: Duration,
    base_url: Url,
    client_options: ClientOptions,
}

impl StatuspageConfig {
    /// A builder for the page `page_id`, reached with the user API key `api_key` (its user
    /// needs the Incident Manager role). Everything else has a default.
    pub fn builder(api_key: SecretString, page_id: impl Into<String>) -> StatuspageConfigBuilder {
        StatuspageConfigBuilder {
            api_key,
            page_id: page_id.into(),
            component_ids: Vec::new(),
            outage_status: StatuspageComponentStatus::PartialOutage,
            deliver_notifications: true,
            min_interval: Duration::from_secs(1),
            base_url: DEFAULT_BASE_URL.to_owned(),
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `STATUSPAGE_API_KEY` | the API key (required) |
    /// | `STATUSPAGE_PAGE_ID` | the page id (required) |
    /// | `STATUSPAGE_COMPONENT_IDS` | comma-separated ids of the components an incident affects (optional) |
    /// | `STATUSPAGE_API_URL` | the API base URL (optional; default [`DEFAULT_BASE_URL`]) |
    ///
    /// Nothing else is read: outage status, notifications, pacing and [`ClientOptions`] keep
    /// their defaults. A blank value counts as unset.
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
        let mut builder = Self::builder(
            SecretString::from(required("STATUSPAGE_API_KEY")?.trim().to_owned()),
            required("STATUSPAGE_PAGE_ID")?,
        );
        if let Some(ids) = get("STATUSPAGE_COMPONENT_IDS") {
            for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
                builder = builder.with_component(id);
            }
        }
        if let Some(url) = get("STATUSPAGE_API_URL") {
            builder = builder.with_base_url(url);
        }
        builder.build()
    }

    /// The API key.
    pub fn api_key(&self) -> &SecretString {
        &self.api_key
    }

    /// The page id.
    pub fn page_id(&self) -> &str {
        &self.page_id
    }

    /// The components an incident affects.
    pub fn component_ids(&self) -> &[String] {
        &self.component_ids
    }

    /// The status of the affected components until the incident is resolved.
    pub fn outage_status(&self) -> StatuspageComponentStatus {
        self.outage_status
    }

    /// Whether Statuspage notifies subscribers of each update.
    pub fn deliver_notifications(&self) -> bool {
        self.deliver_notifications
    }

    /// The least time between two requests.
    pub fn min_interval(&self) -> Duration {
        self.min_interval
    }

    /// The API base URL.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }
}

impl fmt::Debug for StatuspageConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatuspageConfig")
            .field("api_key", &"<redacted>")
            .field("page_id", &self.page_id)
            .field("component_ids", &self.component_ids)
            .field("outage_status", &self.outage_status)
            .field("deliver_notifications", &self.deliver_notifications)
            .field("min_interval", &self.min_interval)
            .field("base_url", &redact(self.base_url.as_str()))
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`StatuspageConfig`] (from [`StatuspageConfig::builder`]);
/// [`build`](Self::build) validates.
#[derive(Clone)]
pub struct StatuspageConfigBuilder {
    api_key: SecretString,
    page_id: String,
    component_ids: Vec<String>,
    outage_status: StatuspageComponentStatus,
    deliver_notifications: bool,
    min_interval: Duration,
    base_url: String,
    client_options: ClientOptions,
}

impl StatuspageConfigBuilder {
    /// A component every incident affects (repeat for more).
    pub fn with_component(mut self, id: impl Into<String>) -> Self {
        self.component_ids.push(id.into());
        self
    }

    /// The status the affected components show until the incident is resolved (default
    /// `partial_outage`); on resolve they return to `operational`.
    pub fn with_outage_status(mut self, status: StatuspageComponentStatus) -> Self {
        self.outage_status = status;
        self
    }

    /// Whether Statuspage notifies subscribers of each update (default `true`).
    pub fn with_deliver_notifications(mut self, deliver: bool) -> Self {
        self.deliver_notifications = deliver;
        self
    }

    /// The least time between two requests (default 1 s: Statuspage allows about 60 a
    /// minute per key); waits run on the options' clock. `Duration::ZERO` turns pacing off.
    pub fn with_min_interval(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }

    /// The API base URL (default [`DEFAULT_BASE_URL`]); point it at a mock.
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
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
    /// `Config` when the key is blank or cannot travel in a header, the page or a component
    /// id is blank or not a plain id, the base URL is not an http(s) URL, the interval is
    /// over a minute, or the [`ClientOptions`] are invalid.
    pub fn build(self) -> Result<StatuspageConfig> {
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        if self.api_key.expose_secret().trim().is_empty() {
            return Err(fail("the Statuspage API key is blank".to_owned()));
        }
        crate::client::auth(&self.api_key)?.to_header()?;
        let plain = |id: &str| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let page_id = self.page_id.trim().to_owned();
        if !plain(&page_id) {
            return Err(fail(format!(
                "the Statuspage page id `{page_id}` is blank or not a plain id"
            )));
        }
        let mut component_ids = Vec::new();
        for id in self.component_ids {
            let id = id.trim().to_owned();
            if !plain(&id) {
                return Err(fail(format!(
                    "the Statuspage component id `{id}` is blank or not a plain id"
                )));
            }
            if !component_ids.contains(&id) {
                component_ids.push(id);
            }
        }
        let shown = redact(&self.base_url);
        let base_url = Url::parse(&self.base_url).map_err(|e| {
            fail(format!("the Statuspage base URL `{shown}` is not a URL")).with_source(e)
        })?;
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(fail(format!(
                "the Statuspage base URL `{shown}` must be http(s)"
            )));
        }
        if self.min_interval > Duration::from_secs(60) {
            return Err(fail(format!(
                "the request interval must be at most 60 s, not {:?}",
                self.min_interval
            )));
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(StatuspageConfig {
            api_key: self.api_key,
            page_id,
            component_ids,
            outage_status: self.outage_status,
            deliver_notifications: self.deliver_notifications,
            min_interval: self.min_interval,
            base_url,
            client_options: self.client_options,
        })
    }
}

impl fmt::Debug for StatuspageConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatuspageConfigBuilder")
            .field("api_key", &"<redacted>")
            .field("page_id", &self.page_id)
            .field("component_ids", &self.component_ids)
            .field("outage_status", &self.outage_status)
            .field("deliver_notifications", &self.deliver_notifications)
            .field("min_interval", &self.min_interval)
            .field("base_url", &redact(&self.base_url))
            .field("client_options", &self.client_options)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::ErrorKind;
    use std::collections::HashMap;

    const KEY: &str = "sp-key-0123456789abcdef-secret";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn from_lookup_reads_every_documented_variable() {
        let config = StatuspageConfig::from_lookup(lookup(&[
            ("STATUSPAGE_API_KEY", KEY),
            ("STATUSPAGE_PAGE_ID", "kctbh9vrtdwd"),
            ("STATUSPAGE_COMPONENT_IDS", "8kbf7d35c070, ftgks51sfs2d,,"),
            ("STATUSPAGE_API_URL", "http://127.0.0.1:9/v1"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.page_id(), "kctbh9vrtdwd");
        assert_eq!(config.component_ids(), ["8kbf7d35c070", "ftgks51sfs2d"]);
        assert_eq!(config.base_url().as_str(), "http://127.0.0.1:9/v1");
        assert_eq!(
            config.outage_status(),
            StatuspageComponentStatus::PartialOutage
        );
        assert!(config.deliver_notifications());
        assert!(!format!("{config:?}").contains(KEY));
    }

    #[test]
    fn missing_variables_are_named() {
        let err =
            StatuspageConfig::from_lookup(lookup(&[("STATUSPAGE_PAGE_ID", "p")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "STATUSPAGE_API_KEY is not set");
        let err = StatuspageConfig::from_lookup(lookup(&[
            ("STATUSPAGE_API_KEY", KEY),
            ("STATUSPAGE_PAGE_ID", " "),
        ]))
        .unwrap_err();
        assert_eq!(err.message(), "STATUSPAGE_PAGE_ID is not set");
        assert!(!format!("{err:?}").contains(KEY));
    }

    #[test]
    fn build_validates() {
        let base = || StatuspageConfig::builder(SecretString::from(KEY), "kctbh9vrtdwd");
        assert!(base().build().is_ok());
        let cases = [
            StatuspageConfig::builder(SecretString::from(" "), "p"),
            StatuspageConfig::builder(SecretString::from("bad\nkey-secret"), "p"),
            StatuspageConfig::builder(SecretString::from(KEY), "a/b"),
            base().with_component(" "),
            base().with_base_url("ftp://x"),
            base().with_min_interval(Duration::from_secs(61)),
            base()
                .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::ZERO)),
        ];
        for builder in cases {
            let err = builder.clone().build().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{builder:?}");
            let text = format!("{err:?} {err} {builder:?}");
            assert!(
                !text.contains(KEY) && !text.contains("key-secret"),
                "{text}"
            );
        }
    }
}
