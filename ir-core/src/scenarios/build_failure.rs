//! Scenario 3: Missing File Imports (Build Failure).
//!
//! A deployment's build fails with `Cannot find module 'lib/utils/...'`. The platform keeps
//! serving the last good deployment, so the incident is the blocked deploy: the failing run and
//! step are found, the missing path extracted, and the runbook's causes told apart where the
//! evidence allows (not committed, deleted, or differing in letter case). The mitigation files
//! an issue naming the missing file (or, for a deletion, opens a revert pull request).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::common::{self, clip};
use crate::actions::short_sha;
use crate::error::Result;
use crate::model::{ActionKind, EvidenceId, Hypothesis};
use crate::model::{DeploymentStatus, FailedJob, WorkflowRun};
use crate::model::{Verification, VerificationTimings};
use crate::playbook::signatures::{LogPattern, is_case_mismatch, missing_module};
use crate::playbook::{Context, EvidenceSet, Mitigation, Plan, Playbook, Probe, Remedy, Scorer};

/// Scenario 3: Missing File Imports (Build Failure).
///
/// **Selected** when a deployment's build failed ([`Symptoms::build_failed`](crate::playbook::Symptoms))
/// or the alert's text names a missing module (`Cannot find module '...'`, webpack's
/// `Module not found: Can't resolve`, Vite's and esbuild's unresolved imports).
///
/// # Ports and probes
///
/// | port | probes | without it |
/// |---|---|---|
/// | [`CodeHost`](crate::ports::CodeHost) | the last 5 failed runs of `workflow` (every workflow when `None`) with their failed jobs: the failing step and the end of its log | **nothing to diagnose** (no failing step, so no hypothesis above 0) and neither mitigation can run |
/// | [`DeployPlatform`](crate::ports::DeployPlatform) | service status (is production still serving?); the last 10 deployments (their commit messages); with the log source, the new log signatures since the current deployment | no "production keeps serving" evidence or recommendation; a deletion cannot be told from the commit message |
/// | [`LogSource`](crate::ports::LogSource) | with the deploy platform, the new log signatures | no runtime evidence that the module also fails to load |
/// | [`HealthProbe`](crate::ports::HealthProbe) | none | **no mitigation can verify** (the verification checks `health_path`) |
///
/// # Hypotheses
///
/// The failing job's log excerpt is searched for the missing module's path. When no failed
/// run names one, the only hypothesis is "build failure, no missing import found"
/// (`missing_import_not_committed` at 0.04: +0.20 then −0.80 from the failed runs), below the
/// runner's act threshold. Otherwise, with the weights of [`Scorer`](crate::playbook::Scorer):
///
/// **`missing_import_not_committed`**, "'lib/utils/x' is imported but not committed: build
/// fails in job "build", step "Build" of run 42 (abc1234)":
/// - +0.60 a failed run names the missing module; +0.20 its failing step is a build step (its
///   name says build, compile, tsc, type or bundle);
/// - +0.10 production still serves an active deployment;
/// - −0.60 evidence of a letter-case mismatch; −0.60 evidence of a deletion (below);
/// - +0.15 the module also fails to load at runtime, new since the current deployment.
///
/// A build step naming the module while production keeps serving gives 0.71.
///
/// **`missing_import_deleted`**, "'lib/utils/x' was deleted but is still imported":
/// - +0.20 a failed run names the module; +0.10 production still serves;
/// - +0.70 the failing commit's message (from the deployments) says a file of that name was
///   deleted, removed, renamed or moved;
/// - +0.15 the runtime signature, as above.
///
/// **`missing_import_case_mismatch`**, "the import of 'lib/utils/x' differs from the file's name
/// only in letter case (case-sensitive build)":
/// - +0.20 a failed run names the module; +0.10 production still serves;
/// - +0.70 the log says so (TypeScript's "differs from file name ... only in casing") or names
///   the same file in another letter case;
/// - +0.15 the runtime signature, as above.
///
/// # Mitigations
///
/// Production keeps serving the last good deployment, so the incident is the blocked deploy.
/// For a deletion the revert comes first, otherwise the issue; both are proposed, tried in
/// order until one verifies.
///
/// | mitigation | risk | verification |
/// |---|---|---|
/// | file an issue (labels `incident`, `build`) naming the file, the run, job, step and error, the fix, and the end of the log | read-only: runs without asking | `verification` |
/// | a revert pull request of the failing run's commit into `base_branch` | reversible: without asking only at P0/P1 with the top hypothesis at 0.7 or more ([`ApprovalPolicy::runbook`](crate::playbook::ApprovalPolicy::runbook)) | `verification` |
///
/// The recommendations name the fix (commit the file or remove the import; restore it; match
/// its letter case) and the deployment production keeps serving.
///
/// # Verification
///
/// `health_path` answers 2xx/3xx (production still serves), in rounds timed by
/// `verification`: runbook default 3 rounds in a row, 30 s apart, within 10 minutes (expected
/// 90 s, [`VerificationTimings::expected_duration`]).
///
/// ```
/// use std::time::Duration;
/// use ir_core::model::VerificationTimings;
/// use ir_core::scenarios::BuildFailure;
///
/// let build = BuildFailure::default()
///     .with_verification(VerificationTimings::runbook().with_interval(Duration::from_secs(5)));
/// assert_eq!(build.verification.expected_duration(), Duration::from_secs(15));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BuildFailure {
    /// The deploy workflow (the runbook's `cd-production.yml`); every workflow when `None`.
    pub workflow: Option<String>,
    /// The branch reverts go into.
    pub base_branch: String,
    /// The health endpoint (production should keep serving).
    pub health_path: String,
    /// Verifying the issue or the revert (runbook: 3 × 30 s within 10 minutes).
    pub verification: VerificationTimings,
}

