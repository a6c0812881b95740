//! Golden tests: every built-in template renders the runbook's example text, from typed data,
//! as plain text and as Slack mrkdwn.
//!
//! The expected texts are the runbook's "Communication Templates" and phase 2-4 examples,
//! verbatim, with the emoji its copy stored broken (`ðŸš¨`, `ðŸ“Š`, `âœ…`) written as the real
//! characters, and without the `[Slack #incident-response]` / `[Status Page Update]` lines,
//! which say where a message goes rather than what it says. The phase 2-4 examples leave the
//! time as `[TIMESTAMP]` and the postmortem date as `[DATE]`; here they are filled in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use ir_core::comms::{
    Acknowledgement, IncidentResolved, InitialAssessment, InitialNotification, Message,
    MitigationApplied, Rendered, ResolutionNotification, StatusPageMessage, StatusUpdate,
    Templates,
};
use ir_core::model::MessageKind;
use ir_core::model::StatusPageStatus;
use ir_core::{ErrorKind, Severity};

fn at(rfc3339: &str) -> DateTime<Utc> {
    rfc3339.parse().unwrap()
}

fn min(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn render(message: impl Into<Message>) -> Rendered {
    Templates::builtin().render(&message.into()).unwrap()
}

fn initial_notification() -> InitialNotification {
    InitialNotification {
        severity: Severity::P1,
        service: "www.ainative.studio".into(),
        impact: "Dashboard returning 500 errors for ~30% of users".into(),
        detected_at: at("2026-02-08T15:30:00Z"),
        responder: "@engineer-name".into(),
        status: "Investigating".into(),
        next_update_at: at("2026-02-08T15:45:00Z"),
        update_interval: min(15),
        huddle: Some("[Zoom/Slack link]".into()),
    }
}

#[test]
fn initial_notification_is_the_runbooks() {
    let r = render(initial_notification());
    assert_eq!(r.kind, MessageKind::InitialNotification);
    assert_eq!(
        r.text,
        "🚨 INCIDENT DETECTED 🚨

Severity: P1
Service: www.ainative.studio
Impact: Dashboard returning 500 errors for ~30% of users
Detected: 2026-02-08 15:30 UTC
Responder: @engineer-name

Status: Investigating
Next Update: 15:45 UTC (15 min)

Join incident huddle: [Zoom/Slack link]"
    );
    assert_eq!(
        r.mrkdwn,
        "*🚨 INCIDENT DETECTED 🚨*

*Severity:* P1
*Service:* www.ainative.studio
*Impact:* Dashboard returning 500 errors for ~30% of users
*Detected:* 2026-02-08 15:30 UTC
*Responder:* @engineer-name

*Status:* Investigating
*Next Update:* 15:45 UTC (15 min)

Join incident huddle: [Zoom/Slack link]"
    );
}

#[test]
fn initial_notification_without_a_huddle_leaves_the_line_out() {
    let r = render(InitialNotification {
        huddle: None,
        ..initial_notification()
    });
    assert!(
        r.text.ends_with("Next Update: 15:45 UTC (15 min)"),
        "{}",
        r.text
    );
    assert!(!r.text.contains("huddle"));
}

#[test]
fn status_update_is_the_runbooks() {
    let r = render(StatusUpdate {
        at: at("2026-02-08T15:45:00Z"),
        severity: Severity::P1,
        duration: min(15),
        current_status: "Mitigation in progress".into(),
        actions_taken: vec![
            "Identified root cause: Missing NEXTAUTH_SECRET env var".into(),
            "Adding env var to Railway".into(),
            "Preparing to restart service".into(),
        ],
        impact: "Error rate decreased from 30% to 15%".into(),
        eta: Some(min(10)),
        next_update_at: at("2026-02-08T16:00:00Z"),
    });
    assert_eq!(r.kind, MessageKind::StatusUpdate);
    assert_eq!(
        r.text,
        "📊 STATUS UPDATE - 15:45 UTC

Severity: P1
Duration: 15 minutes

Current Status: Mitigation in progress
Actions Taken:
- Identified root cause: Missing NEXTAUTH_SECRET env var
- Adding env var to Railway
- Preparing to restart service

Impact: Error rate decreased from 30% to 15%
ETA to Resolution: 10 minutes

Next Update: 16:00 UTC"
    );
    assert_eq!(
        r.mrkdwn,
        "*📊 STATUS UPDATE - 15:45 UTC*

*Severity:* P1
*Duration:* 15 minutes

*Current Status:* Mitigation in progress
*Actions Taken:*
- Identified root cause: Missing NEXTAUTH_SECRET env var
- Adding env var to Railway
- Preparing to restart service

*Impact:* Error rate decreased from 30% to 15%
*ETA to Resolution:* 10 minutes

*Next Update:* 16:00 UTC"
    );
}

#[test]
fn status_update_without_actions_or_eta_says_so() {
    let r = render(StatusUpdate {
        at: at("2026-02-08T15:45:00Z"),
        severity: Severity::P0,
        duration: min(75),
        current_status: "Investigating".into(),
        actions_taken: vec![],
        impact: "Site down".into(),
        eta: None,
        next_update_at: at("2026-02-08T16:00:00Z"),
    });
    assert!(
        r.text.contains("Duration: 1 hour 15 minutes\n"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("Actions Taken:\n- none yet\n"),
        "{}",
        r.text
    );
    assert!(
        r.text.contains("ETA to Resolution: unknown\n"),
        "{}",
        r.text
    );
}

fn resolution_notification() -> ResolutionNotification {
    ResolutionNotification {
        at: at("2026-02-08T16:00:00Z"),
        severity: Severity::P1,
        total_duration: min(30),
        user_impact: "Dashboard errors (peak 30% of users)".into(),
        root_cause:
            "NEXTAUTH_SECRET environment variable not set in Railway after recent deployment".into(),
        mitigation: "Added NEXTAUTH_SECRET to Railway, service restarted".into(),
        current_status: vec![
            "Error rate at baseline (0.3%)".into(),
            "Latency p95 at 800ms (within SLO)".into(),
        ],
        postmortem_at: Some(at("2026-02-09T10:00:00Z")),
        next_steps: vec!["Action items to prevent recurrence".into()],
        responders: vec!["@engineer1".into(), "@engineer2".into()],
    }
}

#[test]
fn resolution_notification_is_the_runbooks() {
    let r = render(resolution_notification());
    assert_eq!(r.kind, MessageKind::ResolutionNotification);
    assert_eq!(
        r.text,
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
    assert_eq!(
        r.mrkdwn,
        "*✅ INCIDENT RESOLVED - 16:00 UTC*

*Severity:* P1
*Total Duration:* 30 minutes
*User Impact:* Dashboard errors (peak 30% of users)

*Root Cause:* NEXTAUTH_SECRET environment variable not set in Railway after recent deployment

*Mitigation:* Added NEXTAUTH_SECRET to Railway, service restarted

*Current Status:* ✅ Error rate at baseline (0.3%)
*Current Status:* ✅ Latency p95 at 800ms (within SLO)

*Next Steps:*
- Postmortem scheduled for 2026-02-09 10:00 AM
- Action items to prevent recurrence

Thank you to incident responders: @engineer1, @engineer2"
    );
}

#[test]
fn resolution_notification_leaves_out_empty_sections() {
    let r = render(ResolutionNotification {
        current_status: vec![],
        postmortem_at: None,
        next_steps: vec![],
        responders: vec![],
        ..resolution_notification()
    });
    assert!(
        r.text
            .ends_with("Mitigation: Added NEXTAUTH_SECRET to Railway, service restarted"),
        "{}",
        r.text
    );
}

#[test]
fn status_page_updates_are_the_runbooks() {
    let updates = [
        StatusPageMessage::new(
            StatusPageStatus::Investigating,
            at("2026-02-08T15:30:00Z"),
            "errors when accessing the dashboard",
            Some("500 errors".into()),
        ),
        StatusPageMessage::new(
            StatusPageStatus::Identified,
            at("2026-02-08T15:45:00Z"),
            "errors when accessing the dashboard",
            Some("~30% of dashboard requests affected".into()),
        ),
        StatusPageMessage::new(
            StatusPageStatus::Monitoring,
            at("2026-02-08T16:00:00Z"),
            "errors when accessing the dashboard",
            Some("Error rate returning to normal".into()),
        ),
        StatusPageMessage::new(
            StatusPageStatus::Resolved,
            at("2026-02-08T16:15:00Z"),
            "errors when accessing the dashboard",
            None,
        ),
    ];
    let rendered: Vec<Rendered> = updates.iter().cloned().map(render).collect();
    let kinds: Vec<MessageKind> = rendered.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        updates.map(|u| MessageKind::StatusPage(u.status)).to_vec()
    );
    let text: Vec<&str> = rendered.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        text.join("\n\n"),
        "**Investigating** - 15:30 UTC
We are investigating reports of errors when accessing the dashboard.
Users may experience 500 errors. Our team is actively investigating.

**Identified** - 15:45 UTC
We have identified the root cause and are implementing a fix.
Impact: ~30% of dashboard requests affected.

**Monitoring** - 16:00 UTC
A fix has been deployed and we are monitoring the situation.
Impact: Error rate returning to normal.

**Resolved** - 16:15 UTC
This incident has been resolved. All systems operational.
We apologize for any inconvenience."
    );
    for r in &rendered {
        assert_eq!(r.mrkdwn, r.text.replace("**", "*"));
    }
}

#[test]
fn status_page_without_impact_leaves_the_sentence_out() {
    let investigating = render(StatusPageMessage::new(
        StatusPageStatus::Investigating,
        at("2026-02-08T15:30:00Z"),
        "slow page loads",
        None,
    ));
    assert_eq!(
        investigating.text,
        "**Investigating** - 15:30 UTC
We are investigating reports of slow page loads.
Our team is actively investigating."
    );
    let identified = render(StatusPageMessage::new(
        StatusPageStatus::Identified,
        at("2026-02-08T15:45:00Z"),
        "slow page loads",
        None,
    ));
    assert_eq!(
        identified.text,
        "**Identified** - 15:45 UTC
We have identified the root cause and are implementing a fix."
    );
}

#[test]
fn initial_assessment_is_the_runbooks() {
    let r = render(InitialAssessment {
        at: at("2026-02-08T15:40:00Z"),
        severity: Severity::P1,
        impact: "Dashboard returning 500 errors (~30% of users)".into(),
        hypothesis: "Recent deployment (commit abc123) introduced undefined env var".into(),
        next_steps: "Reviewing logs, preparing rollback".into(),
        eta: Some(min(15)),
    });
    assert_eq!(r.kind, MessageKind::InitialAssessment);
    assert_eq!(
        r.text,
        "INITIAL ASSESSMENT - 15:40 UTC
Severity: P1
Impact: Dashboard returning 500 errors (~30% of users)
Hypothesis: Recent deployment (commit abc123) introduced undefined env var
Next Steps: Reviewing logs, preparing rollback
ETA: 15 minutes"
    );
    assert_eq!(
        r.mrkdwn,
        "*INITIAL ASSESSMENT - 15:40 UTC*
*Severity:* P1
*Impact:* Dashboard returning 500 errors (~30% of users)
*Hypothesis:* Recent deployment (commit abc123) introduced undefined env var
*Next Steps:* Reviewing logs, preparing rollback
*ETA:* 15 minutes"
    );
}

#[test]
fn mitigation_applied_is_the_runbooks() {
    let r = render(MitigationApplied {
        at: at("2026-02-08T15:55:00Z"),
        action: "Rolled back deployment to commit xyz789".into(),
        status: "Error rate dropped from 30% to 0.5%".into(),
        next_steps: "Monitor for 15 min, then root cause analysis".into(),
    });
    assert_eq!(r.kind, MessageKind::MitigationApplied);
    assert_eq!(
        r.text,
        "MITIGATION APPLIED - 15:55 UTC
Action: Rolled back deployment to commit xyz789
Status: Error rate dropped from 30% to 0.5%
Next Steps: Monitor for 15 min, then root cause analysis"
    );
    assert_eq!(
        r.mrkdwn,
        "*MITIGATION APPLIED - 15:55 UTC*
*Action:* Rolled back deployment to commit xyz789
*Status:* Error rate dropped from 30% to 0.5%
*Next Steps:* Monitor for 15 min, then root cause analysis"
    );
}

#[test]
fn incident_resolved_is_the_runbooks() {
    let message = IncidentResolved {
        at: at("2026-02-08T16:15:00Z"),
        total_duration: min(45),
        root_cause: "Missing NEXTAUTH_SECRET in Railway env vars".into(),
        mitigation: "Added env var, restarted service".into(),
        postmortem_at: Some(at("2026-02-09T10:00:00Z")),
    };
    let r = render(message.clone());
    assert_eq!(r.kind, MessageKind::IncidentResolved);
    assert_eq!(
        r.text,
        "INCIDENT RESOLVED - 16:15 UTC
Total Duration: 45 minutes
Root Cause: Missing NEXTAUTH_SECRET in Railway env vars
Mitigation: Added env var, restarted service
Follow-up: Postmortem scheduled for 2026-02-09 10:00 AM"
    );
    assert_eq!(
        r.mrkdwn,
        "*INCIDENT RESOLVED - 16:15 UTC*
*Total Duration:* 45 minutes
*Root Cause:* Missing NEXTAUTH_SECRET in Railway env vars
*Mitigation:* Added env var, restarted service
*Follow-up:* Postmortem scheduled for 2026-02-09 10:00 AM"
    );
    let unscheduled = render(IncidentResolved {
        postmortem_at: None,
        ..message
    });
    assert!(
        unscheduled
            .text
            .ends_with("Follow-up: Postmortem to be scheduled (within 48 hours)"),
        "{}",
        unscheduled.text
    );
}

#[test]
fn acknowledgement_is_the_runbooks() {
    let r = render(Acknowledgement {
        incident_name: "dashboard-500s".into(),
    });
    assert_eq!(r.kind, MessageKind::Acknowledgement);
    assert_eq!(r.text, "Acknowledged - investigating dashboard-500s");
    assert_eq!(r.mrkdwn, "Acknowledged - investigating dashboard-500s");
}

#[test]
fn mrkdwn_escapes_data_but_not_the_template() {
    let r = render(MitigationApplied {
        at: at("2026-02-08T15:55:00Z"),
        action: "Restarted <!channel> & <https://evil.example|click>".into(),
        status: "p95 > 5s".into(),
        next_steps: "none".into(),
    });
    assert_eq!(
        r.text,
        "MITIGATION APPLIED - 15:55 UTC
Action: Restarted <!channel> & <https://evil.example|click>
Status: p95 > 5s
Next Steps: none"
    );
    assert_eq!(
        r.mrkdwn,
        "*MITIGATION APPLIED - 15:55 UTC*
*Action:* Restarted &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;
*Status:* p95 &gt; 5s
*Next Steps:* none"
    );
    // Data inside a bold heading is escaped too.
    let ack = Templates::builtin()
        .with_override("acknowledgement", "{{ ('Ack: ' ~ incident_name)|bold }}")
        .unwrap()
        .render(
            &Acknowledgement {
                incident_name: "a<b>".into(),
            }
            .into(),
        )
        .unwrap();
    assert_eq!(ack.text, "Ack: a<b>");
    assert_eq!(ack.mrkdwn, "*Ack: a&lt;b&gt;*");
}

#[test]
fn rendered_becomes_a_chat_message() {
    let r = render(Acknowledgement {
        incident_name: "x".into(),
    });
    let chat = r.to_chat_message("#incident-response");
    assert_eq!(chat.channel, "#incident-response");
    assert_eq!(chat.text, r.text);
    assert_eq!(chat.mrkdwn.as_deref(), Some(r.mrkdwn.as_str()));
}

#[test]
fn every_template_has_a_stable_documented_name() {
    assert_eq!(
        Templates::NAMES,
        [
            "acknowledgement",
            "initial_notification",
            "initial_assessment",
            "status_update",
            "mitigation_applied",
            "incident_resolved",
            "resolution_notification",
            "status_page",
        ]
    );
    for name in Templates::NAMES {
        let source = Templates::builtin_source(name).unwrap();
        // Overriding with the built-in source changes nothing.
        let same = Templates::builtin().with_override(name, source).unwrap();
        assert_eq!(same.overridden().collect::<Vec<_>>(), [name]);
    }
    assert!(Templates::builtin_source("postmortem").is_none());
    let err = Templates::builtin()
        .with_override("statusupdate", "x")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("\"statusupdate\""), "{err}");
    assert!(err.to_string().contains("status_update"), "{err}");
}
