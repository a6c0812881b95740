//! [`HttpClient`]: one request in, one [`Response`] or one [`ir_core::Error`] out. This file
//! holds the credential, the request and response types and one attempt; the retry loop
//! around attempts is in [`crate::retry`].

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use ir_core::clock::Clock;
use ir_core::{Error, ErrorKind, Result};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;
use url::Url;

use crate::options::ClientOptions;
use crate::retry::{RetryPolicy, server_wait};
use crate::status::{error_kind, is_throttled};

/// A credential sent with every request, marked sensitive so it never appears in logs or
/// `Debug` output.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// A provider-specific header, e.g. Railway's `Project-Access-Token: <token>`.
    Header {
        /// The header name.
        name: HeaderName,
        /// The token.
        value: SecretString,
    },
}

impl Auth {
    /// `Authorization: Bearer <token>`.
    pub fn bearer(token: SecretString) -> Self {
        Self::Bearer(token)
    }

    /// `<name>: <token>`.
    ///
    /// # Errors
    /// `Config` when `name` is not a valid header name.
    pub fn header(name: &str, token: SecretString) -> Result<Self> {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| {
            Error::config(format!("`{name}` is not a valid header name")).with_source(e)
        })?;
        Ok(Self::Header { name, value: token })
    }

    /// The header name the credential travels in.
    pub fn header_name(&self) -> &HeaderName {
        match self {
            Self::Bearer(_) => &AUTHORIZATION,
            Self::Header { name, .. } => name,
        }
    }

    /// The header, its value marked sensitive.
    ///
    /// # Errors
    /// `Config` when the token holds characters a header cannot carry (the message does not
    /// show the token).
    pub fn to_header(&self) -> Result<(HeaderName, HeaderValue)> {
        let raw = match self {
            Self::Bearer(token) => format!("Bearer {}", token.expose_secret()),
            Self::Header { value, .. } => value.expose_secret().to_owned(),
        };
        let mut value = HeaderValue::from_str(&raw).map_err(|_| {
            Error::config(format!(
                "the token for `{}` contains characters an HTTP header cannot carry",
                self.header_name()
            ))
        })?;
        value.set_sensitive(true);
        Ok((self.header_name().clone(), value))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Auth::Bearer(<redacted>)"),
            Self::Header { name, .. } => write!(f, "Auth::Header({name}: <redacted>)"),
        }
    }
}

/// One request to send: method, URL, the operation name for spans and errors, headers, body,
/// and whether repeating it is harmless.
#[derive(Clone)]
pub struct Request {
    method: Method,
    url: Url,
    operation: Cow<'static, str>,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
}

impl Request {
    /// A request with `method` to `url`. `GET`, `HEAD`, `PUT`, `DELETE` and `OPTIONS` start
    /// idempotent; `POST` and `PATCH` do not (see [`with_idempotent`](Self::with_idempotent)).
    pub fn new(method: Method, url: Url) -> Self {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        Self {
            operation: Cow::Owned(method.as_str().to_owned()),
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent,
        }
    }

    /// A `GET` request.
    pub fn get(url: Url) -> Self {
        Self::new(Method::GET, url)
    }

    /// A `POST` request (not idempotent unless marked).
    pub fn post(url: Url) -> Self {
        Self::new(Method::POST, url)
    }

    /// Names the operation (`deploymentRollback`, `list_workflow_runs`): it appears in the span
    /// and in every error.
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Self {
        self.operation = operation.into();
        self
    }

    /// Marks whether sending the request twice has the same effect as sending it once. Only an
    /// idempotent request is retried after a timeout, a lost connection or a 502/503/504.
    pub fn with_idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets a JSON body (and `Content-Type: application/json`).
    ///
    /// # Errors
    /// `InvalidInput` when `body` cannot be serialised.
    pub fn with_json<T: serde::Serialize + ?Sized>(mut self, body: &T) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::invalid_input("the request body could not be serialised as JSON")
                .with_operation(self.operation.clone())
                .with_source(e)
        })?;
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Sets a raw body.
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The operation name.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// Whether the request is marked idempotent.
    pub fn is_idempotent(&self) -> bool {
        self.idempotent
    }
}

