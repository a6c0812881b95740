//! The timeline's vocabulary: incident ids, flags, message kinds, checklist items, roles and
//! status-page statuses.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// An incident's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IncidentId(pub uuid::Uuid);

impl IncidentId {
    /// A new random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for IncidentId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        uuid::Uuid::parse_str(s)
            .map(Self)
            .map_err(|e| Error::invalid_input(format!("invalid incident id {s:?}: {e}")))
    }
}

/// Something that changes who must be told (runbook "Escalation Paths").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A security incident (data breach, leaked secrets): CTO.
    Security,
    /// Public communication is needed: CTO.
    PublicCommunication,
    /// A feature must be disabled: Product Lead.
    FeatureDisable,
    /// Users must be told: Product Lead.
    UserCommunication,
    /// Responders are unsure how to mitigate: Engineering Lead.
    MitigationUncertain,
}

/// Which runbook message a `MessagePosted` event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "message", content = "status")]
#[non_exhaustive]
pub enum MessageKind {
    /// "Acknowledged - investigating ...".
    Acknowledgement,
    /// "🚨 INCIDENT DETECTED 🚨".
    InitialNotification,
    /// "INITIAL ASSESSMENT".
    InitialAssessment,
    /// "📊 STATUS UPDATE".
    StatusUpdate,
    /// "MITIGATION APPLIED".
    MitigationApplied,
    /// "INCIDENT RESOLVED" (the short phase-4 message).
    IncidentResolved,
    /// "✅ INCIDENT RESOLVED" (the full resolution notification).
    ResolutionNotification,
    /// A status-page update.
    StatusPage(StatusPageStatus),
    /// A message to an escalation contact.
    Escalation,
    /// "Thank you to incident responders".
    ThankResponders,
    /// A page to a role (PagerDuty's trigger); the text is the page's summary.
    Page,
    /// The page acknowledged at the pager (the runbook's "Acknowledge PagerDuty alert").
    PageAcknowledgement,
    /// The page resolved at the pager (the checklist's "Close PagerDuty incident").
    PageResolution,
    /// Anything else.
    Other,
}

/// Where a queued message goes (see `EventKind::MessageQueued`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to")]
#[non_exhaustive]
pub enum Delivery {
    /// The incident channel; `threaded` messages are replies in the incident's thread (under
    /// the initial notification), when it has one.
    Chat {
        /// The channel.
        channel: String,
        /// Whether it is a reply in the incident's thread.
        threaded: bool,
    },
    /// The public status page (the status is the message kind's).
    StatusPage,
    /// The pager.
    Pager(PageOp),
}

/// What is asked of the pager. Every operation is keyed by the incident's dedup key, so the
/// pager itself makes a repeated one harmless (PagerDuty's `dedup_key`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum PageOp {
    /// Page `role`.
    Trigger {
        /// Who is paged.
        role: Role,
    },
    /// Acknowledge the page.
    Acknowledge,
    /// Resolve the page.
    Resolve,
}

/// A post-incident checklist item that is not recorded by another event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecklistItem {
    /// Update status page (resolved).
    UpdateStatusPage,
    /// Post resolution in #incident-response.
    PostResolution,
    /// Close PagerDuty incident.
    ClosePagerIncident,
    /// Thank incident responders.
    ThankResponders,
    /// Schedule postmortem (within 48 hours).
    SchedulePostmortem,
    /// Create GitHub issues for action items.
    CreateActionItemIssues,
    /// Update runbook with learnings.
    UpdateRunbook,
    /// Review SLO impact.
    ReviewSloImpact,
    /// Update monitoring/alerting if needed.
    UpdateMonitoring,
}

/// A role in the runbook's contact table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The on-call engineer (primary responder).
    OnCall,
    /// The engineering lead.
    EngineeringLead,
    /// The CTO.
    Cto,
    /// DevOps/SRE (infrastructure issues).
    DevOps,
    /// The product lead.
    ProductLead,
    /// The whole team (the engineering channel).
    Team,
}

impl Role {
    /// The runbook's name for the role.
    pub fn title(self) -> &'static str {
        match self {
            Role::OnCall => "On-Call Engineer",
            Role::EngineeringLead => "Engineering Lead",
            Role::Cto => "CTO",
            Role::DevOps => "DevOps/SRE",
            Role::ProductLead => "Product Lead",
            Role::Team => "Engineering Team",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// A status-page incident status, in the runbook's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusPageStatus {
    /// Investigating.
    Investigating,
    /// Identified.
    Identified,
    /// Monitoring.
    Monitoring,
    /// Resolved.
    Resolved,
}

impl StatusPageStatus {
    /// The runbook's heading, e.g. `Investigating`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Investigating => "Investigating",
            Self::Identified => "Identified",
            Self::Monitoring => "Monitoring",
            Self::Resolved => "Resolved",
        }
    }
}
