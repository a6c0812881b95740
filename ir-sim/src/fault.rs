//! Provider faults and injected latency, settable at runtime per vendor or per endpoint, and
//! the answers each vendor really sends for them.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ir_core::clock::Timestamp;
use serde_json::json;

use crate::log::Vendor;

/// What a simulated service does wrong.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// The service is down: HTTP 503 in the vendor's shape.
    Unavailable,
    /// Nothing listens: connections are refused until the fault is cleared.
    Refused,
    /// Throttled: the vendor's rate-limit answer (429, or GitHub's 403 with
    /// `x-ratelimit-remaining: 0`) telling the client to wait `retry_after`.
    RateLimited {
        /// The wait the answer names.
        retry_after: Duration,
    },
    /// A 200 whose body is not what the API sends: an HTML page where JSON belongs.
    Garbage,
    /// The real answer (the request takes effect) with its body cut in half: malformed JSON.
    Truncated,
    /// This share (0..=1) of requests answer the vendor's HTTP 500, spread evenly.
    ErrorRate(f64),
}

impl Fault {
    /// A rate limit asking for `retry_after`.
    pub fn rate_limited(retry_after: Duration) -> Self {
        Self::RateLimited { retry_after }
    }
}

/// Where a fault or a latency applies: a whole vendor, or one of its endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Every request to the vendor.
    Vendor(Vendor),
    /// Requests whose operation (GraphQL `operationName`, Slack method, PagerDuty
    /// `event_action`) equals the text, or whose path starts with it.
    Endpoint(Vendor, String),
}

impl Target {
    /// One endpoint of `vendor`: an operation name or a path prefix.
    pub fn endpoint(vendor: Vendor, endpoint: impl Into<String>) -> Self {
        Self::Endpoint(vendor, endpoint.into())
    }

    /// The vendor targeted.
    pub fn vendor(&self) -> Vendor {
        match self {
            Self::Vendor(v) | Self::Endpoint(v, _) => *v,
        }
    }

    /// How well it matches a request: `None` when it does not, 1 for the vendor, 2 for an
    /// endpoint.
    fn rank(&self, vendor: Vendor, operation: Option<&str>, path: &str) -> Option<u8> {
        match self {
            Self::Vendor(v) => (*v == vendor).then_some(1),
            Self::Endpoint(v, e) => (*v == vendor
                && (operation == Some(e.as_str()) || (e.starts_with('/') && path.starts_with(e))))
            .then_some(2),
        }
    }
}

impl From<Vendor> for Target {
    fn from(vendor: Vendor) -> Self {
        Self::Vendor(vendor)
    }
}

/// The faults and latencies in force.
#[derive(Debug, Default)]
pub(crate) struct Controls {
    faults: Vec<(Target, Fault)>,
    /// Faults that clear themselves: how many more requests they answer.
    remaining: Vec<(Target, u64)>,
    latencies: Vec<(Target, Duration)>,
    /// Requests counted per target with an error rate, to spread failures evenly.
    counters: Vec<(Target, u64)>,
}

impl Controls {
    pub(crate) fn set_fault(&mut self, target: Target, fault: Option<Fault>) {
        self.faults.retain(|(t, _)| t != &target);
        self.counters.retain(|(t, _)| t != &target);
        self.remaining.retain(|(t, _)| t != &target);
        if let Some(fault) = fault {
            self.faults.push((target, fault));
        }
    }

    /// `fault` on `target` for its next `requests` requests, then cleared.
    pub(crate) fn set_fault_for(&mut self, target: Target, fault: Fault, requests: u64) {
        self.set_fault(target.clone(), (requests > 0).then_some(fault));
        if requests > 0 {
            self.remaining.push((target, requests));
        }
    }

