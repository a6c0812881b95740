//! New and spiking issues from two windows, over wiremock: the port's `issue_trends` on
//! `SentryClient` asks for the window's top and new issues and the baseline's top issues.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::model::{SpikeRule, TimeWindow};
use ir_core::ports::ErrorTracker;
use serde_json::{Value, json};
use wiremock::MockServer;

/// An issue as `listOrganizationIssues` shapes it: `count` a string, `userCount` a number.
fn issue(id: &str, title: &str, count: u64, first_seen: &str, last_seen: &str) -> Value {
    json!({
        "id": id,
        "shortId": format!("WEB-{id}"),
        "title": title,
        "culprit": "app.views in handler",
        "permalink": format!("https://acme.sentry.io/issues/{id}/"),
        "level": "error",
        "status": "unresolved",
        "substatus": "ongoing",
        "count": count.to_string(),
        "userCount": count / 3,
        "firstSeen": first_seen,
        "lastSeen": last_seen,
        "project": {"id": "4505321021267968", "name": "Web", "slug": "web", "platform": "python"},
        "lifetime": {"count": (count * 10).to_string(), "userCount": count},
        "stats": {"24h": []},
        "type": "error",
        "issueCategory": "error",
        "isUnhandled": true,
    })
}

fn query(
    window: (&'static str, &'static str),
    sort: &'static str,
    q: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("project", "-1"),
        ("start", window.0),
        ("end", window.1),
        ("query", q),
        ("sort", sort),
        ("limit", "100"),
    ]
}

#[tokio::test]
async fn new_and_spiking_issues_against_the_hour_before() {
    let server = MockServer::start().await;
    let old = "2026-01-10T09:00:00Z";
    let current = ("2026-02-08T15:15:00Z", "2026-02-08T15:30:00Z");
    let baseline = ("2026-02-08T14:15:00Z", "2026-02-08T15:15:00Z");
    let fresh = issue(
        "6021",
        "OperationalError: remaining connection slots are reserved",
        148,
        "2026-02-08T15:24:12Z",
        "2026-02-08T15:29:58Z",
    );
    get(ISSUES_PATH, &query(current, "freq", ""))
        .respond_with(ok(&json!([
            fresh,
            // 80 an hour is 20 a quarter; 120 now is six times that.
            issue(
                "5870",
                "TimeoutError: upstream request timed out",
                120,
                old,
                "2026-02-08T15:29:59Z"
            ),
            // Absent from the baseline: 45 over the floor of 10.
            issue(
                "5871",
                "StripeError: card_declined",
                45,
                old,
                "2026-02-08T15:29:00Z"
            ),
            // 120 an hour is 30 a quarter; 30 now is no change.
            issue(
                "5002",
                "ValueError: invalid literal for int()",
                30,
                old,
                "2026-02-08T15:28:00Z"
            ),
            // 1 -> 3: three times, but under the floor.
            issue("5003", "KeyError: 'locale'", 3, old, "2026-02-08T15:27:00Z"),
        ])
        .to_string()))
        .expect(1)
        .mount(&server)
        .await;
    get(
        ISSUES_PATH,
        &query(
            current,
            "new",
            "firstSeen:>=2026-02-08T15:15:00Z firstSeen:<2026-02-08T15:30:00Z",
        ),
    )
    .respond_with(ok(&json!([fresh]).to_string()))
    .expect(1)
    .mount(&server)
    .await;
    get(ISSUES_PATH, &query(baseline, "freq", ""))
        .respond_with(ok(&json!([
            issue(
                "5002",
                "ValueError: invalid literal for int()",
                120,
                old,
                "2026-02-08T15:10:00Z"
            ),
            issue(
                "5870",
                "TimeoutError: upstream request timed out",
                80,
                old,
                "2026-02-08T15:14:00Z"
            ),
            issue("5003", "KeyError: 'locale'", 1, old, "2026-02-08T14:50:00Z"),
        ])
        .to_string()))
        .expect(1)
        .mount(&server)
        .await;

    let window = window();
    let baseline = TimeWindow::new(t(baseline.0), t(baseline.1));
    let trends = client(&server)
        .issue_trends(window, baseline, SpikeRule::default(), 100)
        .await
        .unwrap();
    let new: Vec<_> = trends.new.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(new, ["6021"]);
    let spiking: Vec<_> = trends
        .spiking
        .iter()
        .map(|s| (s.issue.id.as_str(), s.baseline_count, s.ratio))
        .collect();
    assert_eq!(spiking, [("5870", 80, 6.0), ("5871", 0, 4.5)]);

    let server_calls = server.received_requests().await.unwrap().len();
    assert_eq!(server_calls, 3);
}

#[test]
fn the_same_windows_under_other_rules() {
    use ir_core::model::{TrackedIssue, issue_trends};
    let window = window();
    let baseline = TimeWindow::new(t("2026-02-08T14:15:00Z"), t("2026-02-08T15:15:00Z"));
    let old = t("2026-01-10T09:00:00Z");
    let seen = |id: &str, count| TrackedIssue::new(id, id, count, old, now());
    let current = [seen("hot", 120), seen("absent", 45), seen("rare", 3)];
    let before = [seen("hot", 80), seen("rare", 1)];
    let ids = |rule| {
        issue_trends(window, &current, baseline, &before, rule)
            .spiking
            .into_iter()
            .map(|s| s.issue.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(SpikeRule::new(5.0, 10)), ["hot"]);
    // Without a floor (a baseline still counts as at least one event), 1 -> 3 is a spike.
    assert_eq!(ids(SpikeRule::new(3.0, 0)), ["absent", "hot", "rare"]);
}
