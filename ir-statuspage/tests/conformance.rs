//! `ir-core`'s `StatusPage` conformance suite, run against `StatuspageClient` talking to
//! wiremock answering as Statuspage does: one incident created, then updated three times.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_testkit::conformance::status_page;
use wiremock::MockServer;

#[tokio::test]
async fn status_page_conformance() {
    let server = MockServer::start().await;
    unresolved()
        .respond_with(none_unresolved())
        .expect(1)
        .mount(&server)
        .await;
    any_create()
        .respond_with(incident_json())
        .expect(1)
        .mount(&server)
        .await;
    any_patch()
        .and(wiremock::matchers::path(format!(
            "/v1/pages/{PAGE}/incidents/{INCIDENT}"
        )))
        .respond_with(incident_json())
        .expect(3)
        .mount(&server)
        .await;
    status_page::run_all(&client(&server)).await;
}
