//! Atlassian Statuspage's Manage API: incidents of one page, created, patched (each update
//! appended to `incident_updates`), listed unresolved, with `{"error": ...}` bodies.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use ir_core::clock::Timestamp;
use serde_json::{Value, json};

use crate::server::Shared;

/// One update of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IncidentUpdate {
    /// `investigating`, `identified`, `monitoring`, `resolved`.
    pub status: String,
    /// What it said.
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// One status-page incident.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StatuspageIncident {
    /// Statuspage's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The latest status.
    pub status: String,
    /// `none`, `minor`, `major`, `critical`.
    pub impact: String,
    /// Its updates, oldest first.
    pub updates: Vec<IncidentUpdate>,
    /// The metadata it was created with.
    pub metadata: Value,
    /// When it was created.
    pub created_at: Timestamp,
}

/// The page's incidents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Statuspage {
    pub incidents: Vec<StatuspageIncident>,
}

const STATUSES: [&str; 8] = [
    "investigating",
    "identified",
    "monitoring",
    "resolved",
    "scheduled",
    "in_progress",
    "verifying",
    "completed",
];

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/pages/{page}/incidents", get(list).post(create))
        .route("/v1/pages/{page}/incidents/unresolved", get(unresolved))
        .route(
            "/v1/pages/{page}/incidents/{id}",
            get(one).patch(update).put(update),
        )
        .fallback(|| async {
            error(
                StatusCode::NOT_FOUND,
                "The requested resource could not be found.",
            )
        })
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Statuspage's 401 without `Authorization: OAuth <key>`.
pub(crate) fn unauthenticated(headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("OAuth ")
                .or_else(|| v.strip_prefix("Bearer "))
        })
        .is_some_and(|k| !k.trim().is_empty());
    (!ok).then(|| error(StatusCode::UNAUTHORIZED, "Could not authenticate"))
}

fn iso(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn incident_json(page: &str, i: &StatuspageIncident) -> Value {
    let updates: Vec<Value> = i
        .updates
        .iter()
        .enumerate()
        .rev()
        .map(|(n, u)| {
            json!({ "id": format!("{}u{n}", i.id), "incident_id": i.id, "status": u.status, "body": u.body, "created_at": iso(u.at), "display_at": iso(u.at) })
        })
        .collect();
    let resolved = i
        .updates
        .iter()
        .rev()
        .find(|u| u.status == "resolved")
        .map(|u| iso(u.at));
    json!({
        "id": i.id,
        "name": i.name,
        "status": i.status,
        "impact": i.impact,
        "page_id": page,
        "shortlink": format!("https://stspg.io/{}", i.id),
        "created_at": iso(i.created_at),
        "updated_at": i.updates.last().map_or_else(|| iso(i.created_at), |u| iso(u.at)),
        "resolved_at": resolved,
        "metadata": i.metadata,
        "components": [],
        "incident_updates": updates,
    })
}

#[allow(clippy::result_large_err)] // a handler's early answer, made once per request
fn page_of(shared: &Shared, page: &str) -> Result<(), Response> {
    if page == shared.ids.statuspage_page {
        Ok(())
    } else {
        Err(error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        ))
    }
}

async fn list(State(shared): State<Arc<Shared>>, Path(page): Path<String>) -> Response {
    if let Err(r) = page_of(&shared, &page) {
        return r;
    }
    let world = shared.world();
    let all: Vec<Value> = world
        .statuspage
        .incidents
        .iter()
        .rev()
        .map(|i| incident_json(&page, i))
        .collect();
    Json(Value::Array(all)).into_response()
}

async fn unresolved(State(shared): State<Arc<Shared>>, Path(page): Path<String>) -> Response {
    if let Err(r) = page_of(&shared, &page) {
        return r;
    }
    let world = shared.world();
    let open: Vec<Value> = world
        .statuspage
        .incidents
        .iter()
        .rev()
        .filter(|i| !matches!(i.status.as_str(), "resolved" | "completed" | "postmortem"))
        .map(|i| incident_json(&page, i))
        .collect();
    Json(Value::Array(open)).into_response()
}

async fn one(
    State(shared): State<Arc<Shared>>,
    Path((page, id)): Path<(String, String)>,
) -> Response {
    if let Err(r) = page_of(&shared, &page) {
        return r;
    }
    let world = shared.world();
    match world.statuspage.incidents.iter().find(|i| i.id == id) {
        Some(i) => Json(incident_json(&page, i)).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        ),
    }
}

/// The `incident` object of a body, or the answer to a body without one.
#[allow(clippy::result_large_err)] // a handler's early answer, made once per request
fn incident_of(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(mut o)) => match o.remove("incident") {
            Some(Value::Object(i)) => Ok(i),
            _ => Err(error(StatusCode::BAD_REQUEST, "incident is missing")),
        },
        _ => Err(error(StatusCode::BAD_REQUEST, "Invalid JSON")),
    }
}

#[allow(clippy::result_large_err)] // a handler's early answer, made once per request
fn checked_status(fields: &serde_json::Map<String, Value>) -> Result<Option<String>, Response> {
    match fields.get("status").and_then(Value::as_str) {
        None => Ok(None),
        Some(s) if STATUSES.contains(&s) => Ok(Some(s.to_owned())),
        Some(_) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": ["Status is not included in the list"] })),
        )
            .into_response()),
    }
}

async fn create(
    State(shared): State<Arc<Shared>>,
    Path(page): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(r) = page_of(&shared, &page) {
        return r;
    }
    let fields = match incident_of(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(name) = fields
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
    else {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "error": ["Name can't be blank"] })),
        )
            .into_response();
    };
    let status = match checked_status(&fields) {
        Ok(s) => s.unwrap_or_else(|| "investigating".into()),
        Err(r) => return r,
    };
    let now = shared.clock.now();
    let mut world = shared.world();
    let n = world.statuspage.incidents.len() + 1;
    let incident = StatuspageIncident {
        id: format!("p{n:03}sim{:04}", now.timestamp().rem_euclid(10_000)),
        name: name.to_owned(),
        status: status.clone(),
        impact: fields
            .get("impact_override")
            .and_then(Value::as_str)
            .unwrap_or("major")
            .to_owned(),
        updates: vec![IncidentUpdate {
            status,
            body: fields
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            at: now,
        }],
        metadata: fields.get("metadata").cloned().unwrap_or_else(|| json!({})),
        created_at: now,
    };
    let answer = incident_json(&page, &incident);
    world.statuspage.incidents.push(incident);
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn update(
    State(shared): State<Arc<Shared>>,
    Path((page, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if let Err(r) = page_of(&shared, &page) {
        return r;
    }
    let fields = match incident_of(&body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let status = match checked_status(&fields) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let now = shared.clock.now();
    let mut world = shared.world();
    let Some(incident) = world.statuspage.incidents.iter_mut().find(|i| i.id == id) else {
        return error(
            StatusCode::NOT_FOUND,
            "The requested resource could not be found.",
        );
    };
    if let Some(name) = fields.get("name").and_then(Value::as_str) {
        incident.name = name.to_owned();
    }
    if let Some(status) = &status {
        incident.status = status.clone();
    }
    if let Some(body) = fields.get("body").and_then(Value::as_str) {
        incident.updates.push(IncidentUpdate {
            status: incident.status.clone(),
            body: body.to_owned(),
            at: now,
        });
    }
    Json(incident_json(&page, incident)).into_response()
}
