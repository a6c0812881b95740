//! `LogSource` over Railway: `deploymentLogs`, `buildLogs`, `environmentLogs`.

use async_trait::async_trait;
use ir_core::model::LogLine;
use ir_core::ports::{LogFilter, LogQuery, LogSource, LogStream};
use ir_core::{Error, ErrorKind, Result};
use serde_json::{Value, json};

use crate::client::{PROVIDER, RailwayClient, variables};
use crate::gql;
use crate::wire::WireLog;

#[async_trait]
impl LogSource for RailwayClient {
    /// Sends the filter as Railway's own syntax where it can say it (`@level:error`,
    /// `@level:warn AND timeout`; Railway documents no `OR`, so the rest is applied locally) and applies the whole filter again on
    /// the lines that arrive. Deployment and build logs pass the window as `startDate`/`endDate`;
    /// environment logs ask for the newest `limit` lines before `until` (or now). The window and
    /// limit are applied again on the lines that arrive, so the result never strays outside them.
    async fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let limit = json!(i32::try_from(query.limit).unwrap_or(i32::MAX));
        let filter = railway_filter(&query.filter).map(Value::from);
        let rfc3339 = |t: Option<ir_core::clock::Timestamp>| t.map(|t| json!(t.to_rfc3339()));
        let (op, vars) = match &query.stream {
            LogStream::Deployment(id) | LogStream::Build(id) => {
                let op = if matches!(query.stream, LogStream::Build(_)) {
                    &gql::BUILD_LOGS
                } else {
                    &gql::DEPLOYMENT_LOGS
                };
                let vars = variables([
                    ("deploymentId", Some(json!(id.as_str()))),
                    ("limit", Some(limit)),
                    ("filter", filter),
                    ("startDate", rfc3339(query.since)),
                    ("endDate", rfc3339(query.until)),
                ]);
                (op, vars)
            }
            LogStream::Environment => (
                &gql::ENVIRONMENT_LOGS,
                variables([
                    ("environmentId", Some(json!(self.environment_id))),
                    ("filter", filter),
                    ("beforeDate", rfc3339(query.until)),
                    ("beforeLimit", Some(limit)),
                ]),
            ),
        };
        let raw: Vec<WireLog> = self.execute(op, vars, true).await?;
        let mut lines = Vec::with_capacity(raw.len());
        for log in raw {
            let line = log.into_line().map_err(|timestamp| {
                Error::new(
                    ErrorKind::Protocol,
                    format!("a log line's timestamp `{timestamp}` is not RFC 3339"),
                )
                .with_provider(PROVIDER)
                .with_operation(op.root_field)
            })?;
            let after_start = query.since.is_none_or(|since| line.timestamp >= since);
            let before_end = query.until.is_none_or(|until| line.timestamp < until);
            if after_start && before_end && query.filter.matches(&line) {
                lines.push(line);
            }
        }
        // Oldest first; a stable sort keeps Railway's order for equal timestamps.
        lines.sort_by_key(|line| line.timestamp);
        let excess = lines.len().saturating_sub(query.limit);
        lines.drain(..excess);
        Ok(lines)
    }
}

/// The part of `filter` Railway's syntax can express: one level (`@level:error`) and one
/// substring (bare, or quoted when it has spaces), joined with `AND`. Railway documents no
/// `OR`, so a filter with several levels or several substrings sends only what it can and
/// the rest is applied to the lines that arrive; a substring holding a quote is applied
/// locally only. `None` when nothing can be sent.
pub(crate) fn railway_filter(filter: &LogFilter) -> Option<String> {
    let mut terms = Vec::new();
    if let [level] = filter.levels.as_slice() {
        let name = level.name();
        if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            terms.push(format!("@level:{name}"));
        }
    }
    if let [text] = filter.contains.as_slice() {
        let text = text.trim();
        if !text.is_empty() && !text.contains('"') {
            if text.chars().any(char::is_whitespace) {
                terms.push(format!("\"{text}\""));
            } else {
                terms.push(text.to_owned());
            }
        }
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::model::LogLevel;

    #[test]
    fn filters_translate_into_railway_syntax() {
        let f = LogFilter::default();
        assert_eq!(railway_filter(&f), None);
        let f = LogFilter::default().with_level(LogLevel::Error);
        assert_eq!(railway_filter(&f).as_deref(), Some("@level:error"));
        let f = LogFilter::default()
            .with_level(LogLevel::Warn)
            .with_text("rate limit");
        assert_eq!(
            railway_filter(&f).as_deref(),
            Some("@level:warn AND \"rate limit\"")
        );
        let f = LogFilter::default()
            .with_level(LogLevel::Error)
            .with_text("6432");
        assert_eq!(railway_filter(&f).as_deref(), Some("@level:error AND 6432"));
        // Railway has no OR: two levels are applied locally only.
        let f = LogFilter::default()
            .with_level(LogLevel::Error)
            .with_level(LogLevel::Warn)
            .with_text("NO_SECRET");
        assert_eq!(railway_filter(&f).as_deref(), Some("NO_SECRET"));
        let f = LogFilter::default().with_text("say \"hi\"");
        assert_eq!(railway_filter(&f), None);
    }
}
