//! The `Approver` contract.

use ir_core::model::{Action, ActionKind, DeploymentId, IncidentId};
use ir_core::ports::{ApprovalRequest, Approver, Decision};
use ir_core::severity::Severity;

use super::{check, ok};

/// A request gets a decision signed by someone; a rejection says why.
pub async fn decides_and_signs(approver: &dyn Approver) {
    const RULE: &str = "approver::decides_and_signs";
    let request = ApprovalRequest {
        incident: IncidentId::random(),
        severity: Severity::P1,
        action: Action::new(
            "rollback-d-41",
            ActionKind::Rollback {
                to: DeploymentId::new("d-41"),
                from: Some(DeploymentId::new("d-42")),
            },
        ),
        rationale: "errors began with deployment d-42".into(),
    };
    match ok(approver.decide(&request).await, RULE, "decide") {
        Decision::Approved { by } => {
            check!(
                !by.trim().is_empty(),
                RULE,
                "an approval names who approved"
            )
        }
        Decision::Rejected { by, reason } => check!(
            !by.trim().is_empty() && !reason.trim().is_empty(),
            RULE,
            "a rejection names who rejected and why"
        ),
    }
}

/// Every rule above.
pub async fn run_all(approver: &dyn Approver) {
    decides_and_signs(approver).await;
}
