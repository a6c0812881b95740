//! PagerDuty's Events API v2 (`POST /v2/enqueue`): trigger, acknowledge and resolve by
//! `dedup_key`, answered `202 {"status":"success","message":"Event processed","dedup_key":…}`,
//! or `400 {"status":"invalid event",...,"errors":[...]}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use ir_core::clock::Timestamp;
use serde_json::{Value, json};

use crate::server::Shared;

/// Where a PagerDuty alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageStatus {
    /// Paging the responders.
    Triggered,
    /// Someone is on it.
    Acknowledged,
    /// Over.
    Resolved,
}

/// One alert: a dedup key on one routing key, and the events it received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page {
    /// The `dedup_key`.
    pub dedup_key: String,
    /// Which integration it came to (the last four characters of its routing key).
    pub routing_key_suffix: String,
    /// Where it stands.
    pub status: PageStatus,
    /// The trigger's `payload.summary`.
    pub summary: String,
    /// The trigger's `payload.severity`.
    pub severity: String,
    /// Every `event_action` received, in order.
    pub actions: Vec<String>,
    /// When it was triggered.
    pub triggered_at: Timestamp,
}

/// Every alert.
#[derive(Debug, Clone, Default)]
pub(crate) struct PagerDuty {
    pub pages: Vec<Page>,
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v2/enqueue", post(enqueue))
        .route("/v2/change/enqueue", post(change))
}

fn invalid(errors: &[&str]) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "status": "invalid event", "message": "Event object is invalid", "errors": errors })),
    )
        .into_response()
}

fn accepted(dedup_key: &str) -> Response {
    (
        StatusCode::ACCEPTED,
        Json(json!({ "status": "success", "message": "Event processed", "dedup_key": dedup_key })),
    )
        .into_response()
}

async fn change(body: Bytes) -> Response {
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(_)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "status": "success", "message": "Change event processed" })),
        )
            .into_response(),
        _ => invalid(&["Malformed JSON"]),
    }
}

async fn enqueue(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(&body) else {
        return invalid(&["Malformed JSON"]);
    };
    let s = |v: &Value, k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let event = Value::Object(event);
    let Some(routing_key) = s(&event, "routing_key") else {
        return invalid(&["'routing_key' is missing or blank"]);
    };
    let action = s(&event, "event_action").unwrap_or_default();
    if !matches!(action.as_str(), "trigger" | "acknowledge" | "resolve") {
        return invalid(&["'event_action' is missing or invalid"]);
    }
    let dedup = s(&event, "dedup_key");
    if dedup.as_ref().is_some_and(|k| k.chars().count() > 255) {
        return invalid(&["'dedup_key' must be at most 255 characters"]);
    }
    let suffix: String = {
        let chars: Vec<char> = routing_key.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    };
    let now = shared.clock.now();
    let mut world = shared.world();
    let pages = &mut world.pagerduty.pages;
    if action == "trigger" {
        let payload = event.get("payload").cloned().unwrap_or(Value::Null);
        let mut errors = Vec::new();
        let summary = s(&payload, "summary");
        let severity = s(&payload, "severity");
        if summary.is_none() {
            errors.push("'payload.summary' is missing or blank");
        }
        if s(&payload, "source").is_none() {
            errors.push("'payload.source' is missing or blank");
        }
        if !severity
            .as_deref()
            .is_some_and(|v| matches!(v, "critical" | "error" | "warning" | "info"))
        {
            errors.push("'payload.severity' must be one of critical, error, warning or info");
        }
        if summary.as_ref().is_some_and(|t| t.chars().count() > 1024) {
            errors.push("'payload.summary' must be at most 1024 characters");
        }
        if !errors.is_empty() {
            return invalid(&errors);
        }
        let key = dedup.unwrap_or_else(|| {
            format!(
                "{:032x}",
                u128::from(now.timestamp_micros().unsigned_abs()) * 31 + pages.len() as u128
            )
        });
        match pages.iter_mut().find(|p| {
            p.dedup_key == key && p.routing_key_suffix == suffix && p.status != PageStatus::Resolved
        }) {
            // A trigger on an open alert is deduplicated.
            Some(open) => open.actions.push(action),
            None => pages.push(Page {
                dedup_key: key.clone(),
                routing_key_suffix: suffix,
                status: PageStatus::Triggered,
                summary: summary.unwrap_or_default(),
                severity: severity.unwrap_or_default(),
                actions: vec![action],
                triggered_at: now,
            }),
        }
        return accepted(&key);
    }
    let Some(key) = dedup else {
        return invalid(&["'dedup_key' is missing or blank"]);
    };
    // PagerDuty accepts an acknowledge or resolve for an alert it does not know, and drops it.
    if let Some(page) = pages
        .iter_mut()
        .rev()
        .find(|p| p.dedup_key == key && p.routing_key_suffix == suffix)
    {
        page.actions.push(action.clone());
        if page.status != PageStatus::Resolved {
            page.status = if action == "resolve" {
                PageStatus::Resolved
            } else {
                PageStatus::Acknowledged
            };
        }
    }
    accepted(&key)
}
