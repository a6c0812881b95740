//! The runbook's post-incident checklist, as state read from the timeline.

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::incident::{EventKind, Incident};
use crate::model::StatusPageStatus;
use crate::model::{ChecklistItem, MessageKind};

use super::ActionItem;

/// The runbook's text for a checklist item, e.g. `Update status page (resolved)`.
pub fn checklist_text(item: ChecklistItem) -> &'static str {
    match item {
        ChecklistItem::UpdateStatusPage => "Update status page (resolved)",
        ChecklistItem::PostResolution => "Post resolution in #incident-response",
        ChecklistItem::ClosePagerIncident => "Close PagerDuty incident",
        ChecklistItem::ThankResponders => "Thank incident responders",
        ChecklistItem::SchedulePostmortem => "Schedule postmortem (within 48 hours)",
        ChecklistItem::CreateActionItemIssues => "Create GitHub issues for action items",
        ChecklistItem::UpdateRunbook => "Update runbook with learnings",
        ChecklistItem::ReviewSloImpact => "Review SLO impact",
        ChecklistItem::UpdateMonitoring => "Update monitoring/alerting if needed",
    }
}

/// How a checklist item came to be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {
    /// When, when the timeline says (filing action items has no event of its own).
    pub at: Option<Timestamp>,
    /// What showed it done, e.g. `status page "Resolved" posted`.
    pub by: String,
}

/// One item of the checklist and whether it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistEntry {
    /// The item.
    pub item: ChecklistItem,
    /// The runbook's text for it.
    pub text: String,
    /// How it was done, or `None` while it is pending.
    pub done: Option<Done>,
}

/// The post-incident checklist, in the runbook's order, knowing which items the timeline
/// shows done:
///
/// | item | done when the timeline holds |
/// |---|---|
/// | Update status page (resolved) | a status-page `Resolved` message posted |
/// | Post resolution in #incident-response | the resolution notification or "incident resolved" posted |
/// | Thank incident responders | a `ThankResponders` message posted |
/// | Schedule postmortem | a `PostmortemScheduled` event |
/// | Create GitHub issues for action items | every action item has its issue (see [`with_action_items`](Self::with_action_items)) |
/// | every item | a `ChecklistItemDone` event for it |
///
/// Closing the pager incident, updating the runbook, reviewing SLO impact and updating
/// monitoring leave no other trace, so only `ChecklistItemDone` marks them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    entries: Vec<ChecklistEntry>,
}

impl Checklist {
    /// Every item, in the runbook's order.
    pub const ITEMS: [ChecklistItem; 9] = [
        ChecklistItem::UpdateStatusPage,
        ChecklistItem::PostResolution,
        ChecklistItem::ClosePagerIncident,
        ChecklistItem::ThankResponders,
        ChecklistItem::SchedulePostmortem,
        ChecklistItem::CreateActionItemIssues,
        ChecklistItem::UpdateRunbook,
        ChecklistItem::ReviewSloImpact,
        ChecklistItem::UpdateMonitoring,
    ];

    /// The checklist as `incident`'s timeline leaves it. The first event that shows an item
    /// done counts.
    pub fn from_incident(incident: &Incident) -> Self {
        let mut checklist = Self {
            entries: Self::ITEMS
                .iter()
                .map(|&item| ChecklistEntry {
                    item,
                    text: checklist_text(item).to_owned(),
                    done: None,
                })
                .collect(),
        };
        for recorded in incident.timeline() {
            let at = Some(recorded.event.at);
            let mut mark = |item, by: String| checklist.mark(item, Done { at, by });
            match &recorded.event.kind {
                EventKind::MessagePosted { kind, channel, .. } => match kind {
                    MessageKind::StatusPage(StatusPageStatus::Resolved) => mark(
                        ChecklistItem::UpdateStatusPage,
                        format!("status page \"Resolved\" posted to {channel}"),
                    ),
                    MessageKind::ResolutionNotification | MessageKind::IncidentResolved => mark(
                        ChecklistItem::PostResolution,
                        format!("resolution posted to {channel}"),
                    ),
                    MessageKind::ThankResponders => mark(
                        ChecklistItem::ThankResponders,
                        format!("thanks posted to {channel}"),
                    ),
                    MessageKind::PageResolution => mark(
                        ChecklistItem::ClosePagerIncident,
                        format!("page resolved at {channel}"),
                    ),
                    _ => {}
                },
                EventKind::PostmortemScheduled { .. } => mark(
                    ChecklistItem::SchedulePostmortem,
                    "postmortem scheduled".to_owned(),
                ),
                EventKind::ChecklistItemDone { item } => {
                    mark(*item, format!("marked done by {}", recorded.event.actor));
                }
                _ => {}
            }
        }
        checklist
    }

    /// Marks "Create GitHub issues for action items" done when there is at least one action
    /// item and every one has its issue.
    pub fn with_action_items(mut self, items: &[ActionItem]) -> Self {
        if !items.is_empty() && items.iter().all(|i| i.issue.is_some()) {
            let numbers: Vec<String> = items
                .iter()
                .filter_map(|i| i.issue.as_ref().map(|r| format!("#{}", r.number)))
                .collect();
            self.mark(
                ChecklistItem::CreateActionItemIssues,
                Done {
                    at: None,
                    by: format!(
                        "{} {} filed",
                        if numbers.len() == 1 {
                            "issue"
                        } else {
                            "issues"
                        },
                        numbers.join(", ")
                    ),
                },
            );
        }
        self
    }

    fn mark(&mut self, item: ChecklistItem, done: Done) {
        if let Some(entry) = self.entries.iter_mut().find(|e| e.item == item)
            && entry.done.is_none()
        {
            entry.done = Some(done);
        }
    }

    /// Every item with its state, in the runbook's order.
    pub fn entries(&self) -> &[ChecklistEntry] {
        &self.entries
    }

    /// Whether `item` is done.
    pub fn is_done(&self, item: ChecklistItem) -> bool {
        self.entries
            .iter()
            .any(|e| e.item == item && e.done.is_some())
    }

    /// The items still to do, in the runbook's order.
    pub fn pending(&self) -> Vec<ChecklistItem> {
        self.entries
            .iter()
            .filter(|e| e.done.is_none())
            .map(|e| e.item)
            .collect()
    }

    /// Whether every item is done.
    pub fn is_complete(&self) -> bool {
        self.entries.iter().all(|e| e.done.is_some())
    }
}
