//! The whole postmortem of a short P2 incident, exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, NaiveDate, Utc};
use ir_core::SeverityPolicy;
use ir_core::classify::{Signals, classify};
use ir_core::incident::{Event, EventKind, Incident};
use ir_core::model::DeploymentId;
use ir_core::model::{Action, ActionKind, Hypothesis};
use ir_core::model::{IncidentId, MessageKind};
use ir_core::ports::IssueRef;
use ir_core::postmortem::{ActionItem, Postmortem};

fn t(hh: u32, mm: u32) -> DateTime<Utc> {
    format!("2026-02-08T{hh:02}:{mm:02}:00Z").parse().unwrap()
}

fn incident() -> Incident {
    let p2 = classify(
        &Signals {
            error_rate_5xx: Some(0.02),
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    );
    let id: IncidentId = "00000000-0000-4000-8000-000000000042".parse().unwrap();
    let mut incident = Incident::open(
        id,
        "sentry:5xx",
        Event::new(
            t(15, 0),
            "sentry",
            EventKind::detected("5xx spike", "www.ainative.studio", p2, None),
        ),
    )
    .unwrap();
    let rollback = Action::new(
        "rollback-d6",
        ActionKind::Rollback {
            to: DeploymentId::new("d-6"),
            from: Some(DeploymentId::new("d-7")),
        },
    );
    let key = rollback.key.clone();
    for (at, actor, kind) in [
        (
            t(15, 6),
            "@carol",
            EventKind::Acknowledged {
                by: "@carol".into(),
            },
        ),
        (t(15, 7), "@carol", EventKind::InvestigationStarted),
        (
            t(15, 20),
            "runner",
            EventKind::HypothesisPosted {
                hypotheses: vec![Hypothesis {
                    playbook: "high_error_rate".into(),
                    cause: "recent_deployment".into(),
                    summary: "Deployment d-7 introduced a failing query".into(),
                    confidence: 0.8,
                    supporting: vec![],
                    contradicting: vec![],
                }],
            },
        ),
        (t(15, 21), "runner", EventKind::proposed(rollback)),
        (
            t(15, 21),
            "runner",
            EventKind::ActionApproved {
                key: key.clone(),
                by: "policy".into(),
            },
        ),
        (
            t(15, 22),
            "runner",
            EventKind::ActionStarted {
                key: key.clone(),
                dry_run: false,
            },
        ),
        (
            t(15, 25),
            "runner",
            EventKind::ActionSucceeded {
                key,
                detail: "deployment d-8 is SUCCESS".into(),
            },
        ),
        (
            t(15, 35),
            "runner",
            EventKind::MitigationVerified {
                summary: "5xx rate 0.2% for 10 minutes".into(),
            },
        ),
        (
            t(15, 50),
            "@carol",
            EventKind::resolved(
                "Deployment d-7 ran an unindexed query that timed out",
                "Rolled back to d-6",
            ),
        ),
        (
            t(15, 51),
            "runner",
            EventKind::MessagePosted {
                kind: MessageKind::ResolutionNotification,
                channel: "#incident-response".into(),
                text: "✅ INCIDENT RESOLVED - 15:50 UTC".into(),
                provider_id: None,
                queued: None,
            },
        ),
    ] {
        incident.record(Event::new(at, actor, kind)).unwrap();
    }
    incident
}

#[test]
fn postmortem_of_a_p2_rollback() {
    let postmortem = Postmortem::from_incident(&incident(), &SeverityPolicy::runbook(), t(16, 0))
        .with_to_improve("CI did not catch the unindexed query")
        .with_action_item(
            ActionItem::new(
                "Run EXPLAIN on new queries in CI",
                "@carol",
                NaiveDate::from_ymd_opt(2026, 2, 15).unwrap(),
            )
            .with_issue(IssueRef {
                number: 7,
                url: "https://github.com/ainative/ainative-nextjs/issues/7".into(),
            }),
        );
    let markdown = postmortem.to_markdown().unwrap();
    assert_eq!(markdown, EXPECTED);
}

const EXPECTED: &str = r#"# Postmortem: 5xx spike

_Blameless: this document describes what happened and how the system and the process behaved, so that both improve. It does not assign fault._

| | |
|---|---|
| Incident | `00000000-0000-4000-8000-000000000042` |
| Service | www.ainative.studio |
| Severity | P2 (Degraded Performance) |
| Detected | 2026-02-08 15:00 UTC |
| Resolved | 2026-02-08 15:50 UTC |
| Duration | 50 minutes |

## Summary

5xx spike on www.ainative.studio: a P2 (Degraded Performance) incident, detected 2026-02-08 15:00 UTC and resolved 2026-02-08 15:50 UTC after 50 minutes.

## Impact

Classified P2 (Degraded Performance) at detection:
- high_error_rate (P2): observed 2.00%, threshold > 1.00%

## Timeline

All times UTC, on 2026-02-08 unless dated.

- 15:00 · sentry · Detected "5xx spike" on www.ainative.studio as P2 (high_error_rate (P2): observed 2.00%, threshold > 1.00%)
- 15:06 · @carol · Acknowledged by @carol
- 15:07 · @carol · Investigation started
- 15:20 · runner · Assessment posted: Deployment d-7 introduced a failing query (80% confidence)
- 15:21 · runner · Proposed: roll back to deployment d-6 (reversible risk)
- 15:21 · runner · Approved: roll back to deployment d-6 (by policy)
- 15:22 · runner · Started: roll back to deployment d-6
- 15:25 · runner · Succeeded: roll back to deployment d-6: deployment d-8 is SUCCESS
- 15:35 · runner · Mitigation verified: 5xx rate 0.2% for 10 minutes
- 15:50 · @carol · Resolved. Root cause: Deployment d-7 ran an unindexed query that timed out. Mitigation: Rolled back to d-6
- 15:51 · runner · Posted the resolution notification to #incident-response

## Response

| Measure | Time | Target |
|---|---|---|
| MTTD: onset to detection | onset unknown | — |
| MTTA: detection to acknowledgement | 6 minutes | 15 minutes |
| Initial assessment: detection to first hypothesis | 20 minutes | 1 hour |
| MTTR: detection to resolution | 50 minutes | 8 hours |

Time in each phase:
- Detected: 6 minutes
- Acknowledged: 1 minute
- Investigating: 13 minutes
- Identified: 2 minutes
- Mitigating: 13 minutes
- Monitoring: 15 minutes
- Resolved: 10 minutes

Every response target was met.

## Root cause

Deployment d-7 ran an unindexed query that timed out

Mitigation: Rolled back to d-6

Hypotheses considered (latest assessment):
- 80% Deployment d-7 introduced a failing query (`recent_deployment`, high_error_rate)

## What went well

- Acknowledged in 6 minutes (target 15 minutes).
- First assessment posted in 20 minutes (target 1 hour).
- Resolved in 50 minutes (target 8 hours).
- The mitigation was verified before the incident was resolved: 5xx rate 0.2% for 10 minutes.

## What to improve

- CI did not catch the unindexed query

## Action items

| Action | Owner | Due | Issue |
|---|---|---|---|
| Run EXPLAIN on new queries in CI | @carol | 2026-02-15 | [#7](https://github.com/ainative/ainative-nextjs/issues/7) |

## Post-incident checklist

- [ ] Update status page (resolved)
- [x] Post resolution in #incident-response (resolution posted to #incident-response, 2026-02-08 15:51 UTC)
- [ ] Close PagerDuty incident
- [ ] Thank incident responders
- [ ] Schedule postmortem (within 48 hours)
- [x] Create GitHub issues for action items (issue #7 filed)
- [ ] Update runbook with learnings
- [ ] Review SLO impact
- [ ] Update monitoring/alerting if needed
"#;
