//! Shared by the wiremock tests: the token, the webhook path, clients pointed at a mock server,
//! recorded answers, and matchers for one Web API call.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use ir_core::clock::ManualClock;
use ir_core::ports::ChatMessage;
use ir_http::{ClientOptions, RetryPolicy};
use ir_slack::{SlackAuth, SlackClient, SlackConfig, SlackConfigBuilder};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

pub const TOKEN: &str = "xoxb-1111-2222-bottokensecret";
pub const HOOK_PATH: &str = "/services/T0TEAM/B0HOOK/hooksecretpart";
pub const CHANNEL: &str = "C0INCIDENT";
pub const TS: &str = "1770564600.000100";

pub fn resource(name: &str) -> String {
    let file = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"))
}

pub fn start() -> chrono::DateTime<chrono::Utc> {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

pub fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
}

pub fn bot_config(server: &MockServer, clock: &ManualClock) -> SlackConfigBuilder {
    SlackConfig::builder(SlackAuth::BotToken(SecretString::from(TOKEN)))
        .with_base_url(format!("{}/api", server.uri()))
        .with_client_options(options(clock))
}

pub fn hook_config(server: &MockServer, clock: &ManualClock) -> SlackConfigBuilder {
    SlackConfig::builder(SlackAuth::Webhook(SecretString::from(format!(
        "{}{HOOK_PATH}",
        server.uri()
    ))))
    .with_client_options(options(clock))
}

pub fn bot(server: &MockServer) -> SlackClient {
    SlackClient::new(
        bot_config(server, &ManualClock::at(start()))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn hook(server: &MockServer) -> SlackClient {
    SlackClient::new(
        hook_config(server, &ManualClock::at(start()))
            .build()
            .unwrap(),
    )
    .unwrap()
}

pub fn message() -> ChatMessage {
    ChatMessage {
        channel: CHANNEL.into(),
        text: "🚨 INCIDENT - P1 - Checkout errors".into(),
        mrkdwn: Some("*🚨 INCIDENT - P1 - Checkout errors*".into()),
    }
}

/// `POST /api/<method>` with the bot token and exactly `body`.
pub fn api(slack_method: &str, body: Value) -> MockBuilder {
    any_api(slack_method)
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
}

/// Any call of `method`.
pub fn any_api(slack_method: &str) -> MockBuilder {
    Mock::given(method("POST")).and(path(format!("/api/{slack_method}")))
}

/// Any webhook post.
pub fn any_hook() -> MockBuilder {
    Mock::given(method("POST")).and(path(HOOK_PATH))
}

pub fn json_ok(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(resource(name), "application/json")
}

pub fn ok_false(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(
        format!(r#"{{"ok":false,"error":"{code}"}}"#),
        "application/json",
    )
}
