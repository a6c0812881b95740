//! Bad input never panics: property tests over the pure functions that read what the world
//! hands in (classification signals, `DATABASE_URL`s, severity names, policies, log text).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use ir_core::classify::{Capability, Extent, Outage, Reachability, Signals, classify};
use ir_core::playbook::signatures;
use ir_core::ports::check_dsn;
use ir_core::{Severity, SeverityPolicy};
use proptest::prelude::*;
use secrecy::SecretString;

fn arb_reachability() -> impl Strategy<Value = Option<Reachability>> {
    prop_oneof![
        Just(None),
        Just(Some(Reachability::Unreachable)),
        any::<u16>().prop_map(|s| Some(Reachability::Status(s))),
    ]
}

fn arb_share() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![
        Just(None),
        any::<f64>().prop_map(Some),
        (0.0f64..=1.0).prop_map(Some)
    ]
}

fn arb_outage() -> impl Strategy<Value = Outage> {
    let capability = prop_oneof![
        Just(Capability::Core),
        Just(Capability::Auth),
        Just(Capability::Payments),
        Just(Capability::Database),
        Just(Capability::Dashboard),
        Just(Capability::Api),
        Just(Capability::Analytics),
        Just(Capability::Documentation),
        Just(Capability::NonCritical),
    ];
    let extent = prop_oneof![Just(Extent::Total), Just(Extent::Partial)];
    (capability, extent).prop_map(|(capability, extent)| Outage { capability, extent })
}

fn arb_signals() -> impl Strategy<Value = Signals> {
    (
        (
            arb_reachability(),
            arb_reachability(),
            arb_share(),
            prop::collection::vec(arb_outage(), 0..4),
        ),
        (
            arb_share(),
            arb_share(),
            prop::option::of(any::<u64>().prop_map(Duration::from_millis)),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (homepage, health, users_affected, outages),
                (error_rate_5xx, api_timeout_share, p95_latency),
                (a, b, c, d),
            )| Signals {
                homepage,
                health,
                users_affected,
                outages,
                error_rate_5xx,
                intermittent_errors: a,
                api_timeout_share,
                p95_latency,
                pool_exhausted: b,
                resource_spike: c,
                ui_defect: d,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Any signals (NaN, negative or > 1 shares, any status) classify without panicking, with
    /// at least one reason, the severity being the most severe reason's.
    #[test]
    fn classification_is_total(signals in arb_signals()) {
        let c = classify(&signals, &SeverityPolicy::runbook());
        prop_assert!(!c.reasons.is_empty());
        let most = c.reasons.iter().map(|r| r.severity).max().unwrap();
        prop_assert_eq!(c.severity, most);
        prop_assert!(c.reasons.windows(2).all(|w| w[0].severity >= w[1].severity));
    }

    /// Adding a sign of trouble never lowers the severity.
    #[test]
    fn more_trouble_never_lowers_severity(signals in arb_signals(), outage in arb_outage()) {
        let policy = SeverityPolicy::runbook();
        let before = classify(&signals, &policy).severity;
        let mut worse = signals.clone();
        worse.outages.push(outage);
        worse.pool_exhausted = true;
        prop_assert!(classify(&worse, &policy).severity >= before.max(Severity::P1));
    }

    /// Any text as a `DATABASE_URL`: an answer or an `InvalidInput` error, and the password
    /// never in either.
    #[test]
    fn dsn_check_never_panics_nor_leaks(user in "[a-z]{0,8}", password in "[A-Za-z0-9]{12,20}", host in "\\PC{0,20}", port in "\\PC{0,6}", rest in "\\PC{0,20}") {
        let dsn = format!("postgresql://{user}:{password}@{host}:{port}/{rest}");
        let shown = match check_dsn(&SecretString::from(dsn)) {
            Ok(check) => format!("{check:?}"),
            Err(err) => {
                prop_assert_eq!(err.kind(), ir_core::ErrorKind::InvalidInput);
                format!("{err} {err:?}")
            }
        };
        prop_assert!(!shown.contains(&password), "{}", shown);
    }

    /// Any text parses as a severity or is a clear error; any text as a policy is a policy or a
    /// `Config` error.
    #[test]
    fn severity_and_policy_parsing_never_panic(text in "\\PC{0,64}") {
        let _ = text.parse::<Severity>();
        if let Err(e) = SeverityPolicy::from_toml_str(&text) {
            prop_assert_eq!(e.kind(), ir_core::ErrorKind::Config);
        }
    }

    /// The log recognisers take any line, truncated or not, without panicking.
    #[test]
    fn recognisers_take_any_line(line in "\\PC{0,300}") {
        let _ = signatures::missing_module(&line);
        let _ = signatures::queue_pool_limit(&line);
        let _ = signatures::is_missing_auth_secret(&line);
        let _ = signatures::auth_secret_variable(&line);
        let _ = signatures::is_too_many_clients(&line);
        let _ = signatures::third_party(&line);
        // A real line cut short still reads as what it is, or as nothing: never as garbage.
        let full = format!("Error: Cannot find module '{}'", line.replace('\'', ""));
        for cut in [full.len() / 2, full.len()] {
            if let Some(prefix) = full.get(..cut)
                && let Some(module) = signatures::missing_module(prefix)
            {
                prop_assert!(full.contains(&module));
            }
        }
    }
}
