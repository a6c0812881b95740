//! [`RailwayClient`]: authentication, sending one GraphQL operation, and reading Railway's
//! answer into a value or an [`ir_core::Error`].
//!
//! How Railway's answers become [`ir_core::Error`] kinds is tabled in the crate docs
//! ("From answer to error"); [`decode`] is that table.

use std::fmt;

use ir_core::redact::Secrets;
use ir_core::{ErrorKind, Result};
use ir_http::{HttpClient, Request, Response};
use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use crate::config::RailwayConfig;
use crate::gql::Operation;

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "railway";

/// A client of Railway's GraphQL API, bound to one service in one environment of one project.
/// It implements [`DeployPlatform`](ir_core::ports::DeployPlatform),
/// [`VariableStore`](ir_core::ports::VariableStore) and [`LogSource`](ir_core::ports::LogSource).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct RailwayClient {
    http: HttpClient,
    endpoint: Url,
    pub(crate) project_id: String,
    pub(crate) environment_id: String,
    pub(crate) service_id: String,
    pub(crate) page_size: u32,
    pub(crate) variables_flight: std::sync::Arc<crate::variables::VariablesFlight>,
}

impl fmt::Debug for RailwayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RailwayClient")
            .field("endpoint", &ir_core::redact::redact(self.endpoint.as_str()))
            .field("project_id", &self.project_id)
            .field("environment_id", &self.environment_id)
            .field("service_id", &self.service_id)
            .field("http", &self.http)
            .finish()
    }
}

impl RailwayClient {
    /// A client for the service `config` names.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: RailwayConfig) -> Result<Self> {
        let http = HttpClient::builder(PROVIDER)
            .with_auth(config.token().auth()?)
            .with_client_options(config.client_options().clone())
            .build()?;
        Ok(Self {
            http,
            endpoint: config.base_url().clone(),
            project_id: config.project_id().to_owned(),
            environment_id: config.environment_id().to_owned(),
            service_id: config.service_id().to_owned(),
            page_size: config.page_size(),
            variables_flight: std::sync::Arc::default(),
        })
    }

    /// A client configured by [`RailwayConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(RailwayConfig::from_env()?)
    }

    /// The service id the client is bound to.
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// Sends `op` with `variables` and returns its root field's value.
    pub(crate) async fn execute<T: DeserializeOwned + Send>(
        &self,
        op: &Operation,
        variables: Map<String, Value>,
        idempotent: bool,
    ) -> Result<T> {
        self.execute_with_secret(op, variables, idempotent, None)
            .await
    }

    /// [`execute`](Self::execute) for a request carrying `secret`: any error message the
    /// server sends back has it replaced by `<redacted>`, in any form
    /// [`Secrets`] recognises (as sent, JSON-escaped, URL-encoded, base64).
    pub(crate) async fn execute_with_secret<T: DeserializeOwned + Send>(
        &self,
        op: &Operation,
        variables: Map<String, Value>,
        idempotent: bool,
        secret: Option<&SecretString>,
    ) -> Result<T> {
        // The value is known and exact: scrubbed whatever its length.
        let secrets = Secrets::with_min_len(1);
        if let Some(secret) = secret {
            secrets.add(secret);
        }
        let body = serde_json::json!({
            "query": op.document,
            "operationName": op.name,
            "variables": variables,
        });
        let request = Request::post(self.endpoint.clone())
            .with_operation(op.root_field)
            .with_idempotent(idempotent)
            .with_json(&body)?;
        // Each answer is parsed once: `decode` says both what it holds and whether it is an
        // outage (`Unavailable` under 200), which `ir_http` then retries when idempotent.
        self.http
            .send_and_read(request, |response| decode(&response, op, &secrets))
            .await
    }
}

/// The GraphQL response envelope.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(default)]
    data: Option<Value>,
    #[serde(default)]
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Debug, Deserialize)]
struct GraphqlError {
    message: String,
    #[serde(default)]
    extensions: Option<Value>,
}

impl GraphqlError {
    fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.get("code")?.as_str()
    }

    fn text(&self) -> String {
        let workspace = self
            .extensions
            .as_ref()
            .and_then(|e| e.get("workspaceName"))
            .and_then(Value::as_str);
        match workspace {
            Some(name) => format!("{} (workspace {name})", self.message),
            None => self.message.clone(),
        }
    }
}

