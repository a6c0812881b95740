//! Who may say yes to an action: the [`ApprovalPolicy`] first, then the [`Approver`] port.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Action, Risk};
use crate::ports::{ApprovalRequest, Approver, Decision};
use crate::severity::Severity;

/// When an action runs without asking anyone.
///
/// The runbook's default: read-only actions always run; reversible ones (rollback, restart,
/// setting a variable) run without asking only for a P0 or P1 incident and only when the top
/// hypothesis is confident; destructive ones (terminating connections, changing the database
/// URL) always need a person.
///
/// ```
/// use ir_core::playbook::{ApprovalPolicy, PolicyVerdict};
/// use ir_core::model::{Action, ActionKind, DeploymentId};
/// use ir_core::Severity;
///
/// let policy = ApprovalPolicy::default();
/// let rollback = Action::new("k", ActionKind::Rollback { to: DeploymentId::new("d1"), from: None });
/// assert!(matches!(policy.evaluate(&rollback, Severity::P0, 0.9), PolicyVerdict::AutoApproved { .. }));
/// assert!(matches!(policy.evaluate(&rollback, Severity::P0, 0.4), PolicyVerdict::NeedsApproval { .. }));
/// assert!(matches!(policy.evaluate(&rollback, Severity::P2, 0.9), PolicyVerdict::NeedsApproval { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApprovalPolicy {
    /// Read-only actions (filing an issue, waiting) run without asking.
    pub auto_approve_read_only: bool,
    /// Severities at which reversible actions run without asking (runbook: P0 and P1).
    pub auto_approve_reversible_at: Vec<Severity>,
    /// The top hypothesis' confidence a reversible action needs to run without asking.
    pub min_confidence: f64,
    /// Whether destructive actions may ever run without asking (runbook: never).
    pub auto_approve_destructive: bool,
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        Self::runbook()
    }
}

/// What the policy says about one action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum PolicyVerdict {
    /// Run it.
    AutoApproved {
        /// Why, for the timeline.
        reason: String,
    },
    /// Ask the approver.
    NeedsApproval {
        /// Why.
        reason: String,
    },
}

impl ApprovalPolicy {
    /// The runbook's policy (see the type's docs).
    pub fn runbook() -> Self {
        Self {
            auto_approve_read_only: true,
            auto_approve_reversible_at: vec![Severity::P0, Severity::P1],
            min_confidence: 0.7,
            auto_approve_destructive: false,
        }
    }

    /// A policy that asks the approver about everything.
    pub fn always_ask() -> Self {
        Self {
            auto_approve_read_only: false,
            auto_approve_reversible_at: Vec::new(),
            min_confidence: 1.0,
            auto_approve_destructive: false,
        }
    }

    /// Checks the numbers.
    ///
    /// # Errors
    /// `Config` when `min_confidence` is outside `0..=1`.
    pub fn validate(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(Error::config(format!(
                "approval min_confidence must lie within 0..=1, got {}",
                self.min_confidence
            )));
        }
        Ok(())
    }

    /// The verdict on `action` for an incident of `severity` whose top hypothesis has
    /// `confidence`.
    pub fn evaluate(&self, action: &Action, severity: Severity, confidence: f64) -> PolicyVerdict {
        let ask = |reason: String| PolicyVerdict::NeedsApproval { reason };
        let auto = |reason: String| PolicyVerdict::AutoApproved { reason };
        match action.risk {
            Risk::ReadOnly if self.auto_approve_read_only => {
                auto("read-only actions need no approval".into())
            }
            Risk::ReadOnly => ask("policy asks about every action".into()),
            Risk::Destructive if self.auto_approve_destructive => {
                auto("policy auto-approves destructive actions".into())
            }
            Risk::Destructive => ask("destructive actions always need approval".into()),
            Risk::Reversible => {
                if !self.auto_approve_reversible_at.contains(&severity) {
                    ask(format!(
                        "reversible actions are auto-approved only at {}, this is {severity}",
                        self.severities()
                    ))
                } else if confidence < self.min_confidence {
                    ask(format!(
                        "top hypothesis confidence {confidence:.2} is below {:.2}",
                        self.min_confidence
                    ))
                } else {
                    auto(format!(
                        "reversible, {severity}, top hypothesis confidence {confidence:.2} >= {:.2}",
                        self.min_confidence
                    ))
                }
            }
        }
    }

    fn severities(&self) -> String {
        let names: Vec<&str> = self
            .auto_approve_reversible_at
            .iter()
            .map(|s| s.as_str())
            .collect();
        if names.is_empty() {
            "no severity".into()
        } else {
            names.join("/")
        }
    }
}

