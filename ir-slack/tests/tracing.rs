//! TRACE-level tracing of a post, a retry and a webhook post records no token and no webhook
//! URL. Its own test binary: `tracing` caches callsite interest process-wide, so a scoped subscriber only
//! sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ports::ChatNotifier;
use ir_testkit::TraceCapture;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn trace_level_tracing_records_no_token_and_no_webhook_url() {
    let (capture, _guard) = TraceCapture::install();
    let server = MockServer::start().await;
    any_api("chat.postMessage")
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    any_api("chat.postMessage")
        .respond_with(json_ok("post_message_ok.json"))
        .mount(&server)
        .await;
    any_hook()
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .mount(&server)
        .await;
    bot(&server).post(&message()).await.unwrap();
    hook(&server).post(&message()).await.unwrap();

    let all = capture.text();
    assert!(all.contains("provider=slack"), "{all}");
    assert!(all.contains("operation=chat.postMessage"), "{all}");
    assert!(all.contains("operation=webhook"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    for secret in [TOKEN, "bottokensecret", "hooksecretpart"] {
        assert!(!all.contains(secret), "{secret} recorded: {all}");
    }
}
