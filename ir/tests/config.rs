//! `ir.toml`: the example file, errors naming file, line and key, contacts merged onto the
//! runbook's, secrets only from the environment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ir::model::Role;
use ir::{Config, ConfigError};

const EXAMPLE: &str = include_str!("../ir.example.toml");

fn err(text: &str) -> ConfigError {
    Config::from_toml_str(text).expect_err("should be refused")
}

#[test]
fn the_example_file_parses_with_its_values() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ir.example.toml");
    let config = Config::from_path(path).expect("the example parses");
    assert_eq!(config, Config::from_toml_str(EXAMPLE).expect("same text"));
    assert_eq!(config.service.name, "web");
    assert_eq!(config.watch.interval, Duration::from_secs(30));
    assert_eq!(config.watch_settings().service, "web");
    assert_eq!(config.watch_settings().dedup_key(), "health:web");
    assert_eq!(config.runner.monitor_for, Duration::from_secs(15 * 60));
    assert_eq!(config.approval.min_confidence, 0.7);
    assert_eq!(
        config.escalation.contacts(Role::EngineeringLead),
        ["@alice"]
    );
    assert_eq!(
        config.escalation.contacts(Role::Cto),
        ["@cto"],
        "runbook default kept"
    );
    let names: Vec<String> = config
        .playbooks()
        .iter()
        .map(|p| p.name().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "site_down",
            "auth_secret_missing",
            "connection_pool_exhausted",
            "error_rate_spike"
        ]
    );
    let railway = config.railway.as_ref().expect("railway section");
    assert_eq!(railway.project_id.as_deref(), Some("p-0000"));
    assert_eq!(
        config.sentry.as_ref().map(|s| s.projects.clone()),
        Some(vec!["web".to_owned()])
    );
}

#[test]
fn an_empty_file_is_the_runbook() {
    let config = Config::from_toml_str("").expect("empty is fine");
    assert_eq!(
        config.escalation,
        ir::escalation::EscalationPolicy::runbook()
    );
    assert_eq!(config.playbooks().len(), 6);
    assert!(config.railway.is_none());
}

#[test]
fn a_typo_names_the_file_line_and_key() {
    // In a section of the facade (deny_unknown_fields).
    let e = err("[service]\nname = \"web\"\n\n[watch]\nintervl = \"5s\"\n");
    assert_eq!((e.line(), e.key()), (Some(5), "watch.intervl"), "{e}");
    assert!(
        e.to_string()
            .starts_with("<string>:5:1: key `watch.intervl`"),
        "{e}"
    );
    // A misspelt section.
    let e = err("[runer]\nmonitor_for = \"5m\"\n");
    assert_eq!((e.line(), e.key()), (Some(1), "runer"), "{e}");
    // Inside one of ir-core's policies, which ignore unknown keys on their own.
    let e = err("[runner]\nactor = \"bot\"\nmonitr_for = \"5m\"\n");
    assert_eq!((e.line(), e.key()), (Some(3), "runner.monitr_for"), "{e}");
    assert!(e.message().contains("unknown"), "{e}");
    let e = err("[severity.thresholds]\nerror_rate = 0.1\n");
    assert_eq!(
        (e.line(), e.key()),
        (Some(2), "severity.thresholds.error_rate"),
        "{e}"
    );
}

#[test]
fn a_wrong_type_names_the_file_line_and_key() {
    let e = err("[runner]\nactor = \"bot\"\nmonitor_for = 15\n");
    assert_eq!((e.line(), e.key()), (Some(3), "runner.monitor_for"), "{e}");
    let e = err("[escalation.contacts]\ncto = \"@cto\"\n");
    assert_eq!(
        (e.line(), e.key()),
        (Some(2), "escalation.contacts.cto"),
        "{e}"
    );
    let e = err("[watch]\ninterval = \"soon\"\n");
    assert_eq!((e.line(), e.key()), (Some(2), "watch.interval"), "{e}");
}

