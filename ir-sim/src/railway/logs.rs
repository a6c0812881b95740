//! Log streams and Railway's log filter syntax (`@level:error`, `@level:warn AND "rate limit"`,
//! `-@method:OPTIONS`), applied to the lines the platform holds.

use ir_core::model::{DeploymentId, LogLine};

/// Which logs a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LogStream {
    /// The build logs of one deployment (`buildLogs`).
    Build(DeploymentId),
    /// The runtime logs of one deployment (`deploymentLogs`).
    Deployment(DeploymentId),
    /// Every deployment's runtime logs (`environmentLogs`, which leaves out build logs).
    Environment,
}

/// One term of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// `@key:value`: an attribute (`level` also matches the line's level).
    Attribute { key: String, value: String },
    /// A word or a quoted phrase, matched case-insensitively in the message.
    Text(String),
}

/// Railway's log filter: terms joined by `AND` (or plain spaces), each negated by a leading
/// `-`. An empty filter keeps every line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFilter {
    terms: Vec<(bool, Term)>,
}

impl LogFilter {
    /// Parses Railway's syntax. Unbalanced quotes end at the end of the text; `OR` is read as
    /// a word (the simulator does not model it).
    pub fn parse(text: &str) -> Self {
        let mut terms = Vec::new();
        let mut rest = text.trim();
        while !rest.is_empty() {
            let negated = rest.starts_with('-');
            if negated {
                rest = &rest[1..];
            }
            let (token, tail) = if let Some(quoted) = rest.strip_prefix('"') {
                match quoted.find('"') {
                    Some(end) => (&quoted[..end], &quoted[end + 1..]),
                    None => (quoted, ""),
                }
            } else {
                match rest.find(char::is_whitespace) {
                    Some(end) => (&rest[..end], &rest[end..]),
                    None => (rest, ""),
                }
            };
            rest = tail.trim_start();
            if token == "AND" || token.is_empty() {
                continue;
            }
            let term = match token.strip_prefix('@').and_then(|t| t.split_once(':')) {
                Some((key, value)) => Term::Attribute {
                    key: key.to_ascii_lowercase(),
                    value: value.to_ascii_lowercase(),
                },
                None => Term::Text(token.to_ascii_lowercase()),
            };
            terms.push((negated, term));
        }
        Self { terms }
    }

    /// Whether `line` passes every term.
    pub fn matches(&self, line: &LogLine) -> bool {
        self.terms.iter().all(|(negated, term)| {
            let hit = match term {
                Term::Text(text) => line.message.to_ascii_lowercase().contains(text.as_str()),
                Term::Attribute { key, value } if key == "level" => line
                    .level
                    .as_ref()
                    .is_some_and(|l| l.name().eq_ignore_ascii_case(value)),
                Term::Attribute { key, value } => line
                    .attributes
                    .get(key.as_str())
                    .is_some_and(|v| v.eq_ignore_ascii_case(value)),
            };
            hit != *negated
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir_core::model::LogLevel;

    fn line(level: LogLevel, message: &str) -> LogLine {
        LogLine::new(chrono::DateTime::UNIX_EPOCH, Some(level), message)
    }

    #[test]
    fn railway_syntax() {
        let error = line(LogLevel::Error, "Rate limit hit on /api/users");
        let warn = line(LogLevel::Warn, "rate limit close");
        assert!(LogFilter::parse("").matches(&error));
        assert!(LogFilter::parse("@level:error").matches(&error));
        assert!(!LogFilter::parse("@level:error").matches(&warn));
        assert!(LogFilter::parse("@level:warn AND \"rate limit\"").matches(&warn));
        assert!(!LogFilter::parse("@level:warn AND \"rate limit\"").matches(&error));
        assert!(LogFilter::parse("-@level:warn").matches(&error));
        assert!(
            LogFilter::parse("NO_SECRET")
                .matches(&line(LogLevel::Error, "[next-auth][error][NO_SECRET]"))
        );
        assert!(
            LogFilter::parse("\"unbalanced").matches(&line(LogLevel::Info, "an unbalanced quote"))
        );
    }
}
