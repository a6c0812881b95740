//! From what was observed ([`Signals`]) to a severity with its reasons ([`Classification`]).
//!
//! Every rule that fires adds a [`Reason`] naming the rule, the observed value and the threshold
//! it crossed; the most severe reason wins. When no rule fires the incident is P3 with the single
//! reason [`Rule::NoImpactObserved`].
//!
//! ```
//! use ir_core::classify::{classify, Reachability, Rule, Signals};
//! use ir_core::{Severity, SeverityPolicy};
//!
//! let signals = Signals {
//!     homepage: Some(Reachability::Status(503)),
//!     error_rate_5xx: Some(0.04),
//!     ..Signals::default()
//! };
//! let c = classify(&signals, &SeverityPolicy::runbook());
//! assert_eq!(c.severity, Severity::P0);
//! assert_eq!(c.reasons[0].rule, Rule::HomepageDown);
//! assert_eq!(c.reasons[0].observed, "HTTP 503");
//! assert!(c.reasons.iter().any(|r| r.rule == Rule::HighErrorRate));
//! ```

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::HealthReport;
use crate::severity::{Severity, SeverityPolicy};

/// What a probe saw when it asked an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// The endpoint answered with this HTTP status.
    Status(u16),
    /// No answer: connection refused, DNS failure, TLS failure or timeout.
    Unreachable,
}

impl Reachability {
    /// Whether this counts as down: a 5xx or no answer.
    pub fn is_down(self) -> bool {
        match self {
            Reachability::Status(s) => (500..=599).contains(&s),
            Reachability::Unreachable => true,
        }
    }
}

impl From<&HealthReport> for Reachability {
    /// A health check as a classification signal: its status, or unreachable.
    fn from(report: &HealthReport) -> Self {
        match report.status {
            Some(s) => Reachability::Status(s),
            None => Reachability::Unreachable,
        }
    }
}

impl fmt::Display for Reachability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reachability::Status(s) => write!(f, "HTTP {s}"),
            Reachability::Unreachable => f.write_str("unreachable"),
        }
    }
}

/// A capability of the service, in the runbook's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Capability {
    /// The core site (homepage and main flows).
    Core,
    /// Authentication (all login methods, or OAuth login when partial).
    Auth,
    /// Payment processing.
    Payments,
    /// The database.
    Database,
    /// The dashboard.
    Dashboard,
    /// The public API.
    Api,
    /// Analytics tracking.
    Analytics,
    /// Documentation.
    Documentation,
    /// Any other feature that is not critical.
    NonCritical,
}

impl Capability {
    /// A lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Core => "core",
            Capability::Auth => "auth",
            Capability::Payments => "payments",
            Capability::Database => "database",
            Capability::Dashboard => "dashboard",
            Capability::Api => "api",
            Capability::Analytics => "analytics",
            Capability::Documentation => "documentation",
            Capability::NonCritical => "non-critical feature",
        }
    }
}

/// How much of a capability is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extent {
    /// Down for every user.
    Total,
    /// Down for some users or some paths (for auth: OAuth login broken while email works).
    Partial,
}

/// One capability that is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Outage {
    /// What is down.
    pub capability: Capability,
    /// For whom.
    pub extent: Extent,
}

impl Outage {
    /// Down for every user.
    pub fn total(capability: Capability) -> Self {
        Self {
            capability,
            extent: Extent::Total,
        }
    }

    /// Down for some users.
    pub fn partial(capability: Capability) -> Self {
        Self {
            capability,
            extent: Extent::Partial,
        }
    }
}

