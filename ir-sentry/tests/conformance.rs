//! `ir-testkit`'s `ErrorTracker` conformance suite, run against `SentryClient` talking to a
//! stateful fake of Sentry's organization issues and events-stats endpoints on wiremock.
//!
//! The fake holds issues and error events. It answers the issues list the way Sentry does for
//! the parameters `ir-sentry` sends (`start`/`end` keep issues with events in the range,
//! `firstSeen:>=`/`firstSeen:<` terms, `sort=new|freq`, `limit`, `cursor` with Link headers),
//! events-stats with buckets aligned to the interval, and checks every request's token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use ir_core::clock::Timestamp;
use ir_core::model::{TimeWindow, TrackedIssue};
use ir_testkit::ErrorTrackerFixture;
use ir_testkit::conformance::error_tracker;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

struct FakeSentry {
    issues: Vec<TrackedIssue>,
    events: Vec<Timestamp>,
    base: String,
}

fn param(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn time(text: &str) -> Timestamp {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("the fake cannot read the time {text}: {e}"))
}

fn bad_request(detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({ "detail": detail }))
}

impl FakeSentry {
    fn issues(&self, request: &Request) -> ResponseTemplate {
        let (Some(start), Some(end)) = (param(request, "start"), param(request, "end")) else {
            return bad_request("start and end are required here");
        };
        let (start, end) = (time(&start), time(&end));
        let mut found: Vec<&TrackedIssue> = self
            .issues
            .iter()
            .filter(|i| i.last_seen >= start && i.first_seen < end)
            .collect();
        for term in param(request, "query")
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Some(at) = term.strip_prefix("firstSeen:>=") {
                let at = time(at);
                found.retain(|i| i.first_seen >= at);
            } else if let Some(at) = term.strip_prefix("firstSeen:<") {
                let at = time(at);
                found.retain(|i| i.first_seen < at);
            } else {
                return bad_request(&format!("the fake does not know the term {term}"));
            }
        }
        match param(request, "sort").as_deref() {
            Some("new") => found.sort_by_key(|i| std::cmp::Reverse(i.first_seen)),
            Some("freq") => found.sort_by_key(|i| std::cmp::Reverse(i.count)),
            other => return bad_request(&format!("the fake does not sort by {other:?}")),
        }
        let limit: usize = param(request, "limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(100);
        let offset: usize = param(request, "cursor")
            .and_then(|c| c.split(':').nth(1).and_then(|o| o.parse().ok()))
            .unwrap_or(0);
        let page: Vec<_> = found
            .iter()
            .skip(offset)
            .take(limit)
            .map(|i| {
                json!({
                    "id": i.id, "shortId": i.short_id, "title": i.title, "culprit": i.culprit,
                    "level": i.level, "status": "unresolved", "substatus": i.substatus,
                    "count": i.count.to_string(), "userCount": i.user_count,
                    "firstSeen": i.first_seen.to_rfc3339(), "lastSeen": i.last_seen.to_rfc3339(),
                    "permalink": i.permalink, "project": {"id": "1", "slug": "web"},
                })
            })
            .collect();
        let next = offset + limit;
        let more = next < found.len();
        let link = format!(
            "<{base}?&cursor=0:0:1>; rel=\"previous\"; results=\"{prev}\"; cursor=\"0:0:1\", \
             <{base}?&cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\"",
            base = self.base,
            prev = offset > 0,
        );
        ResponseTemplate::new(200)
            .set_body_json(page)
            .insert_header("link", link.as_str())
    }

    fn stats(&self, request: &Request) -> ResponseTemplate {
        let (Some(start), Some(end), Some(interval)) = (
            param(request, "start"),
            param(request, "end"),
            param(request, "interval"),
        ) else {
            return bad_request("start, end and interval are required");
        };
        if param(request, "yAxis").as_deref() != Some("count()")
            || param(request, "query").as_deref() != Some("event.type:error")
        {
            return bad_request("the fake answers yAxis=count() of event.type:error only");
        }
        let (number, unit) = interval.split_at(interval.len() - 1);
        let seconds: i64 = number.parse::<i64>().unwrap()
            * match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                _ => return bad_request("bad interval"),
            };
        let (start, end) = (time(&start).timestamp(), time(&end).timestamp());
        let mut at = start - start.rem_euclid(seconds);
        let mut data = Vec::new();
        while at < end {
            let count = self
                .events
                .iter()
                .filter(|e| at <= e.timestamp() && e.timestamp() < at + seconds)
                .count();
            data.push(json!([at, [{ "count": count }]]));
            at += seconds;
        }
        ResponseTemplate::new(200).set_body_json(json!({ "data": data }))
    }
}

impl Respond for FakeSentry {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match request.url.path() {
            ISSUES_PATH => self.issues(request),
            STATS_PATH => self.stats(request),
            other => ResponseTemplate::new(404)
                .set_body_json(json!({ "detail": format!("no route {other}") })),
        }
    }
}

fn fixture() -> ErrorTrackerFixture {
    let end = now();
    let minutes = chrono::Duration::minutes;
    let window = TimeWindow::ending_at(end, Duration::from_secs(60 * 60));
    let issue = |id: &str, count, first: i64, last: i64| {
        TrackedIssue::new(
            id,
            format!("TypeError in {id}"),
            count,
            end - minutes(first),
            end - minutes(last),
        )
    };
    let issues = vec![
        issue("5870", 900, 300, 10),
        issue("6019", 3, 20, 5),
        issue("6021", 120, 50, 1),
        issue("4410", 7, 400, 200),
        issue("5002", 40, 120, 120),
    ];
    let mut events: Vec<Timestamp> = [59, 58, 45, 44, 43, 30, 12, 1]
        .iter()
        .map(|&m| end - minutes(m))
        .collect();
    events.extend([end - minutes(80), end + minutes(20)]);
    ErrorTrackerFixture {
        issues,
        events,
        window,
        interval: Duration::from_secs(15 * 60),
    }
}

#[tokio::test]
async fn sentry_client_conforms() {
    let server = MockServer::start().await;
    let fixture = fixture();
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(path(ISSUES_PATH))
        .respond_with(FakeSentry {
            issues: fixture.issues.clone(),
            events: fixture.events.clone(),
            base: format!("{}{ISSUES_PATH}", server.uri()),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(path(STATS_PATH))
        .respond_with(FakeSentry {
            issues: Vec::new(),
            events: fixture.events.clone(),
            base: String::new(),
        })
        .mount(&server)
        .await;
    // Two issues per page, so every listing the suite asks for spans pages.
    let clock = ir_core::clock::ManualClock::at(now());
    let client =
        ir_sentry::SentryClient::new(config(&server, &clock).with_page_size(2).build().unwrap())
            .unwrap();
    error_tracker::run_all(&client, &fixture).await;
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .any(|r| r.url.query_pairs().any(|(k, _)| k == "cursor")),
        "the suite's listings were paginated"
    );
}
