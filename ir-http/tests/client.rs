//! `HttpClient` against wiremock: retries, both timeouts, idempotency, auth, redaction, spans.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ir_core::ErrorKind;
use ir_core::clock::{Clock, ManualClock};
use ir_http::{Auth, ClientOptions, HttpClient, HttpClientBuilder, Request, RetryPolicy};
use secrecy::SecretString;
use url::Url;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-very-secret-123";

fn start() -> chrono::DateTime<chrono::Utc> {
    "2026-02-08T15:30:00Z".parse().unwrap()
}

fn url(server: &MockServer, p: &str) -> Url {
    format!("{}{p}", server.uri()).parse().unwrap()
}

/// Options on a manual clock (retry waits are instant), no jitter.
fn options(clock: &ManualClock) -> ClientOptions {
    ClientOptions::default()
        .with_clock(Arc::new(clock.clone()))
        .with_retry_policy(RetryPolicy::default().with_jitter(false))
}

fn builder(options: ClientOptions) -> HttpClientBuilder {
    HttpClient::builder("test")
        .with_auth(Auth::bearer(SecretString::from(TOKEN)))
        .with_client_options(options)
}

fn elapsed(clock: &ManualClock) -> Duration {
    (clock.now() - start()).to_std().unwrap()
}

#[tokio::test]
async fn retry_after_seconds_is_honoured_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let response = client
        .send(Request::get(url(&server, "/things")).with_operation("list_things"))
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.body(), b"[]");
    // Exactly the server's wait: not the 250 ms backoff, not less than asked.
    assert_eq!(elapsed(&clock), Duration::from_secs(7));
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "Sun, 08 Feb 2026 15:30:30 GMT"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(elapsed(&clock), Duration::from_secs(30));
}

#[tokio::test]
async fn rate_limit_reset_header_is_used_when_retry_after_is_absent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", "1770564612"), // start + 12 s, epoch seconds
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(elapsed(&clock), Duration::from_secs(12));
}

#[tokio::test]
async fn backoff_grows_exponentially_without_a_server_wait() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .expect(4)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock).with_retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(100)),
        ),
    )
    .build()
    .unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

    // Attempts are capped and the last answer is handed back for the adapter to map.
    assert_eq!(response.status().as_u16(), 502);
    assert_eq!(
        response.status_error("bad gateway").unwrap().kind(),
        ErrorKind::Unavailable
    );
    // 100 + 200 + 400 ms between four attempts.
    assert_eq!(elapsed(&clock), Duration::from_millis(700));
}

/// Plays the passing of time for attempts that hang: each time the server has received one
/// more request, moves the manual clock past the attempt timeout, `attempts` times. The
/// attempts then end as timed out at once, with no real waiting.
async fn time_out_attempts(
    server: &MockServer,
    clock: &ManualClock,
    attempts: usize,
    by: Duration,
) {
    for seen in 1..=attempts {
        while server.received_requests().await.unwrap().len() < seen {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        clock.advance(by);
    }
}

#[tokio::test]
async fn an_attempt_timeout_on_a_manual_clock_fires_when_time_moves_past_it() {
    let server = MockServer::start().await;
    // An answer after 5 real seconds; the attempt timeout is 30 s on the manual clock.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock).with_retry_policy(RetryPolicy::none()))
        .build()
        .unwrap();

    let real = Instant::now();
    let (result, ()) = tokio::join!(
        client.send(Request::get(url(&server, "/slow")).with_operation("slow")),
        time_out_attempts(&server, &clock, 1, Duration::from_secs(30)),
    );
    let err = result.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.message(), "no answer within 30 s (1 attempt)");
    assert_eq!(elapsed(&clock), Duration::from_secs(30));
    assert!(
        real.elapsed() < Duration::from_secs(2),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test]
async fn an_answer_slower_in_real_time_than_the_manual_timeout_still_arrives() {
    // Nothing moves the manual clock, so real I/O under it is never cut short.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(300)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock).with_attempt_timeout(Duration::from_millis(10)))
        .build()
        .unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn non_idempotent_post_is_not_retried_after_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock).with_attempt_timeout(Duration::from_millis(250)))
        .build()
        .unwrap();

    let (result, ()) = tokio::join!(
        client.send(
            Request::post(url(&server, "/rollback"))
                .with_operation("rollback")
                .with_body("{}"),
        ),
        time_out_attempts(&server, &clock, 1, Duration::from_millis(250)),
    );
    let err = result.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.provider(), Some("test"));
    assert_eq!(err.operation(), Some("rollback"));
    assert!(err.to_string().contains("not idempotent"), "{err}");
    assert!(err.message().contains("(1 attempt; not repeated)"), "{err}");
    assert!(err.may_have_taken_effect(), "{err:?}");
    assert_eq!(
        elapsed(&clock),
        Duration::from_millis(250),
        "the attempt timeout and no retry wait"
    );
}

