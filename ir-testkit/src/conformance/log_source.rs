//! The `LogSource` contract, against a backend holding a [`LogFixture`]'s lines.

use ir_core::ports::{LogQuery, LogSource};

use super::{check, check_eq, ok};
use crate::LogFixture;

fn messages(lines: &[ir_core::model::LogLine]) -> Vec<String> {
    lines.iter().map(|l| l.message.clone()).collect()
}

fn check_fixture(fixture: &LogFixture, rule: &str) {
    check!(
        fixture.lines.len() >= 3,
        rule,
        "the log fixture needs at least three lines"
    );
}

/// Every line of the stream, oldest first.
pub async fn every_line_oldest_first(source: &dyn LogSource, fixture: &LogFixture) {
    const RULE: &str = "log_source::every_line_oldest_first";
    check_fixture(fixture, RULE);
    let all = ok(
        source
            .logs(&LogQuery::new(
                fixture.stream.clone(),
                fixture.lines.len() + 10,
            ))
            .await,
        RULE,
        "logs",
    );
    check_eq!(
        messages(&all),
        messages(&fixture.lines),
        RULE,
        "every line, oldest first"
    );
    check!(
        all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
        RULE,
        "lines are oldest first"
    );
}

/// A limit keeps the newest lines.
pub async fn limit_keeps_the_newest(source: &dyn LogSource, fixture: &LogFixture) {
    const RULE: &str = "log_source::limit_keeps_the_newest";
    check_fixture(fixture, RULE);
    let want = messages(&fixture.lines);
    let last_two = ok(
        source.logs(&LogQuery::new(fixture.stream.clone(), 2)).await,
        RULE,
        "logs(limit 2)",
    );
    check_eq!(
        messages(&last_two),
        want[want.len() - 2..].to_vec(),
        RULE,
        "a limit keeps the newest lines"
    );
}

/// A window's start is honoured: no line before it, every line after it.
pub async fn window_is_honoured(source: &dyn LogSource, fixture: &LogFixture) {
    const RULE: &str = "log_source::window_is_honoured";
    check_fixture(fixture, RULE);
    let since = fixture.lines[1].timestamp;
    let windowed = ok(
        source
            .logs(&LogQuery::new(fixture.stream.clone(), 100).with_window(Some(since), None))
            .await,
        RULE,
        "logs(since)",
    );
    check!(
        windowed.iter().all(|l| l.timestamp >= since),
        RULE,
        "no line before the window's start"
    );
    check_eq!(
        windowed.len(),
        fixture.lines.len() - 1,
        RULE,
        "every line inside the window"
    );
}

/// Every rule above.
pub async fn run_all(source: &dyn LogSource, fixture: &LogFixture) {
    every_line_oldest_first(source, fixture).await;
    limit_keeps_the_newest(source, fixture).await;
    window_is_honoured(source, fixture).await;
}
