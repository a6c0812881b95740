//! The convenience constructors fill messages from a scripted incident's timeline.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use ir_core::classify::{Signals, classify};
use ir_core::comms::{
    Acknowledgement, IncidentResolved, InitialAssessment, InitialNotification, Message,
    MitigationApplied, ResolutionNotification, StatusUpdate, Templates, phase_status,
};
use ir_core::incident::{Event, EventKind, Incident, Phase};
use ir_core::model::DeploymentId;
use ir_core::model::IncidentId;
use ir_core::model::{
    Action, ActionKind, Evidence, EvidenceId, EvidenceOutcome, Hypothesis, IdempotencyKey,
    Observation,
};
use ir_core::ports::FingerprintKey;
use ir_core::{ErrorKind, Severity, SeverityPolicy};
use secrecy::SecretString;

const SECRET: &str = "s3cr3t-NEXTAUTH-value-4f9a2c";

fn t(hh: u32, mm: u32) -> DateTime<Utc> {
    format!("2026-02-08T{hh:02}:{mm:02}:00Z").parse().unwrap()
}

fn min(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn ev(at: DateTime<Utc>, kind: EventKind) -> Event {
    Event::new(at, "@alice", kind)
}

fn set_secret() -> Action {
    Action::new(
        "set-nextauth-secret",
        ActionKind::SetVariable {
            name: "NEXTAUTH_SECRET".into(),
            value_fingerprint: FingerprintKey::from_secret(&SecretString::from("test key"))
                .fingerprint(&SecretString::from(SECRET.to_owned())),
        },
    )
}

fn key() -> IdempotencyKey {
    set_secret().key
}

fn hypothesis(cause: &str, summary: &str, confidence: f64) -> Hypothesis {
    Hypothesis {
        playbook: "missing_auth_secret".into(),
        cause: cause.into(),
        summary: summary.into(),
        confidence,
        supporting: vec![EvidenceId::new("ev-1")],
        contradicting: vec![],
    }
}

/// Scenario 2 (NextAuth NO_SECRET) from detection to the postmortem being scheduled, stopping
/// after `steps` events.
fn scripted(steps: usize) -> Incident {
    let p1 = classify(
        &Signals {
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let detected = Event::new(
        t(15, 30),
        "health-watcher",
        EventKind::detected("Login failing", "www.ainative.studio", p1, Some(t(15, 26))),
    );
    let mut incident = Incident::open(IncidentId::random(), "auth", detected).unwrap();
    let script = vec![
        ev(
            t(15, 32),
            EventKind::Acknowledged {
                by: "@alice".into(),
            },
        ),
        ev(t(15, 33), EventKind::InvestigationStarted),
        ev(
            t(15, 34),
            EventKind::EvidenceCollected {
                evidence: Evidence {
                    id: EvidenceId::new("ev-1"),
                    probe: "variable_presence".into(),
                    source: "railway".into(),
                    collected_at: t(15, 34),
                    outcome: EvidenceOutcome::Observed {
                        observation: Observation::VariablePresence {
                            name: "NEXTAUTH_SECRET".into(),
                            present: false,
                        },
                    },
                },
            },
        ),
        ev(
            t(15, 38),
            EventKind::HypothesisPosted {
                hypotheses: vec![
                    hypothesis("crash_loop", "Recent deployment crash loop", 0.2),
                    hypothesis(
                        "missing_auth_secret",
                        "NEXTAUTH_SECRET is not set in Railway",
                        0.9,
                    ),
                ],
            },
        ),
        ev(t(15, 40), EventKind::proposed(set_secret())),
        ev(
            t(15, 40),
            EventKind::ActionApproved {
                key: key(),
                by: "@alice".into(),
            },
        ),
        ev(
            t(15, 41),
            EventKind::ActionStarted {
                key: key(),
                dry_run: false,
            },
        ),
        ev(
            t(15, 42),
            EventKind::ActionSucceeded {
                key: key(),
                detail: "variable set; redeploy started".into(),
            },
        ),
        ev(
            t(15, 45),
            EventKind::MitigationVerified {
                summary: "/api/auth/signin answered 200 three times".into(),
            },
        ),
        ev(
            t(16, 0),
            EventKind::resolved(
                "NEXTAUTH_SECRET environment variable not set in Railway after recent deployment",
                "Added NEXTAUTH_SECRET to Railway, service restarted",
            ),
        ),
        ev(
            t(16, 5),
            EventKind::PostmortemScheduled {
                at: "2026-02-09T10:00:00Z".parse().unwrap(),
            },
        ),
    ];
    for event in script.into_iter().take(steps) {
        incident.record(event).unwrap();
    }
    incident
}

fn all() -> Incident {
    scripted(usize::MAX)
}

fn render(message: impl Into<Message>) -> String {
    let r = Templates::builtin().render(&message.into()).unwrap();
    assert!(!r.text.contains(SECRET) && !r.mrkdwn.contains(SECRET));
    r.text
}

#[test]
fn acknowledgement_names_the_incident() {
    let m = Acknowledgement::from_incident(&scripted(0));
    assert_eq!(m.incident_name, "Login failing");
    assert_eq!(render(m), "Acknowledged - investigating Login failing");
}

#[test]
fn initial_notification_from_a_new_incident() {
    let incident = scripted(0);
    let m = InitialNotification::from_incident(
        &incident,
        t(15, 31),
        "@alice",
        "Users cannot log in",
        min(15),
    )
    .with_huddle("https://meet.example/ir");
    assert_eq!(m.severity, Severity::P1);
    assert_eq!(m.service, "www.ainative.studio");
    assert_eq!(m.detected_at, t(15, 30));
    assert_eq!(m.status, "Investigating");
    assert_eq!(m.next_update_at, t(15, 46));
    assert_eq!(m.update_interval, min(15));
    assert_eq!(
        render(m),
        "🚨 INCIDENT DETECTED 🚨

Severity: P1
Service: www.ainative.studio
Impact: Users cannot log in
Detected: 2026-02-08 15:30 UTC
Responder: @alice

Status: Investigating
Next Update: 15:46 UTC (15 min)

Join incident huddle: https://meet.example/ir"
    );
}

#[test]
fn initial_assessment_takes_the_most_confident_hypothesis() {
    let before = InitialAssessment::from_incident(
        &scripted(3),
        t(15, 37),
        "Users cannot log in",
        "Reviewing logs",
        None,
    )
    .unwrap_err();
    assert_eq!(before.kind(), ErrorKind::InvalidInput);

    let m = InitialAssessment::from_incident(
        &scripted(4),
        t(15, 38),
        "Users cannot log in",
        "Setting the secret",
        Some(min(10)),
    )
    .unwrap();
    assert_eq!(m.hypothesis, "NEXTAUTH_SECRET is not set in Railway");
    assert_eq!(m.severity, Severity::P1);
    assert_eq!(
        render(m),
        "INITIAL ASSESSMENT - 15:38 UTC
Severity: P1
Impact: Users cannot log in
Hypothesis: NEXTAUTH_SECRET is not set in Railway
Next Steps: Setting the secret
ETA: 10 minutes"
    );
}

#[test]
fn status_update_lists_the_cause_and_where_each_action_stands() {
    let incident = scripted(7);
    assert_eq!(incident.phase(), Phase::Mitigating);
    let m = StatusUpdate::from_incident(
        &incident,
        t(15, 41),
        "Login failing for all users",
        Some(min(5)),
        min(15),
    );
    assert_eq!(m.duration, min(11));
    assert_eq!(m.current_status, "Mitigation in progress");
    assert_eq!(
        m.actions_taken,
        [
            "Identified likely cause: NEXTAUTH_SECRET is not set in Railway",
            "Set NEXTAUTH_SECRET (in progress)",
        ]
    );
    assert_eq!(m.next_update_at, t(15, 56));
    let text = render(m);
    assert!(
        text.starts_with("📊 STATUS UPDATE - 15:41 UTC\n\nSeverity: P1\nDuration: 11 minutes\n")
    );

    let later = StatusUpdate::from_incident(&scripted(8), t(15, 43), "Recovering", None, min(15));
    assert_eq!(later.actions_taken[1], "Set NEXTAUTH_SECRET");
}

#[test]
fn mitigation_applied_reports_what_succeeded() {
    let err = MitigationApplied::from_incident(&scripted(7), t(15, 41), "-", "-").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let m = MitigationApplied::from_incident(
        &scripted(9),
        t(15, 45),
        "Logins succeed again",
        "Monitor for 15 min, then root cause analysis",
    )
    .unwrap();
    assert_eq!(m.action, "Set NEXTAUTH_SECRET");
    assert_eq!(
        render(m),
        "MITIGATION APPLIED - 15:45 UTC
Action: Set NEXTAUTH_SECRET
Status: Logins succeed again
Next Steps: Monitor for 15 min, then root cause analysis"
    );
}

#[test]
fn resolved_messages_need_a_resolved_incident() {
    let open = scripted(9);
    assert_eq!(
        IncidentResolved::from_incident(&open).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        ResolutionNotification::from_incident(&open, "x", vec![], vec![])
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn incident_resolved_from_the_resolution_and_the_postmortem_date() {
    let m = IncidentResolved::from_incident(&scripted(10)).unwrap();
    assert_eq!(m.postmortem_at, None);
    assert!(render(m).ends_with("Follow-up: Postmortem to be scheduled (within 48 hours)"));

    let m = IncidentResolved::from_incident(&all()).unwrap();
    assert_eq!(m.at, t(16, 0));
    assert_eq!(m.total_duration, min(30));
    assert_eq!(
        render(m),
        "INCIDENT RESOLVED - 16:00 UTC
Total Duration: 30 minutes
Root Cause: NEXTAUTH_SECRET environment variable not set in Railway after recent deployment
Mitigation: Added NEXTAUTH_SECRET to Railway, service restarted
Follow-up: Postmortem scheduled for 2026-02-09 10:00 AM"
    );
}

#[test]
fn resolution_notification_from_the_timeline_is_the_runbooks() {
    let m = ResolutionNotification::from_incident(
        &all(),
        "Dashboard errors (peak 30% of users)",
        vec![
            "Error rate at baseline (0.3%)".into(),
            "Latency p95 at 800ms (within SLO)".into(),
        ],
        vec!["@engineer1".into(), "@engineer2".into()],
    )
    .unwrap();
    assert_eq!(
        render(m),
        "✅ INCIDENT RESOLVED - 16:00 UTC

Severity: P1
Total Duration: 30 minutes
User Impact: Dashboard errors (peak 30% of users)

Root Cause: NEXTAUTH_SECRET environment variable not set in Railway after recent deployment

Mitigation: Added NEXTAUTH_SECRET to Railway, service restarted

Current Status: ✅ Error rate at baseline (0.3%)
Current Status: ✅ Latency p95 at 800ms (within SLO)

Next Steps:
- Postmortem scheduled for 2026-02-09 10:00 AM
- Action items to prevent recurrence

Thank you to incident responders: @engineer1, @engineer2"
    );
}

#[test]
fn phases_and_actions_read_like_the_runbook() {
    assert_eq!(phase_status(Phase::Detected), "Investigating");
    assert_eq!(phase_status(Phase::Identified), "Identified");
    assert_eq!(phase_status(Phase::Mitigating), "Mitigation in progress");
    assert_eq!(phase_status(Phase::Monitoring), "Monitoring");
    assert_eq!(phase_status(Phase::Resolved), "Resolved");
    let cases = [
        (
            ActionKind::Rollback {
                to: DeploymentId::new("d-41"),
                from: Some(DeploymentId::new("d-42")),
            },
            "Rolled back to deployment d-41",
        ),
        (
            ActionKind::Restart {
                deployment: DeploymentId::new("d-42"),
            },
            "Restarted d-42",
        ),
        (
            ActionKind::TerminateIdleConnections {
                older_than: min(10),
                application_name: None,
                user: None,
            },
            "Terminated database connections idle for more than 10 minutes",
        ),
        (
            ActionKind::OpenRevertPr {
                commit_sha: "abc1234def5678".into(),
                base: "main".into(),
            },
            "Opened a pull request reverting abc1234 into main",
        ),
        (
            ActionKind::DisableFeatureFlag {
                name: "FEATURE_FLAG_X".into(),
            },
            "Disabled feature flag FEATURE_FLAG_X",
        ),
    ];
    for (kind, text) in cases {
        assert_eq!(kind.past_tense(), text);
    }
}

#[test]
fn message_kinds_match_what_the_timeline_records() {
    use ir_core::model::MessageKind;
    let incident = all();
    let kinds = [
        (
            Message::from(Acknowledgement::from_incident(&incident)),
            MessageKind::Acknowledgement,
        ),
        (
            IncidentResolved::from_incident(&incident).unwrap().into(),
            MessageKind::IncidentResolved,
        ),
    ];
    for (message, kind) in kinds {
        assert_eq!(message.kind(), kind);
    }
}
