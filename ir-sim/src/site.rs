//! The simulated application, a Next.js service on Railway: `/health`, NextAuth's
//! `/api/auth/*`, `/api/checkout` (Stripe) and a few pages, answering from the state of the
//! world: which deployment serves and whether it crash-loops, the variables it started with,
//! its connection pool, the third party it calls, how long its process has run.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ir_core::clock::Timestamp;
use ir_core::model::LogLevel;
use serde_json::json;

use crate::railway::{Behaviour, LogStream};
use crate::server::Shared;
use crate::world::World;

/// NextAuth v4's answer to a non-HTML action when its configuration is broken.
pub const NEXTAUTH_CONFIGURATION_ERROR: &str = r#"{"message":"There is a problem with the server configuration. Check the server logs for more information."}"#;

/// The variable NextAuth v4 reads its secret from.
pub const SECRET_VARIABLE: &str = "NEXTAUTH_SECRET";

/// The variable that turns the Stripe-backed features off when `false`.
pub const STRIPE_FLAG: &str = "FEATURE_FLAG_STRIPE";

/// What is wrong with the application right now, worst first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Condition {
    /// No deployment serves, or the serving one crash-loops or restarts: Railway's edge
    /// answers 502.
    Down(String),
    /// The pool is held by leaked connections.
    PoolExhausted,
    /// The serving deployment started without `NEXTAUTH_SECRET`.
    NoSecret,
    /// Stripe fails and the feature calling it is on.
    StripeFailing,
    /// The process has leaked memory for this long: every answer is slow.
    Slow(Duration),
}

/// An error the application raises: its Sentry title and culprit, and the log line it prints.
pub(crate) struct AppError {
    pub title: &'static str,
    pub culprit: &'static str,
    pub log: &'static str,
}

pub(crate) const NO_SECRET: AppError = AppError {
    title: "MissingSecretError: Please define a `secret` in production.",
    culprit: "next-auth/core/lib/assert",
    log: "[next-auth][error][NO_SECRET] https://next-auth.js.org/errors#no_secret Please define a `secret` in production. MissingSecretError: Please define a `secret` in production.",
};
pub(crate) const POOL: AppError = AppError {
    title: "Error: timeout exceeded when trying to connect",
    culprit: "pg-pool in Pool.connect",
    log: "Error: timeout exceeded when trying to connect (pool of 10 connections busy: PoolTimedOut)",
};
pub(crate) const STRIPE: AppError = AppError {
    title: "StripeConnectionError: An error occurred with our connection to Stripe. Request was retried 2 times.",
    culprit: "app/api/checkout/route.ts in POST",
    log: "StripeConnectionError: An error occurred with our connection to Stripe (api.stripe.com answered 503). Request was retried 2 times.",
};
pub(crate) const BACKGROUND: AppError = AppError {
    title: "TypeError: Failed to fetch",
    culprit: "components/Avatar.tsx in loadAvatar",
    log: "TypeError: Failed to fetch (avatar image)",
};

impl World {
    /// What is wrong with the application at `now`.
    pub(crate) fn conditions(&self, now: Timestamp) -> Vec<Condition> {
        let Some(serving) = self.railway.serving() else {
            return vec![Condition::Down("no deployment is serving".into())];
        };
        if serving.is_down() {
            let error = match &serving.behaviour {
                Behaviour::CrashLoop { error } => error.clone(),
                _ => "the container is restarting".into(),
            };
            return vec![Condition::Down(error)];
        }
        let mut out = Vec::new();
        if self.pool.exhausted() {
            out.push(Condition::PoolExhausted);
        }
        if !serving.has_variable(SECRET_VARIABLE) {
            out.push(Condition::NoSecret);
        }
        let flag_on = serving
            .variables
            .get(STRIPE_FLAG)
            .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
        if self.stripe_failing && flag_on {
            out.push(Condition::StripeFailing);
        }
        let uptime = (now - serving.started_at).to_std().unwrap_or_default();
        if self.memory_leak && uptime > Duration::from_secs(60 * 60) {
            out.push(Condition::Slow(uptime));
        }
        out
    }
}

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new().fallback(page)
}

/// Railway's edge page when the application does not answer.
const EDGE_502: &str = "<!DOCTYPE html><html><head><title>Application failed to respond</title></head>\
<body><h1>Application failed to respond</h1><p>This error appears when your app is not listening on the expected port or has crashed.</p></body></html>";