#[test]
fn errors_from_a_file_name_the_file() {
    let dir = std::env::temp_dir().join(format!("ir-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ir.toml");
    std::fs::write(&path, "[approval]\nmin_confidence = \"high\"\n").expect("write");
    let e = Config::from_path(&path).expect_err("wrong type");
    assert_eq!(e.file(), path.display().to_string());
    assert_eq!(
        (e.line(), e.key()),
        (Some(2), "approval.min_confidence"),
        "{e}"
    );
    assert!(e.to_string().contains("ir.toml:2:"), "{e}");
    let missing = Config::from_path(dir.join("absent.toml")).expect_err("no file");
    assert!(missing.to_string().contains("absent.toml"), "{missing}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn invalid_values_name_their_section() {
    let e = err("[approval]\nmin_confidence = 1.5\n");
    assert_eq!((e.line(), e.key()), (Some(1), "approval"), "{e}");
    let e = err("[scenarios]\nenabled = [\"site_down\", \"moon_landing\"]\n");
    assert_eq!((e.line(), e.key()), (Some(2), "scenarios.enabled"), "{e}");
    assert!(e.message().contains("moon_landing"), "{e}");
}

#[test]
fn one_contact_keeps_the_other_roles_defaults() {
    let config = Config::from_toml_str("[escalation.contacts]\nengineering_lead = [\"@alice\"]\n")
        .expect("ok");
    let runbook = ir::escalation::EscalationPolicy::runbook();
    assert_eq!(
        config.escalation.contacts(Role::EngineeringLead),
        ["@alice"]
    );
    for role in [
        Role::OnCall,
        Role::Cto,
        Role::DevOps,
        Role::ProductLead,
        Role::Team,
    ] {
        assert_eq!(
            config.escalation.contacts(role),
            runbook.contacts(role),
            "{role:?}"
        );
    }
}

#[test]
fn the_example_file_sets_every_scenarios_runbook_values() {
    let config = Config::from_toml_str(EXAMPLE).expect("example");
    let runbook = ir::ScenariosSection::default();
    let s = &config.scenarios;
    assert_eq!(s.site_down, runbook.site_down);
    assert_eq!(s.auth_secret_missing, runbook.auth_secret_missing);
    assert_eq!(
        s.build_failure_missing_import.workflow.as_deref(),
        Some("cd-production.yml")
    );
    assert_eq!(
        s.build_failure_missing_import.verification,
        runbook.build_failure_missing_import.verification
    );
    assert_eq!(
        s.connection_pool_exhausted,
        runbook.connection_pool_exhausted
    );
    assert_eq!(s.error_rate_spike, runbook.error_rate_spike);
    assert_eq!(s.latency_spike, runbook.latency_spike);
}

#[test]
fn scenario_timings_from_the_file_reach_the_playbooks() {
    use ir::model::VerificationTimings;
    let config = Config::from_toml_str(
        "[scenarios.site_down]
         verification = { consecutive = 1, interval = \"2s\" }
         [scenarios.error_rate_spike]
         error_rate_window = \"10s\"
         verification = { interval = \"1s\", deadline = \"1m\" }
",
    )
    .expect("ok");
    let site_down = &config.scenarios.site_down.verification;
    assert_eq!(
        *site_down,
        VerificationTimings::new(1, Duration::from_secs(2), Duration::from_secs(600)),
        "keys left out keep the runbook's"
    );
    assert_eq!(site_down.expected_duration(), Duration::from_secs(2));
    let spike = &config.scenarios.error_rate_spike;
    assert_eq!(
        spike.verification.expected_duration(),
        Duration::from_secs(3)
    );
    assert_eq!(spike.error_rate_window, Duration::from_secs(10));
    assert_eq!(
        spike.revert_verification.deadline,
        Duration::from_secs(20 * 60)
    );
    // The runner gets these scenarios, not the runbook's.
    let playbooks = config.playbooks();
    assert_eq!(playbooks.len(), 6);
    let debug = format!("{:?}", playbooks[0]);
    assert!(debug.contains("interval: 2s"), "{debug}");
}

#[test]
fn scenario_settings_are_checked_like_every_other_section() {
    let e = err("[scenarios.site_down]
verification = { interval = \"1m\", deadline = \"2m\" }
");
    assert_eq!((e.line(), e.key()), (Some(1), "scenarios.site_down"), "{e}");
    assert_eq!(
        e.message(),
        "verification: deadline 2m is shorter than 3 rounds 1m apart (3m)"
    );
    let e = err("[scenarios.latency_spike]
revert_verification = { interval = \"0s\" }
");
    assert!(
        e.message().starts_with("revert_verification: interval"),
        "{e}"
    );
    let e = err("[scenarios.pool]
idle_threshold = \"5m\"
");
    assert_eq!((e.line(), e.key()), (Some(1), "scenarios.pool"), "{e}");
    let e = err("[scenarios.connection_pool_exhausted]
idle_treshold = \"5m\"
");
    assert_eq!(
        (e.line(), e.key()),
        (Some(2), "scenarios.connection_pool_exhausted.idle_treshold"),
        "{e}"
    );
    let e = err("[scenarios.site_down.verification]
interval = 30
");
    assert_eq!(
        (e.line(), e.key()),
        (Some(2), "scenarios.site_down.verification.interval"),
        "{e}"
    );
}

#[test]
fn secrets_are_not_read_from_the_file() {
    let e = err("[github]\nrepository = \"acme/web\"\ntoken = \"ghp_x\"\n");
    assert_eq!((e.line(), e.key()), (Some(3), "github.token"), "{e}");
    assert!(
        !e.to_string().contains("ghp_x"),
        "the value is not echoed: {e}"
    );
}

#[test]
fn with_no_provider_the_chat_writes_to_tracing() {
    let providers = Config::from_toml_str("")
        .expect("ok")
        .providers_from_lookup(|_| None)
        .expect("nothing to configure");
    assert_eq!(
        format!("{providers:?}"),
        r#"Providers { configured: ["chat"] }"#
    );
}

#[cfg(not(feature = "railway"))]
#[test]
fn a_section_without_its_feature_is_an_error() {
    let config = Config::from_toml_str("[railway]\nproject_id = \"p\"\n").expect("parses");
    let e = config
        .providers_from_lookup(|_| None)
        .expect_err("no feature");
    assert!(e.to_string().contains("`railway` feature"), "{e}");
}

#[cfg(all(
    feature = "railway",
    feature = "github",
    feature = "sentry",
    feature = "postgres",
    feature = "slack",
    feature = "pagerduty",
    feature = "statuspage"
))]
#[tokio::test]
async fn every_provider_of_the_example_is_built_with_secrets_from_the_environment() {
    let config = Config::from_toml_str(EXAMPLE).expect("example");
    let secrets = |name: &str| {
        Some(
            match name {
                "RAILWAY_TOKEN" => "railway-secret",
                "GITHUB_TOKEN" => "ghp-secret",
                "SENTRY_AUTH_TOKEN" => "sntrys-secret",
                "DATABASE_URL" => "postgres://app:pw@127.0.0.1:9/web",
                "SLACK_BOT_TOKEN" => "xoxb-secret",
                "PAGERDUTY_ROUTING_KEY" => "0123456789abcdef0123456789abcdef",
                "STATUSPAGE_API_KEY" => "sp-secret",
                _ => return None,
            }
            .to_owned(),
        )
    };
    let providers = config.providers_from_lookup(secrets).expect("all built");
    let debug = format!("{providers:?}");
    for port in [
        "deploy",
        "variables",
        "logs",
        "code",
        "errors",
        "database",
        "health",
        "chat",
        "pager",
        "status_page",
    ] {
        assert!(
            debug.contains(&format!("\"{port}\"")),
            "{port} missing: {debug}"
        );
    }
    // A missing secret is an error naming the variable.
    let e = config
        .providers_from_lookup(|name| (name != "GITHUB_TOKEN").then(|| secrets(name)).flatten())
        .expect_err("no GitHub token");
    assert!(e.to_string().contains("GITHUB_TOKEN"), "{e}");
}