#[tokio::test]
async fn idempotent_request_is_retried_after_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(3)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock)
            .with_attempt_timeout(Duration::from_millis(250))
            .with_retry_policy(
                RetryPolicy::default()
                    .with_jitter(false)
                    .with_max_attempts(3),
            ),
    )
    .build()
    .unwrap();

    let (result, ()) = tokio::join!(
        client.send(
            Request::post(url(&server, "/query"))
                .with_operation("query")
                .with_idempotent(true),
        ),
        time_out_attempts(&server, &clock, 3, Duration::from_millis(250)),
    );
    let err = result.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("3 attempts"), "{err}");
    // Repeating it is harmless, so there is nothing to reconcile.
    assert!(!err.may_have_taken_effect(), "{err:?}");
    // Three attempt timeouts of 250 ms and two backoff waits (250 + 500 ms), all on the
    // manual clock: retried, not given up at once.
    assert_eq!(elapsed(&clock), Duration::from_millis(1500));
}

#[tokio::test]
async fn non_idempotent_post_is_not_retried_on_503_but_is_on_429() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/unavailable"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/throttled"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/throttled"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let unavailable = client
        .send(Request::post(url(&server, "/unavailable")))
        .await
        .unwrap();
    assert_eq!(unavailable.status().as_u16(), 503);

    // A throttled request was refused unprocessed: repeating it is safe for any method.
    let throttled = client
        .send(Request::post(url(&server, "/throttled")))
        .await
        .unwrap();
    assert_eq!(throttled.status().as_u16(), 200);
}

#[tokio::test]
async fn a_wait_past_the_deadline_is_not_taken() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "3600")
                .set_body_string(r#"{"message":"slow down"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();
    let err = response.status_error("slow down").unwrap();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(elapsed(&clock), Duration::ZERO);
}

#[tokio::test]
async fn overall_deadline_bounds_a_slow_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = HttpClient::builder("test")
        .with_client_options(
            ClientOptions::default()
                .with_attempt_timeout(Duration::from_secs(10))
                .with_retry_policy(
                    RetryPolicy::default().with_total_timeout(Duration::from_millis(150)),
                ),
        )
        .build()
        .unwrap();

    let started = Instant::now();
    let err = client
        .send(Request::get(url(&server, "/")))
        .await
        .unwrap_err();
    let took = started.elapsed();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.message().contains("overall deadline"), "{err}");
    assert!(took >= Duration::from_millis(150), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[tokio::test]
async fn overall_deadline_bounds_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    // The deadline is measured on the manual clock, so the count below does not depend on
    // how fast the machine is.
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock).with_retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_attempts(1000)
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(20))
                .with_total_timeout(Duration::from_millis(300)),
        ),
    )
    .build()
    .unwrap();

    let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

    // Waits of 10, 20, 20... ms: the 16th attempt comes at 290 ms, and another 20 ms wait
    // would pass the 300 ms deadline, so its 503 is handed back.
    assert_eq!(response.status().as_u16(), 503);
    assert_eq!(elapsed(&clock), Duration::from_millis(290));
    assert_eq!(server.received_requests().await.unwrap().len(), 16);
}

