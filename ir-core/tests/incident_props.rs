//! Property tests of the incident state machine: whatever events are offered, in whatever
//! order, the incident never reaches an illegal state, folding its timeline again gives the same
//! incident, and MTTx figures are never negative.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use ir_core::classify::{Reachability, Signals, classify};
use ir_core::error::ErrorKind;
use ir_core::incident::{ActionState, Event, EventKind, Incident, Phase};
use ir_core::model::DeploymentId;
use ir_core::model::Role;
use ir_core::model::{Action, ActionKind, IdempotencyKey};
use ir_core::model::{Flag, IncidentId, MessageKind};
use ir_core::{Severity, SeverityPolicy};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

fn key(k: u8) -> IdempotencyKey {
    IdempotencyKey::new(format!("a{k}"))
}

fn severity(i: u8) -> Severity {
    Severity::ALL[usize::from(i % 4)]
}

/// An event template; actions refer to one of three keys so proposals, approvals and outcomes
/// collide often.
fn arb_kind() -> impl Strategy<Value = EventKind> {
    let k = 0u8..3;
    prop_oneof![
        Just(EventKind::Acknowledged { by: "alice".into() }),
        Just(EventKind::InvestigationStarted),
        (0u8..4, 0u8..4).prop_map(|(a, b)| EventKind::SeverityChanged {
            from: severity(a),
            to: severity(b),
            reasons: vec![]
        }),
        Just(EventKind::CommanderAssigned { who: "bob".into() }),
        Just(EventKind::Flagged {
            flag: Flag::Security
        }),
        (0.0f64..1.2).prop_map(|c| EventKind::HypothesisPosted {
            hypotheses: vec![ir_core::model::Hypothesis {
                playbook: "p".into(),
                cause: "c".into(),
                summary: "s".into(),
                confidence: c,
                supporting: vec![],
                contradicting: vec![],
            }]
        }),
        k.clone().prop_map(|k| EventKind::proposed(Action::new(
            format!("a{k}"),
            ActionKind::Restart {
                deployment: DeploymentId::new("d")
            }
        ))),
        k.clone().prop_map(|k| EventKind::ActionApproved {
            key: key(k),
            by: "policy".into()
        }),
        k.clone().prop_map(|k| EventKind::ActionRejected {
            key: key(k),
            by: "bob".into(),
            reason: "no".into()
        }),
        (k.clone(), any::<bool>()).prop_map(|(k, dry_run)| EventKind::ActionStarted {
            key: key(k),
            dry_run
        }),
        k.clone().prop_map(|k| EventKind::ActionSucceeded {
            key: key(k),
            detail: "ok".into()
        }),
        k.prop_map(|k| EventKind::ActionFailed {
            key: key(k),
            kind: ErrorKind::Timeout,
            error: "t".into()
        }),
        Just(EventKind::MitigationVerified {
            summary: "ok".into()
        }),
        Just(EventKind::VerificationFailed {
            summary: "still 503".into()
        }),
        Just(EventKind::MessagePosted {
            kind: MessageKind::StatusUpdate,
            channel: "#incident-response".into(),
            text: "update".into(),
            provider_id: None,
            queued: None,
        }),
        Just(EventKind::Escalated {
            role: Role::EngineeringLead,
            reason: "15 min".into()
        }),
        Just(EventKind::resolved("cause", "fix")),
        Just(EventKind::Closed),
        Just(EventKind::note("n")),
    ]
}

/// One step of a generated history: an arbitrary event, or (`None`) the next step of the
/// lifecycle from wherever the incident is, so histories reach every phase often.
type Step = (i64, Option<EventKind>);

/// (minutes after the previous event, possibly negative to test clock skew; the step).
fn arb_events() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![1 => arb_kind().prop_map(Some), 1 => Just(None)];
    prop::collection::vec((-1i64..10, step), 0..60)
}

