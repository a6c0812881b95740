//! Cutting a log line's header (timestamp, host, process, pid, level, component) off its message.

use std::borrow::Cow;

use regex::Regex;

use crate::error::Error;

/// A line split into its header fields and its message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Extracted<'a> {
    /// The message: what is left once the header is cut off. Owned only for JSON lines.
    pub message: Cow<'a, str>,
    /// The timestamp as written, when one was recognised.
    pub timestamp: Option<Cow<'a, str>>,
    /// The level as written (`INFO`, `warn`, ...), when one was recognised.
    pub level: Option<Cow<'a, str>>,
}

/// How to find the message in a line.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum HeaderMode {
    /// Recognise common headers with no configuration ([`extract_auto`]).
    #[default]
    Auto,
    /// Use an explicit Loghub-style format; lines it does not match fall back to `Auto`.
    Format(HeaderFormat),
    /// The whole line is the message.
    None,
}

impl HeaderMode {
    /// Splits `line` according to the mode.
    pub fn extract<'a>(&self, line: &'a str) -> Extracted<'a> {
        match self {
            Self::Auto => extract_auto(line),
            Self::Format(f) => f.extract(line).unwrap_or_else(|| extract_auto(line)),
            Self::None => Extracted {
                message: Cow::Borrowed(line.trim()),
                ..Extracted::default()
            },
        }
    }
}

/// An explicit header format in Loghub's notation, e.g. `<Date> <Time> <Pid> <Level> <Component>: <Content>`.
///
/// Each `<Field>` matches lazily, `<Content>` is the message, runs of spaces match any
/// whitespace, and the text between fields is used as a regular expression, as Loghub's
/// `generate_logformat_regex` does (so `\[<ADDR>\]` and `(\[<PID>\])?` work).
///
/// ```
/// use ir_triage::HeaderFormat;
///
/// let f = HeaderFormat::parse("<Date> <Time> <Pid> <Level> <Component>: <Content>")?;
/// let e = f.extract("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating");
/// assert_eq!(e.map(|e| e.message.into_owned()).as_deref(), Some("PacketResponder 1 terminating"));
/// # Ok::<(), ir_triage::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct HeaderFormat {
    regex: Regex,
}

impl HeaderFormat {
    /// Compiles a format.
    ///
    /// # Errors
    /// [`Error::HeaderFormat`] when it has no `<Content>` field or its literal text is not a
    /// valid regular expression.
    pub fn parse(format: &str) -> Result<Self, Error> {
        let field = Regex::new(r"<([^<>]+)>").map_err(|e| Error::HeaderFormat(e.to_string()))?;
        let spaces = Regex::new(" +").map_err(|e| Error::HeaderFormat(e.to_string()))?;
        let mut pattern = String::from("^");
        let mut last = 0;
        let mut has_content = false;
        for caps in field.captures_iter(format) {
            let (Some(whole), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            pattern.push_str(&spaces.replace_all(&format[last..whole.start()], r"\s+"));
            let name = name.as_str();
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::HeaderFormat(format!("field name {name:?}")));
            }
            if name == "Content" {
                has_content = true;
                pattern.push_str("(?P<Content>.*?)");
            } else if !pattern.contains(&format!("(?P<{name}>")) {
                pattern.push_str(&format!("(?P<{name}>.*?)"));
            } else {
                pattern.push_str("(?:.*?)");
            }
            last = whole.end();
        }
        pattern.push_str(&spaces.replace_all(&format[last..], r"\s+"));
        pattern.push('$');
        if !has_content {
            return Err(Error::HeaderFormat(format!(
                "{format:?} has no <Content> field"
            )));
        }
        let regex = Regex::new(&pattern).map_err(|e| Error::HeaderFormat(e.to_string()))?;
        Ok(Self { regex })
    }

    /// Splits a line, or `None` when the format does not match it.
    pub fn extract<'a>(&self, line: &'a str) -> Option<Extracted<'a>> {
        let caps = self.regex.captures(line.trim())?;
        let content = caps.name("Content")?.as_str();
        let level = caps.name("Level").map(|m| Cow::Borrowed(m.as_str()));
        let timestamp = ["Timestamp", "Time", "Date"]
            .iter()
            .find_map(|n| caps.name(n))
            .map(|m| Cow::Borrowed(m.as_str()));
        Some(Extracted {
            message: Cow::Borrowed(content),
            timestamp,
            level,
        })
    }
}

