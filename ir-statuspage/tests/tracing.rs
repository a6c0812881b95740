//! TRACE-level tracing of a lookup, a create, a retry and an update records no API key. Its own
//! test binary: `tracing` caches callsite interest process-wide, so a scoped subscriber only
//! sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use ir_core::model::StatusPageStatus;
use ir_core::ports::StatusPage;
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
async fn trace_level_tracing_records_no_api_key() {
    let capture = Capture::default();
    let _guard = tracing_subscriber::registry()
        .with(capture.clone())
        .set_default();
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .mount(&server)
        .await;
    any_create()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .mount(&server)
        .await;
    any_patch()
        .respond_with(incident_json())
        .mount(&server)
        .await;
    let sp = client(&server);
    sp.publish(&update(StatusPageStatus::Investigating))
        .await
        .unwrap();
    sp.publish(&update(StatusPageStatus::Resolved))
        .await
        .unwrap();

    let all = capture.0.lock().unwrap().join("\n");
    assert!(all.contains("provider=statuspage"), "{all}");
    assert!(all.contains("operation=create_incident"), "{all}");
    assert!(all.contains("operation=update_incident"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    assert!(!all.contains(KEY), "API key recorded: {all}");
}
