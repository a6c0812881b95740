//! `LogSource` over Railway: `deploymentLogs`, `buildLogs`, `environmentLogs`.

use async_trait::async_trait;
use ir_core::ports::{LogLine, LogQuery, LogSource, LogStream};
use ir_core::{Error, ErrorKind, Result};
use serde_json::{Value, json};

use crate::client::{PROVIDER, RailwayClient, variables};
use crate::gql;
use crate::wire::WireLog;

#[async_trait]
impl LogSource for RailwayClient {
    /// Sends the filter as Railway's own syntax (`@level:error`, `@level:warn AND timeout`,
    /// `-@method:OPTIONS`). Deployment and build logs pass the window as `startDate`/`endDate`;
    /// environment logs ask for the newest `limit` lines before `until` (or now). The window and
    /// limit are applied again on the lines that arrive, so the result never strays outside them.
    async fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let limit = json!(i32::try_from(query.limit).unwrap_or(i32::MAX));
        let filter = query.filter.clone().map(Value::from);
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
            if after_start && before_end {
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
