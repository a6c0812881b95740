//! Escalations and status messages on their timers ([`escalation::due`](crate::escalation::due)),
//! and paging.

use super::Drive;
use super::messages::Outgoing;
use crate::error::Result;
use crate::escalation;
use crate::escalation::Due;
use crate::incident::{EventKind, Phase};
use crate::model::Role;
use crate::ports::Page;
use crate::severity::PagingMode;

impl Drive<'_> {
    /// Escalations and status messages due now. A P0 or P1 pages the on-call engineer at once
    /// (the runbook's "Page Immediately"), once: the escalation is recorded.
    pub(super) async fn handle_due(&mut self) -> Result<()> {
        let severity = self.incident().severity();
        if severity.paging() == PagingMode::PageImmediately {
            self.escalate(Role::OnCall, format!("{severity}: page immediately"))
                .await?;
        }
        let now = self.now();
        for due in escalation::due(self.incident(), &self.r.escalation, now) {
            match due {
                Due::Escalate { role, reason, .. } => {
                    self.escalate(role, reason.to_string()).await?;
                }
                Due::InitialNotification => {
                    self.post(Outgoing::InitialNotification {
                        next_update: self.r.escalation.status_cadence,
                    })
                    .await?;
                }
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

    pub(super) async fn escalate(&mut self, role: Role, reason: String) -> Result<()> {
        if self.incident().escalated_roles().contains(&role) {
            return Ok(());
        }
        self.journal
            .push(EventKind::Escalated {
                role,
                reason: reason.clone(),
            })
            .await?;
        let contacts = self.r.escalation.contacts(role).to_vec();
        // P2 is "Alert, No Page": the escalation goes to chat only.
        let pages = self.incident().severity().paging() == PagingMode::PageImmediately;
        if pages && let Some(pager) = &self.r.providers.pager {
            let page = Page {
                dedup_key: self.incident().dedup_key().to_owned(),
                role,
                summary: format!("{}: {}", self.incident().title(), reason)
                    .chars()
                    .take(1024)
                    .collect(),
                severity: self.incident().severity(),
            };
            if let Err(e) = pager.trigger(&page).await {
                self.journal
                    .push(EventKind::note(format!("could not page {role}: {e}")))
                    .await?;
            } else if role == Role::OnCall && self.incident().phase() >= Phase::Acknowledged {
                // The runbook's "Acknowledge PagerDuty alert": the incident is acknowledged
                // (the runner acknowledges it when it starts, before paging), so the page is
                // too, once, right after it was triggered.
                if let Err(e) = pager.acknowledge(&page.dedup_key).await {
                    self.journal
                        .push(EventKind::note(format!(
                            "could not acknowledge the page: {e}"
                        )))
                        .await?;
                }
            }
        }
        self.post(Outgoing::Escalation {
            role,
            contacts,
            reason,
        })
        .await
    }
}