impl Default for BuildFailure {
    fn default() -> Self {
        Self {
            workflow: None,
            base_branch: "main".into(),
            health_path: "/health".into(),
            verification: VerificationTimings::runbook(),
        }
    }
}

impl BuildFailure {
    /// Sets how the mitigations are verified.
    pub fn with_verification(mut self, timings: VerificationTimings) -> Self {
        self.verification = timings;
        self
    }

    /// Checks the verification timings ([`VerificationTimings::validate`]).
    ///
    /// # Errors
    /// `Config` naming the field whose timings can never verify.
    pub fn validate(&self) -> Result<()> {
        common::validate_timings(&[("verification", &self.verification)])
    }
}

const NAME: &str = "build_failure_missing_import";

#[allow(clippy::expect_used)]
static REMOVAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(delete[sd]?|remove[sd]?|rename[sd]?|move[sd]?|drop(s|ped)?|clean ?up)\b")
        .expect("literal pattern")
});

/// What the failing build says.
struct Failure<'a> {
    id: &'a EvidenceId,
    run: &'a WorkflowRun,
    job: &'a FailedJob,
    path: String,
    log: &'a str,
}

impl BuildFailure {
    fn runs(&self) -> Probe {
        Probe::FailedRuns {
            workflow: self.workflow.clone(),
            limit: 5,
        }
    }

    fn failure<'a>(&self, ev: &'a EvidenceSet) -> Option<Failure<'a>> {
        let (id, runs) = ev.failed_runs(&self.runs())?;
        runs.iter().find_map(|(run, jobs)| {
            jobs.iter().find_map(|job| {
                let log = job.log_excerpt.as_deref()?;
                missing_module(log).map(|path| Failure {
                    id,
                    run,
                    job,
                    path,
                    log,
                })
            })
        })
    }

    /// The case-insensitive twin of `path` named elsewhere in the log, if any.
    fn case_twin(path: &str, log: &str) -> bool {
        let base = path.rsplit('/').next().unwrap_or(path);
        if base.is_empty() {
            return false;
        }
        let lower = base.to_lowercase();
        log.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .any(|w| {
                let w = w.trim_end_matches(".ts").trim_end_matches(".tsx");
                w != base && w.to_lowercase() == lower
            })
    }
}

impl Playbook for BuildFailure {
    fn name(&self) -> &str {
        NAME
    }

    fn title(&self) -> &str {
        "Missing File Imports (Build Failure)"
    }

    fn applies(&self, ctx: &Context<'_>) -> bool {
        ctx.symptoms.build_failed || ctx.symptoms.any_text(|t| missing_module(t).is_some())
    }

    fn probes(&self, _ctx: &Context<'_>) -> Vec<Probe> {
        vec![
            self.runs(),
            Probe::ServiceStatus,
            common::deployments_probe(),
            common::signatures_probe(),
        ]
    }

