//! The request log: every request any simulated service answered, in order.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use ir_core::clock::Timestamp;

/// One of the simulated services, each on its own loopback listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Vendor {
    /// The simulated application (`/health`, `/api/auth/session`, pages).
    Site,
    /// Railway's GraphQL API.
    Railway,
    /// GitHub's REST and GraphQL APIs.
    Github,
    /// The storage host GitHub's job-log downloads redirect to.
    GithubLogs,
    /// Sentry's web API.
    Sentry,
    /// Slack's Web API.
    Slack,
    /// PagerDuty's Events API v2.
    PagerDuty,
    /// Atlassian Statuspage's Manage API.
    Statuspage,
}

impl Vendor {
    /// Every vendor, in listener order.
    pub const ALL: [Vendor; 8] = [
        Vendor::Site,
        Vendor::Railway,
        Vendor::Github,
        Vendor::GithubLogs,
        Vendor::Sentry,
        Vendor::Slack,
        Vendor::PagerDuty,
        Vendor::Statuspage,
    ];

    /// The lower-case name (`site`, `railway`, `github`, `github-logs`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::Railway => "railway",
            Self::Github => "github",
            Self::GithubLogs => "github-logs",
            Self::Sentry => "sentry",
            Self::Slack => "slack",
            Self::PagerDuty => "pagerduty",
            Self::Statuspage => "statuspage",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("no simulated vendor is called {s:?}"))
    }
}

/// One answered request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// Which service answered.
    pub vendor: Vendor,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The query string, without the `?`, when there is one.
    pub query: Option<String>,
    /// The operation: the GraphQL `operationName` (Railway, GitHub GraphQL), the Web API
    /// method (Slack), the `event_action` (PagerDuty); `None` for other REST calls.
    pub operation: Option<String>,
    /// The status answered.
    pub status: u16,
    /// When it arrived, on the simulator's clock.
    pub at: Timestamp,
    /// How long the answer took (real time, injected latency included).
    pub latency: Duration,
    /// When it arrived, in real time (with [`latency`](Self::latency), when it was answered):
    /// what a benchmark lays requests out on, since [`at`](Self::at) may be a manual clock.
    pub received: Instant,
    /// The request body as text (lossy UTF-8; empty for a `GET`). It holds whatever the
    /// client sent, credentials in a body included: the log is for tests, never for output.
    pub body: String,
}

/// The requests the simulator answered, oldest first, with counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLog {
    records: Vec<RequestRecord>,
}

impl RequestLog {
    pub(crate) fn new(records: Vec<RequestRecord>) -> Self {
        Self { records }
    }

    /// Every record, oldest first.
    pub fn records(&self) -> &[RequestRecord] {
        &self.records
    }

    /// How many requests were answered.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no request arrived.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records of `vendor`.
    pub fn of(&self, vendor: Vendor) -> impl Iterator<Item = &RequestRecord> {
        self.records.iter().filter(move |r| r.vendor == vendor)
    }

    /// How many requests `vendor` answered.
    pub fn count(&self, vendor: Vendor) -> usize {
        self.of(vendor).count()
    }

    /// How many requests of `operation` `vendor` answered (`"DeploymentRollback"`,
    /// `"chat.postMessage"`, `"trigger"`).
    pub fn count_operation(&self, vendor: Vendor, operation: &str) -> usize {
        self.of(vendor)
            .filter(|r| r.operation.as_deref() == Some(operation))
            .count()
    }

    /// Requests per vendor.
    pub fn by_vendor(&self) -> BTreeMap<Vendor, usize> {
        let mut counts = BTreeMap::new();
        for r in &self.records {
            *counts.entry(r.vendor).or_insert(0) += 1;
        }
        counts
    }

    /// Requests per vendor and operation (records without an operation count under their
    /// method and path).
    pub fn by_operation(&self) -> BTreeMap<(Vendor, String), usize> {
        let mut counts = BTreeMap::new();
        for r in &self.records {
            let key = r
                .operation
                .clone()
                .unwrap_or_else(|| format!("{} {}", r.method, r.path));
            *counts.entry((r.vendor, key)).or_insert(0) += 1;
        }
        counts
    }
}
