//! `ir-core`'s `Pager` conformance suite, run against `PagerDutyClient` talking to wiremock
//! answering as PagerDuty's Events API v2 does.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_testkit::conformance::pager;
use wiremock::MockServer;
use wiremock::matchers::body_partial_json;

#[tokio::test]
async fn pager_conformance() {
    let server = MockServer::start().await;
    for (action, times) in [("trigger", 2), ("resolve", 1)] {
        any_event()
            .and(body_partial_json(
                serde_json::json!({ "routing_key": KEY, "event_action": action }),
            ))
            .respond_with(accepted())
            .expect(times)
            .mount(&server)
            .await;
    }
    pager::run_all(&client(&server)).await;
}
