//! [`SlackClient`]: authentication, sending one Web API method or one webhook post, pacing per
//! channel, and reading Slack's answer into a value or an [`ir_core::Error`].
//!
//! How Slack's answers become [`ir_core::Error`] kinds is tabled in the crate docs
//! ("From answer to error"); [`error_code_kind`], [`decode_api`] and [`decode_webhook`] are
//! that table.

use std::fmt;

use ir_core::{ErrorKind, Result};
use ir_http::{Auth, HttpClient, Pacer, Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::config::{SlackAuth, SlackConfig};

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "slack";

/// A Slack client: the Web API with a bot token, or an incoming webhook. It implements
/// [`ChatNotifier`](ir_core::ports::ChatNotifier).
///
/// Cheap to clone; clones share the per-channel pacing.
#[derive(Clone)]
pub struct SlackClient {
    http: HttpClient,
    pub(crate) config: SlackConfig,
    /// One message per `min_interval` per channel.
    pacer: Pacer<String>,
}

impl fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackClient")
            .field("config", &self.config)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl SlackClient {
    /// A client reaching Slack as `config` says.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: SlackConfig) -> Result<Self> {
        let mut builder =
            HttpClient::builder(PROVIDER).with_client_options(config.client_options().clone());
        if let SlackAuth::BotToken(token) = config.auth() {
            builder = builder.with_auth(Auth::bearer(token.clone()));
        }
        Ok(Self {
            http: builder.build()?,
            pacer: Pacer::new(
                config.min_interval(),
                config.client_options().clock().clone(),
            ),
            config,
        })
    }

    /// A client configured by [`SlackConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(SlackConfig::from_env()?)
    }

    /// The configuration.
    pub fn config(&self) -> &SlackConfig {
        &self.config
    }

    /// Whether the client posts through an incoming webhook (no threads, no edits).
    pub fn is_webhook(&self) -> bool {
        matches!(self.config.auth(), SlackAuth::Webhook(_))
    }

    /// Waits, on the configured clock, until `channel` may be posted to again, and books the
    /// next slot: at most one message per [`min_interval`](SlackConfig::min_interval) per
    /// channel, across clones of this client.
    pub(crate) async fn pace(&self, channel: &str) {
        self.pacer.pace(channel).await;
    }

    /// Calls Web API `method` with the JSON `body` and returns its answer's fields.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: &'static str,
        body: &Value,
        idempotent: bool,
    ) -> Result<T> {
        let url = endpoint(self.config.base_url(), method)?;
        let request = Request::post(url)
            .with_operation(method)
            .with_idempotent(idempotent)
            .with_json(body)?;
        let response = self.http.send(request).await?;
        decode_api(&response)
    }

    /// Posts the JSON `body` to the incoming webhook.
    pub(crate) async fn post_webhook(&self, body: &Value) -> Result<()> {
        let Some(url) = self.config.webhook_url() else {
            return Err(
                ir_core::Error::config("the client has no webhook URL").with_provider(PROVIDER)
            );
        };
        let request = Request::post(url.clone())
            .with_operation("webhook")
            .with_json(body)?;
        let response = self.http.send(request).await?;
        decode_webhook(&response)
    }
}

/// `<base>/<method>`, whether or not `base` ends in a slash.
fn endpoint(base: &Url, method: &str) -> Result<Url> {
    let joined = format!("{}/{method}", base.as_str().trim_end_matches('/'));
    Url::parse(&joined).map_err(|e| {
        ir_core::Error::config(format!(
            "the Slack base URL `{}` cannot take `{method}`",
            ir_core::redact::redact(base.as_str())
        ))
        .with_provider(PROVIDER)
        .with_source(e)
    })
}