    pub(crate) fn set_latency(&mut self, target: Target, latency: Duration) {
        self.latencies.retain(|(t, _)| t != &target);
        if !latency.is_zero() {
            self.latencies.push((target, latency));
        }
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Whether connections to `vendor` are refused (a vendor-wide `Refused`).
    pub(crate) fn refuses(&self, vendor: Vendor) -> bool {
        self.faults
            .iter()
            .any(|(t, f)| t == &Target::Vendor(vendor) && *f == Fault::Refused)
    }

    /// The latency and the fault for one request (the most specific target wins). An
    /// `ErrorRate` is resolved here into `Some(ErrorRate(1.0))` for a request that fails.
    pub(crate) fn lookup(
        &mut self,
        vendor: Vendor,
        operation: Option<&str>,
        path: &str,
    ) -> (Duration, Option<Fault>) {
        let latency = self
            .latencies
            .iter()
            .filter_map(|(t, d)| t.rank(vendor, operation, path).map(|r| (r, *d)))
            .max_by_key(|(r, _)| *r)
            .map_or(Duration::ZERO, |(_, d)| d);
        let found = self
            .faults
            .iter()
            .filter_map(|(t, f)| t.rank(vendor, operation, path).map(|r| (r, t, f)))
            .max_by_key(|(r, _, _)| *r)
            .map(|(_, t, f)| (t.clone(), f.clone()));
        if let Some((target, _)) = &found
            && let Some(at) = self.remaining.iter().position(|(t, _)| t == target)
        {
            self.remaining[at].1 = self.remaining[at].1.saturating_sub(1);
            if self.remaining[at].1 == 0 {
                let target = target.clone();
                self.set_fault(target, None);
            }
        }
        let fault = match found {
            Some((target, Fault::ErrorRate(rate))) => {
                let at = match self.counters.iter().position(|(t, _)| t == &target) {
                    Some(at) => at,
                    None => {
                        self.counters.push((target, 0));
                        self.counters.len() - 1
                    }
                };
                let n = self.counters[at].1;
                self.counters[at].1 += 1;
                let fails = spread(n, rate);
                fails.then_some(Fault::ErrorRate(1.0))
            }
            Some((_, Fault::Refused)) => Some(Fault::Unavailable),
            Some((_, fault)) => Some(fault),
            None => None,
        };
        (latency, fault)
    }
}

/// Whether request `n` (from 0) is one of the `rate` share that fail: failures spread evenly
/// (`floor((n + 1) * rate) > floor(n * rate)`), the same run after run.
pub(crate) fn spread(n: u64, rate: f64) -> bool {
    let rate = rate.clamp(0.0, 1.0);
    let before = (n as f64 * rate).floor();
    let after = ((n + 1) as f64 * rate).floor();
    after > before
}

fn json_answer(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn text_answer(status: StatusCode, content_type: &'static str, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `vendor`'s answer for `fault` (not `Refused`, `Truncated`: the server handles those).
pub(crate) fn answer(vendor: Vendor, fault: &Fault, now: Timestamp) -> Response {
    match fault {
        Fault::Unavailable | Fault::Refused => unavailable(vendor),
        Fault::ErrorRate(_) => internal_error(vendor),
        Fault::RateLimited { retry_after } => rate_limited(vendor, *retry_after, now),
        Fault::Garbage | Fault::Truncated => text_answer(
            StatusCode::OK,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head>\
             <body>Checking your browser before accessing the site.</body></html>"
                .to_owned(),
        ),
    }
}

/// HTTP 503 as each vendor (or its edge) sends it.
pub(crate) fn unavailable(vendor: Vendor) -> Response {
    let s = StatusCode::SERVICE_UNAVAILABLE;
    match vendor {
        Vendor::Github => json_answer(
            s,
            json!({"message": "Service Unavailable", "documentation_url": "https://docs.github.com/rest"}),
        ),
        Vendor::Sentry => json_answer(s, json!({"detail": "Service unavailable"})),
        Vendor::Statuspage => json_answer(s, json!({"error": "Service Unavailable"})),
        Vendor::PagerDuty => json_answer(
            s,
            json!({"status": "unavailable", "message": "Service Unavailable"}),
        ),
        Vendor::Slack => text_answer(s, "text/plain", "service_unavailable".to_owned()),
        Vendor::Railway | Vendor::Site | Vendor::GithubLogs => text_answer(
            s,
            "text/html; charset=utf-8",
            "<html><head><title>503 Service Temporarily Unavailable</title></head>\
             <body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
                .to_owned(),
        ),
    }
}

/// HTTP 500 as each vendor sends it.
pub(crate) fn internal_error(vendor: Vendor) -> Response {
    let s = StatusCode::INTERNAL_SERVER_ERROR;
    match vendor {
        Vendor::Github => json_answer(
            s,
            json!({"message": "Server Error", "documentation_url": "https://docs.github.com/rest"}),
        ),
        Vendor::Sentry => json_answer(s, json!({"detail": "Internal Error"})),
        Vendor::Statuspage => json_answer(s, json!({"error": "Internal Server Error"})),
        Vendor::PagerDuty => json_answer(
            s,
            json!({"status": "error", "message": "Internal Server Error"}),
        ),
        Vendor::Slack => json_answer(StatusCode::OK, json!({"ok": false, "error": "internal_error"})),
        Vendor::Railway => json_answer(
            StatusCode::OK,
            json!({"data": null, "errors": [{"message": "Problem processing request", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}),
        ),
        Vendor::Site | Vendor::GithubLogs => text_answer(
            s,
            "text/html; charset=utf-8",
            "<html><head><title>500: Internal Server Error</title></head><body>Internal Server Error</body></html>".to_owned(),
        ),
    }
}

/// The vendor's rate-limit answer.
fn rate_limited(vendor: Vendor, retry_after: Duration, now: Timestamp) -> Response {
    let seconds = retry_after
        .as_secs()
        .max(u64::from(retry_after.subsec_nanos() > 0));
    let reset = now
        .timestamp()
        .saturating_add(i64::try_from(seconds).unwrap_or(i64::MAX));
    let too_many = StatusCode::TOO_MANY_REQUESTS;
    let mut response = match vendor {
        // GitHub's primary limit: 403 with the budget at zero and the reset time.
        Vendor::Github => {
            let mut r = json_answer(
                StatusCode::FORBIDDEN,
                json!({
                    "message": "API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                }),
            );
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("5000"));
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            h.insert("x-ratelimit-used", HeaderValue::from_static("5000"));
            h.insert("x-ratelimit-resource", HeaderValue::from_static("core"));
            if let Ok(v) = HeaderValue::from_str(&reset.to_string()) {
                h.insert("x-ratelimit-reset", v);
            }
            r
        }
        Vendor::Sentry => {
            let mut r = json_answer(
                too_many,
                json!({"detail": "You are attempting to use this endpoint too frequently. Limit is 40 requests in 1 seconds"}),
            );
            let h = r.headers_mut();
            h.insert("x-sentry-rate-limit-limit", HeaderValue::from_static("40"));
            h.insert(
                "x-sentry-rate-limit-remaining",
                HeaderValue::from_static("0"),
            );
            if let Ok(v) = HeaderValue::from_str(&reset.to_string()) {
                h.insert("x-sentry-rate-limit-reset", v);
            }
            r
        }
        Vendor::Slack => json_answer(too_many, json!({"ok": false, "error": "ratelimited"})),
        Vendor::PagerDuty => json_answer(
            too_many,
            json!({"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."}),
        ),
        Vendor::Statuspage => json_answer(
            too_many,
            json!({"error": "Rate limit exceeded. Please retry later."}),
        ),
        Vendor::Railway => {
            let mut r = json_answer(
                too_many,
                json!({"errors": [{"message": "Rate limit exceeded. Please try again later."}]}),
            );
            let h = r.headers_mut();
            h.insert("x-ratelimit-limit", HeaderValue::from_static("1000"));
            h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
            if let Ok(v) = HeaderValue::from_str(&reset.to_string()) {
                h.insert("x-ratelimit-reset", v);
            }
            r
        }
        Vendor::Site | Vendor::GithubLogs => {
            text_answer(too_many, "text/plain", "Too Many Requests".to_owned())
        }
    };
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    response
}

/// `body` cut in half, as a complete answer of that length.
pub(crate) fn truncate(parts: axum::http::response::Parts, body: &[u8]) -> Response {
    let half = body[..body.len() / 2].to_vec();
    let mut response = Response::from_parts(parts, Body::from(half));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_for_n_requests_lifts_after_the_nth() {
        let mut c = Controls::default();
        let logs = Target::endpoint(Vendor::Railway, "EnvironmentLogs");
        c.set_fault_for(logs, Fault::rate_limited(Duration::from_secs(1)), 2);
        let hit = |c: &mut Controls, op: &str| c.lookup(Vendor::Railway, Some(op), "/graphql/v2").1;
        // Another endpoint is not counted.
        assert_eq!(hit(&mut c, "Deployments"), None);
        for _ in 0..2 {
            assert!(matches!(
                hit(&mut c, "EnvironmentLogs"),
                Some(Fault::RateLimited { .. })
            ));
        }
        assert_eq!(hit(&mut c, "EnvironmentLogs"), None);
        assert_eq!(hit(&mut c, "EnvironmentLogs"), None);
    }
}
