//! TRACE-level tracing of a trigger, a retry and a resolve records no routing key. Its own
//! test binary: `tracing` caches callsite interest process-wide, so a scoped subscriber only
//! sees everything when no other test runs beside it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::ports::Pager;
use ir_testkit::TraceCapture;
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn trace_level_tracing_records_no_routing_key() {
    let (capture, _guard) = TraceCapture::install();
    let server = MockServer::start().await;
    any_event()
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    any_event().respond_with(accepted()).mount(&server).await;
    let pd = client(&server);
    pd.trigger(&page()).await.unwrap();
    pd.resolve(DEDUP_KEY).await.unwrap();

    let all = capture.text();
    assert!(all.contains("provider=pagerduty"), "{all}");
    assert!(all.contains("operation=trigger"), "{all}");
    assert!(all.contains("operation=resolve"), "{all}");
    assert!(all.contains("retrying"), "{all}");
    assert!(!all.contains(KEY), "routing key recorded: {all}");
}