/// What was observed. Every field is optional: classify with what you have.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Signals {
    /// What the homepage answered.
    pub homepage: Option<Reachability>,
    /// What the health endpoint answered.
    pub health: Option<Reachability>,
    /// Share of users affected (0..=1), when known.
    pub users_affected: Option<f64>,
    /// Capabilities that are down.
    pub outages: Vec<Outage>,
    /// Share of requests answered with a 5xx (0..=1).
    pub error_rate_5xx: Option<f64>,
    /// Errors seen on some requests of a feature that otherwise works.
    pub intermittent_errors: bool,
    /// Share of API requests timing out (0..=1).
    pub api_timeout_share: Option<f64>,
    /// p95 page-load latency.
    #[serde(with = "humantime_serde")]
    pub p95_latency: Option<Duration>,
    /// The database connection pool is exhausted (`QueuePool limit ... reached`, `PoolTimedOut`,
    /// SQLSTATE 53300).
    pub pool_exhausted: bool,
    /// A CPU or memory spike.
    pub resource_spike: bool,
    /// A user-interface defect that does not block anyone.
    pub ui_defect: bool,
}

/// The rule behind a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// P0: the homepage answers 5xx or not at all.
    HomepageDown,
    /// P0: the health endpoint answers 5xx or not at all.
    HealthCheckFailing,
    /// P0: a core capability (site, database, auth, payments) is down for all users.
    CoreCapabilityDown,
    /// P1: a critical feature (dashboard, API, or a core capability for some users) is down.
    CriticalFeatureDown,
    /// P1: more than the threshold share of API requests time out.
    ApiTimeouts,
    /// P1: the database connection pool is exhausted.
    PoolExhausted,
    /// P1: the error rate reached the share where errors are no longer intermittent.
    WidespreadErrors,
    /// P2: p95 latency above the slow-page threshold.
    SlowPages,
    /// P2: 5xx rate above the SLO threshold.
    HighErrorRate,
    /// P2: intermittent errors.
    IntermittentErrors,
    /// P2: CPU or memory spike.
    ResourceSpike,
    /// P3: a non-critical capability is broken.
    NonCriticalFeatureBroken,
    /// P3: a non-blocking UI defect.
    UiDefect,
    /// P3: nothing above matched.
    NoImpactObserved,
}

impl Rule {
    /// The rule's snake-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::HomepageDown => "homepage_down",
            Rule::HealthCheckFailing => "health_check_failing",
            Rule::CoreCapabilityDown => "core_capability_down",
            Rule::CriticalFeatureDown => "critical_feature_down",
            Rule::ApiTimeouts => "api_timeouts",
            Rule::PoolExhausted => "pool_exhausted",
            Rule::WidespreadErrors => "widespread_errors",
            Rule::SlowPages => "slow_pages",
            Rule::HighErrorRate => "high_error_rate",
            Rule::IntermittentErrors => "intermittent_errors",
            Rule::ResourceSpike => "resource_spike",
            Rule::NonCriticalFeatureBroken => "non_critical_feature_broken",
            Rule::UiDefect => "ui_defect",
            Rule::NoImpactObserved => "no_impact_observed",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a severity was chosen: the rule, what was observed, and the threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The rule that fired.
    pub rule: Rule,
    /// The severity the rule implies.
    pub severity: Severity,
    /// The observed value, e.g. `"HTTP 503"`, `"1.50%"`, `"6.2s"`.
    pub observed: String,
    /// The threshold, e.g. `"5xx or unreachable"`, `"> 1.00%"`, `"> 5s"`.
    pub threshold: String,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): observed {}, threshold {}",
            self.rule, self.severity, self.observed, self.threshold
        )
    }
}

/// A severity with every reason behind it, most severe first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The most severe level any rule implied.
    pub severity: Severity,
    /// Every rule that fired, most severe first (never empty).
    pub reasons: Vec<Reason>,
}

impl Classification {
    /// The reasons that set the severity (the most severe ones).
    pub fn deciding_reasons(&self) -> impl Iterator<Item = &Reason> {
        self.reasons
            .iter()
            .filter(move |r| r.severity == self.severity)
    }
}

fn percent(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}s")
    } else {
        format!("{s:.1}s")
    }
}