#[tokio::test]
async fn connect_errors_are_retried_even_for_a_post() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock).with_retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_attempts(3),
        ),
    )
    .build()
    .unwrap();

    let err = client
        .send(
            Request::post(format!("http://127.0.0.1:{port}/x").parse().unwrap())
                .with_operation("mutate"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.message(), "could not connect to 127.0.0.1 (3 attempts)");
    // It never left: nothing can have happened.
    assert!(!err.may_have_taken_effect(), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    // Two waits: 250 ms and 500 ms.
    assert_eq!(elapsed(&clock), Duration::from_millis(750));
}

#[tokio::test]
async fn credential_and_headers_are_sent() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", ir_http::DEFAULT_USER_AGENT))
        .and(body_string(r#"{"query":"{ me { id } }"}"#))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"data":{}}"#))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/project"))
        .and(header("project-access-token", TOKEN))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let bearer = builder(options(&clock)).build().unwrap();
    let project = HttpClient::builder("test")
        .with_auth(Auth::header("Project-Access-Token", SecretString::from(TOKEN)).unwrap())
        .build()
        .unwrap();

    let body = serde_json::json!({"query": "{ me { id } }"});
    let response = bearer
        .send(
            Request::post(url(&server, "/graphql"))
                .with_json(&body)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = project
        .send(Request::post(url(&server, "/project")))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn debug_of_client_builder_and_errors_omits_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(r#"{"message":"Bad credentials"}"#),
        )
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock).with_attempt_timeout(Duration::from_secs(5)))
        .build()
        .unwrap();

    let unauthorized = client
        .send(Request::get(url(&server, "/")))
        .await
        .unwrap()
        .status_error("Bad credentials")
        .unwrap();
    assert_eq!(unauthorized.kind(), ErrorKind::Unauthenticated);

    let refused = client
        .send(Request::get("http://127.0.0.1:9/".parse().unwrap()))
        .await
        .unwrap_err();

    let texts = [
        format!("{client:?}"),
        format!("{:?}", builder(options(&clock))),
        format!("{unauthorized:?} {unauthorized}"),
        format!("{refused:?} {refused}"),
    ];
    for text in texts {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
    assert!(format!("{client:?}").contains("<redacted>"));
}

#[tokio::test]
async fn html_body_is_a_protocol_error_not_a_panic() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><head><title>Access denied</title></head><body></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let response = client
        .send(Request::get(url(&server, "/")).with_operation("read"))
        .await
        .unwrap();
    let err = response.json::<serde_json::Value>().unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(err.operation(), Some("read"));
    assert!(err.message().contains("\"Access denied\""), "{err}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock))
        .with_max_body_bytes(1024)
        .build()
        .unwrap();

    let err = client
        .send(Request::get(url(&server, "/")))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.message().contains("1024 bytes"), "{err}");
}

#[test]
fn zero_timeouts_are_refused() {
    let err = HttpClient::builder("test")
        .with_client_options(ClientOptions::default().with_attempt_timeout(Duration::ZERO))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn a_mutation_cut_by_the_deadline_says_it_may_have_happened() {
    let server = MockServer::start().await;
    // Never repeated (the client's count of one attempt is asserted below); on a busy machine
    // the request may not have reached the server before the deadline.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(..=1)
        .mount(&server)
        .await;
    let client = HttpClient::builder("test")
        .with_client_options(ClientOptions::default().with_retry_policy(
            RetryPolicy::default().with_total_timeout(Duration::from_millis(250)),
        ))
        .build()
        .unwrap();

    let err = client
        .send(Request::post(url(&server, "/rollback")).with_operation("rollback"))
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(
        err.message()
            .starts_with("gave up at the overall deadline of 250 ms after 1 attempt"),
        "{err}"
    );
    assert!(err.may_have_taken_effect(), "{err:?}");
    assert!(
        err.to_string()
            .ends_with(ir_core::error::MAY_HAVE_TAKEN_EFFECT),
        "{err}"
    );
}

/// A server that reads each request, answers `200` with a `Content-Length` of 4096 and only
/// the first bytes of a body, then closes the connection.
async fn cutting_server() -> Url {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4096\r\n\r\n";
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(br#"{"ok":tr"#).await;
                let _ = socket.flush().await;
            });
        }
    });
    format!("http://{address}/mutate").parse().unwrap()
}

#[tokio::test]
async fn a_mutation_whose_answer_is_cut_off_may_have_taken_effect() {
    let url = cutting_server().await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();

    let err = client
        .send(
            Request::post(url.clone())
                .with_operation("rollback")
                .with_body("{}"),
        )
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.may_have_taken_effect(), "{err:?}");
    assert!(err.message().contains("lost while reading"), "{err}");
    assert!(err.message().contains("(1 attempt)"), "not repeated: {err}");

    // The same cut answer to a query: retried, and nothing to reconcile.
    let err = client
        .send(Request::get(url).with_operation("query"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!err.may_have_taken_effect(), "{err:?}");
    assert!(err.message().contains("(4 attempts)"), "{err}");
}

/// What a GraphQL-like adapter reads from an answer: `outage` under 200 is its server failing.
fn read_outage(response: ir_http::Response) -> ir_core::Result<String> {
    let body = String::from_utf8_lossy(response.body()).into_owned();
    if body == "outage" {
        Err(response.error(ErrorKind::Unavailable, "the server failed"))
    } else {
        Ok(body)
    }
}

