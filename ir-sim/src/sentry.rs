//! Sentry: issues that appear as the site's errors occur, and error counts over time
//! (`/api/0/organizations/{org}/issues/`, `/api/0/organizations/{org}/events-stats/`), with
//! Sentry's cursor pagination and error bodies (`{"detail": ...}`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::SecondsFormat;
use ir_core::clock::Timestamp;
use serde_json::{Value, json};

use crate::server::{Shared, query_pairs};

/// One Sentry issue: an error signature and when each of its events happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SentryIssue {
    /// Sentry's numeric id, as a string.
    pub id: String,
    /// `WEB-1A`.
    pub short_id: String,
    /// The exception and its message.
    pub title: String,
    /// Where it was raised.
    pub culprit: String,
    /// `error`, `fatal`, ...
    pub level: String,
    /// When each event happened, oldest first.
    pub events: Vec<Timestamp>,
}

impl SentryIssue {
    /// The first event's time.
    pub fn first_seen(&self) -> Option<Timestamp> {
        self.events.first().copied()
    }

    fn in_window(&self, start: Timestamp, end: Timestamp) -> usize {
        self.events
            .iter()
            .filter(|t| **t >= start && **t < end)
            .count()
    }
}

/// The issues of the organization.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sentry {
    pub issues: Vec<SentryIssue>,
}

impl Sentry {
    /// Records one event of the issue titled `title` at `at`, creating the issue on its
    /// first event.
    pub fn record(&mut self, title: &str, culprit: &str, at: Timestamp) {
        self.record_many(title, culprit, std::iter::once(at));
    }

    /// Records events of one issue.
    pub fn record_many(
        &mut self,
        title: &str,
        culprit: &str,
        at: impl IntoIterator<Item = Timestamp>,
    ) {
        let position = match self.issues.iter().position(|i| i.title == title) {
            Some(p) => p,
            None => {
                let n = self.issues.len() + 1;
                self.issues.push(SentryIssue {
                    id: (4_500 + n * 11).to_string(),
                    short_id: format!("WEB-{n:X}"),
                    title: title.to_owned(),
                    culprit: culprit.to_owned(),
                    level: "error".into(),
                    events: Vec::new(),
                });
                self.issues.len() - 1
            }
        };
        let issue = &mut self.issues[position];
        issue.events.extend(at);
        issue.events.sort();
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/0/organizations/{org}/issues/", get(issues))
        .route(
            "/api/0/organizations/{org}/events-stats/",
            get(events_stats),
        )
        .fallback(not_found)
}

/// Sentry's answer without a token.
pub(crate) fn unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| !t.trim().is_empty());
    (!bearer).then(|| {
        detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
    })
}

fn detail(status: StatusCode, text: &str) -> Response {
    (status, Json(json!({ "detail": text }))).into_response()
}

async fn not_found() -> Response {
    detail(
        StatusCode::NOT_FOUND,
        "The requested resource does not exist",
    )
}

fn time(text: Option<&str>) -> Option<Timestamp> {
    text.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

fn iso(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The `firstSeen:>=X` / `firstSeen:<Y` bounds of a search query.
fn first_seen_bounds(query: &str) -> (Option<Timestamp>, Option<Timestamp>) {
    let mut from = None;
    let mut to = None;
    for term in query.split_whitespace() {
        if let Some(t) = term.strip_prefix("firstSeen:>=") {
            from = time(Some(t));
        } else if let Some(t) = term.strip_prefix("firstSeen:<") {
            to = time(Some(t));
        }
    }
    (from, to)
}

#[allow(clippy::result_large_err)] // a handler's early answer, made once per request
fn window(pairs: &[(String, String)], now: Timestamp) -> Result<(Timestamp, Timestamp), Response> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let end = match get("end") {
        Some(t) => time(Some(t))
            .ok_or_else(|| detail(StatusCode::BAD_REQUEST, "end must be an ISO 8601 date"))?,
        None => now,
    };
    let start = match get("start") {
        Some(t) => time(Some(t))
            .ok_or_else(|| detail(StatusCode::BAD_REQUEST, "start must be an ISO 8601 date"))?,
        None => end - chrono::Duration::hours(24),
    };
    Ok((start, end))
}

async fn issues(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(raw.as_deref());
    if org != shared.ids.sentry_org {
        return not_found().await;
    }
    let now = shared.clock.now();
    let (start, end) = match window(&pairs, now) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let (from, to) = first_seen_bounds(get("query").unwrap_or_default());
    let limit = get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(1, 100);
    let offset = get("cursor")
        .and_then(|c| c.split(':').nth(1))
        .and_then(|o| o.parse::<usize>().ok())
        .unwrap_or(0);
    let world = shared.world();
    let mut found: Vec<(&SentryIssue, usize)> = world
        .sentry
        .issues
        .iter()
        .filter(|i| {
            let first = i.first_seen();
            from.is_none_or(|f| first.is_some_and(|s| s >= f))
                && to.is_none_or(|t| first.is_some_and(|s| s < t))
        })
        .map(|i| (i, i.in_window(start, end)))
        .filter(|(_, n)| *n > 0)
        .collect();
    match get("sort") {
        Some("new") => found.sort_by_key(|(i, _)| std::cmp::Reverse(i.first_seen())),
        _ => found.sort_by_key(|(_, n)| std::cmp::Reverse(*n)),
    }
    let total = found.len();
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(i, n)| issue_json(&shared, i, *n, start, end))
        .collect();
    drop(world);
    let more = offset + limit < total;
    let base = format!(
        "{}/api/0/organizations/{org}/issues/",
        shared.urls.sentry.trim_end_matches('/')
    );
    let link = format!(
        "<{base}?&cursor=0:{prev}:1>; rel=\"previous\"; results=\"{has_prev}\"; cursor=\"0:{prev}:1\", \
         <{base}?&cursor=0:{next}:0>; rel=\"next\"; results=\"{more}\"; cursor=\"0:{next}:0\"",
        prev = offset.saturating_sub(limit),
        has_prev = offset > 0,
        next = offset + limit,
    );
    let mut response = Json(Value::Array(page)).into_response();
    if let Ok(v) = HeaderValue::from_str(&link) {
        response.headers_mut().insert(header::LINK, v);
    }
    response
}

