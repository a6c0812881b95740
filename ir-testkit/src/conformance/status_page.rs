//! The `StatusPage` contract.

use ir_core::model::StatusPageStatus;
use ir_core::ports::{StatusPage, StatusPageUpdate};

use super::{ok, unique};

/// One public incident walks through every status, Investigating to Resolved.
pub async fn publishes_every_status(page: &dyn StatusPage) {
    const RULE: &str = "status_page::publishes_every_status";
    let key = unique("status");
    for status in [
        StatusPageStatus::Investigating,
        StatusPageStatus::Identified,
        StatusPageStatus::Monitoring,
        StatusPageStatus::Resolved,
    ] {
        let update = StatusPageUpdate {
            incident_key: key.clone(),
            title: "Dashboard errors".into(),
            status,
            body: format!("{} update", status.title()),
        };
        ok(page.publish(&update).await, RULE, "publish");
    }
}

/// Every rule above.
pub async fn run_all(page: &dyn StatusPage) {
    publishes_every_status(page).await;
}
