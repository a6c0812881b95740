//! `ir.toml`: one file for the policies, the runner's timings, the scenarios, the watcher and
//! each provider's non-secret settings. Secrets come from the environment only.
//!
//! Every section is optional and every field left out keeps the runbook's value. A key the file
//! does not know, or a value of the wrong type, is an error naming the file, the line and the
//! key ([`ConfigError`]). A provider is configured by its section being present; its secrets
//! are read from the environment variables its crate reads (`RAILWAY_TOKEN`, `GITHUB_TOKEN`,
//! ...), and a setting given in the file wins over the same variable in the environment.
//! See `ir/ir.example.toml` for every section, documented.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use ir_core::clock::Clock;
use ir_core::escalation::EscalationPolicy;
use ir_core::memory::{InMemoryIncidentStore, TracingChat};
use ir_core::playbook::{ApprovalPolicy, Playbook, Providers};
use ir_core::ports::{FingerprintKey, IncidentStore};
use ir_core::runner::{Runner, RunnerConfig};
use ir_core::scenarios::{
    AuthSecretMissing, BuildFailure, ErrorSpike, LatencySpike, PoolExhausted, SiteDown,
};
use ir_core::{Error, SeverityPolicy};
use serde::{Deserialize, Serialize};

use crate::watch::{WatchSettings, Watcher};

/// The names of the built-in scenarios, as `[scenarios] enabled` takes them.
pub const SCENARIOS: [&str; 6] = [
    "site_down",
    "auth_secret_missing",
    "build_failure_missing_import",
    "connection_pool_exhausted",
    "error_rate_spike",
    "latency_spike",
];

/// The whole of `ir.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// `[service]`: the service watched.
    pub service: ServiceSection,
    /// `[watch]`: what the watcher checks and how often.
    pub watch: WatchSettings,
    /// `[severity]`: classification thresholds and response targets.
    pub severity: SeverityPolicy,
    /// `[escalation]`: timers, status cadence, contacts (merged onto the runbook's).
    pub escalation: EscalationPolicy,
    /// `[approval]`: which actions run without asking.
    pub approval: ApprovalPolicy,
    /// `[runner]`: the runner's timings and thresholds.
    pub runner: RunnerConfig,
    /// `[scenarios]`: which built-in playbooks are enabled, and each one's settings
    /// (`[scenarios.site_down]`, ...: paths, windows, verification timings).
    pub scenarios: ScenariosSection,
    /// `[railway]`: deploy platform, variables and logs.
    pub railway: Option<RailwaySection>,
    /// `[github]`: code host.
    pub github: Option<GithubSection>,
    /// `[sentry]`: error tracker.
    pub sentry: Option<SentrySection>,
    /// `[postgres]`: database diagnostics and/or the shared incident store.
    pub postgres: Option<PostgresSection>,
    /// `[slack]`: the incident channel.
    pub slack: Option<SlackSection>,
    /// `[pagerduty]`: the pager.
    pub pagerduty: Option<PagerDutySection>,
    /// `[statuspage]`: the public status page.
    pub statuspage: Option<StatuspageSection>,
}

/// `[service]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ServiceSection {
    /// The service's name, as incidents record it.
    pub name: String,
    /// Its base URL: the health probe checks `[watch] path` under it (feature `http`).
    pub base_url: Option<String>,
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self {
            name: "service".into(),
            base_url: None,
        }
    }
}