impl fmt::Debug for Request {
    /// Method, URL without its password or query, operation and idempotency: never headers or
    /// body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut url = self.url.clone();
        url.set_query(None);
        let _ = url.set_password(None);
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &url.as_str())
            .field("operation", &self.operation)
            .field("idempotent", &self.idempotent)
            .finish_non_exhaustive()
    }
}

/// A complete answer: status, headers and the whole body, read within the attempt timeout.
#[derive(Clone)]
pub struct Response {
    provider: Cow<'static, str>,
    operation: Cow<'static, str>,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    received_at: DateTime<Utc>,
    idempotent: bool,
}

impl Response {
    /// Builds a response by hand (for adapters' unit tests).
    pub fn from_parts(
        provider: impl Into<Cow<'static, str>>,
        operation: impl Into<Cow<'static, str>>,
        status: StatusCode,
        headers: HeaderMap,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            provider: provider.into(),
            operation: operation.into(),
            status,
            headers,
            body: body.into(),
            received_at: Utc::now(),
            idempotent: true,
        }
    }

    /// Marks what request this answers (for adapters' unit tests; a response from
    /// [`HttpClient`] knows it): an answer to a request that is not idempotent makes errors
    /// that [may have taken effect](Self::error).
    pub fn with_idempotent_request(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The provider this answer came from.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The operation this answers.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The body decoded as JSON.
    ///
    /// # Errors
    /// `Protocol` when the body is not the expected JSON (an HTML error page, a truncated
    /// document, a missing field); the message says what arrived, never the whole body.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            self.protocol_error(format!(
                "expected a JSON body, got {}",
                self.describe_body()
            ))
            .with_source(e)
        })
    }

    /// The error the status means (see [`crate::error_kind`]), with `message`,
    /// provider, operation, status and any `Retry-After`; `None` for a 2xx.
    pub fn status_error(&self, message: impl Into<String>) -> Option<Error> {
        let kind = error_kind(self.status, &self.headers)?;
        Some(self.error(kind, message))
    }

    /// An error of `kind` about this response, carrying provider, operation, status and (for
    /// `RateLimited`) the wait the server asked for.
    ///
    /// When the request is not idempotent and the answer leaves open whether it did its work,
    /// the error is [marked](ir_core::Error::with_effect_unknown) as possibly having taken
    /// effect: a `500`, `502` or `504` (the server or a gateway failed while, or after,
    /// handling it), or a 2xx that is unreadable (`Protocol`) or reports an outage
    /// (`Unavailable`).
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> Error {
        let mut error = Error::new(kind, message)
            .with_provider(self.provider.clone())
            .with_operation(self.operation.clone())
            .with_status(self.status.as_u16());
        if kind == ErrorKind::RateLimited || is_throttled(self.status, &self.headers) {
            if let Some(wait) = server_wait(&self.headers, self.received_at) {
                error = error.with_retry_after(wait);
            }
        }
        if self.leaves_effect_unknown(kind) {
            error = error.with_effect_unknown();
        }
        error
    }

    /// Whether an error of `kind` about this answer leaves open if the request took effect.
    fn leaves_effect_unknown(&self, kind: ErrorKind) -> bool {
        if self.idempotent || kind == ErrorKind::RateLimited {
            return false;
        }
        matches!(
            self.status,
            StatusCode::INTERNAL_SERVER_ERROR
                | StatusCode::BAD_GATEWAY
                | StatusCode::GATEWAY_TIMEOUT
        ) || (self.status.is_success()
            && matches!(kind, ErrorKind::Protocol | ErrorKind::Unavailable))
    }

    /// A `Protocol` error about this response: the provider answered something unusable.
    pub fn protocol_error(&self, message: impl Into<String>) -> Error {
        self.error(ErrorKind::Protocol, message)
    }

    /// A short description of the body for error messages: the `<title>` of an HTML page, the
    /// first line of a text body (at most 200 characters), or "an empty body". Never the
    /// whole body.
    pub fn describe_body(&self) -> String {
        describe_body(&self.headers, &self.body)
    }

    /// [`describe_body`](Self::describe_body) with `secrets` scrubbed from the whole body
    /// before it is cut, so a value the description would cut in half (and so no longer
    /// recognise) never shows. For answers to requests that carried a secret the provider may
    /// echo (a routing key, a variable's value).
    pub fn describe_body_without(&self, secrets: &ir_core::redact::Secrets) -> String {
        let text = String::from_utf8_lossy(&self.body);
        describe_text(&self.headers, &secrets.scrub(&text), self.body.len())
    }
}

