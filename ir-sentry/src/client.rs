//! [`SentryClient`]: authentication, sending one GET through [`ir_http::HttpClient`], reading
//! Sentry's answer into a value or an [`ir_core::Error`], and following its cursor pagination.
//!
//! How Sentry's answers become [`ir_core::Error`] kinds is tabled in the crate docs
//! ("From answer to error"); [`answer_error`] and [`decode`] are that table.

use std::fmt;

use ir_core::Result;
use ir_http::{HttpClient, Request, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::SentryConfig;

/// The provider name in spans and errors.
pub(crate) const PROVIDER: &str = "sentry";

/// A client of Sentry's web API, bound to one organization (and optionally some projects and
/// an environment). It implements [`ErrorTracker`](ir_core::ports::ErrorTracker).
///
/// Cheap to clone.
#[derive(Clone)]
pub struct SentryClient {
    http: HttpClient,
    /// `<base>/api/0/organizations/<org>/`.
    organization_url: Url,
    organization: String,
    projects: Vec<String>,
    environment: Option<String>,
    pub(crate) page_size: u32,
    max_pages: u32,
}

impl fmt::Debug for SentryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentryClient")
            .field(
                "organization_url",
                &ir_core::redact::redact(self.organization_url.as_str()),
            )
            .field("projects", &self.projects)
            .field("environment", &self.environment)
            .field("http", &self.http)
            .finish()
    }
}

impl SentryClient {
    /// A client for the organization `config` names.
    ///
    /// # Errors
    /// `Config` when the HTTP client cannot be built.
    pub fn new(config: SentryConfig) -> Result<Self> {
        let http = HttpClient::builder(PROVIDER)
            .with_auth(ir_http::Auth::bearer(config.token().clone()))
            .with_client_options(config.client_options().clone())
            .build()?;
        let mut organization_url = config.base_url().clone();
        organization_url
            .path_segments_mut()
            .map_err(|()| {
                ir_core::Error::config("the Sentry base URL cannot hold a path")
                    .with_provider(PROVIDER)
            })?
            .pop_if_empty()
            .extend(["api", "0", "organizations", config.organization(), ""]);
        Ok(Self {
            http,
            organization_url,
            organization: config.organization().to_owned(),
            projects: config.projects().to_vec(),
            environment: config.environment().map(str::to_owned),
            page_size: config.page_size(),
            max_pages: config.max_pages(),
        })
    }

    /// A client configured by [`SentryConfig::from_env`].
    ///
    /// # Errors
    /// `Config` naming the missing or invalid variable.
    pub fn from_env() -> Result<Self> {
        Self::new(SentryConfig::from_env()?)
    }

    /// The organization the client is bound to.
    pub fn organization(&self) -> &str {
        &self.organization
    }

    /// `<org url><endpoint>/?<project and environment filters>`.
    pub(crate) fn endpoint(&self, endpoint: &str) -> Url {
        let mut url = self.organization_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().extend([endpoint, ""]);
        }
        {
            let mut query = url.query_pairs_mut();
            if self.projects.is_empty() {
                query.append_pair("project", "-1");
            }
            for project in &self.projects {
                query.append_pair("project", project);
            }
            if let Some(environment) = &self.environment {
                query.append_pair("environment", environment);
            }
        }
        url
    }

    /// GETs `url` (idempotent, so retried after a timeout or a 502/503/504) and returns the
    /// answer if it is a 2xx; any other status is the error the crate docs' table gives.
    pub(crate) async fn get(&self, url: Url, operation: &'static str) -> Result<Response> {
        let request = Request::get(url)
            .with_operation(operation)
            .with_idempotent(true);
        let response = self.http.send(request).await?;
        match answer_error(&response) {
            Some(error) => Err(error),
            None => Ok(response),
        }
    }

    /// Every item of a paginated list at `url`, up to `want`, following `rel="next"` cursors
    /// while they say `results="true"`, for at most the configured number of pages.
    pub(crate) async fn get_pages<T: DeserializeOwned>(
        &self,
        url: Url,
        operation: &'static str,
        want: usize,
    ) -> Result<Vec<T>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..self.max_pages {
            let mut page_url = url.clone();
            if let Some(cursor) = &cursor {
                page_url.query_pairs_mut().append_pair("cursor", cursor);
            }
            let response = self.get(page_url, operation).await?;
            let page: Vec<T> = decode(&response)?;
            let empty = page.is_empty();
            items.extend(page);
            if items.len() >= want {
                items.truncate(want);
                return Ok(items);
            }
            match next_cursor(&response) {
                Some(next) if !empty && cursor.as_deref() != Some(next.as_str()) => {
                    cursor = Some(next);
                }
                _ => return Ok(items),
            }
        }
        tracing::warn!(
            provider = PROVIDER,
            operation,
            pages = self.max_pages,
            items = items.len(),
            "stopped at the page cap with more results on the server"
        );
        Ok(items)
    }
}

/// Sentry's DRF-style error body.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    detail: Option<serde_json::Value>,
}

/// What Sentry said about an error: the `detail` of its JSON body, else a description of the
/// body.
pub(crate) fn error_message(response: &Response) -> String {
    let detail = serde_json::from_slice::<ErrorBody>(response.body())
        .ok()
        .and_then(|body| body.detail)
        .map(|detail| match detail {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        })
        .filter(|text| !text.trim().is_empty());
    let mut message = detail.unwrap_or_else(|| response.describe_body());
    if message.chars().count() > 300 {
        message = message.chars().take(300).collect::<String>() + "...";
    }
    message
}

/// The error a non-2xx answer means (the shared [`ir_http::error_kind`] table, with Sentry's
/// `detail` as the message); `None` for a 2xx.
pub(crate) fn answer_error(response: &Response) -> Option<ir_core::Error> {
    response.status_error(error_message(response))
}