/// The kind a Slack error code means (`ok: false`'s `error`, or a webhook's plain-text
/// answer). Codes not listed are `InvalidInput`: Slack refused the request as sent.
pub(crate) fn error_code_kind(code: &str) -> ErrorKind {
    match code {
        "invalid_auth"
        | "not_authed"
        | "account_inactive"
        | "token_revoked"
        | "token_expired"
        | "invalid_token"
        | "no_such_token"
        | "two_factor_setup_required" => ErrorKind::Unauthenticated,
        "missing_scope"
        | "not_in_channel"
        | "is_archived"
        | "channel_is_archived"
        | "action_prohibited"
        | "restricted_action"
        | "restricted_action_read_only_channel"
        | "restricted_action_thread_only_channel"
        | "restricted_action_non_threadable_channel"
        | "cant_update_message"
        | "edit_window_closed"
        | "ekm_access_denied"
        | "access_denied"
        | "team_access_not_granted"
        | "not_allowed_token_type"
        | "no_permission"
        | "posting_to_general_channel_denied"
        | "team_disabled" => ErrorKind::PermissionDenied,
        "channel_not_found" | "message_not_found" | "thread_not_found" | "no_service"
        | "no_service_id" | "no_team" | "team_not_found" | "no_active_hooks" | "user_not_found" => {
            ErrorKind::NotFound
        }
        "ratelimited" | "rate_limited" | "message_limit_exceeded" => ErrorKind::RateLimited,
        "internal_error"
        | "fatal_error"
        | "service_unavailable"
        | "request_timeout"
        | "team_added_to_org"
        | "rollup_error" => ErrorKind::Unavailable,
        _ => ErrorKind::InvalidInput,
    }
}

/// A Web API answer: `{"ok": true, ...}` or `{"ok": false, "error": "...", ...}`.
#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    response_metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    messages: Vec<String>,
}

