//! The simulated world: every vendor's state, the traffic the site serves between requests, and
//! what each scenario starts from.

use std::time::Duration;

use ir_core::clock::Timestamp;
use ir_core::model::{Deployment, DeploymentStatus, LogLevel};

use crate::config::{Scenario, SimConfig, SimIds};
use crate::github::{GhDeployment, Github, GithubIssue, Job, Run, Step};
use crate::pagerduty::PagerDuty;
use crate::railway::{Behaviour, IdScheme, LogStream, Platform};
use crate::sentry::Sentry;
use crate::site::{self, AppError, Condition};
use crate::slack::Slack;
use crate::statuspage::Statuspage;

/// The longest stretch of traffic made up at once (a clock that jumped days ahead).
const MAX_CATCH_UP: Duration = Duration::from_secs(6 * 60 * 60);

/// The application's connection pool and the connections it leaked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    pub size: u32,
    /// Connections held by the leak (alive ones, when they are real).
    pub leaked: u32,
    /// When the leak started; a restart after it releases the leak.
    pub since: Option<Timestamp>,
}

impl Pool {
    pub(crate) fn exhausted(&self) -> bool {
        self.since.is_some() && self.leaked >= self.size
    }
}

/// Every vendor's state.
#[derive(Debug)]
pub(crate) struct World {
    pub railway: Platform,
    pub github: Github,
    pub sentry: Sentry,
    pub slack: Slack,
    pub pagerduty: PagerDuty,
    pub statuspage: Statuspage,
    pub pool: Pool,
    pub stripe_failing: bool,
    pub memory_leak: bool,
    pub site_latency: Duration,
    /// Traffic is made up to here.
    last_tick: Timestamp,
    /// Before this the site served as if healthy (the scenario's history).
    onset: Option<Timestamp>,
}

const COMMITS: [(&str, &str); 3] = [
    (
        "1f3c9a7e5b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e",
        "feat: billing page",
    ),
    (
        "2b7e4d9c1a3f5e7d9b1c3e5f7a9b2d4f6a8c0e1d",
        "fix: billing rounding",
    ),
    (
        "3c8f5e0d2b4a6f8e0c2d4f6a8b0c3e5a7b9d1f2e",
        "feat: dashboard widgets",
    ),
];

impl World {
    /// The world `config`'s scenario starts from, at `t0`.
    pub(crate) fn new(config: &SimConfig, t0: Timestamp) -> Self {
        let ids = &config.ids;
        let scenario = config.scenario;
        let minutes = chrono::Duration::minutes;
        let mut world = Self {
            railway: Platform::new(ids.railway_service_name.clone())
                .with_ids(IdScheme::Uuid { seed: 0x5e7a_1d00 })
                .with_timings(config.timings),
            github: Github::default(),
            sentry: Sentry::default(),
            slack: Slack::default(),
            pagerduty: PagerDuty::default(),
            statuspage: Statuspage::default(),
            pool: Pool {
                size: config.pool_size,
                ..Pool::default()
            },
            stripe_failing: false,
            memory_leak: false,
            site_latency: config.site_latency,
            last_tick: t0 - minutes(180),
            onset: None,
        };
        match &config.platform {
            Some(platform) => world.railway = platform.clone(),
            None => world.seed_railway(scenario, t0),
        }
        world.github.workflow = ids.github_workflow.clone();
        world.seed_github(ids);
        match scenario {
            Scenario::SiteDown | Scenario::AuthSecretMissing | Scenario::BuildFailure => {
                world.onset = Some(t0 - minutes(8));
            }
            Scenario::PoolExhausted => {
                world.pool.since = Some(t0 - minutes(40));
                world.pool.leaked = world.pool.size;
                world.onset = Some(t0 - minutes(12));
            }
            Scenario::ErrorSpike => {
                world.stripe_failing = true;
                world.onset = Some(t0 - minutes(12));
            }
            Scenario::LatencySpike => {
                world.memory_leak = true;
                world.onset = Some(t0 - minutes(20));
            }
            _ => {}
        }
        world.tick(t0);
        world
    }

