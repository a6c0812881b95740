//! One span per call with provider, operation and status; retries at warn; nothing of headers
//! or bodies recorded. Its own test binary: `tracing` caches callsite interest process-wide, so
//! a scoped subscriber only sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use ir_core::clock::ManualClock;
use ir_http::{Auth, ClientOptions, HttpClient, Request, RetryPolicy};
use secrecy::SecretString;
use url::Url;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-very-secret-123";
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

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
async fn one_span_with_provider_operation_status_and_no_secrets() {
    let capture = Capture::default();
    let _guard = tracing_subscriber::registry()
        .with(capture.clone())
        .set_default();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("response-body-value"))
        .mount(&server)
        .await;
    let clock = ManualClock::at("2026-02-08T15:30:00Z".parse().unwrap());
    let client = HttpClient::builder("test")
        .with_auth(Auth::bearer(SecretString::from(TOKEN)))
        .with_client_options(
            ClientOptions::default()
                .with_clock(Arc::new(clock))
                .with_retry_policy(RetryPolicy::default().with_jitter(false)),
        )
        .build()
        .unwrap();

    client
        .send(
            Request::post(
                format!("{}/q?api_key=query-secret", server.uri())
                    .parse::<Url>()
                    .unwrap(),
            )
            .with_operation("deploymentRollback")
            .with_body("request-body-value"),
        )
        .await
        .unwrap();

    let lines = capture.0.lock().unwrap().clone();
    let all = lines.join("\n");
    let spans: Vec<_> = lines
        .iter()
        .filter(|l| l.starts_with("span http_call"))
        .collect();
    assert_eq!(spans.len(), 1, "{all}");
    assert!(spans[0].contains("provider=test"), "{all}");
    assert!(spans[0].contains("operation=deploymentRollback"), "{all}");
    assert!(spans[0].contains("method=POST"), "{all}");
    assert!(lines.iter().any(|l| l == "record status=200"), "{all}");
    assert!(lines.iter().any(|l| l == "record attempts=2"), "{all}");
    let warn = lines
        .iter()
        .find(|l| l.starts_with(&format!("event {}", Level::WARN)))
        .unwrap_or_else(|| panic!("no warn event: {all}"));
    assert!(
        warn.contains("retrying") && warn.contains("wait_ms=2000"),
        "{warn}"
    );
    for secret in [
        TOKEN,
        "request-body-value",
        "response-body-value",
        "query-secret",
    ] {
        assert!(!all.contains(secret), "{secret} recorded: {all}");
    }
}
