//! [`TraceCapture`]: everything `tracing` records, as text, for tests that assert what a
//! client does or does not trace (no token at TRACE level, one span per call, ...).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// A `tracing` layer that keeps one line per span opened, span field recorded and event
/// emitted, at every level: `span <name> field=value ...`, `record field=value ...`,
/// `event <LEVEL> <target> field=value ...`.
///
/// `tracing` caches each callsite's interest process-wide, so a test that installs a capture
/// sees everything only when no other test runs beside it in the same binary: give such a test
/// its own test file.
///
/// ```
/// let (capture, _guard) = ir_testkit::TraceCapture::install();
/// tracing::trace!(token_len = 3, "calling");
/// assert!(capture.text().contains("event TRACE"));
/// assert!(capture.text().contains("token_len=3"));
/// ```
#[derive(Clone, Default)]
pub struct TraceCapture {
    lines: Arc<Mutex<Vec<String>>>,
}

impl fmt::Debug for TraceCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceCapture")
            .field("lines", &self.lines().len())
            .finish()
    }
}

impl TraceCapture {
    /// A capture installed as this thread's default subscriber until the guard drops.
    pub fn install() -> (Self, DefaultGuard) {
        let capture = Self::default();
        let guard =
            tracing::subscriber::set_default(tracing_subscriber::registry().with(capture.clone()));
        (capture, guard)
    }

    /// Every line captured so far, in order.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Every line captured so far, joined by newlines.
    pub fn text(&self) -> String {
        self.lines().join("\n")
    }

    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for TraceCapture {
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        let mut fields = Fields(format!("span {}", attrs.metadata().name()));
        attrs.record(&mut fields);
        self.push(fields.0);
    }

    fn on_record(&self, _: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut fields = Fields("record".into());
        values.record(&mut fields);
        self.push(fields.0);
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(format!(
            "event {} {}",
            event.metadata().level(),
            event.metadata().target()
        ));
        event.record(&mut fields);
        self.push(fields.0);
    }
}