impl fmt::Debug for Response {
    /// Status, operation and body length: never headers or body.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("provider", &self.provider)
            .field("operation", &self.operation)
            .field("status", &self.status.as_u16())
            .field("body_bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

fn describe_body(headers: &HeaderMap, body: &[u8]) -> String {
    describe_text(headers, &String::from_utf8_lossy(body), body.len())
}

/// [`describe_body`] of a body already decoded (and perhaps scrubbed) to `text`, `len` bytes
/// long as received.
fn describe_text(headers: &HeaderMap, text: &str, len: usize) -> String {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return "an empty body".to_owned();
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let looks_html = content_type.contains("html")
        || trimmed.starts_with("<!")
        || trimmed.to_ascii_lowercase().starts_with("<html");
    if looks_html {
        return match html_title(trimmed) {
            Some(title) => format!("an HTML page titled \"{title}\" ({len} bytes)"),
            None => format!("an HTML page ({len} bytes)"),
        };
    }
    let first_line: String = trimmed
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    format!("\"{first_line}\" ({len} bytes)")
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title: String = html
        .get(start..end)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then(|| title.chars().take(120).collect())
}

/// Builds an [`HttpClient`].
pub struct HttpClientBuilder {
    provider: Cow<'static, str>,
    auth: Option<Auth>,
    options: ClientOptions,
    default_headers: HeaderMap,
    max_body_bytes: usize,
    follow_redirects: Option<usize>,
    throttle_floor: Option<Duration>,
}

impl HttpClientBuilder {
    /// Sends `auth` with every request.
    pub fn with_auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The transport settings: timeouts, retry policy, clock, user agent (default
    /// [`ClientOptions::default`]).
    pub fn with_client_options(mut self, options: ClientOptions) -> Self {
        self.options = options;
        self
    }

    /// A header sent with every request (not for credentials: use [`with_auth`](Self::with_auth)).
    pub fn with_default_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.default_headers.append(name, value);
        self
    }

    /// The largest body read before the answer is rejected as `Protocol` (default 32 MiB).
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The wait after a throttled answer (429, or 403 with the limit exhausted) that names no
    /// wait of its own (no `Retry-After`, no reset header). Unset (the default), such an answer
    /// is retried after the policy's backoff. GitHub asks for at least a minute. A floor that
    /// does not fit in the overall deadline means the answer is returned instead of retried.
    pub fn with_throttle_floor(mut self, wait: Duration) -> Self {
        self.throttle_floor = Some(wait);
        self
    }

    /// Follows up to `max` redirects. Only for the health probe, which sends no credential:
    /// API clients never follow one.
    pub(crate) fn follow_redirects(mut self, max: usize) -> Self {
        self.follow_redirects = Some(max);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// `Config` for invalid [`ClientOptions`] (a zero timeout, a user agent a header cannot
    /// carry), a token a header cannot carry, or a TLS backend that fails to initialise.
    pub fn build(self) -> Result<HttpClient> {
        self.options
            .validate()
            .map_err(|e| e.with_provider(self.provider.clone()))?;
        let auth_header = self.auth.as_ref().map(Auth::to_header).transpose()?;
        // A redirect could carry a provider-specific credential header to another host;
        // API clients never follow one (a 3xx is reported as `Protocol`).
        let redirect = match self.follow_redirects {
            Some(max) => reqwest::redirect::Policy::limited(max),
            None => reqwest::redirect::Policy::none(),
        };
        let options = &self.options;
        let http = reqwest::Client::builder()
            .user_agent(options.user_agent())
            .connect_timeout(options.connect_timeout().min(options.attempt_timeout()))
            .redirect(redirect)
            .default_headers(self.default_headers)
            .build()
            .map_err(|e| {
                Error::config("the HTTP client could not be built")
                    .with_provider(self.provider.clone())
                    .with_source(e)
            })?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                http,
                provider: self.provider,
                auth: self.auth,
                auth_header,
                options: self.options,
                max_body_bytes: self.max_body_bytes,
                throttle_floor: self.throttle_floor,
            }),
        })
    }
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("provider", &self.provider)
            .field("auth", &self.auth)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The HTTP client every adapter shares: per-attempt and overall timeouts, retries with