/// `[scenarios]`: which built-in playbooks are enabled, and each one's settings in a table
/// named after it, e.g. `[scenarios.site_down]`. A scenario's keys are its type's public
/// fields ([`scenarios::SiteDown`], ...), each optional with the runbook's default; its
/// verification timings are `verification = { consecutive = 3, interval = "30s", deadline =
/// "10m" }` (and `revert_verification`, `platform_verification` where it has them).
///
/// ```
/// use std::time::Duration;
///
/// let config = ir::Config::from_toml_str(r#"
///     [scenarios.site_down]
///     health_path = "/healthz"
///     verification = { consecutive = 1, interval = "2s", deadline = "1m" }
/// "#)?;
/// let site_down = &config.scenarios.site_down;
/// assert_eq!(site_down.verification.expected_duration(), Duration::from_secs(2));
/// assert_eq!(site_down.platform_verification.interval, Duration::from_secs(60)); // the runbook's
/// assert_eq!(config.playbooks().len(), 6);
/// # Ok::<(), ir::ConfigError>(())
/// ```
///
/// [`scenarios::SiteDown`]: ir_core::scenarios::SiteDown
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct ScenariosSection {
    /// The enabled scenarios, by name ([`SCENARIOS`]; default: all six).
    pub enabled: Vec<String>,
    /// `[scenarios.site_down]`.
    pub site_down: SiteDown,
    /// `[scenarios.auth_secret_missing]`.
    pub auth_secret_missing: AuthSecretMissing,
    /// `[scenarios.build_failure_missing_import]`.
    pub build_failure_missing_import: BuildFailure,
    /// `[scenarios.connection_pool_exhausted]`.
    pub connection_pool_exhausted: PoolExhausted,
    /// `[scenarios.error_rate_spike]`.
    pub error_rate_spike: ErrorSpike,
    /// `[scenarios.latency_spike]`.
    pub latency_spike: LatencySpike,
}

impl Default for ScenariosSection {
    fn default() -> Self {
        Self {
            enabled: SCENARIOS.iter().map(|s| (*s).to_owned()).collect(),
            site_down: SiteDown::default(),
            auth_secret_missing: AuthSecretMissing::default(),
            build_failure_missing_import: BuildFailure::default(),
            connection_pool_exhausted: PoolExhausted::default(),
            error_rate_spike: ErrorSpike::default(),
            latency_spike: LatencySpike::default(),
        }
    }
}

impl ScenariosSection {
    /// The six scenarios with these settings, in the runbook's order, enabled or not.
    fn all(&self) -> [Arc<dyn Playbook>; 6] {
        [
            Arc::new(self.site_down.clone()),
            Arc::new(self.auth_secret_missing.clone()),
            Arc::new(self.build_failure_missing_import.clone()),
            Arc::new(self.connection_pool_exhausted.clone()),
            Arc::new(self.error_rate_spike.clone()),
            Arc::new(self.latency_spike.clone()),
        ]
    }

    /// Each scenario's own check of its settings, with the key of its table.
    fn validate(&self) -> [(&'static str, ir_core::Result<()>); 6] {
        [
            ("scenarios.site_down", self.site_down.validate()),
            (
                "scenarios.auth_secret_missing",
                self.auth_secret_missing.validate(),
            ),
            (
                "scenarios.build_failure_missing_import",
                self.build_failure_missing_import.validate(),
            ),
            (
                "scenarios.connection_pool_exhausted",
                self.connection_pool_exhausted.validate(),
            ),
            (
                "scenarios.error_rate_spike",
                self.error_rate_spike.validate(),
            ),
            ("scenarios.latency_spike", self.latency_spike.validate()),
        ]
    }
}

macro_rules! section {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty => $var:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* #[doc = concat!("\n\nIn the environment: `", $var, "`.")] pub $field: $ty,)*
        }

        impl $name {
            /// The settings as the environment variables the provider's crate reads.
            #[allow(dead_code)]
            fn vars(&self) -> Vec<(&'static str, Option<String>)> {
                vec![$(($var, Setting::value(&self.$field)),)*]
            }
        }
    };
}

/// A setting as an environment variable's value.
trait Setting {
    fn value(&self) -> Option<String>;
}

impl Setting for Option<String> {
    fn value(&self) -> Option<String> {
        self.clone()
    }
}

impl Setting for Option<bool> {
    fn value(&self) -> Option<String> {
        self.map(|b| b.to_string())
    }
}

impl Setting for Vec<String> {
    fn value(&self) -> Option<String> {
        (!self.is_empty()).then(|| self.join(","))
    }
}