    fn seed_railway(&mut self, scenario: Scenario, t0: Timestamp) {
        let minutes = chrono::Duration::minutes;
        let r = &mut self.railway;
        r.seed_variables([
            (
                "DATABASE_URL",
                "postgresql://app:app-password@pgbouncer.railway.internal:6432/app",
            ),
            ("NEXTAUTH_URL", "https://www.acme.example"),
            (
                site::SECRET_VARIABLE,
                "c2ltdWxhdGVkLW5leHRhdXRoLXNlY3JldC0zMmJ5dGVz",
            ),
            (site::STRIPE_FLAG, "true"),
            ("NODE_ENV", "production"),
        ]);
        let deployment = |n: usize, at: Timestamp| {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", 0x5e7a_0000 + n, n * 4099);
            let (sha, message) = COMMITS[n];
            Deployment::new(id, DeploymentStatus::Active, at)
                .with_commit(sha, Some(message.to_owned()))
                .with_capabilities(true, true)
        };
        // A memory leak grows for hours: the serving deployment is older then.
        let good_age = if scenario == Scenario::LatencySpike {
            300
        } else {
            180
        };
        r.push(deployment(0, t0 - minutes(26 * 60)), Behaviour::Healthy);
        r.push(deployment(1, t0 - minutes(good_age)), Behaviour::Healthy);
        let bad = match scenario {
            Scenario::SiteDown => Some(Behaviour::crash_loop(
                "TypeError: Cannot read properties of undefined (reading 'map') at DashboardWidgets (/app/.next/server/app/dashboard/page.js:1:2041)",
            )),
            Scenario::AuthSecretMissing => {
                // The deployment went out after the secret was dropped from the service.
                r.forget_variable(site::SECRET_VARIABLE);
                Some(Behaviour::Healthy)
            }
            Scenario::BuildFailure => Some(Behaviour::build_fails(
                "Module not found: Error: Can't resolve '../lib/utils/formatDate' in '/app/components'",
            )),
            _ => None,
        };
        if let Some(behaviour) = bad {
            r.push(deployment(2, t0 - minutes(10)), behaviour);
        }
    }

    fn seed_github(&mut self, ids: &SimIds) {
        let deployments: Vec<Deployment> = self
            .railway
            .deployments()
            .iter()
            .rev()
            .map(|d| d.deployment.clone())
            .collect();
        for (n, d) in deployments.iter().enumerate() {
            let sha = d.commit_sha.clone().unwrap_or_default();
            let title = d.commit_message.clone().unwrap_or_default();
            let failed = d.status == DeploymentStatus::Failed;
            let number = 11 + n as u64;
            self.github.issues.push(GithubIssue {
                number,
                title: title.clone(),
                body: format!("{title}\n\nMerged by the simulated team."),
                state: "closed".into(),
                labels: Vec::new(),
                head_branch: Some(format!("feature-{number}")),
                merge_commit_sha: Some(sha.clone()),
                created_at: d.created_at - chrono::Duration::minutes(3),
            });
            self.github.deployments.push(GhDeployment {
                id: 1_000 + n as u64,
                sha: sha.clone(),
                environment: "production".into(),
                created_at: d.created_at,
                state: if failed {
                    "failure".into()
                } else {
                    "success".into()
                },
            });
            self.github.runs.push(run(
                &ids.github_workflow,
                90_000 + n as u64,
                &sha,
                &title,
                d.created_at,
                failed,
            ));
        }
    }

    /// A commit the simulated team merged and the deploy workflow shipped at `at`: a healthy
    /// deployment goes live, with its GitHub deployment and workflow run.
    pub(crate) fn ship(&mut self, sha: &str, message: &str, at: Timestamp) {
        let id = self.railway.next_id();
        let deployment = Deployment::new(id.0, DeploymentStatus::Active, at)
            .with_commit(sha, Some(message.to_owned()))
            .with_capabilities(true, true);
        self.railway.push(deployment, Behaviour::Healthy);
        let n = self.github.runs.len() as u64;
        self.github.deployments.push(GhDeployment {
            id: 1_000 + n,
            sha: sha.to_owned(),
            environment: "production".into(),
            created_at: at,
            state: "success".into(),
        });
        let workflow = self.github.workflow.clone();
        self.github
            .runs
            .push(run(&workflow, 90_000 + n, sha, message, at, false));
    }

    /// Makes up the traffic served since the last call: for every minute, the errors the
    /// application's conditions raise (into Sentry, and a sample into its logs) and a
    /// background error every ten minutes.
    pub(crate) fn tick(&mut self, now: Timestamp) {
        let floor = now - crate::railway::to_chrono(MAX_CATCH_UP);
        let mut minute = self.last_tick.max(floor);
        let step = chrono::Duration::minutes(1);
        while minute + step <= now {
            let conditions = if self.onset.is_some_and(|o| minute < o) {
                Vec::new()
            } else {
                self.conditions(minute)
            };
            self.traffic(minute, &conditions);
            minute += step;
        }
        self.last_tick = minute;
    }

