//! Showing a configured URL in messages and `Debug` output without the password it may carry.

use reqwest::Url;

/// `raw` fit for an error message or `Debug` output: the password of a `user:password@`
/// removed, the rest as written.
///
/// Text that does not parse as a URL gets the same treatment: the userinfo before the last
/// `@` (ahead of any `?` or `#`) loses everything after its first `:`.
///
/// ```
/// use ir_http::url_without_password;
///
/// assert_eq!(
///     url_without_password("https://admin:s3cret@host/?x=1"),
///     "https://admin@host/?x=1"
/// );
/// assert_eq!(url_without_password("not a url admin:s3cret@host"), "not a url admin@host");
/// assert_eq!(url_without_password("https://host/"), "https://host/");
/// ```
pub fn url_without_password(raw: &str) -> String {
    match Url::parse(raw) {
        // A URL's authority ends at the path.
        Ok(url) if url.password().is_some() => cut_password(raw, &['/', '\\', '?', '#']),
        Ok(url) if url.has_host() => raw.to_owned(),
        // Text that is no URL with a host (`admin:s3cret@host` parses as scheme `admin`):
        // the userinfo may hold a `/`.
        _ => cut_password(raw, &['?', '#']),
    }
}

/// `raw` without the `:password` of the userinfo running from the scheme separator (or the
/// last blank) to the last `@` before any of `ends`.
fn cut_password(raw: &str, ends: &[char]) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let end = raw[start..].find(ends).map_or(raw.len(), |i| start + i);
    let Some(at) = raw[start..end].rfind('@').map(|i| start + i) else {
        return raw.to_owned();
    };
    let user_start = raw[start..at]
        .rfind(char::is_whitespace)
        .map_or(start, |i| start + i + 1);
    let Some(colon) = raw[user_start..at].find(':').map(|i| user_start + i) else {
        return raw.to_owned();
    };
    format!("{}{}", &raw[..colon], &raw[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_removed_and_nothing_else() {
        let rows = [
            ("https://admin:s3cret@host/?x=1", "https://admin@host/?x=1"),
            ("http://u:p%40ss@host:8080/a", "http://u@host:8080/a"),
            ("https://user@host/", "https://user@host/"),
            ("https://host:8080/a@b", "https://host:8080/a@b"),
            ("ftp://admin:s3cret@host", "ftp://admin@host"),
            // Not URLs.
            ("https://admin:s3cret@ho st/", "https://admin@ho st/"),
            ("admin:s3cret@host", "admin@host"),
            ("https://admin:s3/cret@:bad", "https://admin@:bad"),
            ("no url at all", "no url at all"),
            ("", ""),
        ];
        for (raw, shown) in rows {
            assert_eq!(url_without_password(raw), shown, "{raw}");
        }
    }
}
