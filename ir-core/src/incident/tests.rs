//! The fold's rules and the metrics, on hand-written timelines.

use std::time::Duration;

use super::*;
use crate::classify::{Classification, Reachability, Signals, classify};
use crate::error::ErrorKind;
use crate::model::{ActionKind, DeploymentId};
use crate::severity::{Severity, SeverityPolicy};

pub(crate) fn t(min: i64) -> Timestamp {
    let base: Timestamp = "2026-02-08T15:30:00Z".parse().unwrap();
    base + chrono::Duration::minutes(min)
}

fn p1() -> Classification {
    classify(
        &Signals {
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    )
}

fn opened() -> Incident {
    let detected = Event::new(
        t(0),
        "watcher",
        EventKind::detected("Dashboard 500s", "web", p1(), Some(t(-4))),
    );
    Incident::open(IncidentId::random(), "k", detected).unwrap()
}

fn ev(min: i64, kind: EventKind) -> Event {
    Event::new(t(min), "tester", kind)
}

fn rollback() -> Action {
    Action::new(
        "rollback-1",
        ActionKind::Rollback {
            to: DeploymentId::new("d1"),
            from: None,
        },
    )
}

fn walk_to_resolved() -> Incident {
    let mut i = opened();
    let key = rollback().key;
    for e in [
        ev(2, EventKind::Acknowledged { by: "alice".into() }),
        ev(3, EventKind::InvestigationStarted),
        ev(8, EventKind::HypothesisPosted { hypotheses: vec![] }),
        ev(9, EventKind::proposed(rollback())),
        ev(
            9,
            EventKind::ActionApproved {
                key: key.clone(),
                by: "policy".into(),
            },
        ),
        ev(
            10,
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
        ),
        ev(
            12,
            EventKind::ActionSucceeded {
                key,
                detail: "ok".into(),
            },
        ),
        ev(
            15,
            EventKind::MitigationVerified {
                summary: "200 x3".into(),
            },
        ),
        ev(30, EventKind::resolved("bad deploy", "rollback")),
    ] {
        i.record(e).unwrap();
    }
    i
}

#[test]
fn lifecycle_and_metrics() {
    let i = walk_to_resolved();
    assert_eq!(i.phase(), Phase::Resolved);
    assert_eq!(i.mttd(), Duration::from_secs(4 * 60));
    assert_eq!(i.mtta(), Some(Duration::from_secs(2 * 60)));
    assert_eq!(i.mttr(), Some(Duration::from_secs(30 * 60)));
    let phases = i.time_in_phases(t(40));
    assert_eq!(phases[0], (Phase::Detected, Duration::from_secs(120)));
    assert_eq!(
        phases.last().copied(),
        Some((Phase::Resolved, Duration::from_secs(600)))
    );
    assert_eq!(
        i.action(&rollback().key).map(|r| r.state),
        Some(ActionState::Succeeded)
    );
    assert!(i.sla_breaches(&SeverityPolicy::runbook(), t(40)).is_empty());
}

#[test]
fn refolding_gives_the_same_incident() {
    let i = walk_to_resolved();
    let again = Incident::from_timeline(i.id(), i.dedup_key(), i.timeline()).unwrap();
    assert_eq!(again, i);
}

#[test]
fn illegal_moves_are_refused_and_change_nothing() {
    let mut i = opened();
    let before = i.clone();
    for kind in [
        EventKind::HypothesisPosted { hypotheses: vec![] },
        EventKind::resolved("x", "y"),
        EventKind::Closed,
        EventKind::MitigationVerified {
            summary: "x".into(),
        },
        EventKind::ActionStarted {
            key: IdempotencyKey::new("nope"),
            dry_run: false,
        },
        EventKind::detected("again", "web", p1(), None),
    ] {
        let err = i.record(ev(1, kind)).unwrap_err();
        assert_eq!(err.phase, Phase::Detected);
    }
    assert_eq!(i, before);
}

#[test]
fn a_person_acknowledges_once_at_any_point_and_the_runner_need_not_wait() {
    let mut i = opened();
    // The runner investigates before anyone acknowledged.
    i.record(ev(1, EventKind::InvestigationStarted)).unwrap();
    assert_eq!(i.phase(), Phase::Investigating);
    assert_eq!(i.mtta(), None, "nobody acknowledged");
    i.record(ev(7, EventKind::Acknowledged { by: "alice".into() }))
        .unwrap();
    assert_eq!(
        i.phase(),
        Phase::Investigating,
        "acknowledging never goes back"
    );
    assert_eq!(i.mtta(), Some(Duration::from_secs(7 * 60)));
    assert_eq!(i.acknowledged().map(|(_, by)| by), Some("alice"));
    let err = i
        .record(ev(8, EventKind::Acknowledged { by: "bob".into() }))
        .unwrap_err();
    assert!(
        err.reason.contains("already acknowledged by alice"),
        "{err}"
    );
    // An escalation is recorded once per role.
    let escalate = || EventKind::Escalated {
        role: Role::EngineeringLead,
        reason: "x".into(),
    };
    i.record(ev(9, escalate())).unwrap();
    assert!(i.record(ev(9, escalate())).is_err());
}

#[test]
fn a_queued_message_waits_in_the_outbox_until_its_outcome() {
    use crate::model::{Delivery, MessageKind};
    let mut i = opened();
    let queue = |id| EventKind::MessageQueued {
        id,
        kind: MessageKind::InitialNotification,
        to: Delivery::Chat {
            channel: "#c".into(),
            threaded: false,
        },
        text: "🚨".into(),
        mrkdwn: String::new(),
    };
    assert!(
        i.record(ev(1, queue(2))).is_err(),
        "numbered from 1, in order"
    );
    i.record(ev(1, queue(1))).unwrap();
    i.record(ev(1, queue(2))).unwrap();
    assert_eq!(i.outbox().map(|q| q.id).collect::<Vec<_>>(), [1, 2]);
    assert!(i.has_message(MessageKind::InitialNotification));
    i.record(ev(
        2,
        EventKind::message_posted(MessageKind::InitialNotification, "#c", "🚨")
            .with_provider_id(Some("1.5".into())),
    ))
    .unwrap();
    assert_eq!(
        i.outbox().count(),
        2,
        "a message posted without a queue entry"
    );
    let mut posted = EventKind::message_posted(MessageKind::InitialNotification, "#c", "🚨");
    if let EventKind::MessagePosted { queued, .. } = &mut posted {
        *queued = Some(1);
    }
    i.record(ev(2, posted.clone())).unwrap();
    assert!(i.record(ev(2, posted)).is_err(), "one outcome per message");
    i.record(ev(
        3,
        EventKind::MessageFailed {
            queued: 2,
            error: "down".into(),
        },
    ))
    .unwrap();
    assert_eq!(i.outbox().count(), 0);
    assert_eq!(i.next_message_id(), 3);
}

#[test]
fn events_may_not_go_back_in_time() {
    let mut i = opened();
    let err = i.record(ev(-1, EventKind::note("late"))).unwrap_err();
    assert!(err.reason.contains("before"), "{err}");
}

#[test]
fn an_action_runs_only_after_approval_and_finishes_once() {
    let mut i = opened();
    i.record(ev(1, EventKind::Acknowledged { by: "a".into() }))
        .unwrap();
    i.record(ev(1, EventKind::InvestigationStarted)).unwrap();
    i.record(ev(2, EventKind::HypothesisPosted { hypotheses: vec![] }))
        .unwrap();
    i.record(ev(2, EventKind::proposed(rollback()))).unwrap();
    let key = rollback().key;
    assert!(
        i.record(ev(
            3,
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false
            }
        ))
        .is_err()
    );
    assert!(i.record(ev(3, EventKind::proposed(rollback()))).is_err());
    i.record(ev(
        3,
        EventKind::ActionApproved {
            key: key.clone(),
            by: "p".into(),
        },
    ))
    .unwrap();
    i.record(ev(
        3,
        EventKind::ActionStarted {
            key: key.clone(),
            dry_run: false,
        },
    ))
    .unwrap();
    assert_eq!(i.phase(), Phase::Mitigating);
    i.record(ev(
        4,
        EventKind::ActionFailed {
            key: key.clone(),
            kind: ErrorKind::Timeout,
            error: "t".into(),
        },
    ))
    .unwrap();
    assert!(
        i.record(ev(
            4,
            EventKind::ActionSucceeded {
                key,
                detail: "late".into()
            }
        ))
        .is_err()
    );
}