/// backoff, `Retry-After` and rate-limit reset headers honoured, the credential marked
/// sensitive, and one `tracing` span per call.
///
/// Cheap to clone (an `Arc` inside).
///
/// ```no_run
/// use ir_http::{Auth, ClientOptions, HttpClient, Request, RetryPolicy};
/// use secrecy::SecretString;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let client = HttpClient::builder("github")
///     .with_auth(Auth::bearer(SecretString::from("ghp_example")))
///     .with_client_options(ClientOptions::default().with_retry_policy(RetryPolicy::default()))
///     .build()?;
/// let request = Request::get("https://api.github.com/rate_limit".parse()?)
///     .with_operation("rate_limit");
/// let response = client.send(request).await?;
/// if let Some(error) = response.status_error("GitHub refused the call") {
///     return Err(error.into());
/// }
/// let body: serde_json::Value = response.json()?;
/// println!("{}", body["rate"]["remaining"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    provider: Cow<'static, str>,
    auth: Option<Auth>,
    auth_header: Option<(HeaderName, HeaderValue)>,
    options: ClientOptions,
    max_body_bytes: usize,
    throttle_floor: Option<Duration>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.inner.provider)
            .field("auth", &self.inner.auth)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// How one attempt ended, before the retry decision.
pub(crate) enum Attempt {
    Answered(Response),
    TimedOut,
    Transport(reqwest::Error),
    TooLarge,
}

/// What an attempt does with the body.
#[derive(Clone, Copy)]
pub(crate) enum Body {
    /// Reads it whole; past the client's limit the attempt is [`Attempt::TooLarge`].
    Whole,
    /// Keeps the first `n` bytes and stops reading; a body cut short after the status still
    /// makes an answer (the health probe's excerpt).
    Excerpt(usize),
}

impl HttpClient {
    /// A builder for `provider` (`railway`, `github`, ...), the name spans and errors carry.
    pub fn builder(provider: impl Into<Cow<'static, str>>) -> HttpClientBuilder {
        HttpClientBuilder {
            provider: provider.into(),
            auth: None,
            options: ClientOptions::default(),
            default_headers: HeaderMap::new(),
            max_body_bytes: 32 * 1024 * 1024,
            follow_redirects: None,
            throttle_floor: None,
        }
    }