#[tokio::test]
async fn an_answer_read_as_an_outage_is_retried_only_when_idempotent() {
    for idempotent in [true, false] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("outage"))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("fine"))
            .expect(u64::from(idempotent))
            .mount(&server)
            .await;
        let clock = ManualClock::at(start());
        let client = builder(options(&clock)).build().unwrap();
        let reads = std::sync::atomic::AtomicU32::new(0);

        let result = client
            .send_and_read(
                Request::post(url(&server, "/graphql")).with_idempotent(idempotent),
                |response| {
                    reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    read_outage(response)
                },
            )
            .await;

        if idempotent {
            assert_eq!(result.unwrap(), "fine");
            assert_eq!(reads.into_inner(), 2, "each answer read once");
            assert_eq!(elapsed(&clock), Duration::from_millis(250), "one backoff");
        } else {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unavailable);
            assert_eq!(err.message(), "the server failed");
            assert_eq!(reads.into_inner(), 1);
        }
    }
}

#[tokio::test]
async fn an_outage_answer_on_every_attempt_returns_the_last_reading() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("outage"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock).with_retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_attempts(2),
        ),
    )
    .build()
    .unwrap();

    let err = client
        .send_and_read(Request::get(url(&server, "/")), read_outage)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.status(), Some(200));
}

#[tokio::test]
async fn a_total_timeout_past_the_calendar_means_no_deadline() {
    let forever = [
        Duration::MAX,
        // Past chrono's range of durations.
        Duration::from_secs(u64::MAX / 2),
        // A valid duration that no date can be that far after.
        Duration::from_secs(10_000_000_000_000),
    ];
    for total in forever {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let clock = ManualClock::at(start());
        let client = builder(
            options(&clock).with_retry_policy(
                RetryPolicy::default()
                    .with_jitter(false)
                    .with_total_timeout(total),
            ),
        )
        .build()
        .unwrap();

        let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

        assert_eq!(response.status().as_u16(), 200, "{total:?}");
        assert_eq!(elapsed(&clock), Duration::from_millis(250), "{total:?}");
    }
}

#[tokio::test]
async fn a_zero_or_past_server_wait_still_backs_off() {
    let throttled = [
        ResponseTemplate::new(429).insert_header("retry-after", "0"),
        ResponseTemplate::new(503).insert_header("retry-after", "Sun, 08 Feb 2026 15:00:00 GMT"),
        ResponseTemplate::new(403)
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", "1770564540"), // a minute before start
    ];
    for answer in throttled {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(answer)
            .up_to_n_times(2)
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;
        let clock = ManualClock::at(start());
        let client = builder(
            options(&clock).with_retry_policy(
                RetryPolicy::default()
                    .with_jitter(false)
                    .with_initial_backoff(Duration::from_millis(100)),
            ),
        )
        .build()
        .unwrap();

        let response = client.send(Request::get(url(&server, "/"))).await.unwrap();

        assert_eq!(response.status().as_u16(), 200);
        // The policy's 100 + 200 ms, not two retries in a tight loop.
        assert_eq!(elapsed(&clock), Duration::from_millis(300));
    }
}

#[tokio::test]
async fn a_server_wait_shorter_than_the_backoff_gives_way_to_it() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(3)
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(
        options(&clock).with_retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_initial_backoff(Duration::from_millis(600)),
        ),
    )
    .build()
    .unwrap();

    client.send(Request::get(url(&server, "/"))).await.unwrap();

    // max(1 s, 600 ms) + max(1 s, 1.2 s) + max(1 s, 2.4 s).
    assert_eq!(elapsed(&clock), Duration::from_millis(4600));
}

#[tokio::test]
async fn a_403_with_retry_after_is_a_rate_limit_and_is_retried() {
    // GitHub's secondary rate limit: 403 with `retry-after`, the primary limit untouched.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(
            ResponseTemplate::new(403)
                .insert_header("retry-after", "30")
                .insert_header("x-ratelimit-remaining", "4990"),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock)).build().unwrap();
    let response = client
        .send(Request::post(url(&server, "/things")))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(elapsed(&clock), Duration::from_secs(30));
}

#[tokio::test]
async fn a_throttled_answer_without_a_wait_waits_the_throttle_floor() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(429))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let policy = RetryPolicy::default()
        .with_jitter(false)
        .with_total_timeout(Duration::from_secs(300));
    let client = builder(options(&clock).with_retry_policy(policy))
        .with_throttle_floor(Duration::from_secs(60))
        .build()
        .unwrap();
    let response = client
        .send(Request::get(url(&server, "/things")))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(elapsed(&clock), Duration::from_secs(60));
}

#[tokio::test]
async fn a_throttle_floor_past_the_deadline_returns_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/things"))
        .respond_with(ResponseTemplate::new(429))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::at(start());
    let client = builder(options(&clock))
        .with_throttle_floor(Duration::from_secs(60))
        .build()
        .unwrap();
    let response = client
        .send(Request::get(url(&server, "/things")))
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(elapsed(&clock), Duration::ZERO);
}
