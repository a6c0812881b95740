//! A user-written playbook runs through the same runner as the built-in ones.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::*;
use ir_core::classify::Signals;
use ir_core::model::Verification;
use ir_core::model::{ActionKind, Hypothesis};
use ir_core::playbook::signatures::LogPattern;
use ir_core::playbook::{
    Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer, Symptoms,
};
use ir_core::runner::Outcome;

/// "The disk is full": a scenario the runbook does not have.
#[derive(Debug)]
struct DiskFull;

fn disk_logs() -> Probe {
    Probe::recent_logs([LogPattern::Custom(r"ENOSPC|No space left on device".into())])
}

impl Playbook for DiskFull {
    fn name(&self) -> &str {
        "disk_full"
    }
    fn title(&self) -> &str {
        "Disk Full"
    }
    fn applies(&self, ctx: &Context<'_>) -> bool {
        ctx.symptoms.any_text(|t| t.contains("ENOSPC"))
    }
    fn probes(&self, _: &Context<'_>) -> Vec<Probe> {
        vec![disk_logs(), Probe::ServiceStatus]
    }
    fn assess(&self, _: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let lines = ev.log_lines(&disk_logs()).filter(|(_, l)| !l.is_empty());
        vec![
            Scorer::new("disk_full", "disk_full", "the volume is full")
                .raise_if(0.8, lines.map(|(id, _)| id))
                .build(),
        ]
    }
    fn plan(&self, _: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        let Some((_, status)) = ev.service_status(&Probe::ServiceStatus) else {
            return Plan::new();
        };
        let Some(current) = status.active_deployments.first() else {
            return Plan::new();
        };
        Plan::new().mitigate(Mitigation::new(
            h,
            Remedy::Act(ActionKind::Redeploy {
                deployment: current.id.clone(),
            }),
            "redeploy onto a fresh volume",
            Verification::health("/health"),
        ))
    }
    fn prevention(&self) -> Vec<String> {
        vec!["Alert at 80% disk usage".into()]
    }
}

#[tokio::test]
async fn a_user_playbook_is_diagnosed_mitigated_and_resolved() {
    let signals = Signals {
        api_timeout_share: Some(0.6),
        ..Signals::default()
    };
    let world = World::open("Uploads failing", &signals, 4).await;
    let mut logs = MockLogSource::new();
    logs.expect_logs().times(1).returning(|_| {
        Ok(vec![
            LogLine::new(t(-3), None, "Error: ENOSPC: no space left on device, write"),
            LogLine::new(t(-3), None, "GET /health 200"),
        ])
    });
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("api").with_active(vec![deployment(
            "d7",
            DeploymentStatus::Active,
            -600,
        )]))
    });
    deploy
        .expect_redeploy()
        .times(1)
        .withf(|d| d.as_str() == "d7")
        .returning(|_| Ok(DeploymentId::new("d8")));
    let providers = world
        .providers()
        .with_logs(Arc::new(logs))
        .with_deploy(Arc::new(deploy))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner_with_playbooks(providers, never_asked(), vec![Arc::new(DiskFull)])
        .run(
            world.id,
            &Symptoms::new(signals).with_text("Error: ENOSPC: no space left on device"),
        )
        .await
        .unwrap();
    let Outcome::Resolved {
        root_cause,
        mitigation,
    } = &report.outcome
    else {
        panic!("{:?}", report.outcome)
    };
    assert_eq!(root_cause, "the volume is full");
    assert_eq!(mitigation, "Redeployed d7");
    let incident = world.incident().await;
    assert_eq!(step_outline(&incident), RESOLVED_OUTLINE);
    let detail = success_details(&incident).into_iter().next();
    assert_eq!(detail.as_deref(), Some("redeployed d7 as d8"));
    assert!(
        world
            .said()
            .iter()
            .any(|m| m.contains("- Alert at 80% disk usage"))
    );
}

/// [`DiskFull`] with a scoring bug: confidences over 1.
#[derive(Debug)]
struct Overconfident;

impl Playbook for Overconfident {
    fn name(&self) -> &str {
        DiskFull.name()
    }
    fn title(&self) -> &str {
        DiskFull.title()
    }
    fn applies(&self, ctx: &Context<'_>) -> bool {
        DiskFull.applies(ctx)
    }
    fn probes(&self, ctx: &Context<'_>) -> Vec<Probe> {
        DiskFull.probes(ctx)
    }
    fn assess(&self, ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        DiskFull
            .assess(ctx, ev)
            .into_iter()
            .map(|mut h| {
                h.confidence *= 2.0;
                h
            })
            .collect()
    }
    fn plan(&self, ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        DiskFull.plan(ctx, h, ev)
    }
    fn prevention(&self) -> Vec<String> {
        DiskFull.prevention()
    }
}

#[tokio::test]
async fn a_playbook_scoring_over_one_is_clamped_and_still_runs() {
    let signals = Signals {
        api_timeout_share: Some(0.6),
        ..Signals::default()
    };
    let world = World::open("Uploads failing", &signals, 4).await;
    let mut logs = MockLogSource::new();
    logs.expect_logs().returning(|_| {
        Ok(vec![LogLine::new(
            t(-3),
            None,
            "Error: ENOSPC: no space left on device, write",
        )])
    });
    let mut deploy = MockDeployPlatform::new();
    deploy.expect_service_status().returning(|| {
        Ok(ServiceStatus::new("api").with_active(vec![deployment(
            "d7",
            DeploymentStatus::Active,
            -600,
        )]))
    });
    deploy
        .expect_redeploy()
        .times(1)
        .returning(|_| Ok(DeploymentId::new("d8")));
    let providers = world
        .providers()
        .with_logs(Arc::new(logs))
        .with_deploy(Arc::new(deploy))
        .with_health(Arc::new(switchable_health(Arc::new(AtomicBool::new(true)))));
    let report = world
        .runner_with_playbooks(providers, never_asked(), vec![Arc::new(Overconfident)])
        .run(
            world.id,
            &Symptoms::new(signals).with_text("Error: ENOSPC: no space left on device"),
        )
        .await
        .unwrap();
    assert_resolved(&report);
    let incident = world.incident().await;
    assert_eq!(incident.assessments().last().unwrap()[0].confidence, 1.0);
}