/// Reads Railway's answer: the root field's value, or the error it means. The body is parsed
/// once.
///
/// For an operation that [carries secrets](Operation::carries_secrets) no error quotes the
/// answer (no body excerpt, no parser error, whose text can repeat a value), and `secrets`
/// are blanked out of the server's messages.
///
/// A 2xx answer to a request that is not idempotent (rollback, redeploy, restart, a variable
/// change) that cannot be read (cut off, not GraphQL, the wrong shape) or that reports an
/// outage [may have taken effect](ir_core::Error::may_have_taken_effect): the server accepted
/// the request before its answer went wrong ([`Response::error`] marks it).
pub(crate) fn decode<T: DeserializeOwned>(
    response: &Response,
    op: &Operation,
    secrets: &Secrets,
) -> Result<T> {
    let root_field = op.root_field;
    let unreadable = |message: String| response.protocol_error(message);
    let describe_body = || {
        if op.carries_secrets {
            format!(
                "a body of {} bytes (not shown: it may hold secret values)",
                response.body().len()
            )
        } else {
            response.describe_body()
        }
    };
    let with_source = |error: ir_core::Error, source: serde_json::Error| {
        if op.carries_secrets {
            error
        } else {
            error.with_source(source)
        }
    };
    let parsed = serde_json::from_slice::<Envelope>(response.body());
    let (data, errors) = match parsed {
        Ok(envelope) => (
            envelope.data,
            envelope.errors.filter(|errors| !errors.is_empty()),
        ),
        Err(e) => {
            let description = describe_body();
            // Under a non-2xx status, the status speaks; the body only says what arrived.
            if let Some(error) = response.status_error(description.clone()) {
                return Err(error);
            }
            return Err(with_source(
                unreadable(format!("expected a GraphQL JSON body, got {description}")),
                e,
            ));
        }
    };
    let messages = |errors: &[GraphqlError]| secrets.scrub(&messages(errors)).into_owned();
    if !response.is_success() {
        let message = errors.as_deref().map_or_else(describe_body, messages);
        return Err(response
            .status_error(message.clone())
            .unwrap_or_else(|| response.protocol_error(message)));
    }
    if let Some(errors) = errors {
        return Err(response.error(graphql_kind(&errors), messages(&errors)));
    }
    let Some(Value::Object(mut data)) = data else {
        return Err(unreadable(
            "the answer has neither data nor errors".to_owned(),
        ));
    };
    let value = data
        .remove(root_field)
        .ok_or_else(|| unreadable(format!("the answer's data has no `{root_field}`")))?;
    serde_json::from_value(value).map_err(|e| {
        with_source(
            unreadable(format!("`{root_field}` has an unexpected shape")),
            e,
        )
    })
}

/// The messages of up to three errors, joined.
fn messages(errors: &[GraphqlError]) -> String {
    let mut text = errors
        .iter()
        .take(3)
        .map(GraphqlError::text)
        .collect::<Vec<_>>()
        .join("; ");
    if errors.len() > 3 {
        text.push_str(&format!(" (and {} more)", errors.len() - 3));
    }
    text
}

/// `extensions.code`s that say Railway's own side failed (Apollo's `INTERNAL_SERVER_ERROR`,
/// and the names other GraphQL servers and gateways give a failed or timed-out upstream).
const SERVER_SIDE_CODES: &[&str] = &[
    "INTERNAL_SERVER_ERROR",
    "INTERNAL_ERROR",
    "SERVICE_UNAVAILABLE",
    "UNAVAILABLE",
    "BAD_GATEWAY",
    "GATEWAY_TIMEOUT",
    "TIMEOUT",
    "DEADLINE_EXCEEDED",
    "DOWNSTREAM_SERVICE_ERROR",
];

/// The kind Railway's GraphQL errors mean (see the crate docs' table).
///
/// The first error's words and specific codes come first: an Apollo-style server labels any
/// exception its resolver did not classify `INTERNAL_SERVER_ERROR`, a "Not Authorized" or a
/// "Deployment not found" included, and those are no outage. Then a server-side code on any
/// error makes the answer an outage.
fn graphql_kind(errors: &[GraphqlError]) -> ErrorKind {
    let Some(first) = errors.first() else {
        return ErrorKind::Protocol;
    };
    let message = first.message.to_ascii_lowercase();
    if message.contains("not authorized") || message.contains("project token not found") {
        return ErrorKind::Unauthenticated;
    }
    if message.contains("two factor authentication required") {
        return ErrorKind::PermissionDenied;
    }
    if message.contains("not found") {
        return ErrorKind::NotFound;
    }
    if message.contains("rate limit") || message.contains("too many requests") {
        return ErrorKind::RateLimited;
    }
    match first.code() {
        Some("UNAUTHENTICATED") => return ErrorKind::Unauthenticated,
        Some("FORBIDDEN") => return ErrorKind::PermissionDenied,
        Some("NOT_FOUND") => return ErrorKind::NotFound,
        _ => {}
    }
    // The server failed on its side: an outage, not a bad request.
    if errors
        .iter()
        .filter_map(GraphqlError::code)
        .any(|code| SERVER_SIDE_CODES.contains(&code.to_ascii_uppercase().as_str()))
    {
        return ErrorKind::Unavailable;
    }
    ErrorKind::InvalidInput
}

