//! Issues: those first seen in a window (`sort=new` with a `firstSeen` query) and the most
//! frequent in a window (`sort=freq`), from `GET /api/0/organizations/{org}/issues/`.

use chrono::SecondsFormat;
use ir_core::clock::Timestamp;
use ir_core::model::{TimeWindow, TrackedIssue};
use ir_core::{Error, ErrorKind, Result};

use crate::client::{PROVIDER, SentryClient};
use crate::wire;

/// `t` for Sentry, to the second, rounded down.
pub(crate) fn iso_floor(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `t` for Sentry, to the second, rounded up.
pub(crate) fn iso_ceil(t: Timestamp) -> String {
    let whole = t.timestamp_subsec_nanos() == 0;
    let t = if whole {
        t
    } else {
        t + chrono::Duration::seconds(1)
    };
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) fn check_window(window: TimeWindow, operation: &'static str) -> Result<()> {
    if window.end < window.start {
        return Err(Error::invalid_input(format!(
            "the window ends ({}) before it starts ({})",
            window.end, window.start
        ))
        .with_provider(PROVIDER)
        .with_operation(operation));
    }
    Ok(())
}

impl SentryClient {
    /// The issues-list URL for `window`: start/end, the sort, the search query, a page size.
    fn issues_url(&self, window: TimeWindow, sort: &str, query: &str, limit: usize) -> url::Url {
        let mut url = self.endpoint("issues");
        let per_page = limit.min(self.page_size as usize).max(1);
        url.query_pairs_mut()
            .append_pair("start", &iso_floor(window.start))
            .append_pair("end", &iso_ceil(window.end))
            .append_pair("query", query)
            .append_pair("sort", sort)
            .append_pair("limit", &per_page.to_string());
        url
    }

    /// Every issue of a listing, each once (a page can repeat an issue the one before held,
    /// when counts change between requests).
    async fn list_issues(
        &self,
        url: url::Url,
        operation: &'static str,
        want: usize,
    ) -> Result<Vec<TrackedIssue>> {
        let pages: Vec<wire::Issue> = self.get_pages(url, operation, want).await?;
        let mut issues: Vec<TrackedIssue> = Vec::with_capacity(pages.len());
        for issue in pages {
            let issue = issue.into_tracked().map_err(|message| {
                Error::new(ErrorKind::Protocol, message)
                    .with_provider(PROVIDER)
                    .with_operation(operation)
                    .with_status(200)
            })?;
            if !issues.iter().any(|seen| seen.id == issue.id) {
                issues.push(issue);
            }
        }
        Ok(issues)
    }

    /// Issues first seen in `window`, newest first: `sort=new` with the query
    /// `firstSeen:>=<start> firstSeen:<<end>`, every status, every page up to the cap.
    pub(crate) async fn first_seen_in(&self, window: TimeWindow) -> Result<Vec<TrackedIssue>> {
        const OPERATION: &str = "new_issues";
        check_window(window, OPERATION)?;
        if window.start == window.end {
            return Ok(Vec::new());
        }
        let query = format!(
            "firstSeen:>={} firstSeen:<{}",
            iso_floor(window.start),
            iso_ceil(window.end)
        );
        let url = self.issues_url(window, "new", &query, usize::MAX);
        let mut issues = self.list_issues(url, OPERATION, usize::MAX).await?;
        // The query is to the second; the window may not be.
        issues.retain(|i| window.start <= i.first_seen && i.first_seen < window.end);
        issues.sort_by_key(|i| std::cmp::Reverse(i.first_seen));
        Ok(issues)
    }

    /// Up to `limit` issues with events in `window`, most frequent there first: `sort=freq`,
    /// every status. Each `count` and `user_count` is the window's, as Sentry gives them under
    /// `start`/`end`.
    pub(crate) async fn most_frequent_in(
        &self,
        window: TimeWindow,
        limit: usize,
    ) -> Result<Vec<TrackedIssue>> {
        const OPERATION: &str = "top_issues";
        check_window(window, OPERATION)?;
        if limit == 0 || window.start == window.end {
            return Ok(Vec::new());
        }
        let url = self.issues_url(window, "freq", "", limit);
        let mut issues = self.list_issues(url, OPERATION, limit).await?;
        issues.retain(|i| i.last_seen >= window.start && i.first_seen < window.end);
        issues.sort_by_key(|i| std::cmp::Reverse(i.count));
        Ok(issues)
    }
}
