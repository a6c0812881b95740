//! Who is told when: the runbook's escalation paths and status-update cadence, as pure functions
//! of the incident and the time.
//!
//! [`due`] returns what should happen now and never returns what the timeline shows was already
//! done: a role that was escalated to (an `Escalated` event) is not returned again, and a status
//! update falls due one cadence after the last one posted.
//!
//! ```
//! use std::time::Duration;
//! use ir_core::classify::{classify, Signals};
//! use ir_core::escalation::{due, Due, EscalationPolicy};
//! use ir_core::incident::{Event, EventKind, Incident};
//! use ir_core::model::{IncidentId, Role};
//! use ir_core::SeverityPolicy;
//!
//! let t0: chrono::DateTime<chrono::Utc> = "2026-02-08T15:30:00Z".parse()?;
//! let p1 = classify(&Signals { pool_exhausted: true, ..Signals::default() }, &SeverityPolicy::runbook());
//! let incident = Incident::open(IncidentId::random(), "k",
//!     Event::new(t0, "watcher", EventKind::detected("Pool exhausted", "web", p1, None)))?;
//! let policy = EscalationPolicy::runbook();
//! let lead = |d: &Due| matches!(d, Due::Escalate { role: Role::EngineeringLead, .. });
//! assert!(!due(&incident, &policy, t0 + chrono::Duration::minutes(14)).iter().any(lead));
//! assert!(due(&incident, &policy, t0 + chrono::Duration::minutes(15)).iter().any(lead));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::incident::{EventKind, Incident};
use crate::model::{ActionKind, Flag, MessageKind, Role};
use crate::severity::Severity;

/// Why someone is escalated to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum EscalationReason {
    /// A P0 incident: Engineering Lead and CTO at once.
    TotalOutage,
    /// A P0 or P1 incident still unresolved after the delay.
    Unresolved {
        /// How long it has been open.
        #[serde(with = "humantime_serde")]
        after: Duration,
    },
    /// A P2 incident: tell the team.
    DegradedPerformance,
    /// A flag raised on the incident.
    Flagged {
        /// The flag.
        flag: Flag,
    },
}

impl fmt::Display for EscalationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TotalOutage => f.write_str("P0 incident (total outage)"),
            Self::Unresolved { after } => {
                write!(
                    f,
                    "P0/P1 incident unresolved after {} minutes",
                    after.as_secs() / 60
                )
            }
            Self::DegradedPerformance => f.write_str("P2 incident (degraded performance)"),
            Self::Flagged { flag } => f.write_str(match flag {
                Flag::Security => "security incident",
                Flag::PublicCommunication => "public communication needed",
                Flag::FeatureDisable => "need to disable a feature",
                Flag::UserCommunication => "user communication required",
                Flag::MitigationUncertain => "uncertainty about the mitigation approach",
            }),
        }
    }
}

/// Something due now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "due")]
#[non_exhaustive]
pub enum Due {
    /// Tell `role`, with the configured contacts.
    Escalate {
        /// Who.
        role: Role,
        /// Why.
        reason: EscalationReason,
        /// The configured contacts for the role (may be empty).
        contacts: Vec<String>,
    },
    /// The initial notification has not been posted yet.
    InitialNotification,
    /// A status update is due (it was due at `due_at`).
    StatusUpdate {
        /// When it fell due.
        due_at: Timestamp,
    },
}

/// Escalation timers, the status cadence and the contact for each role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EscalationPolicy {
    /// P0/P1 unresolved after this long: Engineering Lead (runbook: 15 minutes).
    #[serde(with = "humantime_serde")]
    pub lead_after: Duration,
    /// Interval between status updates (runbook: every 15-30 minutes).
    #[serde(with = "humantime_serde")]
    pub status_cadence: Duration,
    /// Contacts per role, keyed in TOML by the role's snake-case name: `on_call`,
    /// `engineering_lead`, `cto`, `dev_ops`, `product_lead`, `team`, e.g.
    /// `contacts.engineering_lead = ["@eng-lead"]` (in the facade's `ir.toml`, under
    /// `[escalation.contacts]`). Deserializing merges the roles given onto the runbook's
    /// contacts: a role left out keeps its default, and `[]` clears one. See
    /// [`EscalationPolicy::contacts`](Self::contacts()) for an example.
    #[serde(deserialize_with = "contacts_onto_runbook")]
    pub contacts: BTreeMap<Role, Vec<String>>,
}

/// The contacts given, each replacing the runbook's for its role; the other roles keep theirs.
fn contacts_onto_runbook<'de, D>(
    deserializer: D,
) -> std::result::Result<BTreeMap<Role, Vec<String>>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let given = BTreeMap::<Role, Vec<String>>::deserialize(deserializer)?;
    let mut contacts = EscalationPolicy::runbook().contacts;
    contacts.extend(given);
    Ok(contacts)
}