fn describe_code(code: &str, envelope: &Envelope) -> String {
    let details = envelope
        .response_metadata
        .as_ref()
        .map(|m| m.messages.iter().take(3).cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    if details.is_empty() {
        code.to_owned()
    } else {
        format!("{code} ({})", details.join("; "))
    }
}

/// Reads a Web API answer (see the crate docs' table).
pub(crate) fn decode_api<T: DeserializeOwned>(response: &Response) -> Result<T> {
    let value: Option<Value> = serde_json::from_slice(response.body()).ok();
    let envelope = value.as_ref().and_then(|v| Envelope::deserialize(v).ok());
    if !response.is_success() {
        let message = envelope
            .as_ref()
            .and_then(|env| env.error.as_deref().map(|code| describe_code(code, env)))
            .unwrap_or_else(|| response.describe_body());
        return Err(response
            .status_error(message.clone())
            .unwrap_or_else(|| response.protocol_error(message)));
    }
    let (Some(value), Some(envelope)) = (value, envelope) else {
        return Err(response.protocol_error(format!(
            "expected a Slack JSON answer with `ok`, got {}",
            response.describe_body()
        )));
    };
    if !envelope.ok {
        let code = envelope
            .error
            .clone()
            .unwrap_or_else(|| "unknown_error".to_owned());
        return Err(response.error(error_code_kind(&code), describe_code(&code, &envelope)));
    }
    T::deserialize(value).map_err(|e| {
        response
            .protocol_error(format!(
                "the `{}` answer has an unexpected shape",
                response.operation()
            ))
            .with_source(e)
    })
}

/// Reads a webhook's answer: 200 with the plain text `ok`, or an error code as plain text
/// (`invalid_payload`, `no_text`, `channel_not_found`, `channel_is_archived`, ...) under 4xx.
pub(crate) fn decode_webhook(response: &Response) -> Result<()> {
    let text = String::from_utf8_lossy(response.body()).trim().to_owned();
    let is_code = !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if response.is_success() {
        return if text == "ok" {
            Ok(())
        } else {
            Err(response.protocol_error(format!(
                "expected the webhook answer `ok`, got {}",
                response.describe_body()
            )))
        };
    }
    if is_code {
        // 429 stays rate limited (with its Retry-After) whatever the text says.
        if let Some(error) = response.status_error(text.clone())
            && error.kind() == ErrorKind::RateLimited
        {
            return Err(error);
        }
        return Err(response.error(error_code_kind(&text), text));
    }
    let message = response.describe_body();
    Err(response
        .status_error(message.clone())
        .unwrap_or_else(|| response.protocol_error(message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http::header::HeaderMap;

    fn response(status: u16, body: &str) -> Response {
        Response::from_parts(
            PROVIDER,
            "chat.postMessage",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            HeaderMap::new(),
            body.to_owned(),
        )
    }

    fn api_kind(status: u16, body: &str) -> Option<ErrorKind> {
        decode_api::<Value>(&response(status, body))
            .err()
            .map(|e| e.kind())
    }

    #[test]
    fn ok_false_codes() {
        let rows = [
            ("invalid_auth", ErrorKind::Unauthenticated),
            ("not_authed", ErrorKind::Unauthenticated),
            ("account_inactive", ErrorKind::Unauthenticated),
            ("token_revoked", ErrorKind::Unauthenticated),
            ("token_expired", ErrorKind::Unauthenticated),
            ("missing_scope", ErrorKind::PermissionDenied),
            ("not_in_channel", ErrorKind::PermissionDenied),
            ("is_archived", ErrorKind::PermissionDenied),
            ("restricted_action", ErrorKind::PermissionDenied),
            ("cant_update_message", ErrorKind::PermissionDenied),
            ("channel_not_found", ErrorKind::NotFound),
            ("message_not_found", ErrorKind::NotFound),
            ("thread_not_found", ErrorKind::NotFound),
            ("ratelimited", ErrorKind::RateLimited),
            ("rate_limited", ErrorKind::RateLimited),
            ("msg_too_long", ErrorKind::InvalidInput),
            ("no_text", ErrorKind::InvalidInput),
            ("invalid_blocks", ErrorKind::InvalidInput),
            ("invalid_arguments", ErrorKind::InvalidInput),
            ("internal_error", ErrorKind::Unavailable),
            ("fatal_error", ErrorKind::Unavailable),
            ("service_unavailable", ErrorKind::Unavailable),
            ("something_new", ErrorKind::InvalidInput),
        ];
        for (code, kind) in rows {
            let body = format!(r#"{{"ok":false,"error":"{code}"}}"#);
            assert_eq!(api_kind(200, &body), Some(kind), "{code}");
        }
    }

    #[test]
    fn messages_name_the_code_and_slacks_details() {
        let err = decode_api::<Value>(&response(
            200,
            r#"{"ok":false,"error":"invalid_blocks","response_metadata":{"messages":["[ERROR] missing required field: text [json-pointer:/blocks/0/text]"]}}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.message(),
            "invalid_blocks ([ERROR] missing required field: text [json-pointer:/blocks/0/text])"
        );
        assert_eq!(err.provider(), Some("slack"));
        assert_eq!(err.operation(), Some("chat.postMessage"));
    }

    #[test]
    fn statuses_and_shapes() {
        assert_eq!(api_kind(200, r#"{"ok":true,"ts":"1.2"}"#), None);
        assert_eq!(
            api_kind(429, r#"{"ok":false,"error":"ratelimited"}"#),
            Some(ErrorKind::RateLimited)
        );
        assert_eq!(api_kind(500, ""), Some(ErrorKind::Unavailable));
        assert_eq!(
            api_kind(200, "<html><title>x</title></html>"),
            Some(ErrorKind::Protocol)
        );
        assert_eq!(
            api_kind(200, r#"{"channel":"C1"}"#),
            Some(ErrorKind::Protocol)
        );
        assert_eq!(api_kind(200, r#"{"ok":tr"#), Some(ErrorKind::Protocol));
    }

    #[test]
    fn webhook_answers() {
        let kind = |status, body| {
            decode_webhook(&response(status, body))
                .err()
                .map(|e| e.kind())
        };
        assert_eq!(kind(200, "ok"), None);
        assert_eq!(kind(400, "invalid_payload"), Some(ErrorKind::InvalidInput));
        assert_eq!(kind(400, "no_text"), Some(ErrorKind::InvalidInput));
        assert_eq!(
            kind(403, "action_prohibited"),
            Some(ErrorKind::PermissionDenied)
        );
        assert_eq!(kind(404, "channel_not_found"), Some(ErrorKind::NotFound));
        assert_eq!(
            kind(410, "channel_is_archived"),
            Some(ErrorKind::PermissionDenied)
        );
        assert_eq!(kind(404, "no_service"), Some(ErrorKind::NotFound));
        assert_eq!(kind(429, "rate_limited"), Some(ErrorKind::RateLimited));
        assert_eq!(
            kind(500, "<html><title>x</title></html>"),
            Some(ErrorKind::Unavailable)
        );
        assert_eq!(kind(200, "<html></html>"), Some(ErrorKind::Protocol));
    }
}
