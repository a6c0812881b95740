//! Conformance suites: each port's behaviour, written once, run against every implementation.
//!
//! One module per port; in it, one `pub async fn` per rule, taking the implementation (and,
//! for ports whose backend the suite cannot fill through the port, a fixture describing what
//! it holds), plus `run_all`, which calls every rule of the port. A rule panics with a message
//! that starts with `conformance: <port>::<rule>:`, so a failing test names the rule it broke.
//! Call the suites from a `#[tokio::test]` in the implementation's crate:
//!
//! ```no_run
//! use ir_core::memory::InMemoryIncidentStore;
//! use ir_testkit::conformance::incident_store;
//!
//! #[tokio::test]
//! async fn my_store_conforms() {
//!     let store = InMemoryIncidentStore::new(); // your implementation here
//!     incident_store::run_all(&store).await;
//! }
//! ```
//!
//! Rules that change the backend (a rollback, a set variable, a filed issue) say so; `run_all`
//! runs the rules that only read first.

pub mod approver;
pub mod chat_notifier;
pub mod code_host;
pub mod database_diagnostics;
pub mod deploy_platform;
pub mod error_tracker;
pub mod health_probe;
pub mod incident_store;
pub mod log_source;
pub mod pager;
pub mod status_page;
pub mod variable_store;

use std::fmt::Debug;

use ir_core::classify::{Classification, Reachability, Signals, classify};
use ir_core::clock::Timestamp;
use ir_core::error::{ErrorKind, Result};
use ir_core::incident::{Event, EventKind};
use ir_core::severity::SeverityPolicy;

/// `assert!` whose message names the rule.
macro_rules! check {
    ($cond:expr, $rule:expr, $($msg:tt)+) => {
        assert!($cond, "conformance: {}: {}", $rule, format_args!($($msg)+))
    };
}

/// `assert_eq!` whose message names the rule.
macro_rules! check_eq {
    ($left:expr, $right:expr, $rule:expr, $($msg:tt)+) => {
        assert_eq!($left, $right, "conformance: {}: {}", $rule, format_args!($($msg)+))
    };
}

pub(crate) use {check, check_eq};

/// The value of `result`, or a panic naming the rule and the step that failed.
#[track_caller]
pub(crate) fn ok<T, E: Debug>(result: std::result::Result<T, E>, rule: &str, step: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("conformance: {rule}: {step}: unexpected error {e:?}"),
    }
}

/// Panics, naming the rule, unless `result` is an error of kind `want`.
#[track_caller]
pub(crate) fn err_kind<T: Debug>(result: Result<T>, want: ErrorKind, rule: &str, step: &str) {
    match result {
        Ok(v) => panic!("conformance: {rule}: {step}: expected a {want:?} error, got Ok({v:?})"),
        Err(e) => assert_eq!(
            e.kind(),
            want,
            "conformance: {rule}: {step}: wrong error kind: {e}"
        ),
    }
}

/// `prefix` with a fresh random suffix, so suites can share a backend and run in parallel.
pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn classification() -> Classification {
    classify(
        &Signals {
            health: Some(Reachability::Status(503)),
            ..Signals::default()
        },
        &SeverityPolicy::runbook(),
    )
}

/// Now, in whole seconds: keeps the suites independent of a store's timestamp precision.
pub(crate) fn now() -> Timestamp {
    let t = chrono::Utc::now();
    t - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
}

pub(crate) fn detected(at: Timestamp) -> Event {
    Event::new(
        at,
        "conformance",
        EventKind::detected("Site down ✅ «test»", "web", classification(), None),
    )
}