fn html(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_answer(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn page(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    shared.refresh_pool().await;
    let now = shared.clock.now();
    let path = uri.path().to_owned();
    let (response, delay) = {
        let mut world = shared.world();
        answer(&mut world, &method, &path, now)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

/// The answer to `method path` at `now`, how long it takes, and what it leaves in the logs
/// and in Sentry.
fn answer(world: &mut World, method: &Method, path: &str, now: Timestamp) -> (Response, Duration) {
    let conditions = world.conditions(now);
    let delay = world.site_latency
        + conditions
            .iter()
            .find_map(|c| match c {
                Condition::Slow(_) => Some(Duration::from_millis(4_200)),
                _ => None,
            })
            .unwrap_or_default();
    if let Some(Condition::Down(_)) = conditions.first() {
        let response = (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            EDGE_502,
        )
            .into_response();
        return (response, delay);
    }
    let has = |c: &Condition| conditions.contains(c);
    let auth = path.starts_with("/api/auth");
    let (response, error) = match path {
        "/health" | "/api/health" if has(&Condition::PoolExhausted) => (
            json_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"status": "error", "checks": {"database": POOL.title}}).to_string(),
            ),
            Some(&POOL),
        ),
        "/health" | "/api/health" => {
            let serving = world.railway.active().map(|d| d.0).unwrap_or_default();
            (
                json_answer(
                    StatusCode::OK,
                    json!({"status": "ok", "deployment": serving}).to_string(),
                ),
                None,
            )
        }
        _ if (auth || path == "/dashboard" || path == "/api/checkout")
            && has(&Condition::PoolExhausted) =>
        {
            (
                json_answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": POOL.title}).to_string(),
                ),
                Some(&POOL),
            )
        }
        "/api/auth/signin" if has(&Condition::NoSecret) => (
            html(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Server error",
                "There is a problem with the server configuration. Check the server logs for more information.",
            ),
            Some(&NO_SECRET),
        ),
        _ if (auth || path == "/dashboard") && has(&Condition::NoSecret) => (
            json_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                NEXTAUTH_CONFIGURATION_ERROR.to_owned(),
            ),
            Some(&NO_SECRET),
        ),
        "/api/checkout" | "/dashboard" if has(&Condition::StripeFailing) => (
            json_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"error": STRIPE.title}).to_string(),
            ),
            Some(&STRIPE),
        ),
        "/api/auth/session" => (json_answer(StatusCode::OK, "{}".into()), None),
        "/api/auth/csrf" => (
            json_answer(
                StatusCode::OK,
                json!({"csrfToken": "sim-csrf-token"}).to_string(),
            ),
            None,
        ),
        "/api/auth/providers" => (
            json_answer(
                StatusCode::OK,
                json!({"github": {"id": "github", "name": "GitHub", "type": "oauth"}}).to_string(),
            ),
            None,
        ),
        "/api/auth/signin" => (html(StatusCode::OK, "Sign In", "Sign in with GitHub"), None),
        "/api/checkout" if method == Method::POST || method == Method::GET => (
            json_answer(
                StatusCode::OK,
                json!({"url": "https://checkout.stripe.com/c/pay/cs_test_sim"}).to_string(),
            ),
            None,
        ),
        "/" => (html(StatusCode::OK, "Acme", "Welcome to Acme."), None),
        "/dashboard" => (html(StatusCode::OK, "Dashboard", "Your projects."), None),
        "/pricing" => (html(StatusCode::OK, "Pricing", "Plans and prices."), None),
        _ => (
            html(
                StatusCode::NOT_FOUND,
                "404: This page could not be found",
                "This page could not be found.",
            ),
            None,
        ),
    };
    let status = response.status().as_u16();
    if let Some(stream) = world.railway.active().map(LogStream::Deployment) {
        if let Some(e) = error {
            world
                .railway
                .push_log(stream.clone(), now, LogLevel::Error, e.log);
        }
        let level = if status >= 500 {
            LogLevel::Error
        } else {
            LogLevel::Info
        };
        let millis = delay.as_millis().max(3);
        world.railway.push_log(
            stream,
            now,
            level,
            format!("{method} {path} {status} in {millis}ms"),
        );
    }
    if let Some(e) = error {
        world.sentry.record(e.title, e.culprit, now);
    }
    (response, delay)
}
