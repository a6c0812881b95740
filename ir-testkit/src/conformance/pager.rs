//! The `Pager` contract.

use ir_core::error::ErrorKind;
use ir_core::model::Role;
use ir_core::ports::{Page, Pager};
use ir_core::severity::Severity;

use super::{err_kind, ok, unique};

fn page() -> Page {
    Page {
        dedup_key: unique("page"),
        role: Role::OnCall,
        summary: "P0: www.example.com returns 503".into(),
        severity: Severity::P0,
    }
}

/// A page is triggered, triggered again with the same dedup key, and resolved.
pub async fn trigger_retrigger_resolve(pager: &dyn Pager) {
    const RULE: &str = "pager::trigger_retrigger_resolve";
    let page = page();
    ok(pager.trigger(&page).await, RULE, "trigger");
    ok(
        pager.trigger(&page).await,
        RULE,
        "re-trigger with the same dedup key",
    );
    ok(pager.resolve(&page.dedup_key).await, RULE, "resolve");
}

/// A summary over 1024 characters is `InvalidInput`.
pub async fn oversized_summary_is_invalid(pager: &dyn Pager) {
    const RULE: &str = "pager::oversized_summary_is_invalid";
    let oversized = Page {
        summary: "x".repeat(1025),
        ..page()
    };
    err_kind(
        pager.trigger(&oversized).await,
        ErrorKind::InvalidInput,
        RULE,
        "summary over 1024 characters",
    );
}

/// Every rule above.
pub async fn run_all(pager: &dyn Pager) {
    trigger_retrigger_resolve(pager).await;
    oversized_summary_is_invalid(pager).await;
}