section! {
    /// `[railway]`. Secret from the environment: `RAILWAY_TOKEN` (project token) or
    /// `RAILWAY_API_TOKEN` (account or workspace token).
    RailwaySection {
        /// The project id.
        project_id: Option<String> => "RAILWAY_PROJECT_ID",
        /// The environment id.
        environment_id: Option<String> => "RAILWAY_ENVIRONMENT_ID",
        /// The service id.
        service_id: Option<String> => "RAILWAY_SERVICE_ID",
        /// The GraphQL endpoint (default Railway's).
        api_url: Option<String> => "RAILWAY_API_URL",
    }
}

section! {
    /// `[github]`. Secret from the environment: `GITHUB_TOKEN`.
    GithubSection {
        /// `owner/repo`.
        repository: Option<String> => "GITHUB_REPOSITORY",
        /// The REST base URL (GitHub Enterprise).
        api_url: Option<String> => "GITHUB_API_URL",
        /// The GraphQL URL (GitHub Enterprise).
        graphql_url: Option<String> => "GITHUB_GRAPHQL_URL",
    }
}

section! {
    /// `[sentry]`. Secret from the environment: `SENTRY_AUTH_TOKEN`.
    SentrySection {
        /// The organization slug.
        org: Option<String> => "SENTRY_ORG",
        /// Project slugs or ids (default: all).
        projects: Vec<String> => "SENTRY_PROJECT",
        /// The environment watched (default: all).
        environment: Option<String> => "SENTRY_ENVIRONMENT",
        /// The base URL (self-hosted Sentry).
        url: Option<String> => "SENTRY_URL",
    }
}

/// `[postgres]`. Secrets from the environment: `DATABASE_URL`, `PGBOUNCER_ADMIN_URL`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct PostgresSection {
    /// `application_name` of our connections (`IR_POSTGRES_APPLICATION_NAME`).
    pub application_name: Option<String>,
    /// The schema of the incident store's tables (`IR_POSTGRES_SCHEMA`).
    pub schema: Option<String>,
    /// Keep incidents in PostgreSQL (`PgIncidentStore`) rather than in memory (default
    /// `false`).
    pub store: Option<bool>,
    /// Diagnose the database (`PgDiagnostics`; default `true`).
    pub diagnostics: Option<bool>,
}

impl PostgresSection {
    #[allow(dead_code)]
    fn vars(&self) -> Vec<(&'static str, Option<String>)> {
        vec![
            (
                "IR_POSTGRES_APPLICATION_NAME",
                self.application_name.clone(),
            ),
            ("IR_POSTGRES_SCHEMA", self.schema.clone()),
        ]
    }
}

section! {
    /// `[slack]`. Secret from the environment: `SLACK_BOT_TOKEN` or `SLACK_WEBHOOK_URL`.
    SlackSection {
        /// The incident channel (id or name).
        channel: Option<String> => "SLACK_CHANNEL",
        /// Also post thread replies to the channel.
        reply_broadcast: Option<bool> => "SLACK_REPLY_BROADCAST",
        /// The Web API base URL.
        api_url: Option<String> => "SLACK_API_URL",
    }
}

section! {
    /// `[pagerduty]`. Secrets from the environment: `PAGERDUTY_ROUTING_KEY` and optionally
    /// `PAGERDUTY_ROUTING_KEY_<ROLE>`.
    PagerDutySection {
        /// The event source (host or service name).
        source: Option<String> => "PAGERDUTY_SOURCE",
        /// The component.
        component: Option<String> => "PAGERDUTY_COMPONENT",
        /// A link to the incident shown in PagerDuty.
        incident_url: Option<String> => "PAGERDUTY_INCIDENT_URL",
        /// The Events API base URL.
        events_url: Option<String> => "PAGERDUTY_EVENTS_URL",
    }
}

section! {
    /// `[statuspage]`. Secret from the environment: `STATUSPAGE_API_KEY`.
    StatuspageSection {
        /// The page id.
        page_id: Option<String> => "STATUSPAGE_PAGE_ID",
        /// The components an incident affects.
        component_ids: Vec<String> => "STATUSPAGE_COMPONENT_IDS",
        /// The API base URL.
        api_url: Option<String> => "STATUSPAGE_API_URL",
    }
}

