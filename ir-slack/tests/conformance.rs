//! `ir-core`'s `ChatNotifier` conformance suite, run against `SlackClient` (bot token and
//! webhook) talking to wiremock answering as Slack does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_testkit::conformance::chat_notifier;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn chat_notifier_conformance_with_a_bot_token() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {TOKEN}").as_str(),
        ))
        .and(wiremock::matchers::body_partial_json(
            serde_json::json!({ "channel": CHANNEL, "mrkdwn": true }),
        ))
        .respond_with(json_ok("post_message_ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    chat_notifier::run_all(&bot(&server), CHANNEL).await;
}

#[tokio::test]
async fn chat_notifier_conformance_with_a_webhook() {
    let server = MockServer::start().await;
    any_hook()
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(1)
        .mount(&server)
        .await;
    chat_notifier::run_all(&hook(&server), CHANNEL).await;
}