/// Classifies `signals` against `policy`.
pub fn classify(signals: &Signals, policy: &SeverityPolicy) -> Classification {
    let t = &policy.thresholds;
    let mut reasons = Vec::new();
    let mut add = |rule, severity, observed: String, threshold: String| {
        reasons.push(Reason {
            rule,
            severity,
            observed,
            threshold,
        });
    };

    if let Some(r) = signals.homepage.filter(|r| r.is_down()) {
        add(
            Rule::HomepageDown,
            Severity::P0,
            r.to_string(),
            "5xx or unreachable".into(),
        );
    }
    if let Some(r) = signals.health.filter(|r| r.is_down()) {
        add(
            Rule::HealthCheckFailing,
            Severity::P0,
            r.to_string(),
            "5xx or unreachable".into(),
        );
    }

    let all_users = signals
        .users_affected
        .is_some_and(|share| share >= t.all_users_share);
    for outage in &signals.outages {
        use Capability::*;
        let total = outage.extent == Extent::Total || all_users;
        let extent = if total { "all users" } else { "some users" };
        let observed = format!("{} down for {extent}", outage.capability.as_str());
        match outage.capability {
            Core | Database | Auth | Payments if total => add(
                Rule::CoreCapabilityDown,
                Severity::P0,
                observed,
                "core capability down for all users".into(),
            ),
            Core | Database | Auth | Payments | Dashboard | Api => add(
                Rule::CriticalFeatureDown,
                Severity::P1,
                observed,
                "critical feature down".into(),
            ),
            Analytics | Documentation | NonCritical => add(
                Rule::NonCriticalFeatureBroken,
                Severity::P3,
                observed,
                "non-critical feature".into(),
            ),
        }
    }

    if let Some(share) = signals.api_timeout_share
        && share > t.api_timeout_share_p1
    {
        add(
            Rule::ApiTimeouts,
            Severity::P1,
            percent(share),
            format!("> {}", percent(t.api_timeout_share_p1)),
        );
    }
    if signals.pool_exhausted {
        add(
            Rule::PoolExhausted,
            Severity::P1,
            "pool exhausted".into(),
            "any".into(),
        );
    }
    if let Some(rate) = signals.error_rate_5xx {
        if rate >= t.error_rate_p1 {
            add(
                Rule::WidespreadErrors,
                Severity::P1,
                percent(rate),
                format!(">= {}", percent(t.error_rate_p1)),
            );
        } else if rate > t.error_rate_5xx_p2 {
            add(
                Rule::HighErrorRate,
                Severity::P2,
                percent(rate),
                format!("> {}", percent(t.error_rate_5xx_p2)),
            );
        }
    }
    if let Some(p95) = signals.p95_latency
        && p95 > t.p95_latency_p2
    {
        add(
            Rule::SlowPages,
            Severity::P2,
            seconds(p95),
            format!("> {}", seconds(t.p95_latency_p2)),
        );
    }
    if signals.intermittent_errors {
        add(
            Rule::IntermittentErrors,
            Severity::P2,
            "intermittent errors".into(),
            format!("< {} of requests", percent(t.error_rate_p1)),
        );
    }
    if signals.resource_spike {
        add(
            Rule::ResourceSpike,
            Severity::P2,
            "CPU/memory spike".into(),
            "any".into(),
        );
    }
    if signals.ui_defect {
        add(
            Rule::UiDefect,
            Severity::P3,
            "non-blocking UI defect".into(),
            "any".into(),
        );
    }
    if reasons.is_empty() {
        reasons.push(Reason {
            rule: Rule::NoImpactObserved,
            severity: Severity::P3,
            observed: "no signal above any threshold".into(),
            threshold: "none crossed".into(),
        });
    }

    reasons.sort_by_key(|r| std::cmp::Reverse(r.severity));
    let severity = reasons.first().map_or(Severity::P3, |r| r.severity);
    Classification { severity, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::*;

    fn s() -> Signals {
        Signals::default()
    }

    /// Every example listed under the runbook's four severity levels.
    #[test]
    fn runbook_examples() {
        let ms = Duration::from_millis;
        let cases: Vec<(&str, Signals, Severity, Rule)> = vec![
            // P0 - Total Outage
            (
                "Homepage returns 502",
                Signals {
                    homepage: Some(Reachability::Status(502)),
                    ..s()
                },
                Severity::P0,
                Rule::HomepageDown,
            ),
            (
                "Homepage returns 503",
                Signals {
                    homepage: Some(Reachability::Status(503)),
                    ..s()
                },
                Severity::P0,
                Rule::HomepageDown,
            ),
            (
                "Database completely unavailable",
                Signals {
                    outages: vec![Outage::total(Database)],
                    ..s()
                },
                Severity::P0,
                Rule::CoreCapabilityDown,
            ),
            (
                "Authentication fully broken (all users)",
                Signals {
                    outages: vec![Outage::partial(Auth)],
                    users_affected: Some(1.0),
                    ..s()
                },
                Severity::P0,
                Rule::CoreCapabilityDown,
            ),
            (
                "Payment processing down",
                Signals {
                    outages: vec![Outage::total(Payments)],
                    ..s()
                },
                Severity::P0,
                Rule::CoreCapabilityDown,
            ),
            // P1 - Critical Feature Down
            (
                "Dashboard inaccessible",
                Signals {
                    outages: vec![Outage::total(Dashboard)],
                    ..s()
                },
                Severity::P1,
                Rule::CriticalFeatureDown,
            ),
            (
                "API endpoints timing out (>50% requests)",
                Signals {
                    api_timeout_share: Some(0.62),
                    ..s()
                },
                Severity::P1,
                Rule::ApiTimeouts,
            ),
            (
                "OAuth login broken",
                Signals {
                    outages: vec![Outage::partial(Auth)],
                    ..s()
                },
                Severity::P1,
                Rule::CriticalFeatureDown,
            ),
            (
                "Database connection pool exhausted",
                Signals {
                    pool_exhausted: true,
                    ..s()
                },
                Severity::P1,
                Rule::PoolExhausted,
            ),
            // P2 - Degraded Performance
            (
                "Slow page loads (p95 > 5s)",
                Signals {
                    p95_latency: Some(ms(6200)),
                    ..s()
                },
                Severity::P2,
                Rule::SlowPages,
            ),
            (
                "Intermittent errors (< 10% requests)",
                Signals {
                    intermittent_errors: true,
                    ..s()
                },
                Severity::P2,
                Rule::IntermittentErrors,
            ),
            (
                "High error rate (> 1% 5xx)",
                Signals {
                    error_rate_5xx: Some(0.035),
                    ..s()
                },
                Severity::P2,
                Rule::HighErrorRate,
            ),
            (
                "Memory/CPU spike",
                Signals {
                    resource_spike: true,
                    ..s()
                },
                Severity::P2,
                Rule::ResourceSpike,
            ),
            // P3 - Minor Issue
            (
                "UI bugs (non-blocking)",
                Signals {
                    ui_defect: true,
                    ..s()
                },
                Severity::P3,
                Rule::UiDefect,
            ),
            (
                "Analytics not tracking",
                Signals {
                    outages: vec![Outage::total(Analytics)],
                    ..s()
                },
                Severity::P3,
                Rule::NonCriticalFeatureBroken,
            ),
            (
                "Non-critical feature broken",
                Signals {
                    outages: vec![Outage::total(NonCritical)],
                    ..s()
                },
                Severity::P3,
                Rule::NonCriticalFeatureBroken,
            ),
            (
                "Documentation outdated",
                Signals {
                    outages: vec![Outage::partial(Documentation)],
                    ..s()
                },
                Severity::P3,
                Rule::NonCriticalFeatureBroken,
            ),
        ];
        assert!(cases.len() >= 16);
        let policy = SeverityPolicy::runbook();
        for (name, signals, severity, rule) in cases {
            let c = classify(&signals, &policy);
            assert_eq!(c.severity, severity, "{name}: {c:?}");
            assert_eq!(c.reasons[0].rule, rule, "{name}: {c:?}");
            assert_eq!(c.reasons[0].severity, severity, "{name}");
        }
    }

    #[test]
    fn boundaries_at_each_threshold() {
        let policy = SeverityPolicy::runbook();
        let secs = Duration::from_secs;
        // (signals, severity, first rule, observed, threshold)
        let cases = [
            (
                Signals {
                    error_rate_5xx: Some(0.01),
                    ..s()
                },
                Severity::P3,
                Rule::NoImpactObserved,
                None,
            ),
            (
                Signals {
                    error_rate_5xx: Some(0.0101),
                    ..s()
                },
                Severity::P2,
                Rule::HighErrorRate,
                Some(("1.01%", "> 1.00%")),
            ),
            (
                Signals {
                    error_rate_5xx: Some(0.0999),
                    ..s()
                },
                Severity::P2,
                Rule::HighErrorRate,
                Some(("9.99%", "> 1.00%")),
            ),
            (
                Signals {
                    error_rate_5xx: Some(0.10),
                    ..s()
                },
                Severity::P1,
                Rule::WidespreadErrors,
                Some(("10.00%", ">= 10.00%")),
            ),
            (
                Signals {
                    api_timeout_share: Some(0.50),
                    ..s()
                },
                Severity::P3,
                Rule::NoImpactObserved,
                None,
            ),
            (
                Signals {
                    api_timeout_share: Some(0.5001),
                    ..s()
                },
                Severity::P1,
                Rule::ApiTimeouts,
                Some(("50.01%", "> 50.00%")),
            ),
            (
                Signals {
                    p95_latency: Some(secs(5)),
                    ..s()
                },
                Severity::P3,
                Rule::NoImpactObserved,
                None,
            ),
            (
                Signals {
                    p95_latency: Some(Duration::from_millis(5001)),
                    ..s()
                },
                Severity::P2,
                Rule::SlowPages,
                Some(("5.0s", "> 5s")),
            ),
            (
                Signals {
                    homepage: Some(Reachability::Status(499)),
                    ..s()
                },
                Severity::P3,
                Rule::NoImpactObserved,
                None,
            ),
            (
                Signals {
                    homepage: Some(Reachability::Status(500)),
                    ..s()
                },
                Severity::P0,
                Rule::HomepageDown,
                Some(("HTTP 500", "5xx or unreachable")),
            ),
            (
                Signals {
                    health: Some(Reachability::Unreachable),
                    ..s()
                },
                Severity::P0,
                Rule::HealthCheckFailing,
                Some(("unreachable", "5xx or unreachable")),
            ),
            (
                Signals {
                    outages: vec![Outage::partial(Core)],
                    users_affected: Some(0.99),
                    ..s()
                },
                Severity::P1,
                Rule::CriticalFeatureDown,
                Some(("core down for some users", "critical feature down")),
            ),
        ];
        for (signals, severity, rule, detail) in cases {
            let c = classify(&signals, &policy);
            assert_eq!(c.severity, severity, "{signals:?} -> {c:?}");
            assert_eq!(c.reasons[0].rule, rule, "{signals:?} -> {c:?}");
            if let Some((observed, threshold)) = detail {
                assert_eq!(c.reasons[0].observed, observed);
                assert_eq!(c.reasons[0].threshold, threshold);
            }
        }
    }

    #[test]
    fn highest_severity_wins_and_all_reasons_are_kept() {
        let signals = Signals {
            p95_latency: Some(Duration::from_secs(9)),
            pool_exhausted: true,
            ui_defect: true,
            ..s()
        };
        let c = classify(&signals, &SeverityPolicy::runbook());
        assert_eq!(c.severity, Severity::P1);
        let rules: Vec<_> = c.reasons.iter().map(|r| r.rule).collect();
        assert_eq!(
            rules,
            vec![Rule::PoolExhausted, Rule::SlowPages, Rule::UiDefect]
        );
        assert_eq!(c.deciding_reasons().count(), 1);
    }

    #[test]
    fn thresholds_come_from_the_policy() {
        let mut policy = SeverityPolicy::runbook();
        policy.thresholds.p95_latency_p2 = Duration::from_secs(2);
        let c = classify(
            &Signals {
                p95_latency: Some(Duration::from_millis(2500)),
                ..s()
            },
            &policy,
        );
        assert_eq!(c.severity, Severity::P2);
        assert_eq!(c.reasons[0].threshold, "> 2s");
    }
}