const LEVELS: &[&str] = &[
    "TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "WARNING", "ERROR", "ERR", "CRIT", "CRITICAL",
    "FATAL", "SEVERE", "ALERT", "EMERG", "FINE", "FINER", "FINEST", "CONFIG", "PANIC", "VERBOSE",
];

const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const DAYS: &[&str] = &["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Recognises the common headers with no configuration and returns the message behind them.
///
/// Understood: JSON lines (`msg`, `message`, `log`, ... fields), logfmt lines starting with a
/// `key=value` pair and carrying `msg=`/`message=`; and text headers made of, in this order,
/// up to three leading tokens before a timestamp (file or source names), a timestamp (ISO-8601
/// with `T` or a space, `YYYY/MM/DD`, syslog `Mon DD HH:MM:SS`, `YYMMDD HHMMSS`,
/// `YYYYMMDD-HH:MM:SS:mmm`, epoch seconds or milliseconds, bracketed dates, a bare time), then
/// a syslog host and `proc[pid]:`, pids, a level (upper case, or bracketed), a component
/// (`name:`, `[name]`, or a dotted name after a level) and one bracketed context block
/// (`[req-... - -]`). Pipe-separated headers (`ts|component|pid|message`) are split on `|`.
///
/// ```
/// use ir_triage::extract_auto;
///
/// let syslog = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown";
/// assert_eq!(extract_auto(syslog).message, "check pass; user unknown");
/// let hdfs = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating";
/// assert_eq!(extract_auto(hdfs).message, "PacketResponder 1 terminating");
/// let json = r#"{"level":"error","time":"2026-02-08T15:30:00Z","msg":"Cannot find module 'x'"}"#;
/// assert_eq!(extract_auto(json).message, "Cannot find module 'x'");
/// ```
pub fn extract_auto(line: &str) -> Extracted<'_> {
    let line = line.trim();
    if line.starts_with('{')
        && line.ends_with('}')
        && let Some(e) = extract_json(line)
    {
        return e;
    }
    if let Some(e) = extract_logfmt(line) {
        return e;
    }
    extract_text(line)
}

fn extract_json(line: &str) -> Option<Extracted<'static>> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let obj = value.as_object()?;
    let field = |names: &[&str]| {
        names.iter().find_map(|n| obj.get(*n)).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let message = field(&[
        "msg", "message", "MESSAGE", "@message", "log", "text", "error", "err",
    ])?;
    Some(Extracted {
        message: Cow::Owned(message.trim().to_owned()),
        timestamp: field(&["time", "timestamp", "ts", "@timestamp", "datetime"]).map(Cow::Owned),
        level: field(&["level", "severity", "lvl", "levelname"]).map(Cow::Owned),
    })
}

/// logfmt: `key=value key="quoted value" ...`. Only when the line starts with a pair.
fn extract_logfmt(line: &str) -> Option<Extracted<'_>> {
    let first = line.split(' ').next()?;
    let (k, _) = first.split_once('=')?;
    if k.is_empty()
        || !k
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let mut message = None;
    let mut timestamp = None;
    let mut level = None;
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b' ' {
            i += 1;
        }
        let key = &line[key_start..i];
        if i >= bytes.len() || bytes[i] != b'=' {
            continue;
        }
        i += 1;
        let value = if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            let start = i;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            let v = line.get(start..i.min(bytes.len())).unwrap_or("");
            i += 1;
            v
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b' ' {
                i += 1;
            }
            &line[start..i]
        };
        match key {
            "msg" | "message" => message = Some(value),
            "time" | "ts" | "timestamp" | "t" => timestamp = Some(value),
            "level" | "lvl" | "severity" => level = Some(value),
            _ => {}
        }
    }
    let message = message?;
    Some(Extracted {
        message: Cow::Borrowed(message),
        timestamp: timestamp.map(Cow::Borrowed),
        level: level.map(Cow::Borrowed),
    })
}

/// A token of the line: its text and byte offset.
#[derive(Clone, Copy)]
struct Tok<'a> {
    text: &'a str,
    start: usize,
}

