//! [`GithubClient`]: authentication, GitHub's required headers, sending one REST or GraphQL
//! call through [`ir_http::HttpClient`], Link-header pagination, and reading GitHub's answer
//! into a value or an [`ir_core::Error`].
//!
//! How GitHub's answers become [`ir_core::Error`] kinds is tabled in the crate docs ("From
//! answer to error"); [`api_error`] and [`graphql_kind`] are that table.

use std::fmt;
use std::time::Duration;

use http::header::{ACCEPT, HeaderName, HeaderValue};
use ir_core::{Error, ErrorKind, Result};
use ir_http::{HttpClient, Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::config::GithubConfig;

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "github";

/// The REST API version every request asks for.
pub(crate) const API_VERSION: &str = "2022-11-28";

/// GitHub's "otherwise wait at least one minute" for a rate limit that names no wait.
pub(crate) const RATE_LIMIT_FLOOR: Duration = Duration::from_secs(60);

/// A client of GitHub's REST and GraphQL APIs, bound to one repository. It implements
/// [`CodeHost`](ir_core::ports::CodeHost).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct GithubClient {
    pub(crate) http: HttpClient,
    /// Sends no credential: fetches what GitHub redirects to on another host (job logs).
    pub(crate) downloads: HttpClient,
    pub(crate) base_url: Url,
    pub(crate) graphql_url: Url,
    pub(crate) owner: String,
    pub(crate) repo: String,
    pub(crate) page_size: u32,
    pub(crate) max_pages: u32,
    pub(crate) log_excerpt_lines: usize,
}

impl fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubClient")
            .field("base_url", &ir_core::redact::redact(self.base_url.as_str()))
            .field(
                "graphql_url",
                &ir_core::redact::redact(self.graphql_url.as_str()),
            )
            .field("owner", &self.owner)
            .field("repo", &self.repo)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl GithubClient {
    /// A client for the repository `config` names.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: GithubConfig) -> Result<Self> {
        let headers = || {
            [
                (
                    ACCEPT,
                    HeaderValue::from_static("application/vnd.github+json"),
                ),
                (
                    HeaderName::from_static("x-github-api-version"),
                    HeaderValue::from_static(API_VERSION),
                ),
            ]
        };
        let mut builder = HttpClient::builder(PROVIDER)
            .with_auth(config.auth())
            .with_client_options(config.client_options().clone())
            .with_throttle_floor(RATE_LIMIT_FLOOR);
        for (name, value) in headers() {
            builder = builder.with_default_header(name, value);
        }
        let http = builder.build()?;
        let downloads = HttpClient::builder(PROVIDER)
            .with_client_options(config.client_options().clone())
            .build()?;
        Ok(Self {
            http,
            downloads,
            base_url: config.base_url().clone(),
            graphql_url: config.graphql_url().clone(),
            owner: config.owner().to_owned(),
            repo: config.repo().to_owned(),
            page_size: config.page_size(),
            max_pages: config.max_pages(),
            log_excerpt_lines: config.log_excerpt_lines(),
        })
    }

    /// A client configured by [`GithubConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(GithubConfig::from_env()?)
    }

    /// The repository's owner.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The repository's name.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// `<base>/repos/<owner>/<repo>/<segments...>?<query>`, each segment percent-encoded.
    pub(crate) fn repo_url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut all = vec!["repos", self.owner.as_str(), self.repo.as_str()];
        all.extend_from_slice(segments);
        self.api_url(&all, query)
    }

    /// `<base>/<segments...>?<query>`, each segment percent-encoded.
    pub(crate) fn api_url(&self, segments: &[&str], query: &[(&str, String)]) -> Url {
        let mut url = self.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url
    }

    /// Sends `request`; a non-2xx answer is the error [`api_error`] makes of it.
    pub(crate) async fn send(&self, request: Request) -> Result<Response> {
        let response = self.http.send(request).await?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(api_error(&response))
        }
    }

    /// `GET url` decoded as `T`.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        url: Url,
    ) -> Result<T> {
        let response = self
            .send(Request::get(url).with_operation(operation))
            .await?;
        response.json()
    }

    /// Reads pages from `first`, following each answer's `Link: <...>; rel="next"`, until
    /// `limit` items are kept, there is no next page, or [`max_pages`](GithubConfig::max_pages)
    /// pages were read. `page` turns one answer into the items to keep.
    pub(crate) async fn paginate<T>(
        &self,
        operation: &'static str,
        first: Url,
        limit: usize,
        page: impl Fn(&Response) -> Result<Vec<T>>,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            if items.len() >= limit {
                break;
            }
            if pages >= self.max_pages {
                tracing::debug!(operation, pages, "stopped at the page cap");
                break;
            }
            pages += 1;
            let response = self
                .send(Request::get(url).with_operation(operation))
                .await?;
            items.extend(page(&response)?);
            next = next_link(&response)
                .map(|link| self.same_origin(&response, link))
                .transpose()?;
        }
        items.truncate(limit);
        Ok(items)
    }

    /// `link` when it points at the API's own origin: the token is never sent elsewhere.
    fn same_origin(&self, response: &Response, link: Url) -> Result<Url> {
        if link.origin() == self.base_url.origin() {
            Ok(link)
        } else {
            Err(response.protocol_error(format!(
                "the next page is on another origin ({})",
                link.origin().ascii_serialization()
            )))
        }
    }

    /// Sends a GraphQL document with `variables` and returns its data's `root_field`.
    pub(crate) async fn graphql<T: DeserializeOwned>(
        &self,
        operation: &crate::gql::Operation,
        variables: Value,
    ) -> Result<T> {
        let body = serde_json::json!({
            "query": operation.document,
            "operationName": operation.name,
            "variables": variables,
        });
        let request = Request::post(self.graphql_url.clone())
            .with_operation(operation.root_field)
            .with_idempotent(operation.idempotent)
            .with_json(&body)?;
        let response = self.http.send(request).await?;
        decode_graphql(&response, operation.root_field)
    }
}