/// A 2xx body as `T`; a body of another shape is `Protocol`, described, never quoted whole.
pub(crate) fn decode<T: DeserializeOwned>(response: &Response) -> Result<T> {
    serde_json::from_slice(response.body()).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "is not JSON"
        } else {
            "has an unexpected shape"
        };
        response
            .protocol_error(format!("the answer {what}: {}", response.describe_body()))
            .with_source(e)
    })
}

/// The cursor of the next page, when the `rel="next"` link says `results="true"`: its
/// `cursor` parameter, else the `cursor` in its URL. The URL itself is never followed, so the
/// token only ever goes to the configured host.
fn next_cursor(response: &Response) -> Option<String> {
    let links = ir_http::links(response.headers());
    let next = links.iter().find(|l| l.param("rel") == Some("next"))?;
    if next.param("results") != Some("true") {
        return None;
    }
    if let Some(cursor) = next.param("cursor").filter(|c| !c.is_empty()) {
        return Some(cursor.to_owned());
    }
    let url = Url::parse(&next.target).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == "cursor")
        .map(|(_, value)| value.into_owned())
        .filter(|c| !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;
    use http::header::{HeaderMap, HeaderValue};
    use ir_core::ErrorKind;

    fn response(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Response {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        Response::from_parts(
            PROVIDER,
            "new_issues",
            StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
            map,
            body.to_owned(),
        )
    }

    #[test]
    fn the_table() {
        let detail = r#"{"detail": "You do not have permission to perform this action."}"#;
        type Headers = &'static [(&'static str, &'static str)];
        let rows: &[(u16, Headers, Option<ErrorKind>)] = &[
            (200, &[], None),
            (400, &[], Some(ErrorKind::InvalidInput)),
            (401, &[], Some(ErrorKind::Unauthenticated)),
            (403, &[], Some(ErrorKind::PermissionDenied)),
            (404, &[], Some(ErrorKind::NotFound)),
            (409, &[], Some(ErrorKind::Conflict)),
            (429, &[("retry-after", "3")], Some(ErrorKind::RateLimited)),
            (500, &[], Some(ErrorKind::Unavailable)),
            (502, &[], Some(ErrorKind::Unavailable)),
            (503, &[], Some(ErrorKind::Unavailable)),
            (504, &[], Some(ErrorKind::Unavailable)),
            (302, &[], Some(ErrorKind::Protocol)),
        ];
        for (status, headers, kind) in rows {
            let error = answer_error(&response(*status, headers, detail));
            assert_eq!(error.as_ref().map(|e| e.kind()), *kind, "HTTP {status}");
            if let Some(error) = error {
                assert_eq!(
                    error.message(),
                    "You do not have permission to perform this action."
                );
                assert_eq!(error.provider(), Some("sentry"));
                assert_eq!(error.operation(), Some("new_issues"));
                assert_eq!(error.status(), Some(*status));
            }
        }
        let throttled = answer_error(&response(429, &[("retry-after", "3")], "")).unwrap();
        assert_eq!(
            throttled.retry_after(),
            Some(std::time::Duration::from_secs(3))
        );
    }

    #[test]
    fn messages_without_detail_describe_the_body() {
        let html = answer_error(&response(
            502,
            &[("content-type", "text/html")],
            "<html><title>502 Bad Gateway</title></html>",
        ))
        .unwrap();
        assert!(html.message().contains("502 Bad Gateway"), "{html}");
        let empty = answer_error(&response(401, &[], "")).unwrap();
        assert_eq!(empty.message(), "an empty body");
        let object = answer_error(&response(400, &[], r#"{"detail":{"code":"x"}}"#)).unwrap();
        assert_eq!(object.message(), r#"{"code":"x"}"#);
    }

    #[test]
    fn bodies_of_the_wrong_shape_are_protocol() {
        let not_json = decode::<Vec<u32>>(&response(200, &[], "<html>oops</html>")).unwrap_err();
        assert_eq!(not_json.kind(), ErrorKind::Protocol);
        assert!(not_json.message().contains("is not JSON"), "{not_json}");
        let shape = decode::<Vec<u32>>(&response(200, &[], r#"{"a":1}"#)).unwrap_err();
        assert_eq!(shape.kind(), ErrorKind::Protocol);
        assert!(shape.message().contains("unexpected shape"), "{shape}");
    }

    #[test]
    fn link_headers() {
        let first = r#"<https://sentry.io/api/0/organizations/acme/issues/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        let parsed = ir_http::parse_links(first);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[1].param("rel"), Some("next"));
        assert_eq!(parsed[1].param("cursor"), Some("0:100:0"));
        assert_eq!(
            next_cursor(&response(200, &[("link", first)], "[]")),
            Some("0:100:0".into())
        );
        // The older form: no cursor parameter, the cursor only in the URL.
        let old = r#"<https://sentry.io/api/0/organizations/acme/projects/1/groups/?&cursor=1420837590:0:1>; rel="previous"; results="false", <https://sentry.io/api/0/organizations/acme/projects/1/groups/?&cursor=1420837533:0:0>; rel="next"; results="true""#;
        assert_eq!(
            next_cursor(&response(200, &[("link", old)], "[]")),
            Some("1420837533:0:0".into())
        );
        let last = r#"<https://sentry.io/x/?&cursor=0:0:1>; rel="previous"; results="true"; cursor="0:0:1", <https://sentry.io/x/?&cursor=0:200:0>; rel="next"; results="false"; cursor="0:200:0""#;
        assert_eq!(next_cursor(&response(200, &[("link", last)], "[]")), None);
        assert_eq!(next_cursor(&response(200, &[], "[]")), None);
    }
}