    fn assess(&self, _ctx: &Context<'_>, ev: &EvidenceSet) -> Vec<Hypothesis> {
        let Some(f) = self.failure(ev) else {
            // Failed runs without a missing module, or no runs at all: this is not our scenario.
            let mut h = Scorer::new(
                NAME,
                "missing_import_not_committed",
                "build failure, no missing import found",
            );
            if let Some((id, _)) = ev.failed_runs(&self.runs()) {
                h = h.raise(0.2, id).lower(0.8, id);
            }
            return vec![h.build()];
        };
        let build_step = f.job.step_name.as_deref().is_some_and(|s| {
            let s = s.to_lowercase();
            ["build", "compile", "tsc", "type", "bundle"]
                .iter()
                .any(|w| s.contains(w))
        });
        let where_ = format!(
            "in job \"{}\"{} of run {} ({})",
            f.job.name,
            f.job
                .step_name
                .as_ref()
                .map(|s| format!(", step \"{s}\""))
                .unwrap_or_default(),
            f.run.id,
            short_sha(&f.run.head_sha)
        );

        // Case mismatch: TypeScript says so, or the log names the same file in another case.
        let casing = is_case_mismatch(f.log) || Self::case_twin(&f.path, f.log);
        // Deleted: the failing commit's message says a file went away.
        let base = f.path.rsplit('/').next().unwrap_or(&f.path).to_lowercase();
        let removal = ev
            .deployments(&common::deployments_probe())
            .and_then(|(id, ds)| {
                ds.iter()
                    .find(|d| {
                        d.commit_sha.as_deref() == Some(f.run.head_sha.as_str())
                            && d.commit_message.as_deref().is_some_and(|m| {
                                REMOVAL.is_match(m) && m.to_lowercase().contains(&base)
                            })
                    })
                    .map(|_| id)
            });
        let serving = ev
            .service_status(&Probe::ServiceStatus)
            .and_then(|(id, s)| {
                s.current()
                    .is_some_and(|d| d.status == DeploymentStatus::Active)
                    .then_some(id)
            });

        let mut not_committed = Scorer::new(
            NAME,
            "missing_import_not_committed",
            format!(
                "'{}' is imported but not committed: build fails {where_}",
                f.path
            ),
        )
        .raise(0.6, f.id);
        if build_step {
            not_committed = not_committed.raise(0.2, f.id);
        }
        not_committed = not_committed.raise_if(0.1, serving);
        let mut deleted = Scorer::new(
            NAME,
            "missing_import_deleted",
            format!(
                "'{}' was deleted but is still imported: build fails {where_}",
                f.path
            ),
        )
        .raise(0.2, f.id)
        .raise_if(0.1, serving);
        let mut case = Scorer::new(
            NAME,
            "missing_import_case_mismatch",
            format!(
                "the import of '{}' differs from the file's name only in letter case \
                 (case-sensitive build): build fails {where_}",
                f.path
            ),
        )
        .raise(0.2, f.id)
        .raise_if(0.1, serving);
        if casing {
            case = case.raise(0.7, f.id);
            not_committed = not_committed.lower(0.6, f.id);
        }
        if let Some(id) = removal {
            deleted = deleted.raise(0.7, id);
            not_committed = not_committed.lower(0.6, id);
        }
        // The module also fails to load at runtime, new since the deployment: it shipped broken.
        // That says the import is broken, not why, so every cause gains alike.
        let shipped = common::new_signature(ev, Some(&LogPattern::MissingModule));
        not_committed = not_committed.raise_if(0.15, shipped);
        deleted = deleted.raise_if(0.15, shipped);
        case = case.raise_if(0.15, shipped);
        vec![not_committed.build(), deleted.build(), case.build()]
    }

    fn plan(&self, _ctx: &Context<'_>, h: &Hypothesis, ev: &EvidenceSet) -> Plan {
        let Some(f) = self.failure(ev) else {
            return Plan::new();
        };
        let fix = match h.cause.as_str() {
            "missing_import_not_committed" => format!(
                "Commit `{}` (create the missing file), or remove the import",
                f.path
            ),
            "missing_import_deleted" => format!(
                "Restore `{}` or remove every import of it (a revert of {} restores it)",
                f.path,
                short_sha(&f.run.head_sha)
            ),
            "missing_import_case_mismatch" => format!(
                "Make the import of `{}` match the file name's letter case exactly",
                f.path
            ),
            _ => return Plan::new(),
        };
        let body = format!(
            "The production build is failing.\n\n- Run: {} ({})\n- Job: {}\n- Step: {}\n- Error: `Cannot find module '{}'`\n- Cause: {}\n\n**Fix:** {fix}; commit, push, and watch the build in CI.\n\nProduction keeps serving the last good deployment until then.\n\n```\n{}\n```",
            f.run.id,
            if f.run.html_url.is_empty() {
                "no link"
            } else {
                &f.run.html_url
            },
            f.job.name,
            f.job.step_name.as_deref().unwrap_or("unknown"),
            f.path,
            h.summary,
            clip(f.log.trim(), 1500),
        );
        let verification =
            Verification::health(self.health_path.clone()).with_timings(self.verification);
        let issue = Mitigation::new(
            h,
            Remedy::CreateIssue {
                title: format!("Build failure: Cannot find module '{}'", f.path),
                body,
                labels: vec!["incident".into(), "build".into()],
            },
            "file an issue naming the missing file; production keeps serving the last good \
             deployment",
            verification.clone(),
        );
        let revert = Mitigation::new(
            h,
            Remedy::Act(ActionKind::OpenRevertPr {
                commit_sha: f.run.head_sha.clone(),
                base: self.base_branch.clone(),
            }),
            format!(
                "revert {} so the build passes again",
                short_sha(&f.run.head_sha)
            ),
            verification,
        );
        let serving = ev
            .service_status(&Probe::ServiceStatus)
            .and_then(|(_, s)| s.current())
            .filter(|d| d.status == DeploymentStatus::Active)
            .map(|d| {
                format!(
                    "Production keeps serving deployment {}",
                    common::describe(d)
                )
            });
        let mut plan = if h.cause == "missing_import_deleted" {
            Plan::new().mitigate(revert).mitigate(issue)
        } else {
            Plan::new().mitigate(issue).mitigate(revert)
        };
        plan = plan.recommend(fix);
        if let Some(s) = serving {
            plan = plan.recommend(s);
        }
        plan
    }

    fn prevention(&self) -> Vec<String> {
        vec![
            "Run `npm run build` before committing".into(),
            "CI validates build before merge".into(),
            "Pre-commit hook runs type-check".into(),
        ]
    }
}
