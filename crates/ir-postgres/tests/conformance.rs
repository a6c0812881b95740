//! The ir-core `IncidentStore` conformance suite, against `PgIncidentStore` on the real server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use ir_core::testkit::conformance;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_incident_store_conforms() {
    let schema = common::unique("ir_conformance");
    let store = common::store_in(&schema, "ir-conformance").await;
    conformance::incident_store(Arc::new(store)).await;
    common::drop_schema(&schema).await;
}

/// The suite uses random keys, so it also holds on a schema other runs share.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_incident_store_conforms_on_a_shared_schema() {
    let store = common::store_in("ir_conformance_shared", "ir-conformance").await;
    conformance::incident_store(Arc::new(store)).await;
}