/// The next legal lifecycle event for `incident`.
fn next_step(incident: &Incident) -> EventKind {
    let open_action = incident.actions().find(|a| {
        matches!(
            a.state,
            ActionState::Proposed | ActionState::Approved | ActionState::Started
        )
    });
    match (incident.phase(), open_action) {
        (Phase::Detected, _) => EventKind::Acknowledged { by: "alice".into() },
        (Phase::Acknowledged, _) => EventKind::InvestigationStarted,
        (Phase::Investigating, _) => EventKind::HypothesisPosted { hypotheses: vec![] },
        (Phase::Identified | Phase::Mitigating | Phase::Monitoring, Some(a)) => match a.state {
            ActionState::Proposed => EventKind::ActionApproved {
                key: a.action.key.clone(),
                by: "policy".into(),
            },
            ActionState::Approved => EventKind::ActionStarted {
                key: a.action.key.clone(),
                dry_run: false,
            },
            _ => EventKind::ActionSucceeded {
                key: a.action.key.clone(),
                detail: "ok".into(),
            },
        },
        (Phase::Identified, None) => {
            let n = incident.actions().count();
            EventKind::proposed(Action::new(
                format!("a{n}"),
                ActionKind::Restart {
                    deployment: DeploymentId::new("d"),
                },
            ))
        }
        (Phase::Mitigating, None) => EventKind::MitigationVerified {
            summary: "ok".into(),
        },
        (Phase::Monitoring, None) => EventKind::resolved("cause", "fix"),
        (Phase::Resolved, _) => EventKind::Closed,
        (Phase::Closed, _) => EventKind::note("after close"),
    }
}

/// Plays `steps` onto `incident`, returning each outcome with the state before it.
fn play(
    incident: &mut Incident,
    steps: Vec<Step>,
    mut check: impl FnMut(&Incident, &Incident, bool),
) -> DateTime<Utc> {
    let mut at = t0();
    for (delta, kind) in steps {
        at += ChronoDuration::minutes(delta);
        let kind = kind.unwrap_or_else(|| next_step(incident));
        let before = incident.clone();
        let accepted = incident.record(Event::new(at, "prop", kind)).is_ok();
        check(&before, incident, accepted);
    }
    at
}

fn opened(onset_minutes_before: i64) -> Incident {
    let signals = Signals {
        health: Some(Reachability::Status(503)),
        ..Signals::default()
    };
    let c = classify(&signals, &SeverityPolicy::runbook());
    let onset = Some(t0() - ChronoDuration::minutes(onset_minutes_before));
    let detected = Event::new(
        t0(),
        "watcher",
        EventKind::detected("down", "web", c, onset),
    );
    Incident::open(IncidentId::random(), "key", detected).unwrap()
}