    /// One minute of traffic starting at `at`.
    fn traffic(&mut self, at: Timestamp, conditions: &[Condition]) {
        let spread = |n: i64| {
            (0..n).map(move |k| at + chrono::Duration::milliseconds(k * 60_000 / n.max(1)))
        };
        if at.timestamp() / 60 % 10 == 0 {
            self.sentry
                .record(site::BACKGROUND.title, site::BACKGROUND.culprit, at);
        }
        let stream = self.railway.active().map(LogStream::Deployment);
        let raise = |world: &mut Self, e: &AppError, per_minute: i64, request: &str| {
            world
                .sentry
                .record_many(e.title, e.culprit, spread(per_minute));
            if let Some(stream) = &stream {
                world
                    .railway
                    .push_log(stream.clone(), at, LogLevel::Error, e.log);
                world.railway.push_log(
                    stream.clone(),
                    at,
                    LogLevel::Error,
                    format!("{request} 500"),
                );
            }
        };
        for c in conditions {
            match c {
                Condition::Down(error) => {
                    let title = error.split(" at ").next().unwrap_or(error).to_owned();
                    self.sentry
                        .record_many(&title, "app/dashboard/page.tsx", spread(3));
                    if let Some(stream) = &stream {
                        self.railway
                            .push_log(stream.clone(), at, LogLevel::Error, error.clone());
                        self.railway.push_log(
                            stream.clone(),
                            at,
                            LogLevel::Warn,
                            "Container crashed, restarting",
                        );
                    }
                }
                Condition::PoolExhausted => raise(self, &site::POOL, 25, "GET /dashboard"),
                Condition::NoSecret => raise(self, &site::NO_SECRET, 20, "GET /api/auth/session"),
                Condition::StripeFailing => raise(self, &site::STRIPE, 30, "POST /api/checkout"),
                Condition::Slow(_) => {
                    if let Some(stream) = &stream
                        && at.timestamp() / 60 % 5 == 0
                    {
                        self.railway.push_log(
                            stream.clone(),
                            at,
                            LogLevel::Warn,
                            "<--- Last few GCs ---> heap at 97% of 512 MB, mark-compact took 2310 ms: JavaScript heap out of memory is near",
                        );
                        self.railway.push_log(
                            stream.clone(),
                            at,
                            LogLevel::Warn,
                            "GET /dashboard 200 in 4212ms",
                        );
                    }
                    // The leak kills a worker now and then (the cluster restarts it, the
                    // service stays up, slowly).
                    if let Some(stream) = &stream
                        && at.timestamp() / 60 % 15 == 7
                    {
                        self.railway.push_log(
                            stream.clone(),
                            at,
                            LogLevel::Error,
                            "worker 2 (pid 4182) exited with code 137 after running out of memory; restarting it",
                        );
                    }
                }
            }
        }
    }
}

/// A run of the deploy workflow for `sha`, failed at its build step when `failed`.
fn run(workflow: &str, id: u64, sha: &str, title: &str, at: Timestamp, failed: bool) -> Run {
    let steps = |build: &str| {
        vec![
            Step {
                number: 1,
                name: "Set up job".into(),
                conclusion: "success".into(),
            },
            Step {
                number: 2,
                name: "Checkout".into(),
                conclusion: "success".into(),
            },
            Step {
                number: 3,
                name: "Install dependencies".into(),
                conclusion: "success".into(),
            },
            Step {
                number: 4,
                name: "Build".into(),
                conclusion: build.into(),
            },
            Step {
                number: 5,
                name: "Deploy to Railway".into(),
                conclusion: if build == "success" {
                    "success".into()
                } else {
                    "skipped".into()
                },
            },
        ]
    };
    let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let log = if failed {
        format!(
            "{stamp} ##[group]Run npm run build\n{stamp} > next build\n{stamp} Failed to compile.\n\
             {stamp} ./components/InvoiceRow.tsx\n\
             {stamp} Module not found: Error: Can't resolve '../lib/utils/formatDate' in '/app/components'\n\
             {stamp} ##[error]Process completed with exit code 1.\n"
        )
    } else {
        format!(
            "{stamp} > next build\n{stamp} ✓ Compiled successfully\n{stamp} Deployed to Railway\n"
        )
    };
    Run {
        id,
        workflow: workflow.to_owned(),
        name: "CD Production".into(),
        head_sha: sha.to_owned(),
        title: title.to_owned(),
        conclusion: Some(if failed {
            "failure".into()
        } else {
            "success".into()
        }),
        created_at: at - chrono::Duration::minutes(2),
        jobs: vec![Job {
            id: id * 10 + 1,
            name: "build-and-deploy".into(),
            conclusion: if failed {
                "failure".into()
            } else {
                "success".into()
            },
            steps: steps(if failed { "failure" } else { "success" }),
            log,
        }],
    }
}