impl Default for EscalationPolicy {
    fn default() -> Self {
        Self::runbook()
    }
}

impl EscalationPolicy {
    /// The runbook's timers and contacts.
    pub fn runbook() -> Self {
        let contacts = BTreeMap::from([
            (Role::OnCall, vec!["PagerDuty".to_owned()]),
            (Role::EngineeringLead, vec!["@eng-lead".to_owned()]),
            (Role::Cto, vec!["@cto".to_owned()]),
            (Role::DevOps, vec!["#devops".to_owned()]),
            (Role::ProductLead, vec!["@product-lead".to_owned()]),
            (Role::Team, vec!["#engineering".to_owned()]),
        ]);
        Self {
            lead_after: Duration::from_secs(15 * 60),
            status_cadence: Duration::from_secs(15 * 60),
            contacts,
        }
    }

    /// Sets the status-update cadence.
    ///
    /// # Errors
    /// `Config` when `cadence` is zero.
    pub fn with_status_cadence(mut self, cadence: Duration) -> Result<Self> {
        if cadence.is_zero() {
            return Err(Error::config("status_cadence must be greater than zero"));
        }
        self.status_cadence = cadence;
        Ok(self)
    }

    /// Sets the contacts for `role`.
    pub fn with_contacts(
        mut self,
        role: Role,
        contacts: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.contacts
            .insert(role, contacts.into_iter().map(Into::into).collect());
        self
    }

    /// The contacts for `role`.
    ///
    /// In TOML the roles are keyed `on_call`, `engineering_lead`, `cto`, `dev_ops`,
    /// `product_lead` and `team`; setting one keeps the runbook's contacts for the others:
    ///
    /// ```
    /// use ir_core::escalation::EscalationPolicy;
    /// use ir_core::model::Role;
    ///
    /// let policy: EscalationPolicy = toml::from_str(r#"
    ///     [contacts]
    ///     engineering_lead = ["@alice"]
    ///     dev_ops = []
    /// "#)?;
    /// assert_eq!(policy.contacts(Role::EngineeringLead), ["@alice"]);
    /// assert!(policy.contacts(Role::DevOps).is_empty()); // `[]` clears a role
    /// assert_eq!(policy.contacts(Role::Cto), ["@cto"]); // the runbook's, kept
    /// assert_eq!(policy.contacts(Role::OnCall), ["PagerDuty"]);
    /// # Ok::<(), toml::de::Error>(())
    /// ```
    pub fn contacts(&self, role: Role) -> &[String] {
        self.contacts.get(&role).map_or(&[], Vec::as_slice)
    }
}