/// A `Map` of the variables that are set: Railway reads an explicit `null` as "unset this".
pub(crate) fn variables<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Map<String, Value> {
    pairs
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_owned(), value?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gql;
    use http::StatusCode;
    use http::header::HeaderMap;

    fn none() -> Secrets {
        Secrets::new()
    }

    /// An answer to a rollback (a request that is not idempotent).
    fn response(status: u16, body: &str) -> Response {
        Response::from_parts(
            PROVIDER,
            "deploymentRollback",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            HeaderMap::new(),
            body.to_owned(),
        )
        .with_idempotent_request(false)
    }

    fn kind_of(status: u16, body: &str) -> ErrorKind {
        decode::<bool>(&response(status, body), &gql::DEPLOYMENT_ROLLBACK, &none())
            .map(|_| ErrorKind::Protocol)
            .unwrap_or_else(|e| e.kind())
    }

    #[test]
    fn graphql_errors_under_200() {
        let rows: &[(&str, ErrorKind)] = &[
            (
                r#"{"errors":[{"message":"Not Authorized"}],"data":null}"#,
                ErrorKind::Unauthenticated,
            ),
            (
                r#"{"errors":[{"message":"not authorized to access project"}]}"#,
                ErrorKind::Unauthenticated,
            ),
            (
                r#"{"errors":[{"message":"Project Token not found"}]}"#,
                ErrorKind::Unauthenticated,
            ),
            (
                r#"{"errors":[{"message":"Two Factor Authentication Required","extensions":{"workspaceName":"Acme"}}]}"#,
                ErrorKind::PermissionDenied,
            ),
            (
                r#"{"errors":[{"message":"Deployment not found"}]}"#,
                ErrorKind::NotFound,
            ),
            (
                r#"{"errors":[{"message":"You have hit the rate limit"}]}"#,
                ErrorKind::RateLimited,
            ),
            (
                r#"{"errors":[{"message":"x","extensions":{"code":"FORBIDDEN"}}]}"#,
                ErrorKind::PermissionDenied,
            ),
            (
                r#"{"errors":[{"message":"Problem processing request"}]}"#,
                ErrorKind::InvalidInput,
            ),
            (
                r#"{"errors":[{"message":"Problem processing request","extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}"#,
                ErrorKind::Unavailable,
            ),
        ];
        for (body, kind) in rows {
            assert_eq!(kind_of(200, body), *kind, "{body}");
        }
    }

    #[test]
    fn messages_are_joined_and_name_the_workspace() {
        let body = r#"{"errors":[
            {"message":"Two Factor Authentication Required","extensions":{"workspaceName":"Acme"}},
            {"message":"b"},{"message":"c"},{"message":"d"},{"message":"e"}]}"#;
        let err =
            decode::<bool>(&response(200, body), &gql::DEPLOYMENT_ROLLBACK, &none()).unwrap_err();
        assert_eq!(
            err.message(),
            "Two Factor Authentication Required (workspace Acme); b; c (and 2 more)"
        );
        assert_eq!(err.provider(), Some("railway"));
        assert_eq!(err.operation(), Some("deploymentRollback"));
        assert_eq!(err.status(), Some(200));
    }

    #[test]
    fn bodies_that_are_not_graphql() {
        assert_eq!(
            kind_of(200, "<html><title>Oops</title></html>"),
            ErrorKind::Protocol
        );
        assert_eq!(
            kind_of(200, r#"{"data":{"deploymentRollback":tr"#),
            ErrorKind::Protocol
        );
        assert_eq!(kind_of(200, r#"{"data":null}"#), ErrorKind::Protocol);
        assert_eq!(
            kind_of(200, r#"{"data":{"other":true}}"#),
            ErrorKind::Protocol
        );
        assert_eq!(
            kind_of(200, r#"{"data":{"deploymentRollback":"yes"}}"#),
            ErrorKind::Protocol
        );
        let ok = decode::<bool>(
            &response(200, r#"{"data":{"deploymentRollback":true}}"#),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        );
        assert!(matches!(ok, Ok(true)));
        // An empty `errors` list is no error.
        let ok = decode::<bool>(
            &response(200, r#"{"data":{"deploymentRollback":true},"errors":[]}"#),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        );
        assert!(matches!(ok, Ok(true)));
    }

    #[test]
    fn a_cut_off_answer_to_a_mutation_may_have_taken_effect() {
        let cut = r#"{"data":{"deploymentRollback":tr"#;
        let err =
            decode::<bool>(&response(200, cut), &gql::DEPLOYMENT_ROLLBACK, &none()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol);
        assert!(err.may_have_taken_effect(), "{err:?}");
        assert!(err.to_string().contains("re-read the state"), "{err}");
        let err = decode::<bool>(
            &response(200, r#"{"data":{"deploymentRollback":"yes"}}"#),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        )
        .unwrap_err();
        assert!(err.may_have_taken_effect(), "{err:?}");
        // Railway failing on its side under 200: an outage, and the rollback may have started.
        let err = decode::<bool>(&response(200, INTERNAL), &gql::DEPLOYMENT_ROLLBACK, &none())
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.may_have_taken_effect(), "{err:?}");
        // A refusal did nothing.
        let err = decode::<bool>(
            &response(200, r#"{"errors":[{"message":"Not Authorized"}]}"#),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        )
        .unwrap_err();
        assert!(!err.may_have_taken_effect(), "{err:?}");
        // A query repeats harmlessly: nothing to reconcile.
        let query = response(200, cut).with_idempotent_request(true);
        let err = decode::<bool>(&query, &gql::DEPLOYMENT, &none()).unwrap_err();
        assert!(!err.may_have_taken_effect(), "{err:?}");
        assert!(!err.to_string().contains("taken effect"), "{err}");
    }

    const INTERNAL: &str = r#"{"errors":[{"message":"Problem processing request","extensions":{"code":"INTERNAL_SERVER_ERROR"}}],"data":null}"#;

    #[test]
    fn server_side_codes_are_outages_wherever_they_are_listed() {
        for body in [
            INTERNAL,
            r#"{"errors":[{"message":"upstream timed out","extensions":{"code":"GATEWAY_TIMEOUT"}}]}"#,
            r#"{"errors":[{"message":"x","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}"#,
            r#"{"errors":[{"message":"x","extensions":{"code":"internal_server_error"}}]}"#,
            r#"{"errors":[{"message":"a"},{"message":"b","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#,
        ] {
            assert_eq!(kind_of(200, body), ErrorKind::Unavailable, "{body}");
        }
        // What the first error says wins over the catch-all code: re-authenticating, or
        // another deployment, is what helps.
        assert_eq!(
            kind_of(
                200,
                r#"{"errors":[{"message":"Not Authorized","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
            ),
            ErrorKind::Unauthenticated
        );
        assert_eq!(
            kind_of(
                200,
                r#"{"errors":[{"message":"Deployment not found","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind_of(
                200,
                r#"{"errors":[{"message":"x","extensions":{"code":"BAD_USER_INPUT"}}]}"#
            ),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn status_wins_over_body_under_non_2xx() {
        let err = decode::<bool>(
            &response(403, "<!DOCTYPE html><title>Access denied</title>"),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.message().contains("Access denied"), "{err}");
        let err = decode::<bool>(
            &response(
                400,
                r#"{"errors":[{"message":"Unknown argument \"foo\""}]}"#,
            ),
            &gql::DEPLOYMENT_ROLLBACK,
            &none(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert_eq!(err.message(), "Unknown argument \"foo\"");
    }

    #[test]
    fn the_secret_is_blanked_in_every_form_the_server_echoes() {
        let secrets = Secrets::with_min_len(1);
        secrets.add(&SecretString::from(r#"pa"ss"#));
        // A GraphQL validation error repeating the variables sent, JSON-escaped in the message.
        let body = r#"{"errors":[{"message":"Variable \"$input\" got invalid value {\"value\":\"pa\\\"ss\"}; raw pa\"ss"}]}"#;
        let err = decode::<bool>(
            &response(200, body).with_idempotent_request(true),
            &gql::VARIABLE_UPSERT,
            &secrets,
        )
        .unwrap_err();
        assert!(!err.message().contains("pa\"ss"), "{err}");
        assert!(!err.message().contains(r#"pa\"ss"#), "{err}");
        assert_eq!(
            err.message(),
            r#"Variable "$input" got invalid value {"value":"<redacted>"}; raw <redacted>"#
        );
    }

    #[test]
    fn unset_variables_are_left_out() {
        let map = variables([("a", Some(Value::from(1))), ("b", None)]);
        assert_eq!(Value::Object(map), serde_json::json!({"a": 1}));
    }
}
