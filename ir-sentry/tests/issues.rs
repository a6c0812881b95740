//! New issues (`sort=new` with a `firstSeen` query) and top issues (`sort=freq`): the exact
//! request, Sentry's field quirks, cursor pagination.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use ir_core::clock::ManualClock;
use ir_core::ports::ErrorTracker;
use wiremock::MockServer;

#[tokio::test]
async fn new_issues_sends_the_exact_request_and_reads_sentrys_fields() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok(&resource("issues_new.json")))
        .expect(1)
        .mount(&server)
        .await;
    let issues = client(&server).new_issues(window()).await.unwrap();
    assert_eq!(issues.len(), 2);
    let first = &issues[0];
    assert_eq!(first.id, "6021");
    assert_eq!(first.short_id, "WEB-2K");
    assert_eq!(
        first.title,
        "OperationalError: remaining connection slots are reserved"
    );
    assert_eq!(first.culprit.as_deref(), Some("app.db in connect"));
    assert_eq!(first.level, "error");
    assert_eq!(first.count, 148, "`count` arrives as the string \"148\"");
    assert_eq!(first.user_count, 37, "`userCount` arrives as a number");
    assert_eq!(first.first_seen, t("2026-02-08T15:24:12.481Z"));
    assert_eq!(first.last_seen, t("2026-02-08T15:29:58Z"));
    assert_eq!(first.substatus.as_deref(), Some("new"));
    assert_eq!(
        first.permalink.as_deref(),
        Some("https://acme.sentry.io/issues/6021/")
    );
    assert_eq!(issues[1].id, "6019");
    assert_eq!(issues[1].level, "warning");
}

#[tokio::test]
async fn projects_and_environment_filter_the_request() {
    let server = MockServer::start().await;
    let mut query = new_issues_query();
    query.retain(|(k, _)| *k != "project");
    query.extend([
        ("project", "4505321021267968"),
        ("project", "4505321021267969"),
        ("environment", "production"),
    ]);
    get(ISSUES_PATH, &query)
        .respond_with(ok("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let client = ir_sentry::SentryClient::new(
        config(&server, &clock)
            .with_project("4505321021267968")
            .with_projects(["4505321021267969".to_owned()])
            .with_environment("production")
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(client.new_issues(window()).await.unwrap().is_empty());
}

#[tokio::test]
async fn self_hosted_sentry_under_a_path() {
    let server = MockServer::start().await;
    get(
        "/sentry/api/0/organizations/acme/issues/",
        &new_issues_query(),
    )
    .respond_with(ok("[]"))
    .expect(1)
    .mount(&server)
    .await;
    let clock = ManualClock::at(now());
    let client = ir_sentry::SentryClient::new(
        config(&server, &clock)
            .with_base_url(format!("{}/sentry", server.uri()))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(client.new_issues(window()).await.unwrap().is_empty());
}

#[tokio::test]
async fn new_issues_keeps_only_the_window_newest_first() {
    let server = MockServer::start().await;
    // A window that does not fall on whole seconds: the query is widened to the second and
    // the answer cut back to the window.
    let window = ir_core::model::TimeWindow::new(
        t("2026-02-08T15:16:40.500Z"),
        t("2026-02-08T15:29:59.250Z"),
    );
    get(
        ISSUES_PATH,
        &[
            ("project", "-1"),
            ("start", "2026-02-08T15:16:40Z"),
            ("end", "2026-02-08T15:30:00Z"),
            (
                "query",
                "firstSeen:>=2026-02-08T15:16:40Z firstSeen:<2026-02-08T15:30:00Z",
            ),
            ("sort", "new"),
            ("limit", "100"),
        ],
    )
    .respond_with(ok(&resource("issues_new.json")))
    .expect(1)
    .mount(&server)
    .await;
    let issues = client(&server).new_issues(window).await.unwrap();
    let ids: Vec<_> = issues.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        ["6021"],
        "6019 was first seen at 15:16:40, before the window"
    );
}

#[tokio::test]
async fn top_issues_asks_for_the_most_frequent_of_every_status() {
    let server = MockServer::start().await;
    get(
        ISSUES_PATH,
        &[
            ("project", "-1"),
            ("start", "2026-02-08T15:15:00Z"),
            ("end", "2026-02-08T15:30:00Z"),
            ("query", ""),
            ("sort", "freq"),
            ("limit", "3"),
        ],
    )
    .respond_with(ok(&resource("issues_top.json")))
    .expect(1)
    .mount(&server)
    .await;
    let top = client(&server).top_issues(window(), 3).await.unwrap();
    let counts: Vec<_> = top.iter().map(|i| (i.id.as_str(), i.count)).collect();
    assert_eq!(counts, [("5870", 912), ("6021", 148), ("5002", 12)]);
    assert_eq!(top[2].culprit, None);
    assert_eq!(top[0].substatus.as_deref(), Some("escalating"));
}

#[tokio::test]
async fn top_issues_of_zero_asks_nothing() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &[])
        .respond_with(ok("[]"))
        .expect(0)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .top_issues(window(), 0)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn unknown_level_status_and_substatus_are_kept() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok(&resource("issues_unknown_enums.json")))
        .expect(1)
        .mount(&server)
        .await;
    let issues = client(&server).new_issues(window()).await.unwrap();
    let byid = |id: &str| issues.iter().find(|i| i.id == id).unwrap();
    assert_eq!(byid("7001").level, "catastrophic");
    assert_eq!(
        byid("7001").substatus.as_deref(),
        Some("snoozed_until_tuesday")
    );
    assert_eq!(byid("7002").level, "info");
    assert_eq!(byid("7002").substatus, None);
    assert_eq!(byid("7002").user_count, 0);
}

