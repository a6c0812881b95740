//! What enters a record is scrubbed: every string of every event (notes, action errors and
//! details, messages, evidence), by the exact values the run generated or read and by the
//! credential patterns of [`crate::redact`] ([`Secrets`]).

use secrecy::SecretString;

use crate::incident::EventKind;
use crate::redact::Secrets;

/// The values a run knows to be secret ([`Secrets`]: raw, JSON-escaped, URL-encoded and
/// base64 forms, then the patterns), shared by its journal and its logging.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scrubber {
    known: Secrets,
}

impl Scrubber {
    /// Scrubs `value` from everything recorded from now on.
    pub(crate) fn add(&self, value: &SecretString) {
        self.known.add(value);
    }

    /// `text` without any known value or credential pattern.
    pub(crate) fn scrub(&self, text: &str) -> String {
        self.known.redact(text).into_owned()
    }

    /// [`Scrubber::scrub`] in place; returns whether anything changed.
    fn scrub_in_place(&self, text: &mut String) -> bool {
        match self.known.redact(text) {
            std::borrow::Cow::Borrowed(_) => false,
            std::borrow::Cow::Owned(clean) => {
                *text = clean;
                true
            }
        }
    }

    /// `kind` with every string it holds scrubbed. An event with nothing to scrub is returned
    /// as it was.
    pub(crate) fn scrub_event(&self, kind: EventKind) -> EventKind {
        let Ok(mut value) = serde_json::to_value(&kind) else {
            return kind;
        };
        if !self.walk(&mut value) {
            return kind;
        }
        serde_json::from_value(value).unwrap_or(kind)
    }

    fn walk(&self, value: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::String(s) => self.scrub_in_place(s),
            Value::Array(items) => items.iter_mut().fold(false, |c, v| self.walk(v) | c),
            Value::Object(map) => map.values_mut().fold(false, |c, v| self.walk(v) | c),
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_and_patterns_are_scrubbed_from_every_string_of_an_event() {
        let s = Scrubber::default();
        s.add(&SecretString::from("Zm9vYmFyYmF6+/="));
        s.add(&SecretString::from("abc")); // too short to scrub by value
        let _ = s.scrub("");
        let kind = EventKind::ActionFailed {
            key: crate::model::IdempotencyKey::new("k"),
            kind: crate::error::ErrorKind::InvalidInput,
            error: "refused value \"Zm9vYmFyYmF6+/=\" (Zm9vYmFyYmF6%2B%2F%3D) via \
                    https://u:hunter22@db/x; abc"
                .into(),
        };
        let EventKind::ActionFailed { error, .. } = s.scrub_event(kind) else {
            panic!("kind changed");
        };
        assert!(!error.contains("Zm9vYmFyYmF6"), "{error}");
        assert!(!error.contains("hunter22"), "{error}");
        assert!(error.contains("abc"), "{error}");
        let note = EventKind::note("nothing secret here");
        assert_eq!(s.scrub_event(note.clone()), note);
    }
}
