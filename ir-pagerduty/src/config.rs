//! [`PagerDutyConfig`]: the routing keys (one default, one per role where set), what the
//! events say about their source, the endpoint, and the shared transport settings.

use std::collections::BTreeMap;
use std::fmt;

use ir_core::model::Role;
use ir_core::redact::redact;
use ir_core::{Error, Result};
use ir_http::ClientOptions;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::PROVIDER;

/// PagerDuty's Events API host, the default base URL (events go to `<base>/v2/enqueue`).
pub const DEFAULT_BASE_URL: &str = "https://events.pagerduty.com";

/// Every role, with the suffix of its `PAGERDUTY_ROUTING_KEY_<ROLE>` variable.
const ROLE_VARIABLES: [(Role, &str); 6] = [
    (Role::OnCall, "ON_CALL"),
    (Role::EngineeringLead, "ENGINEERING_LEAD"),
    (Role::Cto, "CTO"),
    (Role::DevOps, "DEVOPS"),
    (Role::ProductLead, "PRODUCT_LEAD"),
    (Role::Team, "TEAM"),
];

/// Everything a [`PagerDutyClient`](crate::PagerDutyClient) needs: built with
/// [`PagerDutyConfig::builder`] or read with [`PagerDutyConfig::from_env`].
///
/// A routing key (an Events API v2 integration key) names the PagerDuty service an event
/// opens an incident in. Pages to a role with its own key ([`with_routing_key`]) go there;
/// every other role's pages go to the default key.
///
/// [`with_routing_key`]: PagerDutyConfigBuilder::with_routing_key
///
/// ```
/// use ir_core::model::Role;
/// use ir_pagerduty::PagerDutyConfig;
/// use secrecy::SecretString;
///
/// let config = PagerDutyConfig::builder(SecretString::from("R0UTINGKEY0DEFAULT00000000000000"))
///     .with_routing_key(Role::Cto, SecretString::from("R0UTINGKEY0CTO000000000000000000"))
///     .with_source("api.example.com")
///     .build()?;
/// assert_eq!(config.base_url().as_str(), "https://events.pagerduty.com/");
/// assert!(!format!("{config:?}").contains("R0UTINGKEY"));
/// # Ok::<(), ir_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PagerDutyConfig {
    default_routing_key: SecretString,
    routing_keys: BTreeMap<Role, SecretString>,
    source: String,
    component: Option<String>,
    group: Option<String>,
    incident_url: Option<String>,
    base_url: Url,
    client_options: ClientOptions,
}

impl PagerDutyConfig {
    /// A builder sending every page to `default_routing_key` unless its role has its own key.
    pub fn builder(default_routing_key: SecretString) -> PagerDutyConfigBuilder {
        PagerDutyConfigBuilder {
            default_routing_key,
            routing_keys: BTreeMap::new(),
            source: "ir".to_owned(),
            component: None,
            group: None,
            incident_url: None,
            base_url: DEFAULT_BASE_URL.to_owned(),
            client_options: ClientOptions::default(),
        }
    }

    /// Reads the configuration from the process environment, through
    /// [`from_lookup`](Self::from_lookup):
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `PAGERDUTY_ROUTING_KEY` | the default routing (integration) key (required) |
    /// | `PAGERDUTY_ROUTING_KEY_ON_CALL`, `_ENGINEERING_LEAD`, `_CTO`, `_DEVOPS`, `_PRODUCT_LEAD`, `_TEAM` | the routing key for pages to that role (optional) |
    /// | `PAGERDUTY_SOURCE` | the payload's `source`, e.g. the service's host name (optional; default `ir`) |
    /// | `PAGERDUTY_COMPONENT` | the payload's `component` (optional) |
    /// | `PAGERDUTY_INCIDENT_URL` | a link sent with each trigger; `{dedup_key}` in it is replaced by the incident's key (optional) |
    /// | `PAGERDUTY_EVENTS_URL` | the Events API host (optional; default [`DEFAULT_BASE_URL`]) |
    ///
    /// Nothing else is read: the [`ClientOptions`] keep their defaults. A blank value counts
    /// as unset.
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
        let key = get("PAGERDUTY_ROUTING_KEY").ok_or_else(|| {
            Error::config("PAGERDUTY_ROUTING_KEY is not set").with_provider(PROVIDER)
        })?;
        let mut builder = Self::builder(SecretString::from(key));
        for (role, suffix) in ROLE_VARIABLES {
            if let Some(key) = get(&format!("PAGERDUTY_ROUTING_KEY_{suffix}")) {
                builder = builder.with_routing_key(role, SecretString::from(key));
            }
        }
        if let Some(source) = get("PAGERDUTY_SOURCE") {
            builder = builder.with_source(source);
        }
        if let Some(component) = get("PAGERDUTY_COMPONENT") {
            builder = builder.with_component(component);
        }
        if let Some(url) = get("PAGERDUTY_INCIDENT_URL") {
            builder = builder.with_incident_url(url);
        }
        if let Some(url) = get("PAGERDUTY_EVENTS_URL") {
            builder = builder.with_base_url(url);
        }
        builder.build()
    }

    /// The routing key pages to `role` go to.
    pub fn routing_key(&self, role: Role) -> &SecretString {
        self.routing_keys
            .get(&role)
            .unwrap_or(&self.default_routing_key)
    }

    /// Every distinct routing key, the default first: where an acknowledge or resolve is sent.
    pub(crate) fn all_routing_keys(&self) -> Vec<&SecretString> {
        let mut keys = vec![&self.default_routing_key];
        for key in self.routing_keys.values() {
            if !keys
                .iter()
                .any(|k| k.expose_secret() == key.expose_secret())
            {
                keys.push(key);
            }
        }
        keys
    }

    /// The payload's `source`.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The payload's `component`, when set.
    pub fn component(&self) -> Option<&str> {
        self.component.as_deref()
    }

    /// The payload's `group`, when set.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The incident link template, when set.
    pub fn incident_url(&self) -> Option<&str> {
        self.incident_url.as_deref()
    }

    /// The Events API host.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.client_options
    }
}

