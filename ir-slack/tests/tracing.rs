//! TRACE-level tracing of a post, a retry and a webhook post records no token and no webhook
//! URL. Its own test binary: `tracing` caches callsite interest process-wide, so a scoped subscriber only
//! sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ir_core::ports::ChatNotifier;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;
use wiremock::{MockServer, ResponseTemplate};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut fields = Fields("record".into());
        values.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(format!("event {}", event.metadata().level()));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[tokio::test]
async fn trace_level_tracing_records_no_token_and_no_webhook_url() {
    let capture = Capture::default();
    let _guard = tracing_subscriber::registry()
        .with(capture.clone())
        .set_default();
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

    let all = capture.0.lock().unwrap().join("\n");
    assert!(all.contains("provider=slack"), "{all}");
    assert!(all.contains("operation=chat.postMessage"), "{all}");
    assert!(all.contains("operation=webhook"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    for secret in [TOKEN, "bottokensecret", "hooksecretpart"] {
        assert!(!all.contains(secret), "{secret} recorded: {all}");
    }
}
