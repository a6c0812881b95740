//! Slack's Web API (`chat.postMessage` with threads, `chat.update`) and incoming webhooks, with
//! Slack's `{"ok": false, "error": ...}` answers under HTTP 200.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use ir_core::clock::Timestamp;
use serde_json::{Map, Value, json};

use crate::server::{Shared, query_pairs};

/// One message as Slack holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlackMessage {
    /// The channel id it was posted to.
    pub channel: String,
    /// Its `ts`, Slack's message id.
    pub ts: String,
    /// The parent's `ts` for a reply in a thread.
    pub thread_ts: Option<String>,
    /// The text (mrkdwn), as last posted or updated.
    pub text: String,
    /// When it was posted.
    pub at: Timestamp,
    /// Whether `chat.update` changed it.
    pub edited: bool,
}

/// The workspace's messages.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slack {
    pub messages: Vec<SlackMessage>,
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/{method}", post(method))
        .route("/services/{a}/{b}/{c}", post(webhook))
}

fn fail(code: &str) -> Response {
    Json(json!({ "ok": false, "error": code })).into_response()
}

/// Slack answers a call without a token with `not_authed` under HTTP 200. Webhooks need none.
pub(crate) fn unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // A form body may carry `token`; the handler checks it.
    (!token && !form).then(|| fail("not_authed"))
}

/// The arguments of a call: a JSON object, or form fields.
fn arguments(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, &'static str> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        let text = std::str::from_utf8(body).map_err(|_| "invalid_form_data")?;
        let pairs = query_pairs(Some(text));
        if !pairs.iter().any(|(k, v)| k == "token" && !v.is_empty())
            && !headers.contains_key(header::AUTHORIZATION)
        {
            return Err("not_authed");
        }
        return Ok(pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err("invalid_json"),
    }
}

/// A `ts` Slack would give a message posted at `at`, unique within the workspace.
fn ts(at: Timestamp, n: usize) -> String {
    format!("{}.{:06}", at.timestamp(), n + 1)
}

async fn method(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let args = match arguments(&headers, &body) {
        Ok(args) => args,
        Err(code) => return fail(code),
    };
    let s = |k: &str| {
        args.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let now = shared.clock.now();
    let channel_id = shared.ids.slack_channel.clone();
    let mut world = shared.world();
    let slack = &mut world.slack;
    // The simulated workspace has one channel, reachable by its id or any `#name`.
    let channel = match s("channel") {
        None => return fail("channel_not_found"),
        Some(c) if c == channel_id || c.starts_with('#') => channel_id.clone(),
        Some(_) => return fail("channel_not_found"),
    };
    let text = s("text").map(str::to_owned).or_else(|| {
        args.get("blocks")
            .filter(|b| b.as_array().is_some_and(|a| !a.is_empty()))
            .map(Value::to_string)
    });
    match name.as_str() {
        "chat.postMessage" => {
            let Some(text) = text else {
                return fail("no_text");
            };
            if text.chars().count() > 40_000 {
                return fail("msg_too_long");
            }
            let thread_ts = s("thread_ts").map(str::to_owned);
            if let Some(parent) = &thread_ts
                && !slack
                    .messages
                    .iter()
                    .any(|m| &m.ts == parent && m.channel == channel)
            {
                return fail("thread_not_found");
            }
            let ts = ts(now, slack.messages.len());
            slack.messages.push(SlackMessage {
                channel: channel.clone(),
                ts: ts.clone(),
                thread_ts: thread_ts.clone(),
                text: text.clone(),
                at: now,
                edited: false,
            });
            let mut message = json!({ "type": "message", "subtype": "bot_message", "text": text, "ts": ts, "bot_id": "B0SIM" });
            if let Some(parent) = thread_ts {
                message["thread_ts"] = json!(parent);
            }
            Json(json!({ "ok": true, "channel": channel, "ts": ts, "message": message }))
                .into_response()
        }
        "chat.update" => {
            let Some(text) = text else {
                return fail("no_text");
            };
            let Some(wanted) = s("ts") else {
                return fail("message_not_found");
            };
            let Some(message) = slack
                .messages
                .iter_mut()
                .find(|m| m.ts == wanted && m.channel == channel)
            else {
                return fail("message_not_found");
            };
            message.text = text.clone();
            message.edited = true;
            Json(json!({ "ok": true, "channel": channel, "ts": wanted, "text": text }))
                .into_response()
        }
        _ => fail("unknown_method"),
    }
}

/// An incoming webhook: `ok` as plain text, or Slack's plain error strings.
async fn webhook(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let plain = |status: StatusCode, text: &'static str| {
        (status, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
    };
    let Ok(Value::Object(args)) = serde_json::from_slice::<Value>(&body) else {
        return plain(StatusCode::BAD_REQUEST, "invalid_payload");
    };
    let Some(text) = args
        .get("text")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
    else {
        return plain(StatusCode::BAD_REQUEST, "no_text");
    };
    let now = shared.clock.now();
    let channel = shared.ids.slack_channel.clone();
    let mut world = shared.world();
    let n = world.slack.messages.len();
    world.slack.messages.push(SlackMessage {
        channel,
        ts: ts(now, n),
        thread_ts: None,
        text: text.to_owned(),
        at: now,
        edited: false,
    });
    plain(StatusCode::OK, "ok")
}