fn tokens(line: &str, max: usize) -> Vec<Tok<'_>> {
    let mut out = Vec::with_capacity(max);
    let mut start = None;
    // ASCII whitespace only: a byte scan, and always a char boundary.
    for (i, c) in line.bytes().enumerate() {
        if c.is_ascii_whitespace() {
            if let Some(s) = start.take() {
                out.push(Tok {
                    text: &line[s..i],
                    start: s,
                });
                if out.len() == max {
                    return out;
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Tok {
            text: &line[s..],
            start: s,
        });
    }
    out
}

/// Exactly `n` ASCII digits. Takes bytes so callers can test a byte range of any text without
/// slicing a `str` inside a multi-byte character.
fn digits(s: impl AsRef<[u8]>, n: usize) -> bool {
    let s = s.as_ref();
    s.len() == n && s.iter().all(u8::is_ascii_digit)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `HH:MM:SS` (one or two digits each) with optional `.frac`, `,frac` or `:mmm`, and an
/// optional zone suffix.
fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    for part in 0..3 {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        if i == start {
            return false;
        }
        if part < 2 {
            if b.get(i) != Some(&b':') {
                return false;
            }
            i += 1;
        }
    }
    let rest = &s[i..];
    let rest = rest
        .strip_prefix(['.', ',', ':'])
        .map(|r| r.trim_start_matches(|c: char| c.is_ascii_digit()))
        .unwrap_or(rest);
    is_zone(rest)
}

fn is_zone(s: &str) -> bool {
    s.is_empty()
        || s == "Z"
        || ((s.starts_with('+') || s.starts_with('-'))
            && s[1..].bytes().all(|b| b.is_ascii_digit() || b == b':')
            && s.len() <= 6)
}

/// `YYYY-MM-DD` or `YYYY/MM/DD`, returning what follows in the token.
fn date_prefix(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() < 10 || !digits(&b[0..4], 4) || !digits(&b[5..7], 2) || !digits(&b[8..10], 2) {
        return None;
    }
    if !((b[4] == b'-' && b[7] == b'-') || (b[4] == b'/' && b[7] == b'/')) {
        return None;
    }
    Some(&s[10..])
}

fn is_month(s: &str) -> bool {
    MONTHS.contains(&s)
}

/// How many tokens a timestamp starting at `toks[i]` takes, and whether it is syslog-style
/// (so a host name follows).
fn timestamp_at(toks: &[Tok<'_>], i: usize) -> Option<(usize, bool)> {
    let t = toks.get(i)?.text;
    let next = toks.get(i + 1).map(|t| t.text);
    // Bracketed: [2017-05-16 00:00:00,123] or [Sun Dec 04 04:47:44 2005].
    if let Some(inner) = t.strip_prefix('[') {
        let starts_like_date = date_prefix(inner).is_some()
            || DAYS.iter().any(|d| inner.starts_with(d))
            || MONTHS.iter().any(|m| inner.starts_with(m))
            || is_time(inner.trim_end_matches(']'))
            || (inner.len() >= 2 && digits(&inner.as_bytes()[..2], 2) && inner.contains('/'));
        if starts_like_date {
            let close = toks[i..]
                .iter()
                .take(6)
                .position(|t| t.text.ends_with(']'))?;
            return Some((close + 1, false));
        }
    }
    // ISO-8601: 2017-05-16T00:00:00.008Z, or 2017-05-16 00:00:00.008 [+0000].
    if let Some(rest) = date_prefix(t) {
        if let Some(time) = rest.strip_prefix('T') {
            return is_time(time).then_some((1, false));
        }
        if rest.is_empty() {
            if next.is_some_and(is_time) {
                let zone = toks.get(i + 2).is_some_and(|z| {
                    (z.text.starts_with('+') || z.text == "UTC") && is_zone_token(z.text)
                });
                return Some((2 + usize::from(zone), false));
            }
            return Some((1, false));
        }
        return None;
    }
    // Syslog: Jun 14 15:16:01 (optionally a year after).
    if is_month(t)
        && next.is_some_and(|d| d.len() <= 2 && all_digits(d))
        && toks.get(i + 2).is_some_and(|x| is_time(x.text))
    {
        let year = toks.get(i + 3).is_some_and(|y| digits(y.text, 4));
        return Some((3 + usize::from(year), true));
    }
    // Day name first: Sun Dec 04 04:47:44 2005.
    if DAYS.contains(&t) && next.is_some_and(is_month) {
        let mut n = 2;
        while n < 5
            && toks
                .get(i + n)
                .is_some_and(|x| all_digits(x.text) || is_time(x.text))
        {
            n += 1;
        }
        return Some((n, false));
    }
    // YYMMDD HHMMSS (HDFS).
    if digits(t, 6) && next.is_some_and(|n| digits(n, 6)) {
        return Some((2, false));
    }
    // YYYYMMDD-HH:MM:SS(:mmm) (HealthApp style), possibly glued to a `|` header.
    let head = t.split('|').next().unwrap_or(t);
    if head.len() > 9
        && digits(&head.as_bytes()[..8], 8)
        && head.as_bytes()[8] == b'-'
        && is_time(&head[9..])
    {
        return Some((1, false));
    }
    // Epoch seconds or milliseconds, optionally with a fraction.
    let int = t.split('.').next().unwrap_or(t);
    if (digits(int, 10) || digits(int, 13))
        && t[int.len()..]
            .trim_start_matches('.')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Some((1, false));
    }
    if is_time(t) {
        return Some((1, false));
    }
    None
}

fn is_zone_token(s: &str) -> bool {
    s == "UTC" || is_zone(s)
}

fn is_level(t: &str) -> bool {
    let bare = t.trim_end_matches(':');
    if let Some(inner) = bare.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        return LEVELS.iter().any(|l| l.eq_ignore_ascii_case(inner));
    }
    LEVELS.contains(&bare)
}

