//! Escalations and status messages on their timers ([`escalation::due`](crate::escalation::due)),
//! and paging.

use super::Drive;
use super::messages::Outgoing;
use crate::error::Result;
use crate::escalation;
use crate::escalation::Due;
use crate::incident::EventKind;
use crate::model::Role;
use crate::severity::PagingMode;

impl Drive<'_> {
    /// Escalations and status messages due now. A P0 or P1 pages the on-call engineer at once
    /// (the runbook's "Page Immediately"), once: the escalation is recorded.
    /// Whether the runbook's initial notification is still to be sent.
    pub(super) fn initial_notification_due(&self) -> bool {
        escalation::due(self.incident(), &self.r.escalation, self.now())
            .iter()
            .any(|d| matches!(d, Due::InitialNotification))
    }

    pub(super) async fn handle_due(&mut self) -> Result<()> {
        let now = self.now();
        let due = escalation::due(self.incident(), &self.r.escalation, now);
        // The runbook posts the detection first, then pages.
        if due.iter().any(|d| matches!(d, Due::InitialNotification)) {
            self.post(Outgoing::InitialNotification {
                next_update: self.r.escalation.status_cadence,
            })
            .await?;
        }
        let severity = self.incident().severity();
        if severity.paging() == PagingMode::PageImmediately {
            self.escalate(Role::OnCall, format!("{severity}: page immediately"))
                .await?;
        }
        for due in due {
            match due {
                Due::Escalate { role, reason, .. } => {
                    self.escalate(role, reason.to_string()).await?;
                }
                Due::InitialNotification => {}
                Due::StatusUpdate { .. } => {
                    self.post(Outgoing::StatusUpdate {
                        next_update: self.r.escalation.status_cadence,
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Escalates to `role`, once per incident: the escalation, the page (a P0 or P1 pages;
    /// P2 is the runbook's "Alert, No Page") and the chat message are recorded in one append,
    /// then delivered.
    pub(super) async fn escalate(&mut self, role: Role, reason: String) -> Result<()> {
        if self.incident().escalated_roles().contains(&role) {
            return Ok(());
        }
        let contacts = self.r.escalation.contacts(role).to_vec();
        let mut messages = Vec::new();
        if self.incident().severity().paging() == PagingMode::PageImmediately {
            messages.push(Outgoing::Page {
                role,
                summary: format!("{}: {}", self.incident().title(), reason),
            });
        }
        messages.push(Outgoing::Escalation {
            role,
            contacts,
            reason: reason.clone(),
        });
        self.commit(vec![EventKind::Escalated { role, reason }], messages)
            .await
    }
}
