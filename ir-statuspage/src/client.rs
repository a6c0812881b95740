//! [`StatuspageClient`]: authentication (`Authorization: OAuth <key>`), sending one request,
//! pacing, and reading Statuspage's answer into a value or an [`ir_core::Error`].
//!
//! How Statuspage's answers become [`ir_core::Error`] kinds is tabled in the crate docs
//! ("From answer to error"); [`decode`] is that table.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use http::Method;
use ir_core::{ErrorKind, Result};
use ir_http::{Auth, HttpClient, Pacer, Request, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Mutex;
use url::Url;

use crate::config::StatuspageConfig;

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "statuspage";

/// `Authorization: OAuth <key>`.
pub(crate) fn auth(key: &SecretString) -> Result<Auth> {
    Auth::header(
        "Authorization",
        SecretString::from(format!("OAuth {}", key.expose_secret())),
    )
    .map_err(|e| e.with_provider(PROVIDER))
}

/// A client of Statuspage's REST API v1, bound to one page. It implements
/// [`StatusPage`](ir_core::ports::StatusPage).
///
/// Cheap to clone; clones share the pacing and the incident ids learnt.
#[derive(Clone)]
pub struct StatuspageClient {
    http: HttpClient,
    pub(crate) config: StatuspageConfig,
    /// When the next request may go.
    pacer: Pacer,
    /// `incident_key` → Statuspage incident id, for incidents this client created or found.
    /// Held across a whole publish, so two publishes of one key never create two incidents.
    pub(crate) incidents: Arc<Mutex<HashMap<String, String>>>,
}

impl fmt::Debug for StatuspageClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatuspageClient")
            .field("config", &self.config)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl StatuspageClient {
    /// A client for the page `config` names.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: StatuspageConfig) -> Result<Self> {
        let http = HttpClient::builder(PROVIDER)
            .with_auth(auth(config.api_key())?)
            .with_client_options(config.client_options().clone())
            .build()?;
        Ok(Self {
            http,
            pacer: Pacer::new(
                config.min_interval(),
                config.client_options().clock().clone(),
            ),
            config,
            incidents: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// A client configured by [`StatuspageConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(StatuspageConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &StatuspageConfig {
        &self.config
    }

    /// `<base>/pages/<page_id>/<path>`.
    fn url(&self, path: &str) -> Result<Url> {
        let joined = format!(
            "{}/pages/{}/{path}",
            self.config.base_url().as_str().trim_end_matches('/'),
            self.config.page_id()
        );
        Url::parse(&joined).map_err(|e| {
            ir_core::Error::config(format!(
                "the Statuspage base URL `{}` cannot take `{path}`",
                ir_core::redact::redact(self.config.base_url().as_str())
            ))
            .with_provider(PROVIDER)
            .with_source(e)
        })
    }

    /// Sends one request for `operation` and decodes the answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        operation: &'static str,
        body: Option<&Value>,
    ) -> Result<T> {
        let mut request = Request::new(method, self.url(path)?).with_operation(operation);
        if let Some(body) = body {
            request = request.with_json(body)?;
        }
        self.pacer.pace(()).await;
        let response = self.http.send(request).await?;
        decode(&response)
    }
}

/// Statuspage's error text: `{"error": "..."}`, `{"error": ["...", ...]}` or
/// `{"message": "..."}`.
fn error_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let text = match value.get("error").or_else(|| value.get("message"))? {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .take(5)
            .collect::<Vec<_>>()
            .join("; "),
        _ => return None,
    };
    (!text.trim().is_empty()).then_some(text)
}

/// Reads Statuspage's answer (see the crate docs' table).
pub(crate) fn decode<T: DeserializeOwned>(response: &Response) -> Result<T> {
    if !response.is_success() {
        let message = error_text(response.body()).unwrap_or_else(|| response.describe_body());
        // 420 ("Enhance your calm") is Statuspage's older rate-limit status.
        if response.status().as_u16() == 420 {
            return Err(response.error(ErrorKind::RateLimited, message));
        }
        return Err(response
            .status_error(message.clone())
            .unwrap_or_else(|| response.protocol_error(message)));
    }
    serde_json::from_slice(response.body()).map_err(|e| {
        response
            .protocol_error(format!(
                "expected a Statuspage JSON answer, got {}",
                response.describe_body()
            ))
            .with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn response(status: u16, headers: HeaderMap, body: &str) -> Response {
        Response::from_parts(
            PROVIDER,
            "create_incident",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            headers,
            body.to_owned(),
        )
    }

    fn kind_of(status: u16, body: &str) -> Option<ErrorKind> {
        decode::<Value>(&response(status, HeaderMap::new(), body))
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn the_answer_table() {
        let rows = [
            (201, r#"{"id":"p31zjtct2jer"}"#, None),
            (200, "[]", None),
            (
                401,
                r#"{"error":"Could not authenticate"}"#,
                Some(ErrorKind::Unauthenticated),
            ),
            (403, "", Some(ErrorKind::PermissionDenied)),
            (404, r#"{"error":"Not found"}"#, Some(ErrorKind::NotFound)),
            (420, "", Some(ErrorKind::RateLimited)),
            (
                422,
                r#"{"error":["Name can't be blank"]}"#,
                Some(ErrorKind::InvalidInput),
            ),
            (429, "", Some(ErrorKind::RateLimited)),
            (500, "", Some(ErrorKind::Unavailable)),
            (
                201,
                "<html><title>x</title></html>",
                Some(ErrorKind::Protocol),
            ),
        ];
        for (status, body, kind) in rows {
            assert_eq!(kind_of(status, body), kind, "{status} {body}");
        }
    }

    #[test]
    fn messages_and_the_420_wait() {
        let err = decode::<Value>(&response(
            422,
            HeaderMap::new(),
            r#"{"error":["Name can't be blank","Status is invalid"]}"#,
        ))
        .unwrap_err();
        assert_eq!(err.message(), "Name can't be blank; Status is invalid");
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("9"));
        let err = decode::<Value>(&response(420, headers, "")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(9)));
    }
}