fn is_identifier(t: &str) -> bool {
    !t.is_empty()
        && t.chars().all(|c| {
            c.is_alphanumeric()
                || matches!(c, '.' | '_' | '-' | '$' | '/' | '(' | ')' | '[' | ']' | '@')
        })
}

/// `Error:`, `TypeError:`, `PrismaClientInitializationError:`: the message's own start, not a
/// component.
fn is_error_class(t: &str) -> bool {
    let name = t.trim_end_matches(':');
    ["Error", "Exception", "Warning", "Rejection"]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// `sshd(pam_unix)[19939]:`, `kernel:`, `app[web.1]:`.
fn is_process(t: &str) -> bool {
    t.len() > 1 && t.ends_with(':') && is_identifier(&t[..t.len() - 1])
}

fn extract_text(line: &str) -> Extracted<'_> {
    let toks = tokens(line, 16);
    let mut i = 0;
    let mut timestamp = None;
    let mut syslog = false;
    // A timestamp among the first four tokens; what precedes it is a source name.
    for start in 0..toks.len().min(4) {
        if let Some((n, is_syslog)) = timestamp_at(&toks, start) {
            let end = toks[start + n - 1].start + toks[start + n - 1].text.len();
            timestamp = Some(&line[toks[start].start..end]);
            i = start + n;
            syslog = is_syslog;
            break;
        }
    }
    // Pipe-separated header glued to the timestamp: ts|component|pid|message.
    if let Some(ts) = timestamp
        && i == 1
        && let Some(bar) = ts.find('|')
    {
        let timestamp = Some(Cow::Borrowed(&ts[..bar]));
        let mut rest = &line[toks[0].start + bar + 1..];
        for _ in 0..3 {
            match rest.split_once('|') {
                Some((field, tail)) if !field.trim().contains(' ') && field.len() <= 64 => {
                    rest = tail
                }
                _ => break,
            }
        }
        return Extracted {
            message: Cow::Borrowed(rest.trim()),
            timestamp,
            level: None,
        };
    }
    let mut level = None;
    if timestamp.is_some() {
        let mut component_seen = false;
        if syslog {
            // host, then proc[pid]: and nothing more of the header.
            if toks
                .get(i)
                .is_some_and(|t| is_identifier(t.text) && !t.text.ends_with(':'))
                && toks.get(i + 1).is_some_and(|t| is_process(t.text))
            {
                i += 2;
                component_seen = true;
            } else if toks.get(i).is_some_and(|t| is_process(t.text)) {
                i += 1;
                component_seen = true;
            }
        }
        let mut steps = 0;
        while !(syslog && component_seen) && i < toks.len().saturating_sub(1) && steps < 6 {
            steps += 1;
            let t = toks[i].text;
            if all_digits(t) && level.is_none() && !component_seen {
                i += 1;
            } else if level.is_none() && !component_seen && is_level(t) {
                level = Some(t.trim_end_matches(':').trim_matches(['[', ']']));
                i += 1;
            } else if !component_seen && is_process(t) && !is_error_class(t) {
                i += 1;
                break;
            } else if !component_seen
                && ((t.starts_with('[')
                    && t.ends_with(']')
                    && t.len() > 2
                    && is_identifier(&t[1..t.len() - 1])
                    && !t[1..t.len() - 1].contains(['[', ']']))
                    || (level.is_some()
                        && t.contains('.')
                        && !t.contains('(')
                        && is_identifier(t)
                        && !t.ends_with('.')))
            {
                component_seen = true;
                i += 1;
            } else if component_seen && t.starts_with('[') && !t.ends_with(':') {
                // One bracketed context block: [req-... - - -] or [-].
                let close = toks[i..]
                    .iter()
                    .take(12)
                    .position(|t| t.text.ends_with(']'));
                if let Some(c) = close {
                    i += c + 1;
                }
                break;
            } else {
                break;
            }
        }
    }
    let message = toks.get(i).map_or("", |t| &line[t.start..]);
    Extracted {
        message: Cow::Borrowed(message.trim()),
        timestamp: timestamp.map(Cow::Borrowed),
        level: level.map(Cow::Borrowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(line: &str) -> String {
        extract_auto(line).message.into_owned()
    }

    #[test]
    fn recognises_common_headers() {
        let table = [
            (
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_1 terminating",
                "PacketResponder 1 for block blk_1 terminating",
            ),
            (
                "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 ",
                "authentication failure; logname= uid=0",
            ),
            (
                "Jul  1 09:00:55 calvisitor kernel: ACPI: disabled",
                "ACPI: disabled",
            ),
            (
                "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
                "onStandStepChanged 3579",
            ),
            (
                "20171223-22:15:29:636|Step_SPUtils|30002312|setToday",
                "setToday",
            ),
            (
                "nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38 113d 54fa - - -] 10.11.10.1 \"GET /v2 HTTP/1.1\" status: 200",
                "10.11.10.1 \"GET /v2 HTTP/1.1\" status: 200",
            ),
            (
                "nova-compute.log 2017-05-16 00:00:04.500 2931 INFO nova.compute.manager [-] [instance: b9] VM Started",
                "[instance: b9] VM Started",
            ),
            (
                "2026-02-08T15:30:00.123Z ERROR Cannot find module 'x'",
                "Cannot find module 'x'",
            ),
            (
                "2026-02-08T15:30:00.123Z ERROR Error: Cannot find module 'x'",
                "Error: Cannot find module 'x'",
            ),
            (
                "2026-02-08T15:30:00.123Z ERROR PrismaClientInitializationError: Can't reach database server",
                "PrismaClientInitializationError: Can't reach database server",
            ),
            (
                "2026-02-08T15:30:00Z [web] listening on :3000",
                "listening on :3000",
            ),
            ("[2026-02-08 15:30:00,123] WARN db.pool: slow", "slow"),
            ("1707406200 INFO started", "started"),
            ("1707406200123 started", "started"),
            ("15:30:00 [INFO] ready", "ready"),
            (
                "Sun Dec 04 04:47:44 2005 [notice] workerEnv.init() ok",
                "workerEnv.init() ok",
            ),
            ("no header at all", "no header at all"),
            ("", ""),
        ];
        for (line, want) in table {
            assert_eq!(msg(line), want, "line {line:?}");
        }
    }

    #[test]
    fn json_and_logfmt_lines_give_their_message_field() {
        let e = extract_auto(r#"{"level":30,"time":1707406200,"msg":"pool timed out"}"#);
        assert_eq!(e.message, "pool timed out");
        assert_eq!(e.level.as_deref(), Some("30"));
        let e = extract_auto(
            r#"time=2026-02-08T15:30:00Z level=error msg="Cannot find module 'x'" pid=4"#,
        );
        assert_eq!(e.message, "Cannot find module 'x'");
        assert_eq!(e.level.as_deref(), Some("error"));
        // A JSON line without a message field stays whole.
        assert_eq!(msg(r#"{"a":1}"#), r#"{"a":1}"#);
        // Not logfmt: the first token is no pair.
        assert_eq!(
            msg("check pass; user=root msg=x"),
            "check pass; user=root msg=x"
        );
    }

    #[test]
    fn explicit_formats_from_loghub() {
        let f = HeaderFormat::parse(
            r"<Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>",
        )
        .unwrap();
        let e = f
            .extract("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: check pass; user unknown")
            .unwrap();
        assert_eq!(e.message, "check pass; user unknown");
        let f = HeaderFormat::parse(r"<Time>\|<Component>\|<Pid>\|<Content>").unwrap();
        assert_eq!(f.extract("2017|Step_LSC|3|a b").unwrap().message, "a b");
        assert!(HeaderFormat::parse("<Date> <Time>").is_err());
        let mode = HeaderMode::Format(HeaderFormat::parse("<Date> <Time> <Content>").unwrap());
        assert_eq!(mode.extract("only").message, "only");
        assert_eq!(HeaderMode::None.extract(" x y ").message, "x y");
    }
}
