//! The provider traits ("ports"), one per capability, and the `ir-core` types they take and
//! return.
//!
//! Every trait is object safe and `Send + Sync + Debug + 'static`, so it is held as
//! `Arc<dyn Trait>`. With the `mock` feature each has a `mockall` mock (`MockDeployPlatform`,
//! ...). The single-process incident store, chat, pager and status page are in
//! [`crate::memory`]; in-memory providers with scripted state, fixtures, and the conformance
//! suites every implementation runs (one module per port, one function per rule) are in the
//! `ir-testkit` crate.

mod approver;
mod code;
mod database;
mod deploy;
mod errors;
mod health;
mod logs;
mod notify;
mod store;
mod variables;

pub use approver::{ApprovalRequest, Approver, AutoApprove, CallbackApprover, Decision, DenyAll};
pub use code::{
    ChangedFile, CodeDeployment, CodeDeploymentState, CodeHost, CompareStatus, Comparison,
    FileChange, FiledItem, FiledKind, IssueRef, NewIssue, PullRequestRef, RevertRequest, RunQuery,
    filed_marker,
};
pub use database::{
    BackendInfo, DatabaseDiagnostics, PGBOUNCER_PORT, POSTGRES_PORT, PgBouncerStats, RefusalReason,
    TerminateRequest, TerminationReport, check_dsn,
};
pub use deploy::DeployPlatform;
pub use errors::ErrorTracker;
pub use health::HealthProbe;
pub use logs::{LogFilter, LogQuery, LogSource, LogStream};
pub use notify::{
    ChatMessage, ChatNotifier, MessageRef, Page, Pager, StatusPage, StatusPageUpdate,
};
pub use store::{IncidentStore, Lease, Opened, StoredIncident};
pub use variables::{FingerprintKey, SetOptions, VariableStore};

#[cfg(any(test, feature = "mock"))]
pub use approver::MockApprover;
#[cfg(any(test, feature = "mock"))]
pub use code::MockCodeHost;
#[cfg(any(test, feature = "mock"))]
pub use database::MockDatabaseDiagnostics;
#[cfg(any(test, feature = "mock"))]
pub use deploy::MockDeployPlatform;
#[cfg(any(test, feature = "mock"))]
pub use errors::MockErrorTracker;
#[cfg(any(test, feature = "mock"))]
pub use health::MockHealthProbe;
#[cfg(any(test, feature = "mock"))]
pub use logs::MockLogSource;
#[cfg(any(test, feature = "mock"))]
pub use notify::{MockChatNotifier, MockPager, MockStatusPage};
#[cfg(any(test, feature = "mock"))]
pub use store::MockIncidentStore;
#[cfg(any(test, feature = "mock"))]
pub use variables::MockVariableStore;
