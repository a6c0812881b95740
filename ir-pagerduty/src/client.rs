//! [`PagerDutyClient`]: sending one event to the Events API v2 and reading PagerDuty's answer
//! into success or an [`ir_core::Error`].
//!
//! How PagerDuty's answers become [`ir_core::Error`] kinds is tabled in the crate docs
//! ("From answer to error"); [`decode`] is that table.

use std::fmt;

use ir_core::redact::Secrets;
use ir_core::{ErrorKind, Result};
use ir_http::{HttpClient, Request, Response};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::config::PagerDutyConfig;

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "pagerduty";

/// A client of PagerDuty's Events API v2. It implements [`Pager`](ir_core::ports::Pager).
///
/// Cheap to clone. Holds no state between calls: an acknowledge or resolve after a restart
/// reaches the same PagerDuty incidents as one before it.
#[derive(Clone)]
pub struct PagerDutyClient {
    http: HttpClient,
    endpoint: Url,
    pub(crate) config: PagerDutyConfig,
}

impl fmt::Debug for PagerDutyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PagerDutyClient")
            .field("endpoint", &ir_core::redact::redact(self.endpoint.as_str()))
            .field("config", &self.config)
            .field("http", &self.http)
            .finish()
    }
}

impl PagerDutyClient {
    /// A client sending events as `config` says.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: PagerDutyConfig) -> Result<Self> {
        let http = HttpClient::builder(PROVIDER)
            .with_client_options(config.client_options().clone())
            .build()?;
        let endpoint = endpoint(config.base_url(), "v2/enqueue")?;
        Ok(Self {
            http,
            endpoint,
            config,
        })
    }

    /// A client configured by [`PagerDutyConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(PagerDutyConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &PagerDutyConfig {
        &self.config
    }

    /// Sends one event (`operation` is its `event_action`). Every event carries a `dedup_key`,
    /// so repeating one is harmless: the request is idempotent and retried after a timeout.
    /// `secret` (the routing key) is blanked out of any message PagerDuty sends back.
    pub(crate) async fn enqueue(
        &self,
        operation: &'static str,
        body: &Value,
        secret: &SecretString,
    ) -> Result<()> {
        let request = Request::post(self.endpoint.clone())
            .with_operation(operation)
            .with_idempotent(true)
            .with_json(body)?;
        let response = self.http.send(request).await?;
        decode(&response, secret)
    }
}

/// `<base>/<path>`, whether or not `base` ends in a slash.
fn endpoint(base: &Url, path: &str) -> Result<Url> {
    let joined = format!("{}/{path}", base.as_str().trim_end_matches('/'));
    Url::parse(&joined).map_err(|e| {
        ir_core::Error::config(format!(
            "the PagerDuty base URL `{}` cannot take the path `{path}`",
            ir_core::redact::redact(base.as_str())
        ))
        .with_provider(PROVIDER)
        .with_source(e)
    })
}

/// PagerDuty's answer to an event: `{"status":"success","message":"Event processed",
/// "dedup_key":…}`, or `{"status":"invalid event","message":"Event object is invalid",
/// "errors":[…]}`.
#[derive(Debug, Deserialize)]
struct Answer {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errors: Vec<String>,
}

impl Answer {
    fn text(&self) -> String {
        let mut text = self
            .message
            .clone()
            .or_else(|| self.status.clone())
            .unwrap_or_default();
        if !self.errors.is_empty() {
            let errors = self.errors.iter().take(5).cloned().collect::<Vec<_>>();
            if text.is_empty() {
                text = errors.join("; ");
            } else {
                text = format!("{text}: {}", errors.join("; "));
            }
            if self.errors.len() > 5 {
                text.push_str(&format!(" (and {} more)", self.errors.len() - 5));
            }
        }
        text
    }
}

