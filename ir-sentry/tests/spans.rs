//! Tracing at TRACE carries no token: every span and event of a listing (with a retried 429)
//! is captured and searched. Its own test binary: `tracing` caches callsite interest
//! process-wide, so a scoped subscriber only sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ir_core::clock::ManualClock;
use ir_core::ports::ErrorTracker;
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
        let mut fields = Fields(format!(
            "event {} {}",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
}

#[tokio::test]
async fn trace_output_never_holds_the_token() {
    let capture = Capture::default();
    let _guard = tracing_subscriber::registry()
        .with(capture.clone())
        .set_default();
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok(&resource("issues_new.json")))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let issues = client_on(&server, &clock)
        .new_issues(window())
        .await
        .unwrap();
    assert_eq!(issues.len(), 2);

    let lines = capture.0.lock().unwrap().clone();
    let all = lines.join("\n");
    assert!(
        all.contains("sentry") && all.contains("new_issues"),
        "the call is traced with provider and operation:\n{all}"
    );
    assert!(all.contains("retrying"), "the 429 retry is logged:\n{all}");
    assert!(!all.contains(TOKEN), "the token is in the trace:\n{all}");
    assert!(
        !all.contains("Bearer"),
        "an auth header is in the trace:\n{all}"
    );
}
