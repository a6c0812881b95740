//! The postmortem and the post-incident checklist, from a scripted incident.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use ir_core::classify::{Signals, classify};
use ir_core::comms::{Message, StatusPageMessage, Templates};
use ir_core::incident::{Event, EventKind, Incident};
use ir_core::model::{
    Action, ActionKind, Evidence, EvidenceId, EvidenceOutcome, Hypothesis, Observation,
};
use ir_core::model::{ChecklistItem, IncidentId, MessageKind};
use ir_core::model::{DeploymentId, StatusPageStatus};
use ir_core::ports::{FingerprintKey, IssueRef};
use ir_core::postmortem::{ActionItem, Checklist, Postmortem, PostmortemTemplate};
use ir_core::{ErrorKind, SeverityPolicy};
use secrecy::SecretString;

const SECRET: &str = "pg-pass-9f8e7d6c5b4a-do-not-print";

fn t(hh: u32, mm: u32) -> DateTime<Utc> {
    format!("2026-02-08T{hh:02}:{mm:02}:00Z").parse().unwrap()
}

fn min(n: u64) -> Duration {
    Duration::from_secs(n * 60)
}

fn ev(at: DateTime<Utc>, actor: &str, kind: EventKind) -> Event {
    Event::new(at, actor, kind)
}

fn rollback() -> Action {
    Action::new(
        "rollback-d41",
        ActionKind::Rollback {
            to: DeploymentId::new("d-41"),
            from: Some(DeploymentId::new("d-42")),
        },
    )
}

fn set_url() -> Action {
    Action::new(
        "set-database-url",
        ActionKind::SetVariable {
            name: "DATABASE_URL".into(),
            value_fingerprint: FingerprintKey::from_secret(&SecretString::from("test key"))
                .fingerprint(&SecretString::from(SECRET.to_owned())),
        },
    )
}

fn posted(at: DateTime<Utc>, message: impl Into<Message>, channel: &str) -> Event {
    let message = message.into();
    let rendered = Templates::builtin().render(&message).unwrap();
    ev(
        at,
        "runner",
        EventKind::MessagePosted {
            kind: rendered.kind,
            channel: channel.into(),
            text: rendered.text,
            provider_id: None,
            queued: None,
        },
    )
}

