//! The `Link` header (RFC 8288), as GitHub and Sentry page their lists with it.

use http::header::{HeaderMap, LINK};

/// One link of a `Link` header: its target and its parameters (`rel`, and whatever else the
/// provider adds, such as Sentry's `results` and `cursor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target, without its angle brackets.
    pub target: String,
    params: Vec<(String, String)>,
}

impl Link {
    /// The value of parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the link's `rel` lists `rel` (a `rel` may hold several, space-separated).
    pub fn has_rel(&self, rel: &str) -> bool {
        self.param("rel")
            .is_some_and(|rels| rels.split_whitespace().any(|r| r.eq_ignore_ascii_case(rel)))
    }
}

/// The links of one `Link` header value: `<url>; rel="next"; results="true", <url>; ...`.
/// Splitting at `<` keeps commas inside parameters and targets intact; text that is not a
/// link is skipped.
///
/// ```
/// let links = ir_http::parse_links(r#"<https://api.example.com/x?page=2>; rel="next last""#);
/// assert_eq!(links[0].target, "https://api.example.com/x?page=2");
/// assert!(links[0].has_rel("next"));
/// ```
pub fn parse_links(header: &str) -> Vec<Link> {
    header
        .split('<')
        .filter_map(|chunk| {
            let (target, rest) = chunk.split_once('>')?;
            let params = rest
                .split(';')
                .filter_map(|param| {
                    let (key, value) = param.split_once('=')?;
                    let value = value.trim().trim_end_matches(',').trim();
                    Some((key.trim().to_owned(), value.trim_matches('"').to_owned()))
                })
                .collect();
            Some(Link {
                target: target.trim().to_owned(),
                params,
            })
        })
        .collect()
}

/// Every link of every `Link` header in `headers`, in order.
pub fn links(headers: &HeaderMap) -> Vec<Link> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_links)
        .collect()
}
