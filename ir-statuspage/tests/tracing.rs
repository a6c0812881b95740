//! TRACE-level tracing of a lookup, a create, a retry and an update records no API key. Its own
//! test binary: `tracing` caches callsite interest process-wide, so a scoped subscriber only
//! sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::model::StatusPageStatus;
use ir_core::ports::StatusPage;
use ir_testkit::TraceCapture;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn trace_level_tracing_records_no_api_key() {
    let (capture, _guard) = TraceCapture::install();
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

    let all = capture.text();
    assert!(all.contains("provider=statuspage"), "{all}");
    assert!(all.contains("operation=create_incident"), "{all}");
    assert!(all.contains("operation=update_incident"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    assert!(!all.contains(KEY), "API key recorded: {all}");
}