/// Scenario 4 (pool exhausted) as a P1: acknowledged late, a rollback that fails, a DSN fix
/// that works, resolved, with some of the post-incident checklist done.
fn scripted() -> Incident {
    let p1 = classify(
        &Signals {
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let mut incident = Incident::open(
        IncidentId::random(),
        "pool",
        ev(
            t(15, 30),
            "health-watcher",
            EventKind::detected(
                "API timeouts: pool exhausted",
                "www.ainative.studio",
                p1,
                Some(t(15, 22)),
            ),
        ),
    )
    .unwrap();
    let events = vec![
        ev(
            t(15, 37),
            "@alice",
            EventKind::Acknowledged {
                by: "@alice".into(),
            },
        ),
        ev(t(15, 37), "@alice", EventKind::InvestigationStarted),
        ev(
            t(15, 38),
            "@alice",
            EventKind::CommanderAssigned {
                who: "@alice".into(),
            },
        ),
        ev(
            t(15, 39),
            "runner",
            EventKind::EvidenceCollected {
                evidence: Evidence {
                    id: EvidenceId::new("ev-1"),
                    probe: "dsn_check".into(),
                    source: "railway".into(),
                    collected_at: t(15, 39),
                    outcome: EvidenceOutcome::Observed {
                        observation: Observation::Text(
                            "DATABASE_URL points at port 5432,\nnot PgBouncer's 6432".into(),
                        ),
                    },
                },
            },
        ),
        ev(
            t(15, 39),
            "runner",
            EventKind::EvidenceCollected {
                evidence: Evidence {
                    id: EvidenceId::new("ev-2"),
                    probe: "pgbouncer_pools".into(),
                    source: "postgres".into(),
                    collected_at: t(15, 39),
                    // As the diagnosis records it: the error's `Display`, kind included.
                    outcome: EvidenceOutcome::Unavailable {
                        kind: ErrorKind::Timeout,
                        message: ir_core::Error::timeout("SHOW POOLS did not answer within 5s")
                            .to_string(),
                    },
                },
            },
        ),
        ev(
            t(15, 41),
            "runner",
            EventKind::HypothesisPosted {
                hypotheses: vec![
                    Hypothesis {
                        playbook: "pool_exhausted".into(),
                        cause: "direct_port".into(),
                        summary: "DATABASE_URL bypasses PgBouncer".into(),
                        confidence: 0.55,
                        supporting: vec![EvidenceId::new("ev-1")],
                        contradicting: vec![],
                    },
                    Hypothesis {
                        playbook: "pool_exhausted".into(),
                        cause: "bad_deploy".into(),
                        summary: "Deployment d-42 leaks connections".into(),
                        confidence: 0.6,
                        supporting: vec![],
                        contradicting: vec![],
                    },
                ],
            },
        ),
        ev(t(15, 42), "runner", EventKind::proposed(rollback())),
        ev(
            t(15, 42),
            "@alice",
            EventKind::ActionApproved {
                key: rollback().key,
                by: "@alice".into(),
            },
        ),
        ev(
            t(15, 43),
            "runner",
            EventKind::ActionStarted {
                key: rollback().key,
                dry_run: false,
            },
        ),
        ev(
            t(15, 48),
            "runner",
            EventKind::ActionFailed {
                key: rollback().key,
                kind: ErrorKind::Unavailable,
                error: "railway deploymentRollback: unavailable (HTTP 502)".into(),
            },
        ),
        ev(t(15, 49), "runner", EventKind::proposed(set_url())),
        ev(
            t(15, 49),
            "@bob",
            EventKind::ActionApproved {
                key: set_url().key,
                by: "@bob".into(),
            },
        ),
        ev(
            t(15, 50),
            "runner",
            EventKind::ActionStarted {
                key: set_url().key,
                dry_run: false,
            },
        ),
        ev(
            t(15, 51),
            "runner",
            EventKind::ActionSucceeded {
                key: set_url().key,
                detail: "variable set; redeploy d-43 started".into(),
            },
        ),
        ev(
            t(15, 56),
            "runner",
            EventKind::MitigationVerified {
                summary: "API p95 1.1s, no pool errors for 5 minutes".into(),
            },
        ),
        ev(
            t(16, 20),
            "@alice",
            EventKind::resolved(
                "DATABASE_URL used port 5432 instead of PgBouncer's 6432",
                "Pointed DATABASE_URL at PgBouncer (port 6432); service restarted",
            ),
        ),
        posted(
            t(16, 21),
            StatusPageMessage::new(
                StatusPageStatus::Resolved,
                t(16, 21),
                "slow API responses",
                None,
            ),
            "status-page",
        ),
        ev(
            t(16, 22),
            "@alice",
            EventKind::PostmortemScheduled {
                at: "2026-02-09T10:00:00Z".parse().unwrap(),
            },
        ),
        ev(
            t(16, 25),
            "@alice",
            EventKind::ChecklistItemDone {
                item: ChecklistItem::ClosePagerIncident,
            },
        ),
    ];
    for e in events {
        incident.record(e).unwrap();
    }
    incident
}

fn postmortem() -> Postmortem {
    Postmortem::from_incident(&scripted(), &SeverityPolicy::runbook(), t(17, 0))
}

#[test]
fn metrics_come_from_the_timeline() {
    let pm = postmortem();
    let m = pm.metrics();
    assert_eq!(m.mttd, min(8));
    assert_eq!(m.mtta, Some(min(7)));
    assert_eq!(m.assessment, Some(min(11)));
    assert_eq!(m.mttr, Some(min(50)));
    assert_eq!(m.targets.acknowledge, min(5));
    // Acknowledged 7 minutes in, against 5: the one missed target.
    assert_eq!(m.sla_breaches.len(), 1);
    assert_eq!(m.sla_breaches[0].elapsed, min(7));
    assert!(m.sla_breaches[0].met_late);
    let phases: Vec<_> = m
        .phases
        .iter()
        .map(|p| (p.phase.as_str(), p.duration))
        .collect();
    assert_eq!(
        phases,
        [
            ("Detected", min(7)),
            ("Acknowledged", Duration::ZERO),
            ("Investigating", min(4)),
            ("Identified", min(2)),
            ("Mitigating", min(13)),
            ("Monitoring", min(24)),
            ("Resolved", min(40)),
        ]
    );
    assert_eq!(
        pm.root_cause(),
        Some("DATABASE_URL used port 5432 instead of PgBouncer's 6432")
    );
    assert_eq!(
        pm.hypotheses()[0].summary,
        "Deployment d-42 leaks connections"
    );
}

#[test]
fn one_timeline_line_per_event_and_no_secret_anywhere() {
    let incident = scripted();
    let pm = Postmortem::from_incident(&incident, &SeverityPolicy::runbook(), t(17, 0));
    assert_eq!(pm.timeline().len(), incident.timeline().len());
    for (entry, event) in pm.timeline().iter().zip(incident.timeline()) {
        assert_eq!(entry.seq, event.seq);
        assert!(!entry.text.contains('\n'), "{}", entry.text);
        assert!(!entry.text.is_empty());
    }
    let texts: Vec<&str> = pm.timeline().iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts[4],
        "Evidence ev-1 from dsn_check (railway): DATABASE_URL points at port 5432, not PgBouncer's 6432"
    );
    assert_eq!(
        texts[10],
        "Failed: roll back to deployment d-41: railway deploymentRollback: unavailable (HTTP 502)"
    );
    assert_eq!(texts[17], "Posted status page \"Resolved\" to status-page");
    let markdown = pm.to_markdown().unwrap();
    assert!(!markdown.contains(SECRET));
    assert!(!format!("{pm:?}").contains(SECRET));
}

#[test]
fn checklist_knows_what_the_timeline_shows_done() {
    let incident = scripted();
    let checklist = Checklist::from_incident(&incident);
    assert_eq!(
        checklist
            .entries()
            .iter()
            .map(|e| e.item)
            .collect::<Vec<_>>(),
        Checklist::ITEMS
    );
    for done in [
        ChecklistItem::UpdateStatusPage,
        ChecklistItem::SchedulePostmortem,
        ChecklistItem::ClosePagerIncident,
    ] {
        assert!(checklist.is_done(done), "{done:?}");
    }
    assert_eq!(
        checklist.pending(),
        [
            ChecklistItem::PostResolution,
            ChecklistItem::ThankResponders,
            ChecklistItem::CreateActionItemIssues,
            ChecklistItem::UpdateRunbook,
            ChecklistItem::ReviewSloImpact,
            ChecklistItem::UpdateMonitoring,
        ]
    );
    assert!(!checklist.is_complete());
    let status_page = &checklist.entries()[0];
    assert_eq!(status_page.text, "Update status page (resolved)");
    assert_eq!(status_page.done.as_ref().unwrap().at, Some(t(16, 21)));

    // A status page "Monitoring" update does not count as the resolved one.
    let mut early = scripted();
    early
        .record(ev(
            t(16, 30),
            "runner",
            EventKind::MessagePosted {
                kind: MessageKind::StatusPage(StatusPageStatus::Monitoring),
                channel: "status-page".into(),
                text: "..".into(),
                provider_id: None,
                queued: None,
            },
        ))
        .unwrap();
    assert_eq!(
        Checklist::from_incident(&early).entries()[0]
            .done
            .as_ref()
            .unwrap()
            .at,
        Some(t(16, 21))
    );
}

#[test]
fn every_item_can_be_done_and_action_items_count_once_all_are_filed() {
    let mut incident = scripted();
    let later = |m| t(16, 30 + m);
    for (i, kind) in [
        EventKind::MessagePosted {
            kind: MessageKind::ResolutionNotification,
            channel: "#incident-response".into(),
            text: "..".into(),
            provider_id: None,
            queued: None,
        },
        EventKind::MessagePosted {
            kind: MessageKind::ThankResponders,
            channel: "#incident-response".into(),
            text: "..".into(),
            provider_id: None,
            queued: None,
        },
        EventKind::ChecklistItemDone {
            item: ChecklistItem::UpdateRunbook,
        },
        EventKind::ChecklistItemDone {
            item: ChecklistItem::ReviewSloImpact,
        },
        EventKind::ChecklistItemDone {
            item: ChecklistItem::UpdateMonitoring,
        },
    ]
    .into_iter()
    .enumerate()
    {
        incident
            .record(ev(later(i as u32), "@alice", kind))
            .unwrap();
    }
    let due = NaiveDate::from_ymd_opt(2026, 2, 20).unwrap();
    let mut pm = Postmortem::from_incident(&incident, &SeverityPolicy::runbook(), t(17, 0))
        .with_action_item(ActionItem::new(
            "Validate DATABASE_URL uses port 6432 at startup",
            "@bob",
            due,
        ))
        .with_action_item(ActionItem::new("Alert on pool usage > 80%", "@alice", due));
    assert_eq!(
        pm.checklist().pending(),
        [ChecklistItem::CreateActionItemIssues]
    );

    pm.action_items_mut()[0].issue = Some(IssueRef {
        number: 101,
        url: "https://github.com/acme/web/issues/101".into(),
    });
    assert!(
        !pm.checklist()
            .is_done(ChecklistItem::CreateActionItemIssues)
    );
    pm.action_items_mut()[1].issue = Some(IssueRef {
        number: 102,
        url: "https://github.com/acme/web/issues/102".into(),
    });
    let checklist = pm.checklist();
    assert!(checklist.is_complete());
    assert_eq!(
        checklist.entries()[5].done.as_ref().unwrap().by,
        "issues #101, #102 filed"
    );
    let markdown = pm.to_markdown().unwrap();
    assert!(markdown.contains(
        "| Validate DATABASE_URL uses port 6432 at startup | @bob | 2026-02-20 | [#101](https://github.com/acme/web/issues/101) |"
    ));
    assert!(
        markdown
            .contains("- [x] Create GitHub issues for action items (issues #101, #102 filed)\n")
    );
    assert!(!markdown.contains("- [ ]"));
}

#[test]
fn the_markdown_has_every_section_in_order() {
    let pm = postmortem()
        .with_went_well("PgBouncer's own metrics pointed at the cause")
        .with_to_improve("The DSN check should run before each deploy")
        .with_action_item(ActionItem::new(
            "Fail the deploy when DATABASE_URL | port != 6432",
            "@bob",
            NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
        ));
    let md = pm.to_markdown().unwrap();
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(
        headings,
        [
            "# Postmortem: API timeouts: pool exhausted",
            "## Summary",
            "## Impact",
            "## Timeline",
            "## Response",
            "## Root cause",
            "## What went well",
            "## What to improve",
            "## Action items",
            "## Post-incident checklist",
        ]
    );
    for expected in [
        "| Severity | P1 (Critical Feature Down) |",
        "| Started | 2026-02-08 15:22 UTC |",
        "| Detected | 2026-02-08 15:30 UTC |",
        "| Resolved | 2026-02-08 16:20 UTC |",
        "| Duration | 50 minutes |",
        "API timeouts: pool exhausted on www.ainative.studio: a P1 (Critical Feature Down) incident, detected 2026-02-08 15:30 UTC and resolved 2026-02-08 16:20 UTC after 50 minutes.",
        "Classified P1 (Critical Feature Down) at detection:\n- pool_exhausted (P1):",
        "All times UTC, on 2026-02-08 unless dated.",
        "- 15:42 · runner · Proposed: roll back to deployment d-41 (reversible risk)\n",
        "- 15:30 · health-watcher · Detected \"API timeouts: pool exhausted\" on www.ainative.studio as P1 (pool_exhausted (P1): observed",
        "- 15:37 · @alice · Acknowledged by @alice\n",
        "- 15:51 · runner · Succeeded: set DATABASE_URL: variable set; redeploy d-43 started\n",
        "- 16:22 · @alice · Postmortem scheduled for 2026-02-09 10:00 UTC\n",
        "| MTTD: onset to detection | 8 minutes | — |",
        "| MTTA: detection to acknowledgement | 7 minutes | 5 minutes |",
        "| Initial assessment: detection to first hypothesis | 11 minutes | 15 minutes |",
        "| MTTR: detection to resolution | 50 minutes | 2 hours |",
        "- Mitigating: 13 minutes\n",
        "Missed targets:\n- Acknowledge: 7 minutes against 5 minutes\n",
        "DATABASE_URL used port 5432 instead of PgBouncer's 6432\n\nMitigation: Pointed DATABASE_URL at PgBouncer (port 6432); service restarted",
        "- 60% Deployment d-42 leaks connections (`bad_deploy`, pool_exhausted)\n- 55% DATABASE_URL bypasses PgBouncer",
        "- First assessment posted in 11 minutes (target 15 minutes).\n",
        "- Resolved in 50 minutes (target 2 hours).\n",
        "- Diagnosis gathered 1 piece of evidence from railway.\n",
        "- PgBouncer's own metrics pointed at the cause\n",
        "- Acknowledgement took 7 minutes; the target is 5 minutes.\n",
        "- The problem began 8 minutes before it was detected.\n",
        "- Mitigation \"roll back to deployment d-41\" failed: railway deploymentRollback: unavailable (HTTP 502).\n",
        "- Probe pgbouncer_pools could not get evidence from postgres: timed out: SHOW POOLS did not answer within 5s.\n",
        "- The DSN check should run before each deploy\n",
        "| Fail the deploy when DATABASE_URL \\| port != 6432 | @bob | 2026-02-20 | not filed |",
        "- [x] Update status page (resolved) (status page \"Resolved\" posted to status-page, 2026-02-08 16:21 UTC)\n",
        "- [ ] Post resolution in #incident-response\n",
        "- [x] Close PagerDuty incident (marked done by @alice, 2026-02-08 16:25 UTC)\n",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert!(
        md.ends_with("- [ ] Update monitoring/alerting if needed\n"),
        "{md}"
    );
    assert!(
        !md.contains("Acknowledged in"),
        "a missed target is not a success"
    );
}

#[test]
fn an_open_incident_says_so() {
    let p2 = classify(
        &Signals {
            error_rate_5xx: Some(0.02),
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let incident = Incident::open(
        IncidentId::random(),
        "5xx",
        ev(
            t(15, 30),
            "sentry",
            EventKind::detected("5xx spike", "web", p2, None),
        ),
    )
    .unwrap();
    let pm = Postmortem::from_incident(&incident, &SeverityPolicy::runbook(), t(15, 50));
    assert_eq!(
        pm.metrics().sla_breaches.len(),
        1,
        "not acknowledged in 15 minutes"
    );
    let md = pm.to_markdown().unwrap();
    for expected in [
        "| Resolved | not yet (Detected) |",
        "still detected after 20 minutes.",
        "| MTTD: onset to detection | onset unknown | — |",
        "| MTTA: detection to acknowledgement | not acknowledged | 15 minutes |",
        "- Acknowledgement was still not done after 20 minutes; the target is 15 minutes.",
        "Not determined.",
        "_Nothing recorded yet._",
        "_None recorded yet._",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert!(!md.contains("| Started |"));
    assert_eq!(pm.root_cause(), None);
    assert_eq!(pm.metrics().targets.acknowledge, min(15), "P2 targets");
    assert!(!pm.metrics().sla_breaches[0].met_late);
}

#[test]
fn a_replacement_template_renders_strictly() {
    let pm = postmortem();
    let short = PostmortemTemplate::from_source(
        "{{ title }}: MTTR {{ metrics.mttr|duration }}, {{ checklist|selectattr('done')|list|length }}/{{ checklist|length }} done",
    )
    .unwrap();
    assert_eq!(
        short.render(&pm).unwrap(),
        "API timeouts: pool exhausted: MTTR 50 minutes, 3/9 done\n"
    );
    let missing = PostmortemTemplate::from_source("{{ owner }}").unwrap();
    let err = missing.render(&pm).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("\"postmortem\""), "{err}");
    let err = PostmortemTemplate::from_source("{% for x in %}").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    // The built-in source round-trips.
    assert_eq!(
        PostmortemTemplate::from_source(PostmortemTemplate::BUILTIN)
            .unwrap()
            .render(&pm)
            .unwrap(),
        pm.to_markdown().unwrap()
    );
}

#[test]
fn an_action_item_becomes_an_issue_linking_the_postmortem() {
    let item = ActionItem::new(
        "Alert on pool usage > 80%",
        "@alice",
        NaiveDate::from_ymd_opt(2026, 2, 20).unwrap(),
    );
    let issue = item.to_new_issue(
        "API timeouts: pool exhausted",
        Some("https://wiki.example/pm/42"),
    );
    assert_eq!(issue.title, "Alert on pool usage > 80%");
    assert_eq!(issue.assignees, ["alice"]);
    assert_eq!(issue.labels, ["postmortem", "action-item"]);
    assert_eq!(
        issue.body,
        "Action item from the postmortem of \"API timeouts: pool exhausted\".\n\nOwner: @alice\nDue: 2026-02-20\nPostmortem: https://wiki.example/pm/42\n"
    );
}

/// A P1 detected at 15:30, its onset given as `onset`, with `evidence` collected at 15:31.
fn with_evidence(
    onset: Option<DateTime<Utc>>,
    evidence: Vec<ir_core::model::Evidence>,
) -> Incident {
    let p1 = classify(
        &Signals {
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let mut incident = Incident::open(
        IncidentId::random(),
        "pool",
        ev(
            t(15, 30),
            "watcher",
            EventKind::detected("Pool exhausted", "web", p1, onset),
        ),
    )
    .unwrap();
    for evidence in evidence {
        incident
            .record(ev(
                t(15, 31),
                "runner",
                EventKind::EvidenceCollected { evidence },
            ))
            .unwrap();
    }
    incident
}

/// Probes whose port is not configured, as the diagnosis records them: the error's kind is
/// named once, and they are listed as not checked, not as something to improve.
#[tokio::test]
async fn a_port_that_is_not_configured_is_named_once_and_not_an_improvement() {
    use ir_core::clock::ManualClock;
    use ir_core::playbook::{DiagnosisConfig, Probe, ProbeWindow, Providers, diagnose};
    let clock = ManualClock::at(t(15, 31));
    let probes = [
        Probe::NewIssues { lookback: min(30) },
        Probe::TopIssues {
            lookback: min(30),
            limit: 10,
        },
        Probe::ServiceStatus,
    ];
    let window = ProbeWindow {
        onset: t(15, 30),
        now: t(15, 31),
    };
    let mut evidence = diagnose(
        &Providers::new(),
        probes,
        window,
        &DiagnosisConfig::default(),
        &clock,
        1,
    )
    .await;
    // And one source that is configured but timed out: that one is worth improving.
    evidence.push(Evidence {
        id: EvidenceId::new("E4"),
        probe: "connections".into(),
        source: "database".into(),
        collected_at: t(15, 31),
        outcome: EvidenceOutcome::Unavailable {
            kind: ErrorKind::Timeout,
            message: ir_core::Error::timeout("pg_stat_activity did not answer within 10s")
                .with_provider("postgres")
                .with_operation("connection_status")
                .to_string(),
        },
    });
    let pm = Postmortem::from_incident(
        &with_evidence(None, evidence),
        &SeverityPolicy::runbook(),
        t(15, 34),
    );
    let texts: Vec<&str> = pm.timeline().iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts[1],
        "Evidence E1 from new_issues[30m] (errors) unavailable: unsupported: no ErrorTracker is configured"
    );
    assert_eq!(
        texts[4],
        "Evidence E4 from connections (database) unavailable: postgres connection_status: timed out: pg_stat_activity did not answer within 10s"
    );
    assert_eq!(
        pm.not_checked(),
        [
            "errors: no ErrorTracker is configured (new_issues[30m], top_issues[30m,10]).",
            "deploy: no DeployPlatform is configured (service_status).",
        ]
    );
    assert_eq!(
        pm.to_improve(),
        [
            "Probe connections could not get evidence from database: postgres connection_status: timed out: pg_stat_activity did not answer within 10s."
        ]
    );
    let md = pm.to_markdown().unwrap();
    assert!(!md.contains("unsupported: unsupported"), "{md}");
    assert!(
        md.contains(
            "## Not checked (not configured)\n\nThe diagnosis could not ask these sources. This is how the service is set up, not a finding of the incident:\n- errors: no ErrorTracker is configured (new_issues[30m], top_issues[30m,10]).\n- deploy: no DeployPlatform is configured (service_status).\n\n## Action items"
        ),
        "{md}"
    );
    // With every source configured there is no such section.
    assert!(!postmortem().to_markdown().unwrap().contains("Not checked"));
}

/// An onset equal to detection is known: an MTTD of zero, not "onset unknown".
#[test]
fn an_onset_at_detection_is_an_mttd_of_zero() {
    let pm = Postmortem::from_incident(
        &with_evidence(Some(t(15, 30)), vec![]),
        &SeverityPolicy::runbook(),
        t(15, 40),
    );
    assert_eq!(pm.metrics().mttd, Duration::ZERO);
    let md = pm.to_markdown().unwrap();
    assert!(
        md.contains("| MTTD: onset to detection | 0 (detected at onset) | — |"),
        "{md}"
    );
    assert!(md.contains("| Started | 2026-02-08 15:30 UTC |"), "{md}");
    let unknown = Postmortem::from_incident(
        &with_evidence(None, vec![]),
        &SeverityPolicy::runbook(),
        t(15, 40),
    )
    .to_markdown()
    .unwrap();
    assert!(
        unknown.contains("| MTTD: onset to detection | onset unknown | — |"),
        "{unknown}"
    );
}

/// Each evidence line says what was seen, not only the observation's kind.
#[test]
fn evidence_lines_say_what_was_seen() {
    use ir_core::model::{
        ConnectionStatus, Deployment, DeploymentStatus, DsnCheck, DsnRoute, ServiceStatus,
    };
    let observed = |id: &str, probe: &str, source: &str, observation: Observation| Evidence {
        id: EvidenceId::new(id),
        probe: probe.into(),
        source: source.into(),
        collected_at: t(15, 31),
        outcome: EvidenceOutcome::Observed { observation },
    };
    let d2 = Deployment::new("d2", DeploymentStatus::Crashed, t(15, 31));
    let d1 = Deployment::new("d1", DeploymentStatus::Active, t(12, 2));
    let mut conns = ConnectionStatus::new(100, 3);
    conns.counts.active = 95;
    let pm = Postmortem::from_incident(
        &with_evidence(
            None,
            vec![
                observed(
                    "E1",
                    "service_status",
                    "deploy",
                    Observation::ServiceStatus(
                        ServiceStatus::new("web")
                            .with_latest(d2.clone())
                            .with_active(vec![d2, d1]),
                    ),
                ),
                observed(
                    "E2",
                    "dsn[DATABASE_URL]",
                    "variables",
                    Observation::Dsn(DsnCheck {
                        host: "db".into(),
                        port: 5432,
                        database: Some("web".into()),
                        user: None,
                        route: DsnRoute::Direct,
                    }),
                ),
                observed(
                    "E3",
                    "connections",
                    "database",
                    Observation::Connections(conns),
                ),
            ],
        ),
        &SeverityPolicy::runbook(),
        t(15, 40),
    );
    let texts: Vec<&str> = pm.timeline().iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts[1..],
        [
            "Evidence E1 from service_status (deploy): service web: deployment d2 (15:31) crashed; also serving d1 (12:02) active",
            "Evidence E2 from dsn[DATABASE_URL] (variables): points at db:5432/web: straight to PostgreSQL, not PgBouncer (6432)",
            "Evidence E3 from connections (database): 95 of 97 connection slots in use (95 active, 0 idle), 2 free",
        ]
    );
}