#[test]
fn sla_breach_when_p0_not_acknowledged_in_five_minutes() {
    let signals = Signals {
        homepage: Some(Reachability::Status(502)),
        ..Signals::default()
    };
    let c = classify(&signals, &SeverityPolicy::runbook());
    let i = Incident::open(
        IncidentId::random(),
        "k",
        ev(0, EventKind::detected("down", "web", c, None)),
    )
    .unwrap();
    let policy = SeverityPolicy::runbook();
    assert!(i.sla_breaches(&policy, t(5)).is_empty());
    let breaches = i.sla_breaches(&policy, t(6));
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0].target, SlaTarget::Acknowledge);
    assert!(!breaches[0].met_late);
}

#[test]
fn reclassifying_records_an_escalation_or_a_downgrade_with_reasons() {
    let i = opened();
    let same = classify(
        &Signals {
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    assert_eq!(i.reclassify(&same), None);
    let worse = classify(
        &Signals {
            homepage: Some(Reachability::Status(503)),
            pool_exhausted: true,
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let Some(EventKind::SeverityChanged { from, to, reasons }) = i.reclassify(&worse) else {
        panic!("expected an escalation");
    };
    assert_eq!((from, to), (Severity::P1, Severity::P0));
    assert_eq!(reasons[0].rule, crate::classify::Rule::HomepageDown);
    let better = classify(
        &Signals {
            p95_latency: Some(Duration::from_secs(7)),
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let mut i = i;
    let downgrade = i.reclassify(&better).unwrap();
    i.record(ev(5, downgrade)).unwrap();
    assert_eq!(i.severity(), Severity::P2);
}

#[test]
fn severity_change_needs_the_current_severity() {
    let mut i = opened();
    let wrong = EventKind::SeverityChanged {
        from: Severity::P2,
        to: Severity::P0,
        reasons: vec![],
    };
    assert!(i.record(ev(1, wrong)).is_err());
    let right = EventKind::SeverityChanged {
        from: Severity::P1,
        to: Severity::P0,
        reasons: vec![],
    };
    i.record(ev(1, right)).unwrap();
    assert_eq!(i.severity(), Severity::P0);
}

#[test]
fn the_fold_answers_what_is_interrupted_pending_and_recommended() {
    use crate::model::{Hypothesis, Verification};
    let hypothesis = Hypothesis {
        playbook: "site_down".into(),
        cause: "bad_deploy".into(),
        summary: "d2 crashes".into(),
        confidence: 0.9,
        supporting: Vec::new(),
        contradicting: Vec::new(),
    };
    let verification = Verification::health("/health");
    let key = rollback().key;
    let mut i = opened();
    for e in [
        ev(2, EventKind::Acknowledged { by: "alice".into() }),
        ev(3, EventKind::InvestigationStarted),
        ev(8, EventKind::HypothesisPosted { hypotheses: vec![] }),
        ev(
            8,
            EventKind::Recommended {
                playbook: "site_down".into(),
                cause: "bad_deploy".into(),
                recommendations: vec!["add a smoke test".into()],
            },
        ),
        ev(
            9,
            EventKind::proposed_mitigation(rollback(), hypothesis.clone(), verification.clone()),
        ),
        ev(
            9,
            EventKind::ActionApproved {
                key: key.clone(),
                by: "policy".into(),
            },
        ),
        ev(
            10,
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
        ),
    ] {
        i.record(e).unwrap();
    }
    assert!(i.recommended("site_down", "bad_deploy"));
    assert!(!i.recommended("site_down", "other"));
    // Intent without outcome: interrupted, not yet pending.
    let interrupted: Vec<_> = i
        .interrupted_actions()
        .map(|a| a.action.key.clone())
        .collect();
    assert_eq!(interrupted, std::slice::from_ref(&key));
    assert!(i.pending_verification().is_none());

    i.record(ev(
        11,
        EventKind::ActionSucceeded {
            key: key.clone(),
            detail: "rolled back".into(),
        },
    ))
    .unwrap();
    assert_eq!(i.interrupted_actions().count(), 0);
    let Some(Pending::Verify(record)) = i.pending_verification() else {
        panic!("the succeeded mitigation awaits its verification");
    };
    assert_eq!(record.mitigates.as_ref(), Some(&hypothesis));
    assert_eq!(record.verification.as_ref(), Some(&verification));

    i.record(ev(
        12,
        EventKind::MitigationVerified {
            summary: "healthy".into(),
        },
    ))
    .unwrap();
    assert!(matches!(
        i.pending_verification(),
        Some(Pending::Monitor(_))
    ));

    i.record(ev(
        13,
        EventKind::VerificationFailed {
            summary: "relapsed".into(),
        },
    ))
    .unwrap();
    assert!(i.pending_verification().is_none());
}

#[test]
fn an_action_that_is_not_a_mitigation_is_never_pending() {
    let key = rollback().key;
    let mut i = opened();
    for e in [
        ev(2, EventKind::Acknowledged { by: "alice".into() }),
        ev(3, EventKind::InvestigationStarted),
        ev(8, EventKind::HypothesisPosted { hypotheses: vec![] }),
        ev(9, EventKind::proposed(rollback())),
        ev(
            9,
            EventKind::ActionApproved {
                key: key.clone(),
                by: "policy".into(),
            },
        ),
        ev(
            10,
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
        ),
        ev(
            11,
            EventKind::ActionSucceeded {
                key,
                detail: "done".into(),
            },
        ),
    ] {
        i.record(e).unwrap();
    }
    assert!(i.pending_verification().is_none());
}

#[test]
fn a_proposal_recorded_before_it_carried_its_verification_still_loads() {
    let json = r#"{"type":"action_proposed","action":{"key":"k","kind":{"action":"restart","deployment":"d"},"risk":"reversible"}}"#;
    let kind: EventKind = serde_json::from_str(json).unwrap();
    assert!(matches!(
        kind,
        EventKind::ActionProposed {
            mitigates: None,
            verification: None,
            ..
        }
    ));
    // And a proposal without them is written as before.
    assert_eq!(serde_json::to_string(&kind).unwrap(), json);
}

#[test]
fn the_chat_thread_is_the_first_initial_notification_with_an_id_and_the_status_page_the_last() {
    use crate::model::StatusPageStatus;
    let mut i = opened();
    assert_eq!(i.chat_thread(), None);
    assert_eq!(i.status_page_incident(), None);
    let chat = |kind, id: Option<&str>| {
        EventKind::message_posted(kind, "C0INCIDENT", "..").with_provider_id(id.map(Into::into))
    };
    let page = |status, id: Option<&str>| {
        EventKind::message_posted(MessageKind::StatusPage(status), "status-page", "..")
            .with_provider_id(id.map(Into::into))
    };
    for kind in [
        chat(MessageKind::Acknowledgement, Some("1.000001")),
        // A chat without ids gives no thread.
        chat(MessageKind::InitialNotification, None),
        page(StatusPageStatus::Investigating, None),
    ] {
        i.record(ev(1, kind)).unwrap();
    }
    assert_eq!(i.chat_thread(), None);
    assert_eq!(i.status_page_incident(), None);
    for kind in [
        chat(MessageKind::InitialNotification, Some("1.000002")),
        page(StatusPageStatus::Investigating, Some("p31zjtct2jer")),
        chat(MessageKind::InitialNotification, Some("1.000003")),
        page(StatusPageStatus::Identified, Some("newer")),
        page(StatusPageStatus::Identified, None),
    ] {
        i.record(ev(2, kind)).unwrap();
    }
    assert_eq!(i.chat_thread(), Some(("C0INCIDENT", "1.000002")));
    assert_eq!(i.status_page_incident(), Some("newer"));
    // Rebuilt from its timeline, the same answers.
    let again = Incident::from_timeline(i.id(), "k", i.timeline()).unwrap();
    assert_eq!(again.chat_thread(), i.chat_thread());
    assert_eq!(again.status_page_incident(), i.status_page_incident());
}

#[test]
fn a_message_posted_without_a_provider_id_loads_and_is_written_as_before() {
    let kind =
        EventKind::message_posted(MessageKind::InitialNotification, "#incident-response", "..");
    let old = serde_json::to_value(&kind).unwrap();
    assert!(old.get("provider_id").is_none(), "{old}");
    assert_eq!(serde_json::from_value::<EventKind>(old).unwrap(), kind);
    let with_id = kind.with_provider_id(Some("1.000001".into()));
    let json = serde_json::to_value(&with_id).unwrap();
    assert_eq!(json["provider_id"], "1.000001");
    assert_eq!(serde_json::from_value::<EventKind>(json).unwrap(), with_id);
}