/// Escalations and status messages due at `now` for `incident`, none of which the timeline
/// already shows done. Nothing is due once the incident is resolved.
pub fn due(incident: &Incident, policy: &EscalationPolicy, now: Timestamp) -> Vec<Due> {
    if !incident.phase().is_open() {
        return Vec::new();
    }
    let already = incident.escalated_roles();
    let mut wanted: Vec<(Role, EscalationReason)> = Vec::new();
    let severity = incident.severity();
    if severity == Severity::P0 {
        wanted.push((Role::EngineeringLead, EscalationReason::TotalOutage));
        wanted.push((Role::Cto, EscalationReason::TotalOutage));
    }
    if severity >= Severity::P1
        && now >= crate::clock::add(incident.detected_at(), policy.lead_after)
    {
        wanted.push((
            Role::EngineeringLead,
            EscalationReason::Unresolved {
                after: policy.lead_after,
            },
        ));
    }
    if severity == Severity::P2 {
        wanted.push((Role::Team, EscalationReason::DegradedPerformance));
    }
    let mut flags = incident.flags().clone();
    if incident
        .actions()
        .any(|a| matches!(a.action.kind, ActionKind::DisableFeatureFlag { .. }))
    {
        flags.insert(Flag::FeatureDisable);
    }
    for flag in flags {
        let role = match flag {
            Flag::Security | Flag::PublicCommunication => Role::Cto,
            Flag::FeatureDisable | Flag::UserCommunication => Role::ProductLead,
            Flag::MitigationUncertain => Role::EngineeringLead,
        };
        wanted.push((role, EscalationReason::Flagged { flag }));
    }

    let mut out = Vec::new();
    let mut seen = already.clone();
    for (role, reason) in wanted {
        if seen.insert(role) {
            out.push(Due::Escalate {
                role,
                reason,
                contacts: policy.contacts(role).to_vec(),
            });
        }
    }

    if severity >= Severity::P2 {
        // A queued message counts from when it was queued, delivered or not: it is never
        // queued twice.
        let last_status = incident
            .timeline()
            .iter()
            .filter_map(|e| match &e.event.kind {
                EventKind::MessageQueued { kind, .. }
                | EventKind::MessagePosted {
                    kind, queued: None, ..
                } => Some((e.event.at, *kind)),
                _ => None,
            })
            .filter(|(_, kind)| {
                matches!(
                    kind,
                    MessageKind::InitialNotification | MessageKind::StatusUpdate
                )
            })
            .map(|(at, _)| at)
            .max();
        match last_status {
            None => out.push(Due::InitialNotification),
            Some(last) => {
                let due_at = crate::clock::add(last, policy.status_cadence);
                if now >= due_at {
                    out.push(Due::StatusUpdate { due_at });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Classification, Reachability, Signals, classify};
    use crate::incident::Event;
    use crate::model::IncidentId;
    use crate::severity::SeverityPolicy;

    #[test]
    fn one_contact_set_in_toml_keeps_the_other_roles_defaults() {
        let policy: EscalationPolicy = toml::from_str(
            "lead_after = \"10m\"\n[contacts]\nengineering_lead = [\"@alice\"]\ndev_ops = []\n",
        )
        .unwrap();
        assert_eq!(policy.lead_after, Duration::from_secs(600));
        assert_eq!(policy.contacts(Role::EngineeringLead), ["@alice"]);
        assert!(policy.contacts(Role::DevOps).is_empty(), "[] clears a role");
        let runbook = EscalationPolicy::runbook();
        for role in [Role::OnCall, Role::Cto, Role::ProductLead, Role::Team] {
            assert_eq!(policy.contacts(role), runbook.contacts(role), "{role:?}");
        }
        // The runbook's own names are the snake-case ones; the Rust names are refused.
        assert!(toml::from_str::<EscalationPolicy>("[contacts]\nEngineeringLead = []\n").is_err());
        // A policy written out reads back the same.
        let text = toml::to_string(&policy).unwrap();
        assert_eq!(toml::from_str::<EscalationPolicy>(&text).unwrap(), policy);
    }

    fn t(min: i64) -> Timestamp {
        let base: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
        base + chrono::Duration::minutes(min)
    }

    fn classification(signals: Signals) -> Classification {
        classify(&signals, &SeverityPolicy::runbook())
    }

    fn incident(c: Classification) -> Incident {
        Incident::open(
            IncidentId::random(),
            "k",
            Event::new(t(0), "w", EventKind::detected("x", "web", c, None)),
        )
        .unwrap()
    }

    fn p0() -> Incident {
        incident(classification(Signals {
            homepage: Some(Reachability::Status(503)),
            ..Signals::default()
        }))
    }

    fn p1() -> Incident {
        incident(classification(Signals {
            pool_exhausted: true,
            ..Signals::default()
        }))
    }

    fn roles(d: &[Due]) -> Vec<Role> {
        d.iter()
            .filter_map(|d| match d {
                Due::Escalate { role, .. } => Some(*role),
                _ => None,
            })
            .collect()
    }

    fn record_escalations(i: &mut Incident, d: &[Due], at: i64) {
        for item in d {
            if let Due::Escalate { role, reason, .. } = item {
                i.record(Event::new(
                    t(at),
                    "runner",
                    EventKind::Escalated {
                        role: *role,
                        reason: reason.to_string(),
                    },
                ))
                .unwrap();
            }
        }
    }

    #[test]
    fn p0_escalates_to_lead_and_cto_at_once_and_only_once() {
        let policy = EscalationPolicy::runbook();
        let mut i = p0();
        let first = due(&i, &policy, t(0));
        assert_eq!(roles(&first), vec![Role::EngineeringLead, Role::Cto]);
        if let Due::Escalate { contacts, .. } = &first[0] {
            assert_eq!(contacts, &vec!["@eng-lead".to_owned()]);
        }
        record_escalations(&mut i, &first, 0);
        for minute in [0, 1, 15, 16, 60] {
            assert!(
                roles(&due(&i, &policy, t(minute))).is_empty(),
                "minute {minute}"
            );
        }
    }

    #[test]
    fn p1_escalates_to_lead_at_minute_fifteen_not_before() {
        let policy = EscalationPolicy::runbook();
        let mut i = p1();
        for minute in [0, 5, 14] {
            assert!(
                roles(&due(&i, &policy, t(minute))).is_empty(),
                "minute {minute}"
            );
        }
        let at15 = due(&i, &policy, t(15));
        assert_eq!(roles(&at15), vec![Role::EngineeringLead]);
        record_escalations(&mut i, &at15, 15);
        assert!(roles(&due(&i, &policy, t(16))).is_empty());
    }

    #[test]
    fn status_updates_fall_due_on_cadence_and_stop_after_resolution() {
        let policy = EscalationPolicy::runbook()
            .with_status_cadence(Duration::from_secs(20 * 60))
            .unwrap();
        let mut i = p1();
        let status = |d: &[Due]| {
            d.iter()
                .find(|d| !matches!(d, Due::Escalate { .. }))
                .cloned()
        };
        assert_eq!(
            status(&due(&i, &policy, t(0))),
            Some(Due::InitialNotification)
        );
        let post = |i: &mut Incident, at: i64, kind| {
            i.record(Event::new(
                t(at),
                "runner",
                EventKind::MessagePosted {
                    kind,
                    channel: "#incident-response".into(),
                    text: "..".into(),
                    provider_id: None,
                    queued: None,
                },
            ))
            .unwrap();
        };
        post(&mut i, 0, MessageKind::InitialNotification);
        assert_eq!(status(&due(&i, &policy, t(19))), None);
        assert_eq!(
            status(&due(&i, &policy, t(20))),
            Some(Due::StatusUpdate { due_at: t(20) })
        );
        assert_eq!(
            status(&due(&i, &policy, t(27))),
            Some(Due::StatusUpdate { due_at: t(20) })
        );
        post(&mut i, 27, MessageKind::StatusUpdate);
        assert_eq!(status(&due(&i, &policy, t(46))), None);
        assert_eq!(
            status(&due(&i, &policy, t(47))),
            Some(Due::StatusUpdate { due_at: t(47) })
        );

        // Walk to resolution: nothing more is due, however late.
        let key = crate::model::IdempotencyKey::new("a");
        for e in [
            EventKind::Acknowledged { by: "a".into() },
            EventKind::InvestigationStarted,
            EventKind::HypothesisPosted { hypotheses: vec![] },
            EventKind::proposed(crate::model::Action::new(
                "a",
                ActionKind::Restart {
                    deployment: crate::model::DeploymentId::new("d"),
                },
            )),
            EventKind::ActionApproved {
                key: key.clone(),
                by: "p".into(),
            },
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
            EventKind::ActionSucceeded {
                key,
                detail: "ok".into(),
            },
            EventKind::MitigationVerified {
                summary: "ok".into(),
            },
            EventKind::resolved("x", "y"),
        ] {
            i.record(Event::new(t(48), "r", e)).unwrap();
        }
        assert!(due(&i, &policy, t(500)).is_empty());
    }

    #[test]
    fn flags_route_to_cto_and_product_lead() {
        let policy = EscalationPolicy::runbook();
        let mut i = incident(classification(Signals {
            ui_defect: true,
            ..Signals::default()
        }));
        i.record(Event::new(
            t(1),
            "r",
            EventKind::Flagged {
                flag: Flag::Security,
            },
        ))
        .unwrap();
        i.record(Event::new(
            t(1),
            "r",
            EventKind::Flagged {
                flag: Flag::UserCommunication,
            },
        ))
        .unwrap();
        assert_eq!(
            roles(&due(&i, &policy, t(1))),
            vec![Role::Cto, Role::ProductLead]
        );
    }

    #[test]
    fn p2_tells_the_team_channel() {
        let policy = EscalationPolicy::runbook();
        let i = incident(classification(Signals {
            resource_spike: true,
            ..Signals::default()
        }));
        let d = due(&i, &policy, t(0));
        assert_eq!(roles(&d), vec![Role::Team]);
        assert!(
            matches!(&d[0], Due::Escalate { contacts, .. } if contacts == &vec!["#engineering".to_owned()])
        );
    }

    #[test]
    fn absurd_timers_from_configuration_never_panic() {
        let policy: EscalationPolicy =
            toml::from_str("lead_after = \"300000years\"\nstatus_cadence = \"300000years\"")
                .unwrap();
        let mut i = p1();
        i.record(Event::new(
            t(0),
            "r",
            EventKind::MessagePosted {
                kind: MessageKind::InitialNotification,
                channel: "#incident-response".into(),
                text: "..".into(),
                provider_id: None,
                queued: None,
            },
        ))
        .unwrap();
        // Capped at a hundred years: not due in a day, and no overflow.
        assert!(due(&i, &policy, t(24 * 60)).is_empty());
    }

    #[test]
    fn zero_cadence_is_a_config_error() {
        assert!(
            EscalationPolicy::runbook()
                .with_status_cadence(Duration::ZERO)
                .is_err()
        );
    }
}
