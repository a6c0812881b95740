//! The listeners, one per vendor on 127.0.0.1, and what every request goes through before its
//! vendor's handler: the request log, injected latency, faults, and each vendor's answer to a
//! request without credentials.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use ir_core::clock::Clock;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::SimIds;
use crate::database::Database;
use crate::fault::{self, Controls, Fault};
use crate::log::{RequestRecord, Vendor};
use crate::world::World;
use crate::{SimUrls, github, pagerduty, railway, sentry, site, slack, statuspage};

/// The largest request body read (Railway, GitHub and Slack take far less).
const MAX_BODY: usize = 4 * 1024 * 1024;

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub clock: Arc<dyn Clock>,
    pub ids: SimIds,
    pub urls: SimUrls,
    pub world: Mutex<World>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub controls: Mutex<Controls>,
    pub database: Database,
}

/// Locks `m`, also after a panic elsewhere poisoned it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// The world, brought up to the clock's time (the traffic since the last request).
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        let mut world = lock(&self.world);
        world.tick(self.clock.now());
        world
    }
}

/// `a=1&b=2` as pairs, repeated keys kept, percent-decoding applied.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The router of `vendor`, without its state.
fn routes(vendor: Vendor) -> Router<Arc<Shared>> {
    match vendor {
        Vendor::Site => site::router(),
        Vendor::Railway => railway::api::router(),
        Vendor::Github => github::router(),
        Vendor::GithubLogs => github::logs_router(),
        Vendor::Sentry => sentry::router(),
        Vendor::Slack => slack::router(),
        Vendor::PagerDuty => pagerduty::router(),
        Vendor::Statuspage => statuspage::router(),
    }
}

/// `vendor`'s answer to a request without credentials, if it needs them.
fn unauthenticated(vendor: Vendor, headers: &HeaderMap) -> Option<Response> {
    match vendor {
        Vendor::Railway => railway::api::unauthenticated(headers),
        Vendor::Github => github::unauthenticated(headers),
        Vendor::Sentry => sentry::unauthenticated(headers),
        Vendor::Slack => slack::unauthenticated(headers),
        Vendor::Statuspage => statuspage::unauthenticated(headers),
        Vendor::Site | Vendor::GithubLogs | Vendor::PagerDuty => None,
    }
}

/// The request's operation, for the log and for endpoint targets.
fn operation(vendor: Vendor, path: &str, body: &[u8]) -> Option<String> {
    match vendor {
        Vendor::Railway => crate::graphql::operation_name(body),
        Vendor::Github if path.ends_with("/graphql") => crate::graphql::operation_name(body),
        Vendor::Slack => path.rsplit('/').next().map(str::to_owned),
        Vendor::PagerDuty => serde_json::from_slice::<serde_json::Value>(body)
            .ok()?
            .get("event_action")?
            .as_str()
            .map(str::to_owned),
        _ => None,
    }
}

#[derive(Clone)]
struct Ctx {
    shared: Arc<Shared>,
    vendor: Vendor,
}