fn roles_debug(keys: &BTreeMap<Role, SecretString>) -> Vec<String> {
    keys.keys()
        .map(|role| format!("{role:?}: <redacted>"))
        .collect()
}

impl fmt::Debug for PagerDutyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagerDutyConfig")
            .field("default_routing_key", &"<redacted>")
            .field("routing_keys", &roles_debug(&self.routing_keys))
            .field("source", &self.source)
            .field("component", &self.component)
            .field("group", &self.group)
            .field("incident_url", &self.incident_url.as_deref().map(redact))
            .field("base_url", &redact(self.base_url.as_str()))
            .field("client_options", &self.client_options)
            .finish()
    }
}

/// Builds a [`PagerDutyConfig`] (from [`PagerDutyConfig::builder`]); [`build`](Self::build)
/// validates.
#[derive(Clone)]
pub struct PagerDutyConfigBuilder {
    default_routing_key: SecretString,
    routing_keys: BTreeMap<Role, SecretString>,
    source: String,
    component: Option<String>,
    group: Option<String>,
    incident_url: Option<String>,
    base_url: String,
    client_options: ClientOptions,
}

impl PagerDutyConfigBuilder {
    /// Pages to `role` go to `key` instead of the default routing key.
    pub fn with_routing_key(mut self, role: Role, key: SecretString) -> Self {
        self.routing_keys.insert(role, key);
        self
    }

    /// The payload's `source`: where the problem is, e.g. the service's host name (default
    /// `ir`).
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = source.into();
        self
    }

    /// The payload's `component`, e.g. `api`.
    pub fn with_component(mut self, component: impl Into<String>) -> Self {
        self.component = Some(component.into());
        self
    }

    /// The payload's `group`, e.g. `prod-web`.
    pub fn with_group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }

    /// A link sent with each trigger (`links[]` and `client_url`), e.g.
    /// `https://ops.example.com/incidents/{dedup_key}`: `{dedup_key}` is replaced by the
    /// incident's dedup key.
    pub fn with_incident_url(mut self, url: impl Into<String>) -> Self {
        self.incident_url = Some(url.into());
        self
    }

    /// The Events API host (default [`DEFAULT_BASE_URL`]); point it at a mock.
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
    /// `Config` when a routing key is blank or holds whitespace, the source is blank, the
    /// base URL or incident link is not an http(s) URL, or the [`ClientOptions`] are invalid.
    pub fn build(self) -> Result<PagerDutyConfig> {
        let fail = |message: String| Error::config(message).with_provider(PROVIDER);
        let check_key = |key: &SecretString, what: String| {
            let raw = key.expose_secret();
            if raw.trim().is_empty() || raw.chars().any(char::is_whitespace) {
                Err(fail(format!(
                    "the PagerDuty routing key {what} is blank or holds whitespace"
                )))
            } else {
                Ok(())
            }
        };
        check_key(&self.default_routing_key, "(default)".to_owned())?;
        for (role, key) in &self.routing_keys {
            check_key(key, format!("for {role:?}"))?;
        }
        let source = self.source.trim().to_owned();
        if source.is_empty() {
            return Err(fail("the PagerDuty event source is blank".to_owned()));
        }
        let base_url = parse_http_url(&self.base_url, "base URL")?;
        if let Some(link) = &self.incident_url {
            parse_http_url(&link.replace("{dedup_key}", "key"), "incident link")?;
        }
        self.client_options
            .validate()
            .map_err(|e| e.with_provider(PROVIDER))?;
        Ok(PagerDutyConfig {
            default_routing_key: self.default_routing_key,
            routing_keys: self.routing_keys,
            source,
            component: self.component.filter(|c| !c.trim().is_empty()),
            group: self.group.filter(|g| !g.trim().is_empty()),
            incident_url: self.incident_url,
            base_url,
            client_options: self.client_options,
        })
    }
}