    /// The provider name.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The transport settings.
    pub fn client_options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        self.inner.options.retry_policy()
    }

    /// Sends `request`, retrying per the [retry policy](crate::RetryPolicy), and returns the
    /// final answer whatever its status: map it with [`Response::status_error`] (or the
    /// provider's own reading of the body).
    ///
    /// # Errors
    /// When no answer arrived: `Timeout` (the attempt or overall deadline passed),
    /// `Unavailable` (could not connect, TLS failure, connection lost), `Protocol` (a body
    /// larger than the limit). Each names provider and operation and keeps the transport
    /// error as its source.
    pub async fn send(&self, request: Request) -> Result<Response> {
        self.send_and_read(request, Ok).await
    }

    /// [`send`](Self::send), with each final answer read by `read` (the adapter's decoding:
    /// status and body into a value or an error), so the body is parsed once per attempt.
    ///
    /// A 2xx answer that `read` turns into an `Unavailable` error (a GraphQL server's HTTP
    /// 200 whose body reports an internal error) is an outage the status does not show: it
    /// is retried like a 503, so only when the request is idempotent, and when no retry is
    /// left `read`'s error is returned. Throttled answers and 502/503/504 are retried before
    /// `read` sees them, as [`send`](Self::send) does; `read` sees the last one.
    ///
    /// # Errors
    /// Those of [`send`](Self::send), and whatever `read` returns.
    pub async fn send_and_read<T, F>(&self, request: Request, read: F) -> Result<T>
    where
        F: FnMut(Response) -> Result<T> + Send,
        T: Send,
    {
        let span = tracing::info_span!(
            "http_call",
            provider = %self.inner.provider,
            operation = %request.operation,
            method = %request.method,
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        crate::retry::send(self, &request, read)
            .instrument(span)
            .await
    }

    /// The clock every timeout and wait reads.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.options.clock()
    }

    /// One attempt under `budget`, measured on the client's clock.
    pub(crate) async fn attempt_within(
        &self,
        request: &Request,
        budget: Duration,
        body: Body,
    ) -> Attempt {
        self.clock()
            .timeout(budget, self.attempt(request, body))
            .await
            .unwrap_or(Attempt::TimedOut)
    }

    /// One attempt: the request with the credential, its answer and its body.
    async fn attempt(&self, request: &Request, body_policy: Body) -> Attempt {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if let Some((name, value)) = &self.inner.auth_header {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = match builder.send().await {
            Ok(response) => response,
            Err(e) => return Attempt::Transport(e),
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut body = BytesMut::new();
        loop {
            let chunk = response.chunk().await;
            match (body_policy, chunk) {
                (_, Ok(None)) => break,
                (Body::Whole, Ok(Some(chunk))) => {
                    if body.len() + chunk.len() > self.inner.max_body_bytes {
                        return Attempt::TooLarge;
                    }
                    body.extend_from_slice(&chunk);
                }
                (Body::Whole, Err(e)) => return Attempt::Transport(e),
                (Body::Excerpt(n), Ok(Some(chunk))) => {
                    body.extend_from_slice(&chunk);
                    if body.len() >= n {
                        body.truncate(n);
                        break;
                    }
                }
                // The status arrived; a body cut short still makes an answer.
                (Body::Excerpt(_), Err(_)) => break,
            }
        }
        Attempt::Answered(Response {
            provider: self.inner.provider.clone(),
            operation: request.operation.clone(),
            status,
            headers,
            body: body.freeze(),
            received_at: self.clock().now(),
            idempotent: request.idempotent,
        })
    }

    /// The largest body an attempt reads.
    /// The wait after a throttled answer that names none (see
    /// [`HttpClientBuilder::with_throttle_floor`]).
    pub(crate) fn throttle_floor(&self) -> Option<Duration> {
        self.inner.throttle_floor
    }

    pub(crate) fn max_body_bytes(&self) -> usize {
        self.inner.max_body_bytes
    }

    /// The error a transport failure means.
    pub(crate) fn transport_error(
        &self,
        request: &Request,
        e: reqwest::Error,
        attempts: u32,
    ) -> Error {
        let host = request.url.host_str().unwrap_or("the server").to_owned();
        let tries = plural(attempts, "attempt");
        let (kind, message) = if is_tls_error(&e) {
            (
                ErrorKind::Unavailable,
                format!("TLS handshake with {host} failed ({tries})"),
            )
        } else if e.is_timeout() {
            (
                ErrorKind::Timeout,
                format!("connecting to {host} timed out ({tries})"),
            )
        } else if e.is_connect() {
            (
                ErrorKind::Unavailable,
                format!("could not connect to {host} ({tries})"),
            )
        } else if e.is_body() || e.is_decode() {
            (
                ErrorKind::Unavailable,
                format!("connection to {host} lost while reading the response ({tries})"),
            )
        } else {
            (
                ErrorKind::Unavailable,
                format!("request to {host} failed ({tries})"),
            )
        };
        // Unless it never left (no connection, no TLS session), a request that is not
        // idempotent may have reached the server and done its work.
        let never_left = is_tls_error(&e) || e.is_connect();
        let error = self
            .error(kind, message, request)
            .with_source(e.without_url());
        if request.is_idempotent() || never_left {
            error
        } else {
            error.with_effect_unknown()
        }
    }

    /// An error of `kind` naming this client's provider and the request's operation.
    pub(crate) fn error(&self, kind: ErrorKind, message: String, request: &Request) -> Error {
        Error::new(kind, message)
            .with_provider(self.inner.provider.clone())
            .with_operation(request.operation.clone())
    }
}

/// Whether a transport error is a TLS failure (bad certificate, handshake refused, a plain
/// HTTP server behind an `https://` URL).
pub(crate) fn is_tls_error(error: &(dyn std::error::Error + 'static)) -> bool {
    find_tls(error).is_some()
}

/// The TLS error's text, for a health report.
pub(crate) fn tls_error_text(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    find_tls(error).map(ToString::to_string)
}

/// Finds a `rustls::Error` in a chain. `io::Error` needs its own step: its `source()` skips the
/// error it wraps (hyper wraps rustls' error in two `io::Error`s).
fn find_tls<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = error.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
    {
        let inner: &(dyn std::error::Error + 'static) = inner;
        if let Some(tls) = find_tls(inner) {
            return Some(tls);
        }
    }
    error.source().and_then(find_tls)
}

// TODO(lead): duplicates `ir_core::comms::format::duration_short`; one duration formatter
// should serve both (this one prints "250 ms" and "1.5 s").
pub(crate) fn human(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

pub(crate) fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_header_is_sensitive_and_redacted() {
        let (name, value) = Auth::bearer(SecretString::from("tok-123"))
            .to_header()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(name, AUTHORIZATION);
        assert!(value.is_sensitive());
        assert!(!format!("{value:?}").contains("tok-123"));

        let auth = Auth::header("Project-Access-Token", SecretString::from("tok-456"))
            .unwrap_or_else(|e| panic!("{e}"));
        let (name, value) = auth.to_header().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(name.as_str(), "project-access-token");
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().ok(), Some("tok-456"));
        assert!(!format!("{auth:?}").contains("tok-456"));
    }

    #[test]
    fn bad_token_error_hides_the_token() {
        let err = Auth::bearer(SecretString::from("bad\ntoken-789"))
            .to_header()
            .err()
            .unwrap_or_else(|| panic!("a newline cannot go in a header"));
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!format!("{err:?} {err}").contains("token-789"));
    }

    #[test]
    fn default_idempotency_follows_the_method() {
        let url: Url = "https://example.com/"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(Request::get(url.clone()).is_idempotent());
        assert!(Request::new(Method::PUT, url.clone()).is_idempotent());
        assert!(!Request::post(url.clone()).is_idempotent());
        assert!(Request::post(url).with_idempotent(true).is_idempotent());
    }

    #[test]
    fn request_debug_hides_query_headers_and_body() {
        let url: Url = "https://example.com/x?token=abc"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let request = Request::post(url)
            .with_header(
                HeaderName::from_static("x-secret"),
                HeaderValue::from_static("hdr-value"),
            )
            .with_body("body-value");
        let debug = format!("{request:?}");
        assert!(!debug.contains("abc"), "{debug}");
        assert!(!debug.contains("hdr-value"), "{debug}");
        assert!(!debug.contains("body-value"), "{debug}");
    }

    #[test]
    fn errors_about_answers_to_mutations_that_leave_the_effect_unknown() {
        let answer = |status: u16, idempotent: bool| {
            Response::from_parts(
                "test",
                "rollback",
                StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
                HeaderMap::new(),
                "",
            )
            .with_idempotent_request(idempotent)
        };
        let rows: &[(u16, ErrorKind, bool)] = &[
            (500, ErrorKind::Unavailable, true),
            (502, ErrorKind::Unavailable, true),
            (504, ErrorKind::Unavailable, true),
            // A 503 or a 429 is a refusal before the work; a 4xx is a refusal.
            (503, ErrorKind::Unavailable, false),
            (429, ErrorKind::RateLimited, false),
            (400, ErrorKind::InvalidInput, false),
            (401, ErrorKind::Unauthenticated, false),
            (409, ErrorKind::Conflict, false),
            // A 2xx the adapter cannot read, or that reports an outage in its body.
            (200, ErrorKind::Protocol, true),
            (200, ErrorKind::Unavailable, true),
            (200, ErrorKind::Unauthenticated, false),
            (200, ErrorKind::InvalidInput, false),
            (302, ErrorKind::Protocol, false),
        ];
        for (status, kind, unknown) in rows {
            let err = answer(*status, false).error(*kind, "m");
            assert_eq!(err.may_have_taken_effect(), *unknown, "{status} {kind}");
            assert_eq!(err.message(), "m");
            // Repeating an idempotent request is harmless: never marked.
            let err = answer(*status, true).error(*kind, "m");
            assert!(!err.may_have_taken_effect(), "{status} {kind}");
        }
        let err = answer(502, false).status_error("Bad Gateway");
        assert!(err.is_some_and(|e| e.may_have_taken_effect()));
    }

    #[test]
    fn describe_body_without_scrubs_before_cutting() {
        let key = "R0UTINGKEY0000000000000000000042";
        let secrets = ir_core::redact::Secrets::new();
        assert!(secrets.add(&SecretString::from(key)));
        // The key straddles the 200th character: cut first, it would no longer be recognised.
        let body = format!("{}{key} tail", "x".repeat(190));
        let response = Response::from_parts(
            "test",
            "trigger",
            StatusCode::BAD_REQUEST,
            HeaderMap::new(),
            body.clone(),
        );
        assert!(response.describe_body().contains(&key[..10]));
        let shown = response.describe_body_without(&secrets);
        assert!(!shown.contains(&key[..10]), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
        assert!(
            shown.ends_with(&format!("({} bytes)", body.len())),
            "{shown}"
        );
    }

    #[test]
    fn describe_body_variants() {
        let mut html = HeaderMap::new();
        html.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        let page = b"<!DOCTYPE html><html><head><title>Access denied | backboard.railway.com used Cloudflare</title></head><body>...</body></html>";
        assert_eq!(
            describe_body(&html, page),
            format!(
                "an HTML page titled \"Access denied | backboard.railway.com used Cloudflare\" ({} bytes)",
                page.len()
            )
        );
        assert_eq!(
            describe_body(&HeaderMap::new(), b"<html><body>Bad gateway</body></html>"),
            "an HTML page (37 bytes)"
        );
        assert_eq!(describe_body(&HeaderMap::new(), b"  \n"), "an empty body");
        assert_eq!(
            describe_body(&HeaderMap::new(), b"upstream connect error\nmore"),
            "\"upstream connect error\" (27 bytes)"
        );
    }
}