/// A configuration file that cannot be used: where and why. `Debug` shows the same text as
/// `Display`, so `main` returning it prints the file, line and key.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    key: String,
    message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, ":{line}:{column}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": key `{}`", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigError")
            .field(&self.to_string())
            .finish()
    }
}

impl ConfigError {
    /// The file (`<string>` for [`Config::from_toml_str`]).
    pub fn file(&self) -> &str {
        &self.file
    }
    /// The line (1-based), when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }
    /// The column (1-based), when known.
    pub fn column(&self) -> Option<usize> {
        self.column
    }
    /// The dotted key (`runner.monitor_for`); empty for a syntax error outside any key.
    pub fn key(&self) -> &str {
        &self.key
    }
    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::config(e.to_string())
    }
}

/// One file's text, for turning spans and keys into lines.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
    doc: Option<toml::de::DeTable<'a>>,
}

impl Source<'_> {
    fn error(
        &self,
        key: &str,
        span: Option<Range<usize>>,
        message: impl Into<String>,
    ) -> ConfigError {
        let span = span.or_else(|| self.span_of(key));
        let (line, column) = match span {
            Some(span) => {
                let before = &self.text[..span.start.min(self.text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                (Some(line), Some(column))
            }
            None => (None, None),
        };
        ConfigError {
            file: self.file.to_owned(),
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    /// The dotted path of the key whose key or (non-table) value holds byte `at`.
    fn key_at(&self, at: usize) -> Option<String> {
        fn find(table: &toml::de::DeTable<'_>, at: usize, path: &mut Vec<String>) -> bool {
            for (key, value) in table {
                path.push(key.get_ref().to_string());
                let found = match value.get_ref() {
                    // Tables made by a `[header]` have no span around their keys: search them all.
                    toml::de::DeValue::Table(t) => key.span().contains(&at) || find(t, at, path),
                    _ => key.span().contains(&at) || value.span().contains(&at),
                };
                if found {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        find(self.doc.as_ref()?, at, &mut path).then(|| path.join("."))
    }

    /// The span of the key at dotted `path`, or of the deepest table on the way to it.
    fn span_of(&self, path: &str) -> Option<Range<usize>> {
        let mut table = self.doc.as_ref()?;
        let mut found = None;
        for segment in path.split('.') {
            let (key, value) = table
                .iter()
                .find(|(k, _)| k.get_ref().as_ref() == segment)?;
            found = Some(key.span());
            match value.get_ref() {
                toml::de::DeValue::Table(t) => table = t,
                _ => break,
            }
        }
        found
    }
}

impl Config {
    /// Reads `path`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, and for a bad key its line and the key.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: None,
            column: None,
            key: String::new(),
            message: format!("cannot be read: {e}"),
        })?;
        Self::parse(&file, &text)
    }

    /// Reads the text of an `ir.toml`; errors name the file `<string>`.
    ///
    /// ```
    /// let config = ir::Config::from_toml_str("[escalation.contacts]\nengineering_lead = [\"@alice\"]\n")?;
    /// assert_eq!(config.escalation.contacts(ir::model::Role::EngineeringLead), ["@alice"]);
    /// assert_eq!(config.escalation.contacts(ir::model::Role::Cto), ["@cto"]); // the runbook's, kept
    ///
    /// let err = ir::Config::from_toml_str("[runner]\nmonitor_for = 15\n").unwrap_err();
    /// assert_eq!((err.line(), err.key()), (Some(2), "runner.monitor_for"));
    /// # Ok::<(), ir::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] naming the line and the key.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::parse("<string>", text)
    }

    fn parse(file: &str, text: &str) -> Result<Self, ConfigError> {
        let mut source = Source {
            file,
            text,
            doc: None,
        };
        let doc = toml::de::DeTable::parse(text)
            .map_err(|e| source.error("", e.span(), e.message().to_owned()))?;
        source.doc = Some(doc.into_inner());
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|e| source.error("", e.span(), e.message().to_owned()))?;
        let mut ignored: Vec<String> = Vec::new();
        let mut record = |path: serde_ignored::Path<'_>| ignored.push(path.to_string());
        let deserializer = serde_ignored::Deserializer::new(deserializer, &mut record);
        let config: Result<Config, _> = serde_path_to_error::deserialize(deserializer);
        let config = config.map_err(|e| {
            let mut key = e.path().to_string();
            let inner = e.into_inner();
            let message = inner.message().to_owned();
            // An unknown field's path is the table it is in; name the field itself.
            if let Some(field) = message
                .strip_prefix("unknown field `")
                .and_then(|m| m.split('`').next())
            {
                if key == "." || key.is_empty() {
                    field.clone_into(&mut key);
                } else if key.rsplit('.').next() != Some(field) {
                    key = format!("{key}.{field}");
                }
            }
            let span = inner.span();
            // A key of a map keyed by an enum (contacts by role) has no name in the path:
            // read it from the document at the error's span.
            if key.split('.').any(|segment| segment == "?") {
                if let Some(named) = span.as_ref().and_then(|s| source.key_at(s.start)) {
                    key = named;
                }
            }
            let key = if key == "." { String::new() } else { key };
            source.error(&key, span, message)
        })?;
        if let Some(key) = ignored.first() {
            return Err(source.error(key, None, "unknown key"));
        }
        config.validate(&source)?;
        Ok(config)
    }

    fn validate(&self, source: &Source<'_>) -> Result<(), ConfigError> {
        let checks: [(&str, ir_core::Result<()>); 3] = [
            ("severity", self.severity.validate()),
            ("approval", self.approval.validate()),
            ("runner", self.runner.validate()),
        ];
        for (key, check) in checks {
            check.map_err(|e| source.error(key, None, e.message().to_owned()))?;
        }
        if self.escalation.status_cadence.is_zero() {
            return Err(source.error(
                "escalation.status_cadence",
                None,
                "must be greater than zero",
            ));
        }
        for (key, check) in self.scenarios.validate() {
            check.map_err(|e| source.error(key, None, e.message().to_owned()))?;
        }
        for name in &self.scenarios.enabled {
            if !SCENARIOS.contains(&name.as_str()) {
                return Err(source.error(
                    "scenarios.enabled",
                    None,
                    format!(
                        "unknown scenario `{name}`; the scenarios are {}",
                        SCENARIOS.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// A section whose provider was not compiled in is an error, not silently unused.
    fn check_features(&self) -> ir_core::Result<()> {
        let needs: [(&str, &str, bool, bool); 8] = [
            (
                "[railway]",
                "railway",
                self.railway.is_some(),
                cfg!(feature = "railway"),
            ),
            (
                "[github]",
                "github",
                self.github.is_some(),
                cfg!(feature = "github"),
            ),
            (
                "[sentry]",
                "sentry",
                self.sentry.is_some(),
                cfg!(feature = "sentry"),
            ),
            (
                "[postgres]",
                "postgres",
                self.postgres.is_some(),
                cfg!(feature = "postgres"),
            ),
            (
                "[slack]",
                "slack",
                self.slack.is_some(),
                cfg!(feature = "slack"),
            ),
            (
                "[pagerduty]",
                "pagerduty",
                self.pagerduty.is_some(),
                cfg!(feature = "pagerduty"),
            ),
            (
                "[statuspage]",
                "statuspage",
                self.statuspage.is_some(),
                cfg!(feature = "statuspage"),
            ),
            (
                "[service] base_url",
                "http",
                self.service.base_url.is_some(),
                cfg!(feature = "http"),
            ),
        ];
        for (what, feature, used, compiled) in needs {
            if used && !compiled {
                return Err(Error::config(format!(
                    "the configuration sets {what}, but `ir` was built without its `{feature}` feature"
                )));
            }
        }
        Ok(())
    }

    /// The enabled built-in scenarios with their `[scenarios.<name>]` settings, in the
    /// runbook's order.
    pub fn playbooks(&self) -> Vec<Arc<dyn Playbook>> {
        self.scenarios
            .all()
            .into_iter()
            .filter(|p| self.scenarios.enabled.iter().any(|n| n == p.name()))
            .collect()
    }

    /// The watcher's settings, with the service's name.
    pub fn watch_settings(&self) -> WatchSettings {
        let mut settings = self.watch.clone();
        settings.service = self.service.name.clone();
        settings
    }

    /// The configured providers, with their secrets from the process environment.
    ///
    /// # Errors
    /// `Config` when a configured provider's secret (or another required setting) is missing.
    pub fn providers(&self) -> ir_core::Result<Providers> {
        // Each secret from its variable, or from the file `<NAME>_FILE` names (a mounted
        // secret); a file that cannot be read is an error at the first lookup.
        let unreadable = std::cell::RefCell::new(None);
        let providers = self.providers_from_lookup(|k| match env_or_file(k) {
            Ok(v) => v,
            Err(e) => {
                unreadable.borrow_mut().get_or_insert(e);
                None
            }
        });
        match unreadable.into_inner() {
            Some(e) => Err(e),
            None => providers,
        }
    }

    /// The configured providers, with their secrets (and settings the file leaves out) from
    /// `lookup` instead of the environment. With no provider section, only the chat is set:
    /// [`TracingChat`], which writes messages to `tracing`.
    ///
    /// # Errors
    /// `Config` when a configured provider's secret (or another required setting) is missing,
    /// or its feature of `ir` is off.
    #[allow(unused_mut, unused_variables)]
    pub fn providers_from_lookup(
        &self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> ir_core::Result<Providers> {
        self.check_features()?;
        let mut providers = Providers::new();
        #[cfg(feature = "http")]
        if let Some(base) = &self.service.base_url {
            let config = ir_http::HealthProbeConfig::builder(base.clone()).build()?;
            providers = providers.with_health(Arc::new(ir_http::HttpHealthProbe::new(config)?));
        }
        #[cfg(feature = "railway")]
        if let Some(s) = &self.railway {
            let config = ir_railway::RailwayConfig::from_lookup(overlay(s.vars(), &lookup))?;
            let client = Arc::new(ir_railway::RailwayClient::new(config)?);
            providers = providers
                .with_deploy(client.clone())
                .with_variables(client.clone())
                .with_logs(client);
        }
        #[cfg(feature = "github")]
        if let Some(s) = &self.github {
            let config = ir_github::GithubConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers = providers.with_code(Arc::new(ir_github::GithubClient::new(config)?));
        }
        #[cfg(feature = "sentry")]
        if let Some(s) = &self.sentry {
            let config = ir_sentry::SentryConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers = providers.with_errors(Arc::new(ir_sentry::SentryClient::new(config)?));
        }
        #[cfg(feature = "postgres")]
        if let Some(s) = self
            .postgres
            .as_ref()
            .filter(|s| s.diagnostics != Some(false))
        {
            let config = ir_postgres::PgConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers =
                providers.with_database(Arc::new(ir_postgres::PgDiagnostics::new(&config)?));
        }
        #[cfg(feature = "slack")]
        if let Some(s) = &self.slack {
            let config = ir_slack::SlackConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers = providers.with_chat(Arc::new(ir_slack::SlackClient::new(config)?));
        }
        #[cfg(feature = "pagerduty")]
        if let Some(s) = &self.pagerduty {
            let config = ir_pagerduty::PagerDutyConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers = providers.with_pager(Arc::new(ir_pagerduty::PagerDutyClient::new(config)?));
        }
        #[cfg(feature = "statuspage")]
        if let Some(s) = &self.statuspage {
            let config = ir_statuspage::StatuspageConfig::from_lookup(overlay(s.vars(), &lookup))?;
            providers =
                providers.with_status_page(Arc::new(ir_statuspage::StatuspageClient::new(config)?));
        }
        if providers.chat.is_none() {
            providers = providers.with_chat(Arc::new(TracingChat::new()));
        }
        Ok(providers)
    }

    /// The incident store: PostgreSQL when `[postgres] store = true` (its URL from
    /// `DATABASE_URL`), else the in-memory one on `clock`.
    ///
    /// # Errors
    /// PostgreSQL's, when it is configured and cannot be reached or migrated.
    pub async fn store(&self, clock: Arc<dyn Clock>) -> ir_core::Result<Arc<dyn IncidentStore>> {
        #[cfg(feature = "postgres")]
        if let Some(s) = self.postgres.as_ref().filter(|s| s.store == Some(true)) {
            let config = ir_postgres::PgConfig::from_lookup(overlay(s.vars(), &|k: &str| {
                env_or_file(k).ok().flatten()
            }))?;
            return Ok(Arc::new(
                ir_postgres::PgIncidentStore::connect(&config).await?,
            ));
        }
        Ok(Arc::new(InMemoryIncidentStore::with_clock(clock)))
    }

    /// A runner over `store` and `providers` with this file's policies, timings and
    /// scenarios.
    ///
    /// # Errors
    /// `Config` when the approval policy or the runner's timings do not validate.
    pub fn runner_with(
        &self,
        store: Arc<dyn IncidentStore>,
        providers: Providers,
        clock: Arc<dyn Clock>,
    ) -> ir_core::Result<Runner> {
        let mut runner = Runner::new(store, providers, clock, self.playbooks())
            .with_policy(self.approval.clone())?
            .with_escalation(self.escalation.clone())
            .with_severity_policy(self.severity.clone())
            .with_config(self.runner.clone())?;
        // The replicas' shared fingerprint key, when the environment gives one.
        if let Some(key) = env_or_file(FINGERPRINT_KEY)? {
            runner = runner.with_fingerprint_key(FingerprintKey::from_secret(&key.into()));
        }
        Ok(runner)
    }

    /// A ready runner: the store ([`Config::store`]), the providers with their secrets from
    /// the environment ([`Config::providers`]), this file's policies.
    ///
    /// # Errors
    /// As [`Config::store`], [`Config::providers`] and [`Config::runner_with`].
    pub async fn runner(&self, clock: Arc<dyn Clock>) -> ir_core::Result<Runner> {
        let store = self.store(clock.clone()).await?;
        self.runner_with(store, self.providers()?, clock)
    }

    /// A watcher over `store` and `providers` (whose health probe it polls), driving
    /// incidents with [`Config::runner_with`].
    ///
    /// # Errors
    /// `Config` when `providers` has no health probe (set `[service] base_url`), and as
    /// [`Config::runner_with`].
    pub fn watcher_with(
        &self,
        store: Arc<dyn IncidentStore>,
        providers: Providers,
        clock: Arc<dyn Clock>,
    ) -> ir_core::Result<Watcher> {
        let health = providers.health.clone().ok_or_else(|| {
            Error::config("the watcher needs a health probe: set [service] base_url")
        })?;
        let errors = providers.errors.clone();
        let runner = self.runner_with(store.clone(), providers, clock.clone())?;
        let mut watcher = Watcher::new(runner, store, health, clock)
            .with_settings(self.watch_settings())
            .with_severity_policy(self.severity.clone());
        if let Some(tracker) = errors {
            watcher = watcher.with_error_tracker(tracker);
        }
        Ok(watcher)
    }

    /// A ready watcher: the store, the providers from the environment, this file's settings.
    ///
    /// # Errors
    /// As [`Config::store`], [`Config::providers`] and [`Config::watcher_with`].
    pub async fn watcher(&self, clock: Arc<dyn Clock>) -> ir_core::Result<Watcher> {
        let store = self.store(clock.clone()).await?;
        self.watcher_with(store, self.providers()?, clock)
    }
}

/// The variable the replicas' shared fingerprint key is read from (or `IR_FINGERPRINT_KEY_FILE`).
pub const FINGERPRINT_KEY: &str = "IR_FINGERPRINT_KEY";

/// The environment variable `name`, or else the contents of the file `<name>_FILE` names
/// (trailing newline removed), as container platforms mount secrets; `None` when neither is
/// set or the value is blank.
///
/// # Errors
/// `Config` naming the variable when `<name>_FILE` names a file that cannot be read.
pub fn env_or_file(name: &str) -> ir_core::Result<Option<String>> {
    value_or_file(name, &|k| std::env::var(k).ok())
}

/// [`env_or_file`] over `lookup` instead of the process environment.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("ir-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let file = dir.join("token");
/// std::fs::write(&file, "s3cret-from-a-mount\n")?;
/// let path = file.display().to_string();
/// let env = |k: &str| (k == "SLACK_BOT_TOKEN_FILE").then(|| path.clone());
/// assert_eq!(ir::value_or_file("SLACK_BOT_TOKEN", &env)?.as_deref(), Some("s3cret-from-a-mount"));
/// let direct = |k: &str| (k == "SLACK_BOT_TOKEN").then(|| "xoxb-direct".to_owned());
/// assert_eq!(ir::value_or_file("SLACK_BOT_TOKEN", &direct)?.as_deref(), Some("xoxb-direct"));
/// let missing = |k: &str| (k == "SLACK_BOT_TOKEN_FILE").then(|| "/nonexistent/token".to_owned());
/// let err = ir::value_or_file("SLACK_BOT_TOKEN", &missing).unwrap_err();
/// assert!(err.to_string().contains("SLACK_BOT_TOKEN_FILE names /nonexistent/token"));
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// As [`env_or_file`].
pub fn value_or_file(
    name: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> ir_core::Result<Option<String>> {
    let blank = |v: String| (!v.trim().is_empty()).then_some(v);
    if let Some(v) = lookup(name).and_then(blank) {
        return Ok(Some(v));
    }
    let file_var = format!("{name}_FILE");
    let Some(path) = lookup(&file_var).and_then(blank) else {
        return Ok(None);
    };
    let contents = std::fs::read_to_string(&path).map_err(|e| {
        Error::config(format!(
            "{file_var} names {path}, which cannot be read: {e}"
        ))
    })?;
    Ok(blank(contents.trim_end_matches(['\n', '\r']).to_owned()))
}

/// `lookup`, with the file's settings first.
#[allow(dead_code)]
fn overlay<'a>(
    file: Vec<(&'static str, Option<String>)>,
    lookup: &'a dyn Fn(&str) -> Option<String>,
) -> impl Fn(&str) -> Option<String> + 'a {
    move |name: &str| {
        file.iter()
            .find(|(var, value)| *var == name && value.is_some())
            .and_then(|(_, value)| value.clone())
            .or_else(|| lookup(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_wins_over_the_environment_and_secrets_come_from_it() {
        let section = RailwaySection {
            project_id: Some("from-file".into()),
            ..RailwaySection::default()
        };
        let env = |name: &str| match name {
            "RAILWAY_PROJECT_ID" => Some("from-env".to_owned()),
            "RAILWAY_SERVICE_ID" => Some("svc-from-env".to_owned()),
            "RAILWAY_TOKEN" => Some("secret".to_owned()),
            _ => None,
        };
        let lookup = overlay(section.vars(), &env);
        assert_eq!(lookup("RAILWAY_PROJECT_ID").as_deref(), Some("from-file"));
        assert_eq!(
            lookup("RAILWAY_SERVICE_ID").as_deref(),
            Some("svc-from-env")
        );
        assert_eq!(lookup("RAILWAY_TOKEN").as_deref(), Some("secret"));
        assert_eq!(lookup("RAILWAY_ENVIRONMENT_ID"), None);
        let lists = SentrySection {
            projects: vec!["web".into(), "api".into()],
            ..SentrySection::default()
        };
        assert_eq!(
            overlay(lists.vars(), &|_| None)("SENTRY_PROJECT").as_deref(),
            Some("web,api")
        );
    }
}