/// The invariants every reachable incident satisfies.
fn assert_legal(incident: &Incident) {
    let timeline = incident.timeline();
    // Times never go backwards; seqs are 1..=n.
    for (i, pair) in timeline.windows(2).enumerate() {
        assert!(
            pair[0].event.at <= pair[1].event.at,
            "time went backwards at {i}"
        );
    }
    for (i, e) in timeline.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1);
    }
    // Exactly one detected event, first.
    let detected = timeline
        .iter()
        .filter(|e| matches!(e.event.kind, EventKind::Detected { .. }))
        .count();
    assert_eq!(detected, 1);

    // The phase was entered, and so was every phase the lifecycle passes through to reach it
    // (except that Monitoring may fall back to Mitigating, and that the runner investigates
    // without waiting for an acknowledgement).
    let phase = incident.phase();
    assert!(
        incident.entered(phase).is_some(),
        "current phase {phase} never entered"
    );
    for p in Phase::ALL
        .iter()
        .filter(|p| **p < phase && **p != Phase::Acknowledged)
    {
        assert!(
            incident.entered(*p).is_some(),
            "{phase} reached without {p}"
        );
    }
    // Entry times follow the lifecycle order.
    let entries: Vec<_> = Phase::ALL
        .iter()
        .filter_map(|p| incident.entered(*p))
        .collect();
    assert!(
        entries.windows(2).all(|w| w[0] <= w[1]),
        "phase entries out of order"
    );

    // Resolved only after a verified mitigation; closed only after resolved.
    if phase >= Phase::Resolved {
        assert!(incident.entered(Phase::Monitoring).is_some());
    }
    if phase == Phase::Closed {
        assert!(incident.entered(Phase::Resolved).is_some());
    }

    // Actions: started only once approved, outcomes only once started.
    let mut approved = BTreeSet::new();
    let mut started = BTreeSet::new();
    let mut finished = BTreeSet::new();
    for e in timeline {
        match &e.event.kind {
            EventKind::ActionApproved { key, .. } => {
                approved.insert(key.clone());
            }
            EventKind::ActionStarted { key, .. } => {
                assert!(approved.contains(key), "{key} started without approval");
                assert!(started.insert(key.clone()), "{key} started twice");
            }
            EventKind::ActionSucceeded { key, .. } | EventKind::ActionFailed { key, .. } => {
                assert!(started.contains(key), "{key} finished without starting");
                assert!(finished.insert(key.clone()), "{key} finished twice");
            }
            EventKind::HypothesisPosted { hypotheses } => {
                assert!(
                    hypotheses
                        .iter()
                        .all(|h| (0.0..=1.0).contains(&h.confidence))
                );
            }
            _ => {}
        }
    }
    for record in incident.actions() {
        let key = &record.action.key;
        match record.state {
            ActionState::Proposed | ActionState::Rejected => assert!(!started.contains(key)),
            ActionState::Withdrawn => assert!(!finished.contains(key)),
            ActionState::Approved => assert!(approved.contains(key) && !started.contains(key)),
            ActionState::Started => assert!(started.contains(key) && !finished.contains(key)),
            ActionState::Succeeded | ActionState::Failed => assert!(finished.contains(key)),
        }
    }

    // MTTx: the raw differences are never negative.
    let detected_at = incident.detected_at();
    assert!(
        incident.started_at() <= detected_at,
        "onset after detection"
    );
    for p in [Phase::Acknowledged, Phase::Resolved] {
        if let Some(at) = incident.entered(p) {
            assert!(at >= detected_at, "{p} before detection");
        }
    }
    assert!(incident.mtta().is_some() == incident.acknowledged().is_some());
    assert!(incident.mttr().is_some() == incident.entered(Phase::Resolved).is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_sequence_of_events_reaches_an_illegal_state(onset in 0i64..30, events in arb_events()) {
        let mut incident = opened(onset);
        play(&mut incident, events, |before, after, accepted| {
            if !accepted {
                assert_eq!(after, before, "a refused event changed the incident");
            }
            assert_legal(after);
        });
    }

    #[test]
    fn folding_a_timeline_twice_gives_the_same_incident(onset in 0i64..30, events in arb_events()) {
        let mut incident = opened(onset);
        play(&mut incident, events, |_, _, _| {});
        let once = Incident::from_timeline(incident.id(), incident.dedup_key(), incident.timeline()).unwrap();
        let twice = Incident::from_timeline(once.id(), once.dedup_key(), once.timeline()).unwrap();
        prop_assert_eq!(&once, &incident);
        prop_assert_eq!(&twice, &once);

        // And through serde, as a store would keep it.
        let json = serde_json::to_string(incident.timeline()).unwrap();
        let back: Vec<ir_core::incident::RecordedEvent> = serde_json::from_str(&json).unwrap();
        let refolded = Incident::from_timeline(incident.id(), incident.dedup_key(), &back).unwrap();
        prop_assert_eq!(&refolded, &incident);
    }

    #[test]
    fn mttx_and_phase_times_are_never_negative(onset in 0i64..30, events in arb_events(), later in 0i64..600) {
        let mut incident = opened(onset);
        let at = play(&mut incident, events, |_, _, _| {});
        let now = at.max(t0()) + ChronoDuration::minutes(later);
        prop_assert_eq!(incident.mttd().as_secs() as i64, onset * 60);
        let total: u64 = incident.time_in_phases(now).iter().map(|(_, d)| d.as_secs()).sum();
        let span = (now - incident.detected_at()).num_seconds();
        prop_assert!(total as i64 <= span.max(0), "phase times exceed the incident's span");
        if let Some(mttr) = incident.mttr() {
            prop_assert!(mttr >= incident.mtta().unwrap_or_default());
        }
    }
}

#[test]
fn a_timeline_that_skips_a_phase_does_not_fold() {
    let incident = opened(0);
    let mut timeline = incident.timeline().to_vec();
    timeline.push(ir_core::incident::RecordedEvent {
        seq: 2,
        event: Event::new(t0(), "forged", EventKind::resolved("x", "y")),
    });
    let err = Incident::from_timeline(incident.id(), "key", &timeline).unwrap_err();
    assert_eq!(err.phase, Phase::Detected);
    assert_eq!(err.event, "resolved");
}

#[test]
fn generated_histories_reach_every_phase() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut reached = BTreeSet::new();
    for _ in 0..256 {
        let steps = arb_events().new_tree(&mut runner).unwrap().current();
        let mut incident = opened(0);
        play(&mut incident, steps, |_, _, _| {});
        reached.insert(incident.phase());
    }
    assert_eq!(reached.into_iter().collect::<Vec<_>>(), Phase::ALL.to_vec());
}
