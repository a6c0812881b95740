//! The [`Pager`] port on the Events API v2: `trigger`, `acknowledge`, `resolve`.

use async_trait::async_trait;
use ir_core::ports::{Page, Pager};
use ir_core::{Error, Result, Severity};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};

use crate::client::{PROVIDER, PagerDutyClient};

/// The longest `summary` PagerDuty takes.
pub const MAX_SUMMARY_CHARS: usize = 1024;
/// The longest `dedup_key` PagerDuty takes.
pub const MAX_DEDUP_KEY_CHARS: usize = 255;

/// PagerDuty's `payload.severity` for `severity`: P0 `critical`, P1 `error`, P2 `warning`,
/// P3 `info`.
///
/// ```
/// use ir_core::Severity;
/// assert_eq!(ir_pagerduty::pagerduty_severity(Severity::P0), "critical");
/// assert_eq!(ir_pagerduty::pagerduty_severity(Severity::P3), "info");
/// ```
pub fn pagerduty_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::P0 => "critical",
        Severity::P1 => "error",
        Severity::P2 => "warning",
        Severity::P3 => "info",
    }
}

fn check_dedup_key(dedup_key: &str, operation: &'static str) -> Result<()> {
    if dedup_key.trim().is_empty() {
        return Err(Error::invalid_input("the dedup key is blank")
            .with_provider(PROVIDER)
            .with_operation(operation));
    }
    if dedup_key.chars().count() > MAX_DEDUP_KEY_CHARS {
        return Err(Error::invalid_input(format!(
            "the dedup key is longer than {MAX_DEDUP_KEY_CHARS} characters"
        ))
        .with_provider(PROVIDER)
        .with_operation(operation));
    }
    Ok(())
}

impl PagerDutyClient {
    /// The trigger event for `page`, as PagerDuty's Events API v2 documents it.
    pub(crate) fn trigger_body(&self, page: &Page, routing_key: &SecretString) -> Value {
        let config = &self.config;
        let timestamp = config
            .client_options()
            .clock()
            .now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut payload = Map::new();
        payload.insert("summary".into(), page.summary.clone().into());
        payload.insert("source".into(), config.source().into());
        payload.insert("severity".into(), pagerduty_severity(page.severity).into());
        payload.insert("timestamp".into(), timestamp.into());
        if let Some(component) = config.component() {
            payload.insert("component".into(), component.into());
        }
        if let Some(group) = config.group() {
            payload.insert("group".into(), group.into());
        }
        payload.insert(
            "custom_details".into(),
            json!({
                "severity": page.severity.as_str(),
                "severity_title": page.severity.title(),
                "role": page.role.title(),
                "incident_key": page.dedup_key,
            }),
        );
        let mut body = Map::new();
        body.insert("routing_key".into(), routing_key.expose_secret().into());
        body.insert("event_action".into(), "trigger".into());
        body.insert("dedup_key".into(), page.dedup_key.clone().into());
        body.insert("client".into(), "ir".into());
        if let Some(template) = config.incident_url() {
            let link = template.replace("{dedup_key}", &page.dedup_key);
            body.insert("client_url".into(), link.clone().into());
            body.insert(
                "links".into(),
                json!([{ "href": link, "text": format!("Incident {}", page.dedup_key) }]),
            );
        }
        body.insert("payload".into(), Value::Object(payload));
        Value::Object(body)
    }

    /// Sends `action` (acknowledge or resolve) for `dedup_key` to every configured routing key:
    /// PagerDuty only matches an event to the incident a trigger opened through the same key,
    /// and the port does not say which role was paged. An event for a key with no such
    /// incident is accepted and changes nothing. Every key is tried; the first error is
    /// returned.
    async fn follow_up(&self, action: &'static str, dedup_key: &str) -> Result<()> {
        check_dedup_key(dedup_key, action)?;
        let mut first_error = None;
        for key in self.config.all_routing_keys() {
            let body = json!({
                "routing_key": key.expose_secret(),
                "event_action": action,
                "dedup_key": dedup_key,
            });
            if let Err(e) = self.enqueue(action, &body, key).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// `trigger` sends to the routing key of the page's role; `acknowledge` and `resolve` to every
/// routing key (see [`PagerDutyConfig`](crate::PagerDutyConfig)).
#[async_trait]
impl Pager for PagerDutyClient {
    async fn trigger(&self, page: &Page) -> Result<()> {
        check_dedup_key(&page.dedup_key, "trigger")?;
        if page.summary.trim().is_empty() {
            return Err(Error::invalid_input("the page summary is blank")
                .with_provider(PROVIDER)
                .with_operation("trigger"));
        }
        let chars = page.summary.chars().count();
        if chars > MAX_SUMMARY_CHARS {
            return Err(Error::invalid_input(format!(
                "the page summary has {chars} characters; PagerDuty takes at most {MAX_SUMMARY_CHARS}"
            ))
            .with_provider(PROVIDER)
            .with_operation("trigger"));
        }
        let key = self.config.routing_key(page.role);
        let body = self.trigger_body(page, key);
        self.enqueue("trigger", &body, key).await
    }

    async fn acknowledge(&self, dedup_key: &str) -> Result<()> {
        self.follow_up("acknowledge", dedup_key).await
    }

    async fn resolve(&self, dedup_key: &str) -> Result<()> {
        self.follow_up("resolve", dedup_key).await
    }
}