/// Logs, delays, faults and authenticates every request, then hands it to the vendor.
async fn intercept(State(ctx): State<Ctx>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let shared = &ctx.shared;
    let at = shared.clock.now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let method = parts.method.to_string();
    let mut text = String::new();
    let (response, op) = match to_bytes(body, MAX_BODY).await {
        Err(_) => (
            (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
            None,
        ),
        Ok(bytes) => {
            text = String::from_utf8_lossy(&bytes).into_owned();
            let op = operation(ctx.vendor, &path, &bytes);
            let (latency, fault) = lock(&shared.controls).lookup(ctx.vendor, op.as_deref(), &path);
            if !latency.is_zero() {
                // Real time: clients measure answers with the wall clock.
                tokio::time::sleep(latency).await;
            }
            let response = match fault {
                Some(f) if f != Fault::Truncated => fault::answer(ctx.vendor, &f, at),
                fault => match unauthenticated(ctx.vendor, &parts.headers) {
                    Some(denied) => denied,
                    None => {
                        let answer = next
                            .run(Request::from_parts(parts, Body::from(bytes)))
                            .await;
                        if fault == Some(Fault::Truncated) {
                            let (parts, body) = answer.into_parts();
                            match to_bytes(body, usize::MAX).await {
                                Ok(b) => fault::truncate(parts, &b),
                                Err(_) => StatusCode::BAD_GATEWAY.into_response(),
                            }
                        } else {
                            answer
                        }
                    }
                },
            };
            (response, op)
        }
    };
    let record = RequestRecord {
        vendor: ctx.vendor,
        method,
        path,
        query,
        operation: op,
        status: response.status().as_u16(),
        at,
        latency: started.elapsed(),
        received: started,
        body: text,
    };
    tracing::debug!(
        vendor = %record.vendor,
        method = %record.method,
        path = %record.path,
        operation = record.operation.as_deref().unwrap_or(""),
        status = record.status,
        "sim request"
    );
    lock(&shared.requests).push(record);
    response
}

/// One vendor's listener: serving while `up` says so, refusing connections (no listener)
/// while it does not, until `shutdown`.
pub(crate) struct Listener {
    pub vendor: Vendor,
    pub up: watch::Sender<bool>,
    pub task: JoinHandle<()>,
}

/// Binds one listener per vendor on 127.0.0.1:0.
pub(crate) async fn bind_all() -> std::io::Result<BTreeMap<Vendor, TcpListener>> {
    let mut out = BTreeMap::new();
    for vendor in Vendor::ALL {
        out.insert(vendor, TcpListener::bind("127.0.0.1:0").await?);
    }
    Ok(out)
}

/// Starts serving `vendor` on `listener`.
pub(crate) fn spawn(
    shared: &Arc<Shared>,
    vendor: Vendor,
    listener: TcpListener,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<Listener> {
    let addr = listener.local_addr()?;
    let app = routes(vendor)
        .with_state(shared.clone())
        .layer(from_fn_with_state(
            Ctx {
                shared: shared.clone(),
                vendor,
            },
            intercept,
        ));
    let (up, up_rx) = watch::channel(true);
    let task = tokio::spawn(serve(vendor, addr, Some(listener), app, up_rx, shutdown));
    Ok(Listener { vendor, up, task })
}

async fn serve(
    vendor: Vendor,
    addr: SocketAddr,
    mut first: Option<TcpListener>,
    app: Router,
    mut up: watch::Receiver<bool>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        if !*up.borrow() {
            tokio::select! {
                _ = up.changed() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let listener = match first.take() {
            Some(l) => l,
            None => match bind_again(addr).await {
                Some(l) => l,
                None => {
                    tracing::error!(%vendor, %addr, "could not listen again after a refusal");
                    return;
                }
            },
        };
        tracing::debug!(%vendor, %addr, "listening");
        let mut up_stop = up.clone();
        let mut shutdown_stop = shutdown.clone();
        let stop = async move {
            loop {
                if !*up_stop.borrow() || *shutdown_stop.borrow() {
                    return;
                }
                tokio::select! {
                    r = up_stop.changed() => if r.is_err() { return },
                    r = shutdown_stop.changed() => if r.is_err() { return },
                }
            }
        };
        if let Err(e) = axum::serve(listener, app.clone())
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::warn!(%vendor, error = %e, "listener stopped");
        }
        if shutdown.has_changed().unwrap_or(true) && *shutdown.borrow_and_update() {
            return;
        }
        tracing::debug!(%vendor, %addr, "refusing connections");
    }
}

/// The same address again (the port just closed may take a moment to free).
async fn bind_again(addr: SocketAddr) -> Option<TcpListener> {
    for _ in 0..50 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

impl Shared {
    /// Brings the pool up to date: a restart after the leak began released it; otherwise the
    /// leaked connections still open on the server are counted.
    pub(crate) async fn refresh_pool(&self) {
        let restarted = {
            let world = lock(&self.world);
            world.pool.since.is_some_and(|since| {
                world
                    .railway
                    .serving()
                    .is_some_and(|s| s.started_at > since)
            })
        };
        if restarted {
            self.database.release().await;
            let mut world = lock(&self.world);
            world.pool.leaked = 0;
            world.pool.since = None;
            return;
        }
        if let Some(held) = self.database.held().await {
            lock(&self.world).pool.leaked = held;
        }
    }
}
