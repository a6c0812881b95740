//! The status-to-error table every HTTP adapter shares.
//!
//! | HTTP status | [`ErrorKind`] |
//! |---|---|
//! | 2xx | none: not an error |
//! | 401 | `Unauthenticated` |
//! | 403 with `x-ratelimit-remaining: 0` or a `Retry-After` (GitHub's primary and secondary limits) | `RateLimited` |
//! | other 403 | `PermissionDenied` |
//! | 404, 410 | `NotFound` |
//! | 408 | `Timeout` |
//! | 409, 412 | `Conflict` |
//! | 429 | `RateLimited` |
//! | other 4xx (400, 422, ...) | `InvalidInput` |
//! | 5xx | `Unavailable` |
//! | 1xx, 3xx (a redirect the client did not follow) | `Protocol` |
//!
//! A provider whose body can carry errors under 200 (GraphQL) checks the body as well; the
//! table only speaks for the status line.

use http::StatusCode;
use http::header::HeaderMap;
use ir_core::ErrorKind;

use crate::retry::{rate_limit_exhausted, retry_after_present};

/// The [`ErrorKind`] an HTTP status means, or `None` for a success (2xx).
///
/// ```
/// use ir_core::ErrorKind;
/// use http::StatusCode;
/// use http::header::{HeaderMap, HeaderValue};
///
/// let none = HeaderMap::new();
/// assert_eq!(ir_http::error_kind(StatusCode::OK, &none), None);
/// assert_eq!(ir_http::error_kind(StatusCode::FORBIDDEN, &none), Some(ErrorKind::PermissionDenied));
///
/// let mut exhausted = HeaderMap::new();
/// exhausted.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
/// assert_eq!(
///     ir_http::error_kind(StatusCode::FORBIDDEN, &exhausted),
///     Some(ErrorKind::RateLimited)
/// );
/// ```
pub fn error_kind(status: StatusCode, headers: &HeaderMap) -> Option<ErrorKind> {
    let kind = match status.as_u16() {
        200..=299 => return None,
        401 => ErrorKind::Unauthenticated,
        403 if rate_limit_exhausted(headers) || retry_after_present(headers) => {
            ErrorKind::RateLimited
        }
        403 => ErrorKind::PermissionDenied,
        404 | 410 => ErrorKind::NotFound,
        408 => ErrorKind::Timeout,
        409 | 412 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        400..=499 => ErrorKind::InvalidInput,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Protocol,
    };
    Some(kind)
}

/// Whether a response with this status and these headers was throttled (429, or 403 with the
/// rate limit exhausted or a `Retry-After`).
pub(crate) fn is_throttled(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN
            && (rate_limit_exhausted(headers) || retry_after_present(headers)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    #[test]
    fn the_table() {
        let plain = HeaderMap::new();
        let mut exhausted = HeaderMap::new();
        exhausted.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        let mut asked_to_wait = HeaderMap::new();
        asked_to_wait.insert("retry-after", HeaderValue::from_static("30"));
        let rows: &[(u16, &HeaderMap, Option<ErrorKind>)] = &[
            (200, &plain, None),
            (201, &plain, None),
            (204, &plain, None),
            (101, &plain, Some(ErrorKind::Protocol)),
            (301, &plain, Some(ErrorKind::Protocol)),
            (400, &plain, Some(ErrorKind::InvalidInput)),
            (401, &plain, Some(ErrorKind::Unauthenticated)),
            (403, &plain, Some(ErrorKind::PermissionDenied)),
            (403, &exhausted, Some(ErrorKind::RateLimited)),
            (403, &asked_to_wait, Some(ErrorKind::RateLimited)),
            (404, &plain, Some(ErrorKind::NotFound)),
            (408, &plain, Some(ErrorKind::Timeout)),
            (409, &plain, Some(ErrorKind::Conflict)),
            (410, &plain, Some(ErrorKind::NotFound)),
            (412, &plain, Some(ErrorKind::Conflict)),
            (422, &plain, Some(ErrorKind::InvalidInput)),
            (429, &plain, Some(ErrorKind::RateLimited)),
            (500, &plain, Some(ErrorKind::Unavailable)),
            (502, &plain, Some(ErrorKind::Unavailable)),
            (503, &plain, Some(ErrorKind::Unavailable)),
            (504, &plain, Some(ErrorKind::Unavailable)),
        ];
        for (code, headers, expected) in rows {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::IM_A_TEAPOT);
            assert_eq!(error_kind(status, headers), *expected, "HTTP {code}");
        }
    }

    #[test]
    fn throttled() {
        let mut exhausted = HeaderMap::new();
        exhausted.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        assert!(is_throttled(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new()
        ));
        assert!(is_throttled(StatusCode::FORBIDDEN, &exhausted));
        let mut asked_to_wait = HeaderMap::new();
        asked_to_wait.insert("retry-after", HeaderValue::from_static("30"));
        assert!(is_throttled(StatusCode::FORBIDDEN, &asked_to_wait));
        assert!(!is_throttled(StatusCode::BAD_REQUEST, &asked_to_wait));
        assert!(!is_throttled(StatusCode::FORBIDDEN, &HeaderMap::new()));
        assert!(!is_throttled(StatusCode::SERVICE_UNAVAILABLE, &exhausted));
    }
}