/// The `rel="next"` URL of the answer's `Link` header.
pub(crate) fn next_link(response: &Response) -> Option<Url> {
    ir_http::links(response.headers())
        .into_iter()
        .find(|link| link.has_rel("next"))
        .and_then(|link| Url::parse(&link.target).ok())
}

/// GitHub's error body: `message`, `documentation_url`, and for a 422 `errors[]`.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    message: String,
    #[serde(default)]
    documentation_url: Option<String>,
    #[serde(default)]
    errors: Vec<Value>,
}

/// One entry of a 422's `errors[]`: `{resource, field, code}`, a `custom` one with `message`,
/// or (on some endpoints) a plain string.
fn field_error(value: &Value) -> Option<String> {
    if let Some(text) = value.as_str() {
        return Some(text.to_owned());
    }
    let get = |key: &str| value.get(key).and_then(Value::as_str);
    let subject = match (get("resource"), get("field")) {
        (Some(resource), Some(field)) => Some(format!("{resource}.{field}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    };
    let detail = get("message").or_else(|| get("code"));
    match (subject, detail) {
        (Some(subject), Some(detail)) => Some(format!("{subject}: {detail}")),
        (Some(subject), None) => Some(subject),
        (None, Some(detail)) => Some(detail.to_owned()),
        (None, None) => None,
    }
}

/// The message of a non-2xx answer: GitHub's `message`, its `errors[]` (at most three), and
/// its `documentation_url`; a description of the body when it is not GitHub's JSON.
fn error_message(response: &Response) -> (String, Option<String>) {
    match serde_json::from_slice::<ErrorBody>(response.body()) {
        Ok(body) => {
            let mut text = body.message.clone();
            let details: Vec<String> = body.errors.iter().filter_map(field_error).collect();
            if !details.is_empty() {
                text.push_str(": ");
                text.push_str(
                    &details
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                if details.len() > 3 {
                    text.push_str(&format!(" (and {} more)", details.len() - 3));
                }
            }
            if let Some(docs) = &body.documentation_url {
                text.push_str(&format!(" (see {docs})"));
            }
            (text, Some(body.message))
        }
        Err(_) => (response.describe_body(), None),
    }
}

/// The error a non-2xx answer means (see the crate docs' table): the shared status table, a
/// 403 or 429 whose message speaks of a rate limit as `RateLimited` (GitHub's secondary limit
/// may come without any header), and a rate limit that names no wait waits at least a minute.
pub(crate) fn api_error(response: &Response) -> Error {
    let (message, github_message) = error_message(response);
    let status = response.status().as_u16();
    let says_rate_limit = github_message
        .as_deref()
        .is_some_and(|m| m.to_ascii_lowercase().contains("rate limit"));
    let error = if matches!(status, 403 | 429) && says_rate_limit {
        response.error(ErrorKind::RateLimited, message)
    } else {
        response
            .status_error(message.clone())
            .unwrap_or_else(|| response.protocol_error(message))
    };
    if error.kind() == ErrorKind::RateLimited && error.retry_after().is_none() {
        error.with_retry_after(RATE_LIMIT_FLOOR)
    } else {
        error
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
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// The kind a GitHub GraphQL error means, from its `type` (and its message for a revert that
/// conflicts).
fn graphql_kind(error: &GraphqlError) -> ErrorKind {
    let message = error.message.to_ascii_lowercase();
    match error.kind.as_deref() {
        Some("NOT_FOUND") => ErrorKind::NotFound,
        Some("FORBIDDEN") => ErrorKind::PermissionDenied,
        Some("RATE_LIMITED") => ErrorKind::RateLimited,
        _ if message.contains("rate limit") => ErrorKind::RateLimited,
        _ if message.contains("conflict") => ErrorKind::Conflict,
        Some("INTERNAL") | Some("SERVICE_UNAVAILABLE") => ErrorKind::Unavailable,
        _ => ErrorKind::InvalidInput,
    }
}

/// Reads a GraphQL answer: the data's `root_field`, or the error it means.
pub(crate) fn decode_graphql<T: DeserializeOwned>(
    response: &Response,
    root_field: &str,
) -> Result<T> {
    if !response.is_success() {
        return Err(api_error(response));
    }
    let envelope: Envelope = serde_json::from_slice(response.body()).map_err(|e| {
        response
            .protocol_error(format!(
                "expected a GraphQL JSON body, got {}",
                response.describe_body()
            ))
            .with_source(e)
    })?;
    if let Some(errors) = envelope.errors.filter(|errors| !errors.is_empty()) {
        let mut text = errors
            .iter()
            .take(3)
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        if errors.len() > 3 {
            text.push_str(&format!(" (and {} more)", errors.len() - 3));
        }
        let kind = errors.first().map_or(ErrorKind::Protocol, graphql_kind);
        let error = response.error(kind, text);
        return Err(
            if kind == ErrorKind::RateLimited && error.retry_after().is_none() {
                error.with_retry_after(RATE_LIMIT_FLOOR)
            } else {
                error
            },
        );
    }
    let Some(Value::Object(mut data)) = envelope.data else {
        return Err(response.protocol_error("the answer has neither data nor errors"));
    };
    let value = data.remove(root_field).ok_or_else(|| {
        response.protocol_error(format!("the answer's data has no `{root_field}`"))
    })?;
    serde_json::from_value(value).map_err(|e| {
        response
            .protocol_error(format!("`{root_field}` has an unexpected shape"))
            .with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http::header::HeaderMap;

    fn response(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Response {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Response::from_parts(
            PROVIDER,
            "create_issue",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            map,
            body.to_owned(),
        )
    }

    type Headers = &'static [(&'static str, &'static str)];

    #[test]
    fn the_table() {
        let bad_credentials =
            r#"{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}"#;
        let rows: &[(u16, Headers, &str, ErrorKind)] = &[
            (
                400,
                &[],
                r#"{"message":"Problems parsing JSON"}"#,
                ErrorKind::InvalidInput,
            ),
            (401, &[], bad_credentials, ErrorKind::Unauthenticated),
            (
                403,
                &[],
                r#"{"message":"Resource not accessible by integration"}"#,
                ErrorKind::PermissionDenied,
            ),
            (
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1377013266"),
                ],
                r#"{"message":"API rate limit exceeded for 1.2.3.4."}"#,
                ErrorKind::RateLimited,
            ),
            (
                403,
                &[],
                r#"{"message":"You have exceeded a secondary rate limit and have been temporarily blocked from content creation. Please retry your request again later."}"#,
                ErrorKind::RateLimited,
            ),
            (403, &[("retry-after", "30")], "{}", ErrorKind::RateLimited),
            (404, &[], r#"{"message":"Not Found"}"#, ErrorKind::NotFound),
            (409, &[], r#"{"message":"Conflict"}"#, ErrorKind::Conflict),
            (
                410,
                &[],
                r#"{"message":"Issues are disabled for this repo"}"#,
                ErrorKind::NotFound,
            ),
            (
                422,
                &[],
                r#"{"message":"Validation Failed"}"#,
                ErrorKind::InvalidInput,
            ),
            (
                429,
                &[],
                r#"{"message":"Too many requests"}"#,
                ErrorKind::RateLimited,
            ),
            (
                500,
                &[],
                r#"{"message":"Server Error"}"#,
                ErrorKind::Unavailable,
            ),
            (
                502,
                &[],
                "<html><title>Bad gateway</title></html>",
                ErrorKind::Unavailable,
            ),
            (503, &[], "", ErrorKind::Unavailable),
            (302, &[], "", ErrorKind::Protocol),
        ];
        for (status, headers, body, kind) in rows {
            let error = api_error(&response(*status, headers, body));
            assert_eq!(error.kind(), *kind, "HTTP {status} {body}");
            assert_eq!(error.status(), Some(*status));
            assert_eq!(error.provider(), Some("github"));
            assert_eq!(error.operation(), Some("create_issue"));
        }
    }

    #[test]
    fn rate_limits_wait_what_github_says_or_a_minute() {
        let error = api_error(&response(429, &[("retry-after", "7")], "{}"));
        assert_eq!(error.retry_after(), Some(Duration::from_secs(7)));
        let error = api_error(&response(
            403,
            &[],
            r#"{"message":"You have exceeded a secondary rate limit."}"#,
        ));
        assert_eq!(error.retry_after(), Some(RATE_LIMIT_FLOOR));
        let error = api_error(&response(429, &[], ""));
        assert_eq!(error.retry_after(), Some(RATE_LIMIT_FLOOR));
        let error = api_error(&response(403, &[], r#"{"message":"Forbidden"}"#));
        assert_eq!(error.retry_after(), None);
    }

    #[test]
    fn the_message_carries_githubs_message_errors_and_docs() {
        let body = r#"{"message":"Validation Failed","errors":[
            {"resource":"Issue","field":"title","code":"missing_field"},
            {"resource":"Label","code":"invalid"},
            {"code":"custom","message":"assignee octo-bot cannot be assigned"},
            "a plain one","and a fourth"],
            "documentation_url":"https://docs.github.com/rest/issues/issues#create-an-issue"}"#;
        let error = api_error(&response(422, &[], body));
        assert_eq!(
            error.message(),
            "Validation Failed: Issue.title: missing_field; Label: invalid; \
             assignee octo-bot cannot be assigned (and 2 more) \
             (see https://docs.github.com/rest/issues/issues#create-an-issue)"
        );
        let error = api_error(&response(
            502,
            &[("content-type", "text/html")],
            "<html><head><title>Unicorn!</title></head></html>",
        ));
        assert!(error.message().contains("Unicorn!"), "{error}");
    }

    #[test]
    fn graphql_errors_under_200() {
        let rows: &[(&str, ErrorKind)] = &[
            (
                r#"{"data":null,"errors":[{"type":"NOT_FOUND","message":"Could not resolve to a node with the global id of 'x'"}]}"#,
                ErrorKind::NotFound,
            ),
            (
                r#"{"errors":[{"type":"FORBIDDEN","message":"Resource not accessible by integration"}]}"#,
                ErrorKind::PermissionDenied,
            ),
            (
                r#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded"}]}"#,
                ErrorKind::RateLimited,
            ),
            (
                r#"{"errors":[{"type":"UNPROCESSABLE","message":"The revert has merge conflicts"}]}"#,
                ErrorKind::Conflict,
            ),
            (
                r#"{"errors":[{"type":"UNPROCESSABLE","message":"Pull request is not merged"}]}"#,
                ErrorKind::InvalidInput,
            ),
            (r#"{"data":null}"#, ErrorKind::Protocol),
            (r#"{"data":{"other":1}}"#, ErrorKind::Protocol),
            ("<html>", ErrorKind::Protocol),
        ];
        for (body, kind) in rows {
            let got = decode_graphql::<Value>(&response(200, &[], body), "revertPullRequest")
                .map(|_| ErrorKind::Config)
                .unwrap_or_else(|e| e.kind());
            assert_eq!(got, *kind, "{body}");
        }
        let ok = decode_graphql::<Value>(
            &response(
                200,
                &[],
                r#"{"data":{"revertPullRequest":{"a":1}},"errors":[]}"#,
            ),
            "revertPullRequest",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn next_links() {
        let next = |link: &'static str| {
            next_link(&response(200, &[("link", link)], "")).map(|u| u.to_string())
        };
        assert_eq!(
            next(
                r#"<https://api.github.com/repositories/1/deployments?page=2>; rel="next", <https://api.github.com/repositories/1/deployments?page=5>; rel="last""#
            ),
            Some("https://api.github.com/repositories/1/deployments?page=2".into())
        );
        assert_eq!(
            next(
                r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#
            ),
            None
        );
        assert_eq!(
            next(r#"<https://api.github.com/x?page=3>; rel="next last""#),
            Some("https://api.github.com/x?page=3".into())
        );
        assert_eq!(next("garbage"), None);
        assert_eq!(next_link(&response(200, &[], "")), None);
    }
}