/// The final answer on an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "approval")]
pub enum Approval {
    /// Go ahead.
    Approved {
        /// `policy` or the approver's name.
        by: String,
    },
    /// Do not.
    Rejected {
        /// Who.
        by: String,
        /// Why.
        reason: String,
    },
}

/// Applies `policy`, then asks `approver` when the policy says so. An approver that fails or
/// does not answer in time counts as a rejection.
pub async fn decide(
    policy: &ApprovalPolicy,
    approver: &dyn Approver,
    request: &ApprovalRequest,
    top_confidence: f64,
) -> Approval {
    match policy.evaluate(&request.action, request.severity, top_confidence) {
        PolicyVerdict::AutoApproved { .. } => Approval::Approved {
            by: "policy".into(),
        },
        PolicyVerdict::NeedsApproval { .. } => match approver.decide(request).await {
            Ok(Decision::Approved { by }) => Approval::Approved { by },
            Ok(Decision::Rejected { by, reason }) => Approval::Rejected { by, reason },
            Err(e) => Approval::Rejected {
                by: "approver".into(),
                reason: format!("no decision: {e}"),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActionKind;
    use crate::model::IncidentId;
    use crate::ports::{DenyAll, MockApprover};

    fn action(kind: ActionKind) -> Action {
        Action::new("k", kind)
    }

    #[test]
    fn the_runbook_table() {
        let p = ApprovalPolicy::runbook();
        let issue = action(ActionKind::CreateIssue { title: "x".into() });
        let restart = action(ActionKind::Restart {
            deployment: crate::model::DeploymentId::new("d"),
        });
        let kill = action(ActionKind::TerminateIdleConnections {
            older_than: std::time::Duration::from_secs(600),
            application_name: None,
            user: None,
        });
        let auto = |v: PolicyVerdict| matches!(v, PolicyVerdict::AutoApproved { .. });
        let cases = [
            (&issue, Severity::P3, 0.0, true),
            (&restart, Severity::P0, 0.7, true),
            (&restart, Severity::P1, 0.95, true),
            (&restart, Severity::P1, 0.69, false),
            (&restart, Severity::P2, 0.99, false),
            (&kill, Severity::P0, 1.0, false),
        ];
        for (a, sev, conf, want) in cases {
            assert_eq!(
                auto(p.evaluate(a, sev, conf)),
                want,
                "{:?} {sev} {conf}",
                a.kind
            );
        }
        assert!(!auto(ApprovalPolicy::always_ask().evaluate(
            &issue,
            Severity::P0,
            1.0
        )));
        assert!(
            ApprovalPolicy {
                min_confidence: 1.5,
                ..ApprovalPolicy::runbook()
            }
            .validate()
            .is_err()
        );
    }

    #[tokio::test]
    async fn the_approver_is_asked_only_when_policy_says_so() {
        let mut approver = MockApprover::new();
        approver.expect_decide().times(1).returning(|_| {
            Err(crate::Error::timeout(
                "nobody answered within 5 minutes".to_string(),
            ))
        });
        let kill = action(ActionKind::TerminateIdleConnections {
            older_than: std::time::Duration::from_secs(600),
            application_name: None,
            user: None,
        });
        let request = ApprovalRequest {
            incident: IncidentId::random(),
            severity: Severity::P1,
            action: kill,
            rationale: "leak".into(),
        };
        let got = decide(&ApprovalPolicy::runbook(), &approver, &request, 0.9).await;
        assert!(
            matches!(got, Approval::Rejected { ref reason, .. } if reason.contains("nobody answered")),
            "{got:?}"
        );
        let issue = ApprovalRequest {
            action: action(ActionKind::CreateIssue { title: "x".into() }),
            ..request
        };
        // DenyAll is never consulted for a read-only action.
        assert_eq!(
            decide(&ApprovalPolicy::runbook(), &DenyAll, &issue, 0.0).await,
            Approval::Approved {
                by: "policy".into()
            }
        );
    }
}
