//! Verifying and monitoring: a mitigation's checks polled until healthy rounds in a row, the
//! runbook's monitoring window, then the resolution criteria.

use super::messages::Outgoing;
use super::{Drive, Outcome, Tried, UnmeasuredCriteria};
use crate::clock::{to_chrono, to_std};
use crate::comms::format::{duration_long, duration_short};
use crate::error::Result;
use crate::incident::EventKind;
use crate::model::{Action, Hypothesis, StatusPageStatus, TimeWindow};
use crate::model::{Check, Verification};
use crate::playbook::verify::{check_round, quantile};
use crate::severity::PagingMode;

impl Drive<'_> {
    /// Polls the verification; on success monitors and resolves, on failure escalates and
    /// undoes a configuration change.
    pub(super) async fn verify_and_resolve(
        &mut self,
        action: &Action,
        hypothesis: &Hypothesis,
        verification: &Verification,
    ) -> Result<Tried> {
        let (passed, summary) = self.verify(verification).await?;
        if !passed {
            return self.relapse(action, summary).await;
        }
        self.commit(
            vec![EventKind::MitigationVerified {
                summary: summary.clone(),
            }],
            vec![
                Outgoing::MitigationApplied {
                    action: action.kind.clone(),
                    status: summary,
                    monitor_for: self.r.config.monitor_for,
                },
                Outgoing::StatusPage(StatusPageStatus::Monitoring),
            ],
        )
        .await?;
        self.monitor_and_resolve(action, hypothesis, verification)
            .await
    }

    /// Polls `verification` until `k` healthy rounds in a row or its deadline.
    pub(super) async fn verify(&mut self, verification: &Verification) -> Result<(bool, String)> {
        let started = self.now();
        let k = verification.consecutive.max(1);
        let mut consecutive = 0;
        let mut rounds = 0;
        let mut last_failures: Vec<String> = Vec::new();
        loop {
            self.r.clock.sleep(verification.interval).await;
            self.keep_lease().await?;
            rounds += 1;
            let round = check_round(
                &self.r.providers,
                &verification.checks,
                self.baseline.as_ref(),
                self.now(),
            )
            .await;
            self.handle_due().await?;
            let skipped = round.skipped;
            if round.healthy {
                consecutive += 1;
                if consecutive >= k {
                    let mut summary = format!(
                        "{} passed {k} times in a row ({rounds} rounds, {} s)",
                        describe_checks(&verification.checks),
                        to_std(self.now() - started).as_secs()
                    );
                    if !skipped.is_empty() {
                        summary.push_str(&format!("; {}", skipped.join("; ")));
                    }
                    return Ok((true, summary));
                }
            } else {
                consecutive = 0;
                last_failures = round.failures;
            }
            if self.now() - started >= to_chrono(verification.deadline) {
                return Ok((
                    false,
                    format!(
                        "{} not healthy {k} times in a row within {} s: {}",
                        describe_checks(&verification.checks),
                        verification.deadline.as_secs(),
                        if last_failures.is_empty() {
                            "too few healthy rounds".to_owned()
                        } else {
                            last_failures.join("; ")
                        }
                    ),
                ));
            }
        }
    }

    /// The runbook's monitoring window, then the resolution criteria.
    pub(super) async fn monitor_and_resolve(
        &mut self,
        action: &Action,
        hypothesis: &Hypothesis,
        verification: &Verification,
    ) -> Result<Tried> {
        let cfg = &self.r.config;
        let started = self.now();
        let slo = self.r.severity.thresholds.latency_slo_p95;
        let checks = {
            let mut checks = verification.checks.clone();
            let health = Check::Healthy {
                path: cfg.health_path.clone(),
            };
            if !checks.contains(&health) {
                checks.push(health);
            }
            checks
        };
        let mut latencies = Vec::new();
        while self.now() - started < to_chrono(cfg.monitor_for) {
            self.r.clock.sleep(cfg.monitor_interval).await;
            self.keep_lease().await?;
            let round = check_round(
                &self.r.providers,
                &checks,
                self.baseline.as_ref(),
                self.now(),
            )
            .await;
            self.handle_due().await?;
            latencies.extend(round.latencies);
            if !round.healthy {
                return self
                    .relapse(
                        action,
                        format!("relapsed while monitoring: {}", round.failures.join("; ")),
                    )
                    .await;
            }
        }
        let watched = to_std(self.now() - started);

        // Error rate below baseline for the whole window.
        let baseline_compared = self.baseline.is_some() && self.r.providers.errors.is_some();
        let sampled = !latencies.is_empty();
        let error_rate = match (&self.baseline, &self.r.providers.errors) {
            (Some(baseline), Some(tracker)) => {
                let window = TimeWindow::new(started, self.now());
                match tracker.error_counts(window, cfg.error_interval).await {
                    Ok(buckets) => {
                        let count: u64 = buckets.iter().map(|b| b.count).sum();
                        if !baseline.holds(count, watched) {
                            return self
                                .relapse(
                                    action,
                                    format!(
                                        "{count} errors in {}, above the baseline of {:.1}",
                                        duration_long(watched),
                                        baseline.per_second * watched.as_secs_f64()
                                    ),
                                )
                                .await;
                        }
                        format!(
                            "Error rate at baseline ({count} errors in {}, baseline {:.1})",
                            duration_short(watched),
                            baseline.per_second * watched.as_secs_f64()
                        )
                    }
                    Err(e) => {
                        return self
                            .stop_monitoring(format!("error rate could not be read: {e}"))
                            .await;
                    }
                }
            }
            _ => "Error rate not compared (no baseline before onset)".to_owned(),
        };

        // p95 latency under the SLO.
        let latency = match quantile(&latencies, 0.95) {
            Some(p95) if p95 > slo => {
                return self
                    .relapse(
                        action,
                        format!(
                            "p95 latency {} ms is over the {} ms SLO",
                            p95.as_millis(),
                            slo.as_millis()
                        ),
                    )
                    .await;
            }
            Some(p95) => format!(
                "Latency p95 at {}ms (within SLO, {} samples)",
                p95.as_millis(),
                latencies.len()
            ),
            None => "Latency not sampled".to_owned(),
        };

        // What could not be measured: by policy a person decides, or the health checks do.
        let unmeasured: Vec<&str> = [
            (
                !baseline_compared,
                "the error rate (no error tracker, or no baseline before onset)",
            ),
            (!sampled, "latency (no sample)"),
        ]
        .into_iter()
        .filter_map(|(missing, what)| missing.then_some(what))
        .collect();
        if !unmeasured.is_empty() && cfg.unmeasured == UnmeasuredCriteria::WaitForPerson {
            return self
                .stop_monitoring(format!(
                    "{} could not be measured; the health checks held for {}. A person \
                     resolves it (or set unmeasured = \"resolve_on_health\")",
                    unmeasured.join(" and "),
                    duration_long(watched)
                ))
                .await;
        }

        // No user reports.
        if let Some(reports) = &self.r.user_reports {
            match reports.count_since(started).await {
                Ok(0) => {}
                Ok(n) => {
                    return self
                        .stop_monitoring(format!("{n} user report(s) since the mitigation"))
                        .await;
                }
                Err(e) => {
                    return self
                        .stop_monitoring(format!("user reports could not be read: {e}"))
                        .await;
                }
            }
        }

        // Root cause understood, or explicitly deferred.
        let root_cause = if hypothesis.confidence >= cfg.root_cause_threshold {
            hypothesis.summary.clone()
        } else if cfg.defer_unknown_root_cause {
            format!(
                "deferred: {} (confidence {:.2}; mitigation safe, analysis in the postmortem)",
                hypothesis.summary, hypothesis.confidence
            )
        } else {
            return self
                .stop_monitoring(format!(
                    "root cause not understood (leading hypothesis confidence {:.2}); resolve \
                     once it is, or defer it explicitly",
                    hypothesis.confidence
                ))
                .await;
        };
        let mitigation = action.kind.past_tense();
        let mut criteria = vec![error_rate.clone(), latency.clone()];
        criteria.push(if self.r.user_reports.is_some() {
            "no user reports".to_owned()
        } else {
            "user reports not checked (no source configured)".to_owned()
        });
        if !unmeasured.is_empty() {
            criteria.push(format!(
                "not measured: {} (resolved on the health checks, by policy)",
                unmeasured.join(", ")
            ));
        }
        let follow_ups = self
            .r
            .playbook(&hypothesis.playbook)
            .map(|p| p.prevention())
            .unwrap_or_default();
        // Only what was checked and holds gets a ✅.
        let current_status = [(baseline_compared, error_rate), (sampled, latency)]
            .into_iter()
            .filter_map(|(held, line)| held.then_some(line))
            .collect();
        let mut messages = vec![
            Outgoing::Resolution {
                current_status,
                follow_ups,
            },
            Outgoing::StatusPage(StatusPageStatus::Resolved),
        ];
        // Only a P0/P1 was paged (the on-call engineer first).
        if self.incident().severity().paging() == PagingMode::PageImmediately {
            messages.push(Outgoing::PageResolve);
        }
        self.commit(
            vec![
                EventKind::note(format!("resolution criteria: {}", criteria.join("; "))),
                EventKind::resolved(root_cause.clone(), mitigation.clone()),
            ],
            messages,
        )
        .await?;
        Ok(Tried::Resolved(Outcome::Resolved {
            root_cause,
            mitigation,
        }))
    }

    pub(super) async fn relapse(&mut self, action: &Action, summary: String) -> Result<Tried> {
        self.journal
            .push(EventKind::VerificationFailed { summary })
            .await?;
        self.flag_uncertain().await?;
        self.undo_configuration(action).await?;
        Ok(Tried::Next)
    }

    pub(super) async fn stop_monitoring(&mut self, reason: String) -> Result<Tried> {
        self.journal
            .push(EventKind::note(format!("not resolved yet: {reason}")))
            .await?;
        Ok(Tried::Stop(Outcome::NeedsHuman {
            reason,
            recommendations: self.recommendations.clone(),
        }))
    }
}

fn describe_checks(checks: &[Check]) -> String {
    let names: Vec<String> = checks
        .iter()
        .map(|c| match c {
            Check::Healthy { path } => format!("{path} healthy"),
            Check::AuthWorks { path } => format!("{path} authenticating"),
            Check::LatencyUnder { path, max } => {
                format!("{path} under {} ms", max.as_millis())
            }
            Check::ErrorRateAtBaseline { .. } => "error rate at baseline".into(),
            Check::PoolHealthy => "connection pool healthy".into(),
        })
        .collect();
    names.join(", ")
}