fn with_cursor(cursor: &str) -> Vec<(&str, &str)> {
    let mut query = new_issues_query();
    query.push(("cursor", cursor));
    query
}

#[tokio::test]
async fn pagination_follows_the_next_cursor_until_results_false() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(
            ok(&resource("issues_page_1.json")).insert_header("link", link(&server, 0, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &with_cursor("0:100:0"))
        .respond_with(
            ok(&resource("issues_page_2.json")).insert_header("link", link(&server, 100, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &with_cursor("0:200:0"))
        .respond_with(
            ok(&resource("issues_page_3.json")).insert_header("link", link(&server, 200, false)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let issues = client(&server).new_issues(window()).await.unwrap();
    let ids: Vec<_> = issues.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["8032", "8031", "8022", "8021", "8012", "8011"]);
}

#[tokio::test]
async fn pagination_stops_at_the_page_cap() {
    let server = MockServer::start().await;
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(
            ok(&resource("issues_page_1.json")).insert_header("link", link(&server, 0, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &with_cursor("0:100:0"))
        .respond_with(
            ok(&resource("issues_page_2.json")).insert_header("link", link(&server, 100, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &with_cursor("0:200:0"))
        .respond_with(ok("[]"))
        .expect(0)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let client =
        ir_sentry::SentryClient::new(config(&server, &clock).with_max_pages(2).build().unwrap())
            .unwrap();
    assert_eq!(client.new_issues(window()).await.unwrap().len(), 4);
}

#[tokio::test]
async fn top_issues_stops_paging_at_the_limit() {
    let server = MockServer::start().await;
    let query = |cursor: Option<&'static str>| {
        let mut q = vec![
            ("project", "-1"),
            ("start", "2026-02-08T15:15:00Z"),
            ("end", "2026-02-08T15:30:00Z"),
            ("query", ""),
            ("sort", "freq"),
            ("limit", "2"),
        ];
        q.extend(cursor.map(|c| ("cursor", c)));
        q
    };
    get(ISSUES_PATH, &query(None))
        .respond_with(
            ok(&resource("issues_page_1.json")).insert_header("link", link(&server, 0, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &query(Some("0:100:0")))
        .respond_with(
            ok(&resource("issues_page_2.json")).insert_header("link", link(&server, 100, true)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(now());
    let client =
        ir_sentry::SentryClient::new(config(&server, &clock).with_page_size(2).build().unwrap())
            .unwrap();
    let top = client.top_issues(window(), 3).await.unwrap();
    let ids: Vec<_> = top.iter().map(|i| (i.id.as_str(), i.count)).collect();
    assert_eq!(ids, [("8011", 89), ("8012", 88), ("8021", 79)]);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_read_for_its_cursor_only() {
    let server = MockServer::start().await;
    let elsewhere = "<https://collector.example.net/api/0/organizations/acme/issues/?&cursor=0:0:1>; \
        rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", \
        <https://collector.example.net/api/0/organizations/acme/issues/?&cursor=0:100:0>; \
        rel=\"next\"; results=\"true\"; cursor=\"0:100:0\"";
    get(ISSUES_PATH, &new_issues_query())
        .respond_with(ok(&resource("issues_page_1.json")).insert_header("link", elsewhere))
        .expect(1)
        .mount(&server)
        .await;
    get(ISSUES_PATH, &with_cursor("0:100:0"))
        .respond_with(
            ok(&resource("issues_page_2.json")).insert_header("link", link(&server, 100, false)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let issues = client(&server).new_issues(window()).await.unwrap();
    assert_eq!(
        issues.len(),
        4,
        "the second page came from the configured host"
    );
}
