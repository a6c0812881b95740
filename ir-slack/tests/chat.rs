//! Each call as Slack documents it: the exact request (path, bearer token, JSON body) and the
//! `MessageRef` read from the answer; threads, edits, pacing, and the webhook mode.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock};
use ir_core::ports::{ChatMessage, ChatNotifier, MessageRef};
use ir_slack::SlackClient;
use serde_json::json;
use wiremock::matchers::{body_json, header_exists};
use wiremock::{MockServer, ResponseTemplate};

fn parent() -> MessageRef {
    MessageRef {
        channel: CHANNEL.into(),
        id: Some(TS.into()),
    }
}

#[tokio::test]
async fn post_sends_mrkdwn_text_and_returns_channel_and_ts() {
    let server = MockServer::start().await;
    api(
        "chat.postMessage",
        json!({ "channel": CHANNEL, "text": "*🚨 INCIDENT - P1 - Checkout errors*", "mrkdwn": true }),
    )
    .respond_with(json_ok("post_message_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let posted = bot(&server).post(&message()).await.unwrap();
    assert_eq!(posted, parent());
}

#[tokio::test]
async fn a_message_without_mrkdwn_sends_its_plain_text_and_a_name_resolves_to_an_id() {
    let server = MockServer::start().await;
    api(
        "chat.postMessage",
        json!({ "channel": "#incident-response", "text": "plain", "mrkdwn": true }),
    )
    .respond_with(json_ok("post_message_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let message = ChatMessage {
        channel: "#incident-response".into(),
        text: "plain".into(),
        mrkdwn: None,
    };
    let posted = bot(&server).post(&message).await.unwrap();
    assert_eq!(posted.channel, CHANNEL, "the id Slack answered");
}

#[tokio::test]
async fn an_empty_channel_uses_the_default_and_without_one_is_refused() {
    let server = MockServer::start().await;
    api(
        "chat.postMessage",
        json!({ "channel": "C0DEFAULT", "text": "*🚨 INCIDENT - P1 - Checkout errors*", "mrkdwn": true }),
    )
    .respond_with(json_ok("post_message_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let message = ChatMessage {
        channel: String::new(),
        ..message()
    };
    let clock = ManualClock::at(start());
    let slack = SlackClient::new(
        bot_config(&server, &clock)
            .with_default_channel("C0DEFAULT")
            .build()
            .unwrap(),
    )
    .unwrap();
    slack.post(&message).await.unwrap();
    let err = bot(&server).post(&message).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn reply_threads_under_the_parent() {
    let server = MockServer::start().await;
    api(
        "chat.postMessage",
        json!({
            "channel": CHANNEL,
            "text": "*📊 STATUS UPDATE - 15:45 UTC*",
            "mrkdwn": true,
            "thread_ts": TS,
        }),
    )
    .respond_with(json_ok("reply_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let update = ChatMessage {
        channel: "#incident-response".into(),
        text: "📊 STATUS UPDATE - 15:45 UTC".into(),
        mrkdwn: Some("*📊 STATUS UPDATE - 15:45 UTC*".into()),
    };
    let reply = bot(&server).reply(&parent(), &update).await.unwrap();
    assert_eq!(reply.channel, CHANNEL);
    assert_eq!(reply.id.as_deref(), Some("1770565500.000200"));
}

#[tokio::test]
async fn reply_broadcast_when_configured() {
    let server = MockServer::start().await;
    api(
        "chat.postMessage",
        json!({
            "channel": CHANNEL,
            "text": "*🚨 INCIDENT - P1 - Checkout errors*",
            "mrkdwn": true,
            "thread_ts": TS,
            "reply_broadcast": true,
        }),
    )
    .respond_with(json_ok("reply_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let slack = SlackClient::new(
        bot_config(&server, &ManualClock::at(start()))
            .with_reply_broadcast(true)
            .build()
            .unwrap(),
    )
    .unwrap();
    slack.reply(&parent(), &message()).await.unwrap();
}

#[tokio::test]
async fn update_edits_the_message() {
    let server = MockServer::start().await;
    api(
        "chat.update",
        json!({ "channel": CHANNEL, "ts": TS, "text": "*🚨 INCIDENT - P1 - Checkout errors (updated)*" }),
    )
    .respond_with(json_ok("update_ok.json"))
    .expect(1)
    .mount(&server)
    .await;
    let edited = ChatMessage {
        mrkdwn: Some("*🚨 INCIDENT - P1 - Checkout errors (updated)*".into()),
        ..message()
    };
    let updated = bot(&server).update(&parent(), &edited).await.unwrap();
    assert_eq!(updated, parent());
}

#[tokio::test]
async fn update_of_a_message_that_is_gone_is_not_found() {
    let server = MockServer::start().await;
    any_api("chat.update")
        .respond_with(ok_false("message_not_found"))
        .expect(1)
        .mount(&server)
        .await;
    let err = bot(&server)
        .update(&parent(), &message())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.message(), "message_not_found");
    assert_eq!(err.operation(), Some("chat.update"));
}

#[tokio::test]
async fn one_message_per_second_per_channel_on_the_clock() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(json_ok("post_message_ok.json"))
        .expect(4)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let slack = SlackClient::new(bot_config(&server, &clock).build().unwrap()).unwrap();
    slack.post(&message()).await.unwrap();
    assert_eq!(clock.now(), start(), "the first message goes at once");
    // Another channel is not held up.
    let other = ChatMessage {
        channel: "C0OTHER".into(),
        ..message()
    };
    slack.post(&other).await.unwrap();
    assert_eq!(clock.now(), start());
    slack.post(&message()).await.unwrap();
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(1)
    );
    // A clone shares the pacing.
    slack.clone().reply(&parent(), &message()).await.unwrap();
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(2)
    );
}

#[tokio::test]
async fn webhook_posts_text_without_token_or_channel_and_has_no_threads() {
    let server = MockServer::start().await;
    any_hook()
        .and(body_json(
            json!({ "text": "*🚨 INCIDENT - P1 - Checkout errors*" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(3)
        .mount(&server)
        .await;
    // No Authorization header in webhook mode.
    any_hook()
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let slack = hook(&server);
    assert!(slack.is_webhook());
    let posted = slack.post(&message()).await.unwrap();
    assert_eq!(
        posted,
        MessageRef {
            channel: CHANNEL.into(),
            id: None
        }
    );
    // A reply and an edit are new messages.
    assert_eq!(slack.reply(&parent(), &message()).await.unwrap().id, None);
    assert_eq!(slack.update(&parent(), &message()).await.unwrap().id, None);
}