/// Reads PagerDuty's answer (see the crate docs' table). `secret` (the routing key the event
/// carried) is blanked out of every message, in every form PagerDuty may echo it in (as sent,
/// JSON-escaped in a body that is not the expected shape, URL-encoded): see
/// [`Secrets`](ir_core::redact::Secrets).
fn decode(response: &Response, secret: &SecretString) -> Result<()> {
    // The key is known and exact: scrubbed whatever its length.
    let secrets = Secrets::with_min_len(1);
    secrets.add(secret);
    let clean = |text: String| match secrets.scrub(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(clean) => clean,
    };
    let answer = serde_json::from_slice::<Answer>(response.body()).ok();
    if !response.is_success() {
        let message = answer
            .as_ref()
            .map(Answer::text)
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| response.describe_body_without(&secrets));
        let message = clean(message);
        return Err(response
            .status_error(message.clone())
            .unwrap_or_else(|| response.protocol_error(message)));
    }
    match answer {
        Some(Answer {
            status: Some(status),
            ..
        }) if status == "success" => Ok(()),
        Some(answer) => Err(response.error(
            ErrorKind::Protocol,
            clean(format!(
                "expected status \"success\", got {}",
                if answer.text().is_empty() {
                    "no status".to_owned()
                } else {
                    format!("\"{}\"", answer.text())
                }
            )),
        )),
        None => Err(response.protocol_error(format!(
            "expected a JSON body, got {}",
            response.describe_body_without(&secrets)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http::header::HeaderMap;

    fn response(status: u16, body: &str) -> Response {
        Response::from_parts(
            PROVIDER,
            "trigger",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            HeaderMap::new(),
            body.to_owned(),
        )
    }

    fn key(value: &str) -> SecretString {
        SecretString::from(value.to_owned())
    }

    fn kind_of(status: u16, body: &str) -> Option<ErrorKind> {
        decode(&response(status, body), &key("KEY"))
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn the_answer_table() {
        let rows: &[(u16, &str, Option<ErrorKind>)] = &[
            (
                202,
                r#"{"status":"success","message":"Event processed","dedup_key":"k"}"#,
                None,
            ),
            (
                400,
                r#"{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}"#,
                Some(ErrorKind::InvalidInput),
            ),
            (429, "", Some(ErrorKind::RateLimited)),
            (401, "", Some(ErrorKind::Unauthenticated)),
            (403, "", Some(ErrorKind::PermissionDenied)),
            (404, "", Some(ErrorKind::NotFound)),
            (500, "", Some(ErrorKind::Unavailable)),
            (
                503,
                "<html><title>Down</title></html>",
                Some(ErrorKind::Unavailable),
            ),
            (
                202,
                "<html><title>Hi</title></html>",
                Some(ErrorKind::Protocol),
            ),
            (202, r#"{"status":"weird"}"#, Some(ErrorKind::Protocol)),
            (202, r#"{"dedup_key":"k"}"#, Some(ErrorKind::Protocol)),
        ];
        for (status, body, kind) in rows {
            assert_eq!(kind_of(*status, body), *kind, "{status} {body}");
        }
    }

    #[test]
    fn invalid_event_quotes_pagerduty_errors_without_the_key() {
        let err = decode(
            &response(
                400,
                r#"{"status":"invalid event","message":"Event object is invalid","errors":["'payload.severity' is invalid","routing key KEY unknown"]}"#,
            ),
            &key("KEY"),
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "Event object is invalid: 'payload.severity' is invalid; routing key <redacted> unknown"
        );
        assert_eq!(err.provider(), Some("pagerduty"));
        assert_eq!(err.operation(), Some("trigger"));
        assert_eq!(err.status(), Some(400));
    }

    #[test]
    fn a_body_of_another_shape_echoing_the_key_json_escaped_hides_it() {
        // A key pasted with a stray quote and backslash: a body that is not PagerDuty's usual
        // shape is described as it arrived, where the key is JSON-escaped.
        let routing_key = r#"R0UTING"KEY\0000000000000000000000"#;
        let escaped = serde_json::to_string(routing_key).unwrap_or_default();
        for (status, body) in [
            (
                400,
                format!(r#"{{"status":"invalid event","errors":[{{"routing_key":{escaped}}}]}}"#),
            ),
            (202, format!(r#"{{"status":1,"routing_key":{escaped}}}"#)),
            (
                400,
                format!(
                    r#"{{"status":"invalid event","message":"bad key {}"}}"#,
                    &escaped[1..escaped.len() - 1]
                ),
            ),
        ] {
            let err = decode(&response(status, &body), &key(routing_key)).unwrap_err();
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains("R0UTING"), "{shown}");
            assert!(shown.contains("<redacted>"), "{shown}");
        }
    }

    #[test]
    fn endpoint_joins_with_or_without_slash() {
        for base in ["http://h:1", "http://h:1/", "http://h:1/pd/"] {
            let url = endpoint(
                &Url::parse(base).unwrap_or_else(|e| panic!("{e}")),
                "v2/enqueue",
            )
            .unwrap_or_else(|e| panic!("{e}"));
            assert!(url.as_str().ends_with("/v2/enqueue"), "{url}");
            assert!(!url.as_str().contains("//v2"), "{url}");
        }
    }
}