fn issue_json(
    shared: &Shared,
    i: &SentryIssue,
    count: usize,
    start: Timestamp,
    end: Timestamp,
) -> Value {
    let in_window: Vec<&Timestamp> = i
        .events
        .iter()
        .filter(|t| **t >= start && **t < end)
        .collect();
    let first = i.first_seen().map(iso);
    let last = in_window
        .last()
        .map(|t| iso(**t))
        .or_else(|| i.events.last().map(|t| iso(*t)));
    let (kind, value) = i.title.split_once(": ").unwrap_or((i.title.as_str(), ""));
    json!({
        "id": i.id,
        "shortId": i.short_id,
        "title": i.title,
        "culprit": i.culprit,
        "level": i.level,
        "status": "unresolved",
        "substatus": if first.as_deref() >= Some(iso(start).as_str()) { "new" } else { "ongoing" },
        "type": "error",
        "metadata": { "type": kind, "value": value },
        "count": count.to_string(),
        "userCount": count.div_ceil(3),
        "firstSeen": first,
        "lastSeen": last,
        "permalink": format!(
            "{}/organizations/{}/issues/{}/",
            shared.urls.sentry.trim_end_matches('/'),
            shared.ids.sentry_org,
            i.id
        ),
        "project": { "id": "1", "name": shared.ids.sentry_project, "slug": shared.ids.sentry_project },
        "isUnhandled": true,
    })
}

/// `30s`, `1m`, `5m`, `1h`, `1d` as seconds.
fn interval_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = number.parse().ok()?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return None,
    };
    (n > 0).then_some(n * scale)
}

async fn events_stats(
    State(shared): State<Arc<Shared>>,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let pairs = query_pairs(raw.as_deref());
    if org != shared.ids.sentry_org {
        return not_found().await;
    }
    let (start, end) = match window(&pairs, shared.clock.now()) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let Some(step) = interval_seconds(get("interval").unwrap_or("1h")) else {
        return detail(StatusCode::BAD_REQUEST, "Invalid interval");
    };
    let buckets = ((end - start).num_seconds() / step + 1).min(10_000);
    if buckets > 5_000 {
        return detail(
            StatusCode::BAD_REQUEST,
            "Your interval and date range would create too many results. Use a larger interval, or a smaller date range.",
        );
    }
    let first = start.timestamp() - start.timestamp().rem_euclid(step);
    let world = shared.world();
    let mut data = Vec::new();
    let mut at = first;
    while at < end.timestamp() {
        let (from, to) = (at, at + step);
        let count: usize = world
            .sentry
            .issues
            .iter()
            .flat_map(|i| i.events.iter())
            .filter(|t| t.timestamp() >= from && t.timestamp() < to)
            .count();
        data.push(json!([at, [{ "count": count }]]));
        at += step;
    }
    Json(json!({
        "data": data,
        "start": first,
        "end": at,
        "isMetricsData": false,
        "meta": { "fields": { "time": "date", "count": "integer" } },
    }))
    .into_response()
}
