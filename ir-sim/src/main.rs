//! `ir-sim`: starts the simulated production and prints its URLs until Ctrl-C.
//!
//! ```text
//! cargo run -p ir-sim -- --scenario site-down
//! ```
//!
//! `DATABASE_URL` names the PostgreSQL server `pool-exhausted` leaks connections to (default
//! `postgres://postgres@127.0.0.1:5432/test`); `RUST_LOG` sets the log filter (default `info`).

use std::process::ExitCode;

use clap::{Arg, Command};
use ir_sim::{Scenario, Sim, SimConfig};

#[tokio::main]
async fn main() -> ExitCode {
    let names: Vec<&'static str> = Scenario::ALL.iter().map(|s| s.as_str()).collect();
    let matches = Command::new("ir-sim")
        .about("A simulated production on loopback: the site, Railway, GitHub, Sentry, Slack, PagerDuty and Statuspage")
        .arg(
            Arg::new("scenario")
                .long("scenario")
                .short('s')
                .default_value("healthy")
                .value_parser(clap::builder::PossibleValuesParser::new(names))
                .help("The incident to play"),
        )
        .get_matches();
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .init();
    let scenario: Scenario = match matches.get_one::<String>("scenario").map(|s| s.parse()) {
        Some(Ok(s)) => s,
        Some(Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
        None => Scenario::Healthy,
    };
    let mut config = SimConfig::scenario(scenario);
    if let Some(url) = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        config = config.with_database_url(url);
    }
    let sim = match Sim::start(config).await {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let urls = sim.urls();
    let ids = sim.ids();
    println!("ir-sim: scenario {scenario}");
    println!("  site        {}", urls.site);
    println!(
        "  railway     {}  (project {}, environment {}, service {})",
        urls.railway, ids.railway_project, ids.railway_environment, ids.railway_service
    );
    println!(
        "  github      {}  (repo {}/{}, graphql {})",
        urls.github, ids.github_owner, ids.github_repo, urls.github_graphql
    );
    println!(
        "  sentry      {}  (org {}, project {})",
        urls.sentry, ids.sentry_org, ids.sentry_project
    );
    println!(
        "  slack       {}  (channel {})",
        urls.slack, ids.slack_channel
    );
    println!("  pagerduty   {}", urls.pagerduty);
    println!(
        "  statuspage  {}  (page {})",
        urls.statuspage, ids.statuspage_page
    );
    if scenario == Scenario::PoolExhausted {
        println!("  database    {:?}", sim.database().await);
    }
    println!("Ctrl-C stops it.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("cannot wait for Ctrl-C: {e}");
    }
    sim.shutdown().await;
    ExitCode::SUCCESS
}
