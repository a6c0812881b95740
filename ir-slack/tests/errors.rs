//! How Slack's answers become errors: every `ok: false` code row, 429 retried on
//! `Retry-After`, webhook error strings, a timeout, malformed bodies, and no token or webhook
//! URL in any `Debug` or message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock, SystemClock};
use ir_core::ports::ChatNotifier;
use ir_http::{ClientOptions, RetryPolicy};
use ir_slack::SlackClient;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn every_ok_false_code_has_its_kind() {
    let rows = [
        ("not_in_channel", ErrorKind::PermissionDenied),
        ("channel_not_found", ErrorKind::NotFound),
        ("invalid_auth", ErrorKind::Unauthenticated),
        ("not_authed", ErrorKind::Unauthenticated),
        ("account_inactive", ErrorKind::Unauthenticated),
        ("token_revoked", ErrorKind::Unauthenticated),
        ("missing_scope", ErrorKind::PermissionDenied),
        ("is_archived", ErrorKind::PermissionDenied),
        ("ratelimited", ErrorKind::RateLimited),
        ("msg_too_long", ErrorKind::InvalidInput),
        ("no_text", ErrorKind::InvalidInput),
        ("invalid_blocks", ErrorKind::InvalidInput),
        ("internal_error", ErrorKind::Unavailable),
        ("fatal_error", ErrorKind::Unavailable),
    ];
    for (code, kind) in rows {
        let server = MockServer::start().await;
        any_api("chat.postMessage")
            .respond_with(ok_false(code))
            .expect(1) // an answer under 200 is final
            .mount(&server)
            .await;
        let err = bot(&server).post(&message()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{code}");
        assert_eq!(err.message(), code);
        assert_eq!(err.provider(), Some("slack"));
        assert_eq!(err.operation(), Some("chat.postMessage"));
        assert_eq!(err.status(), Some(200));
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_raw(r#"{"ok":false,"error":"ratelimited"}"#, "application/json"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    any_api("chat.postMessage")
        .respond_with(json_ok("post_message_ok.json"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let slack = SlackClient::new(bot_config(&server, &clock).build().unwrap()).unwrap();
    slack.post(&message()).await.unwrap();
    assert_eq!(
        (clock.now() - start()).to_std().unwrap(),
        Duration::from_secs(30),
        "waited what Retry-After asked, on the clock"
    );
}

#[tokio::test]
async fn a_429_that_persists_is_rate_limited_with_the_wait() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_raw(r#"{"ok":false,"error":"ratelimited"}"#, "application/json"),
        )
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let slack = SlackClient::new(
        bot_config(&server, &clock)
            .with_client_options(
                options(&clock).with_retry_policy(
                    RetryPolicy::default()
                        .with_jitter(false)
                        .with_max_attempts(2),
                ),
            )
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = slack.post(&message()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(err.message(), "ratelimited");
}

#[tokio::test]
async fn webhook_error_strings() {
    let rows = [
        (400, "invalid_payload", ErrorKind::InvalidInput),
        (400, "no_text", ErrorKind::InvalidInput),
        (403, "action_prohibited", ErrorKind::PermissionDenied),
        (404, "channel_not_found", ErrorKind::NotFound),
        (410, "channel_is_archived", ErrorKind::PermissionDenied),
        (404, "no_service", ErrorKind::NotFound),
        (404, "no_active_hooks", ErrorKind::NotFound),
    ];
    for (status, code, kind) in rows {
        let server = MockServer::start().await;
        any_hook()
            .respond_with(ResponseTemplate::new(status).set_body_string(code))
            .expect(1)
            .mount(&server)
            .await;
        let err = hook(&server).post(&message()).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{status} {code}");
        assert_eq!(err.message(), code);
        assert_eq!(err.status(), Some(status));
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hooksecretpart"), "{text}");
    }
}

#[tokio::test]
async fn a_5xx_is_not_retried_for_a_post() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream connect error"))
        .expect(1)
        .mount(&server)
        .await;
    let err = bot(&server).post(&message()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn malformed_answers_are_protocol_errors() {
    for body in [
        "<!DOCTYPE html><html><title>Slack is down</title></html>",
        r#"{"ok":tr"#,
        r#"{"channel":"C0INCIDENT"}"#,
        r#"{"ok":true}"#,
    ] {
        let server = MockServer::start().await;
        any_api("chat.postMessage")
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .expect(1)
            .mount(&server)
            .await;
        let err = bot(&server).post(&message()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{body}: {err}");
    }
    let server = MockServer::start().await;
    any_hook()
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>portal</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let err = hook(&server).post(&message()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn a_timed_out_post_is_not_repeated() {
    let server = MockServer::start().await;
    // Real time: the attempt timeout must cut a request the server still holds. A post is
    // not idempotent (a repeat would be a second message), so it is sent once.
    any_api("chat.postMessage")
        .respond_with(json_ok("post_message_ok.json").set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let options = ClientOptions::default()
        .with_clock(Arc::new(SystemClock))
        .with_attempt_timeout(Duration::from_millis(100));
    let slack = SlackClient::new(
        bot_config(&server, &ManualClock::at(start()))
            .with_client_options(options)
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = slack.post(&message()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.message().contains("not repeated"), "{err}");
}

#[tokio::test]
async fn no_token_or_webhook_url_in_debug_or_errors() {
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(ok_false("invalid_auth"))
        .mount(&server)
        .await;
    any_hook()
        .respond_with(ResponseTemplate::new(404).set_body_string("no_service"))
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let mut text = String::new();
    for builder in [bot_config(&server, &clock), hook_config(&server, &clock)] {
        let config = builder.clone().build().unwrap();
        let client = SlackClient::new(config.clone()).unwrap();
        let err = client.post(&message()).await.unwrap_err();
        text.push_str(&format!(
            "{builder:?} {config:?} {client:?} {err} {err:?}\n"
        ));
    }
    for secret in [TOKEN, "bottokensecret", "hooksecretpart", HOOK_PATH] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    // An unreachable webhook names the host at most.
    let dead = SlackClient::new(
        ir_slack::SlackConfig::builder(ir_slack::SlackAuth::Webhook(secrecy::SecretString::from(
            format!("http://127.0.0.1:9{HOOK_PATH}"),
        )))
        .with_client_options(options(&clock).with_retry_policy(RetryPolicy::none()))
        .build()
        .unwrap(),
    )
    .unwrap();
    let err = dead.post(&message()).await.unwrap_err();
    let text = format!("{err} {err:?} {:?}", std::error::Error::source(&err));
    assert!(!text.contains("hooksecretpart"), "{text}");
}