fn parse_http_url(raw: &str, what: &str) -> Result<Url> {
    let fail = |message: String| Error::config(message).with_provider(PROVIDER);
    let shown = redact(raw);
    let url = Url::parse(raw)
        .map_err(|e| fail(format!("the PagerDuty {what} `{shown}` is not a URL")).with_source(e))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail(format!(
            "the PagerDuty {what} `{shown}` must be http(s)"
        )));
    }
    Ok(url)
}

impl fmt::Debug for PagerDutyConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagerDutyConfigBuilder")
            .field("default_routing_key", &"<redacted>")
            .field("routing_keys", &roles_debug(&self.routing_keys))
            .field("source", &self.source)
            .field("component", &self.component)
            .field("group", &self.group)
            .field("incident_url", &self.incident_url.as_deref().map(redact))
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

    const KEY: &str = "R0UTINGKEYdefault000000000000001";
    const CTO_KEY: &str = "R0UTINGKEYcto0000000000000000002";

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn from_lookup_reads_every_documented_variable() {
        let config = PagerDutyConfig::from_lookup(lookup(&[
            ("PAGERDUTY_ROUTING_KEY", KEY),
            ("PAGERDUTY_ROUTING_KEY_CTO", CTO_KEY),
            ("PAGERDUTY_ROUTING_KEY_TEAM", "  "),
            ("PAGERDUTY_SOURCE", "api.example.com"),
            ("PAGERDUTY_COMPONENT", "api"),
            (
                "PAGERDUTY_INCIDENT_URL",
                "https://ops.example.com/i/{dedup_key}",
            ),
            ("PAGERDUTY_EVENTS_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.routing_key(Role::Cto).expose_secret(), CTO_KEY);
        assert_eq!(config.routing_key(Role::OnCall).expose_secret(), KEY);
        assert_eq!(config.routing_key(Role::Team).expose_secret(), KEY);
        assert_eq!(config.all_routing_keys().len(), 2);
        assert_eq!(config.source(), "api.example.com");
        assert_eq!(config.component(), Some("api"));
        assert_eq!(
            config.incident_url(),
            Some("https://ops.example.com/i/{dedup_key}")
        );
        assert_eq!(config.base_url().as_str(), "http://127.0.0.1:9/");
        let debug = format!("{config:?}");
        assert!(!debug.contains(KEY) && !debug.contains(CTO_KEY), "{debug}");
        assert!(debug.contains("Cto: <redacted>"), "{debug}");
    }

    #[test]
    fn defaults_and_missing_key() {
        let config = PagerDutyConfig::from_lookup(lookup(&[("PAGERDUTY_ROUTING_KEY", KEY)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.source(), "ir");
        assert_eq!(config.base_url().as_str(), "https://events.pagerduty.com/");
        let err =
            PagerDutyConfig::from_lookup(lookup(&[("PAGERDUTY_ROUTING_KEY", " ")])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.message(), "PAGERDUTY_ROUTING_KEY is not set");
    }

    #[test]
    fn build_validates() {
        let base = || PagerDutyConfig::builder(SecretString::from(KEY));
        assert!(base().build().is_ok());
        let cases = [
            PagerDutyConfig::builder(SecretString::from(" ")),
            base().with_routing_key(Role::Cto, SecretString::from("bad key-secret")),
            base().with_source(" "),
            base().with_base_url("ftp://x"),
            base().with_base_url("not a url"),
            base().with_incident_url("javascript:alert(1)"),
            base().with_client_options(
                ClientOptions::default().with_attempt_timeout(std::time::Duration::ZERO),
            ),
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

    #[test]
    fn endpoint_passwords_stay_out_of_errors_and_debug() {
        let builder = PagerDutyConfig::builder(SecretString::from(KEY))
            .with_base_url("ftp://admin:s3cret@host/");
        let err = builder.clone().build().unwrap_err();
        let text = format!("{err:?} {err} {builder:?}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
